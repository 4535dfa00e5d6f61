"""One active session per reference, enforced by the database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ekyc import Client, Outcome
from ekyc.errors import InvalidRequest, ProviderUnavailable
from ekyc.ledger import Ledger, Policy
from ekyc.ledger.schema import audit, sessions
from ekyc.sandbox import Sandbox

from .conftest import PROVIDERS
from .helpers import deliveries, receive, request


@pytest.mark.parametrize("provider", PROVIDERS)
def test_start_returns_the_unfinished_session(ledger: Ledger, provider: str) -> None:
    first = ledger.start(request=request(provider, "user-1"), provider=provider)
    again = ledger.start(request=request(provider, "user-1"), provider=provider)
    assert first.state == "PENDING" and not first.reused
    # within Policy.relink_grace: the same session and link, whatever the provider's link (tests/ledger/test_relink)
    assert again.id == first.id and again.reused and again.ref == first.ref and again.url == first.url
    assert first.ref is not None and first.ref.reference == "user-1"


def test_the_database_refuses_a_second_active_session(ledger: Ledger) -> None:
    ledger.start(request=request("didit", "user-1"), provider="didit")
    with pytest.raises(IntegrityError), ledger.engine.begin() as conn:
        conn.execute(insert(sessions).values(reference="user-1", holds=True, state="STARTING", created_at=0,
                                             updated_at=0))


def test_a_new_session_only_after_a_final_non_approved_outcome(ledger: Ledger, sandbox: Sandbox) -> None:
    first = ledger.start(request=request("didit", "user-1"), provider="didit")
    sandbox.complete(first.url, "review")
    for d in deliveries(sandbox, "didit"):
        receive(ledger, d)
    assert ledger.start(request=request("didit", "user-1"), provider="didit").id == first.id  # REVIEW holds it
    second = ledger.start(request=request("didit", "user-2"), provider="didit")
    sandbox.complete(second.url, "face_mismatch")
    for d in deliveries(sandbox, "didit", second.ref.id if second.ref else None):
        receive(ledger, d)
    assert ledger.session(second.id).state == "DECLINED"  # type: ignore[union-attr]
    third = ledger.start(request=request("didit", "user-2"), provider="didit")
    assert third.id != second.id and not third.reused and third.state == "PENDING"
    approved = ledger.start(request=request("tencent", "user-3"), provider="tencent")
    sandbox.complete(approved.url, "approved")
    for d in deliveries(sandbox, "tencent"):
        receive(ledger, d)
    assert ledger.start(request=request("tencent", "user-3"), provider="tencent").id == approved.id


def test_the_restart_rule_is_configurable(database: str, client: Client, key: str, sandbox: Sandbox) -> None:
    policy = Policy(restart_after=frozenset({Outcome.DECLINED, Outcome.REVIEW}))
    with Ledger(database, client, key=key, policy=policy, clock=sandbox.clock.now) as ledger:
        ledger.migrate()
        first = ledger.start(request=request("didit", "u"), provider="didit")
        sandbox.complete(first.url, "review")
        for d in deliveries(sandbox, "didit"):
            receive(ledger, d)
        assert ledger.start(request=request("didit", "u"), provider="didit").id != first.id


@pytest.mark.parametrize("provider", PROVIDERS)
def test_concurrent_starts_make_one_session(ledger: Ledger, sandbox: Sandbox, provider: str) -> None:
    """A double click: starts at once, then more a moment after the first one recorded its session (within
    Policy.relink_grace) — one vendor session for every provider, Alibaba's single-use link included."""
    results: list[int] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            results.append(ledger.start(request=request(provider, "user-9"), provider=provider).id)
        except BaseException as exc:
            errors.append(exc)

    for _wave in range(2):
        threads = [threading.Thread(target=go) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors and len(results) == 12 and len(set(results)) == 1
    assert sandbox.duplicate_sessions() == {}
    assert [s.reference for s in sandbox.sessions(provider)] == ["user-9"]
    assert len(ledger.sessions(reference="user-9")) == 1


def test_a_failed_create_releases_the_claim(ledger: Ledger, sandbox: Sandbox) -> None:
    sandbox.set_fault("didit", "503")
    with pytest.raises(ProviderUnavailable):
        ledger.start(request=request("didit", "user-1"), provider="didit")
    sandbox.clear_faults()
    assert [s.state for s in ledger.sessions(reference="user-1")] == ["FAILED"]
    started = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert started.state == "PENDING"
    assert ledger.status("user-1").id == started.id  # type: ignore[union-attr]


def test_a_stale_claim_left_by_a_crash_is_recovered(ledger: Ledger, sandbox: Sandbox) -> None:
    with ledger.engine.begin() as conn:  # a process claimed the slot, then died before recording the session
        conn.execute(insert(sessions).values(reference="user-1", holds=True, state="STARTING", claim="dead",
                                             created_at=sandbox.clock.now(), updated_at=sandbox.clock.now()))
    sandbox.clock.advance(ledger.policy.claim_timeout + 1)
    started = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert started.state == "PENDING"
    states = sorted(s.state for s in ledger.sessions(reference="user-1"))
    assert states == ["FAILED", "PENDING"]
    with ledger.engine.begin() as conn:
        notes = conn.execute(select(audit.c.note).where(audit.c.action == "fail")).scalars().all()
    assert notes == ["stale claim"]


def test_start_needs_a_reference(ledger: Ledger) -> None:
    with pytest.raises(InvalidRequest):
        ledger.start()
