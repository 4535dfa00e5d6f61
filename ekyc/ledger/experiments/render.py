"""The report as Markdown and as plain-text rows for a terminal table (the JSON form is
:meth:`~ekyc.experiments.metrics.Report.to_dict`; the HTML one is :mod:`ekyc.experiments.html`)."""

from __future__ import annotations

from .metrics import GroupMetrics, Report

COLUMNS = ("group", "users", "started", "completed", "approved", "approval rate (CI)", "declined", "review",
           "abandoned", "expired", "pending", "retries/user", "p50 s", "p95 s", "cost/approved")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def row(g: GroupMetrics, currency: str = "") -> list[str]:
    """One group's cells, in :data:`COLUMNS` order."""
    low, high = g.approval_interval
    unit = f" {currency}" if currency else ""
    cost = "—" if g.cost_per_approved_user is None else f"{g.cost_per_approved_user:.2f}{unit}"
    return [g.group, str(g.users), str(g.started), str(g.completed), str(g.approved),
            f"{_pct(g.approval_rate)} ({_pct(low)}–{_pct(high)})", str(g.declined), str(g.review),
            str(g.abandoned), str(g.expired), str(g.pending), f"{g.retries_per_user:.2f}",
            _num(g.p50_seconds), _num(g.p95_seconds), cost]


def _table(groups: list[GroupMetrics], currency: str) -> list[str]:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(row(g, currency)) + " |" for g in groups]
    return out


def notes(rep: Report) -> list[str]:
    """The caveats printed under every form of the report."""
    out = [f"Approval rate = users with an approved session / users; {int(rep.confidence * 100)} % Wilson "
           "intervals. Differences: Newcombe interval, two-proportion z-test."]
    unknown = sum(g.billing_unknown for g in rep.providers)
    if unknown:
        out.append(f"{unknown} sessions end in a status whose billing the code table does not state: counted "
                   "as billed (cost is an upper bound).")
    if rep.untagged:
        out.append(f"{rep.untagged} sessions carry no experiment tag (started with ledger.start, not "
                   "ekyc.experiments.start): their arm is 'untagged' and country/document filters skip them.")
    return out


def markdown(rep: Report, title: str = "Provider comparison") -> str:
    """The report as Markdown: per provider, per arm, declined by reason, comparisons, notes."""
    f = rep.filters.to_dict()
    scope = ", ".join(f"{k} {v if isinstance(v, str) else ', '.join(v)}" for k, v in f.items() if v) or "all sessions"
    out = [f"# {title}", "", f"Scope: {scope}.", "", "## Per provider", "", *_table(rep.providers, rep.currency),
           "", "## Per split arm", "", *_table(rep.arms, rep.currency), "", "## Declined, by reason", ""]
    reasons = sorted({r for g in rep.providers for r in g.declined_by_reason})
    if reasons:
        out += ["| reason | " + " | ".join(g.group for g in rep.providers) + " |",
                "|---|" + "---|" * len(rep.providers)]
        out += [f"| {r} | " + " | ".join(str(g.declined_by_reason.get(r, 0)) for g in rep.providers) + " |"
                for r in reasons]
    else:
        out.append("No declined sessions.")
    out += ["", "## Differences in approval rate", ""]
    if rep.comparisons:
        out += ["| a | b | rate a | rate b | difference (CI) | p | verdict |", "|---|---|---|---|---|---|---|"]
        for c in rep.comparisons:
            low, high = c.interval
            out.append(f"| {c.a} | {c.b} | {_pct(c.rate_a)} | {_pct(c.rate_b)} | {100 * c.difference:+.1f} pts "
                       f"({100 * low:+.1f} to {100 * high:+.1f}) | {c.p_value:.3g} | {c.verdict} |")
    else:
        out.append("Fewer than two providers: nothing to compare.")
    out += ["", *(f"- {n}" for n in notes(rep)), ""]
    return "\n".join(out)
