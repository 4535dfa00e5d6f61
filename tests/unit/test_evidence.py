"""The one evidence rule (ekyc.evidence.settle), independent of any provider."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekyc.evidence import Evidence, State, settle
from ekyc.models import Outcome, Reason, ReasonCode

SPOOF = Reason(code=ReasonCode.SPOOF_DETECTED, retryable=False, provider_code="LIVENESS_FACE_ATTACK")
MISMATCH = Reason(code=ReasonCode.FACE_MISMATCH, retryable=True, provider_code="2016")
NOTE = Reason(code=ReasonCode.CAPTURE_QUALITY, retryable=True, provider_code="LOW_LIGHT")


def test_success_with_every_sub_check_passed_approves() -> None:
    s = settle(Outcome.APPROVED, [], [Evidence("liveness", State.PASSED), Evidence("note", State.INFO, NOTE)])
    assert s.outcome is Outcome.APPROVED and s.reasons == () and s.warnings == (NOTE,)


@pytest.mark.parametrize("state", [State.FAILED, State.UNFINISHED, State.UNKNOWN])
def test_success_with_a_doubtful_sub_check_is_review_never_declined(state: State) -> None:
    s = settle(Outcome.APPROVED, [], [Evidence("liveness", State.PASSED), Evidence("liveness_checks[0].status", state)])
    assert s.outcome is Outcome.REVIEW
    assert [r.code for r in s.reasons] == [ReasonCode.INCONSISTENT_EVIDENCE]
    assert s.reasons[0].provider_code == "liveness_checks[0].status"


def test_a_failed_sub_check_with_a_documented_reason_gives_that_reason() -> None:
    s = settle(Outcome.APPROVED, [], [Evidence("warnings[0]", State.FAILED, SPOOF)])
    assert s.outcome is Outcome.REVIEW and s.reasons == (SPOOF,)


def test_a_decline_keeps_its_outcome_with_its_own_and_the_failed_reasons() -> None:
    s = settle(Outcome.DECLINED, [MISMATCH], [Evidence("w", State.FAILED, SPOOF), Evidence("x", State.UNFINISHED)])
    assert s.outcome is Outcome.DECLINED
    assert s.reasons == (MISMATCH, SPOOF)
    assert [r.code for r in s.warnings] == [ReasonCode.INCONSISTENT_EVIDENCE]


def test_a_generic_fallback_explains_a_decline_only_when_nothing_else_does() -> None:
    generic = Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code="Declined")
    assert settle(Outcome.DECLINED, [], [], fallback=generic).reasons == (generic,)
    assert settle(Outcome.DECLINED, [], [Evidence("w", State.FAILED, SPOOF)], fallback=generic).reasons == (SPOOF,)
    assert settle(Outcome.REVIEW, [], []).reasons[0].code is ReasonCode.UNKNOWN


@pytest.mark.parametrize("status", [Outcome.PENDING, Outcome.EXPIRED, Outcome.ABANDONED, Outcome.ERROR])
def test_other_statuses_decide_and_sub_checks_are_only_context(status: Outcome) -> None:
    s = settle(status, [], [Evidence("w", State.FAILED, SPOOF), Evidence("x", State.UNKNOWN)])
    assert s.outcome is status and s.reasons == ()
    assert SPOOF in s.warnings


def test_a_warning_never_repeats_a_reason() -> None:
    s = settle(Outcome.DECLINED, [MISMATCH], [], warnings=[MISMATCH, NOTE])
    assert s.reasons == (MISMATCH,) and s.warnings == (NOTE,)


def test_a_warning_never_repeats_a_reason_read_elsewhere_in_the_payload() -> None:
    # newcomer papercut: Tencent's face_mismatch listed FACE_MISMATCH as the reason (final code 2016) and again
    # as a warning (the last attempt's Similarity below 70): the same news, from another field
    similarity = Reason(code=ReasonCode.FACE_MISMATCH, retryable=True, provider_code="Detail[0].Similarity")
    s = settle(Outcome.DECLINED, [MISMATCH], [Evidence("Detail[0].Similarity", State.FAILED, similarity)],
               warnings=[similarity, NOTE])
    assert s.reasons == (MISMATCH, similarity) and s.warnings == (NOTE,)
    s = settle(Outcome.ABANDONED, [MISMATCH], [], warnings=[similarity, NOTE])
    assert s.reasons == (MISMATCH,) and s.warnings == (NOTE,)


def test_generic_reasons_are_told_apart_by_the_sub_check_they_name() -> None:
    # UNKNOWN and INCONSISTENT_EVIDENCE say only "something is wrong": each sub-check they name is its own signal
    s = settle(Outcome.DECLINED, [], [Evidence("a", State.FAILED), Evidence("b", State.UNKNOWN),
                                      Evidence("a", State.UNKNOWN)])
    assert [r.provider_code for r in s.reasons] == ["a"] and [w.provider_code for w in s.warnings] == ["b"]


states = st.sampled_from(list(State))


@given(st.sampled_from(list(Outcome)), st.lists(states, max_size=6))
def test_only_a_success_with_nothing_doubtful_approves(status: Outcome, found: list[State]) -> None:
    s = settle(status, [], [Evidence(f"e{i}", state) for i, state in enumerate(found)])
    clean = all(state in (State.PASSED, State.INFO) for state in found)
    assert (s.outcome is Outcome.APPROVED) == (status is Outcome.APPROVED and clean)
    if status is not Outcome.APPROVED:
        assert s.outcome is status  # never overturned either way
    elif not clean:
        assert s.outcome is Outcome.REVIEW and s.reasons


def test_a_state_given_as_its_plain_value_reads_as_that_state() -> None:
    """An ``Evidence`` is a NamedTuple: nothing stops an adapter from passing ``"passed"`` for ``State.PASSED``.
    The rule reads a state's value as the state (red team: the one-pass rule compared by identity and sent a
    plain "passed" to REVIEW; the rule before it dropped a plain "info" sub-check's reason)."""
    note = Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code="n", message="m")
    plain_passed = Evidence("x", "passed")  # type: ignore[arg-type]
    plain_info = Evidence("x", "info", note)  # type: ignore[arg-type]
    assert settle(Outcome.APPROVED, [], [plain_passed]) == settle(Outcome.APPROVED, [], [Evidence("x", State.PASSED)])
    assert settle(Outcome.APPROVED, [], [plain_info]) == settle(Outcome.APPROVED, [], [Evidence("x", State.INFO, note)])
    for value in ("failed", "unfinished", "unknown"):
        plain = settle(Outcome.APPROVED, [], [Evidence("x", value)])  # type: ignore[arg-type]
        assert plain == settle(Outcome.APPROVED, [], [Evidence("x", State(value))])
        assert plain.outcome is Outcome.REVIEW
    mixed = [plain_passed, Evidence("y", State.PASSED)]  # every sub-check passed, one of them as a plain value
    assert settle(Outcome.APPROVED, [], mixed) == settle(Outcome.APPROVED, [], [Evidence("x", State.PASSED)] * 2)
    assert settle(Outcome.APPROVED, [], iter(mixed)).outcome is Outcome.APPROVED
    with pytest.raises(ValueError):
        settle(Outcome.APPROVED, [], [Evidence("x", "approved")])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        settle(Outcome.APPROVED, [], [plain_passed, Evidence("x", "approved")])  # type: ignore[arg-type]
