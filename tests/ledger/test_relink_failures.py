"""A renewal that fails is a hand-out too (red team): a failed ``fresh_link`` handed the stored link back but
left the session's ``updated_at`` as it was, so the grace never applied to it — every click of a signed-in user
made one more provider call and one more audit row (a user hammering "Verify" while Stripe answers 503, or while
their session is ``processing`` and has no url, spent the app's Stripe rate limit for every user and grew the
audit trail per request). Now the link handed back starts the grace like any other hand-out."""

from __future__ import annotations

from ekyc.ledger import Ledger
from ekyc.sandbox import Sandbox

from .helpers import request


def _actions(ledger: Ledger, session_id: int) -> list[str]:
    return [e["action"] for e in ledger.events(session_id=session_id, limit=1000)]


def test_a_failed_renewal_starts_the_grace_like_any_hand_out(ledger: Ledger, sandbox: Sandbox) -> None:
    first = ledger.start(request=request("stripe", "user-1"), provider="stripe")
    sandbox.clock.advance(ledger.policy.relink_grace + 1)
    sandbox.set_fault("stripe", "503")
    try:
        for _ in range(5):  # a user clicking again and again while Stripe fails
            again = ledger.start(request=request("stripe", "user-1"), provider="stripe")
            assert (again.id, again.url, again.reused) == (first.id, first.url, True)
    finally:
        sandbox.clear_faults()
    assert _actions(ledger, first.id).count("relink-failed") == 1
    # past the grace of that hand-out the renewal is tried again, and works
    sandbox.clock.advance(ledger.policy.relink_grace + 1)
    ledger.start(request=request("stripe", "user-1"), provider="stripe")
    assert _actions(ledger, first.id).count("relink") == 1


def test_a_session_that_waits_for_no_input_hands_out_no_link(ledger: Ledger, sandbox: Sandbox) -> None:
    """A Stripe user who submitted (``processing``: Stripe's ``url`` is null then) and clicks Verify again past
    the grace gets their session back with ``url=None`` — not the spent link, a dead page (red team) — and no
    failure is audited; the hand-out starts the grace (one provider call per grace)."""
    first = ledger.start(request=request("stripe", "user-1"), provider="stripe")
    assert first.url is not None
    sandbox.complete(first.url, code="processing")
    sandbox.clock.advance(ledger.policy.relink_grace + 1)
    again = ledger.start(request=request("stripe", "user-1"), provider="stripe")
    assert (again.id, again.reused, again.url, again.state) == (first.id, True, None, "PENDING")
    assert "relink-failed" not in _actions(ledger, first.id)
    assert ledger.start(request=request("stripe", "user-1"), provider="stripe").url is None  # within the grace
