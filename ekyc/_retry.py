"""The one retry loop, written once as a generator and driven by a sync and an async driver.

The generator yields :class:`Send` (the driver sends the request and sends back the response, or throws
the transport exception in) and :class:`Sleep` (the driver waits). It returns the parsed result or raises
a typed error. Which failures are retried depends on the call's :class:`~ekyc.provider.RetryMode`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from .errors import EkycError, ProviderUnavailable, RateLimited
from .provider import Prepared, RetryMode
from .settings import RetrySettings

T = TypeVar("T")

#: HTTP statuses a read is retried on (the adapters raise RateLimited / ProviderUnavailable for them)
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Send:
    request: httpx.Request
    prepared: Prepared


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Send | Sleep
Exchange = Generator[Step, Any, T]


def transport_error(provider: str, exc: httpx.TransportError) -> ProviderUnavailable:
    """The typed error for a transport failure; ``sent`` is False when the request never left."""
    never_sent = isinstance(
        exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
    )
    kind = {
        httpx.ConnectError: "could not connect",
        httpx.ConnectTimeout: "connect timed out",
        httpx.PoolTimeout: "no free connection in the pool",
        httpx.ReadTimeout: "timed out waiting for the response",
        httpx.WriteTimeout: "timed out sending the request",
    }.get(type(exc), f"transport failure ({type(exc).__name__})")
    return ProviderUnavailable(kind, provider=provider, sent=not never_sent)


def may_retry(error: EkycError, mode: RetryMode) -> bool:
    """Whether ``error`` on a call of ``mode`` may be repeated without risking a second session."""
    if mode is RetryMode.NEVER:
        return False
    if mode is RetryMode.NOT_SENT:
        if isinstance(error, RateLimited):
            return True  # refused unprocessed
        return isinstance(error, ProviderUnavailable) and not error.sent
    if isinstance(error, ProviderUnavailable):
        # 500 means the provider failed while processing; only gateway-level statuses are transient
        return error.http_status is None or error.http_status in RETRY_STATUSES
    return error.retryable


def backoff(settings: RetrySettings, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``Retry-After`` when given, else full jitter."""
    if retry_after is not None:
        return min(retry_after, settings.max_retry_after)
    import random  # only retries need it

    cap = min(settings.backoff_max, settings.backoff_base * (2**attempt))
    return random.uniform(cap / 2, cap)


def exchange(
    provider: str,
    build: Callable[[], Prepared],
    parse: Callable[[Prepared, httpx.Response], T],
    settings: RetrySettings,
    on_retry: Callable[[int, EkycError, float], None] | None = None,
) -> Exchange[T]:
    """Build, send, parse; repeat on retryable failures within the attempt and time budget."""
    started = time.monotonic()
    attempt = 0
    while True:
        prepared = build()
        try:
            try:
                response = yield Send(prepared.request, prepared)
            except httpx.TransportError as exc:
                raise transport_error(provider, exc) from None
            return parse(prepared, response)
        except EkycError as error:
            attempt += 1
            if attempt >= settings.max_attempts or not may_retry(error, prepared.retry):
                raise
            wait = backoff(settings, attempt - 1, getattr(error, "retry_after", None))
            if time.monotonic() - started + wait > settings.total_timeout:
                raise
            if on_retry is not None:
                on_retry(attempt, error, wait)
            yield Sleep(wait)


def run_sync(gen: Exchange[T], send: Callable[[httpx.Request], httpx.Response],
             sleep: Callable[[float], None]) -> T:
    """Drive :func:`exchange` with blocking I/O."""
    step = next(gen)
    while True:
        try:
            if isinstance(step, Send):
                try:
                    response = send(step.request)
                except httpx.TransportError as exc:
                    step = gen.throw(exc)
                    continue
                step = gen.send(response)
            else:
                sleep(step.seconds)
                step = gen.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


async def run_async(gen: Exchange[T], send: Callable[[httpx.Request], Any],
                    sleep: Callable[[float], Any]) -> T:
    """Drive :func:`exchange` with non-blocking I/O."""
    step = next(gen)
    while True:
        try:
            if isinstance(step, Send):
                try:
                    response = await send(step.request)
                except httpx.TransportError as exc:
                    step = gen.throw(exc)
                    continue
                step = gen.send(response)
            else:
                await sleep(step.seconds)
                step = gen.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
