"""The one retry loop: reads retry on 429/502/503/504/connect errors honouring Retry-After; creates only
when no second session can result."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from ekyc import (
    AsyncClient,
    Client,
    InvalidRequest,
    Outcome,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionRequest,
    registry,
)
from ekyc._retry import Exchange, may_retry, run_async, run_sync
from ekyc.provider import Prepared, RetryMode
from tests.support.echo import APPROVED, EchoProvider, make_echo

CREATE = "https://echo.invalid/echo/sessions"
RESULT = "https://echo.invalid/echo/sessions/s1"
OK = httpx.Response(200, json=APPROVED)
CREATED = httpx.Response(201, json={"id": "s1", "url": "https://echo.invalid/p/s1"})


@pytest.fixture
def client(echo: str) -> Iterator[tuple[Client, list[float]]]:
    slept: list[float] = []
    with Client.from_config({"providers": {"echo": {"api_key": "k"}},
                             "retry": {"max_attempts": 3, "total_timeout": 30}}, sleep=slept.append) as c:
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
def test_retry_after_beyond_the_time_budget_raises_at_once(echo: str) -> None:
    with Client.from_config({"providers": {"echo": {"api_key": "k"}}, "retry": {"total_timeout": 5}},
                            sleep=lambda s: pytest.fail("must not wait past the budget")) as c:
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
async def test_async_client_uses_the_same_loop(echo: str) -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    async with AsyncClient.from_config({"providers": {"echo": {"api_key": "k"}}}, sleep=sleep) as c:
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


# -- one call, many attempts: what was sent sticks, and fallback never leaves a second live session --------

ALPHA = "https://alpha.invalid/alpha/sessions"
BETA = "https://beta.invalid/beta/sessions"
BETA_CREATED = httpx.Response(201, json={"id": "b1", "url": "https://beta.invalid/p/b1"})


def _with_create_mode(name: str, mode: RetryMode) -> type[EchoProvider]:
    base = make_echo(name)

    def build_create(self: EchoProvider, request: SessionRequest) -> Prepared:
        return dataclasses.replace(base.build_create(self, request), retry=mode)

    return type(base.__name__, (base,), {"build_create": build_create})


@pytest.fixture(params=[RetryMode.NOT_SENT, RetryMode.IDEMPOTENT, RetryMode.NEVER], ids=lambda m: m.value)
def routed(request: pytest.FixtureRequest) -> Iterator[tuple[Client, RetryMode]]:
    """A client whose default ``alpha`` creates with the parametrized retry mode and falls back to ``beta``."""
    mode: RetryMode = request.param
    registry.register("alpha", _with_create_mode("alpha", mode))
    registry.register("beta", make_echo("beta"))
    try:
        with Client.from_config({
            "provider": "alpha", "retry": {"max_attempts": 3},
            "providers": {"alpha": {"api_key": "k", "endpoint": "https://alpha.invalid"},
                          "beta": {"api_key": "k", "endpoint": "https://beta.invalid"}},
            "routing": {"fallback": ["beta"]},
        }, sleep=lambda s: None) as c:
            yield c, mode
    finally:
        registry.unregister("alpha")
        registry.unregister("beta")


TIMEOUT = httpx.ReadTimeout("slow")
REFUSED = httpx.ConnectError("refused")

#: attempt sequences at alpha → (may alpha have processed the create?, whether the mode retries past attempt 1)
SEQUENCES: dict[str, tuple[list[Any], bool]] = {
    "refused-thrice": ([REFUSED, REFUSED, REFUSED], False),
    "throttled-then-refused": ([httpx.Response(429), REFUSED, REFUSED], False),
    "timeout-then-refused": ([TIMEOUT, REFUSED, REFUSED], True),
    "503-then-refused": ([httpx.Response(503), REFUSED, REFUSED], True),
    "502-thrice": ([httpx.Response(502)] * 3, True),
    "500": ([httpx.Response(500)], True),
}


@respx.mock
@pytest.mark.parametrize("sequence", list(SEQUENCES))
def test_fallback_only_when_no_attempt_can_have_started_a_session(routed: tuple[Client, RetryMode],
                                                                    sequence: str) -> None:
    c, mode = routed
    responses, processed = SEQUENCES[sequence]
    alpha = respx.post(ALPHA).mock(side_effect=list(responses))
    beta = respx.post(BETA).mock(return_value=BETA_CREATED)
    # only when nothing can have been processed, whatever the mode: a provider that de-duplicates makes a repeat
    # at the same provider safe, but the session it may have started stays live while a fallback starts another
    expect_fallback = not processed
    if expect_fallback:
        assert c.create_session(reference="u1").provider == "beta"
        assert beta.call_count == 1
    else:
        with pytest.raises((ProviderUnavailable, RateLimited)) as info:
            c.create_session(reference="u1")
        assert beta.call_count == 0
        assert info.value.provider == "alpha"
        if isinstance(info.value, ProviderUnavailable):
            assert info.value.sent is True  # whatever the last attempt was
    # the modes' retry rules still hold: NEVER sends once, NOT_SENT stops at the first processed attempt
    if mode is RetryMode.NEVER or (mode is RetryMode.NOT_SENT and processed):
        assert alpha.call_count == 1


@respx.mock
def test_sent_sticks_once_any_attempt_was_sent(client: tuple[Client, list[float]]) -> None:
    c, _ = client
    respx.get(RESULT).mock(side_effect=[TIMEOUT, REFUSED, REFUSED])
    with pytest.raises(ProviderUnavailable) as info:
        c.get_result("echo:s1")
    assert isinstance(info.value, ProviderUnavailable) and info.value.sent is True
    assert info.value.message == "could not connect"  # the last attempt's error, with the call's sent


@respx.mock
def test_a_create_refused_unprocessed_is_sent_but_still_retried(client: tuple[Client, list[float]]) -> None:
    """The 429 reached the provider (sent sticks), but it was refused unprocessed: repeating stays safe."""
    c, _ = client
    route = respx.post(CREATE).mock(side_effect=[httpx.Response(429), REFUSED, REFUSED])
    with pytest.raises(ProviderUnavailable) as info:
        c.create_session(reference="u1")
    assert route.call_count == 3 and info.value.sent is True
    route.mock(side_effect=[REFUSED, REFUSED, REFUSED])
    with pytest.raises(ProviderUnavailable) as never:
        c.create_session(reference="u1")
    assert route.call_count == 6 and never.value.sent is False


def test_a_not_sent_create_stops_retrying_once_an_attempt_may_have_been_processed() -> None:
    """A 429 after a timeout does not make a repeat safe: the timed-out attempt may have started a session."""
    assert may_retry(RateLimited("x"), RetryMode.NOT_SENT, processed=True) is False
    assert may_retry(RateLimited("x"), RetryMode.NOT_SENT, processed=False) is True
    assert may_retry(ProviderUnavailable("x", sent=False), RetryMode.NOT_SENT, processed=True) is False
    assert may_retry(ProviderUnavailable("x", sent=False), RetryMode.NOT_SENT, processed=False) is True


class _Careless(EchoProvider):
    """An adapter whose parser and builder fail untyped (what the loop must still turn into typed errors)."""

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Any:
        return {"a": 1}["missing"]

    def build_create(self, request: SessionRequest) -> Prepared:
        raise TypeError(f"cannot encode {request.reference}")


@respx.mock
def test_untyped_adapter_failures_become_typed_errors_without_their_text(caplog: pytest.LogCaptureFixture) -> None:
    registry.register("echo", _Careless)
    try:
        with Client.from_config({"providers": {"echo": {"api_key": "k"}}}) as c:
            respx.get(RESULT).mock(return_value=OK)
            with pytest.raises(ProviderError) as parse:
                c.get_result("echo:s1")
            assert "KeyError" in parse.value.message and "missing" not in str(parse.value)
            assert parse.value.__cause__ is None and parse.value.__suppress_context__
            create = respx.post(CREATE).mock(return_value=CREATED)
            with pytest.raises(InvalidRequest) as build:
                c.create_session(reference="user-secret-42")
            assert "TypeError" in build.value.message and "user-secret-42" not in str(build.value)
            assert create.call_count == 0
        # each conversion is a bug to fix: logged (type and place only, never the text)
        untyped = [r.getMessage() for r in caplog.records if "untyped failure" in r.getMessage()]
        assert len(untyped) == 2 and not any("missing" in m or "user-secret-42" in m for m in untyped)
    finally:
        registry.unregister("echo")


async def test_async_fallback_follows_the_same_rule(echo: str) -> None:
    registry.register("alpha", _with_create_mode("alpha", RetryMode.NOT_SENT))
    registry.register("beta", make_echo("beta"))
    try:
        with respx.mock:
            async with AsyncClient.from_config({
                "provider": "alpha", "retry": {"max_attempts": 3},
                "providers": {"alpha": {"api_key": "k", "endpoint": "https://alpha.invalid"},
                              "beta": {"api_key": "k", "endpoint": "https://beta.invalid"}},
                "routing": {"fallback": ["beta"]},
            }, sleep=_no_sleep) as c:
                respx.post(ALPHA).mock(side_effect=[httpx.Response(503)])
                beta = respx.post(BETA).mock(return_value=BETA_CREATED)
                with pytest.raises(ProviderUnavailable) as info:
                    await c.create_session(reference="u1")
                assert info.value.sent is True and beta.call_count == 0
                respx.post(ALPHA).mock(side_effect=[httpx.Response(429), REFUSED, REFUSED])
                assert (await c.create_session(reference="u2")).provider == "beta"
    finally:
        registry.unregister("alpha")
        registry.unregister("beta")


async def _no_sleep(seconds: float) -> None:
    return None


def _exchange_with_cleanup(done: list[str]) -> Exchange[str]:
    """An exchange that records when it is closed (its ``finally``) and returns what it was sent."""
    try:
        response = yield httpx.Request("GET", "https://example.test/")
        return str(response)
    finally:
        done.append("closed")


def test_a_driver_closes_an_exchange_it_abandons() -> None:
    """A send that fails with anything but a transport error (an app's transport raising, a bug) leaves the
    exchange suspended: the driver closes it there and then, not the garbage collector at some later point."""
    done: list[str] = []

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("an app transport's own failure")

    gc.disable()
    try:
        held = _exchange_with_cleanup(done)  # still referenced here: only the driver can close it now
        with pytest.raises(RuntimeError):
            run_sync(held, broken, lambda s: None)
        assert done == ["closed"]

        async def abroken(request: httpx.Request) -> httpx.Response:
            raise asyncio.CancelledError

        held = _exchange_with_cleanup(done)
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(run_async(held, abroken, asyncio.sleep))
        assert done == ["closed", "closed"]
    finally:
        gc.enable()
