"""The sandbox: every provider emulator in one ASGI app, reachable in-process or over loopback HTTP."""

from __future__ import annotations

import html
import importlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from .. import registry
from ..client import AsyncClient, Backend, Client
from ..models import Session
from ..settings import Settings
from .clock import SandboxClock
from .emulator import Delivery, Emulator, SessionRecord
from .scenarios import SCENARIOS
from .transport import AsyncSandboxTransport, SyncASGITransport

log = logging.getLogger("ekyc.sandbox")
IN_PROCESS_URL = "http://sandbox.ekyc.invalid"
#: a local "app" page that receives provider redirects and shows the normalized decision
RETURN_PATH = "/_ekyc/return"
#: the fault switch over HTTP (served mode): POST to set, GET to list, DELETE to clear
FAULTS_PATH = "/_ekyc/faults"
#: ``connect``: connection refused (in-process; served, the request is answered 503 before the emulator sees
#: it); ``503``/``429``: the provider refuses the request unprocessed; ``processed-502``/``processed-504``: the
#: emulator processes the request (a create starts a session), then the gateway answers 502/504 — the
#: ambiguous failure that must never make a client repeat a create or fall back to another provider
FAULT_KINDS = ("connect", "503", "429", "processed-502", "processed-504")


class SandboxError(Exception):
    """The sandbox could not do what a test asked (e.g. the hosted page refused a completion)."""


@dataclass
class _Fault:
    kind: str
    remaining: int | None


class Sandbox:
    """All provider emulators behind one ASGI app, with a shared clock, outbox and fault switch.

    In-process (the default, used by tests and by ``Client()`` with nothing configured) it answers at
    ``http://sandbox.ekyc.invalid`` through :meth:`transport` / :meth:`async_transport`. ``ekyc sandbox
    serve`` runs the same app under uvicorn, with ``base_url`` set to the served address.
    """

    def __init__(
        self,
        providers: Iterable[str] | None = None,
        *,
        base_url: str = IN_PROCESS_URL,
        clock: SandboxClock | None = None,
        deliver_http: bool = False,
        on_delivery: Callable[[Delivery], None] | None = None,
        webhook_url: str | Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock or SandboxClock()
        self.base_url = base_url.rstrip("/")
        self.deliver_http = deliver_http
        self.on_delivery = on_delivery
        #: called after each delivery sent over HTTP: ``(delivery, response status or None, error name or None)``
        #: (from the sending thread; ``ekyc sandbox serve`` logs one line per delivery with it)
        self.on_sent: Callable[[Delivery, int | None, str | None], None] | None = None
        self.outbox: list[Delivery] = []
        self._faults: dict[str, _Fault] = {}
        self._webhook_urls: dict[str, str] = {}
        self._lock = threading.Lock()
        self.emulators: dict[str, Emulator] = {}
        for name in providers if providers is not None else registry.names():
            target = registry.load(name).emulator
            if target is None:
                if providers is not None:
                    raise SandboxError(f"provider {name!r} has no sandbox emulator")
                continue
            module, _, attr = target.partition(":")
            self.emulators[name] = getattr(importlib.import_module(module), attr)(self)
        if isinstance(webhook_url, str):
            self.set_webhook_url(webhook_url)
        elif webhook_url is not None:
            for provider, url in webhook_url.items():
                self.set_webhook_url(url, provider)
        self.app = self._build_app()

    # -- what clients need -------------------------------------------------------------------------
    @property
    def providers(self) -> tuple[str, ...]:
        """Providers this sandbox emulates."""
        return tuple(self.emulators)

    def client_settings(self, provider: str) -> dict[str, Any]:
        """Provider settings that point an ``ekyc`` client at this sandbox."""
        return self.emulators[provider].client_settings(self.base_url)

    def client_config(self) -> dict[str, Any]:
        """A full client configuration mapping (``Client.from_config``) for every emulated provider."""
        return {"providers": {name: self.client_settings(name) for name in self.emulators}}

    def transport(self) -> httpx.BaseTransport:
        """A blocking in-process transport to this sandbox."""
        return SyncASGITransport(self.app, self._connect_fault)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An asyncio in-process transport to this sandbox."""
        return AsyncSandboxTransport(self.app, self._connect_fault)

    def backend(self) -> Backend:
        """What a client needs to talk to this sandbox: each provider's settings pointing here, fresh
        in-process transports (blocking and asyncio) and the sandbox clock."""
        return Backend(providers={name: self.client_settings(name) for name in self.emulators},
                       transport=self.transport(), async_transport=self.async_transport(), clock=self.clock.now,
                       sandbox=self)

    def client(self, settings: Settings | Mapping[str, Any] | None = None, /, **options: Any) -> Client:
        """A blocking client bound to this sandbox: the sandbox's provider settings, in-process transport and
        clock; the environment is never read (real credentials never reach the sandbox).

        ``settings`` (a mapping, or the settings a :class:`~ekyc.Settings` sets) is layered over the sandbox's:
        ``{"providers": {"tencent": {"secret_key": "wrong"}}}`` changes one setting; ``provider``, ``routing``,
        ``retry``, ``timeout`` as for any client. ``options`` are
        :class:`~ekyc.Client` keywords (``sleep``, ``clock``, ``hooks``, ``predicates``, or a ``transport`` /
        ``http_client`` instead of the in-process one, e.g. to go over loopback to a served sandbox).
        """
        return Client(settings, backend=self.backend(), **options)

    def async_client(self, settings: Settings | Mapping[str, Any] | None = None, /,
                     **options: Any) -> AsyncClient:
        """An asyncio client bound to this sandbox; see :meth:`client`."""
        return AsyncClient(settings, backend=self.backend(), **options)

    # -- driving the hosted pages --------------------------------------------------------------------
    def complete(self, session: Session | str, scenario: str | None = None, **form: str) -> str:
        """Act as the user: open the hosted page, pick ``scenario``, finish; returns the redirect URL.

        Extra ``form`` fields go to the page as well — e.g. ``code=…`` (and ``kind=…``) instead of a scenario
        makes the emulator render one exact provider code (used by code-table tests).
        """
        if scenario is not None:
            if scenario not in SCENARIOS:
                raise SandboxError(f"unknown scenario {scenario!r}")
            form["scenario"] = scenario
        elif not form:
            raise SandboxError("give a scenario or the form fields to post")
        url = session.url if isinstance(session, Session) else session
        with self._http() as http:
            page = http.get(url)
            if page.status_code != 200:
                raise SandboxError(f"the hosted page answered HTTP {page.status_code}")
            done = http.post(url, data=form)
        if done.status_code not in (302, 303) or "location" not in done.headers:
            # a page's HTML says nothing a terminal can show: only a plain-text or JSON body is quoted
            body = "" if "html" in done.headers.get("content-type", "") else f": {done.text[:200]}"
            raise SandboxError(f"the hosted page refused the completion (HTTP {done.status_code}){body}")
        return done.headers["location"]

    def _http(self) -> httpx.Client:
        if self.base_url == IN_PROCESS_URL:
            return httpx.Client(transport=self.transport(), follow_redirects=False)
        return httpx.Client(follow_redirects=False, timeout=10)

    # -- deliveries ------------------------------------------------------------------------------------
    def set_webhook_url(self, url: str | None, provider: str | None = None) -> None:
        """Send ``provider``'s webhooks and callbacks (every provider's when None) to your app at ``url``, over
        HTTP; ``url=None`` stops it. ``url`` may be any ``http``/``https`` URL, loopback included (a real
        Alibaba callback must be https; in the sandbox ``http://127.0.0.1:…`` is fine).

        Each delivery keeps its method, headers, body and signature; only its address changes: a POST goes to
        ``url`` as is, a GET callback (Alibaba) to ``url`` with the callback's query parameters added. The
        outbox records the delivery as sent.
        """
        names = self.providers if provider is None else (provider,)
        if provider is not None and provider not in self.emulators:
            raise SandboxError(f"no emulator for {provider!r}")
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SandboxError("the webhook URL must be an absolute http(s) URL")
        with self._lock:
            for name in names:
                if url is None:
                    self._webhook_urls.pop(name, None)
                else:
                    self._webhook_urls[name] = url
        for name in names:
            self.emulators[name].use_webhook_url(url)

    def webhook_url(self, provider: str) -> str | None:
        """Where ``provider``'s deliveries go (None: recorded in the outbox only, unless ``deliver_http``)."""
        with self._lock:
            return self._webhook_urls.get(provider)

    def deliver(self, delivery: Delivery) -> None:
        """Record a webhook/callback; send it over HTTP (in the background) when a webhook URL is set for its
        provider (to that URL) or in served mode with ``deliver_http`` (to the address the emulator chose)."""
        target = self.webhook_url(delivery.provider)
        if target is not None:
            delivery = replace(delivery, url=_readdress(delivery, target))
        with self._lock:
            self.outbox.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        if self.deliver_http or target is not None:
            threading.Thread(target=_send_delivery, args=(delivery, self.on_sent), daemon=True).start()

    def deliveries(self, provider: str | None = None, session_id: str | None = None) -> list[Delivery]:
        """Deliveries so far, optionally for one provider and/or one provider session id."""
        with self._lock:
            return [d for d in self.outbox
                    if (provider is None or d.provider == provider)
                    and (session_id is None or d.session_id == session_id)]

    # -- sessions ------------------------------------------------------------------------------------
    def sessions(self, provider: str | None = None) -> list[SessionRecord]:
        """Every session the emulators started (one record per provider session), optionally of one provider."""
        names = self.providers if provider is None else (provider,)
        return [record for name in names for record in self.emulators[name].session_records()]

    def duplicate_sessions(self, provider: str | None = None) -> dict[tuple[str, str], list[str]]:
        """``(provider, reference) → session ids`` for every app reference that started more than one session
        at one provider (the reference as the provider received it: Didit ``vendor_data``, Tencent ``Extra``,
        Alibaba ``MerchantUserId``). Empty when no reference was ever started twice."""
        seen: dict[tuple[str, str], list[str]] = {}
        for record in self.sessions(provider):
            if record.reference is not None:
                seen.setdefault((record.provider, record.reference), []).append(record.session_id)
        return {key: ids for key, ids in seen.items() if len(ids) > 1}

    # -- faults ----------------------------------------------------------------------------------------
    def set_fault(self, provider: str, kind: str | None, times: int | None = None) -> None:
        """Make ``provider``'s emulator fail for the next ``times`` requests (None: until cleared); ``kind`` is one
        of :data:`FAULT_KINDS` — ``"connect"`` (connection refused), ``"503"``, ``"429"``, or
        ``"processed-502"``/``"processed-504"`` (processed, then a gateway error). ``kind=None`` clears it.
        Served, the same switch is ``POST``/``DELETE /_ekyc/faults`` (see docs/sandbox.md)."""
        if provider not in self.emulators:
            raise SandboxError(f"no emulator for {provider!r}")
        with self._lock:
            if kind is None:
                self._faults.pop(provider, None)
                return
            if kind not in FAULT_KINDS:
                raise SandboxError(f"fault kind must be one of {FAULT_KINDS}")
            self._faults[provider] = _Fault(kind, times)

    def clear_faults(self) -> None:
        """Every emulator healthy again."""
        with self._lock:
            self._faults.clear()

    def faults(self) -> dict[str, dict[str, Any]]:
        """The faults in force: ``provider → {"kind", "remaining"}`` (remaining None: until cleared)."""
        with self._lock:
            return {name: {"kind": f.kind, "remaining": f.remaining} for name, f in self._faults.items()}

    def _take_fault(self, provider: str, kinds: tuple[str, ...]) -> str | None:
        with self._lock:
            fault = self._faults.get(provider)
            if fault is None or fault.kind not in kinds:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[provider]
            return fault.kind

    def _owner(self, method: str, path: str, headers: Mapping[str, str], query: str) -> Emulator | None:
        for emulator in self.emulators.values():
            if emulator.claims(method, path, headers, query):
                return emulator
        return None

    def _connect_fault(self, request: httpx.Request) -> None:
        owner = self._owner(request.method, request.url.path, request.headers, request.url.query.decode("latin-1"))
        if owner is not None and self._take_fault(owner.name, ("connect",)):
            raise httpx.ConnectError("[sandbox fault] connection refused", request=request)

    # -- the ASGI app ----------------------------------------------------------------------------------
    def _build_app(self) -> Callable[[Scope, Receive, Send], Any]:
        routes: list[BaseRoute] = [
            Route("/", self._root, methods=["GET", "POST"]),
            Route(RETURN_PATH, self._return_page, methods=["GET"]),
            Route(FAULTS_PATH, self._faults_api, methods=["GET", "POST", "DELETE"]),
        ]
        for emulator in self.emulators.values():
            routes.extend(emulator.routes())
        inner = Starlette(routes=routes)
        sandbox = self

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                owner = sandbox._owner(scope["method"], scope["path"], headers,
                                       scope.get("query_string", b"").decode("latin-1"))
                if owner is not None:
                    kind = sandbox._take_fault(owner.name, FAULT_KINDS)
                    if kind is not None and kind.startswith("processed-"):
                        await _processed_then_failed(inner, scope, receive, send, int(kind.rpartition("-")[2]))
                        return
                    if kind is not None:
                        response = owner.fault_response("503" if kind == "connect" else kind)
                        await response(scope, receive, send)
                        return
            try:
                await inner(scope, receive, send)
            except Exception as exc:  # answered 500 by Starlette; said here so that an emulator bug is never silent
                log.error("sandbox: %s %s failed in the emulator: %s", scope.get("method"), scope.get("path"),
                          type(exc).__name__)
                raise

        return app

    @property
    def return_url(self) -> str:
        """The sandbox's own return page: point ``return_url`` here to see the decision after a browser flow."""
        return self.base_url + RETURN_PATH

    async def _return_page(self, request: Request) -> Response:
        from ..errors import EkycError

        async with self.async_client() as client:  # the page plays the app: parse the redirect, fetch the result
            try:
                ref = client.parse_return_url(str(request.url))
                decision = await client.get_result(ref)
            except EkycError as exc:
                return HTMLResponse(f"<!doctype html><p id=error>{html.escape(type(exc).__name__)}: "
                                    f"{html.escape(str(exc))}</p>", status_code=400)
        data = {
            "provider": ref.provider, "ref": ref.serialize(), "outcome": decision.outcome.value,
            "reasons": [r.value for r in decision.reason_codes], "provider_status": decision.provider_status,
        }
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(data)
        reasons = ", ".join(data["reasons"]) or "none"  # type: ignore[arg-type]
        return HTMLResponse(
            "<!doctype html><html><head><meta charset=utf-8><title>ekyc — decision</title></head><body>"
            f"<h1 id=outcome>{html.escape(decision.outcome.value)}</h1><p>provider: {html.escape(ref.provider)}"
            f" — reasons: <span id=reasons>{html.escape(reasons)}</span></p>"
            f"<pre id=decision>{html.escape(json.dumps(data))}</pre></body></html>"
        )

    async def _faults_api(self, request: Request) -> Response:
        """``POST /_ekyc/faults`` ``{"provider", "kind", "times"}`` (JSON or form; ``provider`` omitted or ``"*"``:
        every provider; ``times`` omitted: until cleared) sets a fault; ``GET`` lists them; ``DELETE``
        (``?provider=…`` for one) clears. Errors are HTTP 400 ``{"error": …}``."""
        if request.method == "GET":
            return JSONResponse({"faults": self.faults(), "kinds": list(FAULT_KINDS)})
        if request.method == "DELETE":
            provider = request.query_params.get("provider")
            try:
                if provider:
                    self.set_fault(provider, None)
                else:
                    self.clear_faults()
            except SandboxError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse({"faults": self.faults()})
        body = await request.body()
        try:
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                data: Any = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            else:
                data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise SandboxError("send a JSON object {provider, kind, times}")
            provider, kind, times = data.get("provider"), data.get("kind"), data.get("times")
            if isinstance(times, str) and times.isascii() and times.isdigit():
                times = int(times)
            if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
                raise SandboxError("times must be a positive integer (omit it for 'until cleared')")
            if not isinstance(kind, str):
                raise SandboxError(f"kind must be one of {FAULT_KINDS}")
            if provider in (None, "", "*"):
                names: tuple[str, ...] = self.providers
            elif isinstance(provider, str):
                names = (provider,)
            else:
                raise SandboxError("provider must be a provider name")
            for name in names:
                self.set_fault(name, kind, times)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "send a JSON object {provider, kind, times}"}, status_code=400)
        except SandboxError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"faults": self.faults()})

    async def _root(self, request: Request) -> Response:
        owner = self._owner(request.method, "/", request.headers, request.url.query)
        if owner is not None:
            return await owner.handle_root(request)
        items = "".join(
            f"<li><b>{html.escape(e.title)}</b> ({html.escape(name)}): "
            f"{len(e.supported_scenarios())} scenarios</li>"
            for name, e in self.emulators.items()
        )
        return HTMLResponse(f"<!doctype html><title>ekyc sandbox</title><h1>ekyc sandbox</h1><ul>{items}</ul>")


def backend() -> Backend:
    """A fresh in-process sandbox with every emulated provider, as a client backend: what ``Client()`` uses when
    nothing is configured (``ekyc.client.SANDBOX_HOOK`` names this function)."""
    return Sandbox().backend()


async def _processed_then_failed(app: Callable[[Scope, Receive, Send], Any], scope: Scope, receive: Receive,
                                 send: Send, status: int) -> None:
    """Let the emulator process the request in full, drop its answer, and answer ``status`` instead."""

    async def swallow(message: Any) -> None:
        return None

    await app(scope, receive, swallow)
    await Response(f"{status} gateway error (sandbox fault: processed, then failed)", status_code=status,
                   media_type="text/plain")(scope, receive, send)


def _readdress(delivery: Delivery, url: str) -> str:
    """``url`` for a POST delivery; for a GET callback, ``url`` plus the callback's own query parameters."""
    if delivery.method != "GET":
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(urlsplit(delivery.url).query,
                                                                         keep_blank_values=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _send_delivery(delivery: Delivery,
                   on_sent: Callable[[Delivery, int | None, str | None], None] | None = None) -> None:
    status: int | None = None
    error: str | None = None
    try:
        with httpx.Client(timeout=5) as http:
            status = http.request(delivery.method, delivery.url, headers=dict(delivery.headers),
                                  content=delivery.body).status_code
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    if on_sent is not None:
        on_sent(delivery, status, error)
    elif error is not None:  # never the query: an Alibaba callback carries its callbackToken there
        parts = urlsplit(delivery.url)
        log.info("sandbox delivery to %s failed: %s", f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}",
                 error)
