"""A client's own pool is sent through its transport directly (ekyc._http): no cookie jar filled by every response,
the same transport, timeouts and errors; an application's own http_client and proxies from the environment
still go through httpx's client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ekyc import AsyncClient, Client, Outcome, ProviderUnavailable
from ekyc._http import env_proxies
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request


class _Cookies(httpx.BaseTransport):
    """The sandbox, with a ``Set-Cookie`` on every response; notes the Cookie header each request carried."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.headers.get("cookie"))
        response = self.inner.handle_request(request)
        response.read()
        headers = [*response.headers.multi_items(), ("set-cookie", "sid=user-a; Path=/")]
        return httpx.Response(response.status_code, headers=headers, content=response.content)


class _AsyncCookies(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.headers.get("cookie"))
        response = await self.inner.handle_async_request(request)
        await response.aread()
        headers = [*response.headers.multi_items(), ("set-cookie", "sid=user-a; Path=/")]
        return httpx.Response(response.status_code, headers=headers, content=response.content)


def _finished(sandbox: Sandbox, client: Client, reference: str) -> Any:
    session = client.create_session(scenario_request("tencent", "approved", reference=reference), provider="tencent")
    sandbox.complete(session, "approved")
    return session.ref


def test_cookies_responses_set_are_neither_kept_nor_sent() -> None:
    sandbox = Sandbox()
    transport = _Cookies(sandbox.transport())
    with Client(sandbox.client_config(), transport=transport) as client:
        first = _finished(sandbox, client, "user-a")
        second = _finished(sandbox, client, "user-b")
        assert client.get_result(first).outcome is Outcome.APPROVED
        assert client.get_result(second).outcome is Outcome.APPROVED
        assert not client._http.cookies  # nothing extracted, nothing kept
    assert len(transport.sent) >= 4
    assert transport.sent == [None] * len(transport.sent)


def test_the_async_client_keeps_no_cookie_either() -> None:
    sandbox = Sandbox()
    transport = _AsyncCookies(sandbox.async_transport())
    with Client(sandbox.client_config(), transport=sandbox.transport()) as sync:
        refs = [_finished(sandbox, sync, "user-a"), _finished(sandbox, sync, "user-b")]

    async def main() -> list[Outcome]:
        async with AsyncClient(sandbox.client_config(), transport=transport) as client:
            return [(await client.get_result(ref)).outcome for ref in refs]

    assert asyncio.run(main()) == [Outcome.APPROVED, Outcome.APPROVED]
    assert transport.sent == [None, None]


def test_an_applications_own_http_client_is_used_as_is() -> None:
    """Its event hooks (tracing, metrics) run: the application chose them."""
    sandbox = Sandbox()
    seen: list[str] = []
    http = httpx.Client(transport=sandbox.transport(), event_hooks={"request": [lambda r: seen.append(r.method)]})
    with Client(sandbox.client_config(), http_client=http) as client:
        ref = _finished(sandbox, Client(sandbox.client_config(), transport=sandbox.transport()), "user-a")
        assert client.get_result(ref).outcome is Outcome.APPROVED
    assert seen == ["POST"]


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "HTTP_PROXY"])
def test_a_proxy_from_the_environment_keeps_httpxs_routing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert not env_proxies()
    monkeypatch.setenv(name, "http://127.0.0.1:9")
    assert env_proxies()
    client = Client({"env": "production", **Sandbox().client_config()})  # no transport given: its own pool
    try:
        assert client._http is not None and client._direct is None  # mounted proxies: httpx.Client.send routes
    finally:
        client.close()


def test_without_a_proxy_the_own_pool_is_sent_through_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    client = Client({"env": "production", **Sandbox().client_config()})
    try:
        assert client._http is not None and isinstance(client._direct, httpx.HTTPTransport)
    finally:
        client.close()


def test_no_proxy_alone_mounts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "example.com")
    assert not env_proxies()


def test_transport_failures_stay_typed_through_the_direct_path() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sandbox = Sandbox()
    with Client(sandbox.client_config(), transport=sandbox.transport()) as setup:
        ref = _finished(sandbox, setup, "user-a")
    with Client(sandbox.client_config(), transport=httpx.MockTransport(refuse), sleep=lambda s: None) as client, \
            pytest.raises(ProviderUnavailable) as caught:
        client.get_result(ref)
    assert caught.value.sent is False
