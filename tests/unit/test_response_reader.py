"""The one response reader of the provider contract (``Provider.read`` / ``read_result``) and the code-table
features it uses (``api_error`` entries, prefix rules, kinds that must exist)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import (
    AuthenticationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.models import (
    ALL_CHECKS,
    Decision,
    DocumentType,
    Outcome,
    ReasonCode,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)
from ekyc.provider import (
    CREATE_SESSION,
    GET_RESULT,
    Capabilities,
    Envelope,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
)
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request

TABLE = CodeTable("plain", [
    CodeEntry("status", "ok", "passed", "test", outcome=Outcome.APPROVED),
    CodeEntry("api_error", "Gone", "the session expired", "test", outcome=Outcome.EXPIRED,
              reason=ReasonCode.SESSION_EXPIRED),
    CodeEntry("api_error", "Busy.Now", "slow down", "test", error=RateLimited),
], {"status": "Statuses", "api_error": "API errors"}, error_prefixes=[("Auth.", AuthenticationError),
                                                                      ("Busy", ProviderUnavailable)])
REF = SessionRef(provider="plain", id="s1", reference="app-1")


class Plain(Provider):
    """Default envelope: the body is the payload, only the HTTP status reports errors."""

    name = "plain"
    display_name = "Plain"
    settings_model = ProviderSettings
    code_table = TABLE
    capabilities = Capabilities(
        check_sets=frozenset({frozenset(ALL_CHECKS)}), document_types=frozenset(DocumentType),
        reference_image=False, expected_identity=False, contact_email=False, return_url_required=False,
        client_metadata_required=False, create_retry=RetryMode.NOT_SENT, webhooks="none")

    def build_create(self, request: SessionRequest) -> Prepared:
        return Prepared(httpx.Request("POST", "https://plain.invalid/s"), CREATE_SESSION, RetryMode.NOT_SENT)

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        raise NotImplementedError

    def build_result(self, ref: SessionRef) -> Prepared:
        return Prepared(httpx.Request("GET", "https://plain.invalid/s/1"), GET_RESULT, RetryMode.READ, ref=ref)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        ref = prepared.require_ref()
        return self.read_result(prepared, response, lambda env: Decision(
            ref=ref, outcome=Outcome.APPROVED if env.body["status"] == "ok" else Outcome.DECLINED))

    def parse_return_url(self, url: str) -> SessionRef:
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise NotImplementedError


class Enveloped(Plain):
    """An ``{"error": {"code"}}`` envelope, answered with HTTP 200 like Tencent's."""

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            return Envelope(body=data, code=error.get("code"), message=error.get("message"), request_id="rid-1")
        if response.status_code >= 400:
            raise ValueError("a hook that fails on an error body: the status decides")
        return Envelope(body=data, request_id="rid-1")


def answer(p: Provider, status: int, content: bytes = b"", **headers: str) -> Decision:
    return p.parse_result(p.build_result(REF), httpx.Response(status, content=content, headers=headers))


# -- code table ---------------------------------------------------------------------------------------------


def test_an_unknown_kind_is_refused_not_unknown() -> None:
    assert TABLE.get("status", "nope") is None  # an unknown code of a known kind
    with pytest.raises(LookupError, match="statuz"):
        TABLE.get("statuz", "ok")
    with pytest.raises(LookupError):
        TABLE.of_kind("error")


def test_error_class_is_entry_then_prefix_then_nothing() -> None:
    assert TABLE.error_class("Busy.Now") is RateLimited  # the entry wins over the "Busy" prefix
    assert TABLE.error_class("Busy.Later") is ProviderUnavailable
    assert TABLE.error_class("Auth.Key") is AuthenticationError
    assert TABLE.error_class("AuthKey") is None and TABLE.error_class(None) is None
    assert TABLE.api_error("Gone") is not None and TABLE.api_error("status") is None


def test_prefix_rules_need_the_api_error_kind_and_are_rendered() -> None:
    with pytest.raises(ValueError):
        CodeTable("x", [], {"status": "S"}, error_prefixes=[("A", ProviderError)])
    page = TABLE.to_markdown()
    assert "| `Auth.` | `AuthenticationError` |" in page and "| `Busy` | `ProviderUnavailable` |" in page


# -- HTTP status → typed error ----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [
    (400, InvalidRequest), (401, AuthenticationError), (403, PermissionDenied), (404, SessionNotFound),
    (409, InvalidRequest), (422, InvalidRequest), (429, RateLimited), (500, ProviderUnavailable),
    (503, ProviderUnavailable), (418, ProviderError), (302, ProviderError), (204, ProviderError),
    (201, ProviderError),
])
@pytest.mark.parametrize("provider", [Plain, Enveloped])
def test_statuses_that_carry_no_result_are_typed(status: int, error: type[EkycError],
                                                 provider: type[Plain]) -> None:
    with pytest.raises(EkycError) as info:
        answer(provider(ProviderSettings()), status, b"<html>no</html>", **{"retry-after": "7"})
    assert type(info.value) is error and info.value.http_status == status
    if error is RateLimited:
        assert info.value.retry_after == 7.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("content", [b"", b"<html>", b'{"status": "ok"', b'{"status": "ok", "status": "ok"}'])
def test_a_result_status_needs_strict_json(content: bytes) -> None:
    with pytest.raises(ProviderError):
        answer(Plain(ProviderSettings()), 200, content)


def test_a_result_is_decided_and_shape_errors_are_provider_errors() -> None:
    assert answer(Plain(ProviderSettings()), 200, b'{"status": "ok"}').outcome is Outcome.APPROVED
    with pytest.raises(ProviderError, match="get_result"):
        answer(Plain(ProviderSettings()), 200, b'{"state": "ok"}')  # KeyError in decide


# -- the envelope hook ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code", "error"), [
    (200, "Busy.Now", RateLimited), (200, "Auth.Key", AuthenticationError), (200, "Busy.X", ProviderUnavailable),
    (200, "Other", ProviderError), (400, "Other", InvalidRequest), (403, "Auth.Key", AuthenticationError),
])
def test_an_envelope_error_goes_table_prefix_status(status: int, code: str, error: type[EkycError]) -> None:
    body = b'{"error": {"code": "%s", "message": "Jane Sample X1234567"}}' % code.encode()
    with pytest.raises(EkycError) as info:
        answer(Enveloped(ProviderSettings()), status, body)
    exc = info.value
    assert type(exc) is error and exc.provider_code == code and exc.request_id == "rid-1"
    assert "X1234567" not in str(exc)


def test_the_table_meaning_is_shown_not_the_provider_text() -> None:
    with pytest.raises(RateLimited) as info:
        answer(Enveloped(ProviderSettings()), 200, b'{"error": {"code": "Busy.Now", "message": "whatever"}}')
    assert "slow down" in str(info.value) and "whatever" not in str(info.value)


@pytest.mark.parametrize("status", [200, 404, 500])
def test_an_error_code_with_an_outcome_is_the_session_state(status: int) -> None:
    d = answer(Enveloped(ProviderSettings()), status, b'{"error": {"code": "Gone"}}')
    assert d.outcome is Outcome.EXPIRED and d.provider_status == "Gone" and d.reference == "app-1"
    assert d.reason_codes == (ReasonCode.SESSION_EXPIRED,)


def test_read_returns_the_envelope_and_raw_bytes_on_request() -> None:
    p = Enveloped(ProviderSettings())
    prepared = p.build_result(REF)
    env = p.read(prepared, httpx.Response(200, json={"status": "ok"}))
    assert env.body == {"status": "ok"} and env.request_id == "rid-1" and not env.failed
    assert p.read(prepared, httpx.Response(200, content=b"%PDF-1"), decode=False).body == b"%PDF-1"
    assert p.read(prepared, httpx.Response(201, json={}), ok={200, 201}).body == {}


def test_require_ref() -> None:
    p = Plain(ProviderSettings())
    with pytest.raises(TypeError):
        p.build_create(SessionRequest(reference="u")).require_ref()
    assert p.build_result(REF).require_ref() is REF


# -- the operation, named the same for every provider, in the client's events --------------------------------


def test_events_name_the_operation(provider: str, sandbox: Sandbox) -> None:
    """``call`` / ``error`` events carry ``Prepared.operation``: ``create_session`` and ``get_result`` for every
    provider in the registry (docs/routing.md, "Observability")."""
    events: list[tuple[str, dict[str, Any]]] = []
    with sandbox.client(hooks=[lambda name, fields: events.append((name, fields))], sleep=lambda s: None) as client:
        session = client.create_session(scenario_request(provider, "approved"), provider=provider)
        client.get_result(session.ref)
        sandbox.set_fault(provider, "503")
        with pytest.raises(EkycError):
            client.get_result(session.ref)
    calls = [(name, fields.get("operation")) for name, fields in events if name in ("call", "error")]
    assert calls == [("call", CREATE_SESSION), ("call", GET_RESULT), ("error", GET_RESULT)]
    retries = [fields.get("operation") for name, fields in events if name == "retry"]
    assert retries and set(retries) == {GET_RESULT}  # a 503 on a read is retried
