"""The scripted newcomer run (``newcomer.sh``): every command's happy path and main error paths, in subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("newcomer.sh")
#: variables a developer's shell may hold that would change what a newcomer sees
FOREIGN = ("EKYC_", "DIDIT_", "TENCENTCLOUD_", "ALIBABA_CLOUD_", "COLUMNS")


def test_newcomer_script(tmp_path: Path) -> None:
    ekyc = Path(sys.executable).with_name("ekyc")
    if not ekyc.exists():
        pytest.skip("the ekyc console script is not installed next to this interpreter (pip install -e '.[cli]')")
    bash = shutil.which("bash")
    assert bash is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.update(EKYC=str(ekyc), PYTHON=sys.executable, HOME=str(tmp_path))
    run = subprocess.run([bash, str(SCRIPT)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr + run.stdout
    assert ", 0 failures" in run.stdout
