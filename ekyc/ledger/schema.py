"""The ledger's tables (SQLAlchemy Core). The migrations in ``migrations/versions`` create exactly this schema
(a test compares them); change both together, with a new migration.

Times are UTC epoch seconds (float). Nothing personal is stored in clear: ``ref``, ``url``, ``personal`` and
``body`` hold sealed tokens (see :mod:`ekyc.ledger.vault`) or nothing; the audit trail holds states, provider
status codes and reason codes only.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

PREFIX = "ekyc_ledger_"
#: the Alembic version table of the ledger (its own, so an app's ``alembic_version`` is untouched)
VERSION_TABLE = PREFIX + "version"

metadata = MetaData()
_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid (autoincrement)

sessions = Table(
    PREFIX + "sessions", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("reference", String(256), nullable=False),
    # True while this session holds its reference's one slot (the partial unique index below)
    Column("holds", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("claim", String(32), nullable=True),
    Column("provider", String(32), nullable=True),
    Column("session_key", String(64), nullable=True, unique=True),
    Column("ref", Text, nullable=True),
    Column("url", Text, nullable=True),
    Column("provider_status", String(64), nullable=True),
    Column("reasons", String(512), nullable=True),
    Column("event_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("decided_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
    Column("next_check_at", Float, nullable=True),
    Column("checks", Integer, nullable=False, server_default=text("0")),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("personal", Text, nullable=True),
    Column("purged_at", Float, nullable=True),
    Index(PREFIX + "sessions_one_active", "reference", unique=True,
          sqlite_where=text("holds"), postgresql_where=text("holds")),
    Index(PREFIX + "sessions_reference", "reference"),
    Index(PREFIX + "sessions_due", "next_check_at"),
)

deliveries = Table(
    PREFIX + "deliveries", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    # "event:<SHA-256 of the provider event id>" or "body:<SHA-256 of the body>"; for the row counting a provider's
    # rejected deliveries of one UTC day (attempts: how many), "rejected:YYYY-MM-DD"
    Column("dedupe", String(300), nullable=True),
    Column("received_at", Float, nullable=False),
    Column("state", String(16), nullable=False),
    Column("problem", String(200), nullable=True),
    Column("session_key", String(64), nullable=True),
    Column("event_type", String(64), nullable=True),
    Column("provider_status", String(64), nullable=True),
    Column("authenticated", String(16), nullable=True),
    Column("occurred_at", Float, nullable=True),
    Column("body", Text, nullable=True),
    Column("applied_at", Float, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", Float, nullable=True),
    UniqueConstraint("provider", "dedupe", name=PREFIX + "deliveries_once"),
    Index(PREFIX + "deliveries_state", "state"),
    Index(PREFIX + "deliveries_session", "session_key"),
)

audit = Table(
    PREFIX + "audit", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("session_id", _ID, ForeignKey(PREFIX + "sessions.id"), nullable=True),
    Column("delivery_id", _ID, nullable=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=True),
    Column("provider", String(32), nullable=True),
    Column("provider_status", String(64), nullable=True),
    Column("reasons", String(512), nullable=True),
    Column("note", String(200), nullable=True),
    Index(PREFIX + "audit_session", "session_id"),
)
