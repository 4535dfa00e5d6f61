"""The ledger's operations as sans-I/O generators, shared by :class:`~ekyc.ledger.Ledger` (blocking) and
:class:`~ekyc.ledger.AsyncLedger` (asyncio).

A flow yields effects — a database step (:class:`Tx`, one transaction), a provider call (:class:`Create`,
:class:`Fetch`, :class:`Delete`) or a pause (:class:`Sleep`) — and the driver performs each one and sends the
result back (or throws its exception in). So both APIs run the same decisions in the same order.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import json
import secrets
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from ..errors import EkycError, InvalidRequest, SessionMismatch, WebhookVerificationError
from ..models import Decision, Outcome, Session, SessionRef, SessionRequest, WebhookEvent
from ..provider import LinkReuse
from . import _store as store
from . import states
from .model import (
    LedgerBusy,
    LedgerError,
    LedgerSession,
    NoSession,
    Policy,
    PurgeReport,
    Receipt,
    ReconcileReport,
)
from .vault import Vault, body_digest, event_digest, session_key

T = TypeVar("T")

#: What to answer a delivery that failed verification, per provider: the status after which the vendor does
#: not retry. Didit retries on 5xx, 404 and timeouts, never on other 4xx (reference/didit.md §6.5), so 401
#: stops it. Tencent and Alibaba document no retry policy for their webhook/callback (reference/tencent.md,
#: reference/alibaba.md §3.2: "not found"): 401, the conventional answer to a failed authentication.
REJECT_STATUS: dict[str, int] = {"didit": 401}
DEFAULT_REJECT_STATUS = 401
#: how long ``start`` waits for another process's claim on the same reference before LedgerBusy
START_WAIT = 10.0


@dataclass(frozen=True)
class Tx:
    """Run ``fn(connection, *args)`` in one transaction."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Create:
    request: SessionRequest
    provider: str | None


@dataclass(frozen=True)
class Fetch:
    ref: SessionRef


@dataclass(frozen=True)
class Delete:
    ref: SessionRef


@dataclass(frozen=True)
class Relink:
    """A fresh hosted-page link to the same provider session (the provider's ``fresh_link`` operation); the
    driver sends back the URL, or None when the provider has no such operation."""

    ref: SessionRef
    link: LinkReuse


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Tx | Create | Fetch | Delete | Relink | Sleep
Flow = Generator[Effect, Any, T]


@dataclass
class Context:
    """What every flow needs besides the database and the provider calls."""

    providers: Callable[[], tuple[str, ...]]
    #: whether a provider's hosted link can be opened again (its ``Capabilities.link``)
    link_reuse: Callable[[str], LinkReuse]
    parse_webhook: Callable[[bytes, Mapping[str, str], str], WebhookEvent]
    #: the client's ``parse_return_url(url, provider, expected=stored_ref)`` (no I/O)
    parse_return_url: Callable[..., SessionRef]
    vault: Vault
    policy: Policy
    clock: Callable[[], float]
    worker: str

    def actor(self, what: str) -> str:
        return f"{what}@{self.worker}"[:64]


# -- helpers -----------------------------------------------------------------------------------------------
def to_session(ctx: Context, row: Row[Any], *, reused: bool = False, secrets: bool = True) -> LedgerSession:
    """A row as a :class:`LedgerSession`; ``secrets=False`` leaves ``ref`` and ``url`` unopened (None), so a
    listing needs no key."""
    ref = url = None
    if secrets and row.ref is not None:
        ref = SessionRef.parse(ctx.vault.open(row.ref).decode("utf-8"))
    if secrets and row.url is not None and ctx.vault.enabled:
        url = ctx.vault.open(row.url).decode("utf-8")
    return LedgerSession(
        id=int(row.id), reference=row.reference, state=row.state, provider=row.provider,
        provider_status=row.provider_status, reasons=tuple(row.reasons.split(",")) if row.reasons else (),
        created_at=row.created_at, updated_at=row.updated_at, decided_at=row.decided_at, ref=ref, url=url,
        reused=reused)


def _personal(ctx: Context, decision: Decision) -> str | None:
    """The decision's personal part (identity, checks, attempts, raw payload) sealed, or None (not kept)."""
    if not (ctx.policy.store_personal_data and ctx.vault.enabled):
        return None
    data = {"decision": decision.model_dump(mode="json", context={"reveal": True}), "raw": decision.raw}
    return ctx.vault.seal(json.dumps(data, default=str).encode("utf-8"))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _problem(exc: EkycError) -> str:
    return f"{type(exc).__name__}" + (f" at {exc.field}" if exc.field else "")


# -- start ---------------------------------------------------------------------------------------------------
def start(ctx: Context, request: SessionRequest, provider: str | None) -> Flow[LedgerSession]:
    """One session per reference: return the one holding the slot, or claim the slot, create, and record."""
    policy, reference = ctx.policy, request.reference
    restartable = {o.value for o in policy.restart_after} | {states.FAILED}
    began = ctx.clock()
    while True:
        now = ctx.clock()
        row = yield Tx(store.holder, (reference,))
        if row is not None:
            if row.state == states.STARTING:
                if row.created_at <= now - policy.claim_timeout:
                    yield Tx(store.fail_claim, (row.id, row.claim, now, ctx.actor("start"), "stale claim"))
                    continue
                if now - began > START_WAIT:
                    raise LedgerBusy("another process is starting this reference's session", field="reference")
                yield Sleep(0.05 + secrets.randbelow(100) / 1000)
                continue
            if row.state in restartable:
                yield Tx(store.release, (row.id, now, ctx.actor("start")))
                continue
            if row.state != states.PENDING or row.ref is None:
                return to_session(ctx, row, reused=True)
            # a session this holder superseded may have been approved meanwhile (its page, still open in another
            # tab, was finished): the reference is verified, so that one is handed back, never the pending page
            if Outcome.APPROVED not in policy.restart_after:
                done = yield Tx(store.approved_elsewhere, (reference,))
                if done is not None:
                    return to_session(ctx, done, reused=True)
            reuse = ctx.link_reuse(row.provider)
            # a pending row's updated_at is when its link was handed out (its fill, or its last relink; else when
            # it moved back to PENDING). Within the grace a start is a repeat of that one (a double click, a
            # re-posted form): the same session and link, no supersede, no vendor call (Policy.relink_grace)
            if reuse is LinkReuse.REUSABLE or now - row.updated_at < policy.relink_grace:
                return to_session(ctx, row, reused=True)
            if reuse is LinkReuse.RENEWABLE:
                return (yield from _relink(ctx, row))
            # the link works once and cannot be renewed: the holder may have been opened already, so a new
            # session takes the slot. A call supersedes only a session last written before it began (whose link
            # was handed out before), never one recorded while it ran (a concurrent click's, or the one a call
            # that superseded the same holder first created): so one returning user gets one new session.
            if row.updated_at >= began:
                return to_session(ctx, row, reused=True)
            yield Tx(store.supersede, (row.id, now, ctx.actor("start")))
            continue
        claim = secrets.token_hex(8)
        try:
            sid = yield Tx(store.insert_claim, (reference, claim, now, ctx.actor("start")))
        except IntegrityError:
            continue  # someone claimed it first: read again
        break
    try:
        session: Session = yield Create(request, provider)
    except BaseException as exc:  # a cancelled request (asyncio) or an interrupt too: never a claim left STARTING
        note = _problem(exc) if isinstance(exc, EkycError) else type(exc).__name__
        yield Tx(store.fail_claim, (sid, claim, ctx.clock(), ctx.actor("start"), f"create failed: {note}"))
        raise
    now = ctx.clock()
    key = session_key(session.ref.provider, session.ref.id)
    expires = session.expires_at.timestamp() if session.expires_at is not None else None
    values = {"provider": session.ref.provider, "session_key": key,
              "ref": ctx.vault.seal_ref(session.ref.serialize()),
              "url": ctx.vault.seal(session.url.encode("utf-8")), "expires_at": expires,
              "next_check_at": now + policy.delay(0)}
    filled = yield Tx(store.fill_claim, (sid, claim, values, now, ctx.actor("start")))
    if not filled:
        raise LedgerError("this start's claim was taken over as stale before the provider's session was recorded "
                          "(raise Policy.claim_timeout above the provider's create time)", field="claim_timeout")
    for did in (yield Tx(store.orphans_for, (key,))):
        yield from apply_delivery(ctx, did, None)
    row = yield Tx(store.session, (sid,))
    return dataclasses.replace(to_session(ctx, row), url=session.url)  # the link, even when not kept


def _relink(ctx: Context, row: Row[Any]) -> Flow[LedgerSession]:
    """The holder with a fresh link to the same session (its link works once, the provider renews it), stored
    sealed in place of the old one. When the call fails the stored link is handed back, as before; when the
    provider has no page for the session now (it moved on: submitted, decided) the session comes back with
    ``url=None`` — its state is what to show the user."""
    ref = _ref(ctx, row)
    try:
        url = yield Relink(ref, ctx.link_reuse(row.provider))
    except EkycError as exc:
        # the stored link is handed out again: that starts the grace too, so a user clicking on while the provider
        # fails makes one provider call per grace, not one per click
        yield Tx(store.handed_out, (row.id, ctx.clock(), ctx.actor("start"), "relink-failed", _problem(exc)))
        return to_session(ctx, row, reused=True)
    if not isinstance(url, str) or not url:
        # the provider has no page for it now (Stripe: the user submitted and the checks are processing): the
        # stored link is spent and forgotten, so none is handed back — the caller shows the state, not a dead page
        yield Tx(store.link_spent, (row.id, ctx.clock(), ctx.actor("start")))
        fresh = yield Tx(store.session, (row.id,))
        return to_session(ctx, fresh, reused=True)
    stored = yield Tx(store.relink, (row.id, ctx.vault.seal(url.encode("utf-8")), ctx.clock(), ctx.actor("start")))
    fresh = yield Tx(store.session, (row.id,))
    if not stored:  # decided while the link was fetched: the session as it is now, its outcome decides
        return to_session(ctx, fresh, reused=True)
    return dataclasses.replace(to_session(ctx, fresh, reused=True), url=url)  # the link, even when not kept


# -- the inbox -------------------------------------------------------------------------------------------------
def receive(ctx: Context, provider: str, body: bytes, headers: Mapping[str, str]) -> Flow[Receipt]:
    """Verify, store, de-duplicate, apply (see :meth:`Ledger.receive`)."""
    if not isinstance(provider, str) or provider not in ctx.providers():
        raise InvalidRequest("unknown or unconfigured provider for this webhook", field="provider")
    now = ctx.clock()
    try:
        event = ctx.parse_webhook(body, headers, provider)
    except WebhookVerificationError as exc:
        did = yield from _count_rejected(provider, now, _problem(exc))
        return Receipt(REJECT_STATUS.get(provider, DEFAULT_REJECT_STATUS), "rejected", did, verified=False)
    raw = bytes(body)
    # an event id may embed a session id (Alibaba's is ``<transactionId>:…``): only its digest is stored
    dedupe = event_digest(event.event_id) if event.event_id else body_digest(raw)
    key = session_key(provider, event.ref.id) if event.ref is not None else None
    sealed = None
    if ctx.policy.store_payloads:
        sealed = ctx.vault.seal(json.dumps({"body": base64.b64encode(raw).decode("ascii"),
                                            "headers": dict(headers)}).encode("utf-8"))
    values = {"provider": provider, "dedupe": dedupe, "received_at": now, "state": "stored",
              "session_key": key, "event_type": event.event_type, "provider_status": event.provider_status,
              "authenticated": event.authenticated,
              "occurred_at": event.occurred_at.timestamp() if event.occurred_at else None, "body": sealed}
    try:
        did = yield Tx(store.insert_delivery, (values,))
    except IntegrityError:
        seen = yield Tx(store.find_delivery, (provider, dedupe))
        if seen is None:  # pragma: no cover - a unique violation on a row that is not there
            raise LedgerError("the delivery could not be stored", http_status=503) from None
        state = seen.state
        if state == "stored":  # its first worker died between storing and applying: repair now
            state = yield from apply_delivery(ctx, int(seen.id), None)
        return (yield from _receipt(int(seen.id), state, key, duplicate=True))
    state = yield from apply_delivery(ctx, did, event)
    return (yield from _receipt(did, state, key, duplicate=False))


def _count_rejected(provider: str, now: float, problem: str) -> Flow[int]:
    """Count a delivery that failed verification in its provider's row of the UTC day (:func:`store.rejected_key`):
    ``attempts`` is how many came, ``problem`` the latest reason, nothing of a body kept — so unauthenticated
    traffic grows the inbox by at most one row per provider and day, and ``purge`` removes the old rows. Returns
    the row's id."""
    for _ in range(3):
        try:
            return int((yield Tx(store.count_rejected, (provider, store.rejected_key(now), now, problem[:200]))))
        except IntegrityError:  # the day's first rejection raced another worker's: count in its row
            continue
    raise LedgerError("a rejected delivery could not be counted", http_status=503)  # pragma: no cover


def _receipt(did: int, state: str, key: str | None, *, duplicate: bool) -> Flow[Receipt]:
    row = None if key is None else (yield Tx(store.session_by_key, (key,)))
    return Receipt(200, state, did, verified=True, duplicate=duplicate,
                   session_id=None if row is None else int(row.id),
                   session_state=None if row is None else row.state)


def apply_delivery(ctx: Context, did: int, event: WebhookEvent | None) -> Flow[str]:
    """Apply a stored delivery (idempotent). ``event`` is the verified event on the live path; None when
    repairing (then the decision is always fetched: a stored body may be past its freshness window)."""
    actor = ctx.actor("webhook" if event is not None else "repair")
    d = yield Tx(store.delivery, (did,))
    if d is None or d.state in ("applied", "mismatch", "rejected"):
        return "applied" if d is None else str(d.state)
    if d.session_key is None:  # a signed event about no session (Didit user.*, business.*)
        yield Tx(store.mark_delivery, (did, "applied", ctx.clock()))
        return "applied"
    for _ in range(8):
        row = yield Tx(store.session_by_key, (d.session_key,))
        if row is None:
            yield Tx(store.mark_delivery, (did, "orphan", ctx.clock()))
            return "orphan"
        if row.ref is None:  # purged: nothing to fetch with, nothing personal to update
            yield Tx(store.mark_delivery, (did, "applied", ctx.clock(), "session purged"))
            return "applied"
        if event is not None and not _names_reference(event, row.reference):
            yield Tx(store.mark_delivery, (did, "mismatch", ctx.clock(), "another reference"))
            yield Tx(store.note, (row.id, did, ctx.clock(), actor, "mismatch", "webhook names another reference"))
            return "mismatch"
        decision = event.decision if event is not None and event.authenticated == "payload" else None
        # no decision in the webhook (or only an envelope/token is signed), or a lapse to confirm: the provider's
        # current answer decides. A final session other than APPROVED can no longer move: nothing to fetch.
        must_fetch = decision is None or states.is_lapse(decision)
        if row.state in states.DEFINITIVE and row.state != Outcome.APPROVED.value:
            must_fetch = False
        fresh = False
        if must_fetch:
            try:
                decision = yield Fetch(_ref(ctx, row))
            except SessionMismatch:
                yield Tx(store.mark_delivery, (did, "mismatch", ctx.clock(), "another reference"))
                yield Tx(store.note, (row.id, did, ctx.clock(), actor, "mismatch",
                                      "the provider reports another reference"))
                return "mismatch"
            except EkycError as exc:
                yield Tx(store.attempted, (did, f"fetch failed: {_problem(exc)}"))
                yield Tx(store.poll_soon, (row.id, ctx.clock()))
                return "stored"
            fresh = True
        if decision is None:
            yield Tx(store.mark_delivery, (did, "applied", ctx.clock()))
            return "applied"
        occurred = None if fresh or event is None or event.occurred_at is None else event.occurred_at.timestamp()
        now = ctx.clock()
        nxt = now + ctx.policy.delay(row.checks) if decision.outcome.value in states.POLLED else None
        done = yield Tx(store.apply, (row.id, row.state, decision), {
            "fresh": fresh, "occurred_at": occurred, "delivery_id": did, "personal": _personal(ctx, decision),
            "next_check_at": nxt, "now": now, "actor": actor})
        if done is not None:
            return "applied"
        # the session moved meanwhile: read it again
    raise LedgerError("the session kept changing while a delivery was applied", http_status=503)


def _names_reference(event: WebhookEvent, reference: str) -> bool:
    echoed = [r for r in (event.ref.reference if event.ref else None,
                          event.decision.reference if event.decision else None) if r is not None]
    return all(_same(r, reference) for r in echoed)


def _ref(ctx: Context, row: Row[Any]) -> SessionRef:
    return SessionRef.parse(ctx.vault.open(row.ref).decode("utf-8"))


# -- refresh --------------------------------------------------------------------------------------------
#: how many of a reference's newest sessions ``refresh`` looks through for the one to act on
REFRESH_WINDOW = 20


def refresh(ctx: Context, reference: str, return_url: Any) -> Flow[LedgerSession]:
    """Check a return URL against the reference's stored session, fetch the provider's result now and apply it
    the way the reconciler does (see :meth:`Ledger.refresh`)."""
    actor = ctx.actor("refresh")
    rows = yield Tx(store.sessions_of, (reference, None, REFRESH_WINDOW, 0))
    row = next((r for r in rows if r.state not in (states.STARTING, states.FAILED)), None)
    if row is None:
        raise NoSession("this reference has no provider session in the ledger", field="reference", http_status=404)
    if row.ref is None:  # purged: no ref to check a URL against, nothing to fetch with
        if return_url is not None:
            raise NoSession("this reference's session was purged", field="reference", http_status=404)
        return to_session(ctx, row)
    stored = _ref(ctx, row)
    if return_url is not None:
        try:
            ctx.parse_return_url(return_url, stored.provider, expected=stored)
        except WebhookVerificationError as exc:  # SessionMismatch included: another session's URL, or none
            # the user may come back from a session of theirs that a start superseded (its single-use link was
            # handed out, and its page still open in another tab when they started again): that one is theirs
            found = None
            if isinstance(exc, SessionMismatch):
                for old in (yield Tx(store.superseded, (reference, REFRESH_WINDOW))):
                    if old.ref is not None and _names(ctx, return_url, _ref(ctx, old)):
                        found = old
                        break
            if found is None:
                yield Tx(store.note, (row.id, None, ctx.clock(), actor, "return-refused", _problem(exc)))
                raise
            row, stored = found, _ref(ctx, found)
    # a final session other than APPROVED can no longer move: nothing to fetch (an approval may have lapsed)
    if row.state in states.DEFINITIVE and row.state != Outcome.APPROVED.value:
        return to_session(ctx, row)
    try:
        decision: Decision = yield Fetch(stored)
    except SessionMismatch as exc:
        yield Tx(store.note, (row.id, None, ctx.clock(), actor, "mismatch",
                              "the provider reports another reference"))
        raise exc
    except EkycError as exc:
        yield Tx(store.note, (row.id, None, ctx.clock(), actor, "fetch-failed", _problem(exc)))
        yield Tx(store.poll_soon, (row.id, ctx.clock()))
        raise
    for _ in range(8):
        now = ctx.clock()
        nxt = now + ctx.policy.delay(row.checks) if decision.outcome.value in states.POLLED else None
        done = yield Tx(store.apply, (row.id, row.state, decision), {
            "fresh": True, "occurred_at": None, "delivery_id": None, "personal": _personal(ctx, decision),
            "next_check_at": nxt, "now": now, "actor": actor})
        row = yield Tx(store.session, (row.id,))
        if done is not None:
            return to_session(ctx, row)
    raise LedgerError("the session kept changing while it was refreshed", http_status=503)


def _names(ctx: Context, return_url: Any, ref: SessionRef) -> bool:
    """Whether ``return_url`` names the session ``ref`` (the client's check, in constant time)."""
    try:
        ctx.parse_return_url(return_url, ref.provider, expected=ref)
    except WebhookVerificationError:
        return False
    return True


# -- reconcile ---------------------------------------------------------------------------------------------
def reconcile(ctx: Context, limit: int) -> Flow[ReconcileReport]:
    """Repair the inbox, drop stale claims, poll what is due (see :meth:`Ledger.reconcile`)."""
    policy, report, actor = ctx.policy, ReconcileReport(), ctx.actor("reconcile")
    now = ctx.clock()
    report.stale_claims = yield Tx(store.fail_stale_claims, (now - policy.claim_timeout, now, actor))
    for did in (yield Tx(store.claim_deliveries, (now - policy.repair_after, now, policy.lease, limit))):
        state = yield from apply_delivery(ctx, did, None)
        report.repaired += state == "applied"
    owner = f"{ctx.worker}:{secrets.token_hex(4)}"[:64]
    for row in (yield Tx(store.claim_due, (ctx.clock(), owner, policy.lease, limit))):
        report.polled += 1
        state = row.state
        try:
            decision = yield Fetch(_ref(ctx, row))
        except SessionMismatch:
            yield Tx(store.note, (row.id, None, ctx.clock(), actor, "mismatch",
                                  "the provider reports another reference"))
            decision = None
            report.failed += 1
        except EkycError as exc:
            yield Tx(store.note, (row.id, None, ctx.clock(), actor, "fetch-failed", _problem(exc)))
            decision = None
            report.failed += 1
        now = ctx.clock()
        if decision is not None:
            for _ in range(8):
                done = yield Tx(store.apply, (row.id, state, decision), {
                    "fresh": True, "occurred_at": None, "delivery_id": None,
                    "personal": _personal(ctx, decision), "next_check_at": None, "now": now, "actor": actor})
                if done is not None:
                    report.changed += state != done[0]
                    state = done[0]
                    break
                fresh_row = yield Tx(store.session, (row.id,))
                state = fresh_row.state
        if state == states.PENDING and now > _deadline(policy, row):
            expired = yield Tx(store.expire, (row.id, state, now, actor))
            report.expired += bool(expired)
        gave_up = state == Outcome.ERROR.value and now > _deadline(policy, row)
        nxt = None if gave_up else now + policy.delay(row.checks + 1)
        yield Tx(store.reschedule, (row.id, owner, nxt, now))
    return report


def _deadline(policy: Policy, row: Row[Any]) -> float:
    if row.expires_at is not None:
        return float(row.expires_at) + policy.expiry_grace
    return float(row.created_at) + policy.max_pending


# -- retention -----------------------------------------------------------------------------------------------
def purge(ctx: Context, older_than: float, limit: int, provider_delete: bool) -> Flow[PurgeReport]:
    """Remove personal data and payloads of sessions decided more than ``older_than`` seconds ago."""
    report, actor = PurgeReport(), ctx.actor("purge")
    before = ctx.clock() - older_than
    for row in (yield Tx(store.purgeable, (before, limit))):
        note = "personal data removed"
        if provider_delete and row.ref is not None:
            try:
                deleted = yield Delete(_ref(ctx, row))
            except EkycError as exc:
                if exc.retryable or exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429:
                    report.provider_delete_failed += 1
                    note += f"; provider delete failed ({_problem(exc)})"
                    # keep the ref: a later purge tries the provider again
                    yield Tx(store.note, (row.id, None, ctx.clock(), actor, "purge-failed", note))
                    continue
                # the provider refuses for good (e.g. Stripe redacts only requires_input/verified sessions):
                # our copy goes all the same
                report.provider_delete_refused += 1
                note += f"; the provider refused the delete ({_problem(exc)})"
                deleted = None
            if deleted:
                report.provider_deleted += 1
                note += "; provider session deleted"
            elif deleted is False:
                report.provider_delete_unavailable += 1
                note += "; the provider has no delete operation"
        report.sessions += bool((yield Tx(store.purge_session, (row.id, ctx.clock(), actor, note))))
    report.bodies = yield Tx(store.purge_bodies, (before,))
    report.rejected = yield Tx(store.purge_rejected, (before,))
    return report
