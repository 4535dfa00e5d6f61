"""The ledger's first schema: sessions (one slot per reference), the webhook inbox, the append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_APPEND_ONLY = "the ledger audit trail is append-only"


def upgrade() -> None:
    op.create_table(
        "ekyc_ledger_sessions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(256), nullable=False),
        sa.Column("holds", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("session_key", sa.String(64), nullable=True, unique=True),
        sa.Column("ref", sa.Text, nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("provider_status", sa.String(64), nullable=True),
        sa.Column("reasons", sa.String(512), nullable=True),
        sa.Column("event_at", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("decided_at", sa.Float, nullable=True),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("next_check_at", sa.Float, nullable=True),
        sa.Column("checks", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("personal", sa.Text, nullable=True),
        sa.Column("purged_at", sa.Float, nullable=True),
    )
    # one session holds a reference's slot: the constraint that makes `start` safe across processes
    op.create_index("ekyc_ledger_sessions_one_active", "ekyc_ledger_sessions", ["reference"], unique=True,
                    sqlite_where=sa.text("holds"), postgresql_where=sa.text("holds"))
    op.create_index("ekyc_ledger_sessions_reference", "ekyc_ledger_sessions", ["reference"])
    op.create_index("ekyc_ledger_sessions_due", "ekyc_ledger_sessions", ["next_check_at"])

    op.create_table(
        "ekyc_ledger_deliveries",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("dedupe", sa.String(300), nullable=True),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("problem", sa.String(200), nullable=True),
        sa.Column("session_key", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=True),
        sa.Column("provider_status", sa.String(64), nullable=True),
        sa.Column("authenticated", sa.String(16), nullable=True),
        sa.Column("occurred_at", sa.Float, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("applied_at", sa.Float, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.UniqueConstraint("provider", "dedupe", name="ekyc_ledger_deliveries_once"),
    )
    op.create_index("ekyc_ledger_deliveries_state", "ekyc_ledger_deliveries", ["state"])
    op.create_index("ekyc_ledger_deliveries_session", "ekyc_ledger_deliveries", ["session_key"])

    op.create_table(
        "ekyc_ledger_audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("session_id", _ID, sa.ForeignKey("ekyc_ledger_sessions.id"), nullable=True),
        sa.Column("delivery_id", _ID, nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=True),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("provider_status", sa.String(64), nullable=True),
        sa.Column("reasons", sa.String(512), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
    )
    op.create_index("ekyc_ledger_audit_session", "ekyc_ledger_audit", ["session_id"])

    # the audit trail is append-only, enforced by the database itself
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ekyc_ledger_audit_no_{verb.lower()} BEFORE {verb} ON ekyc_ledger_audit "
                       f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION ekyc_ledger_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$")
        op.execute("CREATE TRIGGER ekyc_ledger_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                   "ON ekyc_ledger_audit FOR EACH STATEMENT EXECUTE FUNCTION ekyc_ledger_audit_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ekyc_ledger_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS ekyc_ledger_audit_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ekyc_ledger_audit_append_only ON ekyc_ledger_audit")
        op.execute("DROP FUNCTION IF EXISTS ekyc_ledger_audit_append_only()")
    op.drop_table("ekyc_ledger_audit")
    op.drop_table("ekyc_ledger_deliveries")
    op.drop_table("ekyc_ledger_sessions")
