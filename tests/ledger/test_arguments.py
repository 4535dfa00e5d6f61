"""Public ledger methods refuse arguments of the wrong kind with a typed error naming them (red team): a row id
or limit past the database's integer range raised the driver's OverflowError, a negative limit was read by
SQLite as no limit, and a non-finite age reached the purge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from ekyc.errors import InvalidRequest
from ekyc.ledger import AsyncLedger, Ledger
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

HUGE = 2**80
CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("session_id", lambda lg: lg.session(HUGE)),
    ("session_id", lambda lg: lg.personal_data(HUGE)),
    ("session_id", lambda lg: lg.session("1")),
    ("session_id", lambda lg: lg.events(session_id=HUGE)),
    ("limit", lambda lg: lg.sessions(limit=HUGE)),
    ("limit", lambda lg: lg.sessions(limit=-1)),
    ("offset", lambda lg: lg.sessions(offset=-1)),
    ("limit", lambda lg: lg.events(limit=True)),
    ("after", lambda lg: lg.events(after=HUGE)),
    ("limit", lambda lg: lg.reconcile(-1)),
    ("limit", lambda lg: lg.reconcile("5")),
    ("limit", lambda lg: lg.purge(0, limit=-1)),
    ("older_than", lambda lg: lg.purge(float("nan"))),
    ("older_than", lambda lg: lg.purge(float("inf"))),
    ("reference", lambda lg: lg.status(5)),  # returned None as if the reference had no session
    ("reference", lambda lg: lg.status("")),
    ("reference", lambda lg: lg.status(None)),
    ("reference", lambda lg: lg.sessions(reference=5)),
    ("reference", lambda lg: lg.sessions(reference=b"user-1")),
    ("reference", lambda lg: lg.events(reference=5)),
    ("reference", lambda lg: lg.events(reference="")),
    ("reference", lambda lg: lg.start(5)),
    ("reference", lambda lg: lg.start(reference=["user-1"])),
]


@pytest.mark.parametrize(("field", "call"), CALLS)
def test_bad_arguments_are_typed_errors(ledger: Ledger, field: str, call: Callable[[Ledger], Any]) -> None:
    with pytest.raises(InvalidRequest) as err:
        call(ledger)
    assert err.value.field == field


def test_the_async_ledger_refuses_them_too(database: str, key: str, sandbox: Sandbox) -> None:
    async def run() -> None:
        async with quick_async_client(sandbox) as client, AsyncLedger(database, client, key=key) as ledger:
            await ledger.migrate()
            for field, call in CALLS:
                with pytest.raises(InvalidRequest) as err:
                    await call(ledger)
                assert err.value.field == field

    asyncio.run(run())


def test_ordinary_arguments_still_work(ledger: Ledger) -> None:
    assert ledger.session(1) is None and ledger.personal_data(1) is None
    assert ledger.sessions(limit=10, offset=0) == [] and ledger.events(session_id=None, limit=5, after=0) == []
    assert ledger.status("user-1") is None and ledger.sessions(reference="user-1") == []
    assert ledger.events(reference="user-1") == [] and ledger.sessions(reference=None) == []
    assert ledger.reconcile(0).polled == 0 and ledger.purge(0, limit=0).sessions == 0
