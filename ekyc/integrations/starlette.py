"""Identity verification for Starlette and FastAPI apps: the start, return, webhook and status endpoints over an
:class:`~ekyc.ledger.AsyncLedger`, async all the way. Needs the ``starlette`` extra
(``pip install 'ekyc-bridge[starlette]'``). See ``docs/integrations.md``::

    from ekyc import AsyncClient
    from ekyc.ledger import AsyncLedger
    from ekyc.integrations import Config
    from ekyc.integrations.starlette import Verification

    ledger = AsyncLedger("postgresql://kyc@db/kyc", AsyncClient())          # key from EKYC_LEDGER_KEY
    kyc = Verification(ledger, current_user=lambda request: request.session.get("user_id"),
                       config=Config(after_return="/account"), on_decision=grant_access)
    app = Starlette(routes=[*kyc.routes, ...])          # FastAPI: kyc.include(app)

Endpoints (``Config.prefix``, default ``/kyc``; the contract is :mod:`ekyc.integrations._core`):

- ``GET /kyc/start`` — the launch page (collects Alibaba's browser MetaInfo where needed, then posts on);
- ``POST /kyc/start`` — same-origin only; creates or reuses the user's one session, 303 to the provider;
- ``GET /kyc/return/{provider}`` — ``ledger.refresh(user, return_url=<as received>)``, 303 to
  ``Config.after_return`` with ``?kyc=<STATE>`` (and ``kyc_error=session_mismatch`` for someone else's link);
- ``GET|POST /kyc/webhooks/{provider}`` — raw body to ``ledger.receive``, answered ``receipt.http_status``;
- ``GET /kyc/status`` — the user's state as JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..client import MAX_WEBHOOK_BYTES
from ..errors import EkycError, InvalidRequest
from ..launch import client_metadata, launch_page
from ..ledger import AsyncLedger, LedgerBusy
from ._core import (
    PAGE_HEADERS,
    WAIT_PARAM,
    Answer,
    Config,
    CurrentUser,
    OnDecision,
    adecisions,
    after_start,
    auto_launch,
    body_too_large,
    busy,
    check_length,
    error_answer,
    error_code,
    failure,
    launch_sources,
    login_location,
    nothing_to_do,
    resolve,
    return_location,
    rounds_waited,
    same_origin_request,
    start_arguments,
    start_provider,
    start_target,
    status_body,
    user_reference,
    wants_html,
    webhook_answer,
    webhook_body,
)

_log = logging.getLogger("ekyc.integrations")
#: the largest start form accepted (bytes): the launch page posts the browser metadata and the app's fields
MAX_FORM_BYTES = 64 * 1024
#: headers on every page and redirect the endpoints answer to a user: nothing cached, no referrer leaked
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
#: the errors of a return the user is sent back to the app with (``kyc_error=<code>`` and their stored state);
#: any other (the database failed, a misconfiguration) is answered as an error page
SHOWN_ON_RETURN = frozenset({"session_mismatch", "unrecognized_return", "no_session", "provider_unavailable",
                             "provider_error"})


def _answer(answer: Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type,
                    headers={"Cache-Control": "no-store", **dict(answer.headers)})


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


class Verification:
    """The endpoints for one app: ``routes`` (full paths under ``config.prefix``) or :meth:`include`.

    ``ledger``: an :class:`~ekyc.ledger.AsyncLedger` (migrated; with a key, so that a pending session's link
    is kept and a returning user can resume it). ``current_user``: ``request → reference | None`` (sync or async;
    your user id as text; None = anonymous: redirected to ``config.login_url``, else 401). ``on_decision``:
    called with the :class:`~ekyc.ledger.LedgerSession` once for each state change a return, a webhook or a
    start (an early webhook applied then) made that leaves it approved, declined, expired, abandoned or in review
    — read from the ledger's audit trail, so a duplicated webhook or a second return calls nothing (at least
    once across processes racing on one session: set state from ``session.state``, never toggle). Changes the
    reconciler makes are not seen here (see docs/integrations.md). An exception it raises is logged by type,
    never shown to the user or the provider.
    ``nonce``: ``request → str | None``, the CSP nonce for the launch page's scripts.
    """

    def __init__(self, ledger: AsyncLedger, current_user: CurrentUser, *, config: Config | None = None,
                 on_decision: OnDecision | None = None,
                 nonce: Callable[[Request], str | None] | None = None) -> None:
        if not isinstance(ledger, AsyncLedger):
            raise InvalidRequest("Verification needs an ekyc.ledger.AsyncLedger", field="ledger")
        if not callable(current_user):
            raise InvalidRequest("current_user must be a callable: request -> the user's reference or None",
                                 field="current_user")
        self.ledger = ledger
        self.current_user = current_user
        self.config = config or Config()
        self.on_decision = on_decision
        self.nonce = nonce

    # -- wiring ----------------------------------------------------------------------------------------
    @property
    def routes(self) -> list[BaseRoute]:
        """The endpoints as Starlette routes with their full paths (``/kyc/start`` …)."""
        c = self.config
        return [
            Route(c.path("start"), self.start_page, methods=["GET"], name="ekyc:start_page"),
            Route(c.path("start"), self.start, methods=["POST"], name="ekyc:start"),
            Route(c.path("return"), self.returned, methods=["GET"], name="ekyc:return"),
            Route(c.path("webhook"), self.webhook, methods=["GET", "POST"], name="ekyc:webhook"),
            Route(c.path("status"), self.status, methods=["GET"], name="ekyc:status"),
        ]

    def include(self, app: Any) -> None:
        """Add the routes to a Starlette or FastAPI app (``app.router.routes``)."""
        app.router.routes.extend(self.routes)

    # -- helpers --------------------------------------------------------------------------------------
    async def _user(self, request: Request, *, anonymous: Callable[[Request], Response] | None = None,
                    ) -> str | Response:
        """The signed-in user's reference, or the response to give instead: the anonymous answer (a login
        redirect or 401) when the app's callable says None, a clean 500 ``configuration`` answer when it returns
        something that is not a reference (never a traceback)."""
        try:
            user = user_reference(await resolve(self.current_user(request)))
        except EkycError as exc:
            return _answer(failure(exc))
        if user is None:
            return (anonymous or self._anonymous)(request)
        return user

    def _anonymous(self, request: Request) -> Response:
        location = login_location(self.config, request.url.path)
        if location is not None:
            return _redirect(location)
        return _answer(error_answer("not_signed_in", 401))

    async def _cursor(self) -> int | None:
        """The audit cursor before a call that may change a state (None: no callback to feed)."""
        return None if self.on_decision is None else await self.ledger.last_event_id()

    async def _announce(self, cursor: int | None, session_id: int | None, *, delivery_id: int | None = None,
                        actors: tuple[str, ...] = ()) -> None:
        """Call ``on_decision`` for the session when an audit row after ``cursor`` (of ``delivery_id`` / by
        ``actors``) changed its state to one the app acts on: once per change, by the call that made it."""
        if self.on_decision is None or cursor is None or session_id is None:
            return
        try:
            changed = await adecisions(self.ledger, cursor, session_id=session_id, delivery_id=delivery_id,
                                       actors=actors)
        except EkycError as exc:  # the change is committed: the user and the provider still get their answer
            _log.error("ekyc: the session of a change could not be read: %s", type(exc).__name__)
            return
        for session in changed:
            try:
                await resolve(self.on_decision(session))
            except Exception as exc:  # the app's callback: logged by type only (it may hold personal data)
                _log.error("ekyc on_decision callback failed for session %s: %s", session.id, type(exc).__name__)

    def _own_origin(self, request: Request) -> str:
        return self.config.own_origin(str(request.url))

    async def _user_at(self, request: Request) -> tuple[str, str] | Response:
        """The signed-in user's reference and the app's own origin for ``request``, or the response to give
        instead (:meth:`_user`'s answers; a clean error answer when the Host makes no origin)."""
        user = await self._user(request)
        if isinstance(user, Response):
            return user
        try:
            return user, self._own_origin(request)
        except EkycError as exc:
            return _answer(failure(exc))

    # -- endpoints ------------------------------------------------------------------------------------
    async def start_page(self, request: Request) -> Response:
        """``GET start``: the launch page, which posts the start form on at once (a user with nothing left to
        do — approved or in review — goes straight to the app's page)."""
        user = await self._user(request)
        if isinstance(user, Response):
            return user
        try:
            current = await self.ledger.status(user)
        except EkycError as exc:
            return _answer(failure(exc))
        try:
            if nothing_to_do(current, self.ledger.policy):
                return _redirect(return_location(self.config, current, own_origin=self._own_origin(request)))
            action = start_target(self.config, rounds_waited(request.query_params.get(WAIT_PARAM)))
            page = launch_page(launch_sources(self.ledger.client, self.config.provider), action,
                               nonce=self.nonce(request) if self.nonce is not None else None,
                               auto_submit=auto_launch(request.headers.get("sec-fetch-site")))
        except EkycError as exc:
            return _answer(failure(exc))
        return HTMLResponse(page, headers=PAGE_HEADERS)

    async def start(self, request: Request) -> Response:
        """``POST start``: same-origin only; the user's one session (created or reused), 303 to its page."""
        signed_in = await self._user_at(request)
        if isinstance(signed_in, Response):
            return signed_in
        user, own = signed_in
        if not same_origin_request(own_origin=own, origin=request.headers.get("origin"),
                                   referer=request.headers.get("referer"),
                                   sec_fetch_site=request.headers.get("sec-fetch-site"),
                                   allowed_origins=self.config.allowed_origins):
            return _answer(error_answer("cross_site_request", 403))
        try:
            form = await _form(request)
            arguments = start_arguments(self.config, return_url=self.config.return_url(
                start_provider(self.config, self.ledger.client), own), metadata=client_metadata(form))
            cursor = await self._cursor()
            session = await self.ledger.start(user, **arguments)
            # a webhook that arrived before the session was recorded is applied now (audited as repair@…)
            await self._announce(cursor, session.id, actors=("repair",))
            return _redirect(after_start(self.config, session, own, keeps_links=self.ledger.vault.enabled))
        except LedgerBusy:  # another click is still creating this user's session: wait for it (bounded)
            return await self._busy(request, user, own)
        except EkycError as exc:
            return _answer(failure(exc))

    async def _busy(self, request: Request, user: str, own: str) -> Response:
        """:func:`~ekyc.integrations.busy`: a browser goes round again until the other click's session is there."""
        try:
            current = await self.ledger.status(user)
        except EkycError as exc:
            return _answer(failure(exc))
        answer = busy(self.config, current, rounds_waited(request.query_params.get(WAIT_PARAM)),
                      html=wants_html(request.headers.get("accept")), own_origin=own)
        return _redirect(answer) if isinstance(answer, str) else _answer(answer)

    async def returned(self, request: Request) -> Response:
        """``GET return/{provider}``: check the URL names the signed-in user's stored session, fetch and apply
        the result, 303 to the app's page with the outcome. HEAD is refused (405): it would fetch and write."""
        if request.method != "GET":
            return Response(status_code=405, headers={"Allow": "GET"})
        signed_in = await self._user_at(request)
        if isinstance(signed_in, Response):
            return signed_in
        user, own = signed_in
        try:
            cursor = await self._cursor()
            session = await self.ledger.refresh(user, return_url=str(request.url))
        except EkycError as exc:
            if error_code(exc) not in SHOWN_ON_RETURN:
                return _answer(failure(exc))  # the database failed, or a misconfiguration: nothing to show
            try:
                current = await self.ledger.status(user)
            except EkycError as again:
                return _answer(failure(again))
            return _redirect(return_location(self.config, current, error=error_code(exc), own_origin=own))
        await self._announce(cursor, session.id, actors=("refresh",))
        return _redirect(return_location(self.config, session, own_origin=own))

    async def webhook(self, request: Request) -> Response:
        """``GET|POST webhooks/{provider}``: the raw delivery to the ledger's inbox, answered as the provider
        expects."""
        provider = request.path_params["provider"]
        try:
            body = await _body(request, MAX_WEBHOOK_BYTES)
            cursor = await self._cursor()
            receipt = await self.ledger.receive(provider, webhook_body(request.method, str(request.url), body),
                                                request.headers)
        except EkycError as exc:
            return _answer(failure(exc, webhook=True))
        if receipt.verified and receipt.state == "applied":
            await self._announce(cursor, receipt.session_id, delivery_id=receipt.delivery_id)
        return _answer(webhook_answer(receipt))

    async def status(self, request: Request) -> Response:
        """``GET status``: the signed-in user's state (:func:`~ekyc.integrations.status_body`)."""
        user = await self._user(request, anonymous=lambda _: _answer(error_answer("not_signed_in", 401)))
        if isinstance(user, Response):
            return user
        try:
            session = await self.ledger.status(user)
        except EkycError as exc:
            return _answer(failure(exc))
        return JSONResponse(status_body(session, self.ledger.policy), headers={"Cache-Control": "no-store"})


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (:func:`~ekyc.integrations.body_too_large`: 413) past ``limit`` bytes without
    reading the rest."""
    check_length(request.headers.get("content-length"), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request) -> FormData:
    """The start form (``application/x-www-form-urlencoded``, what the launch page posts), at most
    :data:`MAX_FORM_BYTES`; no multipart parser needed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _body(request, MAX_FORM_BYTES)
    if not body:
        return FormData()
    if kind != "application/x-www-form-urlencoded":
        raise InvalidRequest("the start form must be application/x-www-form-urlencoded", field="form")
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=100))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the start form cannot be read", field="form") from None
    return FormData(pairs)


__all__ = ["MAX_FORM_BYTES", "Verification"]
