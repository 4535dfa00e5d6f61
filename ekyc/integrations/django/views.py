"""The four endpoints as Django views, thin adapters over the framework-neutral core (:mod:`ekyc.integrations`,
whose module docstring is the contract) and the blocking :class:`~ekyc.ledger.Ledger`.

These are **sync views** over the sync ledger (thread-safe; one per process, :func:`.conf.get_ledger`): run them
under WSGI, or under ASGI where Django runs sync views in a thread pool. Each request does at most one provider
call (``start``: create; ``return``: one fetch; ``webhooks``: one fetch when the payload carries no decision).

- ``start`` (GET: the launch page; POST: ``ledger.start`` → the provider's page) — CSRF-protected by Django's
  middleware *and* the core's same-origin check;
- ``return/<provider>`` — ``ledger.refresh(reference, return_url=<the URL as received>)``: the URL must name the
  session stored for ``request.user``; never trusted otherwise;
- ``webhooks/<provider>`` — the only CSRF-exempt view: the provider signs it; answered ``receipt.http_status``;
- ``status`` — the signed-in user's state as JSON.

The user is ``request.user`` (its reference: :func:`.conf.reference_of`). Decisions go out through
:data:`.signals.decision_received`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, UnreadablePostError
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ...client import MAX_WEBHOOK_BYTES
from ...errors import EkycError, InvalidRequest
from ...launch import client_metadata, launch_page
from ...ledger import LedgerBusy
from .. import (
    PAGE_HEADERS,
    WAIT_PARAM,
    Answer,
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
    return_location,
    rounds_waited,
    same_origin_request,
    start_arguments,
    start_provider,
    start_target,
    status_body,
    wants_html,
    webhook_answer,
    webhook_body,
)
from .conf import config, get_ledger, reference_of
from .dispatch import announce, cursor, log


def _failed(exc: EkycError, *, webhook: bool = False) -> HttpResponse:
    """:func:`ekyc.integrations.failure` as a response (which logs a server-side failure for the operator); a
    refusal of the request is logged at INFO with the error's type and field only."""
    answer = failure(exc, webhook=webhook)
    if answer.status < 500:
        log.info("ekyc view answered %s: %s (field %s)", answer.status, type(exc).__name__, exc.field)
    return _answer(answer)


def _answer(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.media_type)
    response["Cache-Control"] = "no-store"
    for name, value in answer.headers:
        response[name] = value
    return response


def _redirect(location: str) -> HttpResponse:
    response = HttpResponseRedirect(location, status=303)
    response["Cache-Control"] = "no-store"
    return response


def _anonymous(request: HttpRequest, *, redirect: bool) -> HttpResponse:
    target = login_location(config(), request.get_full_path()) if redirect else None
    return _redirect(target) if target is not None else _answer(error_answer("not_signed_in", 401))


def _signed_in(view: Callable[[HttpRequest, str], HttpResponse] | Callable[..., HttpResponse], *,
               redirect: bool = True) -> Callable[..., HttpResponse]:
    """Run ``view(request, reference, ...)`` for a signed-in user; an anonymous one goes to the login page
    (``redirect``) or gets 401. A configuration error is answered 500 with a neutral code (and raised in DEBUG)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            reference = reference_of(getattr(request, "user", None))
        except EkycError as exc:
            return _failed(exc)
        if reference is None:
            return _anonymous(request, redirect=redirect)
        return view(request, reference, *args, **kwargs)

    wrapped.__name__ = getattr(view, "__name__", "view")
    wrapped.__doc__ = view.__doc__
    return wrapped


def _start(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the launch page (collects the browser metadata a provider needs, then posts on by itself). POST:
    the user's one session — the unfinished one they have, or a new one — then the provider's page (or the
    app's page with the state when it is already decided)."""
    cfg = config()
    try:
        ledger = get_ledger()
        own = cfg.own_origin(request.build_absolute_uri())
        if request.method == "GET":
            current = ledger.status(reference)
            if nothing_to_do(current, ledger.policy):  # approved or under review: the app's page, not another start
                return _redirect(return_location(cfg, current, own_origin=own))
            page = launch_page(launch_sources(ledger.client, cfg.provider),
                               action=start_target(cfg, rounds_waited(request.GET.get(WAIT_PARAM))),
                               fields={"csrfmiddlewaretoken": get_token(request)},
                               auto_submit=auto_launch(request.headers.get("Sec-Fetch-Site")))
            response = HttpResponse(page, content_type="text/html; charset=utf-8")
            for name, value in PAGE_HEADERS.items():
                response[name] = value
            return response
        if not same_origin_request(own_origin=own, origin=request.headers.get("Origin"),
                                   referer=request.headers.get("Referer"),
                                   sec_fetch_site=request.headers.get("Sec-Fetch-Site"),
                                   allowed_origins=cfg.allowed_origins):
            return _answer(error_answer("cross_site_request", 403))
        return_url = cfg.return_url(start_provider(cfg, ledger.client), own)
        after = cursor(ledger)
        try:
            session = ledger.start(reference, **start_arguments(cfg, return_url=return_url,
                                                                metadata=client_metadata(request.POST)))
        except LedgerBusy:  # another click is still creating this user's session: wait for it (bounded)
            answer = busy(cfg, ledger.status(reference), rounds_waited(request.GET.get(WAIT_PARAM)),
                          html=wants_html(request.headers.get("Accept")), own_origin=own)
            return _redirect(answer) if isinstance(answer, str) else _answer(answer)
        # a webhook that came before the session was recorded (an orphan) is applied by start, as "repair@…"
        announce(ledger, "webhook", after=after, session_id=session.id, actors=("repair",))
        return _redirect(after_start(cfg, session, own, keeps_links=ledger.vault.enabled))
    except EkycError as exc:
        return _failed(exc)


def _return(request: HttpRequest, reference: str, provider: str) -> HttpResponse:
    """The provider sent the user back: check that the URL names the session stored for this user, fetch and
    apply its result now, and send the user to the app's page with the state (``?kyc=APPROVED``). ``provider``
    (the path's) is trusted for nothing: the ledger checks the URL with the stored session's provider."""
    cfg = config()
    try:
        ledger = get_ledger()
        own = cfg.own_origin(request.build_absolute_uri())
        after = cursor(ledger)
        session = ledger.refresh(reference, return_url=request.build_absolute_uri())
        announce(ledger, "return", after=after, session_id=session.id, actors=("refresh",))
        return _redirect(return_location(cfg, session, own_origin=own))
    except EkycError as exc:
        try:
            current = get_ledger().status(reference)
        except EkycError as again:
            return _failed(again)
        return _redirect(return_location(cfg, current, error=error_code(exc), own_origin=cfg.public_origin or None))


def _status(request: HttpRequest, reference: str) -> HttpResponse:
    """The signed-in user's verification as JSON: states and neutral reason codes only."""
    try:
        ledger = get_ledger()
        response = JsonResponse(status_body(ledger.status(reference), ledger.policy))
    except EkycError as exc:
        return _failed(exc)
    response["Cache-Control"] = "no-store"
    return response


def _capped_body(request: HttpRequest, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes, read by us: ``Content-Length`` over the limit is refused before
    reading anything, and no more than ``limit + 1`` bytes are ever read (413 past the limit) — whatever the
    app's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (None turns Django's own check off; a smaller one would refuse a
    genuine delivery, since ``request.body`` applies it). Under ASGI Django's handler has already spooled the
    body (to disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE``) before any view runs: cap it at the server as well."""
    check_length(request.META.get("CONTENT_LENGTH"), limit)
    try:
        body = request.read(limit + 1)
    except (OSError, UnreadablePostError):
        raise InvalidRequest("the body could not be read", field="body_read") from None
    if len(body) > limit:
        raise body_too_large(limit)
    return body


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's webhook or callback (Alibaba's is a GET): the raw body (or the full URL) and the headers as
    received go to ``ledger.receive``; the answer is ``receipt.http_status`` — 200 for every stored delivery
    (duplicates, replays and out-of-order ones included: the state machine never goes backwards), the
    provider's no-retry status for a forged one, 503 when the database failed (the provider retries)."""
    try:
        ledger = get_ledger()
        body = webhook_body(request.method or "POST", request.build_absolute_uri(),
                            _capped_body(request, MAX_WEBHOOK_BYTES))
        after = cursor(ledger)
        receipt = ledger.receive(provider, body, dict(request.headers.items()))
    except EkycError as exc:
        return _failed(exc, webhook=True)
    if receipt.session_id is not None:
        try:
            announce(ledger, "webhook", after=after, session_id=receipt.session_id, delivery_id=receipt.delivery_id)
        except Exception as exc:  # stored and applied: the ledger is the record; the provider must not retry
            log.warning("decision_received was not sent for a delivery (%s)", type(exc).__name__)
    return _answer(webhook_answer(receipt))


start = never_cache(require_http_methods(["GET", "POST"])(_signed_in(_start)))
return_view = never_cache(require_http_methods(["GET"])(_signed_in(_return)))
status = never_cache(require_http_methods(["GET"])(_signed_in(_status, redirect=False)))
