"""The Python quickstart of docs/ledger.md runs as written (in an empty directory, on the in-process sandbox)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ekyc.cli.ledger import DEFAULT_DATABASE

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_quickstart_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    block = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(DOC), "exec"), {"__name__": "ledger_quickstart"})
    assert capsys.readouterr().out.strip().splitlines()[-1] == "APPROVED"
    # the file the `ekyc ledger` commands read by default, so `ekyc ledger status` after it shows its session
    assert (tmp_path / DEFAULT_DATABASE).exists()
