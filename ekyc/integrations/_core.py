"""What every web integration shares, whatever the framework: pure functions and dataclasses, no framework
import, no I/O of its own (:func:`decisions` reads through the ledger it is handed).
:mod:`ekyc.integrations.starlette` and :mod:`ekyc.integrations.django` are thin adapters over it; a third
framework needs only this module. This docstring is their contract.

The endpoints (under :attr:`Config.prefix`, default ``/kyc``; :data:`PATHS`)
--------------------------------------------------------------------------------------------------------------
- ``GET  {prefix}/start``: the signed-in user's "Verify" page. Serves
  ``ekyc.launch.launch_page(launch_sources(client, config.provider), action={prefix}/start)``, which collects
  the browser metadata the providers a start may route to need (Alibaba's MetaInfo) and posts the form
  straight on (it auto-submits; a Continue button without JavaScript). :func:`needs_launch_page` says whether
  an app's own button may instead ``POST`` to ``start`` directly (no provider in play needs browser metadata).
- ``POST {prefix}/start``: refuse unless :func:`same_origin_request` (403, :data:`ERRORS`
  ``cross_site_request``); read :func:`ekyc.launch.client_metadata` of the form; call
  ``ledger.start(reference, **start_arguments(config, return_url=config.return_url(start_provider(config,
  client), own_origin), metadata=...))``. Then :func:`after_start`: a session to finish → 303 to its ``url``
  (the provider's hosted page); one already decided or under review → 303 to :func:`return_location`.
  :class:`~ekyc.ledger.LedgerBusy` (another click is still creating the user's session): :func:`busy`, which sends
  a browser round again (``start?waited=N``: :func:`rounds_waited`, :func:`start_target`) until that session is
  there, at most :data:`MAX_WAITS` times. Other errors: :func:`failure`.
- ``GET  {prefix}/return/{provider}``: the provider sends the user here. Call
  ``ledger.refresh(reference, return_url=<the full URL as received>)`` — the ledger checks the URL names the
  session it stored for *this* user (another session → ``SessionMismatch``; the URL is never trusted), fetches
  the result and applies it. Redirect 303 to :func:`return_location` (the outcome in the query; on a refused
  URL the user's own stored state with ``kyc_error=session_mismatch``: read it with ``ledger.status``). The
  ``{provider}`` segment is what :func:`start_provider` named at start (readable in logs and vendor
  dashboards); it is not trusted for anything: the ledger checks the URL with the stored session's provider.
- ``GET|POST {prefix}/webhooks/{provider}``: no user, no CSRF check (the provider signs it). Pass the raw body
  (:func:`webhook_body`: for a GET callback — Alibaba — the full URL) and the headers *as received* (every
  item: a header given twice is refused by the client) to ``ledger.receive``; answer
  :func:`webhook_answer` (``receipt.http_status``: 200 for every stored delivery, duplicates and out-of-order
  ones included; the provider's no-retry status for a forged one), or :func:`failure` when ``receive`` raises
  (503 when the database failed, so that the provider retries).
- ``GET  {prefix}/status``: :func:`status_body` of ``ledger.status(reference)`` as JSON, for the signed-in user.

The app supplies "who is the current user" (a callable returning the user's reference — your user id as text
— or None: anonymous → :func:`login_location` or 401) and may receive decisions through a callback
(:data:`OnDecision`, called with the :class:`~ekyc.ledger.LedgerSession` once per state change that the call
made and that leaves the session :func:`decided` — found by :func:`decisions` (:func:`adecisions`) in the
audit rows after a ``ledger.last_event_id()`` cursor, the one rule both adapters use; at least once across
processes racing on one session, so set state from ``session.state``, never toggle).

What leaves the integration
---------------------------
:func:`status_body` and the query :func:`return_location` builds carry states and neutral reason codes only —
never a reference, ref, URL, name or any value the user submitted. Errors are neutral codes (:data:`ERRORS`).

Security rules encoded here
---------------------------
- Redirects go only to same-site paths or to origins the app configured (:func:`safe_redirect`); the return
  target is configuration, never a request parameter.
- The start ``POST`` changes state, so it must come from the app's own pages: :func:`same_origin_request`
  accepts it only when ``Origin`` (else ``Referer``) is the app's own origin or a configured one, and never when
  ``Sec-Fetch-Site`` says ``cross-site``. Keep the session cookie ``SameSite=Lax`` (or ``Strict``) as well.
  Django apps keep Django's own CSRF middleware on ``start`` in addition; only the webhook view is exempt.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape as html_escape
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from ..errors import (
    ConfigurationError,
    EkycError,
    InvalidRequest,
    ProviderUnavailable,
    RateLimited,
    SessionMismatch,
    UnsupportedFeature,
    WebhookVerificationError,
)
from ..launch import browser_metadata
from ..ledger import AsyncLedger, Ledger, LedgerBusy, LedgerError, LedgerSession, NoSession, Policy, Receipt
from ..ledger.states import DEFINITIVE, FAILED, PENDING
from ..models import Outcome
from ..provider import Provider

_log = logging.getLogger("ekyc.integrations")

T = TypeVar("T")

#: the endpoints, relative to :attr:`Config.prefix`
PATHS = {"start": "/start", "return": "/return/{provider}", "webhook": "/webhooks/{provider}",
         "status": "/status"}
#: the state :func:`status_body` reports for a user without any session
NONE = "NONE"
#: the neutral error codes an endpoint may answer or put in ``kyc_error`` (never anything about the user)
ERRORS = frozenset({
    "not_signed_in", "cross_site_request", "invalid_request", "session_mismatch", "unrecognized_return",
    "no_session", "provider_unavailable", "provider_error", "busy", "unavailable", "configuration",
    "unknown_provider", "rejected", "too_large",
})
#: states after which :data:`OnDecision` is called (an outcome the app acts on)
DECIDED = frozenset({*DEFINITIVE, Outcome.REVIEW.value})
#: the audit actions that change a session's state (ekyc/ledger/_store.py)
CHANGES = frozenset({"advance", "lapse", "expire"})

#: "who is the current user": the framework's request in, the user's reference (text) or None out; sync or async
CurrentUser = Callable[[Any], "str | Awaitable[str | None] | None"]
#: called with the session when it reaches a state in :data:`DECIDED`; sync or async
OnDecision = Callable[[LedgerSession], "Awaitable[None] | None"]


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased, default port dropped; None for anything else
    (a path, ``null``, another scheme, a malformed URL)."""
    if not isinstance(url, str) or not url.isprintable():
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _origins(values: Any, name: str, *, one: bool = False) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    elif one or isinstance(values, (bytes, Mapping)) or not isinstance(values, Iterable):
        raise ConfigurationError(f"{name} must be " + ("an http(s) origin" if one else "a list of http(s) origins"),
                                 field=name)
    out = []
    for value in values or ():
        origin = origin_of(value)
        if origin is None or origin != value.rstrip("/").lower():
            raise ConfigurationError(f"{name} must be http(s) origins (scheme://host[:port], nothing after)",
                                     field=name)
        out.append(origin)
    return tuple(out)


def _path(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _is_local_path(value):
        raise ConfigurationError(f"{name} must be a path on this site starting with /", field=name)
    return value


@dataclass(frozen=True)
class Config:
    """How an app wires the integration.

    ``prefix``: where the endpoints live (``/kyc``; ``""`` for the root). ``after_return``: where the user goes
    once back from the provider (a same-site path, or an absolute URL on an ``allowed_origins`` origin); the
    outcome is added to its query as ``outcome_param`` (``?kyc=APPROVED``). ``provider``: the provider ``start``
    uses (None: the client's default or routing). ``public_origin``: the app's external origin
    (``https://app.example``) used to build return URLs and to check the start ``POST``'s origin; None takes it
    from the request (set it behind a proxy that rewrites ``Host``). ``allowed_origins``: other origins of your
    own allowed as redirect targets and as the origin of a start ``POST``. ``login_url``: where an anonymous user
    is sent (a same-site path; the current path is added as ``next``); None answers 401. ``request_fields``:
    more :class:`~ekyc.SessionRequest` fields for every start (``checks``, ``country``, ``document_types``…).
    Raises :class:`~ekyc.errors.ConfigurationError` naming the field.
    """

    prefix: str = "/kyc"
    after_return: str = "/"
    provider: str | None = None
    public_origin: str | None = None
    allowed_origins: tuple[str, ...] = ()
    login_url: str | None = None
    request_fields: Mapping[str, Any] = field(default_factory=dict)
    outcome_param: str = "kyc"

    def __post_init__(self) -> None:
        prefix = self.prefix
        if not isinstance(prefix, str) or (prefix and not _is_local_path(prefix)) or prefix.endswith("/") \
                or "{" in prefix:
            raise ConfigurationError("prefix must be empty or a path like /kyc (no trailing slash)", field="prefix")
        if self.provider is not None and (not isinstance(self.provider, str) or not self.provider):
            raise ConfigurationError("provider must be a provider name or None", field="provider")
        object.__setattr__(self, "allowed_origins", _origins(self.allowed_origins, "allowed_origins"))
        if self.public_origin is not None:
            object.__setattr__(self, "public_origin", _origins(self.public_origin, "public_origin", one=True)[0])
        own = (self.public_origin,) if self.public_origin else ()
        if not isinstance(self.after_return, str) or safe_redirect(
                self.after_return, own_origin=own[0] if own else None, allowed_origins=self.allowed_origins) is None:
            raise ConfigurationError("after_return must be a same-site path or a URL on an allowed origin",
                                     field="after_return")
        if self.login_url is not None:
            _path(self.login_url, "login_url")
        if not isinstance(self.request_fields, Mapping) or {"reference", "return_url", "client_metadata"} & set(
                self.request_fields):
            raise ConfigurationError("request_fields is a mapping of SessionRequest fields other than reference, "
                                     "return_url and client_metadata (the integration sets those)",
                                     field="request_fields")
        if not isinstance(self.outcome_param, str) or not self.outcome_param.isidentifier():
            raise ConfigurationError("outcome_param must be a plain query parameter name", field="outcome_param")

    def path(self, name: str, provider: str | None = None) -> str:
        """The path of endpoint ``name`` (a key of :data:`PATHS`), with ``{provider}`` filled in."""
        path = self.prefix + PATHS[name]
        return path.replace("{provider}", provider) if provider is not None else path

    def own_origin(self, request_url: str) -> str:
        """The app's origin: :attr:`public_origin`, else the origin of the URL the request arrived on. Raises
        :class:`~ekyc.errors.InvalidRequest` (``field="host"``; answered 400 by :func:`failure`) when that URL has
        none (a ``Host`` header such as ``app:x`` or ``user@app``)."""
        origin = self.public_origin or origin_of(request_url)
        if origin is None:  # the request's Host header makes none (``Host: app:x``): the client's input, not ours
            raise InvalidRequest("the request's Host makes no http(s) origin (set public_origin behind a proxy)",
                                 field="host")
        return origin

    def return_url(self, provider: str, own_origin: str) -> str:
        """The absolute URL the provider sends the user back to: ``{own_origin}{prefix}/return/{provider}``."""
        return own_origin + self.path("return", provider)


# -- redirects and origins ---------------------------------------------------------------------------------
def _is_local_path(value: str) -> bool:
    """A path on this site: starts with one ``/`` (not ``//`` nor ``/\\``, which browsers read as another host),
    printable, no backslash anywhere."""
    return (value.startswith("/") and not value.startswith("//") and "\\" not in value and value.isprintable()
            and value == value.strip())


def safe_redirect(target: Any, *, own_origin: str | None = None, allowed_origins: tuple[str, ...] = ()) -> str | None:
    """``target`` when it is safe to redirect a user to: a same-site path, or an absolute http(s) URL whose
    origin is ``own_origin`` or one of ``allowed_origins``; else None (an open redirect refused)."""
    if not isinstance(target, str):
        return None
    if _is_local_path(target):
        return target
    origin = origin_of(target)
    if origin is None or not target.isprintable() or "\\" in target or target != target.strip():
        return None
    return target if origin == own_origin or origin in allowed_origins else None


def same_origin_request(*, own_origin: str, origin: str | None, referer: str | None,
                        sec_fetch_site: str | None = None, allowed_origins: tuple[str, ...] = ()) -> bool:
    """Whether a state-changing request (the start ``POST``) comes from the app's own pages.

    ``origin``, ``referer`` and ``sec_fetch_site`` are the request's ``Origin``, ``Referer`` and
    ``Sec-Fetch-Site`` headers (None when absent). Refused when ``Sec-Fetch-Site`` is ``cross-site``; else the
    ``Origin`` (every current browser sends it on a ``POST``), or without one the ``Referer``, must be
    ``own_origin`` or in ``allowed_origins``. Neither header present: refused (fail closed)."""
    if sec_fetch_site is not None and sec_fetch_site.strip().lower() == "cross-site":
        return False
    accepted = {own_origin, *allowed_origins}
    if origin is not None:
        return origin_of(origin) in accepted
    if referer is not None:
        return origin_of(referer) in accepted
    return False


def login_location(config: Config, next_path: str) -> str | None:
    """Where to send an anonymous user: :attr:`Config.login_url` with ``next`` (only when ``next_path`` is a
    same-site path); None when no login URL is configured (answer 401 :data:`ERRORS` ``not_signed_in``)."""
    if config.login_url is None:
        return None
    if not _is_local_path(next_path):
        return config.login_url
    return _with_query(config.login_url, {"next": next_path})


def _with_query(url: str, params: Mapping[str, str]) -> str:
    joiner = "&" if "?" in url else "?"
    fragment = ""
    if "#" in url:
        url, _, rest = url.partition("#")
        fragment = "#" + rest
    return f"{url}{joiner}{urlencode(params)}{fragment}"


# -- start -------------------------------------------------------------------------------------------------
#: headers of the launch page: never cached, never framed (framed by another site, a page that posts itself on
#: would start a session the user never sees)
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
                "Content-Security-Policy": "frame-ancestors 'none'"}


def auto_launch(sec_fetch_site: str | None) -> bool:
    """Whether the launch page ``GET start`` serves may post itself on (``auto_submit``): yes when the browser
    came from the app's own pages (``Sec-Fetch-Site: same-origin``), from the address bar or a bookmark
    (``none``) or says nothing (an older browser); no for a navigation from another site (``cross-site``,
    ``same-site``): a link or ``window.open`` elsewhere carries the ``SameSite=Lax`` session cookie, and the
    page must then wait for the user's click on Continue rather than start a session on their behalf."""
    return sec_fetch_site is None or sec_fetch_site.strip().lower() in ("same-origin", "none")


def launch_providers(client: Any, provider: str | None) -> tuple[str, ...]:
    """The providers a start may create its session with, in the client's provider order: ``provider`` when given
    (:attr:`Config.provider`: ``ledger.start`` passes it as an override, routing bypassed); else the client's
    default provider and every provider its routing may pick instead — rule targets, splits and fallbacks
    (``client.router.config.providers()``, see docs/routing.md)."""
    if provider is not None:
        return (provider,)
    names = {str(client.default_provider), *client.router.config.providers()}
    return tuple(name for name in client.providers if name in names)


def launch_sources(client: Any, provider: str | None) -> list[Provider]:
    """The adapters of :func:`launch_providers`: pass them to :func:`ekyc.launch.launch_page`, so that the launch
    page loads a provider's browser-metadata script (Alibaba's ``jsvm_all.js``) only when a start may go there."""
    return [client.adapter(name) for name in launch_providers(client, provider)]


def nothing_to_do(session: LedgerSession | None, policy: Policy) -> bool:
    """Whether a user whose session is ``session`` has nothing left to do at the provider — approved, or under the
    provider's review (:func:`status_body`'s ``next`` is ``none``): ``GET start`` then sends them to the app's page
    with the state instead of the launch page (both frameworks)."""
    return status_body(session, policy)["next"] == "none" or (
        session is not None and session.state == Outcome.REVIEW.value)


def needs_launch_page(client: Any, provider: str | None) -> bool:
    """Whether ``start`` must go through the launch page (``GET``) because a provider a start may route to
    (:func:`launch_providers`) collects metadata in the browser; when False an app's own button may ``POST`` to
    ``start`` directly."""
    return bool(browser_metadata(launch_sources(client, provider)))


def start_provider(config: Config, client: Any) -> str:
    """The provider named in the return URL of a start: :attr:`Config.provider`, else the client's default
    (routing may still send the session elsewhere; the return endpoint never relies on the name)."""
    return config.provider or str(client.default_provider)


def start_arguments(config: Config, *, return_url: str, metadata: str | None) -> dict[str, Any]:
    """Keyword arguments for ``ledger.start(reference, **...)``: the configured provider and request fields,
    the return URL and the browser metadata the launch page posted (:func:`ekyc.launch.client_metadata`)."""
    args: dict[str, Any] = {**config.request_fields, "return_url": return_url, "provider": config.provider}
    if metadata is not None:
        args["client_metadata"] = metadata
    return args


def after_start(config: Config, session: LedgerSession, own_origin: str | None = None, *,
                keeps_links: bool = True) -> str:
    """Where the start ``POST`` sends the user: the provider's page for a session still to finish (``PENDING``
    with its link), else the app's :func:`return_location` with the session's state (already approved, under
    review…, or pending with no page to open: the provider is processing what the user submitted).
    ``keeps_links`` is whether the ledger has a key (``ledger.vault.enabled``); without one a pending session's
    link is not kept and :class:`~ekyc.ledger.LedgerError` says to configure ``EKYC_LEDGER_KEY``."""
    if session.state == PENDING:
        if session.url is None and keeps_links:
            return return_location(config, session, own_origin=own_origin)
        if session.url is None:
            raise LedgerError("the pending session's link is not kept (the ledger has no key), so the user cannot "
                              "resume it; configure EKYC_LEDGER_KEY", field="key", http_status=503)
        return session.url
    return return_location(config, session, own_origin=own_origin)


#: rounds a browser goes back to ``start`` while another click's session is still being created (``ledger.start``
#: raised :class:`~ekyc.ledger.LedgerBusy` after its own wait), :data:`RETRY_AFTER` seconds apart; after the last
#: the user is sent to the app's page with ``kyc_error=busy``
MAX_WAITS = 3
#: seconds the wait page shows before it goes back to ``start`` (also its ``Retry-After``)
RETRY_AFTER = 2
#: the query parameter of ``start`` counting the rounds waited
WAIT_PARAM = "waited"


def rounds_waited(value: str | None) -> int:
    """The rounds already waited, read from ``start``'s :data:`WAIT_PARAM`: 1 to :data:`MAX_WAITS`; anything else
    (absent, not a number, out of range: it comes from the URL) counts as 0."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 2:
        return 0
    rounds = int(value)
    return rounds if 1 <= rounds <= MAX_WAITS else 0


def start_target(config: Config, rounds: int = 0) -> str:
    """The ``start`` path the launch page posts to, with the rounds waited so far (none: the plain path)."""
    path = config.path("start")
    return f"{path}?{WAIT_PARAM}={rounds}" if rounds else path


def wants_html(accept: str | None) -> bool:
    """Whether the request is a browser's page navigation (its ``Accept`` names ``text/html``), which gets pages;
    any other client gets the JSON answers."""
    return "text/html" in (accept or "").lower()


def busy(config: Config, current: LedgerSession | None, rounds: int, *, html: bool,
         own_origin: str | None = None) -> Answer | str:
    """What ``POST start`` answers when ``ledger.start`` raised :class:`~ekyc.ledger.LedgerBusy` — another click
    of the same user is still creating the session after the ledger waited for it — so that the extra click ends
    on that session instead of an error, in a bounded time, without holding a worker:

    - a browser with rounds left (``rounds`` < :data:`MAX_WAITS`, from :func:`rounds_waited`): 503 with
      ``Retry-After`` and a page that goes back, after :data:`RETRY_AFTER` seconds, to ``GET``
      :func:`start_target` ``(rounds + 1)`` by itself (a meta refresh: no script, no nonce needed) — whose launch
      page posts on, and lands on the first click's session once it is recorded (``ledger.start`` reuses it);
    - a browser after the last round: the location (a ``str``) of the app's page, :func:`return_location` with
      ``current`` (the user's stored state, ``STARTING``) and ``kyc_error=busy``;
    - any other client: 503 ``{"error": "busy"}`` with ``Retry-After``."""
    retry = (("Retry-After", str(RETRY_AFTER)),)
    if not html:
        return Answer(503, b'{"error":"busy"}', headers=retry)
    if rounds >= MAX_WAITS:
        return return_location(config, current, error="busy", own_origin=own_origin)
    target = html_escape(start_target(config, rounds + 1))
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="refresh" content="{RETRY_AFTER}; url={target}">'
        "<title>Setting up your verification</title></head><body>"
        "<p>Your verification is being set up. This page continues by itself in a moment.</p>"
        f'<p><a href="{target}">Continue</a></p></body></html>'
    )
    return Answer(503, page.encode("utf-8"), "text/html; charset=utf-8", retry + tuple(PAGE_HEADERS.items()))


# -- outcome -------------------------------------------------------------------------------------------------
def status_body(session: LedgerSession | None, policy: Policy | None = None) -> dict[str, Any]:
    """The status JSON for the signed-in user: states and neutral reason codes only.

    ``{"state": "APPROVED" | "DECLINED" | "REVIEW" | "PENDING" | "EXPIRED" | "ABANDONED" | "ERROR" |
    "STARTING" | "NONE", "approved": bool, "final": bool, "reasons": ["FACE_MISMATCH", …],
    "provider": "didit" | None, "next": "start" | "continue" | "wait" | "none"}``. ``next`` is what the user can do:
    ``start`` (no session, or the last one ended in a state of ``policy.restart_after``: a new one opens),
    ``continue`` (a pending session: ``start`` reuses it), ``wait`` (review, or a session being created),
    ``none`` (approved)."""
    restart = {o.value for o in (policy or Policy()).restart_after} | {FAILED}
    if session is None:
        return {"state": NONE, "approved": False, "final": False, "reasons": [], "provider": None, "next": "start"}
    state = session.state
    if state in restart:
        nxt = "start"
    elif state == Outcome.APPROVED.value:
        nxt = "none"
    elif state == PENDING:
        nxt = "continue"
    else:
        nxt = "wait"
    return {"state": state, "approved": state == Outcome.APPROVED.value, "final": state in DEFINITIVE,
            "reasons": list(session.reasons), "provider": session.provider, "next": nxt}


def return_location(config: Config, session: LedgerSession | None, *, error: str | None = None,
                    own_origin: str | None = None) -> str:
    """:attr:`Config.after_return` with the outcome in the query: ``{outcome_param}=<state>`` (``NONE`` without a
    session) and ``{outcome_param}_error=<code>`` (one of :data:`ERRORS`) when something was refused."""
    target = safe_redirect(config.after_return, own_origin=own_origin or config.public_origin,
                           allowed_origins=config.allowed_origins)
    if target is None:  # pragma: no cover - Config checks it at construction
        raise ConfigurationError("after_return is not a safe redirect", field="after_return")
    params = {config.outcome_param: NONE if session is None or session.state == FAILED else session.state}
    if error is not None:
        params[f"{config.outcome_param}_error"] = error if error in ERRORS else "unavailable"
    return _with_query(target, params)


def decided(session: LedgerSession | None) -> bool:
    """Whether :data:`OnDecision` is called for this session (its state is in :data:`DECIDED`)."""
    return session is not None and session.state in DECIDED


def changed_sessions(events: Iterable[Mapping[str, Any]], *, delivery_id: int | None = None,
                     actors: Iterable[str] = ()) -> list[int]:
    """The ids of the sessions whose state one of ``events`` changed (audit rows as ``ledger.events`` returns
    them; actions :data:`CHANGES`), keeping only rows of ``delivery_id`` and/or by an actor named in ``actors``
    (``"refresh"`` matches ``refresh@host:pid``) when given. Take ``ledger.last_event_id()`` before a call and
    list ``ledger.events(session_id=…, after=cursor)`` after it: a decision is then announced once, by the call
    that made the change (a duplicated webhook or a second return announces nothing). :func:`decisions` does
    both reads."""
    prefixes = tuple(f"{a}@" for a in actors)
    out: dict[int, None] = {}
    for event in events:
        if event.get("action") not in CHANGES or event.get("session_id") is None:
            continue
        if delivery_id is not None and event.get("delivery_id") != delivery_id:
            continue
        if prefixes and not str(event.get("actor") or "").startswith(prefixes):
            continue
        out[int(event["session_id"])] = None
    return list(out)


#: audit rows :func:`decisions` reads per query
EVENTS_PAGE = 500
#: a read :func:`decisions` asks of the ledger: a method name and its keyword arguments
_Read = tuple[str, dict[str, Any]]


def _decisions(after: int, session_id: int | None, delivery_id: int | None,
               actors: tuple[str, ...]) -> Generator[_Read, Any, list[LedgerSession]]:
    """The rule of :func:`decisions`, sans I/O: yields the ledger reads, returns the sessions to announce."""
    changed: dict[int, None] = {}
    cursor = after
    while True:
        rows = yield "events", {"session_id": session_id, "after": cursor, "limit": EVENTS_PAGE}
        changed.update(dict.fromkeys(changed_sessions(rows, delivery_id=delivery_id, actors=actors)))
        if len(rows) < EVENTS_PAGE:
            break
        cursor = int(rows[-1]["id"])
    out: list[LedgerSession] = []
    for sid in changed:
        session = yield "session", {"session_id": sid}
        if decided(session):
            out.append(session)
    return out


def decisions(ledger: Ledger, after: int, *, session_id: int | None = None, delivery_id: int | None = None,
              actors: Iterable[str] = ()) -> list[LedgerSession]:
    """THE "once per state change" rule both frameworks announce decisions with: the sessions (as the ledger now
    holds them) whose state an audit row after ``after`` changed — rows of ``session_id`` / of ``delivery_id`` /
    by an actor in ``actors`` when given (:func:`changed_sessions`) — and that now hold an outcome the app acts
    on (:func:`decided`), each once, in the order of their first change. ``after`` is ``ledger.last_event_id()``
    taken before the call that may change a state. Reads go through the ledger's own connection (never the web
    framework's, whose open transaction may not see what the ledger committed). Raises what the ledger's reads
    raise (:class:`~ekyc.ledger.LedgerError`, 503, when the database fails)."""
    flow = _decisions(after, session_id, delivery_id, tuple(actors))
    value: Any = None
    while True:
        try:
            name, kwargs = flow.send(value)
        except StopIteration as stop:
            result: list[LedgerSession] = stop.value
            return result
        value = getattr(ledger, name)(**kwargs)


async def adecisions(ledger: AsyncLedger, after: int, *, session_id: int | None = None,
                     delivery_id: int | None = None, actors: Iterable[str] = ()) -> list[LedgerSession]:
    """:func:`decisions` over an :class:`~ekyc.ledger.AsyncLedger`."""
    flow = _decisions(after, session_id, delivery_id, tuple(actors))
    value: Any = None
    while True:
        try:
            name, kwargs = flow.send(value)
        except StopIteration as stop:
            result: list[LedgerSession] = stop.value
            return result
        value = await getattr(ledger, name)(**kwargs)


# -- webhooks ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """An HTTP answer: ``status``, a small ``body`` (no user data), its media type and any more ``headers``."""

    status: int
    body: bytes
    media_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def webhook_body(method: str, url: str, body: bytes) -> bytes:
    """What ``ledger.receive`` takes as the delivery: the raw body for a ``POST``; for a ``GET`` callback
    (Alibaba's) the full URL as received (its query carries the callback)."""
    return url.encode("utf-8") if method.upper() == "GET" else bytes(body)


class BodyTooLarge(InvalidRequest):
    """A request body over an endpoint's limit (``field="body"``): answered 413 ``too_large``."""


def body_too_large(limit: int) -> BodyTooLarge:
    """The error for a request body over ``limit`` bytes: :func:`failure` answers it 413 ``too_large``. Raise it
    before reading past the limit: from a ``Content-Length`` that says more (:func:`check_length`), else as
    soon as ``limit + 1`` bytes were read."""
    return BodyTooLarge(f"the body is larger than {limit} bytes", field="body")


def check_length(content_length: str | None, limit: int) -> None:
    """Raise :func:`body_too_large` when a request's ``Content-Length`` header declares more than ``limit``
    bytes (nothing read yet). A missing or malformed header passes: the reader's own cap then decides."""
    value = (content_length or "").strip()
    if value.isascii() and value.isdigit() and int(value) > limit:
        raise body_too_large(limit)


def webhook_answer(receipt: Receipt) -> Answer:
    """The answer the provider expects for a delivery ``ledger.receive`` took: ``receipt.http_status`` (200
    for every stored delivery — duplicate, replayed, out of order or about a session not known yet — so that
    the provider stops retrying; the provider's documented no-retry status for one that failed verification)."""
    if receipt.http_status < 300:
        return Answer(receipt.http_status, b'{"received":true}')
    return Answer(receipt.http_status, b'{"error":"rejected"}')


def error_code(exc: BaseException) -> str:
    """The neutral :data:`ERRORS` code of an exception an endpoint caught."""
    if isinstance(exc, SessionMismatch):
        return "session_mismatch"
    if isinstance(exc, WebhookVerificationError):
        return "unrecognized_return"
    if isinstance(exc, NoSession):
        return "no_session"
    if isinstance(exc, LedgerBusy):
        return "busy"
    if isinstance(exc, LedgerError):
        return "unavailable"
    if isinstance(exc, (ProviderUnavailable, RateLimited)):
        return "provider_unavailable"
    if isinstance(exc, (InvalidRequest, UnsupportedFeature)):
        return "invalid_request"
    if isinstance(exc, ConfigurationError):
        return "configuration"
    if isinstance(exc, EkycError):
        return "provider_error"
    return "unavailable"


_STATUS = {"session_mismatch": 403, "unrecognized_return": 400, "no_session": 404, "busy": 503,
           "unavailable": 503, "provider_unavailable": 503, "invalid_request": 400, "configuration": 500,
           "provider_error": 502}


def failure(exc: BaseException, *, webhook: bool = False) -> Answer:
    """The answer for an exception an endpoint caught: a neutral code and a status — 503 when the ledger's
    database failed (``LedgerError.http_status``; a provider then retries its webhook), 404 for a webhook path
    naming an unknown provider, 413 for a body over the endpoint's limit (:func:`body_too_large`), 400 for bad
    input, 502/503 when the provider failed. Never the exception's text."""
    code = error_code(exc)
    if webhook and isinstance(exc, InvalidRequest) and getattr(exc, "field", None) == "provider":
        code, status = "unknown_provider", 404
    elif isinstance(exc, BodyTooLarge):
        code, status = "too_large", 413
    elif isinstance(exc, LedgerError) and exc.http_status is not None and not isinstance(exc, NoSession):
        status = exc.http_status
    else:
        status = _STATUS.get(code, 503)
    if status >= 500 and code != "busy":
        _log_fault(exc, code, status)
    return Answer(status, b'{"error":"' + code.encode("ascii") + b'"}')


def _log_fault(exc: BaseException, code: str, status: int) -> None:
    """A server-side failure behind an answer, logged once at WARNING for the operator: the neutral code, the
    exception's type and field, and — for the ledger's and the configuration's own errors, whose text is the
    library's and says what to do (run the ledger's migrations, configure ``EKYC_LEDGER_KEY``…) — its message.
    Nothing else's text is logged (a provider's error may quote what the vendor sent), only its type."""
    detail = str(exc) if isinstance(exc, (LedgerError, ConfigurationError)) else ""
    _log.warning("ekyc integration answered %d %s: %s%s%s", status, code, type(exc).__name__,
                 f" (field {exc.field})" if isinstance(exc, EkycError) and exc.field else "",
                 f": {detail}" if detail else "")


def error_answer(code: str, status: int) -> Answer:
    """An :class:`Answer` for a refusal of the endpoint itself (``not_signed_in`` 401, ``cross_site_request``
    403…)."""
    return Answer(status, b'{"error":"' + (code if code in ERRORS else "unavailable").encode("ascii") + b'"}')


# -- plumbing ------------------------------------------------------------------------------------------------
async def resolve(value: T | Awaitable[T]) -> T:
    """``value``, awaited when the app's callable returned an awaitable (sync and async callables both work)."""
    if inspect.isawaitable(value):
        return await value
    return value


def user_reference(value: Any) -> str | None:
    """The current-user callable's answer as a ledger reference: text (an int or a UUID is turned into text), or
    None for an anonymous user. Raises :class:`~ekyc.errors.ConfigurationError` for anything else."""
    if value is None:
        return None
    if (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str) or not value or len(value) > 256 or not value.isprintable():
        raise ConfigurationError("the current-user callable must return the user's reference (1-256 printable "
                                 "characters) or None", field="current_user")
    return value


__all__ = [
    "CHANGES",
    "DECIDED",
    "ERRORS",
    "EVENTS_PAGE",
    "MAX_WAITS",
    "NONE",
    "PAGE_HEADERS",
    "PATHS",
    "RETRY_AFTER",
    "WAIT_PARAM",
    "Answer",
    "BodyTooLarge",
    "Config",
    "CurrentUser",
    "OnDecision",
    "adecisions",
    "after_start",
    "auto_launch",
    "body_too_large",
    "busy",
    "changed_sessions",
    "check_length",
    "decided",
    "decisions",
    "error_answer",
    "error_code",
    "failure",
    "launch_providers",
    "launch_sources",
    "login_location",
    "needs_launch_page",
    "origin_of",
    "resolve",
    "return_location",
    "rounds_waited",
    "safe_redirect",
    "same_origin_request",
    "start_arguments",
    "start_provider",
    "start_target",
    "status_body",
    "user_reference",
    "wants_html",
    "webhook_answer",
    "webhook_body",
]
