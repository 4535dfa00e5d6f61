"""The webhook inbox: verify, store first, de-duplicate, apply idempotently, repair after a crash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ekyc.ledger import Ledger, Policy, _flows
from ekyc.ledger.schema import audit, deliveries
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import webhook_body

from .conftest import PROVIDERS
from .helpers import deliveries as outbox
from .helpers import expected, receive, request, supported

SCENARIOS = ["approved", "face_mismatch", "review", "user_cancelled", "provider_error"]


def _audit_rows(ledger: Ledger) -> int:
    with ledger.engine.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(audit)).scalar_one())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_scenario_ends_in_its_outcome_through_the_webhook(ledger: Ledger, sandbox: Sandbox,
                                                                 provider: str) -> None:
    for scenario in SCENARIOS:
        if not supported(sandbox, provider, scenario):
            continue
        session = ledger.start(request=request(provider, f"u-{scenario}"), provider=provider)
        assert session.ref is not None and session.url is not None
        sandbox.complete(session.url, scenario)
        receipts = [receive(ledger, d) for d in outbox(sandbox, provider, session.ref.id)]
        assert receipts and all(r.http_status == 200 and r.verified for r in receipts)
        assert ledger.session(session.id).state == expected(scenario), scenario  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_duplicate_delivery_has_no_second_effect(ledger: Ledger, sandbox: Sandbox, provider: str) -> None:
    session = ledger.start(request=request(provider, "u"), provider=provider)
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    sent = outbox(sandbox, provider)
    first = [receive(ledger, d) for d in sent]
    rows = _audit_rows(ledger)
    again = [receive(ledger, d) for d in sent * 2]
    assert all(r.duplicate and r.http_status == 200 for r in again)
    assert {r.delivery_id for r in again} == {r.delivery_id for r in first}
    assert _audit_rows(ledger) == rows


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_forged_delivery_is_recorded_without_its_body_and_refused(ledger: Ledger, sandbox: Sandbox,
                                                                    provider: str) -> None:
    session = ledger.start(request=request(provider, "u"), provider=provider)
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    real = outbox(sandbox, provider)[-1]
    body = webhook_body(real)
    forged = body.replace(b"callbackToken=", b"callbackToken=0")  # Alibaba: the token is in the URL
    headers = {k: (v[:-1] + ("0" if v[-1] != "0" else "1")) if "signature" in k.lower() else v
               for k, v in real.headers.items()}  # the others: every signature header altered
    receipt = ledger.receive(provider, forged, headers)
    assert receipt.state == "rejected" and not receipt.verified and receipt.http_status == 401
    with ledger.engine.begin() as conn:
        row = conn.execute(select(deliveries).where(deliveries.c.id == receipt.delivery_id)).one()
    assert row.body is None and row.dedupe.startswith("rejected:") and row.session_key is None and row.problem
    assert ledger.session(session.id).state == "PENDING"  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_crash_between_store_and_apply_is_repaired(ledger: Ledger, sandbox: Sandbox, provider: str) -> None:
    session = ledger.start(request=request(provider, "u"), provider=provider)
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    last = outbox(sandbox, provider)[-1]
    # drive the receive flow until the delivery is stored, then stop: the process "dies" there
    flow = _flows.receive(ledger._ctx, provider, webhook_body(last), dict(last.headers))
    effect = next(flow)
    assert isinstance(effect, _flows.Tx) and effect.fn.__name__ == "insert_delivery"
    ledger._perform(effect)
    flow.close()
    assert ledger.stats()["deliveries"] == {"stored": 1}
    assert ledger.session(session.id).state == "PENDING"  # type: ignore[union-attr]
    # the provider's retry (the same delivery) repairs it; so would the reconciler
    receipt = receive(ledger, last)
    assert receipt.duplicate and receipt.state == "applied" and receipt.session_state == "APPROVED"


def test_the_reconciler_repairs_a_stored_delivery(database: str, client: object, key: str,
                                                  sandbox: Sandbox) -> None:
    with Ledger(database, client, key=key, clock=sandbox.clock.now,  # type: ignore[arg-type]
                policy=Policy(repair_after=0)) as ledger:
        ledger.migrate()
        session = ledger.start(request=request("tencent", "u"), provider="tencent")
        sandbox.complete(session.url, "face_mismatch")  # type: ignore[arg-type]
        last = outbox(sandbox, "tencent")[-1]
        flow = _flows.receive(ledger._ctx, "tencent", webhook_body(last), dict(last.headers))
        ledger._perform(next(flow))
        flow.close()
        report = ledger.reconcile()
        assert report.repaired == 1
        assert ledger.session(session.id).state == "DECLINED"  # type: ignore[union-attr]
        assert ledger.stats()["deliveries"] == {"applied": 1}


def test_a_failed_fetch_keeps_the_delivery_for_the_reconciler(ledger: Ledger, sandbox: Sandbox) -> None:
    session = ledger.start(request=request("tencent", "u"), provider="tencent")
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    sandbox.set_fault("tencent", "503")
    receipt = receive(ledger, outbox(sandbox, "tencent")[-1])
    assert receipt.http_status == 200 and receipt.state == "stored"  # kept: the vendor need not retry
    sandbox.clear_faults()
    sandbox.clock.advance(ledger.policy.repair_after + 1)
    report = ledger.reconcile()
    assert report.repaired == 1
    assert ledger.session(session.id).state == "APPROVED"  # type: ignore[union-attr]


def test_a_delivery_before_its_session_is_recorded_waits_as_an_orphan(ledger: Ledger, sandbox: Sandbox,
                                                                      client: object) -> None:
    # a session the ledger does not know yet (its start has not recorded it)
    session = client.create_session(request("didit", "u"), provider="didit")  # type: ignore[attr-defined]
    sandbox.complete(session, "approved")
    receipts = [receive(ledger, d) for d in outbox(sandbox, "didit")]
    assert {r.state for r in receipts} == {"orphan"}
    assert ledger.stats()["deliveries"] == {"orphan": len(receipts)}


def test_a_webhook_naming_another_reference_is_not_applied(ledger: Ledger, sandbox: Sandbox) -> None:
    session = ledger.start(request=request("tencent", "alice"), provider="tencent")
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    with ledger.engine.begin() as conn:  # the stored row now says another user started it (a swapped ref)
        from ekyc.ledger.schema import sessions

        conn.execute(sessions.update().where(sessions.c.id == session.id).values(reference="mallory"))
    receipt = receive(ledger, outbox(sandbox, "tencent")[-1])
    assert receipt.state == "mismatch"
    assert ledger.session(session.id).state == "PENDING"  # type: ignore[union-attr]


def test_an_unknown_provider_is_a_typed_error(ledger: Ledger) -> None:
    from ekyc.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        ledger.receive("nosuch", b"{}", {})
