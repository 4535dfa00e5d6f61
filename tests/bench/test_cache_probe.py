"""The cold-cache probe (``bench/_cache.py``) runs end to end in its quick mode and prints, for each provider
and buffer size, every figure with its A/A noise (no timing asserted: the figures of a quick run mean nothing)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"([+-]?\d+\.\d)"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_quick_probe_prints_every_figure(mode: str) -> None:
    pytest.importorskip("starlette")  # the recording comes from the sandbox
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "_cache.py"), "--quick", "--flush", "0,1",
                           "--mode", mode, "stripe", "onfido"],
                          capture_output=True, text=True, timeout=300, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["stripe", "flush", "0"], ["stripe", "flush", "1"], ["onfido", "flush", "0"], ["onfido", "flush", "1"]]
    for line in lines:
        names = ("ekyc", "raw", "overhead", r"\(A/A ±", "parse_result", "json.loads", "rest")
        for name in names:
            found = re.search(name + r"\s*" + NUMBER, line)
            assert found is not None and math.isfinite(float(found.group(1))), (name, line)
        assert "Δ vs 0 MiB: parse_result" in line, line
