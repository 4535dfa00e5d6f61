"""The report as one self-contained HTML page: tables plus four plots drawn by matplotlib (``Figure`` objects
rendered to SVG, no pyplot state, no GUI backend) and inlined — no script, stylesheet, font or image is fetched
from anywhere, so the page opens offline. Text in the SVGs is drawn as paths (``svg.fonttype = "path"``).

Plots: the funnel per provider (started → completed → approved), the outcome mix and the declined reasons,
time-to-decision distributions, and the approval rate per day with its Wilson interval.
"""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, timezone
from typing import Any

from .metrics import Report
from .render import COLUMNS, notes, row
from .stats import wilson

_OUTCOMES = ("approved", "declined", "review", "abandoned", "expired", "pending", "error")
_COLORS = {"approved": "#2e7d32", "declined": "#c62828", "review": "#f9a825", "abandoned": "#6d4c41",
           "expired": "#757575", "pending": "#90caf9", "error": "#6a1b9a"}


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"the HTML report needs the 'report' extra ({exc.name} is not installed): "
                          "pip install 'ekyc-bridge[report]'") from None
    matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "ekyc-report", "font.size": 9})
    from matplotlib.figure import Figure

    return Figure


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, flags=re.S)
    return text.strip()


def funnel(rep: Report) -> str:
    """Grouped bars: started, completed, approved sessions per provider."""
    fig = _matplotlib()(figsize=(6.5, 3.2))
    ax = fig.add_subplot()
    names = [g.group for g in rep.providers]
    stages = (("started", "#90a4ae"), ("completed", "#42a5f5"), ("approved", "#2e7d32"))
    width = 0.8 / len(stages)
    for i, (stage, color) in enumerate(stages):
        xs = [k + (i - 1) * width for k in range(len(names))]
        ax.bar(xs, [getattr(g, stage) for g in rep.providers], width, label=stage, color=color)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("sessions")
    ax.set_title("Funnel per provider")
    ax.legend(frameon=False)
    return _svg(fig)


def outcome_mix(rep: Report) -> str:
    """Stacked shares of each outcome per provider, and the declined sessions by neutral reason."""
    fig = _matplotlib()(figsize=(9, 3.4))
    ax, bx = fig.subplots(1, 2)
    names = [g.group for g in rep.providers]
    bottom = [0.0] * len(names)
    for outcome in _OUTCOMES:
        shares = [getattr(g, outcome) / g.started if g.started else 0.0 for g in rep.providers]
        ax.bar(names, shares, bottom=bottom, label=outcome, color=_COLORS[outcome])
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of sessions")
    ax.set_title("Outcome mix")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    reasons = sorted({r for g in rep.providers for r in g.declined_by_reason})
    bottom = [0.0] * len(names)
    for i, reason in enumerate(reasons):
        counts = [float(g.declined_by_reason.get(reason, 0)) for g in rep.providers]
        bx.bar(names, counts, bottom=bottom, label=reason, color=f"C{i % 10}")
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    bx.set_ylabel("declined sessions")
    bx.set_title("Declined, by reason")
    if reasons:
        bx.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(wspace=0.9)
    return _svg(fig)


def decision_times(rep: Report) -> str:
    """Box plots of time to decision (minutes) per provider, p50 and p95 marked."""
    fig = _matplotlib()(figsize=(6.5, 3.2))
    ax = fig.add_subplot()
    groups = [g for g in rep.providers if g.decision_seconds]
    if groups:
        ax.boxplot([[s / 60 for s in g.decision_seconds] for g in groups], whis=(5, 95), showfliers=False)
        ax.set_xticks(range(1, len(groups) + 1), [g.group for g in groups])
        for k, g in enumerate(groups, start=1):
            for q, marker in ((g.p50_seconds, "o"), (g.p95_seconds, "^")):
                if q is not None:
                    ax.plot([k], [q / 60], marker=marker, color="black", markersize=4)
    ax.set_ylabel("minutes (box: quartiles; whiskers: p5–p95)")
    ax.set_title("Time to decision (approved and declined)")
    return _svg(fig)


def rate_over_time(rep: Report) -> str:
    """The approval rate of the sessions started each day, per provider, with its Wilson interval."""
    fig = _matplotlib()(figsize=(9, 3.2))
    ax = fig.add_subplot()
    for i, (provider, rows) in enumerate(rep.timeline.items()):
        if not rows:
            continue
        days = [datetime.fromtimestamp(t, tz=timezone.utc) for t, _, _ in rows]
        rates = [a / n if n else 0.0 for _, n, a in rows]
        bands = [wilson(a, n, rep.confidence) for _, n, a in rows]
        ax.plot(days, rates, marker="o", markersize=3, color=f"C{i}", label=provider)
        ax.fill_between(days, [b[0] for b in bands], [b[1] for b in bands], color=f"C{i}", alpha=0.15)
    ax.set_ylim(0, 1)
    ax.set_ylabel("approved / started")
    ax.set_title(f"Approval rate per day ({int(rep.confidence * 100)} % Wilson interval)")
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    return _svg(fig)


_STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0;font-size:.85em}td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}svg{max-width:100%;height:auto}
.verdict{font-weight:600}"""


def _html_table(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(rep: Report, title: str = "Provider comparison") -> str:
    """The whole page (UTF-8 text)."""
    plots = [("funnel", funnel(rep)), ("outcomes", outcome_mix(rep)), ("decision-times", decision_times(rep)),
             ("approval-over-time", rate_over_time(rep))]
    comparisons = [[c.a, c.b, f"{100 * c.rate_a:.1f}%", f"{100 * c.rate_b:.1f}%",
                    f"{100 * c.difference:+.1f} pts ({100 * c.interval[0]:+.1f} to {100 * c.interval[1]:+.1f})",
                    f"{c.p_value:.3g}", c.verdict] for c in rep.comparisons]
    f = rep.filters.to_dict()
    scope = ", ".join(f"{k} {v if isinstance(v, str) else ', '.join(v)}" for k, v in f.items() if v) or "all sessions"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>Scope: {html.escape(scope)}.</p>",
        "<h2>Per provider</h2>", _html_table(COLUMNS, [row(g, rep.currency) for g in rep.providers]),
        "<h2>Per split arm</h2>", _html_table(COLUMNS, [row(g, rep.currency) for g in rep.arms]),
        "<h2>Differences in approval rate</h2>",
        _html_table(["a", "b", "rate a", "rate b", "difference (CI)", "p", "verdict"], comparisons)
        if comparisons else "<p>Fewer than two providers: nothing to compare.</p>",
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes(rep)) + "</ul>",
        "<h2>Plots</h2>",
        *(f'<figure id="{name}" class="plot">{svg}</figure>' for name, svg in plots),
        "</body></html>",
    ]
    return "\n".join(parts)
