"""Each pool's send is built once, on a client's first call; what it checks on every call still holds after that:
a client closed after its first call, or an ``http_client`` its owner closed after the client used it, raises a
typed error and sends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from ekyc import AsyncClient, Client, ConfigurationError, Outcome
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request


def _counting(sent: list[str]) -> dict[str, list[Callable[[httpx.Request], None]]]:
    def record(request: httpx.Request) -> None:
        sent.append(request.url.path)
    return {"request": [record]}


def _async_counting(sent: list[str]) -> dict[str, list[Callable[[httpx.Request], Awaitable[None]]]]:
    async def record(request: httpx.Request) -> None:
        sent.append(request.url.path)
    return {"request": [record]}


def test_a_given_http_client_closed_after_use_sends_nothing() -> None:
    sandbox = Sandbox()
    sent: list[str] = []
    given = httpx.Client(transport=sandbox.transport(), event_hooks=_counting(sent))
    client = Client(sandbox.client_config(), http_client=given)
    session = client.create_session(scenario_request("didit", "approved", reference="u1"), provider="didit")
    sandbox.complete(session, "approved")
    assert client.get_result(session.ref).outcome is Outcome.APPROVED
    calls = len(sent)
    given.close()  # closed by its owner, after the client's send was built
    with pytest.raises(ConfigurationError) as info:
        client.get_result(session.ref)
    assert info.value.field == "client" and len(sent) == calls


def test_a_client_closed_after_use_sends_nothing() -> None:
    sandbox = Sandbox()
    with sandbox.client() as client:
        session = client.create_session(scenario_request("didit", "approved", reference="u1"), provider="didit")
    with pytest.raises(ConfigurationError) as info:
        client.get_result(session.ref)
    assert info.value.field == "client"


def test_an_async_given_http_client_closed_after_use_sends_nothing() -> None:
    sandbox = Sandbox()
    sent: list[str] = []

    async def run() -> None:
        given = httpx.AsyncClient(transport=sandbox.async_transport(), event_hooks=_async_counting(sent))
        client = AsyncClient(sandbox.client_config(), http_client=given)
        request = scenario_request("didit", "approved", reference="u1")
        session = await client.create_session(request, provider="didit")
        sandbox.complete(session, "approved")
        assert (await client.get_result(session.ref)).outcome is Outcome.APPROVED
        calls = len(sent)
        await given.aclose()  # closed by its owner, after the loop's send was built
        with pytest.raises(ConfigurationError) as info:
            await client.get_result(session.ref)
        assert info.value.field == "client" and len(sent) == calls
        await client.aclose()
        with pytest.raises(ConfigurationError):
            await client.get_result(session.ref)

    asyncio.run(run())
