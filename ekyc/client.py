"""The clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio), the only places that do I/O.

Both share everything but the driver: settings, provider adapters, validation, routing, the retry
loop (:mod:`ekyc._retry`) and events. A create is validated against the chosen provider's capabilities
before any network call; ``get_result`` dispatches on the ref's provider, whatever the current default.
"""

from __future__ import annotations

import functools
import hmac
import importlib
import inspect
import logging
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from os import PathLike
from typing import Any, NamedTuple, ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx

from . import registry
from ._events import Events, Hook
from ._http import asend as asend_direct
from ._http import pool_transport
from ._http import send as send_direct
from ._redact import safe_field
from ._retry import Attempts, Exchange, describe_failure, exchange, run_async, run_sync
from ._wire import MAX_BODY
from .errors import (
    ConfigurationError,
    EkycError,
    InvalidRequest,
    ProviderError,
    SessionMismatch,
    WebhookVerificationError,
)
from .models import Decision, Session, SessionRef, SessionRequest, WebhookEvent
from .provider import Capabilities, FollowUp, Prepared, Provider
from .routing import Predicate, Route, Router, may_fall_back
from .settings import Settings

T = TypeVar("T")
P = ParamSpec("P")
C = TypeVar("C", bound="_Core")
_log = logging.getLogger("ekyc")
_sandbox_announced = False

#: the largest webhook or callback body accepted, for every provider (bytes)
MAX_WEBHOOK_BYTES = MAX_BODY
#: the largest return URL accepted (characters)
MAX_URL_CHARS = 16 * 1024
#: the most headers a webhook may carry, and their largest total size (characters)
MAX_HEADERS = 256
MAX_HEADER_CHARS = 64 * 1024
#: what ``Client()`` calls for its :class:`Backend` when it uses the sandbox and is given neither a backend nor
#: a transport: a ``"module:function"`` string imported on use (as the provider registry imports providers), so
#: the core never imports the sandbox; ``ekyc.sandbox.backend`` starts a fresh in-process sandbox
SANDBOX_HOOK = "ekyc.sandbox:backend"


@dataclass(frozen=True)
class Backend:
    """What a client talks to instead of each provider's real endpoint — the sandbox is the one there is —
    given to a client as ``Client(settings, backend=...)``: plain settings, transports and a clock.

    ``providers`` maps each provider name to the settings that point it at the backend (credentials, base
    URL); ``transport`` / ``async_transport`` reach it (httpx transports; the sandbox's are in-process, no
    sockets); ``clock`` is its time (seconds since the epoch: signatures, expiry, cooldowns); ``sandbox`` is
    the object running it, returned by ``client.sandbox`` for its controls (``complete``, ``deliveries``,
    ``clock``, ``set_fault``). ``Sandbox.client()`` builds a client on one; ``Client()`` gets one from
    :data:`SANDBOX_HOOK` when it uses the sandbox and is given no transport.
    """

    providers: Mapping[str, Mapping[str, Any]]
    transport: httpx.BaseTransport
    async_transport: httpx.AsyncBaseTransport
    clock: Callable[[], float]
    sandbox: Any = None

    def config(self, over: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A settings mapping pointing every provider at this backend (``env="sandbox"``, the first provider
        the default), with ``over`` layered on top, nested mappings merged: ``{"providers": {"tencent":
        {"secret_key": "wrong"}}}`` changes one setting of one provider."""
        base: dict[str, Any] = {"env": "sandbox", "providers": {name: dict(s) for name, s in self.providers.items()}}
        data = _merged(base, over or {})
        if data.get("provider") is None and self.providers:
            data["provider"] = next(iter(self.providers))
        return data


def _typed(failure: type[EkycError], what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """The public boundary of a blocking entry point: only :class:`EkycError` leaves it.

    Inputs are checked explicitly first (refs, URLs, bodies, headers, provider names, requests); this is
    the backstop for whatever an adapter still fails on: the exception becomes ``failure`` naming its type
    and place (never its text, which may hold values), chain dropped, and is logged as a warning so it is
    seen and fixed.
    """

    def wrap(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return fn(*args, **kwargs)
            except EkycError as exc:
                _detach(exc)
                raise
            except Exception as exc:  # the boundary
                error = _untyped(failure, what, exc)
            raise error  # outside the handler: the stray exception (and its values) is not its context

        return guarded

    return wrap


def _typed_async(failure: type[EkycError], what: str) -> Callable[[Callable[P, Awaitable[T]]],
                                                                  Callable[P, Awaitable[T]]]:
    """:func:`_typed` for coroutine entry points."""

    def wrap(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await fn(*args, **kwargs)
            except EkycError as exc:
                _detach(exc)
                raise
            except Exception as exc:  # the boundary
                error = _untyped(failure, what, exc)
            raise error

        return guarded

    return wrap


class _QueryRedaction(logging.Filter):
    """httpx logs every request's full URL at INFO (``HTTP Request: GET https://…?vendor_data=user-42``).
    A query value can be personal (a Didit ``list_sessions`` filter) or a bearer token (a hosted-page link the
    sandbox opens), so the values are masked in that line — for every httpx client in the process, since httpx
    offers no per-client switch; the method, host, path and status stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, httpx.URL) and a.query for a in args):
            record.args = tuple(_masked(a) if isinstance(a, httpx.URL) else a for a in args)
        return True


def _masked(url: httpx.URL) -> str:
    if not url.query:
        return str(url)
    return str(url.copy_with(query=None)) + "?" + "&".join(
        f"{k}=***" for k in dict.fromkeys(url.params.keys()))


_redaction_installed = False


def _install_query_redaction() -> None:
    global _redaction_installed
    if not _redaction_installed:
        logging.getLogger("httpx").addFilter(_QueryRedaction())
        _redaction_installed = True


def _detach(error: EkycError) -> EkycError:
    """Drop ``error``'s exception chain: what it was raised from (a parser error holding the payload, an httpx
    error holding the request and its credentials) must not leave the library with it. The message, type and
    fields (provider, status, codes, request id) say what happened."""
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


class _Operations:
    """A provider's extension object behind the same typed boundary as the client's own methods: each
    method (and, with :class:`AsyncClient`, the coroutine it returns) raises only :class:`EkycError`."""

    def __init__(self, inner: Any, provider: str) -> None:
        self._inner = inner
        self._provider = provider

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("_") or not callable(value):
            return value
        what = f"{self._provider}.{name}"
        sync = _typed(InvalidRequest, what)(value)

        @functools.wraps(value)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            result = sync(*args, **kwargs)
            if inspect.isawaitable(result):
                return _typed_async(InvalidRequest, what)(_awaiting)(result)
            return result

        return guarded

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._inner) if not n.startswith("_")]

    def __repr__(self) -> str:
        return f"<{self._provider} operations ({type(self._inner).__name__})>"


async def _awaiting(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _untyped(failure: type[EkycError], what: str, exc: Exception) -> EkycError:
    where = describe_failure(exc)
    _log.warning("ekyc: untyped failure in %s converted to %s (%s)", what, failure.__name__, where)
    return failure(f"{what} failed on unexpected input ({where})")


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _names_session(found: SessionRef, stored: SessionRef) -> bool:
    """Whether a ref read from a URL names the stored session: same provider and id, and every part the URL
    carries equal to the stored one's (a stored ref may carry more, e.g. Tencent's Config). Constant time
    per part."""
    if found.provider != stored.provider or len(found.extra) > len(stored.extra):
        return False
    same = _same(found.id, stored.id)
    for mine, theirs in zip(found.extra, stored.extra[: len(found.extra)], strict=True):
        same = _same(mine, theirs) and same
    return same


def _return_url(url: Any) -> str:
    """A return URL as text, parsed once: anything that is not a well-formed URL is a typed error."""
    if isinstance(url, (bytes, bytearray)):
        try:
            url = bytes(url).decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookVerificationError("the return URL is not UTF-8", field="url") from None
    elif not isinstance(url, str) and hasattr(url, "scheme") and hasattr(url, "query"):
        url = str(url)  # a URL object (httpx.URL, Starlette's request.url): its text form
    if not isinstance(url, str):
        raise WebhookVerificationError("the return URL must be text", field="url")
    if len(url) > MAX_URL_CHARS:
        raise WebhookVerificationError(f"the return URL is longer than {MAX_URL_CHARS} characters", field="url")
    if not url.isprintable() or url != url.strip():
        raise WebhookVerificationError("the return URL holds whitespace or control characters", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise WebhookVerificationError("the return URL is not a well-formed URL", field="url") from None
    return url


def _webhook_headers(headers: Any) -> dict[str, str]:
    """Webhook headers as a plain ``dict[str, str]`` (case-variant duplicates refused)."""
    if isinstance(headers, httpx.Headers):
        items = list(headers.multi_items())
    elif isinstance(headers, Mapping):
        items = list(headers.items())
    elif headers is None:
        items = []
    else:
        raise InvalidRequest("webhook headers must be a mapping of header names to values", field="headers")
    if len(items) > MAX_HEADERS:
        raise WebhookVerificationError(f"more than {MAX_HEADERS} headers", field="headers")
    out: dict[str, str] = {}
    seen: set[str] = set()
    size = 0
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidRequest("webhook header names and values must be text", field="headers")
        size += len(name) + len(value)
        if size > MAX_HEADER_CHARS:
            raise WebhookVerificationError(f"the headers are larger than {MAX_HEADER_CHARS} characters",
                                           field="headers")
        key = name.lower()
        if key in seen:
            raise WebhookVerificationError("a header name is given twice (in any case)", field="headers")
        seen.add(key)
        out[name] = value
    return out


class _Core:
    """Configuration, adapters and request preparation shared by both clients."""

    def __init__(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        backend: Backend | None = None,
        connected: bool = False,
        clock: Callable[[], float] | None = None,
        hooks: Iterable[Hook] = (),
        predicates: Mapping[str, Predicate] | None = None,
        **options: Any,
    ) -> None:
        if "sandbox" in options:
            raise ConfigurationError("a client on a sandbox is built by the sandbox: sandbox.client() or "
                                     "sandbox.async_client() (Client(sandbox=...) is gone)", field="sandbox")
        if backend is not None:  # explicit: its settings, the caller's layered on top; never the environment
            settings = Settings.load(backend.config(_merged(_fields(settings), options)))
        else:
            settings = _settings(settings, options)
            if settings.provider and settings.provider not in settings.providers and settings.env != "sandbox":
                raise _unconfigured(settings.provider)
            if settings.uses_sandbox and not connected:
                backend = _sandbox_backend(settings.env == "sandbox")
                # the environment chooses the default provider, routing, retries and timeouts; the provider
                # settings are the sandbox's alone (real credentials from the environment never reach it)
                kept = {name: getattr(settings, name) for name in settings.model_fields_set - {"env", "providers"}}
                settings = Settings.load(backend.config(kept))
            elif not settings.providers:
                raise ConfigurationError(
                    "no provider is configured and env is 'production', so the sandbox is not used; configure "
                    "a provider (e.g. EKYC_PROVIDER and its credentials)",
                    field="providers",
                )
        self.settings: Settings = settings
        self.events = Events(hooks)
        self._backend = backend
        self._clock = clock or (backend.clock if backend is not None else time.time)
        self._adapters: dict[str, Provider] = {}
        self._timeouts: dict[str, dict[str, float | None]] = {}
        # no routing settings: None (the router builds the empty config only if asked for it)
        self.router = Router(settings.routing_config if settings.routing else None,
                             default=lambda: self.default_provider,
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
        return self.settings.configured

    @property
    def sandbox(self) -> Any:
        """The sandbox this client talks to — the one ``Client()`` started when nothing is configured, or the
        one whose ``client()`` built it — for its controls (``complete(session, scenario)``, ``deliveries``,
        ``clock``, ``set_fault``); None for a client of real providers."""
        return self._backend.sandbox if self._backend is not None else None

    @property
    def default_provider(self) -> str:
        """Where new sessions go when no route or override says otherwise."""
        return self.settings.default_provider()

    @_typed(ConfigurationError, "adapter")
    def adapter(self, name: str) -> Provider:
        """The sans-I/O adapter of provider ``name``, built once from this client's settings and clock
        (:class:`ConfigurationError` when this client has no such provider)."""
        if not isinstance(name, str):
            raise ConfigurationError("a provider name must be text", field="provider")
        adapter = self._adapters.get(name)
        if adapter is None:
            if not registry.known(name):
                raise ConfigurationError(f"unknown provider {safe_field(name) or '***'!r}; known: "
                                         f"{', '.join(registry.names())}", field="provider")
            provider_settings = self.settings.provider_settings(name)
            adapter = self._adapters[name] = registry.load(name)(provider_settings, clock=self._clock)
        return adapter

    @_typed(ConfigurationError, "capabilities")
    def capabilities(self) -> dict[str, Capabilities]:
        """What each available provider can honour."""
        return {name: registry.load(name).capabilities for name in self.providers}

    # -- preparation -----------------------------------------------------------------------------
    def _request(self, request: SessionRequest | None, fields: Mapping[str, Any]) -> SessionRequest:
        if request is None:
            req = SessionRequest(**fields)
        elif not isinstance(request, SessionRequest):
            raise InvalidRequest("expected a SessionRequest (or its fields as keyword arguments)", field="request")
        else:
            req = request.replace(**fields) if fields else request  # validated like a new request
        try:  # the reference is bound into the ref after the create: refuse what cannot be, before sending
            SessionRef(provider="ekyc", id="check", reference=req.reference)
        except InvalidRequest as exc:
            raise InvalidRequest(f"invalid SessionRequest.reference: {exc.message.rpartition(': ')[2]}",
                                 field="reference") from None
        return req

    def _check(self, name: str, request: SessionRequest) -> None:
        self.adapter(name).check_request(request)

    @_typed(InvalidRequest, "explain_route")
    def explain_route(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                      **fields: Any) -> Route:
        """Where a create would go and why: the provider, the rule, the fallbacks, and what was skipped."""
        return self.router.route(self._request(request, fields), provider)

    def _plan(self, request: SessionRequest, provider: str | None) -> list[str]:
        route = self.router.route(request, provider)
        if self.events.wants(logging.INFO):
            self.events.emit("route", logging.INFO, provider=route.provider, rule=route.rule, reason=route.reason,
                             fallbacks=",".join(route.fallbacks) or None, skipped=len(route.skipped) or None)
        # at most one hop: never fall back twice for one request
        return [route.provider, *route.fallbacks[:1]]

    def _after_create(self, name: str, error: EkycError | None, attempts: Attempts, has_next: bool) -> bool:
        """Record the outcome of a create on ``name``; True when the next provider should be tried.

        Falling back needs the whole call's attempts, not only the last error: a create that timed out and
        was then refused may still have started a session (see :func:`ekyc.routing.may_fall_back`).
        """
        until = self.router.record(name, error)
        if until is not None:
            self.events.emit("cooldown", logging.WARNING, provider=name, until=round(until, 3),
                             seconds=self.router.config.cooldown.seconds)
        if error is None or not has_next or not may_fall_back(error, attempts.retry, attempts.processed):
            return False
        self.events.emit("fallback", logging.WARNING, provider=name, error=type(error).__name__,
                         http_status=error.http_status)
        return True

    def _bind(self, session: Session, request: SessionRequest) -> Session:
        """``session`` with the request's reference bound into its ref (one mechanism for every provider)."""
        ref = session.ref
        if ref.reference is not None and not _same(ref.reference, request.reference):
            raise SessionMismatch("the provider answered the create with a session for another reference",
                                  provider=ref.provider, field="reference")
        if ref.reference is not None:
            return session
        return session.model_copy(update={"ref": ref.model_copy(update={"reference": request.reference})})

    def _ref(self, ref: SessionRef | str) -> SessionRef:
        if isinstance(ref, SessionRef):
            return ref
        if isinstance(ref, str):
            return SessionRef.parse(ref)
        raise InvalidRequest("a session ref is a SessionRef or the string from ref.serialize()", field="ref")

    def _settle(self, ref: SessionRef, decision: Decision) -> Decision:
        """The decision about ``ref``, with ``reference`` set and checked against the one bound at create.

        ``Decision.reference`` is the provider's echo when it has one (adapters fill it), else the reference
        bound into the ref. When both exist and differ, the stored ref was swapped or tampered with:
        :class:`SessionMismatch`, never a decision.
        """
        echo, bound = decision.reference, ref.reference
        if bound is not None and echo is not None and not _same(bound, echo):
            raise SessionMismatch("the provider reports this session was started for another reference than "
                                  "the one bound into the ref", provider=ref.provider, field="reference")
        reference = echo if echo is not None else bound
        update: dict[str, Any] = {}
        if reference != decision.reference:
            update["reference"] = reference
        if decision.ref.reference != bound:
            update["ref"] = decision.ref.model_copy(update={"reference": bound})
        return decision.model_copy(update=update) if update else decision

    @_typed(WebhookVerificationError, "parse_return_url")
    def parse_return_url(self, url: str, provider: str | None = None, *,
                         expected: SessionRef | str | None = None) -> SessionRef:
        """The session a user came back from, from the provider's redirect URL (hints never trusted).

        The return URL is only a signal to go and look: anyone can open it with any session id. Pass the
        ref you stored for the signed-in user as ``expected`` (a :class:`SessionRef` or the string from
        ``session.ref.serialize()``): the URL must name that same session (compared in constant time), else
        :class:`SessionMismatch`; the stored ref, with its bound reference, is returned. Then call
        ``get_result`` on it. Without ``expected`` the ref is parsed from the URL alone and carries no
        reference: never decide about the signed-in user with it.

        ``url`` is a str (or bytes, or a URL object such as Starlette's ``request.url``), at most
        :data:`MAX_URL_CHARS` characters. Without ``provider`` (or ``expected``), every available provider's
        parser is tried. Raises :class:`WebhookVerificationError` (``field="url"``) for a URL no provider
        recognizes, :class:`SessionMismatch` for another session than ``expected``.
        """
        text = _return_url(url)
        stored = None if expected is None else self._ref(expected)
        if provider is None and stored is not None:
            provider = stored.provider
        found = self._any_return_url(text) if provider is None else self.adapter(provider).parse_return_url(text)
        if stored is None:
            return found
        if not _names_session(found, stored):
            raise SessionMismatch("the return URL names another session than the one stored for this user",
                                  provider=stored.provider, field="url")
        return stored

    def _any_return_url(self, url: str) -> SessionRef:
        for name in self.providers:
            try:
                return self.adapter(name).parse_return_url(url)
            except EkycError:
                continue
        raise WebhookVerificationError("no provider recognizes this return URL", field="url")

    @_typed(WebhookVerificationError, "parse_webhook")
    def parse_webhook(self, body: bytes, headers: Mapping[str, str], provider: str) -> WebhookEvent:
        """Verify and parse a webhook or callback of ``provider`` from its raw bytes and headers.

        ``body`` is the raw request body as received (``bytes``, at most :data:`MAX_WEBHOOK_BYTES`);
        ``headers`` a mapping of header names to values (names compared case-insensitively; a name given
        twice is refused). Raises :class:`WebhookVerificationError` (or :class:`InvalidRequest` for
        arguments of the wrong type) before the adapter sees anything malformed.
        """
        if not isinstance(body, (bytes, bytearray)):
            raise InvalidRequest("webhook bodies must be the raw bytes as received", field="body")
        if len(body) > MAX_WEBHOOK_BYTES:
            raise WebhookVerificationError(f"the webhook body is larger than {MAX_WEBHOOK_BYTES} bytes",
                                           provider=provider if isinstance(provider, str) else None, field="body")
        plain = _webhook_headers(headers)
        event = self.adapter(provider).parse_webhook(bytes(body), plain)
        if self.events.wants():
            self.events.emit("webhook", provider=provider, verified_by=event.verified_by, event_id=event.event_id)
        return event

    def _exchange(self, provider: str, build: Callable[[], Prepared],
                  parse: Callable[[Prepared, httpx.Response], T | FollowUp],
                  record: Attempts | None = None) -> Exchange[T]:
        """One call through the retry loop, with this client's retry settings, the provider's timeout and the
        client's events (``retry`` / ``error`` / ``call``, naming the operation) — one place for both clients."""
        timeout = self._timeouts.get(provider)
        if timeout is None:
            adapter = self.adapter(provider)
            timeout = self._timeouts[provider] = httpx.Timeout(
                adapter.settings.timeout or self.settings.timeout).as_dict()
        return exchange(provider, build, parse, self.settings.retry, self.events, record, timeout)

    def _run(self, gen: Exchange[T]) -> Any:
        """Drive an exchange with this client's I/O: blocking, or a coroutine (see the subclasses)."""
        raise NotImplementedError

    def _create(self, request: SessionRequest, provider: str | None) -> Exchange[Session]:
        """A create, on the routed provider, then on its fallback when no session can have been started."""
        plan = self._plan(request, provider)
        for i, name in enumerate(plan):
            adapter = self.adapter(name)
            attempts = Attempts()
            try:
                session = yield from self._exchange(name, partial(adapter.build_create, request),
                                                    adapter.parse_create, attempts)
            except EkycError as exc:
                if self._after_create(name, exc, attempts, i + 1 < len(plan)):
                    continue
                raise
            self._after_create(name, None, attempts, False)
            return self._bind(session, request)
        raise AssertionError("unreachable: a plan has at least one provider")  # pragma: no cover

    def _read(self, ref: SessionRef) -> Exchange[Decision]:
        """A result read from the provider that holds ``ref`` (the caller settles it: :meth:`_settle`)."""
        adapter = self._adapters.get(ref.provider) or self.adapter(ref.provider)
        return self._exchange(adapter.name, partial(adapter.build_result, ref), adapter.parse_result)

    @_typed(ConfigurationError, "extension")
    def extension(self, provider: str) -> Any:
        """Provider-specific operations (e.g. Didit's workflow and status management), bound to this
        client's retry loop; with :class:`AsyncClient` their methods are coroutines."""
        adapter = self.adapter(provider)
        ext = adapter.extension(lambda build, parse: self._run(self._exchange(provider, build, parse)))
        if ext is None:
            raise ConfigurationError(f"{provider} has no provider-specific operations", field="provider")
        return _Operations(ext, provider)


def _settings(settings: Settings | Mapping[str, Any] | None, options: Mapping[str, Any]) -> Settings:
    """The client's settings. Nothing given: the environment, exactly as :meth:`Settings.from_env` reads it
    (keyword options layered on top), so ``EKYC_ENV=production`` or ``EKYC_PROVIDER`` are never ignored.
    Settings given (a mapping or :class:`Settings`, as ``Sandbox.client()`` gives them) never read the
    environment: real credentials must never reach a sandbox."""
    if isinstance(settings, Settings):
        if options:
            raise ConfigurationError(f"unexpected arguments with a Settings object: {', '.join(options)}")
        return settings
    if isinstance(settings, Mapping):
        return Settings.load({**settings, **options})
    if settings is not None:
        raise ConfigurationError("settings must be a Settings object or a mapping", field="settings")
    from_env = Settings.from_env()
    if not options:
        return from_env
    return Settings.load(_merged(_fields(from_env), options))


def _fields(settings: Settings | Mapping[str, Any] | None) -> dict[str, Any]:
    """Settings as a mapping of what they set (to layer more on top)."""
    if isinstance(settings, Settings):
        return {name: getattr(settings, name) for name in settings.model_fields_set}
    if isinstance(settings, Mapping):
        return dict(settings)
    if settings is not None:
        raise ConfigurationError("settings must be a Settings object or a mapping", field="settings")
    return {}


def _unconfigured(name: str) -> ConfigurationError:
    """The error for a default provider named without its settings: never a silent sandbox. Names the
    required settings and their variables, and variables of that provider that are not known (misspelt)."""
    import os

    model = registry.load(name).settings_model
    required = [f for f, info in model.model_fields.items() if info.is_required()]
    known = {f"EKYC_{name.upper()}_{f.upper()}" for f in model.model_fields}
    wanted = "; ".join(
        f"providers.{name}.{f} ({' or '.join((f'EKYC_{name.upper()}_{f.upper()}', *model.env_aliases.get(f, ())))})"
        for f in required) or f"a [providers.{name}] section"
    aliases = {v for vs in model.env_aliases.values() for v in vs}
    prefixes = {f"EKYC_{name.upper()}_", *(v.split("_", 1)[0] + "_" for v in aliases)}
    unknown = sorted(v for v in os.environ if v.startswith(tuple(prefixes)) and v not in known | aliases)
    hint = f"; not known (misspelt?): {', '.join(unknown)}" if unknown else ""
    field = f"providers.{name}.{required[0]}" if required else f"providers.{name}"
    return ConfigurationError(f"the provider is {name!r} but it is not configured (the sandbox is used only when "
                              f"no provider is named, or with env='sandbox'): set {wanted}{hint}", field=field)


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _sandbox_backend(asked: bool = False) -> Backend:
    """The backend of :data:`SANDBOX_HOOK` (a fresh in-process sandbox), announced once per process; ``asked``:
    chosen by ``env="sandbox"`` rather than by the absence of any provider."""
    global _sandbox_announced
    module, _, attr = SANDBOX_HOOK.partition(":")
    try:
        hook: Callable[[], Backend] = getattr(importlib.import_module(module), attr)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigurationError(
            "no provider is configured, and the local sandbox needs the 'sandbox' extra "
            "(pip install 'ekyc-bridge[sandbox]')",
            field="providers",
        ) from exc
    if not _sandbox_announced:
        if asked:
            _log.warning("ekyc: EKYC_ENV=sandbox; using the in-process sandbox for every provider")
        else:
            _log.warning("ekyc: no provider configured; using the in-process sandbox (set EKYC_ENV=production "
                         "to forbid this)")
        _sandbox_announced = True
    return hook()


async def _close_at_shutdown(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Suspended once started; when its event loop shuts down (``loop.shutdown_asyncgens()``, which
    ``asyncio.run`` calls) or when closed, it closes ``http`` in that loop."""
    try:
        yield
    finally:
        await http.aclose()


def _closed() -> ConfigurationError:
    return ConfigurationError("this client is closed; create a new one", field="client")


def _blocking_sender(http: httpx.Client, direct: httpx.BaseTransport | None) -> Callable[[httpx.Request],
                                                                                      httpx.Response]:
    """The send of a :class:`Client`'s pool, built once: through its transport directly (see :mod:`ekyc._http`),
    or through ``httpx.Client.send`` for an ``http_client`` given to the client or a pool behind a proxy."""
    if direct is None:
        def send(request: httpx.Request) -> httpx.Response:
            if http.is_closed:  # an http_client given to us and closed by its owner: nothing is sent
                raise _closed()
            return http.send(request)
    else:
        def send(request: httpx.Request) -> httpx.Response:
            if http.is_closed:
                raise _closed()
            return send_direct(direct, request)
    return send


class Client(_Core):
    """Blocking client over every configured provider.

    ``Client()`` reads the environment like :meth:`from_env`; with nothing configured (and ``EKYC_ENV`` not
    ``production``) it runs against the in-process sandbox. One client is safe to share between threads (its
    connection pool is built once, on first use). Use it as a context manager (or call :meth:`close`) to
    release pooled connections; a closed client raises :class:`ConfigurationError`.

    Besides settings (a :class:`Settings`, a mapping, or keyword options layered over the environment):
    ``backend`` (a :class:`Backend` — the sandbox's — whose provider settings, transport and clock the client
    uses, the given settings layered on top and the environment never read; ``Sandbox.client()`` passes it);
    ``http_client`` (an ``httpx.Client`` used as is) or ``transport`` (an ``httpx.BaseTransport`` for the client's
    own pool: a proxy, a mock); ``clock`` (seconds since the epoch, for signatures, expiry and routing cooldowns;
    default ``time.time``); ``sleep`` (how the retry loop waits, default ``time.sleep``); ``hooks`` (event
    hooks, see ``docs/routing.md``) and ``predicates`` (routing predicates by name).
    """

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, *,
                 http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None, **kwargs: Any) -> None:
        super().__init__(settings, connected=http_client is not None or transport is not None, **kwargs)
        # the httpx.Client (its SSL context and httpcore) is built on first use: building an ekyc
        # client stays cheap, and one that never calls out never pays for it
        self._http_client = http_client
        self._transport = transport or (self._backend.transport if self._backend is not None else None)
        #: the own pool's transport, sent through directly (see ekyc._http); None: through ``httpx.Client.send``
        self._direct: httpx.BaseTransport | None = None
        #: how each request is sent (built with the pool, on first use)
        self._send: Callable[[httpx.Request], httpx.Response] | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._sleep: Callable[[float], None] = sleep or time.sleep

    @property
    def _http(self) -> httpx.Client:
        http = self._http_client
        if http is None or self._closed:
            with self._lock:  # double-checked: sixteen first calls build one pool
                if self._closed:
                    raise _closed()
                http = self._http_client
                if http is None:
                    _install_query_redaction()
                    transport = pool_transport(self._transport, httpx.HTTPTransport)
                    http = httpx.Client(transport=transport, timeout=self.settings.timeout)
                    self._direct = transport
                    self._http_client = http
        return http

    def _run(self, gen: Exchange[T]) -> T:
        send = self._send
        if send is None or self._closed:  # the first call (or a closed client: _http raises)
            send = self._send = _blocking_sender(self._http, self._direct)
        return run_sync(gen, send, self._sleep)

    @_typed(InvalidRequest, "create_session")
    def create_session(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                       **fields: Any) -> Session:
        """Start a verification session (validated against the provider before any network call).

        Give a :class:`SessionRequest` or its fields as keyword arguments (``reference`` is your user id).
        The returned ``session.ref`` has the request's ``reference`` bound into it: store
        ``session.ref.serialize()`` next to your user and fetch the result with ``get_result(stored)``.
        A provider-side failure moves to the routing fallback only when no session can have been started.
        """
        return self._run(self._create(self._request(request, fields), provider))

    @_typed(ProviderError, "get_result")
    def get_result(self, ref: SessionRef | str) -> Decision:
        """The normalized decision of a session, from the provider that holds it.

        ``ref`` is the ref you stored (a :class:`SessionRef` or ``ref.serialize()``), never one read from a
        return URL alone. ``decision.reference`` is the app reference the provider echoed, else the one bound
        into the ref at create: compare it with the signed-in user. When the provider's echo and the bound
        reference differ, :class:`SessionMismatch` is raised instead of a decision.
        """
        ref = self._ref(ref)
        return self._settle(ref, self._run(self._read(ref)))

    def close(self) -> None:
        """Release pooled connections; later calls raise :class:`ConfigurationError`."""
        with self._lock:
            self._closed = True
            http = self._http_client
        if http is not None:
            http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: how an :class:`AsyncClient` sends one request through a pool
Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


class _Pool(NamedTuple):
    """One event loop's connection pool: the ``httpx.AsyncClient``, the generator that closes it at the loop's
    end (None for an ``http_client`` given to the client), and the send every request of the loop goes through."""

    http: httpx.AsyncClient
    closer: AsyncGenerator[None, None] | None
    send: Send


def _sender(http: httpx.AsyncClient, direct: httpx.AsyncBaseTransport | None) -> Send:
    """The send of a pool, built once with it: through its transport directly (see :mod:`ekyc._http`), or
    through ``httpx.AsyncClient.send`` when the pool routes through an environment proxy or was given. The
    send returned is not a coroutine itself (one frame less per request)."""
    if direct is None:
        def send(request: httpx.Request) -> Awaitable[httpx.Response]:
            if http.is_closed:  # an http_client given to us and closed by its owner: nothing is sent
                raise _closed()
            return http.send(request)
    else:
        def send(request: httpx.Request) -> Awaitable[httpx.Response]:
            if http.is_closed:
                raise _closed()
            return asend_direct(direct, request)
    return send


class AsyncClient(_Core):
    """Non-blocking client over every configured provider (real asyncio I/O through ``httpx.AsyncClient``).

    One client may be used from several event loops (e.g. ``asyncio.run`` per job): each loop gets its own
    connection pool, built on first use there; pools of loops that have closed are dropped. An
    ``http_client`` given to it is used as is, so using it after its first event loop closed raises
    :class:`ConfigurationError` before anything is sent. A closed client raises :class:`ConfigurationError`.
    """

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, *,
                 http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(settings, connected=http_client is not None or transport is not None, **kwargs)
        self._given = http_client
        self._fixed_loop: Any = None  # the loop a given http_client / loop-bound transport was first used in
        self._transport = transport or (self._backend.async_transport if self._backend is not None else None)
        #: event loop → its pool (built on first use there), the generator that closes it at the loop's end, its send
        self._pools: dict[Any, _Pool] = {}
        self._closed = False
        self._lock = threading.Lock()
        import asyncio  # imported here: blocking users never pay for it

        self._asyncio = asyncio
        self._sleep: Callable[[float], Awaitable[Any]] = sleep or asyncio.sleep

    def _ready(self) -> Send | None:
        """The send of the running loop's pool when it is built and usable as is (every call but a loop's
        first), looked up without a coroutine or a lock; else None (:meth:`_open` decides)."""
        loop = self._asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None or self._closed or (self._fixed_loop is not None and self._fixed_loop is not loop):
            return None
        return pool.send

    async def _open(self) -> Send:
        """The send of the running loop's connection pool, the pool built on first use in that loop.

        Each pool is closed in its own loop when that loop shuts down (``asyncio.run`` finalizes the async
        generators of its loop: :func:`_close_at_shutdown` is one), so no socket outlives its loop. An
        ``http_client`` or a loop-bound ``httpx.AsyncHTTPTransport`` given to the client cannot be rebuilt
        per loop: using it after the loop it was first used in has closed is refused before sending.
        """
        loop = self._asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                raise _closed()
            if self._given is not None or isinstance(self._transport, httpx.AsyncHTTPTransport):
                self._fixed_loop = self._fixed_loop or loop
                if self._fixed_loop is not loop and self._fixed_loop.is_closed():
                    raise ConfigurationError(
                        "the http_client/transport given to this AsyncClient was used in an event loop that has "
                        "closed, and its connections cannot move to another loop; give neither (a pool is built "
                        "per loop) or build one AsyncClient per loop", field="http_client")
            pool = self._pools.get(loop)
            if pool is not None:
                return pool.send
            for old in [lp for lp in self._pools if lp.is_closed()]:
                del self._pools[old]  # closed at its loop's shutdown (or died with it)
            if self._given is not None:
                http, direct = self._given, None
            else:
                _install_query_redaction()
                direct = pool_transport(self._transport, httpx.AsyncHTTPTransport)
                http = httpx.AsyncClient(transport=direct, timeout=self.settings.timeout)
            closer = _close_at_shutdown(http) if self._given is None else None
            pool = self._pools[loop] = _Pool(http, closer, _sender(http, direct))
        if closer is not None:
            await closer.__anext__()  # registered with the loop: finalized (and the pool closed) at its shutdown
        return pool.send

    async def _run(self, gen: Exchange[T]) -> T:
        return await run_async(gen, self._ready() or await self._open(), self._sleep)

    @_typed_async(InvalidRequest, "create_session")
    async def create_session(self, request: SessionRequest | None = None, /, *, provider: str | None = None,
                             **fields: Any) -> Session:
        """Start a verification session; see :meth:`Client.create_session`."""
        return await self._run(self._create(self._request(request, fields), provider))

    @_typed_async(ProviderError, "get_result")
    async def get_result(self, ref: SessionRef | str) -> Decision:
        """The normalized decision of a session; see :meth:`Client.get_result`."""
        ref = self._ref(ref)
        send = self._ready() or await self._open()  # what _run does, without its frame: the hot path
        return self._settle(ref, await run_async(self._read(ref), send, self._sleep))

    async def aclose(self) -> None:
        """Release pooled connections; later calls raise :class:`ConfigurationError`.

        The running loop's pool is closed here; pools of other loops still running are closed in their loop;
        those of loops that have ended were closed when they ended.
        """
        with self._lock:
            self._closed = True
            pools, self._pools = self._pools, {}
        loop = self._asyncio.get_running_loop()
        for pool_loop, (http, closer, _) in pools.items():
            if pool_loop is loop:
                await (closer.aclose() if closer is not None else http.aclose())
            elif not pool_loop.is_closed():
                self._asyncio.run_coroutine_threadsafe(http.aclose(), pool_loop)
        if self._given is not None and not self._given.is_closed:
            await self._given.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
