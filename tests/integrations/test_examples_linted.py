"""The example apps are code people copy: ``make lint`` checks them like the library (ruff, and mypy --strict)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _recipe(target: str) -> list[str]:
    """The commands of ``target`` in the Makefile."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{target}\s*:", line))
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        out.append(line.strip())
    return out


def test_make_lint_runs_ruff_on_every_python_tree() -> None:
    """Every top-level folder holding Python code is in the ruff command of ``make lint``."""
    trees = sorted({p.relative_to(ROOT).parts[0] for p in ROOT.glob("*/**/*.py")
                    if not p.relative_to(ROOT).parts[0].startswith(".")})
    ruff = next(c for c in _recipe("lint") if "ruff check" in c).split()
    assert "examples" in trees
    assert [t for t in trees if t not in ruff] == []


def test_make_lint_type_checks_the_examples() -> None:
    """Each example's own code is type-checked with ``mypy --strict`` (the Django example as its package, found
    through MYPYPATH, and its manage.py; the Starlette example's app.py)."""
    mypy = " ".join(c for c in _recipe("lint") if "mypy" in c)
    assert "--strict" in mypy
    for part in ("examples/starlette_app/app.py", "examples/django_app/manage.py", "-p kycdemo",
                 "MYPYPATH=examples/django_app"):
        assert part in mypy, part
    examples = {p.parent.name for p in (ROOT / "examples").glob("*/README.md")}
    assert examples == {"starlette_app", "django_app"}, "a new example: add it to make lint"
