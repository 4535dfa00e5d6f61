"""A start cancelled while the provider's session is created leaves no claim behind (red team).

An ``AsyncLedger.start`` cancelled during the create — a request timeout, a server cancelling a handler whose
client went away, ``asyncio.wait_for`` — left its ``STARTING`` claim in place: the driver caught only
``Exception``, so the flow never marked it ``FAILED``, and every later start for that user waited 10 s and got
:class:`LedgerBusy` until ``Policy.claim_timeout`` (2 minutes) passed. The same for a blocking start
interrupted (KeyboardInterrupt). Now the claim is marked FAILED (shielded from the cancellation) and the
cancellation goes on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ekyc import Client
from ekyc.ledger import AsyncLedger, Ledger
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

from .helpers import request


def test_a_cancelled_async_start_fails_its_claim(database: str, key: str, sandbox: Sandbox) -> None:
    async def run() -> None:
        async with quick_async_client(sandbox) as client, AsyncLedger(database, client, key=key) as ledger:
            await ledger.migrate()
            create = client.create_session
            entered = asyncio.Event()

            async def hanging(*args: Any, **kwargs: Any) -> Any:
                entered.set()
                await asyncio.Event().wait()  # a provider that never answers

            client.create_session = hanging  # type: ignore[method-assign]
            task = asyncio.ensure_future(ledger.start(request=request("didit", "user-1"), provider="didit"))
            await entered.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert [s.state for s in await ledger.sessions(reference="user-1")] == ["FAILED"]
            client.create_session = create  # type: ignore[method-assign]
            again = await ledger.start(request=request("didit", "user-1"), provider="didit")
            assert again.state == "PENDING" and not again.reused  # no LedgerBusy

    asyncio.run(run())


def test_an_interrupted_blocking_start_fails_its_claim(ledger: Ledger, client: Client) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    create = client.create_session
    client.create_session = interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        ledger.start(request=request("didit", "user-1"), provider="didit")
    assert [s.state for s in ledger.sessions(reference="user-1")] == ["FAILED"]
    client.create_session = create  # type: ignore[method-assign]
    assert ledger.start(request=request("didit", "user-1"), provider="didit").state == "PENDING"
