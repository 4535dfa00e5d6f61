"""The benchmark runs end to end with tiny iteration counts and reports every row (no timing asserted), for
every registered provider with an emulator — and for a copy of the provider template installed only for the
run (an ``ekyc.providers`` entry point in a temporary folder): the benchmark picks a new provider up with no
edit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ekyc import registry
from tests.support.template_copy import install_copy

ROOT = Path(__file__).resolve().parents[2]
#: providers whose official SDK the benchmark compares with, when the SDK is installed (bench/run.py OFFICIAL_SDKS)
WITH_SDK = ("tencent", "alibaba")


def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    copy = install_copy(tmp_path, "zeta")
    providers = [*(name for name in registry.names() if registry.load(name).emulator is not None), copy.name]
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", "-"],
                          capture_output=True, text=True, timeout=300, cwd=str(ROOT), env=copy.env)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    names = [row.split("|")[2].strip() for row in rows]
    for provider in providers:
        assert any(n.startswith(f"{provider}: `Client.get_result` vs raw") for n in names), provider
        assert any(n.startswith(f"{provider}: `AsyncClient`") for n in names), provider
        assert any(n.startswith(f"{provider}: `parse_result`") for n in names), provider
    sdk_rows = [n for n in names if "` vs `" in n and "`Client.get_result` vs `" in n]
    for provider in WITH_SDK:
        assert any(n.startswith(f"{provider}: `Client.get_result` vs `") for n in sdk_rows), provider
    assert sum(1 for r in rows if r.startswith("| cold start")) == 3
    assert len(rows) == 3 * len(providers) + len(sdk_rows) + 3
    for row in rows:  # every measurement produced a finite ratio
        ratio = row.split("|")[5].strip().rstrip("×")
        assert float(ratio) > 0
    assert "Python" in done.stdout and "make bench" in done.stdout
