"""What the ledger is configured with and what it returns: :class:`Policy`, :class:`LedgerSession`,
:class:`Receipt`, :class:`ReconcileReport`, :class:`PurgeReport`, and its errors (:class:`LedgerError`,
:class:`LedgerBusy`, :class:`NoSession`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import EkycError
from ..models import Outcome, SessionRef

#: after these outcomes a reference may start a new session (the default rule; :attr:`Policy.restart_after`)
RESTART_AFTER = frozenset({Outcome.DECLINED, Outcome.EXPIRED, Outcome.ABANDONED, Outcome.ERROR})
#: seconds between polls of a pending session: the n-th poll waits ``SCHEDULE[n]`` (the last one repeats)
SCHEDULE = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0, 24 * 3600.0)

#: seconds after a pending session's link was handed out during which ``start`` hands it back as it is
#: (:attr:`Policy.relink_grace`): longer than a double click, a re-posted form or a client's retry take, shorter
#: than opening a provider's page, looking at it and coming back
RELINK_GRACE = 15.0


class LedgerError(EkycError):
    """The ledger could not do what was asked (``http_status`` is what a webhook endpoint should answer)."""


class LedgerBusy(LedgerError):
    """Another process is starting this reference's session right now; try again shortly."""


class NoSession(LedgerError):
    """The reference has no provider session in the ledger to act on (never started, only a failed or
    in-progress claim, or purged); ``http_status`` is 404."""


@dataclass(frozen=True)
class Policy:
    """The ledger's rules. Every duration is in seconds.

    ``restart_after``: outcomes after which ``start`` may open a new session for the reference (by default a
    final non-approved outcome or expiry; ``REVIEW`` and ``APPROVED`` keep the slot). ``schedule``: the backoff
    of the reconciler's polls (bounded: the last step repeats). ``max_pending``: how long a session without a
    provider expiry may stay pending before the ledger marks it ``EXPIRED``; ``expiry_grace``: how long after the
    provider's own expiry. ``claim_timeout``: a ``STARTING`` claim older than this was left by a process that
    died between its claim and recording the provider's session. ``lease``: how long a reconciler holds a row it
    polls. ``repair_after``: a delivery stored but not applied for this long is applied by ``reconcile``.
    ``store_personal_data`` / ``store_payloads``: keep the decision's identity and raw payload, and the
    webhook bodies, sealed with the key (never without one).

    ``relink_grace``: for this long after a pending session's link was handed out (its create, or its last
    renewal), ``start`` for the same reference hands that session back as it is, even when the provider's link
    works once (:class:`~ekyc.provider.LinkReuse`). Why: a double click, a reload that re-posts the form, or a
    retried request reach ``start`` again a moment after the first one recorded its session; past the grace a
    start cannot tell such a repeat from a user who opened the link and came back, and would supersede the
    session (a single-use link nothing renews: a second vendor session) or fetch a fresh link (one more vendor
    call) for every repeat. The cost: a user who opened a single-use link and comes back within the grace gets
    the used link again (a later start renews or replaces it). ``0`` turns the grace off.

    Every duration is a finite number ``>= 0`` (the schedule's steps ``> 0``; a list is kept as a tuple),
    ``restart_after`` a set of Outcomes or their values (never ``PENDING``), the two flags booleans; anything
    else raises :class:`LedgerError` naming the field when the policy is built.
    """

    restart_after: frozenset[Outcome] = RESTART_AFTER
    schedule: tuple[float, ...] = SCHEDULE
    max_pending: float = 30 * 86400.0
    expiry_grace: float = 86400.0
    claim_timeout: float = 120.0
    lease: float = 300.0
    repair_after: float = 60.0
    relink_grace: float = RELINK_GRACE
    store_personal_data: bool = True
    store_payloads: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "restart_after", _outcomes(self.restart_after))
        object.__setattr__(self, "schedule", _schedule(self.schedule))
        for name in ("max_pending", "expiry_grace", "claim_timeout", "lease", "repair_after", "relink_grace"):
            value = getattr(self, name)
            if not _number(value) or not 0 <= value < math.inf:
                raise LedgerError(f"{name} must be a finite number of seconds, not negative", field=name)
        for name in ("store_personal_data", "store_payloads"):
            if not isinstance(getattr(self, name), bool):
                raise LedgerError(f"{name} must be True or False", field=name)

    def delay(self, polls: int) -> float:
        """Seconds until the next poll of a session polled ``polls`` times."""
        return self.schedule[min(polls, len(self.schedule) - 1)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value))


def _schedule(value: Any) -> tuple[float, ...]:
    """:attr:`Policy.schedule` as a tuple of finite positive seconds, or :class:`LedgerError` naming it."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or not value or not all(
            _number(s) and 0 < s < math.inf for s in value):
        raise LedgerError("the poll schedule needs at least one delay, each a finite positive number of seconds",
                          field="schedule")
    return tuple(float(s) for s in value)


def _outcomes(value: Any) -> frozenset[Outcome]:
    """:attr:`Policy.restart_after` as Outcomes (their values are read too), or :class:`LedgerError` naming it.
    ``PENDING`` is refused: every start would then open another session beside the unfinished one."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (set, frozenset, tuple, list)):
        raise LedgerError("restart_after must be a set of Outcomes", field="restart_after")
    out = set()
    for item in value:
        try:
            outcome = Outcome(item)
        except ValueError:
            raise LedgerError("restart_after must be a set of Outcomes", field="restart_after") from None
        if outcome is Outcome.PENDING:
            raise LedgerError("restart_after cannot hold PENDING (a start would open a second session beside the "
                              "unfinished one)", field="restart_after")
        out.add(outcome)
    return frozenset(out)


@dataclass(frozen=True)
class LedgerSession:
    """One session as the ledger holds it. ``state`` is an :class:`~ekyc.Outcome` value, or ``STARTING`` /
    ``FAILED`` (the ledger's own, see :mod:`ekyc.ledger.states`). ``ref`` and ``url`` are None once purged (and
    ``url`` is never kept without a key); ``reused`` says ``start`` returned the reference's existing session."""

    id: int
    reference: str
    state: str
    provider: str | None
    provider_status: str | None
    reasons: tuple[str, ...]
    created_at: float
    updated_at: float
    decided_at: float | None
    ref: SessionRef | None = field(default=None, repr=False)
    url: str | None = field(default=None, repr=False)
    reused: bool = False

    @property
    def outcome(self) -> Outcome | None:
        """The state as an :class:`~ekyc.Outcome` (None for ``STARTING`` and ``FAILED``)."""
        try:
            return Outcome(self.state)
        except ValueError:
            return None

    @property
    def approved(self) -> bool:
        return self.state == Outcome.APPROVED.value

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view with nothing secret or personal (no ref, no URL)."""
        return {"id": self.id, "reference": self.reference, "state": self.state, "provider": self.provider,
                "provider_status": self.provider_status, "reasons": list(self.reasons),
                "created_at": self.created_at, "updated_at": self.updated_at, "decided_at": self.decided_at,
                "reused": self.reused}


@dataclass(frozen=True)
class Receipt:
    """What ``receive`` did with a delivery, and the HTTP status to answer the provider with.

    ``state``: ``applied`` (the session is up to date), ``stored`` (kept; its fetch failed and the reconciler
    will apply it), ``orphan`` (about a session the ledger does not know yet; applied once it does),
    ``mismatch`` (the provider names another reference than the session's: not applied), ``rejected``
    (verification failed; nothing of the body kept: counted in its provider's row of the UTC day, whose id is
    ``delivery_id``). ``http_status``: 200 for every stored delivery (the vendor
    must not retry what is kept), the provider's documented no-retry answer for a rejected one
    (:data:`ekyc.ledger.ledger.REJECT_STATUS`).
    """

    http_status: int
    state: str
    delivery_id: int
    verified: bool
    duplicate: bool = False
    session_id: int | None = None
    session_state: str | None = None


@dataclass
class ReconcileReport:
    """What one ``reconcile`` run did."""

    polled: int = 0
    changed: int = 0
    expired: int = 0
    failed: int = 0
    repaired: int = 0
    stale_claims: int = 0

    def summary(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class PurgeReport:
    """What one ``purge`` run did."""

    sessions: int = 0
    bodies: int = 0
    provider_deleted: int = 0
    provider_delete_unavailable: int = 0
    provider_delete_refused: int = 0
    provider_delete_failed: int = 0
    #: rows counting rejected deliveries (one per provider and UTC day) removed
    rejected: int = 0

    def summary(self) -> dict[str, int]:
        return dict(self.__dict__)
