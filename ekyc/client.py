"""The clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio), the only places that do I/O.

Both share everything but the driver: settings, provider adapters, validation, routing, the retry
loop (:mod:`ekyc._retry`) and events. A create is validated against the chosen provider's capabilities
before any network call; ``get_result`` dispatches on the ref's provider, whatever the current default.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from os import PathLike
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import registry
from ._events import Events, Hook
from ._retry import Exchange, exchange, run_async, run_sync
from .errors import ConfigurationError, EkycError, InvalidRequest, WebhookVerificationError
from .models import Decision, Session, SessionRef, SessionRequest, WebhookEvent
from .provider import Capabilities, Prepared, Provider
from .routing import Predicate, Route, Router, may_fall_back
from .settings import Settings

if TYPE_CHECKING:
    from .sandbox import Sandbox

T = TypeVar("T")
C = TypeVar("C", bound="_Core")
_log = logging.getLogger("ekyc")
_sandbox_announced = False


class _Core:
    """Configuration, adapters and request preparation shared by both clients."""

    def __init__(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        sandbox: Sandbox | None = None,
        clock: Callable[[], float] | None = None,
        hooks: Iterable[Hook] = (),
        predicates: Mapping[str, Predicate] | None = None,
        **options: Any,
    ) -> None:
        if settings is None:
            settings = Settings.load(options)
        elif isinstance(settings, Mapping):
            settings = Settings.load({**settings, **options})
        elif options:
            raise ConfigurationError(f"unexpected arguments with a Settings object: {', '.join(options)}")
        self.settings: Settings = settings
        self.events = Events(hooks)
        self._sandbox_given = sandbox is not None
        if sandbox is None and settings.uses_sandbox:
            sandbox = _default_sandbox()
        elif sandbox is None and not settings.providers:
            raise ConfigurationError(
                "no provider is configured and env is 'production', so the sandbox is not used; configure "
                "a provider (e.g. EKYC_PROVIDER and its credentials)",
                field="providers",
            )
        self.sandbox = sandbox
        self._clock = clock or (sandbox.clock.now if sandbox is not None else time.time)
        self._adapters: dict[str, Provider] = {}
        self._timeouts: dict[str, dict[str, float | None]] = {}
        self.router = Router(settings.routing_config, default=lambda: self.default_provider,
                             available=self.providers, check=self._check, clock=self._clock,
                             predicates=predicates)

    # -- configuration ---------------------------------------------------------------------------
    @classmethod
    def from_config(cls: type[C], mapping: Mapping[str, Any], **kwargs: Any) -> C:
        """A client from a mapping (the same shape as the TOML file)."""
        return cls(Settings.load(mapping), **kwargs)

    @classmethod
    def from_env(cls: type[C], environ: Mapping[str, str] | None = None, **kwargs: Any) -> C:
        """A client from ``EKYC_*`` and vendor environment variables (and ``EKYC_CONFIG``)."""
        return cls(Settings.from_env(environ), **kwargs)

    @classmethod
    def from_file(cls: type[C], path: str | PathLike[str], **kwargs: Any) -> C:
        """A client from a TOML file."""
        return cls(Settings.from_file(path), **kwargs)

    @property
    def providers(self) -> tuple[str, ...]:
        """The providers this client can use."""
        if self.sandbox is not None:
            return self.sandbox.providers
        return self.settings.configured

    @property
    def default_provider(self) -> str:
        """Where new sessions go when no route or override says otherwise."""
        if self.settings.provider:
            return self.settings.provider
        if self.sandbox is not None:
            return self.sandbox.providers[0]
        return self.settings.default_provider()

    def adapter(self, name: str) -> Provider:
        """The sans-I/O adapter of provider ``name``, built once."""
        adapter = self._adapters.get(name)
        if adapter is None:
            if self.sandbox is not None:
                if name not in self.sandbox.providers:
                    raise ConfigurationError(f"the sandbox has no emulator for {name!r}", field="provider")
                cls = registry.load(name)
                # the sandbox's credentials and endpoint; a caller who handed us this sandbox may layer their
                # own provider settings on top (never an env-driven fallback: real keys must not leak into it)
                overrides = self.settings.providers.get(name, {}) if self._sandbox_given else {}
                provider_settings = cls.settings_model(**{**self.sandbox.client_settings(name), **overrides})
            else:
                provider_settings = self.settings.provider_settings(name)
                cls = registry.load(name)
            adapter = self._adapters[name] = cls(provider_settings, clock=self._clock)
        return adapter

    def capabilities(self) -> dict[str, Capabilities]:
        """What each available provider can honour."""
        return {name: registry.load(name).capabilities for name in self.providers}

    # -- preparation -----------------------------------------------------------------------------
    def _request(self, request: SessionRequest | None, fields: Mapping[str, Any]) -> SessionRequest:
        if request is None:
            return SessionRequest(**fields)
        if not isinstance(request, SessionRequest):
            raise InvalidRequest("expected a SessionRequest", field="request")
        return request.replace(**fields) if fields else request  # validated like a new request

    def _check(self, name: str, request: SessionRequest) -> None:
        self.adapter(name).check_request(request)

    def explain_route(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                      **fields: Any) -> Route:
        """Where a create would go and why: the provider, the rule, the fallbacks, and what was skipped."""
        return self.router.route(self._request(request, fields), provider)

    def _plan(self, request: SessionRequest, provider: str | None) -> list[str]:
        route = self.router.route(request, provider)
        self.events.emit("route", logging.INFO, provider=route.provider, rule=route.rule, reason=route.reason,
                         fallbacks=",".join(route.fallbacks) or None, skipped=len(route.skipped) or None)
        # at most one hop: never fall back twice for one request
        return [route.provider, *route.fallbacks[:1]]

    def _after_create(self, name: str, error: EkycError | None, has_next: bool) -> bool:
        """Record the outcome of a create on ``name``; True when the next provider should be tried."""
        until = self.router.record(name, error)
        if until is not None:
            self.events.emit("cooldown", logging.WARNING, provider=name, until=round(until, 3),
                             seconds=self.router.config.cooldown.seconds)
        if error is None or not has_next or not may_fall_back(error):
            return False
        self.events.emit("fallback", logging.WARNING, provider=name, error=type(error).__name__,
                         http_status=error.http_status)
        return True

    def _ref(self, ref: SessionRef | str) -> SessionRef:
        return SessionRef.parse(ref) if isinstance(ref, str) else ref

    def parse_return_url(self, url: str, provider: str | None = None) -> SessionRef:
        """The session a user came back from, from the provider's redirect URL (hints never trusted).

        Without ``provider``, every available provider's parser is tried.
        """
        if provider is not None:
            return self.adapter(provider).parse_return_url(url)
        for name in self.providers:
            try:
                return self.adapter(name).parse_return_url(url)
            except EkycError:
                continue
        raise WebhookVerificationError("no provider recognizes this return URL", field="url")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], provider: str) -> WebhookEvent:
        """Verify and parse a webhook or callback of ``provider`` from its raw bytes and headers."""
        if not isinstance(body, (bytes, bytearray)):
            raise InvalidRequest("webhook bodies must be the raw bytes as received", field="body")
        event = self.adapter(provider).parse_webhook(bytes(body), headers)
        self.events.emit("webhook", provider=provider, verified_by=event.verified_by, event_id=event.event_id)
        return event

    def _exchange(self, provider: str, build: Callable[[], Prepared],
                  parse: Callable[[Prepared, httpx.Response], T]) -> Exchange[T]:
        timeout = self._timeouts.get(provider)
        if timeout is None:
            adapter = self.adapter(provider)
            timeout = self._timeouts[provider] = httpx.Timeout(
                adapter.settings.timeout or self.settings.timeout).as_dict()

        def timed() -> Prepared:
            prepared = build()
            prepared.request.extensions.setdefault("timeout", timeout)
            return prepared

        def on_retry(attempt: int, error: EkycError, wait: float) -> None:
            self.events.emit("retry", logging.INFO, provider=provider, attempt=attempt,
                             error=type(error).__name__, http_status=error.http_status,
                             wait_s=round(wait, 3))

        return self._observed(provider, exchange(provider, timed, parse, self.settings.retry, on_retry))

    def _call(self, provider: str, build: Callable[[], Prepared],
              parse: Callable[[Prepared, httpx.Response], Any]) -> Any:
        """Run one exchange with this client's driver (blocking or asyncio); see the subclasses."""
        raise NotImplementedError

    def _observed(self, provider: str, inner: Exchange[T]) -> Exchange[T]:
        """The exchange, with its ``error`` / ``call`` events (one place for both clients)."""
        started = time.perf_counter()
        try:
            result = yield from inner
        except EkycError as exc:
            self.events.emit("error", logging.INFO, provider=provider, error=type(exc).__name__,
                             http_status=exc.http_status, provider_code=exc.provider_code,
                             request_id=exc.request_id)
            raise
        if self.events.wants():
            self.events.emit("call", provider=provider, ms=round((time.perf_counter() - started) * 1000, 2))
        return result

    def extension(self, provider: str) -> Any:
        """Provider-specific operations (e.g. Didit's workflow and status management), bound to this
        client's retry loop; with :class:`AsyncClient` their methods are coroutines."""
        adapter = self.adapter(provider)
        ext = adapter.extension(lambda build, parse: self._call(provider, build, parse))
        if ext is None:
            raise ConfigurationError(f"{provider} has no provider-specific operations", field="provider")
        return ext


def _default_sandbox() -> Sandbox:
    global _sandbox_announced
    try:
        from .sandbox import Sandbox
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "no provider is configured, and the local sandbox needs the 'sandbox' extra "
            "(pip install 'ekyc-bridge[sandbox]')",
            field="providers",
        ) from exc
    if not _sandbox_announced:
        _log.warning("ekyc: no provider configured; using the in-process sandbox (set EKYC_ENV=production "
                     "to forbid this)")
        _sandbox_announced = True
    return Sandbox()


class Client(_Core):
    """Blocking client over every configured provider.

    ``Client()`` with nothing configured runs against the in-process sandbox. Use it as a context
    manager (or call :meth:`close`) to release pooled connections.
    """

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, *,
                 http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        # the httpx.Client (its SSL context and httpcore) is built on first use: building an ekyc
        # client stays cheap, and one that never calls out never pays for it
        self._http_client = http_client
        self._transport = transport
        self._closed = False
        self._sleep: Callable[[float], None] = time.sleep

    @property
    def _http(self) -> httpx.Client:
        http = self._http_client
        if http is None:
            if self._closed:  # what httpx says when a closed client is used
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            transport = self._transport
            if transport is None and self.sandbox is not None:
                transport = self.sandbox.transport()
            http = self._http_client = httpx.Client(transport=transport, timeout=self.settings.timeout)
        return http

    def _call(self, provider: str, build: Callable[[], Prepared],
              parse: Callable[[Prepared, httpx.Response], T]) -> T:
        result: T = run_sync(self._exchange(provider, build, parse), self._http.send, self._sleep)
        return result

    def create_session(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                       **fields: Any) -> Session:
        """Start a verification session (validated against the provider before any network call)."""
        req = self._request(request, fields)
        plan = self._plan(req, provider)
        for i, name in enumerate(plan):
            adapter = self.adapter(name)
            try:
                session: Session = self._call(name, partial(adapter.build_create, req), adapter.parse_create)
            except EkycError as exc:
                if self._after_create(name, exc, i + 1 < len(plan)):
                    continue
                raise
            self._after_create(name, None, False)
            return session
        raise AssertionError("unreachable: a plan has at least one provider")  # pragma: no cover

    def get_result(self, ref: SessionRef | str) -> Decision:
        """The normalized decision of a session, from the provider that holds it."""
        sref = self._ref(ref)
        adapter = self.adapter(sref.provider)
        return self._call(adapter.name, lambda: adapter.build_result(sref), adapter.parse_result)

    def close(self) -> None:
        """Release pooled connections."""
        self._closed = True
        if self._http_client is not None:
            self._http_client.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Core):
    """Non-blocking client over every configured provider (real asyncio I/O through ``httpx.AsyncClient``)."""

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, *,
                 http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._http_client = http_client  # built on first use, like Client's
        self._transport = transport
        self._closed = False
        import asyncio  # imported here: blocking users never pay for it

        self._sleep: Callable[[float], Any] = asyncio.sleep

    @property
    def _http(self) -> httpx.AsyncClient:
        http = self._http_client
        if http is None:
            if self._closed:  # what httpx says when a closed client is used
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            transport = self._transport
            if transport is None and self.sandbox is not None:
                transport = self.sandbox.async_transport()
            http = self._http_client = httpx.AsyncClient(transport=transport, timeout=self.settings.timeout)
        return http

    async def _call(self, provider: str, build: Callable[[], Prepared],
                    parse: Callable[[Prepared, httpx.Response], T]) -> T:
        result: T = await run_async(self._exchange(provider, build, parse), self._http.send, self._sleep)
        return result

    async def create_session(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                             **fields: Any) -> Session:
        """Start a verification session (validated against the provider before any network call)."""
        req = self._request(request, fields)
        plan = self._plan(req, provider)
        for i, name in enumerate(plan):
            adapter = self.adapter(name)
            try:
                session: Session = await self._call(name, partial(adapter.build_create, req), adapter.parse_create)
            except EkycError as exc:
                if self._after_create(name, exc, i + 1 < len(plan)):
                    continue
                raise
            self._after_create(name, None, False)
            return session
        raise AssertionError("unreachable: a plan has at least one provider")  # pragma: no cover

    async def get_result(self, ref: SessionRef | str) -> Decision:
        """The normalized decision of a session, from the provider that holds it."""
        sref = self._ref(ref)
        adapter = self.adapter(sref.provider)
        return await self._call(adapter.name, lambda: adapter.build_result(sref), adapter.parse_result)

    async def aclose(self) -> None:
        """Release pooled connections."""
        self._closed = True
        if self._http_client is not None:
            await self._http_client.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
