"""``python -m ekyc.docs`` says what it did: a page it rewrote is "updated", a page already current is "up to date"
and left untouched (newcomer papercut: every page was reported "updated" and rewritten, so comparison.md's
timings changed on every run and an unchanged tree showed a diff)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ekyc.cli.docs import LATENCY_HEADING, main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_an_up_to_date_tree_is_reported_and_left_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(DOCS, tmp_path / "docs")
    main(tmp_path)  # brings the copy up to date, whatever main holds
    capsys.readouterr()
    pages = sorted((tmp_path / "docs").rglob("*.md"))
    before = {p: p.read_bytes() for p in pages}
    assert main(tmp_path) == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(line.startswith("up to date ") for line in out), out
    assert {p: p.read_bytes() for p in pages} == before  # the timings of comparison.md included

    sandbox = tmp_path / "docs" / "sandbox.md"
    sandbox.write_text(sandbox.read_text(encoding="utf-8").replace("| `approved` |", "| `approvedX` |", 1),
                       encoding="utf-8")
    comparison = tmp_path / "docs" / "comparison.md"
    head, sep, tail = comparison.read_text(encoding="utf-8").partition(LATENCY_HEADING)
    comparison.write_text(head + "stale line\n" + sep + tail, encoding="utf-8")
    main(tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert f"updated {sandbox}" in out and f"updated {comparison}" in out
    assert sum(line.startswith("updated ") for line in out) == 2
    assert "approvedX" not in sandbox.read_text(encoding="utf-8")
