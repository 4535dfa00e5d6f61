"""Hostile input against the Alibaba adapter: only typed errors, never a false APPROVED, no secret in a URL.

An independent oracle (:func:`documented_success`) says when a ``CheckResult`` payload is exactly Alibaba's
documented success with every reported sub-check passing; the adapter may approve nothing else.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import Client
from ekyc.errors import EkycError, ProviderError, ProviderUnavailable, WebhookVerificationError
from ekyc.models import Outcome, ReasonCode, SessionRef
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.codes import FLAGS, SOURCE_SCORES
from ekyc.providers.alibaba.signing import callback_token
from ekyc.sandbox import Sandbox
from tests.support.chains import exception_chain

from .conftest import contract_request

P = AlibabaProvider(AlibabaSettings(access_key_id="AK", access_key_secret="SK", callback_secret="cbkey"))
REF = SessionRef(provider="alibaba", id="tx1", extra=("biz1",))
OK_ID = {"ocrIdInfo": {"surname": "SAMPLE", "givenname": "JANE", "passportNo": "X1"}, "ocrIdPassed": "Y",
         "spoofInfo": {"spoofResult": "N", "spoofType": []}}
OK_FACE = {"faceAttack": "N", "facePassed": "Y", "faceComparisonScore": 90}
EXT_FIELDS = ("ExtIdInfo", "ExtFaceInfo", "ExtBasicInfo", "ExtRiskInfo", "ExtInfo", "ExtSourceInfo")


def decide(result: Any) -> Any:
    body = json.dumps({"RequestId": "R", "Code": "Success", "Message": "success", "Result": result},
                      allow_nan=True).encode()
    return decide_bytes(body)


def decide_bytes(body: bytes, status: int = 200) -> Any:
    return P.parse_result(P.build_result(REF), httpx.Response(status, content=body))


# ---------------------------------------------------------------------------------------------------
# The oracle: Alibaba's documented success with every reported sub-check passing (written from the code
# table's documented values, independently of the adapter's code)

_PASSING = {k.casefold(): f.passing for f in FLAGS if f.parent is None for k in f.keys}
_SOURCE = {"govId": lambda v: v == 1.0, "fullName": lambda v: v == 1.0, "dob": lambda v: v == 1.0,
           "selfiePhoto": lambda v: v > 0.8, "liveness": lambda v: v <= 0.95,
           "imgManipulationScore": lambda v: v <= 0.95}


def _flags_ok(node: Any) -> bool:
    """Every flag key anywhere under ``node`` (any depth, any letter case) has its documented passing value."""
    if isinstance(node, list):
        return all(_flags_ok(item) for item in node)
    if not isinstance(node, dict):
        return True
    for key, v in node.items():
        k = key.casefold()
        if k in _PASSING and v is not None and v != _PASSING[k]:
            return False
        if k == "spoofinfo" and v is not None and not isinstance(v, dict):
            return False
        if k == "spoofresult" and v not in (None, "N"):
            return False
        if k == "spoofinfo" and isinstance(v, dict) and any(  # what a passing check found: nothing, as a list
                sk.casefold() == "spooftype" and sv not in (None, []) for sk, sv in v.items()):
            return False
        if not _flags_ok(v):
            return False
    return True


def _ext_ok(name: str, raw: Any) -> bool:
    if raw is None or raw == "":
        return True
    if not isinstance(raw, str):
        return False
    try:
        value = json.loads(raw, parse_constant=lambda c: math.nan)
    except ValueError:
        return False
    if value is None:
        return True
    if not isinstance(value, dict) or not _flags_ok(value):
        return False
    if name == "ExtSourceInfo":
        for key, v in value.items():
            check = _SOURCE.get(key)
            if check is None or not isinstance(v, (int, float)) or isinstance(v, bool) or not check(float(v)):
                return False
    return True


def documented_success(result: Any) -> bool:
    if not isinstance(result, dict) or result.get("Passed") != "Y" or result.get("SubCode") != "200":
        return False
    if not _flags_ok({k: v for k, v in result.items() if k not in EXT_FIELDS}):
        return False
    return all(_ext_ok(name, result.get(name)) for name in EXT_FIELDS)


def check(result: Any) -> Any:
    """Decide ``result``: a typed error or a decision; APPROVED only when the oracle agrees."""
    try:
        d = decide(result)
    except EkycError:
        return None
    if d.outcome is Outcome.APPROVED:
        assert documented_success(result), result
        assert d.reasons == ()
    return d


# ---------------------------------------------------------------------------------------------------
# Generated CheckResult payloads

_flag_value = st.one_of(st.sampled_from(["Y", "N", "", "y", "n", "P", "Ｙ", "N ", "YES", "true"]), st.none(),
                        st.booleans(), st.integers(-2, 2), st.lists(st.sampled_from(["Y", "N"]), max_size=2))
_flag_key = st.sampled_from([k for f in FLAGS for k in f.keys] + ["FaceAttack", "FACEPASSED", "OcrIdPassed",
                                                                   "occlusionresult", "spoofResult"])
_number = st.one_of(st.integers(-10, 200), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                    st.sampled_from(["90", " 90", "٩٠", "９０", "1e3", "NaN"]), st.integers(2**63, 2**70))
_ext_dict = st.dictionaries(
    st.one_of(_flag_key, st.sampled_from(["faceComparisonScore", "FaceComparisonScore", "faceQualityScore",
                                          "spoofInfo", "SpoofInfo", "ocrIdInfo", "faceAge"])),
    st.one_of(_flag_value, _number,
              st.fixed_dictionaries({}, optional={"spoofResult": _flag_value, "SpoofResult": _flag_value,
                                                  "spoofType": st.one_of(_flag_value, st.lists(st.text(max_size=6)))}),
              st.dictionaries(st.sampled_from(["surname", "passportNo", "birthDate", "sex", "countryCode"]),
                              st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=3)),
    max_size=6)
_source_dict = st.dictionaries(st.sampled_from([s.key for s in SOURCE_SCORES] + ["GovId", "other"]),
                               st.one_of(st.floats(-1, 2), st.sampled_from([1.0, 0.0, 0.8, 0.81, 0.95, 0.96]),
                                         st.text(max_size=3), st.none()), max_size=4)


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True, ensure_ascii=False)


# raw JSON texts a lenient parser would guess at
_HOSTILE_JSON = st.sampled_from([
    '{"faceAttack": "Y", "faceAttack": "N"}', '{"faceAttack": "N", "FaceAttack": "Y"}',
    '{"facePassed": "Y", "facepassed": "Y"}', '{"faceComparisonScore": NaN}', '{"faceComparisonScore": -Infinity}',
    '{"faceAge": 123456789012345678901234567890}', '{"faceComparisonScore": 1e400}',
    "[" * 50 + "]" * 50, '{"a":' * 40 + "1" + "}" * 40, "[" * 100000, '{"spoofInfo": {"spoofResult": "N",'
    ' "SpoofResult": "Y"}}', "{", "null", "[]", "1", '"x"', '{"ocrIdPassed": "Y"} trailing', "\ufeff{}",
])
_ext = st.one_of(st.none(), st.just(""), st.text(max_size=12), _HOSTILE_JSON, _ext_dict.map(_dumps),
                 _ext_dict, st.integers())
_passed = st.one_of(st.sampled_from(["Y", "N", "P", "y", "Y ", "Ｙ", ""]), st.none(), st.booleans(), st.integers())
_sub = st.one_of(st.sampled_from(["200", "204", "205", "206", "299", " 200", "200\n", "٢٠٠", "２００", "0200", ""]),
                 st.none(), st.integers(199, 206), st.floats(allow_nan=True))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(passed=_passed, sub=_sub, ext_id=_ext, ext_face=_ext, ext_risk=_ext, ext_info=_ext,
       ext_source=st.one_of(st.none(), _source_dict.map(_dumps), _HOSTILE_JSON))
def test_generated_results_only_typed_errors_never_false_approval(passed: Any, sub: Any, ext_id: Any,
                                                                   ext_face: Any, ext_risk: Any, ext_info: Any,
                                                                   ext_source: Any) -> None:
    check({"Passed": passed, "SubCode": sub, "ExtIdInfo": ext_id, "ExtFaceInfo": ext_face,
           "ExtRiskInfo": ext_risk, "ExtInfo": ext_info, "ExtSourceInfo": ext_source})


@settings(max_examples=300, deadline=None)
@given(flags=st.lists(st.tuples(st.sampled_from(["ExtIdInfo", "ExtFaceInfo", "ExtRiskInfo", "ExtBasicInfo"]),
                                _flag_key, st.sampled_from(["Y", "N"])), max_size=5))
def test_flags_anywhere_approve_only_when_all_pass(flags: list[tuple[str, str, str]]) -> None:
    """Documented values placed in any Ext* object, in any spelling: approval only when each one passes."""
    exts: dict[str, dict[str, Any]] = {"ExtIdInfo": dict(OK_ID), "ExtFaceInfo": dict(OK_FACE)}
    for where, key, value in flags:
        target = exts.setdefault(where, {})
        for k in [k for k in target if k.casefold() == key.casefold()]:
            del target[k]  # one spelling per object (two would be refused as case-variant duplicates)
        if key == "spoofResult":
            target["spoofInfo"] = {"spoofResult": value}
        else:
            target[key] = value
    d = check({"Passed": "Y", "SubCode": "200", **{k: _dumps(v) for k, v in exts.items()}})
    assert d is not None
    assert (d.outcome is Outcome.APPROVED) == documented_success(
        {"Passed": "Y", "SubCode": "200", **{k: _dumps(v) for k, v in exts.items()}})
    assert d.outcome in (Outcome.APPROVED, Outcome.REVIEW)  # Alibaba's Passed=Y is never DECLINED by us


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=300), st.sampled_from([
    b'{"Code": "Success", "Result": {"Passed": "N", "Passed": "Y", "SubCode": "200"}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "passed": "N", "SubCode": "200"}}',
    b'{"Code": "Success", "Code": "Success", "Result": {"Passed": "Y", "SubCode": "200"}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "SubCode": "200", "SubCode": "205"}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": NaN}}',
    b"[" * 100000, b'{"Code": "Success", "Result": ' * 50 + b"{}" + b"}" * 50,
    b'{"Code": "Success", "Result": {"Passed": "Y", "SubCode": 200}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "SubCode": 2000000000000000000000}}',
])), status=st.sampled_from([200, 404, 500]))
def test_raw_bodies_are_typed(body: bytes, status: int) -> None:
    try:
        d = decide_bytes(body, status)
    except EkycError:
        return
    assert d.outcome is not Outcome.APPROVED or (status == 200 and documented_success(
        json.loads(body).get("Result")))


@pytest.mark.parametrize("body", [
    b'{"Code": "Success", "Result": {"Passed": "N", "Passed": "Y", "SubCode": "200"}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "passed": "Y", "SubCode": "200"}}',
    b'{"Code": "Success", "Result": {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": "{\\"faceAttack\\": \\"N\\", '
    b'\\"FaceAttack\\": \\"N\\"}"}}',
    b"[" * 100000,
])
def test_duplicate_keys_and_depth_are_provider_errors(body: bytes) -> None:
    with pytest.raises(ProviderError):
        decide_bytes(body)


@pytest.mark.parametrize("where", [
    {"ExtRiskInfo": _dumps({"face": {"faceAttack": "Y"}})},
    {"ExtBasicInfo": _dumps({"pages": [{"ocrIdPassed": "Y"}, {"OCRIDPASSED": "N"}]})},
    {"ExtInfo": _dumps({"spoofInfo": "N"})},
    {"FaceAttack": "Y"},  # a flag in Result itself
    {"ExtRiskInfo": _dumps({"spoofResult": "Y"})},
])
def test_flags_at_any_depth_count(where: dict[str, Any]) -> None:
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE),
                **where})
    assert d.outcome is Outcome.REVIEW


def test_conflicting_flags_in_two_places_never_approve() -> None:
    """``faceAttack: N`` in ExtFaceInfo next to ``FaceAttack: Y`` in ExtRiskInfo: contradictory → REVIEW."""
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE),
                "ExtRiskInfo": _dumps({"FaceAttack": "Y"})})
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.INCONSISTENT_EVIDENCE,)
    assert d.reasons[0].provider_code == "ExtFaceInfo.faceAttack=?"
    assert d.checks.liveness.passed is None
    # the same documented value in two places is consistent
    same = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE),
                   "ExtInfo": _dumps({"FaceAttack": "N"})})
    assert same.outcome is Outcome.APPROVED
    # next to Passed=N a contradiction is only a warning; the decline stands
    no = decide({"Passed": "N", "SubCode": "204", "ExtFaceInfo": _dumps({**OK_FACE, "facePassed": "N"}),
                 "ExtRiskInfo": _dumps({"faceattack": "Y"})})
    assert no.outcome is Outcome.DECLINED and no.reason_codes == (ReasonCode.FACE_MISMATCH,)
    assert ReasonCode.INCONSISTENT_EVIDENCE in [w.code for w in no.warnings]


@pytest.mark.parametrize(("source", "outcome", "codes"), [
    ({"govId": 1.0, "fullName": 1.0, "dob": 1.0, "selfiePhoto": 0.8777, "liveness": 0.1152,
      "imgManipulationScore": 0.2253}, Outcome.APPROVED, ()),
    ({"govId": 1.0, "fullName": 1.0, "dob": 0.9, "selfiePhoto": 0.8777}, Outcome.REVIEW, (ReasonCode.DATA_MISMATCH,)),
    ({"selfiePhoto": 0.8}, Outcome.REVIEW, (ReasonCode.FACE_MISMATCH,)),
    ({"liveness": 0.951}, Outcome.REVIEW, (ReasonCode.SPOOF_DETECTED,)),
    ({"imgManipulationScore": 0.99}, Outcome.REVIEW, (ReasonCode.DOCUMENT_TAMPERED,)),
    ({"voiceprint": 1.0}, Outcome.REVIEW, (ReasonCode.INCONSISTENT_EVIDENCE,)),
])
def test_ext_source_info(source: dict[str, float], outcome: Outcome, codes: tuple[ReasonCode, ...]) -> None:
    """The SDK documents ExtSourceInfo (Indonesian example): govId/fullName/dob 1.0 match; selfiePhoto > 0.8
    match; liveness > 0.95 and imgManipulationScore > 0.95 are risks; any other key is undocumented."""
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE),
                "ExtSourceInfo": _dumps(source)})
    assert d.outcome is outcome and d.reason_codes == codes


def test_vendor_keys_never_reach_reasons_verbatim() -> None:
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE),
                "ExtSourceInfo": _dumps({"Jane Sample X1234567": 1.0})})
    assert d.outcome is Outcome.REVIEW and d.reasons[0].provider_code == "ExtSourceInfo.?=?"
    assert "X1234567" not in repr(d.reasons) + repr(d.warnings)


@settings(max_examples=200, deadline=None)
@given(status=st.sampled_from([200, 400, 403, 404, 429, 500, 503, 418]),
       retry=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["1000", "-5", "1e3", "NaN", "inf", "١٠٠٠",
                                                                         "１０００", " 1000", "9" * 40, "0"])),
       code=st.one_of(st.none(), st.sampled_from(["Throttling.Api", "ProcessNotCompleted", "InternalError", "Success",
                                                  "x\n", "A" * 200]), st.integers()),
       rid=st.one_of(st.none(), st.text(max_size=90), st.integers()))
def test_error_responses_and_headers_are_typed(status: int, retry: str | None, code: Any, rid: Any) -> None:
    headers = {"x-acs-retry-after": retry} if retry is not None else {}
    body = json.dumps({"Code": code, "RequestId": rid, "Message": "Jane Sample X1234567"}).encode()
    try:
        response = httpx.Response(status, content=body, headers=headers)
    except (UnicodeEncodeError, ValueError):
        return  # not a header value an HTTP stack would deliver
    try:
        d = P.parse_result(P.build_result(REF), response)
    except EkycError as exc:
        retry_after = getattr(exc, "retry_after", None)
        assert retry_after is None or (math.isfinite(retry_after) and retry_after >= 0)
        assert "X1234567" not in str(exc) and "X1234567" not in repr(exc)
        return
    assert d.outcome is Outcome.PENDING  # only ProcessNotCompleted reads as a result here


# ---------------------------------------------------------------------------------------------------
# Return URLs and callbacks


@pytest.mark.parametrize("url", [
    "http://[::1/?token=a", "http://[::1/?ekyc_biz=abc&transactionId=t1", "https://a/?ekyc_biz=abc&transactionId=t1%0a",
    "https://a/?ekyc_biz=abc%0a&transactionId=t1", "https://a/?ekyc_biz=abc&transactionId=t1&TransactionId=t2",
    "https://a/?ekyc_biz=abc&EKYC_BIZ=abd&transactionId=t1", "https://a/?ekyc_biz=abc&transactionId=%ff",
    "https://a/?ekyc_biz=ab%C3&transactionId=t1", "https://a/?" + "x=1&" * 100 + "ekyc_biz=a&transactionId=t",
    "https://a/?ekyc_biz=abc&transactionId=" + "t" * 10000, "", "ekyc_biz=abc&transactionId=t1\n",
    "https://a/?ekyc_biz=abc&transactionId=٣", "https://a/?ekyc_biz=ａbc&transactionId=t1",
])
def test_hostile_return_urls_raise_webhook_verification_error(url: str) -> None:
    with pytest.raises(WebhookVerificationError):
        P.parse_return_url(url)


@pytest.mark.parametrize("value", [None, b"https://a/?ekyc_biz=abc&transactionId=t1", 5, ["x"], {"a": 1}])
def test_return_url_of_another_type(value: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        P.parse_return_url(value)


def test_good_return_url() -> None:
    ref = P.parse_return_url("https://app.example/back?x=1&ekyc_biz=abc&transactionId=t-1_A")
    assert (ref.id, ref.extra) == ("t-1_A", ("abc",))


def _callback(biz: str = "b1", tid: str = "t1", token: str | None = None, **extra: str) -> bytes:
    token = token if token is not None else callback_token(b"cbkey", biz)
    query = f"ekyc_biz={biz}&transactionId={tid}&passed=Y&subCode=200&callbackToken={token}"
    return (query + "".join(f"&{k}={v}" for k, v in extra.items())).encode()


@pytest.mark.parametrize("body", [
    b"http://[::1/?token=a", _callback(tid="t1%0a"), _callback(biz="b1%0a"), _callback(token="A" * 32),
    _callback(token=callback_token(b"cbkey", "b1").upper()), _callback(token="é" * 32), _callback(token=""),
    _callback(**{"CallbackToken": "x"}), _callback(**{"TRANSACTIONID": "t2"}), _callback(**{"EKYC_BIZ": "b2"}),
    _callback() + b"&x=" + b"a" * 9000, _callback(tid="t%ff"), b"\xff\xfe", b"", b"?",
    "ekyc_biz=b1".encode("utf-16"), _callback(biz="b2", token=callback_token(b"cbkey", "b1")),
])
def test_hostile_callbacks_raise_webhook_verification_error(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        P.parse_webhook(body, {})


@pytest.mark.parametrize("body", [None, 5, ["x"], object(), "ekyc_biz=b1\ud800"])
def test_callback_of_another_type(body: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        P.parse_webhook(body, {})


def test_good_callback_is_a_hint_only() -> None:
    event = P.parse_webhook(b"https://app.example/cb?" + _callback(), {"X-Anything": "\x00"})
    assert event.decision is None and event.authenticated == "token" and event.ref is not None
    assert event.ref.id == "t1" and event.ref.extra == ("b1",) and event.provider_status == "passed=Y,subCode=200"
    assert event.event_id == "t1:passed=Y,subCode=200"
    assert P.parse_webhook(_callback(), {}).event_id == event.event_id  # a repeated delivery de-duplicates


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.builds(
    lambda parts: "https://app.example/cb?" + "&".join(f"{k}={v}" for k, v in parts),
    st.lists(st.tuples(st.sampled_from(["ekyc_biz", "transactionId", "TransactionId", "transaction_id",
                                        "callbackToken", "passed", "subCode", "EKYC_BIZ", "x"]),
                       st.one_of(st.text(max_size=40), st.sampled_from(["b1", "t1", "%ff", "%0a", "٣",
                                                                         callback_token(b"cbkey", "b1")]))),
             max_size=8))),
       headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4))
def test_fuzz_return_urls_and_callbacks(text: str, headers: dict[str, str]) -> None:
    try:
        ref = P.parse_return_url(text)
    except WebhookVerificationError:
        pass
    else:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", ref.id) and re.fullmatch(r"[A-Za-z0-9]{1,32}", ref.extra[0])
    for body in (text.encode("utf-8", "surrogatepass"), text):
        try:
            event = P.parse_webhook(body, headers)  # type: ignore[arg-type]
        except WebhookVerificationError:
            continue
        assert event.ref is not None and event.decision is None
        assert callback_token(b"cbkey", event.ref.extra[0]) in text


# ---------------------------------------------------------------------------------------------------
# No secret or personal data in a logged URL or an exception chain

CANARY_USER = "user-canary-7731"
CANARY_META = "meta-canary-5521"


def _canary_request(**overrides: Any) -> Any:
    meta = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "h5", "ua": CANARY_META})
    return contract_request(reference=CANARY_USER, client_metadata=meta, **overrides)


def _canaries(p: AlibabaProvider, biz: str) -> list[str]:
    return [CANARY_USER, CANARY_META, callback_token(p._callback_key(), biz), "kyc%2Freturn", "kyc/return"]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "ekyc"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog


def test_no_secret_in_urls_or_logs(sandbox: Sandbox, all_logs: pytest.LogCaptureFixture) -> None:
    with sandbox.client() as client:
        session = client.create_session(_canary_request())
        sandbox.complete(session, "approved")
        assert client.get_result(session.ref).approved
        p = client.adapter("alibaba")
    assert isinstance(p, AlibabaProvider)
    logged = all_logs.text + " ".join(str(r.args) for r in all_logs.records)
    assert "HTTP Request: POST" in logged  # httpx did log the request URLs
    for canary in _canaries(p, session.ref.extra[0]):
        assert canary not in logged, canary
    prepared = p.build_create(_canary_request())
    for canary in _canaries(p, prepared.context["merchant_biz_id"]):
        assert canary not in str(prepared.request.url)



def test_no_secret_in_exception_chains() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    p = AlibabaProvider(AlibabaSettings(access_key_id="AK", access_key_secret="SK", callback_secret="cbkey",
                                        callback_url="https://app.example/cb"))
    request = _canary_request()
    prepared = p.build_create(request)
    with Client({"providers": {"alibaba": {"access_key_id": "AK", "access_key_secret": "SK",
                                           "callback_secret": "cbkey", "callback_url": "https://app.example/cb"}}},
                transport=httpx.MockTransport(refuse), sleep=lambda seconds: None) as client, \
            pytest.raises(ProviderUnavailable) as exc:
        client.create_session(request)
    texts = []
    for e in exception_chain(exc.value):
        texts += [str(e), repr(e)]
        req = getattr(e, "_request", None)
        if isinstance(req, httpx.Request):
            texts.append(str(req.url))
    joined = "\n".join(texts)
    # the client drops the chain at its boundary: the httpx error (and the request it holds) stays inside
    assert len(list(exception_chain(exc.value))) == 1
    for canary in [CANARY_USER, CANARY_META, callback_token(b"cbkey", prepared.context["merchant_biz_id"])]:
        assert canary not in joined


@pytest.mark.parametrize(("ext_id", "ext_face", "flag"), [
    ({k: v for k, v in OK_ID.items() if k != "ocrIdPassed"}, OK_FACE, "ExtIdInfo.ocrIdPassed"),
    ({**OK_ID, "ocrIdPassed": None}, OK_FACE, "ExtIdInfo.ocrIdPassed"),
    ({**OK_ID, "spoofInfo": {"spoofType": []}}, OK_FACE, "ExtIdInfo.spoofInfo.spoofResult"),
    ({**OK_ID, "spoofInfo": {"spoofResult": None}}, OK_FACE, "ExtIdInfo.spoofInfo.spoofResult"),
    (OK_ID, {k: v for k, v in OK_FACE.items() if k != "faceAttack"}, "ExtFaceInfo.faceAttack"),
    (OK_ID, {**OK_FACE, "facePassed": None}, "ExtFaceInfo.facePassed"),
])
def test_a_check_that_ran_must_report_its_verdict(ext_id: Any, ext_face: Any, flag: str) -> None:
    """A flag missing or null where the payload's own shape says its check ran is not a pass."""
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(ext_id), "ExtFaceInfo": _dumps(ext_face)})
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.INCONSISTENT_EVIDENCE,)
    assert d.reasons[0].provider_code == f"{flag}=?"


@pytest.mark.parametrize(("ext_id", "ext_face"), [
    (None, {"faceAttack": "N", "faceQualityScore": 88.0}),  # FACE_LIVENESS: no comparison, no facePassed
    ({"ocrIdInfo": {"passportNo": "X1"}, "ocrIdPassed": "Y"}, None),  # ID_OCR without IdSpoof: no spoofInfo
    (None, None),
])
def test_checks_that_did_not_run_need_no_verdict(ext_id: Any, ext_face: Any) -> None:
    d = decide({"Passed": "Y", "SubCode": "200", "ExtIdInfo": None if ext_id is None else _dumps(ext_id),
                "ExtFaceInfo": None if ext_face is None else _dumps(ext_face)})
    assert d.outcome is Outcome.APPROVED


@pytest.mark.parametrize("status", [201, 202, 204, 206, 301, 302, 304])
def test_a_result_comes_with_http_200_only(status: int) -> None:
    body = json.dumps({"RequestId": "R", "Code": "Success", "Result": {
        "Passed": "Y", "SubCode": "200", "ExtIdInfo": _dumps(OK_ID), "ExtFaceInfo": _dumps(OK_FACE)}}).encode()
    assert decide_bytes(body).approved
    with pytest.raises(ProviderError):
        decide_bytes(body, status)
    with pytest.raises(ProviderError):
        P.parse_create(P.build_create(contract_request()), httpx.Response(status, content=json.dumps(
            {"RequestId": "R", "Code": "Success", "Result": {"TransactionId": "t1",
                                                             "TransactionUrl": "https://x.example/v"}}).encode()))
