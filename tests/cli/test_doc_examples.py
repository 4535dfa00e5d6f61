"""Every Python code block of docs/sandbox.md, docs/cli.md and the ``ekyc.testing`` docstring runs as written.

A block is executed on its own in a fresh namespace (what a reader would paste); the ``test_*`` functions it
defines are then called, for every parametrized provider, with the plugin's fixtures built as the plugin builds
them. A block whose info string says ``python fragment`` is skipped on purpose (none today). A block that needs a
vendor SDK which is not installed is skipped, naming it.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ekyc.testing
from ekyc.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("docs/sandbox.md", "docs/cli.md")
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.M | re.S)
#: the vendor SDKs a block may import (optional dependencies)
VENDOR_SDKS = ("tencentcloud", "alibabacloud_")


def blocks() -> Iterator[Any]:
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            marks = pytest.mark.skip(reason="marked as a fragment") if "fragment" in match.group(1) else ()
            yield pytest.param(match.group(2), id=f"{page}:{line}", marks=marks)
    doc = ekyc.testing.__doc__ or ""
    for match in re.finditer(r"::\n\n((?:(?: {4}.*)?\n)+)", doc):
        yield pytest.param(textwrap.dedent(match.group(1)), id="ekyc/testing.py docstring")


def test_the_pages_have_python_blocks() -> None:
    ids = [p.id for p in blocks()]
    assert any(i.startswith("docs/sandbox.md") for i in ids) and "ekyc/testing.py docstring" in ids


@pytest.mark.parametrize("code", list(blocks()))
def test_block_runs_as_written(code: str) -> None:
    namespace: dict[str, Any] = {"__name__": "doc_example"}
    try:
        exec(compile(code, "<doc block>", "exec"), namespace)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(VENDOR_SDKS):
            pytest.skip(f"needs the vendor SDK {exc.name}")
        raise
    for name, test in list(namespace.items()):
        if name.startswith("test_") and callable(test):
            run_as_pytest_would(test)


def run_as_pytest_would(test: Any) -> None:
    """Call a block's test function once per ``ekyc_provider`` parameter, with fresh plugin fixtures."""
    params = inspect.signature(test).parameters
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
    names = [m.args[1] for m in marks if m.args[0] == "ekyc_provider"] or [[None]]
    for provider in names[0]:
        sandbox = Sandbox()
        with sandbox.client() as client:
            fixtures = {"ekyc_sandbox": sandbox, "ekyc_client": client, "ekyc_provider": provider}
            test(**{p: fixtures[p] for p in params})
