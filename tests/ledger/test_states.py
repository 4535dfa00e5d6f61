"""The state machine on its own: forward only, finals kept, a lapse only when fetched."""

from __future__ import annotations

import pytest

from ekyc.ledger import states
from ekyc.models import Decision, Outcome, Reason, ReasonCode, SessionRef

REF = SessionRef(provider="didit", id="s1")


def decision(outcome: Outcome, *reasons: ReasonCode) -> Decision:
    return Decision(ref=REF, outcome=outcome, reasons=tuple(Reason(code=r, retryable=False) for r in reasons))


FINALS = [Outcome.APPROVED, Outcome.DECLINED, Outcome.EXPIRED, Outcome.ABANDONED]


@pytest.mark.parametrize("final", FINALS)
@pytest.mark.parametrize("incoming", list(Outcome))
@pytest.mark.parametrize("fresh", [True, False])
def test_a_final_outcome_is_never_replaced(final: Outcome, incoming: Outcome, fresh: bool) -> None:
    step = states.step(final.value, decision(incoming, *([ReasonCode.UNKNOWN] if incoming in
                                                          (Outcome.DECLINED, Outcome.REVIEW) else [])), fresh=fresh)
    assert step.to is None


def test_review_may_become_final_and_pending_never_comes_back() -> None:
    assert states.step("REVIEW", decision(Outcome.APPROVED), fresh=False).to == "APPROVED"
    assert states.step("REVIEW", decision(Outcome.DECLINED, ReasonCode.FACE_MISMATCH), fresh=False).to == "DECLINED"
    assert states.step("REVIEW", decision(Outcome.PENDING), fresh=True).to is None
    assert states.step("PENDING", decision(Outcome.REVIEW, ReasonCode.UNKNOWN), fresh=False).to == "REVIEW"
    assert states.step("ERROR", decision(Outcome.APPROVED), fresh=True).to == "APPROVED"
    assert states.step("REVIEW", decision(Outcome.ERROR, ReasonCode.PROVIDER_ERROR), fresh=True).to is None


def test_an_approval_lapses_only_through_a_fetched_documented_lapse() -> None:
    lapse = decision(Outcome.EXPIRED, ReasonCode.APPROVAL_EXPIRED)
    assert states.step("APPROVED", lapse, fresh=False) == states.Step(None, "lapse-unconfirmed")
    assert states.step("APPROVED", lapse, fresh=True) == states.Step("EXPIRED", "lapse")
    # an expiry that is not the documented lapse (a link that expired) never touches an approval
    assert states.step("APPROVED", decision(Outcome.EXPIRED, ReasonCode.SESSION_EXPIRED), fresh=True).to is None
    assert not states.is_downgrade("APPROVED", "EXPIRED", "lapse")
    assert states.is_downgrade("APPROVED", "EXPIRED", "advance")


def test_an_older_event_never_moves_the_state() -> None:
    assert states.step("PENDING", decision(Outcome.APPROVED), fresh=False, older=True).to is None


def test_downgrades_are_recognized() -> None:
    assert states.is_downgrade("REVIEW", "PENDING", "advance")
    assert states.is_downgrade("DECLINED", "APPROVED", "advance")
    assert not states.is_downgrade("PENDING", "APPROVED", "advance")
    assert not states.is_downgrade("STARTING", "PENDING", "start")
