"""The one evidence rule: how a provider's status and the sub-checks its payload reports become an outcome.

Every adapter reads its payload into a status outcome (from its code table) and a list of
:class:`Evidence` — one item per sub-check the payload reports (a liveness check, a face comparison, a
document check, a warning, a risk flag) in one of four states. :func:`settle` then applies one rule for
every provider:

- ``APPROVED`` only when the status is the provider's documented success **and** every reported sub-check
  is in a documented passing state (:attr:`State.PASSED`) or is documented as not deciding
  (:attr:`State.INFO`).
- A documented success next to a failing, unfinished, unknown or contradictory sub-check becomes
  ``REVIEW`` — never ``DECLINED``: the library does not overturn a vendor's success by its own inference,
  and it does not approve on doubtful evidence either. Failing sub-checks give their own reasons;
  unfinished, unknown or contradictory ones give :attr:`~ekyc.models.ReasonCode.INCONSISTENT_EVIDENCE`
  naming the sub-check.
- ``DECLINED`` and ``REVIEW`` keep their outcome; the status's specific reasons and the failing sub-checks
  are the reasons (a generic fallback only when nothing else explains it); the rest become warnings.
- ``PENDING``, ``EXPIRED``, ``ABANDONED`` and ``ERROR`` keep their outcome and the status's reasons; every
  doubtful sub-check is only a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from operator import itemgetter
from typing import NamedTuple

from .models import Outcome, Reason, ReasonCode


class State(str, Enum):
    """The state of one reported sub-check, as the vendor documents it."""

    #: a documented passing state
    PASSED = "passed"
    #: a documented failing state (decline or review)
    FAILED = "failed"
    #: not finished, not started, expired, or no verdict yet
    UNFINISHED = "unfinished"
    #: a value the vendor does not document, or two fields of the payload that contradict each other
    UNKNOWN = "unknown"
    #: documented as informational: never decides the outcome (kept as a warning)
    INFO = "info"


class Evidence(NamedTuple):
    """One sub-check a payload reports.

    ``name`` says where it is (``"liveness_checks[0].status"``, ``"ExtFaceInfo.faceAttack"``) and becomes the
    reason's ``provider_code`` when the library has to explain a doubt; ``reason`` is the documented reason of
    a failing (or informational) sub-check, when the code table gives one.

    Immutable, a named tuple rather than a frozen dataclass: a result builds one per sub-check (ten to thirty),
    and a frozen dataclass sets each field through ``object.__setattr__`` (issue 15).
    """

    name: str
    state: State
    reason: Reason | None = None

    def as_reason(self) -> Reason:
        """The reason this sub-check gives (a documented one, else ``INCONSISTENT_EVIDENCE`` naming it)."""
        if self.reason is not None:
            return self.reason
        return Reason(code=ReasonCode.INCONSISTENT_EVIDENCE, retryable=False, provider_code=self.name[:128],
                      message=f"sub-check {_WHAT[self.state]}")


#: how :meth:`Evidence.as_reason` words a sub-check's state when no documented reason explains it
_WHAT = {
    State.FAILED: "did not pass",
    State.UNFINISHED: "was not finished",
    State.UNKNOWN: "is in an undocumented or contradictory state",
    State.PASSED: "passed",
    State.INFO: "is informational",
}


#: an :class:`Evidence`'s state (its second field), read in C
_STATE = itemgetter(1)


#: the passing sub-checks remembered by name (:func:`passed`). Names are places in a payload, and some name a
#: sender's keys (Alibaba's ``ExtSourceInfo.<key>``): only names of at most :data:`_MAX_NAME` characters are kept,
#: at most :data:`_MAX_PASSED` of them, and a full memory is emptied (a flood of new names cannot keep the usual
#: ones out for good)
_PASSED: dict[str, Evidence] = {}
_MAX_PASSED = 512
_MAX_NAME = 128


def passed(name: str) -> Evidence:
    """``Evidence(name, State.PASSED)``: the one remembered for ``name``, for every adapter.

    A result reports five to thirty sub-checks, most of them passing, under the same names call after call; an
    :class:`Evidence` is immutable, so one per name serves every result instead of a named tuple built per
    sub-check per call (issue 15). Thread-safe by construction: the memory is a plain ``dict`` used only through
    single operations (``get``, one item set, ``clear``), each atomic, and what it maps a name to is the value
    any caller would build for it — a race at worst builds one twice or forgets one.
    """
    found = _PASSED.get(name)
    if found is None:
        found = Evidence(name, State.PASSED)
        if len(name) <= _MAX_NAME:
            if len(_PASSED) >= _MAX_PASSED:
                _PASSED.clear()
            _PASSED[name] = found
    return found


class Settled(NamedTuple):
    """The outcome, reasons and warnings :func:`settle` arrived at (immutable; a named tuple, as :class:`Evidence`)."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]


def settle(status: Outcome, status_reasons: Sequence[Reason], evidence: Iterable[Evidence],
           warnings: Iterable[Reason] = (), fallback: Reason | None = None) -> Settled:
    """Apply the one evidence rule (module docstring) to a status outcome and the reported sub-checks.

    ``status_reasons`` are the specific reasons the status itself gives (a result code's meaning);
    ``fallback`` explains a decline or review only when nothing else does (a generic "Declined");
    ``warnings`` are signals the adapter already knows do not decide.

    A result reports ten to thirty sub-checks, most often all passed: that case is one C-level pass over their
    states (``list.count``: a state given as the plain string ``"passed"`` counts too, as it reads as
    :attr:`State.PASSED`), and a documented success with no reason and no warning next to it is one shared
    :class:`Settled`; otherwise one pass over the evidence (issue 15).
    """
    items = evidence if type(evidence) is list or type(evidence) is tuple else list(evidence)
    states = list(map(_STATE, items))
    if states.count(_PASSED_STATE) == len(states):  # every sub-check passed (none at all included)
        if status is _APPROVED_OUTCOME and not status_reasons and not warnings:
            return _APPROVED  # the usual result: a documented success with nothing to say
        items = ()
    doubts: list[Evidence] = []  # every sub-check that is neither passed nor informational, in order
    notes: list[Reason] = []  # the documented reasons of informational sub-checks, then the adapter's warnings
    for item in items:
        state = item.state
        if state is State.PASSED:
            continue
        if type(state) is not State:  # a state's value as a plain string: an Evidence (a NamedTuple) checks nothing
            state = State(state)  # ValueError for a string that names no state
            item = item._replace(state=state)
            if state is State.PASSED:
                continue
        if state is not State.INFO:
            doubts.append(item)
        elif item.reason is not None:
            notes.append(item.reason)
    notes.extend(warnings)
    settled = _settle(status, status_reasons, doubts, notes, fallback)
    if not settled.reasons or not settled.warnings:
        return settled
    said = {_said(r) for r in settled.reasons}  # a warning never repeats a reason
    kept = tuple(w for w in settled.warnings if _said(w) not in said)
    return settled if len(kept) == len(settled.warnings) else Settled(settled.outcome, settled.reasons, kept)


#: :attr:`State.PASSED` and :attr:`Outcome.APPROVED` read by every :func:`settle` (module constants: on Python 3.11 an
#: enum member read off its class goes through the enum metaclass's ``__getattr__`` hook, about 70 ns a read)
_PASSED_STATE = State.PASSED
_APPROVED_OUTCOME = Outcome.APPROVED
#: what a documented success with every sub-check passed and no reason or warning settles to (immutable: one serves
#: every result)
_APPROVED = Settled(Outcome.APPROVED, (), ())

#: codes that say only "something is wrong": which thing is in ``provider_code``, so each one is its own signal
_GENERIC = frozenset({ReasonCode.UNKNOWN, ReasonCode.INCONSISTENT_EVIDENCE})


def _said(reason: Reason) -> tuple[ReasonCode, str | None]:
    """What a reason tells the app: its code, and for a generic code also the sub-check it names. A warning that
    says what a reason already says (Tencent's final code 2016 FACE_MISMATCH and the last attempt's Similarity
    below 70, also FACE_MISMATCH) is the same news twice, wherever in the payload each was read."""
    return (reason.code, reason.provider_code if reason.code in _GENERIC else None)


def _settle(status: Outcome, status_reasons: Sequence[Reason], doubts: list[Evidence], notes: list[Reason],
            fallback: Reason | None) -> Settled:
    """The rule itself, given the doubtful sub-checks (in order) and the notes (informational reasons, warnings)."""
    if status is Outcome.APPROVED:
        if not doubts and not status_reasons:
            return Settled(Outcome.APPROVED, (), tuple(notes))
        return Settled(Outcome.REVIEW, (*status_reasons, *(e.as_reason() for e in doubts)), tuple(notes))
    failed = [e.as_reason() for e in doubts if e.state is State.FAILED]
    other = [e.as_reason() for e in doubts if e.state is not State.FAILED]
    if status in (Outcome.DECLINED, Outcome.REVIEW):
        reasons = [*status_reasons, *failed]
        if not reasons:
            reasons = [fallback or Reason(code=ReasonCode.UNKNOWN, retryable=False, message="no reason given")]
        return Settled(status, tuple(reasons), (*other, *notes))
    # PENDING, EXPIRED, ABANDONED, ERROR: the status decides; sub-checks are only context
    return Settled(status, tuple(status_reasons), (*failed, *other, *notes))


__all__ = ["Evidence", "Settled", "State", "passed", "settle"]
