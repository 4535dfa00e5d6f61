"""Bake-off metrics from the ledger: per provider and per split arm, filterable by period, country and document
type (``docs/comparing-providers.md``).

Units: a **session** is one ledger session (a provider session the user could open); a **user** is one
ledger reference. A user keeps one provider under a sticky split, so rates per user are independent samples
of the arms — the comparisons use them. Times are seconds; money is in the configured unit prices' currency.

Counted (``FAILED`` claims and ``STARTING`` slots are never sessions a user saw, so they are left out):

* ``started`` sessions, ``users``, ``retries_per_user`` (sessions beyond the first, per user);
* ``completed`` — sessions the user finished with a decision: ``approved`` + ``declined`` + ``review``;
* ``declined_by_reason`` — declined sessions per neutral :class:`~ekyc.ReasonCode` (a session with two
  reasons counts under both); ``abandoned``, ``expired``, ``pending``, ``error``;
* ``approved_users`` and ``approval_rate`` (approved users / users, with a Wilson interval);
* time to decision p50/p95: ``decided_at - created_at`` of approved and declined sessions;
* cost: every session whose provider status is billed under the provider's code table
  (:attr:`ekyc.codes.CodeEntry.billed`) costs its unit price; a status the table marks neither way (or no
  status) is **counted as billed** — the conservative side — and reported in ``billing_unknown``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, inspect, select

from ... import registry
from ...models import Outcome
from ..schema import sessions
from .stats import Comparison, compare, wilson
from .tags import tags

UNTAGGED = "untagged"
_DECIDED = (Outcome.APPROVED.value, Outcome.DECLINED.value)


@dataclass(frozen=True)
class Filters:
    """Which sessions count: started in ``[since, until)`` (epoch seconds), of these countries / document
    types (a session without a recorded country or document type never matches a filter on it), providers."""

    since: float | None = None
    until: float | None = None
    countries: frozenset[str] = frozenset()
    document_types: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {"since": _iso(self.since), "until": _iso(self.until), "countries": sorted(self.countries),
                "document_types": sorted(self.document_types), "providers": sorted(self.providers)}


@dataclass(frozen=True)
class Record:
    """One ledger session as the metrics see it (nothing personal: the reference is only counted)."""

    reference: str
    provider: str
    arm: str
    state: str
    provider_status: str | None
    reasons: tuple[str, ...]
    created_at: float
    decided_at: float | None
    country: str | None = None
    document_type: str | None = None


@dataclass
class GroupMetrics:
    """The metrics of one group (a provider, or a split arm)."""

    group: str
    provider: str
    started: int = 0
    users: int = 0
    completed: int = 0
    approved: int = 0
    declined: int = 0
    review: int = 0
    abandoned: int = 0
    expired: int = 0
    pending: int = 0
    error: int = 0
    declined_by_reason: dict[str, int] = field(default_factory=dict)
    approved_users: int = 0
    approval_rate: float = 0.0
    approval_interval: tuple[float, float] = (0.0, 1.0)
    retries_per_user: float = 0.0
    decision_seconds: list[float] = field(default_factory=list, repr=False)
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    billed: int = 0
    billing_unknown: int = 0
    unit_price: float | None = None
    cost: float | None = None
    cost_per_approved_user: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (without the raw decision times)."""
        out = {k: v for k, v in self.__dict__.items() if k != "decision_seconds"}
        out["approval_interval"] = list(self.approval_interval)
        return out


@dataclass
class Report:
    """Everything ``ekyc report`` shows."""

    filters: Filters
    providers: list[GroupMetrics]
    arms: list[GroupMetrics]
    comparisons: list[Comparison]
    timeline: dict[str, list[tuple[float, int, int]]]
    """per provider: (bucket start epoch, sessions started, approved) per day"""
    currency: str = ""
    confidence: float = 0.95
    untagged: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON report."""
        return {"filters": self.filters.to_dict(), "confidence": self.confidence, "currency": self.currency,
                "untagged_sessions": self.untagged,
                "providers": [g.to_dict() for g in self.providers], "arms": [g.to_dict() for g in self.arms],
                "comparisons": [c.to_dict() for c in self.comparisons],
                "timeline": {p: [{"day": _iso(t), "started": n, "approved": a} for t, n, a in rows]
                             for p, rows in self.timeline.items()}}


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load(engine: Engine, filters: Filters | None = None) -> list[Record]:
    """The sessions of the ledger on ``engine`` that ``filters`` selects, with their experiment tags."""
    filters = filters or Filters()
    tagged = inspect(engine).has_table(tags.name)
    cols = [sessions.c.reference, sessions.c.provider, sessions.c.state, sessions.c.provider_status,
            sessions.c.reasons, sessions.c.created_at, sessions.c.decided_at]
    if tagged:
        query = select(*cols, tags.c.arm, tags.c.country, tags.c.document_type).select_from(
            sessions.outerjoin(tags, tags.c.session_id == sessions.c.id))
    else:
        query = select(*cols)
    conds: list[ColumnElement[bool]] = [sessions.c.provider.is_not(None),
                                        sessions.c.state.not_in(("FAILED", "STARTING"))]
    if filters.since is not None:
        conds.append(sessions.c.created_at >= filters.since)
    if filters.until is not None:
        conds.append(sessions.c.created_at < filters.until)
    if filters.providers:
        conds.append(sessions.c.provider.in_(sorted(filters.providers)))
    if filters.countries or filters.document_types:
        if not tagged:
            return []
        if filters.countries:
            conds.append(tags.c.country.in_(sorted(filters.countries)))
        if filters.document_types:
            conds.append(tags.c.document_type.in_(sorted(filters.document_types)))
    out: list[Record] = []
    with engine.connect() as conn:
        for row in conn.execute(query.where(and_(*conds)).order_by(sessions.c.id)):
            arm = getattr(row, "arm", None)
            out.append(Record(reference=row.reference, provider=row.provider, arm=arm or UNTAGGED,
                              state=row.state, provider_status=row.provider_status,
                              reasons=tuple(r for r in (row.reasons or "").split(",") if r),
                              created_at=row.created_at, decided_at=row.decided_at,
                              country=getattr(row, "country", None), document_type=getattr(row, "document_type", None)))
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values`` by linear interpolation between order statistics
    (NumPy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def billed(provider: str, status: str | None) -> bool | None:
    """Whether a session ending in provider ``status`` is billed under the provider's code table: True/False
    where the table's entries for that code say so (any billed entry wins), None where it says nothing."""
    if status is None:
        return None
    try:
        table = registry.load(provider).code_table
    except Exception:  # a provider no longer installed: its billing is unknown
        return None
    flags = [e.billed for e in table if e.code == status and e.billed is not None]
    if not flags:
        return None
    return any(flags)


def _group(name: str, provider: str, records: Iterable[Record], price: float | None) -> GroupMetrics:
    g = GroupMetrics(group=name, provider=provider, unit_price=price)
    by_user: dict[str, list[Record]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for r in records:
        by_user[r.reference].append(r)
        g.started += 1
        state = r.state
        if state == Outcome.APPROVED.value:
            g.approved += 1
        elif state == Outcome.DECLINED.value:
            g.declined += 1
            reasons.update(r.reasons or ("UNKNOWN",))
        elif state == Outcome.REVIEW.value:
            g.review += 1
        elif state == Outcome.ABANDONED.value:
            g.abandoned += 1
        elif state == Outcome.EXPIRED.value:
            g.expired += 1
        elif state == Outcome.ERROR.value:
            g.error += 1
        else:
            g.pending += 1
        if state in _DECIDED and r.decided_at is not None:
            g.decision_seconds.append(max(0.0, r.decided_at - r.created_at))
        flag = billed(r.provider, r.provider_status)
        g.billed += flag is not False
        g.billing_unknown += flag is None
    g.completed = g.approved + g.declined + g.review
    g.declined_by_reason = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    g.users = len(by_user)
    g.approved_users = sum(1 for rs in by_user.values() if any(r.state == Outcome.APPROVED.value for r in rs))
    g.approval_rate = g.approved_users / g.users if g.users else 0.0
    g.approval_interval = wilson(g.approved_users, g.users)
    g.retries_per_user = (g.started - g.users) / g.users if g.users else 0.0
    g.p50_seconds = percentile(g.decision_seconds, 50)
    g.p95_seconds = percentile(g.decision_seconds, 95)
    if price is not None:
        g.cost = g.billed * price
        g.cost_per_approved_user = g.cost / g.approved_users if g.approved_users else None
    return g


def compute(records: Sequence[Record], *, prices: Mapping[str, float] | None = None, currency: str = "",
            filters: Filters | None = None, alpha: float = 0.05, bucket: float = 86400.0) -> Report:
    """The report of ``records``: metrics per provider and per arm, every pair of providers (and of arms
    within a rule) compared on approval rate per user, and the approval rate per ``bucket`` seconds."""
    prices = prices or {}
    by_provider: dict[str, list[Record]] = defaultdict(list)
    by_arm: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_provider[r.provider].append(r)
        by_arm[r.arm].append(r)
    order = [p for p in registry.names() if p in by_provider] + sorted(set(by_provider) - set(registry.names()))
    providers = [_group(p, p, by_provider[p], prices.get(p)) for p in order]
    arms = [_group(a, by_arm[a][0].provider, by_arm[a], prices.get(by_arm[a][0].provider)) for a in sorted(by_arm)]
    comparisons = _pairs("approval", providers, alpha)
    rules: dict[str, list[GroupMetrics]] = defaultdict(list)
    for g in arms:
        rules[g.group.rsplit(":", 1)[0]].append(g)
    for rule, groups in sorted(rules.items()):
        if rule != UNTAGGED and len(groups) > 1 and not rule_covers_all(groups, providers):
            comparisons += _pairs("approval", groups, alpha)
    timeline: dict[str, list[tuple[float, int, int]]] = {}
    for p in order:
        buckets: dict[float, list[int]] = defaultdict(lambda: [0, 0])
        for r in by_provider[p]:
            start = math.floor(r.created_at / bucket) * bucket
            buckets[start][0] += 1
            buckets[start][1] += r.state == Outcome.APPROVED.value
        timeline[p] = [(t, n, a) for t, (n, a) in sorted(buckets.items())]
    return Report(filters=filters or Filters(), providers=providers, arms=arms, comparisons=comparisons,
                  timeline=timeline, currency=currency, confidence=1 - alpha,
                  untagged=sum(1 for r in records if r.arm == UNTAGGED))


def rule_covers_all(groups: Sequence[GroupMetrics], providers: Sequence[GroupMetrics]) -> bool:
    """Whether a rule's arms hold all of their providers' traffic (then comparing the arms would repeat the
    provider comparison)."""
    counts = {g.provider: (g.users, g.approved_users) for g in providers}
    return len(groups) == len(providers) and all(counts.get(g.provider) == (g.users, g.approved_users)
                                                 for g in groups)


def _pairs(metric: str, groups: Sequence[GroupMetrics], alpha: float) -> list[Comparison]:
    out = []
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            out.append(compare(metric, a.group, a.approved_users, a.users, b.group, b.approved_users, b.users,
                               alpha=alpha))
    return out


def report(engine: Engine, filters: Filters | None = None, **options: Any) -> Report:
    """:func:`load` then :func:`compute` (``options`` as for :func:`compute`)."""
    return compute(load(engine, filters), filters=filters, **options)
