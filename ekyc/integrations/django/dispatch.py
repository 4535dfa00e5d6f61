"""``decision_received``, sent by the neutral core's one rule (:func:`ekyc.integrations.decisions`): once per
state change, by the call that made it.

The ledger writes one audit row per state change (``advance``, ``lapse``, ``expire``) with its actor
(``webhook@host:pid``, ``refresh@…``, ``reconcile@…``, ``repair@…``) and, for a webhook, its delivery id; so a
change is attributed exactly to the call that made it, whichever process raced it. The rows are read through
the ledger's own connection, never Django's: a view in a transaction (``ATOMIC_REQUESTS``) would not see on
SQLite what the ledger committed meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ...ledger import Ledger, LedgerSession
from .. import decisions
from .models import Session
from .signals import decision_received

log = logging.getLogger("ekyc.integrations.django")


def cursor(ledger: Ledger) -> int:
    """The newest audit row's id now (:meth:`Ledger.last_event_id`), to pass as ``after`` to :func:`announce`.
    Raises :class:`~ekyc.ledger.LedgerError` (503) when the database fails."""
    return ledger.last_event_id()


def announce(ledger: Ledger, source: str, *, after: int, session_id: int | None = None,
             delivery_id: int | None = None, actors: Iterable[str] = ()) -> list[LedgerSession]:
    """Send ``decision_received`` for each session :func:`ekyc.integrations.decisions` finds after ``after``
    (of ``session_id`` / ``delivery_id`` / by an actor in ``actors`` when given); returns the sessions announced.
    A receiver that raises is logged by its name and the exception's type (never its text, which may hold
    personal data) and changes nothing else. Raises :class:`~ekyc.ledger.LedgerError` (503) when the database
    fails."""
    announced = decisions(ledger, after, session_id=session_id, delivery_id=delivery_id, actors=actors)
    for session in announced:
        for receiver, result in decision_received.send_robust(Session, reference=session.reference,
                                                               session=session, source=source):
            if isinstance(result, Exception):
                log.error("a decision_received receiver (%s) raised %s", getattr(receiver, "__qualname__", "?"),
                          type(result).__name__)
    return announced
