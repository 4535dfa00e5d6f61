"""The benchmark runs end to end with tiny iteration counts and reports every row (no timing asserted), for
every registered provider with an emulator — and for a copy of the provider template installed only for the
run (an ``ekyc.providers`` entry point in a temporary folder): the benchmark picks a new provider up with no
edit. Every section carries its A/A noise next to the result."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from ekyc import registry
from tests.support.template_copy import install_copy

ROOT = Path(__file__).resolve().parents[2]
#: providers whose official SDK the benchmark compares with, when the SDK is installed (bench/run.py OFFICIAL_SDKS)
WITH_SDK = {"tencent": "tencentcloud", "alibaba": "alibabacloud_cloudauth_intl20220809", "stripe": "stripe",
            "onfido": "onfido"}


def _number(cell: str) -> float:
    return float(cell.strip().rstrip("×").split()[0].lstrip("±").replace(",", ""))


def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    copy = install_copy(tmp_path, "zeta")
    providers = [*(name for name in registry.names() if registry.load(name).emulator is not None), copy.name]
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", "-"],
                          capture_output=True, text=True, timeout=600, cwd=str(ROOT), env=copy.env)
    assert done.returncode == 0, done.stderr[-2000:]
    latest = done.stdout.split("## Spread across runs")[0]  # the kept runs' spread table follows
    lines = [line for line in latest.splitlines() if line.startswith("| ") and "---" not in line]
    header, rows = lines[0], [line for line in lines[1:] if not line.startswith("| Section")]
    assert "A/A noise" in header
    cells = [[c.strip() for c in row.split("|")[1:-1]] for row in rows]
    names = [c[1] for c in cells]
    for provider in providers:
        for mode in ("sync", "async"):
            assert any(n.startswith(f"{provider}: `get_result` {mode} vs raw httpx") for n in names), (provider, mode)
        assert any(n.startswith(f"{provider}: `Client.get_result` vs raw") for n in names), provider
        assert any(n.startswith(f"{provider}: `AsyncClient`") for n in names), provider
        assert any(n.startswith(f"{provider}: same, client CPU per call") for n in names), provider
        assert any(n.startswith(f"{provider}: `parse_result`") for n in names), provider
    sdk_rows = [n for n in names if "`Client.get_result` vs `" in n]
    for provider, module in WITH_SDK.items():
        try:
            __import__(module)
        except ImportError:
            continue
        assert any(n.startswith(f"{provider}: `Client.get_result` vs `") for n in sdk_rows), provider
    cold = [c for c in cells if c[0] == "cold start"]
    assert len(cold) in (5, 9)  # wall and CPU: against the baseline, the Tencent SDK and it against the baseline (when
    # installed), the floor; RSS
    assert len(rows) == 6 * len(providers) + 2 * len(sdk_rows) + len(cold)
    for c in cells:  # every measurement produced a finite result and, where it has a target, a noise floor
        assert math.isfinite(_number(c[4])), c
        if c[6] != "—" and c[1] != "same: peak RSS vs `import httpx, pydantic` + one raw call":
            assert math.isfinite(_number(c[5])), c
        assert c[7] in ("yes", "**no**", "no (within noise)", "clears, but A/A > ±5 %", "—"), c
    assert "Python" in done.stdout and "make bench" in done.stdout and "Spread across runs" in done.stdout
