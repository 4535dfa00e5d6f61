"""docs/providers/alibaba.md holds the table rendered from the code (regenerate with splice_table)."""

from __future__ import annotations

from pathlib import Path

from ekyc.codes import extract_table
from ekyc.providers.alibaba import CODE_TABLE
from ekyc.providers.alibaba.emulator import AlibabaEmulator

PAGE = Path(__file__).resolve().parents[3] / "docs" / "providers" / "alibaba.md"


def test_page_holds_the_rendered_code_table() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert extract_table(page) == CODE_TABLE.to_markdown(), (
        "docs/providers/alibaba.md is stale: splice_table(page, CODE_TABLE.to_markdown())")


def test_page_names_every_unsupported_scenario() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for name in AlibabaEmulator.unsupported:
        assert name in page, name
