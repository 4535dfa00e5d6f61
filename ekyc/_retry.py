"""The one retry loop, written once as a generator and driven by a sync and an async driver.

The generator yields the ``httpx.Request`` to send (the driver sends it and sends back the response, or throws
the transport exception in) and :class:`Sleep` (the driver waits). It returns the parsed result or raises
a typed error. Which failures are retried depends on the call's :class:`~ekyc.provider.RetryMode`.

What the attempts of one call did is kept in an :class:`Attempts` record, not read off the last error:
once any attempt reached the provider, a :class:`~ekyc.errors.ProviderUnavailable` raised by a later attempt
still says ``sent=True`` (a create that failed with a timeout and then with "connection refused" may have
started a session all the same). Retrying a create and falling back read the record's ``processed``: a 429
reached the provider but was refused unprocessed, so it is ``sent`` without being ``processed``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from ._events import Events
from .errors import EkycError, InvalidRequest, ProviderError, ProviderUnavailable, RateLimited
from .provider import FollowUp, Prepared, RetryMode
from .settings import RetrySettings

T = TypeVar("T")
_log = logging.getLogger("ekyc")

#: HTTP statuses a read is retried on (the adapters raise RateLimited / ProviderUnavailable for them)
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class Sleep:
    """Wait ``seconds``, then resume the exchange."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


#: what an exchange yields: a request to send (resumed with its response, or the transport error thrown in), or a wait
Step = httpx.Request | Sleep
Exchange = Generator[Step, Any, T]


@dataclass(slots=True)
class Attempts:
    """What the attempts of one call did, kept across attempts (the client's fallback reads it).

    ``sent``: some attempt may have reached the provider. ``processed``: some attempt may have been
    processed — it reached the provider and was not refused unprocessed (429 / throttling). A create
    that was never ``processed`` certainly started no session.
    """

    count: int = 0
    sent: bool = False
    processed: bool = False
    retry: RetryMode = RetryMode.READ
    #: the call's :attr:`~ekyc.provider.Prepared.operation` (what the events name)
    operation: str | None = None
    #: the timeout extension of the last request sent (a :class:`~ekyc.provider.FollowUp` request reuses it)
    timeout: Any = None


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


def may_retry(error: EkycError, mode: RetryMode, processed: bool | None = None) -> bool:
    """Whether ``error`` on a call of ``mode`` may be repeated without risking a second session.

    ``processed`` is whether any attempt of the call so far may have been processed (see
    :class:`Attempts`); without it, only ``error`` itself is considered.
    """
    if mode is RetryMode.NEVER:
        return False
    if mode is RetryMode.NOT_SENT:
        if processed is None:
            processed = isinstance(error, ProviderUnavailable) and error.sent
        # never sent (connection refused, DNS, pool timeout) or refused unprocessed (429), by every attempt so far
        return not processed and isinstance(error, (RateLimited, ProviderUnavailable))
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
    parse: Callable[[Prepared, httpx.Response], T | FollowUp],
    settings: RetrySettings,
    events: Events | None = None,
    record: Attempts | None = None,
    timeout: Any = None,
) -> Exchange[T]:
    """Build, send, parse; repeat on retryable failures within the attempt and time budget.

    Whatever ``build`` or ``parse`` raise is typed: ``parse`` reads what a provider (or an attacker between
    it and us) sent, so anything but an :class:`EkycError` there is a :class:`ProviderError`; ``build``
    failing on a request that passed validation is an :class:`InvalidRequest`. ``record`` (when given)
    receives what the attempts did. ``timeout`` (an httpx timeout extension, as ``Timeout.as_dict()``) is
    set on every request the adapter built without one. ``events`` (when given) receives the call's
    ``retry``, ``error`` and ``call`` events, each naming the operation; the ``call`` event (and the clock
    read it needs) only when logging or a hook wants it.
    """
    record = Attempts() if record is None else record
    started = time.perf_counter() if events is not None and events.wants() else None
    try:
        result = yield from _attempts(provider, build, parse, settings, events, record, timeout)
        timeout = record.timeout
        while isinstance(result, FollowUp):  # one more request: its own attempts, added up into the record
            step = Attempts()
            try:
                result = yield from _attempts(provider, _with_timeout(result.build, timeout), result.parse,
                                              settings, events, step)
            finally:
                record.count += step.count
                record.sent = record.sent or step.sent
                record.processed = record.processed or step.processed
    except EkycError as exc:
        if events is not None and events.wants(logging.INFO):
            events.emit("error", logging.INFO, provider=provider, operation=record.operation,
                        error=type(exc).__name__, http_status=exc.http_status,
                        provider_code=exc.provider_code, request_id=exc.request_id)
        raise
    if started is not None and events is not None:
        events.emit("call", provider=provider, operation=record.operation,
                    ms=round((time.perf_counter() - started) * 1000, 2))
    return result  # type: ignore[no-any-return]


def _with_timeout(build: Callable[[], Prepared], timeout: Any) -> Callable[[], Prepared]:
    """A follow-up request gets the timeout the client gave the first one."""
    def timed() -> Prepared:
        prepared = build()
        if timeout is not None:
            prepared.request.extensions.setdefault("timeout", timeout)
        return prepared
    return timed


def _attempts(
    provider: str,
    build: Callable[[], Prepared],
    parse: Callable[[Prepared, httpx.Response], Any],
    settings: RetrySettings,
    events: Events | None,
    record: Attempts,
    timeout: Any = None,
) -> Exchange[Any]:
    """The attempts of one request (see :func:`exchange`)."""
    started = time.monotonic()
    while True:
        prepared = _build(provider, build)
        request = prepared.request
        if timeout is not None:
            request.extensions.setdefault("timeout", timeout)
        record.count += 1
        record.retry = prepared.retry
        record.operation = prepared.operation
        record.timeout = request.extensions.get("timeout")
        try:
            try:
                response = yield request
            except httpx.TransportError as exc:
                error = transport_error(provider, exc)
                record.sent = record.sent or error.sent
                record.processed = record.processed or error.sent
                raise error from None
            record.sent = True
            try:
                result = parse(prepared, response)
            except RateLimited:
                raise  # refused unprocessed: not a processed attempt
            except EkycError:
                record.processed = True
                raise
            except Exception as exc:  # the boundary: a hostile payload must not escape untyped
                record.processed = True
                where = describe_failure(exc)
                _log.warning("ekyc: untyped failure parsing a %s %s response converted to ProviderError (%s)",
                             provider, prepared.operation, where)
                raise ProviderError(f"unreadable {prepared.operation} response ({where})",
                                    provider=provider, http_status=response.status_code) from None
            record.processed = True
            return result
        except EkycError as error:
            if isinstance(error, ProviderUnavailable) and record.sent:
                error.sent = True  # sticky: some attempt of this call reached the provider
            if record.count >= settings.max_attempts or not may_retry(error, prepared.retry, record.processed):
                raise
            wait = backoff(settings, record.count - 1, getattr(error, "retry_after", None))
            if time.monotonic() - started + wait > settings.total_timeout:
                raise
            if events is not None:
                events.emit("retry", logging.INFO, provider=provider, operation=prepared.operation,
                            attempt=record.count, error=type(error).__name__, http_status=error.http_status,
                            wait_s=round(wait, 3))
            yield Sleep(wait)


def _build(provider: str, build: Callable[[], Prepared]) -> Prepared:
    try:
        return build()
    except EkycError:
        raise
    except Exception as exc:  # a validated request the adapter cannot encode is still typed
        where = describe_failure(exc)
        _log.warning("ekyc: untyped failure building a %s request converted to InvalidRequest (%s)", provider, where)
        raise InvalidRequest(f"the request cannot be encoded for {provider} ({where})", provider=provider) from None


def describe_failure(exc: BaseException) -> str:
    """The exception's type and innermost ekyc frame, for a message (never its text: it may hold values)."""
    tb = exc.__traceback__
    place = ""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "ekyc" in name:
            place = f" at {name[name.rfind('ekyc'):]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return type(exc).__name__ + place


async def run_async(gen: Exchange[T], send: Callable[[httpx.Request], Awaitable[httpx.Response]],
                    sleep: Callable[[float], Awaitable[Any]]) -> T:
    """Drive an exchange with non-blocking I/O: send each request (a transport failure is thrown into the
    exchange), wait each :class:`Sleep`, until the exchange returns."""
    reply: Any = None
    failure: httpx.TransportError | None = None
    try:
        while True:
            try:
                step = gen.send(reply) if failure is None else gen.throw(failure)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply, failure = None, None
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                continue
            try:
                reply = await send(step)
            except httpx.TransportError as exc:
                failure = exc
    finally:  # an exchange left mid-way (cancelled, or anything but a transport error) ends here, not in the GC
        gen.close()


def finish(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (each ``await`` in it completes at once, as one over
    blocking calls does), run here without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a coroutine driven without an event loop suspended")  # pragma: no cover - a bug


def run_sync(gen: Exchange[T], send: Callable[[httpx.Request], httpx.Response],
             sleep: Callable[[float], None]) -> T:
    """Drive an exchange (:func:`exchange`, or calls composed of exchanges with ``yield from``) with blocking
    I/O: :func:`run_async` step for step, without a coroutine around each call."""
    reply: Any = None
    failure: httpx.TransportError | None = None
    try:
        while True:
            try:
                step = gen.send(reply) if failure is None else gen.throw(failure)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply, failure = None, None
            if isinstance(step, Sleep):
                sleep(step.seconds)
                continue
            try:
                reply = send(step)
            except httpx.TransportError as exc:
                failure = exc
    finally:  # as in run_async
        gen.close()
