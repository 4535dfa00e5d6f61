"""The reconciler: polls pending sessions with backoff, expires the abandoned, leases rows, recovers claims."""

from __future__ import annotations

from sqlalchemy import select

from ekyc import Client
from ekyc.ledger import Ledger, Policy
from ekyc.ledger.schema import sessions
from ekyc.sandbox import Sandbox

from .conftest import PROVIDERS
from .helpers import expected, request, supported


def _row(ledger: Ledger, session_id: int) -> object:
    with ledger.engine.begin() as conn:
        return conn.execute(select(sessions).where(sessions.c.id == session_id)).one()


def test_without_webhooks_the_reconciler_finds_every_outcome(ledger: Ledger, sandbox: Sandbox) -> None:
    started = {}
    for provider in PROVIDERS:
        for scenario in ("approved", "face_mismatch", "review"):
            if supported(sandbox, provider, scenario):
                s = ledger.start(request=request(provider, f"{provider}-{scenario}"), provider=provider)
                sandbox.complete(s.url, scenario)  # type: ignore[arg-type]
                started[s.id] = scenario
    assert ledger.reconcile().polled == 0  # nothing is due yet
    sandbox.clock.advance(ledger.policy.schedule[0])
    report = ledger.reconcile()
    assert report.polled == len(started) and report.changed == len(started) and report.failed == 0
    for sid, scenario in started.items():
        assert ledger.session(sid).state == expected(scenario)  # type: ignore[union-attr]


def test_polls_back_off_on_the_schedule_and_stop_when_final(ledger: Ledger, sandbox: Sandbox) -> None:
    s = ledger.start(request=request("didit", "u"), provider="didit")
    schedule = ledger.policy.schedule
    for n in range(3):
        due = _row(ledger, s.id).next_check_at  # type: ignore[attr-defined]
        sandbox.clock.set(due)
        assert ledger.reconcile().polled == 1
        after = _row(ledger, s.id)
        assert after.checks == n + 1 and after.lease_owner is None  # type: ignore[attr-defined]
        assert round(after.next_check_at - due) == round(schedule[n + 1])  # type: ignore[attr-defined]
    sandbox.complete(s.url, "approved")  # type: ignore[arg-type]
    sandbox.clock.set(_row(ledger, s.id).next_check_at)  # type: ignore[attr-defined]
    assert ledger.reconcile().changed == 1
    assert _row(ledger, s.id).next_check_at is None  # type: ignore[attr-defined]


def test_a_session_pending_past_its_deadline_is_expired(database: str, client: Client, key: str,
                                                        sandbox: Sandbox) -> None:
    policy = Policy(max_pending=3600, expiry_grace=60)
    with Ledger(database, client, key=key, policy=policy, clock=sandbox.clock.now) as ledger:
        ledger.migrate()
        s = ledger.start(request=request("alibaba", "u"), provider="alibaba")
        row = _row(ledger, s.id)
        deadline = (row.expires_at + 60) if row.expires_at else row.created_at + 3600  # type: ignore[attr-defined]
        sandbox.clock.set(deadline + 1)
        report = ledger.reconcile()
        assert report.polled == 1
        assert ledger.session(s.id).state in ("EXPIRED",)  # type: ignore[union-attr]


def test_a_leased_row_is_not_polled_twice(ledger: Ledger, sandbox: Sandbox) -> None:
    from ekyc.ledger import _store

    s = ledger.start(request=request("tencent", "u"), provider="tencent")
    sandbox.clock.advance(ledger.policy.schedule[0])
    now = sandbox.clock.now()
    with ledger.engine.begin() as conn:
        mine = _store.claim_due(conn, now, "worker-a", 300, 10)
    with ledger.engine.begin() as conn:
        theirs = _store.claim_due(conn, now, "worker-b", 300, 10)
    assert [r.id for r in mine] == [s.id] and theirs == []
    assert ledger.reconcile().polled == 0


def test_a_stale_claim_is_failed_by_the_reconciler(ledger: Ledger, sandbox: Sandbox) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(sessions.insert().values(reference="u", holds=True, state="STARTING", claim="x",
                                              created_at=sandbox.clock.now(), updated_at=sandbox.clock.now()))
    sandbox.clock.advance(ledger.policy.claim_timeout + 1)
    assert ledger.reconcile().stale_claims == 1
    assert [s.state for s in ledger.sessions(reference="u")] == ["FAILED"]
