"""The adapter alone: request mapping, refusals before I/O, create de-duplication, return URLs, error
mapping and malformed responses (httpx.MockTransport / respx against the clients)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from ekyc import AsyncClient, Client
from ekyc.errors import (
    AuthenticationError,
    ConfigurationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
    UnsupportedFeature,
    WebhookVerificationError,
)
from ekyc.models import Check, DocumentType, ExpectedIdentity, Outcome, ReasonCode, SessionRef, SessionRequest
from ekyc.provider import RetryMode
from ekyc.providers.didit import CODE_TABLE, DiditProvider, DiditSettings

from .conftest import WORKFLOW, make_provider

SID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REF = SessionRef(provider="didit", id=SID)


def request(**kw: Any) -> SessionRequest:
    base: dict[str, Any] = {"reference": "user-1", "return_url": "https://app.example/back"}
    return SessionRequest(**{**base, **kw})


# -- create mapping ------------------------------------------------------------------------------------

def test_create_request_mapping() -> None:
    p = make_provider(callback_method="both")
    req = request(
        language="pt_BR", country="GB", contact_email="a@b.example", metadata={"plan": "pro"},
        document_types=(DocumentType.PASSPORT, DocumentType.DRIVERS_LICENSE, DocumentType.ID_CARD,
                        DocumentType.RESIDENCE_PERMIT),
        expected=ExpectedIdentity(given_name="Jane", family_name="Sample", date_of_birth=date(1990, 1, 2), sex="F",
                                  nationality="GB", document_number="X1", address="1 Road"),
    )
    p.check_request(req)
    prepared = p.build_create(req)
    r = prepared.request
    assert r.method == "POST" and str(r.url) == "https://didit.test/v3/session/"
    assert r.headers["x-api-key"] == "test-key"
    assert prepared.retry is RetryMode.IDEMPOTENT
    body = json.loads(r.content)
    assert body == {
        "workflow_id": WORKFLOW, "vendor_data": "user-1", "callback": "https://app.example/back",
        "callback_method": "both", "language": "pt-BR", "metadata": {"plan": "pro"},
        "contact_details": {"email": "a@b.example"},
        "expected_details": {"first_name": "Jane", "last_name": "Sample", "date_of_birth": "1990-01-02",
                             "gender": "F", "nationality": "GBR", "identification_number": "X1",
                             "address": "1 Road", "expected_document_types": ["P", "DL", "ID", "RP"],
                             "country": "GBR", "id_country": "GBR"},
    }


def test_default_base_url_and_per_request_workflow() -> None:
    p = DiditProvider(DiditSettings(api_key="k", workflow_id=WORKFLOW))
    other = "99999999-2222-4333-8444-555555555555"
    req = request(provider_options={"didit": {"workflow_id": other, "sandbox_scenario": "approved"}})
    p.check_request(req)
    prepared = p.build_create(req)
    assert str(prepared.request.url) == "https://verification.didit.me/v3/session/"
    body = json.loads(prepared.request.content)
    assert body["workflow_id"] == other and body["sandbox_scenario"] == "approved"
    assert str(p.build_result(REF).request.url) == f"https://verification.didit.me/v3/session/{SID}/decision/"


IMAGE = "aGVsbG8="


@pytest.mark.parametrize(("kw", "field"), [
    ({"reference_image": IMAGE}, "reference_image"),
    ({"document_types": (DocumentType.OTHER,)}, "document_types"),
    ({"expected": ExpectedIdentity(full_name="Jane Sample")}, "expected.full_name"),
    ({"expected": ExpectedIdentity(sex="X")}, "expected.sex"),
    ({"language": "tlh"}, "language"),
    ({"provider_options": {"didit": {"colour": "blue"}}}, "provider_options.didit.colour"),
    ({"provider_options": {"didit": {"callback_method": "fax"}}}, "provider_options.didit.callback_method"),
    ({"provider_options": {"didit": {"workflow_id": "nope"}}}, "provider_options.didit.workflow_id"),
    ({"checks": frozenset({Check.FACE_MATCH})}, "checks"),
])
def test_unsupported_is_refused_before_io(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        make_provider().check_request(request(**kw))
    assert info.value.field == field


def test_reference_image_needs_a_biometric_workflow() -> None:
    req = request(reference_image=IMAGE, checks=frozenset({Check.LIVENESS, Check.FACE_MATCH}),
                  provider_options={"didit": {"biometric_workflow": True}})
    p = make_provider()
    p.check_request(req)
    assert json.loads(p.build_create(req).request.content)["portrait_image"] == IMAGE
    make_provider(biometric_workflow=True).check_request(request(reference_image=IMAGE))


def test_missing_workflow_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        make_provider(workflow_id=None).check_request(request())
    assert info.value.field == "providers.didit.workflow_id"


def test_refusal_happens_before_any_io() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route()
        with Client({"providers": {"didit": {"api_key": "k", "workflow_id": WORKFLOW}}}) as client, \
                pytest.raises(UnsupportedFeature):
            client.create_session(request(document_types=(DocumentType.OTHER,)))
        assert not route.called


def test_settings_from_env() -> None:
    from ekyc.settings import Settings

    s = Settings.from_env({"DIDIT_API_KEY": "k1", "DIDIT_WORKFLOW_ID": WORKFLOW, "DIDIT_WEBHOOK_SECRET": "w1",
                           "DIDIT_WEBHOOK_SECRETS": "w0, w-1"})
    ps = s.provider_settings("didit")
    assert isinstance(ps, DiditSettings)
    assert ps.all_webhook_secrets() == ["w1", "w0", "w-1"]
    assert "k1" not in repr(ps) and "w1" not in repr(ps)


# -- create response -----------------------------------------------------------------------------------

def _response(status: int = 201, body: Any = None, *, content: bytes | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
    if content is None:
        content = json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers or {})


def _created(status: str = "Not Started", **extra: Any) -> dict[str, Any]:
    return {"session_id": SID, "session_number": 1, "session_token": "tok", "url": "https://verify.didit.me/session/tok",
            "vendor_data": "user-1", "status": status, "workflow_id": WORKFLOW, **extra}


def test_parse_create_and_reused_rule() -> None:
    p = make_provider()
    prepared = p.build_create(request())
    first = p.parse_create(prepared, _response(body=_created()))
    assert first.ref == REF and first.url.endswith("/session/tok") and first.reused is False
    again = p.parse_create(prepared, _response(body=_created()))
    assert again.reused is True  # the same session id handed back
    fresh = make_provider()
    assert fresh.parse_create(prepared, _response(body=_created("In Progress"))).reused is True
    no_url = _created()
    del no_url["url"]
    assert fresh.parse_create(prepared, _response(body={**no_url, "session_id": SID.replace("3f", "4f")})).url \
        == "https://verify.didit.me/session/tok"


# -- return URL ----------------------------------------------------------------------------------------

def test_return_url() -> None:
    p = make_provider()
    ref = p.parse_return_url(f"https://app.example/back?x=1&verificationSessionId={SID.upper()}&status=Approved")
    assert ref == REF


@pytest.mark.parametrize("url", [
    "https://app.example/back?status=Approved",
    "https://app.example/back?verificationSessionId=../../etc&status=Approved",
    "https://app.example/back?verificationSessionId=",
    f"https://app.example/back?verificationSessionId={SID}&verificationSessionId=" + SID.replace("3", "4"),
    "not a url at all",
])
def test_bad_return_urls(url: str) -> None:
    with pytest.raises(WebhookVerificationError):
        make_provider().parse_return_url(url)


def test_foreign_or_garbage_ref_for_result() -> None:
    p = make_provider()
    with pytest.raises(InvalidRequest):
        p.build_result(SessionRef(provider="didit", id="../x"))


# -- errors and malformed responses (through the clients) -----------------------------------------------

def _client(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    settings = {"providers": {"didit": {"api_key": "k", "workflow_id": WORKFLOW}}, "retry": {"max_attempts": 2}}
    return Client(settings, transport=httpx.MockTransport(handler), sleep=lambda s: None)


def _aclient(handler: Callable[[httpx.Request], httpx.Response]) -> AsyncClient:
    settings = {"providers": {"didit": {"api_key": "k", "workflow_id": WORKFLOW}}, "retry": {"max_attempts": 2}}

    async def no_sleep(s: float) -> None:
        return None

    return AsyncClient(settings, transport=httpx.MockTransport(handler), sleep=no_sleep)


ERRORS = [
    (400, {"detail": "Invalid vendor_data 'jane.doe@example.com' 123456789"}, InvalidRequest, None),
    (400, {"workflow_id": ["Workflow not found."]}, InvalidRequest, None),
    (401, {"detail": "Invalid API key"}, AuthenticationError, None),
    (403, {"detail": "Authentication credentials were not provided or are invalid."}, AuthenticationError, None),
    (403, {"detail": "Billing suspended", "code": "contract_billing_suspended"}, PermissionDenied,
     "contract_billing_suspended"),
    (403, {"detail": "You do not have permission to perform this action."}, PermissionDenied, None),
    (404, {"detail": "Not found."}, SessionNotFound, None),
    (409, {"detail": "Conflict"}, InvalidRequest, None),
    (429, {"detail": "Request was throttled."}, RateLimited, None),
    (500, None, ProviderUnavailable, None),
    (502, None, ProviderUnavailable, None),
    (503, {"detail": "down"}, ProviderUnavailable, None),
]


@pytest.mark.parametrize(("status", "body", "error", "code"), ERRORS)
def test_error_mapping(status: int, body: Any, error: type[EkycError], code: str | None) -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        headers = {"x-request-id": "req-77", "Retry-After": "3"}
        if body is None:
            return httpx.Response(status, content=b"<html>Bad Gateway</html>", headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    with _client(handler) as client, pytest.raises(error) as info:
        client.get_result(REF)
    exc = info.value
    assert exc.http_status == status and exc.provider == "didit" and exc.request_id == "req-77"
    assert exc.provider_code == code
    text = str(exc)
    for secret in ("jane.doe@example.com", "123456789", "'jane"):
        assert secret not in text
    if status == 429:
        assert isinstance(exc, RateLimited) and exc.retry_after == 3.0
    if body == {"workflow_id": ["Workflow not found."]}:
        assert exc.field == "workflow_id"
    assert len(calls) == (2 if status in (429, 502, 503) else 1)


def test_create_is_retried_on_503_because_didit_deduplicates() -> None:
    answers = iter([httpx.Response(503, text="busy"), httpx.Response(201, json=_created())])
    with _client(lambda req: next(answers)) as client:
        assert client.create_session(request()).ref == REF.model_copy(update={"reference": request().reference})


def test_redirect_without_trailing_slash_is_typed() -> None:
    with _client(lambda req: httpx.Response(301, headers={"Location": "/x/"})) as client, \
            pytest.raises(ProviderError):
        client.get_result(REF)


MALFORMED = [
    ("truncated", b'{"session_id": "' + SID.encode() + b'", "status": "Appro'),
    ("html", b"<!doctype html><h1>Welcome</h1>"),
    ("empty", b""),
    ("list", b"[]"),
    ("status_type", json.dumps({"session_id": SID, "status": 1}).encode()),
    ("no_status", json.dumps({"session_id": SID}).encode()),
    ("array_type", json.dumps({"session_id": SID, "status": "Approved", "id_verifications": "x"}).encode()),
    ("item_type", json.dumps({"session_id": SID, "status": "Approved", "liveness_checks": ["x"]}).encode()),
    ("score_type", json.dumps({"session_id": SID, "status": "Approved",
                               "face_matches": [{"status": "Approved", "score": "99"}]}).encode()),
    ("score_range", json.dumps({"session_id": SID, "status": "Approved",
                                "face_matches": [{"status": "Approved", "score": 250}]}).encode()),
    ("bad_date", json.dumps({"session_id": SID, "status": "Approved",
                             "id_verifications": [{"status": "Approved", "date_of_birth": "31/31/1990"}]}).encode()),
    ("name_type", json.dumps({"session_id": SID, "status": "Approved",
                              "id_verifications": [{"status": "Approved", "first_name": {"x": 1}}]}).encode()),
    ("warnings_type", json.dumps({"session_id": SID, "status": "Approved",
                                  "liveness_checks": [{"status": "Approved", "warnings": "LOW"}]}).encode()),
    ("other_session", json.dumps({"session_id": SID.replace("3f", "00"), "status": "Approved"}).encode()),
]


@pytest.mark.parametrize(("name", "content"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_results_are_typed_sync(name: str, content: bytes) -> None:
    with _client(lambda req: httpx.Response(200, content=content)) as client, pytest.raises(ProviderError):
        client.get_result(REF)


@pytest.mark.parametrize(("name", "content"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_results_are_typed_async(name: str, content: bytes) -> None:
    async with _aclient(lambda req: httpx.Response(200, content=content)) as client:
        with pytest.raises(ProviderError):
            await client.get_result(REF)


@pytest.mark.parametrize("content", [b"", b"<html>", b"{}", b'{"session_id": 5}', b'{"session_id": "x", "url": 1}',
                                     json.dumps({"session_id": SID, "url": "javascript:alert(1)"}).encode()])
def test_malformed_create_is_typed(content: bytes) -> None:
    with _client(lambda req: httpx.Response(201, content=content)) as client, pytest.raises(ProviderError):
        client.create_session(request())


# -- normalization details -------------------------------------------------------------------------------

def _decide(data: dict[str, Any]) -> Any:
    p = make_provider()
    return p.parse_result(p.build_result(REF), _response(200, {"session_id": SID, "environment": "live", **data}))


def test_unknown_status_fails_closed() -> None:
    d = _decide({"status": "Super Approved"})
    assert d.outcome is Outcome.ERROR
    assert d.reasons[0].code is ReasonCode.UNKNOWN and d.reasons[0].provider_code == "Super Approved"


def test_unknown_risk_keeps_the_code() -> None:
    d = _decide({"status": "Declined", "liveness_checks": [
        {"status": "Declined", "warnings": [{"risk": "BRAND_NEW_RISK"}]}]})
    assert d.outcome is Outcome.DECLINED
    assert [(r.code, r.provider_code) for r in d.reasons] == [(ReasonCode.UNKNOWN, "BRAND_NEW_RISK")]


def test_approved_with_a_declined_feature_is_not_approved() -> None:
    d = _decide({"status": "Approved", "face_matches": [{"status": "Declined", "score": 10, "warnings": [
        {"risk": "LOW_FACE_MATCH_SIMILARITY", "log_type": "error"}]}]})
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.FACE_MISMATCH,)
    manual = _decide({"status": "Approved", "reviews": [{"user": "API Client", "new_status": "Approved",
                                                         "created_at": "2026-01-02T03:04:05Z"}],
                      "face_matches": [{"status": "Declined", "score": 10, "warnings": [
                          {"risk": "LOW_FACE_MATCH_SIMILARITY", "log_type": "error"}]}]})
    assert manual.outcome is Outcome.APPROVED and manual.reasons == ()
    assert [w.code for w in manual.warnings] == [ReasonCode.FACE_MISMATCH]
    assert manual.completed_at is not None and manual.completed_at.year == 2026


def test_declined_without_warnings_gets_unknown() -> None:
    d = _decide({"status": "Declined", "id_verifications": None, "liveness_checks": []})
    assert d.reason_codes == (ReasonCode.UNKNOWN,) and d.reasons[0].provider_code == "Declined"


def test_identity_and_checks_normalization() -> None:
    d = _decide({"status": "Approved", "unknown_field": {"x": 1},
                 "id_verifications": [{"status": "Approved", "document_type": "Driver's License",
                                       "issuing_state": "ES", "gender": "U", "first_name": "Ana",
                                       "last_name": "Pérez", "date_of_birth": "1985-07-08",
                                       "expiration_date": "2030-01-01", "nationality": "ESP",
                                       "document_number": "D1", "formatted_address": "C/ Mayor 1, Madrid"}],
                 "liveness_checks": [{"status": "Approved", "score": 89.92}],
                 "face_matches": [{"status": "In Review", "score": None}]})
    ident = d.identity
    assert ident.document_type is DocumentType.DRIVERS_LICENSE and ident.issuing_country == "ESP"
    assert ident.sex is None and ident.full_name == "Ana Pérez" and ident.address == "C/ Mayor 1, Madrid"
    assert ident.date_of_birth == date(1985, 7, 8) and ident.expiry_date == date(2030, 1, 1)
    assert d.checks.liveness.passed is True and d.checks.liveness.score == 89.92
    assert d.checks.face_match.passed is None
    assert d.outcome is Outcome.REVIEW  # Approved with a feature In Review is a contradiction
    for raw, expected in (("Passport", DocumentType.PASSPORT), ("Identity Card", DocumentType.ID_CARD),
                          ("Residence Permit", DocumentType.RESIDENCE_PERMIT), ("Visa", DocumentType.OTHER)):
        got = _decide({"status": "Not Started", "id_verifications": [{"document_type": raw}]})
        assert got.identity.document_type is expected and got.outcome is Outcome.PENDING


@pytest.mark.parametrize("entry", CODE_TABLE.of_kind("api_error"), ids=lambda e: e.code)
def test_error_table_matches_the_adapter(entry: Any) -> None:
    status = {"contract_billing_suspended": 403, "application_deleted": 403, "5xx": 503}.get(entry.code)
    body: dict[str, Any] = {"detail": "x"}
    if status is None:
        status = int(entry.code)
    else:
        body["code"] = entry.code if not entry.code[0].isdigit() else None
    p = make_provider()
    with pytest.raises(EkycError) as info:
        p.read(p.build_result(REF), httpx.Response(status, json=body))
    assert type(info.value) is entry.error
