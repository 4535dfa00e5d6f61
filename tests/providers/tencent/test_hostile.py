"""Hostile input against the Tencent adapter: result payloads, return URLs, webhook bodies and headers.

Properties: only :class:`EkycError` ever escapes, and ``APPROVED`` comes out only for exactly the documented
success (``ErrorCode`` the JSON integer 0) with every reported sub-check in a documented passing state —
checked against an oracle written independently of the adapter. No BizToken or VerificationURL reaches an
exception message, an exception chain or a log line.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ekyc.errors import EkycError, ProviderError, WebhookVerificationError
from ekyc.models import Outcome, SessionRef
from tests.support.chains import exception_chain

from .helpers import envelope_response
from .test_adapter import NOW, PASSPORT, REF, WEBHOOK, detail, ocr, provider, req, signed

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REF1 = SessionRef(provider="tencent", id=REF.id, extra=("1", "all"))


def parse_bytes(raw: bytes, sref: SessionRef = REF1) -> Any:
    p = provider()
    return p.parse_result(p.build_result(sref), envelope_response(raw))


def parse_obj(resp: Any, sref: SessionRef = REF1) -> Any:
    return parse_bytes(json.dumps({"Response": resp}, allow_nan=True).encode(), sref)


# -- an independent oracle of "exactly documented success, every sub-check passing" (CheckMode 1, defaults) --

def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def documented_success(resp: Any) -> bool:
    if not isinstance(resp, dict) or not _int(resp.get("ErrorCode")) or resp["ErrorCode"] != 0:
        return False
    details, ocrs = resp.get("VerificationDetailList"), resp.get("OCRResult")
    if not isinstance(details, list) or not details or not isinstance(ocrs, list) or not ocrs:
        return False  # CheckMode 1 runs both
    last = details[-1]
    if not isinstance(last, dict) or not _int(last.get("ErrorCode")) or last["ErrorCode"] != 0:
        return False
    for field in ("LivenessErrorCode", "CompareErrorCode"):
        if last.get(field) is not None and (not _int(last[field]) or last[field] != 0):
            return False
    sim = last.get("Similarity")
    if sim is not None and (isinstance(sim, bool) or not isinstance(sim, (int, float)) or not 70 <= sim <= 100):
        return False
    tags = last.get("LivenessInfoTag")
    if tags is not None and (not isinstance(tags, list) or not set(tags) <= {"09", "14"}):
        return False
    for item in ocrs:
        if not isinstance(item, dict) or item.get("IsPass") is not True:
            return False
        warns = item.get("WarnCardInfos")
        if warns is not None and (not isinstance(warns, list) or any(w != -9109 or not _int(w) for w in warns)):
            return False
    return True


def check(resp: Any, sref: SessionRef = REF1) -> None:
    try:
        decision = parse_obj(resp, sref)
    except EkycError:
        return
    if decision.outcome is Outcome.APPROVED:
        assert documented_success(resp), resp
        assert not decision.reasons


# -- generated result payloads ---------------------------------------------------------------------------

HOSTILE_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True),
    st.sampled_from(["0", " 0", "-0", "0 ", "\u0660", "\uff10", "0\n", "", "09", "-9109", "70", "100"]),
    st.sampled_from([0, -0, 1, 16, 1002, 2016, -9101, -9109, 70, 69.99, 100.0, 100.01, 1e308]),
    st.text(max_size=8),
)
HOSTILE = st.recursive(HOSTILE_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=12)


@st.composite
def mutated_success(draw: st.DrawFn) -> dict[str, Any]:
    """A documented success with one to three fields replaced by hostile values (at any depth we know)."""
    resp: dict[str, Any] = {"ErrorCode": 0, "ErrorMsg": "ok", "Extra": "user-42",
                            "VerificationDetailList": [detail(LivenessInfoTag=["09"])],
                            "OCRResult": [ocr(warns=[-9109])]}
    paths = [("ErrorCode",), ("VerificationDetailList",), ("OCRResult",), ("Extra",),
             ("VerificationDetailList", 0, "ErrorCode"), ("VerificationDetailList", 0, "LivenessErrorCode"),
             ("VerificationDetailList", 0, "CompareErrorCode"), ("VerificationDetailList", 0, "Similarity"),
             ("VerificationDetailList", 0, "LivenessInfoTag"), ("VerificationDetailList", 0, "ReqTimestamp"),
             ("OCRResult", 0, "IsPass"), ("OCRResult", 0, "WarnCardInfos"), ("OCRResult", 0, "NormalCardInfo"),
             ("OCRResult", 0, "OriginalCardInfo")]
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True)):
        node: Any = resp
        for key in path[:-1]:
            ok = (isinstance(node, dict) and key in node) or (isinstance(node, list) and isinstance(key, int)
                                                              and key < len(node))
            node = node[key] if ok else None
        if isinstance(node, dict):
            node[path[-1]] = draw(HOSTILE)
    return resp


@SETTINGS
@given(mutated_success())
def test_mutated_payloads_never_falsely_approve(resp: dict[str, Any]) -> None:
    check(resp)


@SETTINGS
@given(HOSTILE)
def test_arbitrary_payloads_never_falsely_approve(resp: Any) -> None:
    check(resp)


@SETTINGS
@given(st.binary(max_size=256))
def test_arbitrary_bytes_are_typed(raw: bytes) -> None:
    try:
        decision = parse_bytes(raw)
    except EkycError:
        return
    assert decision.outcome is not Outcome.APPROVED or documented_success(json.loads(raw)["Response"])


def test_the_documented_success_approves() -> None:
    resp = {"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr()]}
    assert documented_success(resp) and parse_obj(resp).outcome is Outcome.APPROVED


@pytest.mark.parametrize("raw", [
    b'{"Response": {"ErrorCode": 0, "ErrorCode": 0, "RequestId": "r"}}',           # duplicate keys
    b'{"Response": {"ErrorCode": 0, "errorcode": 1, "RequestId": "r"}}',           # case-variant duplicates
    b'{"Response": {"ErrorCode": 0, "OCRResult": [{"IsPass": true, "IsPass": false}]}}',
    b'{"Response": {"ErrorCode": NaN}}', b'{"Response": {"ErrorCode": Infinity}}',
    b'{"Response": {"ErrorCode": 0, "VerificationDetailList": [{"ErrorCode": 0, "Similarity": NaN}]}}',
    b'{"Response": {"ErrorCode": 99999999999999999999999}}',                        # beyond 64 bits
    b'{"Response": {"ErrorCode": 0, "VerificationDetailList": [{"ErrorCode": 0, "ReqTimestamp": 1e400}]}}',
    b'{"Response": {"ErrorCode": 0, "VerificationDetailList": [{"ErrorCode": 0, '
    b'"ReqTimestamp": 99999999999999999}]}}',                                       # year > 2200
    b'{"Response": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",                   # deep nesting
    b'{"Response": {"ErrorCode": 0, "Extra": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}}",
    b'{"Response": {"ErrorCode": "0"}}', b'{"Response": {"ErrorCode": " 0"}}', b'{"Response": {"ErrorCode": "-0"}}',
    '{"Response": {"ErrorCode": "\u0660"}}'.encode(), '{"Response": {"ErrorCode": "\uff10"}}'.encode(),
    b'{"Response": {"ErrorCode": 0, "OCRResult": [{"IsPass": true, "WarnCardInfos": ["-9102"]}]}}',
    b'{"Response": {"ErrorCode": 0, "VerificationDetailList": [{"ErrorCode": "0"}]}}',
    b'{"Response": {"ErrorCode": 0, "VerificationDetailList": [{"ErrorCode": 0, "Similarity": "95"}]}}',
    b'{"Response": {"ErrorCode": 0, "OCRResult": [{"IsPass": true, "OriginalCardInfo": "{\\"a\\": 1, \\"a\\": 2}"}]}}',
])
def test_hostile_result_bodies_are_provider_errors(raw: bytes) -> None:
    with pytest.raises(ProviderError):
        parse_bytes(raw)


def test_non_ascii_digits_in_card_dates_are_left_out() -> None:
    card = {"InternationalIDPassport": {**PASSPORT["InternationalIDPassport"],
                                        "Birthday": "\u0661\u0669\u0669\u0660-01-02",
                                        "DateOfExpiration": "\uff12\uff10\uff13\uff11/05/06"}}
    d = parse_obj({"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr(card=card)]})
    assert d.identity.date_of_birth is None and d.identity.expiry_date is None


def test_oversized_card_values_are_left_out_not_raised() -> None:
    # a value no card holds is not identity data; refusing it through the model would put it in an exception
    card = {"InternationalIDPassport": {"GivenName": "J" * 1000, "Surname": "S" * 1000, "LicenseNumber": "9" * 300,
                                        "FormattedAddress": "A" * 5000, "FullName": None}}
    d = parse_obj({"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr(card=card)]})
    assert d.outcome is Outcome.APPROVED
    assert d.identity.full_name is None and d.identity.given_name == "J" * 1000
    assert d.identity.document_number is None and d.identity.address is None


# -- return URLs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://[::1/?token=a", f"https://a/?token={REF.id}%0A", f"https://a/?to\nken={REF.id}",
    f"https://a/?token={REF.id}\n", "https://a/?" + "&".join(f"x{i}=1" for i in range(100)) + f"&token={REF.id}",
    "https://a/?token=" + "A" * 129, "x" * 10_000, "", None, b"https://a/?token=A", 42,
])
def test_hostile_return_urls_are_typed(url: Any) -> None:
    with pytest.raises(WebhookVerificationError) as info:
        provider().parse_return_url(url)
    assert info.value.field == "url"


@SETTINGS
@given(st.one_of(st.text(max_size=200), st.builds(lambda a, b: f"{a}?token={b}", st.text(max_size=30),
                                                   st.text(max_size=40))))
@example("http://[::1/?token=a")
def test_return_urls_raise_only_typed_errors(url: str) -> None:
    try:
        sref = provider().parse_return_url(url)
    except EkycError:
        return
    assert sref.provider == "tencent" and sref.id.isascii() and sref.id.isprintable() and sref.extra == ()


# -- webhooks --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stamp", "field"), [
    ("17600000\u00b2", "X-Webhook-Timestamp"), ("\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",
                                                "X-Webhook-Timestamp"),
    (" 1700000000", "X-Webhook-Timestamp"), ("1700000000 ", "X-Webhook-Timestamp"),
    ("-1700000000", "X-Webhook-Timestamp"), ("+1700000000", "X-Webhook-Timestamp"),
    ("1700000000.5", "X-Webhook-Timestamp"), ("1" * 14, "X-Webhook-Timestamp"), ("", "X-Webhook-Timestamp"),
])
def test_webhook_timestamps_are_ascii_digits_only(stamp: str, field: str) -> None:
    headers = signed(WEBHOOK, str(int(NOW)))
    headers["X-Webhook-Timestamp"] = stamp
    with pytest.raises(WebhookVerificationError) as info:
        provider().parse_webhook(WEBHOOK, headers)
    assert info.value.field == field


def test_webhook_headers_must_appear_once() -> None:
    headers = signed(WEBHOOK, str(int(NOW)))
    with pytest.raises(WebhookVerificationError):
        provider().parse_webhook(WEBHOOK, {**headers, "x-webhook-signature": headers["X-Webhook-Signature"]})
    for bad in (None, [("X-Webhook-Signature", "a")], {b"X-Webhook-Signature": b"a"}):
        with pytest.raises(WebhookVerificationError):
            provider().parse_webhook(WEBHOOK, bad)  # type: ignore[arg-type]


def test_webhook_body_size_is_capped_before_the_signature() -> None:
    body = b"{" + b" " * (1024 * 1024) + b"}"
    with pytest.raises(WebhookVerificationError) as info:
        provider().parse_webhook(body, signed(body, str(int(NOW))))
    assert info.value.field == "body"


@pytest.mark.parametrize("body", [
    b'{"BizToken": "A", "BizToken": "B"}', b'{"BizToken": "A", "ErrorCode": "0"}',
    b'{"BizToken": "A", "ErrorCode": NaN}',
    b'{"BizToken": "A\\n"}', b"[" * 10_000, b'{"BizToken": "A", "ErrorCode": 1e999}', b"\xff\xfe", b"[]",
])
def test_signed_but_malformed_webhook_bodies_are_typed(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        provider().parse_webhook(body, signed(body, str(int(NOW))))


HEADER_TEXT = st.text(max_size=40)


@SETTINGS
@given(st.binary(max_size=300), st.dictionaries(st.sampled_from(
    ["X-Webhook-Signature", "X-Webhook-Timestamp", "x-webhook-timestamp", "Content-Type", "X"]), HEADER_TEXT))
def test_webhooks_raise_only_typed_errors(body: bytes, headers: dict[str, str]) -> None:
    try:
        provider().parse_webhook(body, headers)
    except EkycError:
        return
    raise AssertionError("an unsigned webhook was accepted")


@SETTINGS
@given(st.one_of(st.binary(max_size=300), HOSTILE.map(lambda v: json.dumps(v).encode())))
def test_signed_webhooks_of_any_body_raise_only_typed_errors(body: bytes) -> None:
    try:
        event = provider().parse_webhook(body, signed(body, str(int(NOW))))
    except EkycError:
        return
    assert event.decision is None and event.ref is not None


# -- secrets: the BizToken and the VerificationURL -----------------------------------------------------------

SECRET = "C0FFEE00-1111-2222-3333-SECRETTOKEN0"
URL = f"https://intl.faceid.qq.com/reflect/?token={SECRET}"



@pytest.mark.parametrize("resp", [
    {"BizToken": SECRET, "VerificationURL": "javascript:" + URL},
    {"BizToken": SECRET, "VerificationURL": "http://[::1/?token=" + SECRET},
    {"BizToken": SECRET + "\n", "VerificationURL": URL},
    {"BizToken": SECRET + " x", "VerificationURL": URL},
    {"BizToken": SECRET, "VerificationURL": URL + "\n" + URL},
    {"BizToken": SECRET, "VerificationURL": URL + "x" * 3000},
    {"BizToken": SECRET, "VerificationURL": f"https://user:pass@intl.faceid.qq.com/?token={SECRET}"},
    {"BizToken": SECRET, "VerificationURL": f"https://intl.faceid.qq.com:99999/?token={SECRET}"},
    {"BizToken": SECRET, "VerificationURL": f"https://intl.faceid.qq.com\\x/?token={SECRET}"},
    {"BizToken": [SECRET], "VerificationURL": URL},
])
def test_no_bearer_token_in_create_errors_or_their_chain(resp: dict[str, Any],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = provider()
    with pytest.raises(ProviderError) as info:
        p.parse_create(p.build_create(req()), envelope_response({"Response": {**resp, "RequestId": "r"}}))
    for exc in exception_chain(info.value):
        assert SECRET not in str(exc) and SECRET not in repr(exc) and SECRET not in repr(exc.args)
    assert SECRET not in caplog.text


def test_no_bearer_token_in_session_ref_decision_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = provider()
    session = p.parse_create(p.build_create(req()), envelope_response(
        {"Response": {"BizToken": SECRET, "VerificationURL": URL, "RequestId": "r"}}))
    result = p.parse_result(p.build_result(session.ref), envelope_response(
        {"Response": {"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr()], "Extra": "u1"}}))
    for obj in (session, session.ref, result, result.ref):
        assert SECRET not in repr(obj) and SECRET not in str(obj)
    for obj in (session, session.ref, result):
        assert SECRET not in obj.model_dump_json() and SECRET not in str(obj.model_dump())
    assert SessionRef.parse(session.ref.serialize()).id == SECRET  # the explicit stored form keeps it
    for bad in (f"https://a/?token={SECRET}&token={SECRET}", f"http://[::1/?token={SECRET}"):
        with pytest.raises(WebhookVerificationError) as info:
            p.parse_return_url(bad)
        assert all(SECRET not in str(e) for e in exception_chain(info.value))
    assert SECRET not in caplog.text
