"""Deliveries that fail verification (forged, or signed with a secret out of date): counted, never one row each —
unauthenticated traffic cannot grow the inbox without bound — and purged with the rest of the retention."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from ekyc.ledger import Ledger
from ekyc.ledger.schema import deliveries
from ekyc.sandbox import Sandbox
from ekyc.sandbox.emulator import Delivery
from ekyc.sandbox.runner import webhook_body

from .conftest import PROVIDERS
from .helpers import deliveries as outbox
from .helpers import receive, request

DAY = 86400.0


def _forged(delivery: Delivery, n: int) -> tuple[bytes, dict[str, str]]:
    """``delivery`` with its signature altered (Alibaba: its callback token) and its body made unique by ``n``."""
    body = webhook_body(delivery).replace(b"callbackToken=", b"callbackToken=0")
    body = body + b" " * n if delivery.method != "GET" else body + f"&n={n}".encode()
    headers = {k: (v[:-1] + ("0" if v[-1] != "0" else "1")) if "signature" in k.lower() else v
               for k, v in delivery.headers.items()}
    return body, headers


def _rejected_rows(ledger: Ledger) -> list[tuple[str, int]]:
    with ledger.engine.begin() as conn:
        return [(r.provider, r.attempts) for r in conn.execute(
            select(deliveries).where(deliveries.c.state == "rejected").order_by(deliveries.c.id))]


def _approved(ledger: Ledger, sandbox: Sandbox, provider: str) -> list[Delivery]:
    session = ledger.start(request=request(provider, "u"), provider=provider)
    sandbox.complete(session.url, "approved")  # type: ignore[arg-type]
    return outbox(sandbox, provider)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_flood_of_forged_deliveries_is_counted_in_one_row(ledger: Ledger, sandbox: Sandbox,
                                                            provider: str) -> None:
    """Each forged delivery is refused (the provider's no-retry status) and counted: one row per provider and
    UTC day, whose ``attempts`` is how many came and whose ``problem`` is the latest reason; nothing of a body
    kept. ``stats()`` still reports how many were rejected. Genuine deliveries are stored exactly once after."""
    sent = _approved(ledger, sandbox, provider)
    receipts = [ledger.receive(provider, *_forged(sent[-1], n)) for n in range(40)]
    assert {(r.state, r.verified, r.http_status) for r in receipts} == {("rejected", False, 401)}
    assert len({r.delivery_id for r in receipts}) == 1
    assert _rejected_rows(ledger) == [(provider, 40)]
    with ledger.engine.begin() as conn:
        row = conn.execute(select(deliveries).where(deliveries.c.id == receipts[0].delivery_id)).one()
    assert row.body is None and row.session_key is None and row.event_type is None and row.problem
    assert ledger.stats()["deliveries"] == {"rejected": 40}
    # the genuine ones: stored once each, duplicates answered as such
    first = [receive(ledger, d) for d in sent]
    again = [receive(ledger, d) for d in sent]
    assert all(r.verified and r.http_status == 200 and not r.duplicate for r in first)
    assert all(r.duplicate and r.http_status == 200 for r in again)
    assert {r.delivery_id for r in again} == {r.delivery_id for r in first}
    stats = ledger.stats()["deliveries"]
    assert stats.pop("rejected") == 40 and sum(stats.values()) == len({r.delivery_id for r in first})


def test_a_new_day_starts_a_new_row_and_purge_removes_the_old_ones(ledger: Ledger, sandbox: Sandbox) -> None:
    """Rows are per UTC day, so the count of each day stays readable; ``purge`` removes the rows of days whose
    last rejection is older than its cutoff (the retention the app already runs) and reports how many."""
    provider = PROVIDERS[0]
    sent = _approved(ledger, sandbox, provider)
    for day in range(3):
        for n in range(day + 1):
            ledger.receive(provider, *_forged(sent[-1], n))
        sandbox.clock.advance(DAY)
    assert [a for _, a in _rejected_rows(ledger)] == [1, 2, 3]
    report = ledger.purge(1.5 * DAY, provider_delete=False)
    assert report.rejected == 2 and report.summary()["rejected"] == 2
    assert [a for _, a in _rejected_rows(ledger)] == [3]
    assert ledger.purge(0, provider_delete=False).rejected == 1
    assert _rejected_rows(ledger) == []


def test_forged_deliveries_racing_are_all_counted(ledger: Ledger, sandbox: Sandbox) -> None:
    """Several workers refusing forged deliveries at once (the first of the day racing to create its row): every
    one is counted, in one row."""
    provider = PROVIDERS[0]
    sent = _approved(ledger, sandbox, provider)
    with ThreadPoolExecutor(6) as pool:
        receipts = list(pool.map(lambda n: ledger.receive(provider, *_forged(sent[-1], n)), range(30)))
    assert all(r.state == "rejected" for r in receipts)
    assert _rejected_rows(ledger) == [(provider, 30)]
