"""``ekyc report`` and ``ekyc simulate``: compare providers on live traffic from the ledger
(``docs/comparing-providers.md``). Needs the ``report`` extra; imported lazily so the rest of the CLI works
without it. Registered on the app by :func:`register` (one line in ``app.py``).

The database is ``--database PATH_OR_URL`` or ``EKYC_LEDGER_DATABASE`` (as for ``ekyc ledger``). Unit prices are
``--price PROVIDER=AMOUNT`` (repeat) or ``EKYC_PRICES=didit:0.9,tencent:0.6``. Nothing personal is printed.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .exits import CliError, Command, Exit, usage
from .output import console, emit_line, emit_prose, table

if TYPE_CHECKING:
    from ..ledger.experiments.metrics import Report

DATABASE_ENV = "EKYC_LEDGER_DATABASE"
DEFAULT_DATABASE = "ekyc-ledger.db"
PRICES_ENV = "EKYC_PRICES"


class ReportFormat(str, Enum):
    """``--format`` of ``ekyc report``."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", metavar="PATH_OR_URL",
    help=f"SQLite file or database URL (default: ${DATABASE_ENV}, else {DEFAULT_DATABASE}).")]


def _needs_extra() -> None:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise CliError(f"this command needs the 'report' extra ({exc.name} is not installed): "
                       "pip install 'ekyc-bridge[report]'") from None


def _when(value: str | None, flag: str) -> float | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise usage(f"{flag}: {value!r} is not an ISO date or date-time (2026-01-05 or 2026-01-05T12:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _pairs(values: list[str], flag: str, sep: str = "=") -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values:
        name, found, number = value.partition(sep)
        try:
            amount = float(number)
        except ValueError:
            amount = float("nan")
        if not found or not name or not amount == amount or amount < 0:  # NaN != NaN
            raise usage(f"{flag}: {value!r} is not NAME{sep}NUMBER (a non-negative number)")
        out[name.strip()] = amount
    return out


def _prices(values: list[str]) -> dict[str, float]:
    env = os.environ.get(PRICES_ENV, "")
    prices = _pairs([v for v in env.split(",") if v.strip()], PRICES_ENV, ":") if env.strip() else {}
    prices.update(_pairs(values, "--price"))
    return prices


def report(
    database: DatabaseOpt = None,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="Sessions started at or after "
                                                                               "DATE (ISO, UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="DATE", help="Sessions started before DATE.")]
    = None,
    country: Annotated[list[str] | None, typer.Option("--country", metavar="CODE",
                                                      help="Only this country (repeat for several).")] = None,
    document_type: Annotated[list[str] | None, typer.Option(
        "--document-type", metavar="TYPE", help="Only this document type, e.g. PASSPORT (repeat).")] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", metavar="NAME",
                                                       help="Only this provider (repeat).")] = None,
    price: Annotated[list[str] | None, typer.Option(
        "--price", metavar="PROVIDER=AMOUNT", help=f"Unit price per billed session (repeat; or ${PRICES_ENV}).")]
    = None,
    currency: Annotated[str, typer.Option("--currency", metavar="CODE", help="Label of the prices.")] = "",
    alpha: Annotated[float, typer.Option("--alpha", min=0.001, max=0.5,
                                         help="Significance level (intervals at 1 - alpha).")] = 0.05,
    format: Annotated[ReportFormat, typer.Option("--format", metavar="[table|json|markdown|html]",
                                                 help="table, json, markdown, or html (self-contained page "
                                                      "with plots).")] = ReportFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Compare providers from the ledger: funnel, outcomes, time to decision,
    cost per approved user, and the differences with intervals and a test.

    Exits 0, or 1 when the ledger cannot be read.
    """
    _needs_extra()
    from sqlalchemy.exc import SQLAlchemyError

    from ..ledger.engine import make_engine
    from ..ledger.experiments.metrics import Filters
    from ..ledger.experiments.metrics import report as build

    filters = Filters(since=_when(since, "--since"), until=_when(until, "--until"),
                      countries=frozenset(c.upper() for c in country or ()),
                      document_types=frozenset(d.upper() for d in document_type or ()),
                      providers=frozenset(provider or ()))
    prices = _prices(price or [])
    target = database or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
    if "://" not in target and not Path(target).exists():
        raise CliError(f"no ledger at {target}: give --database (or run 'ekyc simulate' to make one)")
    engine = make_engine(target)
    try:
        rep = build(engine, filters, prices=prices, currency=currency, alpha=alpha)
    except SQLAlchemyError as exc:
        raise CliError(f"cannot read the ledger: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    text = _render(rep, format)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        emit_line(f"wrote {output}")
    elif format is ReportFormat.table:
        _print_table(rep)
    else:
        typer.get_text_stream("stdout").write(text if text.endswith("\n") else text + "\n")


def _render(rep: Report, format: ReportFormat) -> str:
    import json

    from ..ledger.experiments import html, render

    if format is ReportFormat.json:
        return json.dumps(rep.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if format is ReportFormat.markdown or format is ReportFormat.table:
        return render.markdown(rep)
    try:
        return html.render(rep)
    except ImportError as exc:
        raise CliError(str(exc)) from None


def _print_table(rep: Report) -> None:
    from ..ledger.experiments.render import notes

    out = console()
    rows = []
    for g in rep.providers:
        low, high = g.approval_interval
        cost = "-" if g.cost_per_approved_user is None else f"{g.cost_per_approved_user:.2f}"
        rows.append([g.group, str(g.users), str(g.started), f"{g.approved}/{g.declined}/{g.review}",
                     f"{g.abandoned}/{g.expired}", f"{100 * g.approval_rate:.1f}% ({100 * low:.0f}-{100 * high:.0f})",
                     "-" if g.p50_seconds is None else f"{g.p50_seconds / 60:.1f}/{(g.p95_seconds or 0) / 60:.1f}",
                     f"{g.retries_per_user:.2f}", cost])
    out.print(table("Per provider", ["provider", "users", "sessions", "appr/decl/rev", "aband/exp",
                                     "approval (CI)", "p50/p95 min", "retries", "cost/appr"], rows))
    if len(rep.arms) > 1:
        arms = [[g.group, str(g.users), f"{100 * g.approval_rate:.1f}%"] for g in rep.arms]
        out.print(table("Per split arm", ["arm", "users", "approval"], arms))
    for c in rep.comparisons:
        emit_prose(f"{c.a} vs {c.b}: {100 * c.difference:+.1f} pts ({100 * c.interval[0]:+.1f} to "
                   f"{100 * c.interval[1]:+.1f}); {c.verdict}")
    for n in notes(rep):
        emit_prose(f"- {n}")


def simulate(
    database: DatabaseOpt = None,
    users: Annotated[int, typer.Option("--users", metavar="N", min=1, max=1_000_000,
                                       help="Users to simulate.")] = 200,
    split: Annotated[list[str] | None, typer.Option(
        "--split", metavar="PROVIDER=WEIGHT", help="Weighted split (repeat; default: every sandbox provider, "
                                                   "equal weights).")] = None,
    mix: Annotated[list[str] | None, typer.Option(
        "--mix", metavar="PROVIDER:SCENARIO=W,…", help="A provider's scenario mix, e.g. "
                                                       "didit:approved=80,face_mismatch=20 (repeat).")] = None,
    delay: Annotated[list[str] | None, typer.Option(
        "--delay", metavar="PROVIDER=SECONDS", help="Mean seconds from start to the user finishing (repeat).")]
    = None,
    country: Annotated[list[str] | None, typer.Option("--country", metavar="CODE=W",
                                                      help="Country mix (repeat; default GBR=1).")] = None,
    document_type: Annotated[list[str] | None, typer.Option(
        "--document-type", metavar="TYPE=W", help="Document type mix (repeat; default PASSPORT=1).")] = None,
    days: Annotated[float, typer.Option("--days", min=0.01, max=3650, help="Arrival window in days.")] = 7.0,
    retry: Annotated[float, typer.Option("--retry", min=0.0, max=1.0, help="Probability that a declined, "
                                                                           "abandoned or expired user tries "
                                                                           "again.")] = 0.3,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same ledger).")] = 0,
) -> None:
    """Fill a ledger with simulated sandbox traffic under a weighted split.

    Each provider plays its own scenario mix with its own delays, on a frozen
    sandbox clock (instant, deterministic for --seed). Then 'ekyc report'.
    """
    _needs_extra()
    from ..errors import ConfigurationError
    from .simulate import Mix, Simulation, providers, run

    names = providers()
    weights = _pairs(split or [], "--split") if split else dict.fromkeys(names, 1.0)
    mixes: dict[str, Mix] = {}
    delays = _pairs(delay or [], "--delay")
    from .simulate import DEFAULT_MIX

    for value in mix or []:
        name, found, rest = value.partition(":")
        if not found:
            raise usage(f"--mix: {value!r} is not PROVIDER:SCENARIO=W,…")
        mixes[name] = Mix(_pairs([p for p in rest.split(",") if p], "--mix"))
    for name, seconds in delays.items():
        mixes[name] = Mix(mixes.get(name, DEFAULT_MIX).scenarios, seconds)  # None: the default scenarios
    sim = Simulation(users=users, split=weights, mixes=mixes,
                     countries={k.upper(): v for k, v in _pairs(country, "--country").items()} if country
                     else {"GBR": 1.0},
                     document_types={k.upper(): v for k, v in _pairs(document_type, "--document-type").items()}
                     if document_type else {"PASSPORT": 1.0},
                     period=days * 86400.0, retry=retry, seed=seed)
    target = database or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
    try:
        outcome = run(sim, target)
    except ConfigurationError as exc:
        raise usage(str(exc)) from None
    emit_line(f"simulated {outcome.users} users, {outcome.sessions} sessions, {outcome.deliveries} deliveries "
              f"into {target}")
    for name, played in outcome.played.items():
        emit_prose(f"  {name}: " + ", ".join(f"{s} {n}" for s, n in sorted(played.items())))
    emit_line(f"next: ekyc report --database {target} --format html -o report.html")


def register(app: Any) -> None:
    """Add ``report`` and ``simulate`` to the ``ekyc`` app."""
    app.command("report", cls=Command)(report)
    app.command("simulate", cls=Command)(simulate)


__all__ = ["Exit", "register"]
