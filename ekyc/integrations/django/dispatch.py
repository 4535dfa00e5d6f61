"""Which state changes a call applied, read from the ledger's audit trail, and ``decision_received`` for each.

The ledger writes one audit row per state change (``advance``, ``lapse``, ``expire``) with its actor
(``webhook@host:pid``, ``refresh@…``, ``reconcile@…``, ``repair@…``) and, for a webhook, its delivery id; so a
change is attributed exactly to the call that made it, whichever process raced it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError
from django.db.models import Max

from ...ledger import Ledger, LedgerError, LedgerSession
from .. import decided
from .models import AuditEvent, Session
from .signals import decision_received

log = logging.getLogger("ekyc.integrations.django")
#: audit actions that change a session's state
CHANGES = ("advance", "lapse", "expire")


@contextmanager
def _database() -> Iterator[None]:
    """Django's own queries failing (the database went away) as the ledger's do: :class:`LedgerError` with
    ``http_status=503`` naming the error's type only — so a view answers 503 (a provider retries its webhook),
    never an unhandled 500."""
    try:
        yield
    except DatabaseError as exc:
        raise LedgerError(f"the ledger database failed ({type(exc).__name__})", http_status=503) from None


def cursor() -> int:
    """The newest audit row's id now (0 when there is none): pass it as ``after`` to :func:`announce`. Raises
    :class:`LedgerError` (503) when the database fails."""
    with _database():
        newest = AuditEvent.objects.aggregate(newest=Max("id"))["newest"]
    return int(newest or 0)


def announce(ledger: Ledger, source: str, *, after: int = 0, session_id: int | None = None,
             delivery_id: int | None = None, actors: Iterable[str] = ()) -> list[LedgerSession]:
    """Send ``decision_received`` once per session whose state a matching audit row changed (rows after
    ``after``, of ``session_id`` / ``delivery_id`` / an actor starting with one of ``actors`` when given) and
    that now holds an outcome the app acts on (:func:`ekyc.integrations.decided`: a definitive outcome or
    ``REVIEW``); returns the sessions announced. Raises :class:`LedgerError` (503) when the database fails."""
    rows = AuditEvent.objects.filter(id__gt=after, action__in=CHANGES, session_id__isnull=False)
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    if delivery_id is not None:
        rows = rows.filter(delivery_id=delivery_id)
    prefixes = tuple(f"{a}@" for a in actors)
    with _database():
        ids = dict.fromkeys(r.session_id for r in rows.order_by("id")
                            if not prefixes or r.actor.startswith(prefixes))
    announced: list[LedgerSession] = []
    for sid in ids:
        if sid is None:
            continue
        session = ledger.session(sid)
        if session is None or not decided(session):
            continue
        for receiver, result in decision_received.send_robust(Session, reference=session.reference,
                                                               session=session, source=source):
            if isinstance(result, Exception):
                log.error("a decision_received receiver (%s) raised %s", getattr(receiver, "__qualname__", "?"),
                          type(result).__name__)
        announced.append(session)
    return announced
