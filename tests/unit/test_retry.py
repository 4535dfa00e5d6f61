"""The one retry loop: reads retry on 429/502/503/504/connect errors honouring Retry-After; creates only
when no second session can result."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from ekyc import AsyncClient, Client, Outcome, ProviderUnavailable, RateLimited
from ekyc.sandbox import Sandbox

CREATE = "https://echo.invalid/echo/sessions"
RESULT = "https://echo.invalid/echo/sessions/s1"
OK = httpx.Response(200, json={"status": "ok"})
CREATED = httpx.Response(201, json={"id": "s1", "url": "https://echo.invalid/p/s1"})


@pytest.fixture
def client(echo_sandbox: Sandbox) -> Iterator[tuple[Client, list[float]]]:
    slept: list[float] = []
    with Client.from_config({"providers": {"echo": {"api_key": "k"}},
                             "retry": {"max_attempts": 3, "total_timeout": 30}}) as c:
        c._sleep = slept.append
        yield c, slept


@respx.mock
def test_429_with_retry_after_is_honoured(client: tuple[Client, list[float]]) -> None:
    c, slept = client
    route = respx.get(RESULT).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), OK])
    assert c.get_result("echo:s1").outcome is Outcome.APPROVED
    assert route.call_count == 2
    assert slept == [2.0]


@respx.mock
def test_503_then_200(client: tuple[Client, list[float]]) -> None:
    c, slept = client
    route = respx.get(RESULT).mock(side_effect=[httpx.Response(503), OK])
    assert c.get_result("echo:s1").approved
    assert route.call_count == 2 and len(slept) == 1 and 0 < slept[0] <= 8


@respx.mock
def test_connect_error_on_a_read_is_retried(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    route = respx.get(RESULT).mock(side_effect=[httpx.ConnectError("refused"), OK])
    assert c.get_result("echo:s1").approved
    assert route.call_count == 2


@respx.mock
def test_attempts_are_capped(client: tuple[Client, list[float]]) -> None:
    c, slept = client
    route = respx.get(RESULT).mock(return_value=httpx.Response(502))
    with pytest.raises(ProviderUnavailable) as info:
        c.get_result("echo:s1")
    assert route.call_count == 3 and len(slept) == 2
    assert info.value.http_status == 502 and info.value.provider == "echo"


@respx.mock
def test_500_is_not_retried(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    route = respx.get(RESULT).mock(return_value=httpx.Response(500))
    with pytest.raises(ProviderUnavailable):
        c.get_result("echo:s1")
    assert route.call_count == 1


@respx.mock
def test_retry_after_beyond_the_time_budget_raises_at_once(echo_sandbox: Sandbox) -> None:
    with Client.from_config({"providers": {"echo": {"api_key": "k"}}, "retry": {"total_timeout": 5}}) as c:
        c._sleep = lambda s: pytest.fail("must not wait past the budget")
        respx.get(RESULT).mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
        with pytest.raises(RateLimited) as info:
            c.get_result("echo:s1")
    assert info.value.retry_after == 120


@respx.mock
def test_read_timeout_on_a_create_is_not_retried(client: tuple[Client, list[float]]) -> None:
    c, slept = client
    route = respx.post(CREATE).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable) as info:
        c.create_session(reference="u1")
    assert route.call_count == 1 and slept == []
    assert info.value.sent is True


@respx.mock
def test_503_on_a_create_is_not_retried(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    route = respx.post(CREATE).mock(side_effect=[httpx.Response(503), CREATED])
    with pytest.raises(ProviderUnavailable):
        c.create_session(reference="u1")
    assert route.call_count == 1


@respx.mock
def test_connect_error_on_a_create_is_retried_because_nothing_was_sent(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    route = respx.post(CREATE).mock(side_effect=[httpx.ConnectError("refused"), CREATED])
    assert c.create_session(reference="u1").ref.id == "s1"
    assert route.call_count == 2


@respx.mock
def test_429_on_a_create_is_retried_because_it_was_refused_unprocessed(client: tuple[Client, list[float]]) -> None:
    c, slept = client
    route = respx.post(CREATE).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), CREATED])
    assert c.create_session(reference="u1").ref.id == "s1"
    assert route.call_count == 2 and slept == [1.0]


@respx.mock
async def test_async_client_uses_the_same_loop(echo_sandbox: Sandbox) -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    async with AsyncClient.from_config({"providers": {"echo": {"api_key": "k"}}}) as c:
        c._sleep = sleep
        route = respx.get(RESULT).mock(
            side_effect=[httpx.ConnectError("x"), httpx.Response(429, headers={"Retry-After": "3"}), OK])
        assert (await c.get_result("echo:s1")).approved
        assert route.call_count == 3 and slept[-1] == 3.0
        create = respx.post(CREATE).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(ProviderUnavailable):
            await c.create_session(reference="u1")
        assert create.call_count == 1


@respx.mock
def test_every_request_carries_a_timeout(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    route = respx.get(RESULT).mock(return_value=OK)
    c.get_result("echo:s1")
    assert route.calls.last.request.extensions["timeout"]["read"] == 15.0
