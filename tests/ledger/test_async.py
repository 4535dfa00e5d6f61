"""AsyncLedger: the same flows over AsyncClient and an asyncio engine (aiosqlite / psycopg 3)."""

from __future__ import annotations

import asyncio

from ekyc.ledger import AsyncLedger
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import webhook_body
from tests.support.clients import quick_async_client

from .conftest import PROVIDERS
from .helpers import deliveries, expected, request


async def test_the_async_ledger_has_the_same_semantics(database: str, key: str, sandbox: Sandbox) -> None:
    async with quick_async_client(sandbox) as client, AsyncLedger(database, client, key=key,
                                                                   clock=sandbox.clock.now) as ledger:
        await ledger.migrate()
        for provider in PROVIDERS:
            reference = f"user-{provider}"
            started = await asyncio.gather(*[ledger.start(request=request(provider, reference), provider=provider)
                                             for _ in range(4)])
            assert len({s.id for s in started}) == 1 and len(sandbox.sessions(provider)) == 1
            first = next(s for s in started if not s.reused)
            assert first.url is not None and first.ref is not None
            sandbox.complete(first.url, "face_mismatch")
            for d in deliveries(sandbox, provider, first.ref.id):
                receipt = await ledger.receive(provider, webhook_body(d), dict(d.headers))
                again = await ledger.receive(provider, webhook_body(d), dict(d.headers))
                assert receipt.http_status == 200 and again.duplicate
            status = await ledger.status(reference)
            assert status is not None and status.state == expected("face_mismatch")
            # a final non-approved outcome frees the slot
            assert not (await ledger.start(request=request(provider, reference), provider=provider)).reused
        sandbox.clock.advance(ledger.policy.schedule[0])
        report = await ledger.reconcile()
        assert report.polled == len(PROVIDERS) and report.failed == 0
        purge = await ledger.purge(older_than=0)
        assert purge.sessions == len(PROVIDERS)
        stats = await ledger.stats()
        assert stats["sessions"] == {"DECLINED": len(PROVIDERS), "PENDING": len(PROVIDERS)}
        assert len(await ledger.events(limit=1000)) > 0
