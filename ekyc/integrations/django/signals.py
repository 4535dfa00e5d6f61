"""The app's signal: ``decision_received``, sent once for each change of a session's state that this process
applied — from a webhook, the user's return, ``manage.py ekyc_reconcile`` or an admin action.

Receivers get ``sender`` (the :class:`~ekyc.integrations.django.models.Session` model), ``reference`` (the app's
reference, by default the user's primary key as text), ``session`` (the :class:`ekyc.ledger.LedgerSession` as
the ledger now holds it: ``state``, ``outcome``, ``approved``, ``reasons``, ``provider``; its ``ref``/``url`` are
secrets — never log them) and ``source`` (``"webhook"``, ``"return"``, ``"reconcile"`` or ``"admin"``)::

    from django.dispatch import receiver
    from ekyc.integrations.django.signals import decision_received

    @receiver(decision_received)
    def on_decision(sender, reference, session, source, **kwargs):
        if session.approved:
            User.objects.filter(pk=reference).update(verified=True)

Delivery is at least once: two processes observing the same change at the same moment may both send it, so
make receivers idempotent (set a flag from ``session.state``, never toggle). A receiver that raises does not
undo the ledger's change (the ledger committed first); the exception is logged and the request goes on. The
ledger is the record: ``Ledger.status(reference)`` is always the current verdict.
"""

from __future__ import annotations

from django.dispatch import Signal

decision_received = Signal()

__all__ = ["decision_received"]
