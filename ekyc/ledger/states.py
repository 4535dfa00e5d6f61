"""The ledger's state machine: a session's state only moves forward.

States are the :class:`~ekyc.Outcome` values plus two of the ledger's own: ``STARTING`` (a slot claimed, the
provider's create not yet recorded) and ``FAILED`` (a claim whose create failed or was abandoned; never a
provider session the user could have opened).

Ranks: ``PENDING`` < ``ERROR`` (the provider failed; the outcome is unknown) < ``REVIEW`` < the definitive
outcomes ``APPROVED``, ``DECLINED``, ``EXPIRED``, ``ABANDONED``. A state moves only to a higher rank; a definitive
outcome never changes, with one exception: an ``APPROVED`` session becomes ``EXPIRED`` when a **fresh fetch**
(``get_result``, never a webhook's own payload) reports the provider's documented lapse — a decision whose
reasons carry :attr:`~ekyc.ReasonCode.APPROVAL_EXPIRED` (Didit ``Kyc Expired``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Decision, Outcome, ReasonCode

STARTING = "STARTING"
FAILED = "FAILED"
PENDING = Outcome.PENDING.value
DEFINITIVE = frozenset({Outcome.APPROVED.value, Outcome.DECLINED.value, Outcome.EXPIRED.value,
                        Outcome.ABANDONED.value})
#: states the reconciler keeps polling (with backoff)
POLLED = frozenset({PENDING, Outcome.ERROR.value, Outcome.REVIEW.value})
_RANK = {PENDING: 0, Outcome.ERROR.value: 1, Outcome.REVIEW.value: 2, **dict.fromkeys(DEFINITIVE, 3)}
ALL_STATES = (STARTING, FAILED, *(o.value for o in Outcome))


def is_lapse(decision: Decision) -> bool:
    """Whether ``decision`` reports an approval that lapsed under the provider's own documented policy."""
    return decision.outcome is Outcome.EXPIRED and ReasonCode.APPROVAL_EXPIRED in decision.reason_codes


@dataclass(frozen=True)
class Step:
    """The verdict of the state machine on one observed decision."""

    to: str | None
    """the new state, or None when the state stays"""
    why: str
    """a short code for the audit trail: ``advance``, ``lapse``, ``same``, ``older``, ``final``, ``lower``,
    ``lapse-unconfirmed``"""


def step(current: str, decision: Decision, *, fresh: bool, older: bool = False) -> Step:
    """Where a session in ``current`` goes when ``decision`` is observed.

    ``fresh`` is True for a decision just fetched from the provider (``get_result``); False for one carried by
    a webhook. ``older`` is True when the event is older than the last one applied (by the provider's event
    time): an older event never moves the state.
    """
    new = decision.outcome.value
    if current in (STARTING, FAILED):
        raise ValueError(f"no decision applies to a session in {current}")
    if new == current:
        return Step(None, "same")
    if current == Outcome.APPROVED.value and is_lapse(decision):
        return Step(new, "lapse") if fresh else Step(None, "lapse-unconfirmed")
    if current in DEFINITIVE:
        return Step(None, "final")
    if older:
        return Step(None, "older")
    if _RANK[new] <= _RANK[current]:
        return Step(None, "lower")
    return Step(new, "advance")


def is_downgrade(before: str, after: str, why: str) -> bool:
    """Whether a recorded change ``before`` → ``after`` went backwards (the chaos test counts these: 0)."""
    if before in (STARTING, FAILED) or after in (STARTING, FAILED):
        return False
    if why == "lapse" and before == Outcome.APPROVED.value and after == Outcome.EXPIRED.value:
        return False
    return before in DEFINITIVE or _RANK[after] <= _RANK[before]
