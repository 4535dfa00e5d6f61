"""A user who finishes a superseded session's page comes back to a refresh of THAT session (red team).

Alibaba's link works once and nothing renews it, so a start past ``Policy.relink_grace`` supersedes the pending
holder and a new session takes the slot. The holder's page may still be open in another tab; when the user
finishes it, the provider sends them back with the old session's return URL. ``refresh`` checked that URL only
against the newest session: the user's own, genuine return was refused as ``SessionMismatch`` (audited
``return-refused``, shown as ``kyc_error=session_mismatch``) and its result waited for a webhook or the
reconciler. A superseded session of the same reference is now checked too; someone else's stays refused."""

from __future__ import annotations

import httpx
import pytest

from ekyc.errors import SessionMismatch
from ekyc.ledger import Ledger
from ekyc.sandbox import Sandbox

from .helpers import request

PROVIDER = "alibaba"  # the one provider whose link works once and cannot be renewed


def _open(sandbox: Sandbox, url: str | None) -> None:
    assert url is not None
    with httpx.Client(transport=sandbox.transport(), follow_redirects=True) as http:
        assert http.get(url).status_code == 200


def _superseded(ledger: Ledger, sandbox: Sandbox, reference: str) -> tuple[int, str, int]:
    """A reference whose first session was superseded: (old id, old url, new id)."""
    first = ledger.start(request=request(PROVIDER, reference), provider=PROVIDER)
    _open(sandbox, first.url)
    sandbox.clock.advance(ledger.policy.relink_grace + 1)
    again = ledger.start(request=request(PROVIDER, reference), provider=PROVIDER)
    assert again.id != first.id and first.url is not None
    return first.id, first.url, again.id


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch"])
def test_the_return_from_a_superseded_session_refreshes_it(ledger: Ledger, sandbox: Sandbox, scenario: str) -> None:
    old, old_url, new = _superseded(ledger, sandbox, "user-1")
    back = sandbox.complete(old_url, scenario)  # the old page, still open in another tab
    fresh = ledger.refresh("user-1", return_url=back)
    assert fresh.id == old and fresh.state == ("APPROVED" if scenario == "approved" else "DECLINED")
    assert ledger.session(new).state == "PENDING"  # type: ignore[union-attr]  # never decided by the old one
    assert "return-refused" not in [e["action"] for e in ledger.events(reference="user-1", limit=1000)]
    # once decided (its webhook first, say) the same return still names the user's own session
    assert ledger.refresh("user-1", return_url=back).id == old


def test_someone_elses_superseded_session_stays_refused(ledger: Ledger, sandbox: Sandbox) -> None:
    _, their_url, _ = _superseded(ledger, sandbox, "bob")
    mine = ledger.start(request=request(PROVIDER, "alice"), provider=PROVIDER)
    their_back = sandbox.complete(their_url, "approved")
    with pytest.raises(SessionMismatch):
        ledger.refresh("alice", return_url=their_back)
    assert ledger.session(mine.id).state == "PENDING"  # type: ignore[union-attr]
    _, _, _ = _superseded(ledger, sandbox, "carol")
    with pytest.raises(SessionMismatch):  # carol has superseded sessions of her own: still only hers match
        ledger.refresh("carol", return_url=their_back)


def test_a_user_approved_on_a_superseded_session_is_not_sent_to_verify_again(ledger: Ledger,
                                                                             sandbox: Sandbox) -> None:
    """The old tab's page approved the user: ``status`` says APPROVED, and ``start`` — the app's "Verify" button —
    must say so too, not hand out the new pending session's page (a second verification, billed twice)."""
    old, old_url, new = _superseded(ledger, sandbox, "user-1")
    ledger.refresh("user-1", return_url=sandbox.complete(old_url, "approved"))
    status = ledger.status("user-1")
    assert status is not None and status.id == old and status.approved
    sandbox.clock.advance(ledger.policy.relink_grace + 1)
    again = ledger.start(request=request(PROVIDER, "user-1"), provider=PROVIDER)
    assert (again.id, again.state, again.reused) == (old, "APPROVED", True)
    assert len(ledger.sessions(reference="user-1")) == 2  # no third session
    assert ledger.session(new).state == "PENDING"  # type: ignore[union-attr]
