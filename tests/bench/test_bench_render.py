"""A kept full run renders the page again without measuring (``bench/run.py --render``): every row, its verdict
and the run's facts come back from ``bench/runs/<stamp>.json`` as they were written."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette")  # bench/run.py imports the sandbox's scenario requests
BENCH = Path(__file__).resolve().parents[2] / "bench"
_spec = importlib.util.spec_from_file_location("ekyc_bench_run", BENCH / "run.py")
assert _spec is not None and _spec.loader is not None
run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = run  # dataclasses look their module up while the class is built
_spec.loader.exec_module(run)


def test_a_kept_run_renders_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "RUNS", tmp_path)
    rows = [
        run.Row("cold start", "a: wall", 300.0, 200.0, "ms", "<= 1.20", 0.04, value=1.5, note="bare 11 ms"),
        run.Row("async throughput (loopback)", "b", 100.0, 98.0, "calls/s", ">= 0.95", 0.06),
        run.Row("per-call CPU (in process)", "c", 90.0, 60.0, "µs", "<= 40", 5.0, kind="diff", value=30.0),
        run.Row("normalization (CPU)", "d", 10.0, 2.0, "µs", "", 0.1),
    ]
    facts = {"machine": "- CPU: test", "date": "2099-01-01 00:00 UTC", "mode": "full", "seconds": "1"}
    run.save(rows, "20990101-0000", facts)
    back, facts_back = run.kept()
    assert facts_back == facts
    assert [(r.section, r.name, r.result, r.noise, r.met, r.ours, r.theirs, r.note) for r in back] == \
           [(r.section, r.name, r.result, r.noise, r.met, r.ours, r.theirs, r.note) for r in rows]
    assert [r.met for r in back] == ["**no**", run.UNRESOLVED, "yes", "—"]
    page = run.render(back, facts_back)
    assert run.table(rows) in page and "2099-01-01 00:00 UTC" in page and "- CPU: test" in page


def test_render_refuses_runs_kept_without_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "RUNS", tmp_path)
    (tmp_path / "20000101-0000.json").write_text('{"run": "20000101-0000", "rows": []}', encoding="utf-8")
    with pytest.raises(SystemExit, match="no kept run"):
        run.kept()


def test_the_spread_judges_kept_runs_by_the_current_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run kept before the ±5 % A/A rule saved a plain "yes" for a ratio whose A/A was wider: not counted."""
    monkeypatch.setattr(run, "RUNS", tmp_path)
    old = {"section": "s", "name": "n", "result": 0.5, "noise": 0.2, "unit": "µs", "kind": "ratio",
           "target": "< 1.00", "met": "yes"}
    (tmp_path / "20000101-0000.json").write_text(run.json.dumps({"run": "20000101-0000", "rows": [old]}),
                                                 encoding="utf-8")
    current = [run.Row("s", "n", 1.0, 2.0, "µs", "< 1.00", 0.2)]
    line = next(x for x in run.spread(current).splitlines() if x.startswith("| s | n |"))
    assert line.endswith("| 0 of 1 |")
    old["noise"] = 0.04
    (tmp_path / "20000101-0000.json").write_text(run.json.dumps({"run": "20000101-0000", "rows": [old]}),
                                                 encoding="utf-8")
    line = next(x for x in run.spread(current).splitlines() if x.startswith("| s | n |"))
    assert line.endswith("| 1 of 1 |")
