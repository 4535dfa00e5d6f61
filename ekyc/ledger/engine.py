"""Database engines and migrations.

A plain path (``ledger.db``) is an SQLite file — the embedded default, nothing to set up. A URL names any
SQLAlchemy database; ``postgresql://…`` uses psycopg 3 (blocking and asyncio alike). SQLite is set up for
several processes: WAL journal, a 30-second busy timeout and ``BEGIN IMMEDIATE`` for every transaction (one
writer at a time; readers never block).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..errors import ConfigurationError
from .schema import VERSION_TABLE

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000


def database_url(database: str | Path, *, asyncio: bool = False) -> str:
    """The SQLAlchemy URL of ``database`` (a path or a URL) with the driver this package uses."""
    if not isinstance(database, (str, Path)) or not str(database):
        raise ConfigurationError("the ledger database is a file path, a database URL or an SQLAlchemy engine",
                                 field="database")
    text = str(database)
    if "://" not in text:
        text = "sqlite:///" + str(Path(text).expanduser().resolve())
    try:
        url = make_url(text)
    except Exception:
        raise ConfigurationError("the ledger database is neither a file path nor a database URL",
                                 field="database") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite" if asyncio else "sqlite+pysqlite")
    elif backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _no_engine(exc: Exception) -> ConfigurationError:
    return ConfigurationError(f"no engine for the ledger database ({type(exc).__name__}: an unknown database or a "
                              "driver that is not installed; SQLite and PostgreSQL come with the ledger extra)",
                              field="database")


def _sqlite_setup(sync_engine: Engine) -> None:
    @event.listens_for(sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database: str | Path, **kwargs: Any) -> Engine:
    """A blocking engine for ``database`` (a path or a URL)."""
    url = database_url(database)
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # an unknown dialect, a driver not installed: never the URL (it may hold a password)
        raise _no_engine(exc) from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    return engine


def make_async_engine(database: str | Path, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine for ``database`` (a path or a URL)."""
    url = database_url(database, asyncio=True)
    try:
        engine = create_async_engine(url, **kwargs)
    except Exception as exc:
        raise _no_engine(exc) from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine.sync_engine)
    return engine


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the ledger's tables on ``connection`` to ``revision`` (Alembic; the version is kept in
    ``ekyc_ledger_version``)."""
    from alembic import command

    command.upgrade(_alembic_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    """The ledger schema's revision on ``connection`` (None: not initialized)."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def head_revision() -> str:
    """The newest revision this package ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head
