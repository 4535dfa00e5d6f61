"""Every registered provider has a docs page holding its code table exactly as the code renders it
(``docs/providers/<name>.md``; ``python -m ekyc.docs`` rewrites the block)."""

from __future__ import annotations

from pathlib import Path

from ekyc import registry
from ekyc.codes import TABLE_BEGIN, extract_table

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_provider_page_holds_the_rendered_code_table(provider: str) -> None:
    page = DOCS / "providers" / f"{provider}.md"
    assert page.exists(), f"{provider} has no docs page: write docs/providers/{provider}.md (see " \
                          "docs/adding-a-provider.md), then run `make docs`"
    text = page.read_text(encoding="utf-8")
    assert TABLE_BEGIN in text, f"docs/providers/{provider}.md has no code-table block: run `make docs`"
    assert extract_table(text) == registry.load(provider).code_table.to_markdown(), (
        f"docs/providers/{provider}.md is stale: run `make docs`")
