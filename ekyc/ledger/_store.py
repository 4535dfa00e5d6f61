"""The ledger's database steps: each function runs inside one transaction on a blocking SQLAlchemy
``Connection`` (the async ledger runs the same functions through ``AsyncConnection.run_sync``), so both APIs
share every statement and every guarantee.

Concurrency rests on the database alone: the partial unique index (one session holding a reference's slot),
the unique (provider, dedupe) pair of deliveries, conditional updates (``WHERE state = <what was read>``) for
every state change, and leases taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (on SQLite every write
transaction is ``BEGIN IMMEDIATE``, so one writer at a time and the conditional update decides).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, func, insert, or_, select, update

from ..models import Decision, Outcome
from . import states
from .schema import audit, deliveries, sessions

Values = Mapping[str, Any]


def _audit(conn: Connection, *, at: float, actor: str, action: str, session_id: int | None = None,
           delivery_id: int | None = None, from_state: str | None = None, to_state: str | None = None,
           provider: str | None = None, provider_status: str | None = None, reasons: str | None = None,
           note: str | None = None) -> None:
    conn.execute(insert(audit).values(
        at=at, actor=actor[:64], action=action[:32], session_id=session_id, delivery_id=delivery_id,
        from_state=from_state, to_state=to_state, provider=provider,
        provider_status=None if provider_status is None else provider_status[:64],
        reasons=None if reasons is None else reasons[:512], note=None if note is None else note[:200]))


def _new_id(key: Any) -> int:
    if key is None or key[0] is None:  # pragma: no cover - every supported dialect returns the new id
        raise RuntimeError("the database did not return the new row's id")
    return int(key[0])


def reason_text(decision: Decision) -> str | None:
    """The decision's reason codes as stored (comma-separated :class:`~ekyc.ReasonCode` values; never text)."""
    return ",".join(r.value for r in decision.reason_codes) or None


# -- sessions: the one slot per reference ------------------------------------------------------------
def holder(conn: Connection, reference: str) -> Row[Any] | None:
    """The session holding ``reference``'s slot, if any."""
    return conn.execute(select(sessions).where(sessions.c.reference == reference, sessions.c.holds)).first()


def release(conn: Connection, session_id: int, now: float, actor: str) -> bool:
    """Free the slot a session holds (its outcome allows a new session). False when it no longer held it."""
    row = conn.execute(select(sessions.c.state, sessions.c.provider).where(sessions.c.id == session_id,
                                                                           sessions.c.holds)).first()
    if row is None:
        return False
    conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.holds)
                 .values(holds=False, updated_at=now))
    _audit(conn, at=now, actor=actor, action="release", session_id=session_id, from_state=row.state,
           to_state=row.state, provider=row.provider)
    return True


def supersede(conn: Connection, session_id: int, now: float, actor: str) -> bool:
    """Free the slot a pending session holds because its single-use link cannot be handed out again: a new
    session takes the slot; this one keeps its state (a late result still lands on it, never on the new one).
    False when it no longer held the slot or is no longer pending."""
    result = conn.execute(update(sessions).where(
        sessions.c.id == session_id, sessions.c.holds, sessions.c.state == states.PENDING)
        .values(holds=False, updated_at=now))
    if result.rowcount != 1:
        return False
    provider = conn.execute(select(sessions.c.provider).where(sessions.c.id == session_id)).scalar()
    _audit(conn, at=now, actor=actor, action="superseded", session_id=session_id, from_state=states.PENDING,
           to_state=states.PENDING, provider=provider, note="its link works once: a new session holds the slot")
    return True


def superseded(conn: Connection, reference: str, limit: int) -> Sequence[Row[Any]]:
    """``reference``'s sessions that were superseded (:func:`supersede`), newest first, at most ``limit``."""
    # the reference's sessions that no longer hold its slot (index on reference), then their audit rows (index on
    # session_id): never a scan of the whole audit trail
    rows = conn.execute(select(sessions).where(sessions.c.reference == reference, sessions.c.holds.is_(False))
                        .order_by(sessions.c.id.desc()).limit(limit)).all()
    if not rows:
        return []
    was = set(conn.execute(select(audit.c.session_id).where(
        audit.c.session_id.in_([r.id for r in rows]), audit.c.action == "superseded")).scalars())
    return [r for r in rows if r.id in was]


def approved_elsewhere(conn: Connection, reference: str) -> Row[Any] | None:
    """``reference``'s newest APPROVED session that does not hold its slot (one a start superseded, approved
    late), if any."""
    return conn.execute(select(sessions).where(sessions.c.reference == reference, sessions.c.holds.is_(False),
                                               sessions.c.state == Outcome.APPROVED.value)
                        .order_by(sessions.c.id.desc()).limit(1)).first()


def relink(conn: Connection, session_id: int, url: str | None, now: float, actor: str) -> bool:
    """Store a fresh hosted-page link (sealed; None without a key) for a session whose link works once. False
    when the session is no longer pending (it moved on while the link was fetched: nothing written)."""
    result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state == states.PENDING)
                          .values(url=url, updated_at=now))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="relink", session_id=session_id, note="a fresh link to the session")
    return True


def link_spent(conn: Connection, session_id: int, now: float, actor: str) -> bool:
    """The provider has no page for a pending session now (it waits for no input: submitted, processing): its
    stored link is spent and forgotten (``url`` NULL), ``updated_at`` is now (the grace counts from here). False
    when it is no longer pending (nothing written)."""
    result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state == states.PENDING)
                          .values(url=None, updated_at=now))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="link-spent", session_id=session_id,
           note="the provider has no page for the session now")
    return True


def handed_out(conn: Connection, session_id: int, now: float, actor: str, action: str | None,
               note_text: str | None) -> bool:
    """The stored link of a pending session handed out again (its renewal failed): ``updated_at`` is now, so
    ``Policy.relink_grace`` counts from here; an audit row ``action`` when given. False when it is no longer
    pending (nothing written)."""
    result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state == states.PENDING)
                          .values(updated_at=now))
    if result.rowcount != 1:
        return False
    if action is not None:
        _audit(conn, at=now, actor=actor, action=action, session_id=session_id, note=note_text)
    return True


def insert_claim(conn: Connection, reference: str, claim: str, now: float, actor: str) -> int:
    """Claim ``reference``'s slot with a ``STARTING`` row (IntegrityError when another session holds it)."""
    sid = _new_id(conn.execute(insert(sessions).values(
        reference=reference, holds=True, state=states.STARTING, claim=claim, created_at=now, updated_at=now,
        checks=0)).inserted_primary_key)
    _audit(conn, at=now, actor=actor, action="claim", session_id=sid, to_state=states.STARTING)
    return sid


def fail_claim(conn: Connection, session_id: int, claim: str | None, now: float, actor: str, note: str) -> bool:
    """Turn a ``STARTING`` claim into ``FAILED`` and free the slot (only if it is still that claim)."""
    result = conn.execute(update(sessions).where(
        sessions.c.id == session_id, sessions.c.state == states.STARTING,
        sessions.c.claim == claim if claim is not None else sessions.c.claim.is_(None))
        .values(state=states.FAILED, holds=False, updated_at=now, claim=None))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="fail", session_id=session_id, from_state=states.STARTING,
           to_state=states.FAILED, note=note)
    return True


def fail_stale_claims(conn: Connection, before: float, now: float, actor: str) -> int:
    """Every ``STARTING`` claim made before ``before`` (its process died between the claim and the fill)."""
    rows = conn.execute(select(sessions.c.id, sessions.c.claim).where(
        sessions.c.state == states.STARTING, sessions.c.created_at <= before)).all()
    return sum(fail_claim(conn, r.id, r.claim, now, actor, "stale claim") for r in rows)


def fill_claim(conn: Connection, session_id: int, claim: str, values: Values, now: float, actor: str) -> bool:
    """Record the provider's session on our claim (False when the claim was taken from us as stale)."""
    result = conn.execute(update(sessions).where(
        sessions.c.id == session_id, sessions.c.state == states.STARTING, sessions.c.claim == claim)
        .values(state=states.PENDING, claim=None, updated_at=now, **values))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="start", session_id=session_id, from_state=states.STARTING,
           to_state=states.PENDING, provider=values.get("provider"))
    return True


def session(conn: Connection, session_id: int) -> Row[Any] | None:
    return conn.execute(select(sessions).where(sessions.c.id == session_id)).first()


def session_by_key(conn: Connection, key: str) -> Row[Any] | None:
    return conn.execute(select(sessions).where(sessions.c.session_key == key)).first()


def sessions_of(conn: Connection, reference: str | None = None, state: str | None = None, limit: int = 100,
                offset: int = 0) -> Sequence[Row[Any]]:
    query = select(sessions).order_by(sessions.c.id.desc()).limit(limit).offset(offset)
    if reference is not None:
        query = query.where(sessions.c.reference == reference)
    if state is not None:
        query = query.where(sessions.c.state == state)
    return conn.execute(query).all()


# -- the state machine, applied -----------------------------------------------------------------------
def apply(conn: Connection, session_id: int, seen_state: str, decision: Decision, *, fresh: bool,
          occurred_at: float | None, delivery_id: int | None, personal: str | None, next_check_at: float | None,
          now: float, actor: str) -> tuple[str, str] | None:
    """Apply an observed decision to a session read in ``seen_state``; mark the delivery applied in the same
    transaction. Returns ``(state after, why)``, or None when the session moved meanwhile (read it again)."""
    row = conn.execute(select(sessions.c.state, sessions.c.event_at, sessions.c.provider, sessions.c.purged_at)
                       .where(sessions.c.id == session_id)).first()
    if row is None or row.state != seen_state:
        return None
    older = occurred_at is not None and row.event_at is not None and occurred_at < row.event_at
    verdict = states.step(seen_state, decision, fresh=fresh, older=older)
    event_at = row.event_at if occurred_at is None or (row.event_at or 0) >= occurred_at else occurred_at
    if verdict.to is not None:
        values: dict[str, Any] = {
            "state": verdict.to, "provider_status": decision.provider_status, "reasons": reason_text(decision),
            "updated_at": now, "event_at": event_at,
        }
        if verdict.to in states.DEFINITIVE:
            values.update(decided_at=now, next_check_at=None)
        elif next_check_at is not None:
            values["next_check_at"] = next_check_at
        if personal is not None and row.purged_at is None:
            values["personal"] = personal
        result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state == seen_state)
                              .values(**values))
        if result.rowcount != 1:
            return None
        _audit(conn, at=now, actor=actor, action=verdict.why, session_id=session_id, delivery_id=delivery_id,
               from_state=seen_state, to_state=verdict.to, provider=row.provider,
               provider_status=decision.provider_status, reasons=reason_text(decision),
               note="fetched" if fresh else "webhook")
    else:
        if event_at != row.event_at:
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(event_at=event_at))
        if verdict.why != "same":
            _audit(conn, at=now, actor=actor, action="ignore", session_id=session_id, delivery_id=delivery_id,
                   from_state=seen_state, to_state=decision.outcome.value, provider=row.provider,
                   provider_status=decision.provider_status, reasons=reason_text(decision), note=verdict.why)
    if delivery_id is not None:
        mark_delivery(conn, delivery_id, "applied", now)
    return (verdict.to or seen_state, verdict.why)


def expire(conn: Connection, session_id: int, seen_state: str, now: float, actor: str) -> bool:
    """The ledger's own expiry of a session that reached no outcome before its deadline."""
    result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state == seen_state)
                          .values(state="EXPIRED", reasons="SESSION_EXPIRED", decided_at=now, updated_at=now,
                                  next_check_at=None))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="expire", session_id=session_id, from_state=seen_state,
           to_state="EXPIRED", reasons="SESSION_EXPIRED", note="no outcome before the deadline")
    return True


def note(conn: Connection, session_id: int | None, delivery_id: int | None, now: float, actor: str, action: str,
         text: str | None = None) -> None:
    """An audit row that records something without a state change (a mismatch, a failed fetch)."""
    _audit(conn, at=now, actor=actor, action=action, session_id=session_id, delivery_id=delivery_id, note=text)


# -- the webhook inbox ----------------------------------------------------------------------------------
def insert_delivery(conn: Connection, values: Values) -> int:
    """Store a delivery (IntegrityError when the same (provider, dedupe) is already stored)."""
    return _new_id(conn.execute(insert(deliveries).values(**values)).inserted_primary_key)


def rejected_key(now: float) -> str:
    """The ``dedupe`` of the row counting a provider's rejected deliveries of one UTC day (``rejected:YYYY-MM-DD``;
    a verified delivery's is ``event:…`` or ``body:…``)."""
    return "rejected:" + time.strftime("%Y-%m-%d", time.gmtime(now))


def count_rejected(conn: Connection, provider: str, key: str, now: float, problem: str) -> int:
    """Count one rejected delivery in the row ``(provider, key)``, created at the first (IntegrityError when
    another worker created it meanwhile: run again). Returns the row's id."""
    row = conn.execute(select(deliveries.c.id).where(deliveries.c.provider == provider,
                                                     deliveries.c.dedupe == key)).first()
    if row is None:
        return insert_delivery(conn, {"provider": provider, "dedupe": key, "received_at": now, "state": "rejected",
                                      "problem": problem, "attempts": 1})
    conn.execute(update(deliveries).where(deliveries.c.id == row.id)
                 .values(attempts=deliveries.c.attempts + 1, received_at=now, problem=problem))
    return int(row.id)


def find_delivery(conn: Connection, provider: str, dedupe: str) -> Row[Any] | None:
    return conn.execute(select(deliveries).where(deliveries.c.provider == provider,
                                                 deliveries.c.dedupe == dedupe)).first()


def delivery(conn: Connection, delivery_id: int) -> Row[Any] | None:
    return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()


def mark_delivery(conn: Connection, delivery_id: int, state: str, now: float, problem: str | None = None) -> None:
    values: dict[str, Any] = {"state": state, "lease_until": None}
    if state == "applied":
        values["applied_at"] = now
    if problem is not None:
        values["problem"] = problem[:200]
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.state != "applied")
                 .values(**values))


def attempted(conn: Connection, delivery_id: int, problem: str) -> None:
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id)
                 .values(attempts=deliveries.c.attempts + 1, problem=problem[:200], lease_until=None))


def orphans_for(conn: Connection, key: str) -> list[int]:
    return [r.id for r in conn.execute(select(deliveries.c.id).where(deliveries.c.session_key == key,
                                                                     deliveries.c.state == "orphan"))]


def claim_deliveries(conn: Connection, stored_before: float, now: float, lease: float, limit: int) -> list[int]:
    """Deliveries to repair: stored but never applied (their worker died, or the fetch failed), and orphans whose
    session now exists. Each is leased so that several reconcilers do not repeat one another's work."""
    known = select(sessions.c.id).where(sessions.c.session_key == deliveries.c.session_key).exists()
    free = or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now)
    query = (select(deliveries.c.id)
             .where(or_(and_(deliveries.c.state == "stored", deliveries.c.received_at <= stored_before),
                        and_(deliveries.c.state == "orphan", known)), free)
             .order_by(deliveries.c.id).limit(limit).with_for_update(skip_locked=True))
    out = []
    for (did,) in conn.execute(query).all():
        taken = conn.execute(update(deliveries).where(deliveries.c.id == did, free)
                             .values(lease_until=now + lease))
        if taken.rowcount == 1:
            out.append(int(did))
    return out


# -- the reconciler's leases ------------------------------------------------------------------------------
def claim_due(conn: Connection, now: float, owner: str, lease: float, limit: int) -> list[Row[Any]]:
    """Sessions due for a poll, leased to ``owner`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the conditional
    update decides on SQLite)."""
    free = or_(sessions.c.lease_until.is_(None), sessions.c.lease_until < now)
    query = (select(sessions.c.id).where(sessions.c.state.in_(states.POLLED), sessions.c.next_check_at <= now,
                                         free)
             .order_by(sessions.c.next_check_at).limit(limit).with_for_update(skip_locked=True))
    out = []
    for (sid,) in conn.execute(query).all():
        taken = conn.execute(update(sessions).where(sessions.c.id == sid, free)
                             .values(lease_owner=owner, lease_until=now + lease))
        if taken.rowcount == 1:
            row = session(conn, sid)
            if row is not None:
                out.append(row)
    return out


def reschedule(conn: Connection, session_id: int, owner: str, next_check_at: float | None, now: float) -> None:
    """Count a poll, set the next one (None: no more polling) and drop ``owner``'s lease."""
    row = session(conn, session_id)
    if row is None:
        return
    due = next_check_at if row.state in states.POLLED else None
    conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.lease_owner == owner)
                 .values(checks=sessions.c.checks + 1, next_check_at=due, lease_owner=None, lease_until=None))


def poll_soon(conn: Connection, session_id: int, at: float) -> None:
    """Have the reconciler look at a session at ``at`` (a webhook's fetch failed)."""
    conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.state.in_(states.POLLED))
                 .values(next_check_at=at))


# -- retention -----------------------------------------------------------------------------------------------
def purgeable(conn: Connection, before: float, limit: int) -> Sequence[Row[Any]]:
    """Decided (or failed) sessions last changed before ``before`` whose personal data is still stored."""
    done = [*states.DEFINITIVE, states.FAILED, "ERROR"]
    return conn.execute(select(sessions).where(sessions.c.state.in_(done), sessions.c.updated_at <= before,
                                               sessions.c.purged_at.is_(None))
                        .order_by(sessions.c.id).limit(limit)).all()


def purge_session(conn: Connection, session_id: int, now: float, actor: str, note_text: str) -> bool:
    result = conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.purged_at.is_(None))
                          .values(personal=None, url=None, ref=None, purged_at=now, next_check_at=None))
    if result.rowcount != 1:
        return False
    _audit(conn, at=now, actor=actor, action="purge", session_id=session_id, note=note_text)
    return True


def purge_rejected(conn: Connection, before: float) -> int:
    """Remove the rows counting rejected deliveries whose last rejection came before ``before``."""
    return int(conn.execute(delete(deliveries).where(deliveries.c.state == "rejected",
                                                     deliveries.c.received_at <= before)).rowcount)


def purge_bodies(conn: Connection, before: float) -> int:
    return int(conn.execute(update(deliveries).where(deliveries.c.received_at <= before,
                                                     deliveries.c.body.is_not(None))
                            .values(body=None)).rowcount)


# -- reading ---------------------------------------------------------------------------------------------
def events(conn: Connection, session_id: int | None = None, reference: str | None = None, limit: int = 100,
           after: int = 0) -> Sequence[Row[Any]]:
    query = select(audit).where(audit.c.id > after).order_by(audit.c.id).limit(limit)
    if session_id is not None:
        query = query.where(audit.c.session_id == session_id)
    if reference is not None:
        query = query.where(audit.c.session_id.in_(select(sessions.c.id).where(sessions.c.reference == reference)))
    return conn.execute(query).all()


def last_event_id(conn: Connection) -> int:
    """The newest audit row's id (0 when there is none)."""
    return int(conn.execute(select(func.max(audit.c.id))).scalar() or 0)


def counts(conn: Connection, now: float) -> dict[str, Any]:
    """What ``ekyc ledger status`` shows and what to monitor."""
    by_state = {str(r[0]): int(r[1]) for r in
                conn.execute(select(sessions.c.state, func.count()).group_by(sessions.c.state))}
    # rejected deliveries are counted in a row per provider and day (attempts): report how many came
    many = case((and_(deliveries.c.state == "rejected", deliveries.c.attempts > 0), deliveries.c.attempts), else_=1)
    by_delivery = {str(r[0]): int(r[1]) for r in
                   conn.execute(select(deliveries.c.state, func.sum(many)).group_by(deliveries.c.state))}
    oldest_pending = conn.execute(select(func.min(sessions.c.created_at)).where(
        sessions.c.state.in_(states.POLLED))).scalar()
    oldest_unapplied = conn.execute(select(func.min(deliveries.c.received_at)).where(
        deliveries.c.state == "stored")).scalar()
    overdue = conn.execute(select(func.count()).where(sessions.c.state.in_(states.POLLED),
                                                      sessions.c.next_check_at < now - 3600)).scalar()
    stale_claims = conn.execute(select(func.count()).where(sessions.c.state == states.STARTING,
                                                           sessions.c.created_at < now - 600)).scalar()
    return {
        "sessions": by_state,
        "deliveries": by_delivery,
        "oldest_pending_age_s": None if oldest_pending is None else round(now - oldest_pending, 1),
        "oldest_unapplied_delivery_age_s": None if oldest_unapplied is None else round(now - oldest_unapplied, 1),
        "polls_overdue_1h": int(overdue or 0),
        "claims_older_than_10min": int(stale_claims or 0),
    }


def ids(rows: Iterable[Row[Any]]) -> list[int]:
    return [int(r.id) for r in rows]
