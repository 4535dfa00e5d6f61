"""The base every provider emulator builds on.

What a provider's emulator gets from :class:`Emulator` (a new provider subclasses it and fills in the hooks):

- **Routes that answer the vendor's way.** :meth:`Emulator.api_route` serves a handler behind the emulator's
  :meth:`~Emulator.authenticate` check; anything in the handler (or the check) may ``raise Refusal(...)``, which
  :meth:`~Emulator.refuse` renders in the vendor's own error envelope. RPC-style APIs served at ``/`` do the
  same through :meth:`~Emulator.answer` from :meth:`~Emulator.handle_root`. :meth:`Emulator.page_route` serves a
  hosted page; a refusal there is a small HTML page (:meth:`~Emulator.page_refusal`).
- **One store.** Every session lives in :attr:`Emulator.store` under its provider id, put there by
  :meth:`~Emulator.open_session` (which also records the app reference for
  :meth:`Sandbox.duplicate_sessions`); :meth:`~Emulator.session` finds one or raises the vendor's not-found
  (:meth:`~Emulator.unknown_session`); :meth:`~Emulator.linked_session` finds one by its hosted-page token.
- **Request reading.** :func:`read_json` (a refusal of your choosing when the body is no JSON) and
  :func:`read_form`.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from typing_extensions import TypeVar

from .clock import SandboxClock
from .scenarios import SCENARIOS, Scenario
from .store import MemoryStore

#: the emulator's own session record type (``Emulator[MySession]``; Any when not given)
S = TypeVar("S", default=Any)
#: a handler of an emulator route: the Starlette request in, the response out (it may raise :class:`Refusal`)
Handler = Callable[[Request], Awaitable[Response]]


class Host(Protocol):
    """What an emulator uses of the sandbox that mounts it (:class:`~ekyc.sandbox.Sandbox` is one): the base URL
    its payloads' links point at, the shared clock, and the outbox its webhooks/callbacks go to. A protocol, so
    the emulator base does not import the server that imports it."""

    base_url: str
    clock: SandboxClock

    def deliver(self, delivery: Delivery) -> None:
        """Record (and maybe send) a webhook or callback."""


class Refusal(Exception):
    """An error the emulator answers in its vendor's own error envelope (see :meth:`Emulator.refuse`).

    Raise it anywhere below a handler served by :meth:`Emulator.api_route`, :meth:`Emulator.page_route` or
    :meth:`Emulator.answer` (the authentication check included).

    - ``code``: the vendor's error code (Tencent ``AuthFailure.SignatureFailure``, Alibaba
      ``TransactionIdInvalid``); for a vendor that answers with an HTTP status and a message only (Didit), a
      label of ours that never reaches the wire.
    - ``message``: the vendor's message text, as the vendor words it.
    - ``status``: the HTTP status; None lets :meth:`Emulator.refuse` choose the vendor's status for ``code``.
    - ``field``: the request field the error is about, for vendors that key errors by field (Didit
      ``{"callback": ["Enter a valid URL."]}``).
    - ``headers``: extra response headers (e.g. a retry-after).
    """

    def __init__(self, code: str, message: str, *, status: int | None = None, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.field = field
        self.headers: Mapping[str, str] = dict(headers or {})


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (no multipart dependency needed)."""
    body = await request.body()
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def read_json(request: Request, invalid: Refusal, *, empty: Any = None) -> Any:
    """The request body parsed as JSON (any JSON value: the caller checks its shape); ``empty`` for an empty
    body; raises ``invalid`` when the body is not JSON (or not UTF-8). Lenient like the vendors' own servers
    (Python's ``json``): the emulator must take whatever the official SDKs send."""
    raw = await request.body()
    if not raw:
        return empty
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid from None


@dataclass(frozen=True)
class Delivery:
    """A webhook or callback the emulator sent (or would send) to the app."""

    provider: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    #: the provider's session id the delivery is about
    session_id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionRecord:
    """A session an emulator started: the provider's id and the app reference as the provider received it."""

    provider: str
    session_id: str
    reference: str | None
    created: float


class Emulator(ABC, Generic[S]):
    """One provider's API and hosted page, faithful to the wire.

    Subclasses declare their routes (paths that belong to them, built with :meth:`api_route` /
    :meth:`page_route`) and, for APIs served at ``/`` (RPC styles), :meth:`claims` says which root requests are
    theirs and :meth:`handle_root` answers them. They render errors the vendor's way by overriding
    :meth:`refuse` (and :meth:`unknown_session`), check credentials in :meth:`authenticate`, and keep their
    sessions in :attr:`store` through :meth:`open_session` / :meth:`session`. Scenarios they cannot render are
    listed in :attr:`unsupported` with the reason.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    #: path prefixes of this emulator's API and pages (used by the fault switch)
    path_prefixes: ClassVar[tuple[str, ...]] = ()
    #: scenario name → why this provider cannot produce it
    unsupported: ClassVar[dict[str, str]] = {}
    #: what the hosted page says (HTTP 404) for a link that leads to no session
    link_missing: ClassVar[str] = "This verification link is invalid or has expired."

    def __init__(self, sandbox: Host) -> None:
        self.sandbox = sandbox
        self.clock = sandbox.clock
        #: THE session store: provider session id → the emulator's session record (its own shape, ``S``)
        self.store: MemoryStore[S] = MemoryStore(sandbox.clock.now)
        #: hosted-page link token → provider session id (see :meth:`open_session`, :meth:`linked_session`)
        self.links: MemoryStore[str] = MemoryStore(sandbox.clock.now)
        self._records: list[SessionRecord] = []
        self._records_lock = threading.Lock()

    # -- wiring ----------------------------------------------------------------------------------
    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """Starlette routes for this emulator's paths."""

    def claims(self, method: str, path: str, headers: Mapping[str, str], query: str = "") -> bool:
        """Whether a request belongs to this emulator (default: by path prefix). ``headers`` are the request's
        headers (names in any case), ``query`` its raw query string (no ``?``; an RPC API may be addressed by
        an ``Action`` query parameter)."""
        return any(path.startswith(p) for p in self.path_prefixes)

    async def handle_root(self, request: Request) -> Response:
        """Handle a request to ``/`` that :meth:`claims` accepted (RPC-style APIs): typically
        ``return await self.answer(request, self.dispatch)`` with a handler of the emulator's own."""
        return JSONResponse({"detail": "Not found"}, status_code=404)

    # -- answering the vendor's way ----------------------------------------------------------------
    async def authenticate(self, request: Request) -> None:
        """Check the request's credentials (key header, request signature…) and ``raise Refusal(...)`` the way
        the vendor refuses them. Runs before every handler of :meth:`api_route` / :meth:`answer` (unless
        ``authenticate=False``). Default: every request is accepted."""
        return None

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """The response for ``refusal`` in the vendor's error envelope (``request`` is None for a fault answered
        before any request was read). Default: ``{"code", "message"}`` JSON with ``refusal.status`` (400 when
        None). Override it: this is what the vendor's SDK parses."""
        return JSONResponse({"code": refusal.code, "message": refusal.message}, status_code=refusal.status or 400,
                            headers=dict(refusal.headers))

    def page_refusal(self, refusal: Refusal) -> Response:
        """How the hosted page answers a refusal: a small HTML page with ``refusal.message``
        (``refusal.status``, 400 when None)."""
        return HTMLResponse(f"<!doctype html><title>{html.escape(self.title)}</title>"
                            f"<p>{html.escape(refusal.message)}</p>", status_code=refusal.status or 400,
                            headers=dict(refusal.headers))

    def unknown_session(self, session_id: str) -> Refusal:
        """The refusal for a session id the store does not hold (the vendor's own not-found). Default: 404
        ``Not found.``."""
        return Refusal("NotFound", "Not found.", status=404)

    async def answer(self, request: Request, handler: Handler, *, authenticate: bool = True) -> Response:
        """Run :meth:`authenticate` (unless ``authenticate=False``), then ``handler``; a :class:`Refusal` from
        either becomes :meth:`refuse`'s response. Any other exception propagates (the sandbox answers 500 and
        logs it)."""
        try:
            if authenticate:
                await self.authenticate(request)
            return await handler(request)
        except Refusal as refusal:
            return self.refuse(refusal, request)

    def api_route(self, path: str, handler: Handler, *, methods: list[str], authenticate: bool = True) -> Route:
        """A Starlette route for an API endpoint: ``handler`` runs through :meth:`answer` (authenticated, refusals
        in the vendor's envelope)."""

        async def endpoint(request: Request) -> Response:
            return await self.answer(request, handler, authenticate=authenticate)

        return Route(path, endpoint, methods=methods)

    def page_route(self, path: str, handler: Handler, *, methods: list[str]) -> Route:
        """A Starlette route for a hosted page: no API authentication; a :class:`Refusal` becomes
        :meth:`page_refusal`'s HTML."""

        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as refusal:
                return self.page_refusal(refusal)

        return Route(path, endpoint, methods=methods)

    # -- the store ---------------------------------------------------------------------------------
    def open_session(self, session_id: str, record: S, *, reference: str | None, link: str | None = None,
                     ttl: float | None = None) -> None:
        """Keep a new session: ``record`` (the emulator's own shape) in :attr:`store` under ``session_id``, its
        hosted-page ``link`` token (if any) in :attr:`links`, both for ``ttl`` seconds of the sandbox clock
        (None: for ever); and :meth:`record_session` with the app ``reference`` the request carried."""
        self.store.put(session_id, record, ttl=ttl)
        if link is not None:
            self.links.put(link, session_id, ttl=ttl)
        self.record_session(session_id, reference)

    def session(self, session_id: str) -> S:
        """The live session stored under ``session_id``; raises :meth:`unknown_session`'s refusal when there
        is none."""
        record = self.store.get(session_id)
        if record is None:
            raise self.unknown_session(session_id)
        return record

    def linked_session(self, token: str) -> S:
        """The session whose hosted-page link carries ``token``; raises a 404 :class:`Refusal` saying
        :attr:`link_missing` when there is none (rendered as HTML on a :meth:`page_route`)."""
        session_id = self.links.get(token)
        record = self.store.get(session_id) if session_id is not None else None
        if record is None:
            raise Refusal("LinkNotFound", self.link_missing, status=404)
        return record

    @abstractmethod
    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Provider settings that point an ``ekyc`` client at this emulator (credentials included)."""

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Environment variables / settings that point the vendor's own SDK or tooling here."""
        return {}

    def fault_response(self, kind: str) -> Response:
        """How this provider answers when the fault switch says ``kind`` (``"503"`` or ``"429"``). Default: a
        429 refusal in the vendor's envelope (:meth:`refuse`) with ``Retry-After: 1``; a plain-text 503 (a
        gateway's answer). Override it when the vendor throttles otherwise (Tencent: HTTP 200 with
        ``RequestLimitExceeded``)."""
        if kind == "429":
            return self.refuse(Refusal("Throttled", "Request was throttled.", status=429,
                                       headers={"Retry-After": "1"}), None)
        return Response("Service Unavailable", status_code=503, media_type="text/plain")

    # -- scenarios -------------------------------------------------------------------------------
    def supports(self, scenario: str | Scenario) -> bool:
        """Whether this emulator can render ``scenario``."""
        name = scenario if isinstance(scenario, str) else scenario.name
        return name in SCENARIOS and name not in self.unsupported

    def supported_scenarios(self) -> list[Scenario]:
        """The catalog scenarios this emulator renders."""
        return [s for s in SCENARIOS.values() if self.supports(s)]

    # -- sessions and deliveries ---------------------------------------------------------------------
    def record_session(self, session_id: str, reference: str | None) -> None:
        """Note a session this emulator just started, with the app reference the request carried (Didit
        ``vendor_data``, Tencent ``Extra``, Alibaba ``MerchantUserId``). Every emulator calls this on create,
        so :meth:`Sandbox.duplicate_sessions` can tell when one reference started two sessions."""
        with self._records_lock:
            self._records.append(SessionRecord(self.name, session_id, reference, self.clock.now()))

    def session_records(self) -> list[SessionRecord]:
        """Every session this emulator started (a snapshot)."""
        with self._records_lock:
            return list(self._records)

    def use_webhook_url(self, url: str | None) -> None:
        """The app asked for this provider's webhooks at ``url`` (None: stop). The sandbox re-addresses every
        delivery itself; an emulator that sends webhooks only to endpoints registered through the provider's
        API (Tencent) registers one here, so that there is something to deliver."""
        return None

    # -- helpers ---------------------------------------------------------------------------------
    def token(self, nbytes: int = 16) -> str:
        """A random URL-safe token."""
        return secrets.token_urlsafe(nbytes)

    def deliver(self, delivery: Delivery) -> None:
        """Send a webhook/callback to the app (recorded in the sandbox outbox)."""
        self.sandbox.deliver(delivery)

    def page(self, *, title: str, session_label: str, action: str, steps: list[str],
             note: str = "", closed: str | None = None) -> HTMLResponse:
        """The hosted verification page: the provider's steps and the scenario picker (no external assets)."""
        return HTMLResponse(render_page(
            provider=self.title, title=title, session_label=session_label, action=action, steps=steps,
            scenarios=self.supported_scenarios(), note=note, closed=closed,
        ))


_CSS = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:2px solid #2d72f1}
ol.steps{display:flex;gap:1rem;padding:0;list-style:none;margin:1.5rem 0}
ol.steps li{flex:1;padding:.6rem;border:1px solid #ccd;border-radius:.4rem;text-align:center}
ol.steps li.on{background:#2d72f1;color:#fff;border-color:#2d72f1}
section.step{display:none;margin:1rem 0}section.step.on{display:block}
.camera{height:8rem;border:2px dashed #99a;border-radius:.5rem;display:flex;align-items:center;
justify-content:center;color:#667;margin:.5rem 0}
fieldset{border:1px solid #ccd;border-radius:.4rem}label{display:block;padding:.25rem 0}
button{background:#2d72f1;color:#fff;border:0;border-radius:.4rem;padding:.6rem 1.2rem;font-size:1rem}
small{color:#667}.closed{padding:1rem;background:#fde8e8;border-radius:.4rem}
"""

_JS = """
function go(n){document.querySelectorAll('section.step').forEach(function(s,i){s.classList.toggle('on',i===n)});
document.querySelectorAll('ol.steps li').forEach(function(s,i){s.classList.toggle('on',i===n)});}
"""


def render_page(*, provider: str, title: str, session_label: str, action: str, steps: list[str],
                scenarios: list[Scenario], note: str = "", closed: str | None = None) -> str:
    """HTML of a hosted page: step tabs, simulated captures, and a scenario form posting to ``action``."""
    esc = html.escape
    if closed is not None:
        body = f'<p class="closed" id="closed">{esc(closed)}</p>'
    else:
        options = "".join(
            f'<label><input type="radio" name="scenario" value="{esc(s.name)}"'
            f'{" checked" if i == 0 else ""}> <b>{esc(s.title)}</b> — <small>{esc(s.description)}</small></label>'
            for i, s in enumerate(scenarios)
        )
        sections = []
        for i, step in enumerate(steps[:-1]):
            sections.append(
                f'<section class="step{" on" if i == 0 else ""}" data-step="{i}"><h2>{esc(step)}</h2>'
                f'<div class="camera">simulated capture: {esc(step.lower())}</div>'
                f'<button type="button" id="next-{i}" onclick="go({i + 1})">Continue</button></section>'
            )
        last = len(steps) - 1
        sections.append(
            f'<section class="step{" on" if last == 0 else ""}" data-step="{last}"><h2>{esc(steps[-1])}</h2>'
            f'<form method="post" action="{esc(action)}" id="scenario-form"><fieldset>'
            f"<legend>Sandbox: choose what happens</legend>{options}</fieldset>"
            f'<p><button type="submit" id="finish">Finish verification</button></p></form></section>'
        )
        body = "".join(sections)
    tabs = "".join(f'<li{" class=on" if i == 0 else ""}>{esc(s)}</li>' for i, s in enumerate(steps))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(provider)} sandbox — '
        f'{esc(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_CSS}</style><script>{_JS}</script></head><body>"
        f"<header><h1>{esc(provider)} <small>sandbox</small></h1><small>{esc(session_label)}</small></header>"
        f'<p>{esc(title)}</p>{f"<p><small>{esc(note)}</small></p>" if note else ""}'
        f'<ol class="steps">{tabs}</ol>{body}</body></html>'
    )
