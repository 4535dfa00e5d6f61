"""Reliability across every registered provider: injected faults never produce an untyped exception or a
false APPROVED, never lose or duplicate a session."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ekyc import Client, EkycError, Outcome, ProviderError
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request

Mutation = Callable[[httpx.Response], httpx.Response]


def _copy(r: httpx.Response, **kw: object) -> httpx.Response:
    headers = {k: v for k, v in r.headers.items() if k.lower() not in ("content-length", "content-encoding")}
    return httpx.Response(kw.get("status", r.status_code), headers=headers,  # type: ignore[arg-type]
                          content=kw.get("content", r.content))  # type: ignore[arg-type]


MUTATIONS: dict[str, Mutation] = {
    "truncated": lambda r: _copy(r, content=r.content[: len(r.content) // 2]),
    "html": lambda r: _copy(r, content=b"<html><body>502 Bad Gateway</body></html>"),
    "empty": lambda r: _copy(r, content=b""),
    "json-null": lambda r: _copy(r, content=b"null"),
    "json-list": lambda r: _copy(r, content=b"[1, 2, 3]"),
    "500": lambda r: _copy(r, status=500, content=b"oops"),
    "503": lambda r: _copy(r, status=503, content=b""),
    "429": lambda r: _copy(r, status=429, content=b"{}"),
}


class Faulty(httpx.BaseTransport):
    """Passes requests to the sandbox, then mutates the responses of result calls."""

    def __init__(self, inner: httpx.BaseTransport, mutation: Mutation | None, timeout: bool = False) -> None:
        self.inner, self.mutation, self.timeout, self.sends = inner, mutation, timeout, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sends += 1
        if self.timeout:
            raise httpx.ReadTimeout("injected", request=request)
        response = self.inner.handle_request(request)
        response.read()
        return self.mutation(response) if self.mutation else response


@pytest.mark.parametrize("fault", [*MUTATIONS, "read-timeout"])
def test_result_faults_are_typed_and_never_approve(client: Client, sandbox: Sandbox, provider: str,
                                                   fault: str) -> None:
    session = client.create_session(scenario_request(provider, "approved"), provider=provider)
    sandbox.complete(session, "approved")
    assert client.get_result(session.ref).approved  # the real answer is APPROVED
    faulty = Faulty(sandbox.transport(), MUTATIONS.get(fault), timeout=fault == "read-timeout")
    with sandbox.client({"retry": {"max_attempts": 2}}, transport=faulty, sleep=lambda s: None) as faulty_client:
        try:
            decision = faulty_client.get_result(session.ref)
        except EkycError:
            pass  # typed
        else:
            assert decision.outcome is not Outcome.APPROVED, f"{fault} produced APPROVED"


@pytest.mark.parametrize("fault", ["read-timeout", "500"])
def test_an_ambiguous_create_failure_is_not_repeated(sandbox: Sandbox, provider: str, fault: str) -> None:
    """A create whose outcome is unknown is sent once unless the provider de-duplicates creates."""
    faulty = Faulty(sandbox.transport(), MUTATIONS.get(fault), timeout=fault == "read-timeout")
    with sandbox.client({"retry": {"max_attempts": 3}}, transport=faulty, sleep=lambda s: None) as client, \
            pytest.raises(EkycError):
        client.create_session(scenario_request(provider, "approved"), provider=provider)
    idempotent = client.adapter(provider).capabilities.create_retry.value == "idempotent"
    assert faulty.sends == 1 or (idempotent and fault == "read-timeout")


@pytest.mark.parametrize(("status", "html"), [(202, False), (500, False), (502, True)])
def test_an_unexpected_status_names_its_request(client: Client, sandbox: Sandbox, provider: str, status: int,
                                                html: bool) -> None:
    """A result answered with a status the call does not expect — a 202, a 500 carrying the result's own body, a
    gateway's HTML 502 — is a typed error that keeps the provider's request id from the headers: adapters read it
    only for error answers they recognise, the reader for every other one."""
    session = client.create_session(scenario_request(provider, "approved"), provider=provider)
    sandbox.complete(session, "approved")
    ids = {"x-request-id": "req-unexpected-1", "request-id": "req-unexpected-1"}

    def unexpected(r: httpx.Response) -> httpx.Response:
        if html:
            return httpx.Response(status, headers={**ids, "content-type": "text/html"}, content=b"<h1>Bad gateway</h1>")
        return httpx.Response(status, headers={**ids, "content-type": "application/json"}, content=r.content)

    faulty = Faulty(sandbox.transport(), unexpected)
    with sandbox.client(transport=faulty, sleep=lambda s: None) as faulty_client, \
            pytest.raises(EkycError) as caught:
        faulty_client.get_result(session.ref)
    assert caught.value.http_status == status
    assert status != 202 or isinstance(caught.value, ProviderError)  # not the documented answer
    if faulty_client.adapter(provider).request_id(httpx.Response(status, headers=ids)) is not None:
        assert caught.value.request_id == "req-unexpected-1"  # a provider that sends it in a header
