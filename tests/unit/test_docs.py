"""Generated documentation matches the code: the scenario catalog and the comparison (each provider's code-table
page is checked by the conformance kit, tests/conformance/test_docs.py)."""

from __future__ import annotations

from pathlib import Path

from ekyc.docs import CATALOG_BEGIN, CATALOG_END, catalog_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_sandbox_page_holds_the_generated_catalog() -> None:
    page = (DOCS / "sandbox.md").read_text(encoding="utf-8")
    block = page.split(CATALOG_BEGIN, 1)[1].split(CATALOG_END, 1)[0].lstrip("\n")
    assert block == catalog_markdown(), "docs/sandbox.md is stale: run `make docs`"


def test_comparison_page_matches_a_fresh_run() -> None:
    from ekyc.cli.report import build_report

    fresh = build_report().to_markdown()
    page = (DOCS / "comparison.md").read_text(encoding="utf-8")
    cut = "## Latency"  # timings differ run to run; everything above them must not
    assert page.split(cut)[0] == fresh.split(cut)[0], "docs/comparison.md is stale: run `make docs`"
