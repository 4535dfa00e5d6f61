"""The migrations build exactly the declared schema, and the audit trail is append-only in the database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from ekyc.ledger import Ledger
from ekyc.ledger.engine import head_revision
from ekyc.ledger.schema import VERSION_TABLE, audit, metadata

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
