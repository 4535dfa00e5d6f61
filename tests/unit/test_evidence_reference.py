"""settle() against the evidence rule as first written (issue 15 made it one pass): the same outcome, the same
reasons and warnings in the same order, for any status and any mix of sub-checks, reasons and warnings."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.evidence import Evidence, Settled, State, settle
from ekyc.models import Outcome, Reason, ReasonCode

_GENERIC = frozenset({ReasonCode.UNKNOWN, ReasonCode.INCONSISTENT_EVIDENCE})


def _said(reason: Reason) -> tuple[ReasonCode, str | None]:
    return (reason.code, reason.provider_code if reason.code in _GENERIC else None)


def reference_settle(status: Outcome, status_reasons: Sequence[Reason], evidence: Sequence[Evidence],
                     warnings: Sequence[Reason] = (), fallback: Reason | None = None) -> Settled:
    """The rule as it stood at 72fa901 (three list passes, then the warnings filtered against the reasons)."""
    items, extra_warnings = list(evidence), list(warnings)
    info = [e.as_reason() for e in items if e.state is State.INFO and e.reason is not None]
    doubts = [e for e in items if e.state not in (State.PASSED, State.INFO)]
    extra = [*info, *extra_warnings]
    if status is Outcome.APPROVED:
        if not doubts and not status_reasons:
            settled = Settled(Outcome.APPROVED, (), tuple(extra))
        else:
            settled = Settled(Outcome.REVIEW, tuple([*status_reasons, *(e.as_reason() for e in doubts)]),
                              tuple(extra))
    else:
        failed = [e.as_reason() for e in doubts if e.state is State.FAILED]
        other = [e.as_reason() for e in doubts if e.state is not State.FAILED]
        if status in (Outcome.DECLINED, Outcome.REVIEW):
            reasons = [*status_reasons, *failed]
            if not reasons:
                reasons = [fallback or Reason(code=ReasonCode.UNKNOWN, retryable=False, message="no reason given")]
            settled = Settled(status, tuple(reasons), tuple([*other, *extra]))
        else:
            settled = Settled(status, tuple(status_reasons), tuple([*failed, *other, *extra]))
    said = {_said(r) for r in settled.reasons}
    kept = tuple(w for w in settled.warnings if _said(w) not in said)
    return Settled(settled.outcome, settled.reasons, kept)


reasons = st.builds(Reason, code=st.sampled_from([ReasonCode.UNKNOWN, ReasonCode.INCONSISTENT_EVIDENCE,
                                                  ReasonCode.FACE_MISMATCH, ReasonCode.SPOOF_DETECTED]),
                    retryable=st.booleans(), provider_code=st.sampled_from([None, "a", "b"]))
evidence = st.builds(Evidence, name=st.sampled_from(["a", "b", "liveness_checks[0].status", "x" * 200]),
                     state=st.sampled_from(list(State)), reason=st.none() | reasons)


@settings(max_examples=400)
@given(st.sampled_from(list(Outcome)), st.lists(reasons, max_size=3), st.lists(evidence, max_size=8),
       st.lists(reasons, max_size=4), st.none() | reasons)
def test_settle_decides_as_the_reference(status: Outcome, status_reasons: list[Reason], found: list[Evidence],
                                         warnings: list[Reason], fallback: Reason | None) -> None:
    expected = reference_settle(status, status_reasons, found, warnings, fallback)
    assert settle(status, status_reasons, found, warnings, fallback) == expected
    assert settle(status, status_reasons, iter(found), iter(warnings), fallback) == expected  # any iterable
