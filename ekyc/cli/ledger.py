"""``ekyc ledger``: the verification ledger from the command line — init, status, sessions, events, reconcile,
purge (``docs/ledger.md``). Needs the ``ledger`` extra; this module imports it only when a command runs, so the
rest of the CLI works without it.

The database is ``--database PATH_OR_URL`` or ``EKYC_LEDGER_DATABASE`` (default ``ekyc-ledger.db``, an SQLite
file in the current directory); the key is ``EKYC_LEDGER_KEY``; providers are configured as for every command
(``--config FILE`` or the environment). Nothing personal is printed: no ref, no link, no identity.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .config import load_settings
from .exits import CliError, Command, Exit, Group
from .output import FORMAT_HELP, Format, console, emit_json, emit_line, emit_pairs, table

if TYPE_CHECKING:
    from ..ledger import Ledger

DATABASE_ENV = "EKYC_LEDGER_DATABASE"
DEFAULT_DATABASE = "ekyc-ledger.db"

app = typer.Typer(cls=Group, help="The verification ledger: sessions, webhook inbox, reconciliation "
                                  "(docs/ledger.md).", no_args_is_help=True, rich_markup_mode=None)

FormatOpt = Annotated[Format, typer.Option("--format", metavar="[table|json]", help=FORMAT_HELP)]
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", metavar="PATH_OR_URL",
    help=f"SQLite file or database URL (default: ${DATABASE_ENV}, else {DEFAULT_DATABASE}).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", metavar="FILE",
                                                help="TOML settings file (default: EKYC_* environment variables "
                                                     "and EKYC_CONFIG).")]
LimitOpt = Annotated[int, typer.Option("--limit", metavar="N", min=1, max=100_000, help="At most N rows.")]


@contextmanager
def _ledger(database: str | None, config: Path | None = None, *, calls_providers: bool = False) -> Iterator[Ledger]:
    """The ledger on ``database``. Commands that never call a provider (init, status, sessions, events) build
    their client quietly: the "using the in-process sandbox" note would only confuse there."""
    try:
        from ..ledger import Ledger
    except ImportError as exc:
        raise CliError(f"the ledger needs the 'ledger' extra ({exc.name} is not installed): "
                       "pip install 'ekyc-bridge[ledger]'") from None
    from ..client import Client

    target = database or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
    settings = load_settings(config)
    quiet = logging.getLogger("ekyc")
    level = quiet.level
    if not calls_providers:
        quiet.setLevel(logging.ERROR)
    try:
        client = Client(settings)
    finally:
        quiet.setLevel(level)
    with client, Ledger(target, client) as ledger:
        yield ledger


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _migrated(ledger: Ledger) -> None:
    current, head = ledger.revision()
    if current is None:
        raise CliError("the ledger's tables do not exist yet: run 'ekyc ledger init' first")
    if current != head:
        raise CliError(f"the ledger's tables are at revision {current}, this version needs {head}: run "
                       "'ekyc ledger init' to upgrade them")


@app.command(cls=Command)
def init(database: DatabaseOpt = None, format: FormatOpt = Format.table) -> None:
    """Create or upgrade the ledger's tables (Alembic migrations). Safe to repeat."""
    with _ledger(database) as ledger:
        revision = ledger.migrate()
        data = {"revision": revision, "key_configured": ledger.vault.enabled}
    if format is Format.json:
        emit_json(data)
        return
    emit_pairs([("revision", revision), ("personal data", "sealed with EKYC_LEDGER_KEY" if data["key_configured"]
                                         else "not stored (no EKYC_LEDGER_KEY)")])


@app.command(cls=Command)
def status(database: DatabaseOpt = None, format: FormatOpt = Format.table) -> None:
    """Counts by state, and what to monitor: the oldest pending session and unapplied delivery, overdue polls,
    claims left by crashed processes. Exits 1 when something needs attention (a delivery unapplied for over an
    hour, a claim older than ten minutes, polls overdue by an hour)."""
    with _ledger(database) as ledger:
        _migrated(ledger)
        data = ledger.stats()
    attention = (data["oldest_unapplied_delivery_age_s"] or 0) > 3600 or data["claims_older_than_10min"] > 0 \
        or data["polls_overdue_1h"] > 0
    data["attention"] = attention
    if format is Format.json:
        emit_json(data)
    else:
        emit_pairs([("sessions", ", ".join(f"{k} {v}" for k, v in sorted(data["sessions"].items())) or "none"),
                    ("deliveries", ", ".join(f"{k} {v}" for k, v in sorted(data["deliveries"].items())) or "none"),
                    ("oldest pending (s)", data["oldest_pending_age_s"]),
                    ("oldest unapplied delivery (s)", data["oldest_unapplied_delivery_age_s"]),
                    ("polls overdue by 1 h", data["polls_overdue_1h"]),
                    ("claims older than 10 min", data["claims_older_than_10min"]),
                    ("needs attention", "yes" if attention else "no")])
    if attention:
        raise typer.Exit(Exit.ERROR)


@app.command(cls=Command)
def sessions(
    database: DatabaseOpt = None,
    reference: Annotated[str | None, typer.Option("--reference", metavar="USER_ID",
                                                  help="Only this reference's sessions.")] = None,
    state: Annotated[str | None, typer.Option("--state", metavar="STATE",
                                              help="Only sessions in this state (PENDING, APPROVED, ...).")] = None,
    limit: LimitOpt = 50,
    format: FormatOpt = Format.table,
) -> None:
    """Sessions, newest first (no ref, link or personal data)."""
    with _ledger(database) as ledger:
        _migrated(ledger)
        rows = [s.summary() for s in ledger.sessions(reference=reference, state=state, limit=limit, secrets=False)]
    if format is Format.json:
        emit_json(rows)
        return
    console().print(table(None, ["id", "reference", "provider", "state", "provider status", "updated"],
                          ([str(r["id"]), r["reference"], r["provider"] or "-", r["state"],
                            r["provider_status"] or "-", _when(r["updated_at"]) or "-"] for r in rows)))


@app.command(cls=Command)
def events(
    database: DatabaseOpt = None,
    session: Annotated[int | None, typer.Option("--session", metavar="ID", help="Only this session's rows.")] = None,
    reference: Annotated[str | None, typer.Option("--reference", metavar="USER_ID",
                                                  help="Only this reference's sessions.")] = None,
    after: Annotated[int, typer.Option("--after", metavar="ID", help="Rows after this audit id.")] = 0,
    limit: LimitOpt = 100,
    format: FormatOpt = Format.table,
) -> None:
    """The audit trail, oldest first: who changed what, when, with the provider's status and reason codes."""
    with _ledger(database) as ledger:
        _migrated(ledger)
        rows = ledger.events(session_id=session, reference=reference, limit=limit, after=after)
    if format is Format.json:
        emit_json(rows)
        return
    console().print(table(None, ["id", "at", "session", "action", "change", "by", "note"],
                          ([str(r["id"]), _when(r["at"]) or "-", str(r["session_id"] or "-"), r["action"],
                            f"{r['from_state'] or '-'} -> {r['to_state'] or '-'}", r["actor"],
                            r["note"] or r["reasons"] or r["provider_status"] or "-"] for r in rows)))


@app.command(cls=Command)
def reconcile(
    database: DatabaseOpt = None,
    config: ConfigOpt = None,
    limit: LimitOpt = 100,
    loop: Annotated[float | None, typer.Option("--loop", metavar="SECONDS", min=1,
                                               help="Run a pass every SECONDS until interrupted.")] = None,
    format: FormatOpt = Format.table,
) -> None:
    """One reconciler pass (for cron): repair unapplied deliveries, recover stale claims, poll the sessions that
    are due and expire those past their deadline. Safe to run from several machines at once. Exits 5 when a
    provider could not be reached for some session (the next pass retries)."""
    with _ledger(database, config, calls_providers=True) as ledger:
        _migrated(ledger)
        while True:
            report = ledger.reconcile(limit=limit).summary()
            if format is Format.json:
                emit_json(report)
            else:
                emit_line(" ".join(f"{k}={v}" for k, v in report.items()))
            if loop is None:
                break
            time.sleep(loop)
    if report["failed"]:
        raise typer.Exit(Exit.TEMPORARY)


@app.command(cls=Command)
def purge(
    older_than: Annotated[float, typer.Option("--older-than", metavar="DAYS", min=0,
                                              help="Remove personal data of sessions decided more than DAYS "
                                                   "days ago.")],
    database: DatabaseOpt = None,
    config: ConfigOpt = None,
    provider_delete: Annotated[bool, typer.Option("--provider-delete/--no-provider-delete",
                                                  help="Also call the provider's own delete operation where it "
                                                       "has one.")] = True,
    format: FormatOpt = Format.table,
) -> None:
    """Remove the personal data, links and refs of old decided sessions, and old webhook bodies; the audit
    trail stays."""
    with _ledger(database, config, calls_providers=True) as ledger:
        _migrated(ledger)
        report: dict[str, Any] = ledger.purge(older_than=older_than * 86400, provider_delete=provider_delete) \
            .summary()
    if format is Format.json:
        emit_json(report)
    else:
        emit_pairs(report.items())
    if report["provider_delete_failed"]:
        raise typer.Exit(Exit.TEMPORARY)
