"""The adapter alone (sans-I/O): form encoding, the return URL, error envelopes, webhooks and the evidence rule on
hand-made VerificationSession payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from ekyc import Outcome, ReasonCode
from ekyc.errors import (
    AuthenticationError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
    WebhookVerificationError,
)
from ekyc.models import SessionRef, SessionRequest
from ekyc.provider import Prepared, RetryMode
from ekyc.providers.stripe import StripeProvider, StripeSettings, signing
from ekyc.providers.stripe.adapter import encode_form, with_return_param

KEY = "rk_test_unit0000000000"
SECRET = "whsec_unit"
NOW = 1_700_000_000.0


def adapter(**settings: Any) -> StripeProvider:
    return StripeProvider(StripeSettings(api_key=KEY, webhook_secret=SECRET, **settings), clock=lambda: NOW)


REF = SessionRef(provider="stripe", id="vs_123", extra=("l1s1i0",))


def session(**changes: Any) -> dict[str, Any]:
    report = {
        "id": "vr_1", "object": "identity.verification_report", "client_reference_id": "user-1", "created": 1,
        "livemode": False, "type": "document", "verification_session": "vs_123",
        "options": {"document": {}, "id_number": {}},
        "document": {"status": "verified", "error": None, "first_name": "JANE", "last_name": "SAMPLE",
                     "dob": {"day": 2, "month": 1, "year": 1990}, "issuing_country": "GB", "type": "passport",
                     "number": "X1", "expiration_date": {"day": 6, "month": 5, "year": 2031}},
        "selfie": {"status": "verified", "error": None},
    }
    data = {
        "id": "vs_123", "object": "identity.verification_session", "client_reference_id": "user-1",
        "livemode": False, "status": "verified", "type": "document", "last_error": None, "redaction": None,
        "options": {"document": {"require_live_capture": True, "require_matching_selfie": True}},
        "last_verification_report": report, "verified_outputs": {"first_name": "JANE", "last_name": "SAMPLE"},
    }
    data.update(changes)
    return data


def decide(data: dict[str, Any], ref: SessionRef = REF, **settings: Any) -> Any:
    a = adapter(**settings)
    prepared = a.build_result(ref)
    return a.parse_result(prepared, httpx.Response(200, content=json.dumps(data).encode()))


def test_form_encoding_is_stripes() -> None:
    body = encode_form({"type": "document", "options": {"document": {"allowed_types": ["passport", "id_card"],
                                                                     "require_matching_selfie": True}},
                        "metadata": {"a": "1"}, "skip": None})
    assert body.decode() == ("type=document&options%5Bdocument%5D%5Ballowed_types%5D%5B0%5D=passport"
                             "&options%5Bdocument%5D%5Ballowed_types%5D%5B1%5D=id_card"
                             "&options%5Bdocument%5D%5Brequire_matching_selfie%5D=true&metadata%5Ba%5D=1")


def test_create_request() -> None:
    a = adapter()
    req = SessionRequest(reference="user-1", return_url="https://app.example/back?x=1#top",
                         metadata={"n": 2, "ok": True})
    prepared = a.build_create(req)
    assert prepared.retry is RetryMode.IDEMPOTENT and prepared.request.method == "POST"
    assert prepared.request.headers["authorization"] == f"Bearer {KEY}"
    key = prepared.request.headers["idempotency-key"]
    assert a.build_create(req).request.headers["idempotency-key"] == key  # every attempt of one call
    other = SessionRequest(reference="user-1")
    assert a.build_create(other).request.headers["idempotency-key"] != key
    form = httpx.QueryParams(prepared.request.content.decode())
    assert form["client_reference_id"] == "user-1" and form["metadata[n]"] == "2" and form["metadata[ok]"] == "true"
    assert form["return_url"] == "https://app.example/back?x=1&verification_session={VERIFICATION_SESSION_ID}#top"
    assert with_return_param(form["return_url"]) == form["return_url"]
    mine = SessionRequest(reference="u", provider_options={"stripe": {"idempotency_key": "user-u-1"}})
    assert a.build_create(mine).request.headers["idempotency-key"] == "user-u-1"


@pytest.mark.parametrize("bad", [{"idempotency_key": "has space"}, {"colour": 1}, {"require_id_number": "yes"}])
def test_bad_options_are_refused_before_io(bad: dict[str, Any]) -> None:
    from ekyc.errors import UnsupportedFeature

    with pytest.raises(UnsupportedFeature):
        adapter().check_request(SessionRequest(reference="u", provider_options={"stripe": bad}))


def test_result_read_expands_sensitive_fields_only_with_a_restricted_key_or_the_setting() -> None:
    assert "expand%5B2%5D=verified_outputs.dob" in str(adapter().build_result(REF).request.url)
    plain = StripeProvider(StripeSettings(api_key="sk_test_x"))
    assert "verified_outputs.dob" not in str(plain.build_result(REF).request.url)
    forced = StripeProvider(StripeSettings(api_key="sk_test_x", sensitive_results=True))
    assert "verified_outputs.dob" in str(forced.build_result(REF).request.url)


def test_verified_with_every_check_verified_approves() -> None:
    d = decide(session())
    assert d.outcome is Outcome.APPROVED and d.reference == "user-1"
    assert d.identity.full_name == "JANE SAMPLE" and d.identity.issuing_country == "GBR"


@pytest.mark.parametrize("change", [
    lambda s: s.update(last_verification_report="vr_1"),  # not expanded
    lambda s: s.update(last_verification_report=None),
    lambda s: s["last_verification_report"].update(verification_session="vs_other"),
    lambda s: s["last_verification_report"]["selfie"].update(status="pending"),
    lambda s: s["last_verification_report"].pop("selfie"),
    lambda s: s.update(livemode=True),
    lambda s: s["last_verification_report"].update(client_reference_id="user-2"),
    lambda s: s["options"]["document"].update(require_matching_selfie=False),
    lambda s: s.update(last_error={"code": "selfie_face_mismatch", "reason": None}),
])
def test_verified_with_doubt_is_review(change: Any) -> None:
    data = copy.deepcopy(session())
    change(data)
    d = decide(data)
    assert d.outcome is Outcome.REVIEW and ReasonCode.INCONSISTENT_EVIDENCE in d.reason_codes


def test_requires_input_rule() -> None:
    assert decide(session(status="requires_input", last_verification_report=None)).outcome is Outcome.PENDING
    failed = session(status="requires_input", last_error={"code": "document_expired", "reason": "x"})
    failed["last_verification_report"]["document"].update(status="unverified", error={"code": "document_expired"})
    d = decide(failed)
    assert d.outcome is Outcome.DECLINED and d.reason_codes == (ReasonCode.DOCUMENT_EXPIRED,)
    assert d.checks.document.passed is False
    canceled = decide(session(status="canceled", last_error={"code": "selfie_face_mismatch", "reason": None},
                              last_verification_report=None))
    assert canceled.outcome is Outcome.DECLINED and not canceled.reasons[0].retryable
    assert decide(session(status="canceled", last_verification_report=None)).outcome is Outcome.ABANDONED
    assert decide(session(status="brand_new")).outcome is Outcome.ERROR


@pytest.mark.parametrize("data", [
    session(id="vs_999"), session(object="identity.verification_report"),
    session(last_verification_report={**session()["last_verification_report"],
                                       "document": {"status": "verified", "issuing_country": "gb"}}),
])
def test_malformed_payloads_are_provider_errors(data: dict[str, Any]) -> None:
    with pytest.raises(ProviderError):
        decide(data)


def test_redacted_session_gives_no_identity() -> None:
    d = decide(session(redaction={"status": "redacted"}, client_reference_id="[redacted]"))
    assert d.identity.is_empty() and d.reference is None


@pytest.mark.parametrize(("status", "body", "error", "code"), [
    (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_****"}},
     AuthenticationError, None),
    (403, {"error": {"type": "invalid_request_error", "message": "no"}}, PermissionDenied, None),
    (404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "id",
                     "message": "No such verification session: 'vs_1'"}}, SessionNotFound, "resource_missing"),
    (400, {"error": {"type": "invalid_request_error", "code": "parameter_unknown", "param": "colour",
                     "message": "Received unknown parameter: colour"}}, InvalidRequest, "parameter_unknown"),
    (400, {"error": {"type": "idempotency_error", "message": "Keys for idempotent requests"}}, InvalidRequest, None),
    (409, {"error": {"type": "invalid_request_error", "code": "idempotency_key_in_use", "message": "busy"}},
     RateLimited, "idempotency_key_in_use"),
    (429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "slow down"}}, RateLimited,
     "rate_limit"),
    (500, {"error": {"type": "api_error", "message": "oops"}}, ProviderUnavailable, None),
    (502, "<html>bad gateway</html>", ProviderUnavailable, None),
])
def test_error_envelopes_are_typed(status: int, body: Any, error: type[Exception], code: str | None) -> None:
    a = adapter()
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = httpx.Response(status, content=content, headers={"Request-Id": "req_abc"})
    with pytest.raises(error) as exc:
        a.parse_result(a.build_result(REF), response)
    assert getattr(exc.value, "provider_code", None) == code
    assert getattr(exc.value, "request_id", None) == "req_abc"


def _event(obj: dict[str, Any], kind: str = "identity.verification_session.verified") -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": kind, "created": int(NOW),
                       "data": {"object": obj}}).encode()


def test_webhooks() -> None:
    a = adapter()
    body = _event({"id": "vs_123", "object": "identity.verification_session", "status": "verified"})
    event = a.parse_webhook(body, signing.sign(body, [SECRET], int(NOW)))
    assert event.ref is not None and event.ref.id == "vs_123" and event.provider_status == "verified"
    other = _event({"id": "ch_1", "object": "charge"}, "charge.succeeded")
    assert a.parse_webhook(other, signing.sign(other, [SECRET], int(NOW))).ref is None
    for bad in (_event({"id": "bad id", "object": "identity.verification_session"}),
                _event({"id": "vs_1", "object": "charge"}), b'{"object":"event","id":"evt_1"}'):
        with pytest.raises(WebhookVerificationError):
            a.parse_webhook(bad, signing.sign(bad, [SECRET], int(NOW)))
    rotated = adapter(webhook_secrets=("whsec_old",))
    assert rotated.parse_webhook(body, signing.sign(body, ["whsec_old"], int(NOW))).ref is not None


@pytest.mark.parametrize("url", [
    "https://app.example/back", "https://app.example/back?verification_session=vs_1&verification_session=vs_2",
    "https://app.example/back?verification_session={VERIFICATION_SESSION_ID}",
    "https://app.example/back?verification_session=vs_1%0A", 12,
])
def test_return_urls_without_one_session_are_refused(url: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        adapter().parse_return_url(url)


def test_return_url_names_the_session_only() -> None:
    ref = adapter().parse_return_url("https://app.example/back?status=verified&verification_session=vs_42")
    assert ref.id == "vs_42" and ref.extra == ()


def test_prepared_shape() -> None:
    prepared = adapter().build_result(REF)
    assert isinstance(prepared, Prepared) and prepared.retry is RetryMode.READ


def test_the_key_mode_follows_settings_replaced_on_the_adapter() -> None:
    ad = StripeProvider(StripeSettings(api_key="sk_test_x"))
    assert ad.livemode() is False and ad.livemode() is False
    ad.settings = StripeSettings(api_key="rk_live_x")
    assert ad.livemode() is True
    ad.settings = StripeSettings(api_key="pk_other")
    assert ad.livemode() is None
    ad.settings = StripeSettings(api_key="sk_test_y")
    assert ad.livemode() is False
