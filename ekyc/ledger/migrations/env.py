"""Alembic environment of the ledger: runs on the connection :func:`ekyc.ledger.engine.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from ekyc.ledger.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the ledger always passes its connection
    raise RuntimeError("run the ledger's migrations through ekyc.ledger (ekyc ledger init)")
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
