"""Generated documentation matches the code, for every registered provider: each provider page holds its code
table exactly as the code renders it (``docs/providers/<name>.md``), and the scenario catalog and the comparison
include every provider (``python -m ekyc.docs`` rewrites all three).

``KIT_DOCS_DIR`` points the checks at another docs folder (the template test generates one for a copy).
"""

from __future__ import annotations

import os
from pathlib import Path

from ekyc import registry
from ekyc.cli.docs import CATALOG_BEGIN, CATALOG_END, LATENCY_HEADING, catalog_markdown
from ekyc.codes import TABLE_BEGIN, extract_table

DOCS = Path(os.environ.get("KIT_DOCS_DIR") or Path(__file__).resolve().parents[2] / "docs")


def test_the_provider_page_holds_the_rendered_code_table(provider: str) -> None:
    page = DOCS / "providers" / f"{provider}.md"
    assert page.exists(), f"{provider} has no docs page: write docs/providers/{provider}.md (see " \
                          "docs/adding-a-provider.md), then run `make docs`"
    text = page.read_text(encoding="utf-8")
    assert TABLE_BEGIN in text, f"docs/providers/{provider}.md has no code-table block: run `make docs`"
    assert extract_table(text) == registry.load(provider).code_table.to_markdown(), (
        f"docs/providers/{provider}.md is stale: run `make docs`")


def test_the_sandbox_page_holds_the_generated_catalog() -> None:
    page = (DOCS / "sandbox.md").read_text(encoding="utf-8")
    block = page.split(CATALOG_BEGIN, 1)[1].split(CATALOG_END, 1)[0].lstrip("\n")
    assert block == catalog_markdown(), "docs/sandbox.md is stale: run `make docs`"


def test_the_comparison_page_matches_a_fresh_run() -> None:
    from ekyc.cli.report import build_report

    fresh = build_report().to_markdown()
    page = (DOCS / "comparison.md").read_text(encoding="utf-8")
    cut = LATENCY_HEADING  # timings differ run to run; everything above them must not
    assert page.split(cut)[0] == fresh.split(cut)[0], "docs/comparison.md is stale: run `make docs`"
