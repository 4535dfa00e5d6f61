"""The acceptance on simulated ledgers whose true rates are known: the reported rates fall inside their
reported intervals, the test flags a real difference and does not flag an absent one (fixed seeds: the
simulation is deterministic, so these runs are the same every time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekyc.cli.simulate import Outcomes, run
from ekyc.ledger.engine import make_engine
from ekyc.ledger.experiments import Filters, report

from .conftest import MIXED_DOCUMENTS, TRUE, simulation


def _report(path: Path, filters: Filters | None = None, **options: object):  # type: ignore[no-untyped-def]
    engine = make_engine(path)
    try:
        return report(engine, filters, **options)
    finally:
        engine.dispose()


def test_counts_match_what_was_played(simulated: tuple[Path, Outcomes]) -> None:
    path, played = simulated
    rep = _report(path)
    by = {g.group: g for g in rep.providers}
    assert set(by) == set(played.played) == set(TRUE)
    for name, scenarios in played.played.items():
        g = by[name]
        assert g.started == sum(scenarios.values()) == g.users  # no retries in this simulation
        assert g.approved == scenarios.get("approved", 0)
        assert g.declined == scenarios.get("face_mismatch", 0) + scenarios.get("poor_capture", 0)
        assert g.declined_by_reason.get("FACE_MISMATCH", 0) == scenarios.get("face_mismatch", 0)
        assert g.declined_by_reason.get("CAPTURE_QUALITY", 0) == scenarios.get("poor_capture", 0)
        assert g.completed == g.approved + g.declined + g.review
        assert g.p50_seconds is not None and g.p95_seconds is not None and 0 < g.p50_seconds <= g.p95_seconds
        assert g.retries_per_user == 0.0
    assert sum(g.users for g in rep.providers) == played.users == 80
    # the split's arms, plus the users the rule could not route to tencent (ID cards): the default provider's
    assert {g.group for g in rep.arms} == {"bakeoff:didit", "bakeoff:tencent", "default:didit"}
    ids = _report(path, Filters(document_types=frozenset({"ID_CARD"})))
    assert "default:didit" in {g.group for g in ids.arms} <= {"bakeoff:didit", "default:didit"}
    assert rep.untagged == 0


def test_filters_by_country_document_type_period_and_provider(simulated: tuple[Path, Outcomes]) -> None:
    path, _ = simulated
    everything = sum(g.started for g in _report(path).providers)
    gbr = sum(g.started for g in _report(path, Filters(countries=frozenset({"GBR"}))).providers)
    deu = sum(g.started for g in _report(path, Filters(countries=frozenset({"DEU"}))).providers)
    assert gbr + deu == everything and gbr > deu > 0
    ids = sum(g.started for g in _report(path, Filters(document_types=frozenset({"ID_CARD"}))).providers)
    assert 0 < ids < everything
    only = _report(path, Filters(providers=frozenset({"tencent"})))
    assert [g.group for g in only.providers] == ["tencent"] and not only.comparisons
    assert not _report(path, Filters(until=0.0)).providers


def test_cost_per_approved_user_uses_prices_and_billing_flags(simulated: tuple[Path, Outcomes]) -> None:
    path, _ = simulated
    rep = _report(path, prices={"didit": 1.0, "tencent": 0.5}, currency="USD")
    for g in rep.providers:
        assert g.cost is not None and g.cost_per_approved_user is not None
        assert g.cost == pytest.approx(g.billed * g.unit_price)
        assert g.billing_unknown <= g.billed <= g.started
        assert g.cost_per_approved_user == pytest.approx(g.cost / g.approved_users)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_real_difference_is_flagged_and_rates_fall_in_their_intervals(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "diff.db"
    run(simulation(seed, TRUE), path)
    rep = _report(path)
    for g in rep.providers:
        low, high = g.approval_interval
        assert low <= TRUE[g.group] <= high, (g.group, g.approval_rate, g.approval_interval)
    (c,) = rep.comparisons
    assert c.enough_data and c.significant, c.verdict
    low, high = c.interval
    assert low <= TRUE[c.a] - TRUE[c.b] <= high


@pytest.mark.parametrize("seed", [3, 4])
def test_an_absent_difference_is_not_flagged(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "same.db"
    same = {"didit": 0.6, "tencent": 0.6}
    run(simulation(seed, same), path)
    rep = _report(path)
    for g in rep.providers:
        low, high = g.approval_interval
        assert low <= 0.6 <= high
    (c,) = rep.comparisons
    assert not c.significant, c.verdict
    assert c.interval[0] <= 0.0 <= c.interval[1]


def test_the_same_seed_fills_the_same_ledger(tmp_path: Path, simulated: tuple[Path, Outcomes]) -> None:
    path, played = simulated
    again = run(simulation(1, TRUE, documents=MIXED_DOCUMENTS), tmp_path / "again.db")
    assert again.played == played.played
    first, second = _report(path).to_dict(), _report(tmp_path / "again.db").to_dict()
    assert first == second
