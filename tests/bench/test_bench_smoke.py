"""The benchmark runs end to end with tiny iteration counts and reports every row (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ("didit", "tencent", "alibaba")


def test_quick_benchmark_prints_every_row() -> None:
    pytest.importorskip("uvicorn")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", "-"],
                          capture_output=True, text=True, timeout=300, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    names = [row.split("|")[2].strip() for row in rows]
    for provider in PROVIDERS:
        assert any(n.startswith(f"{provider}: `Client.get_result` vs raw") for n in names), provider
        assert any(n.startswith(f"{provider}: `AsyncClient`") for n in names), provider
        assert any(n.startswith(f"{provider}: `parse_result`") for n in names), provider
    for provider in ("tencent", "alibaba"):
        assert any(n.startswith(f"{provider}: `Client.get_result` vs `") for n in names), provider
    assert sum(1 for r in rows if r.startswith("| cold start")) == 3
    assert len(rows) == 14
    for row in rows:  # every measurement produced a finite ratio
        ratio = row.split("|")[5].strip().rstrip("×")
        assert float(ratio) > 0
    assert "Python" in done.stdout and "make bench" in done.stdout
