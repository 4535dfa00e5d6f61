"""The migrations build exactly the declared schema, and the audit trail is append-only in the database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from ekyc import Client
from ekyc.ledger import Ledger
from ekyc.ledger.engine import head_revision
from ekyc.ledger.schema import VERSION_TABLE, audit, metadata
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

from .helpers import request


def test_migrations_match_the_declared_schema(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []
    assert ledger.revision() == (head_revision(), head_revision())
    assert ledger.migrate() == head_revision()  # idempotent


def test_the_audit_trail_cannot_be_changed_or_deleted(ledger: Ledger) -> None:
    ledger.start(request=request("didit", "u"), provider="didit")
    for statement in (update(audit).values(note="edited"), delete(audit)):
        with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(statement)
    with ledger.engine.begin() as conn:
        assert conn.execute(select(audit.c.note)).scalars().all() == [None, None]


def test_a_ledger_whose_tables_were_never_created_says_how_to_create_them(database: str, client: Client,
                                                                          key: str, sandbox: Sandbox) -> None:
    """A new user who skips ``migrate()`` gets an error that says what to do (field ``schema``), on SQLite and
    PostgreSQL, sync and async — not a bare "database failed"; and the integrations log it for the operator."""
    import asyncio
    import logging

    from ekyc.integrations import failure
    from ekyc.ledger import AsyncLedger, LedgerError

    with Ledger(database, client, key=key) as led, pytest.raises(LedgerError) as err:
        led.start("user-1", return_url="https://app.example/back")
    assert err.value.field == "schema" and err.value.http_status == 503 and "migrate()" in str(err.value)

    async def run() -> LedgerError:
        async with quick_async_client(sandbox) as aclient, AsyncLedger(database, aclient, key=key) as aled:
            try:
                await aled.status("user-1")
            except LedgerError as exc:
                return exc
        raise AssertionError("no error")

    aerr = asyncio.run(run())
    assert aerr.field == "schema" and "ekyc ledger init" in str(aerr)

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("ekyc.integrations").addHandler(handler)
    try:
        answer = failure(err.value)
    finally:
        logging.getLogger("ekyc.integrations").removeHandler(handler)
    assert answer.status == 503 and answer.body == b'{"error":"unavailable"}'
    assert [r.levelno for r in records] == [logging.WARNING] and "migrate()" in records[0].getMessage()
