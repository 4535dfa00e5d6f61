"""What commands print: ``--format table`` for people (80 columns, URLs on one line) or ``--format json``.

Text is printed as text: nothing a command prints is read as rich markup, so ``[providers.didit]`` stays.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

#: help of every ``--format`` option
FORMAT_HELP = "table (for people) or json (one JSON document on stdout, for scripts)."


class Format(str, Enum):
    """``--format`` of commands that print data."""

    table = "table"
    json = "json"


def emit_json(data: Any) -> None:
    """``data`` as one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit_pairs(pairs: Iterable[tuple[str, Any]], *, indent: str = "") -> None:
    """Aligned ``key  value`` lines, printed verbatim: long values (URLs) are never wrapped or cut."""
    rows = [(k, "-" if v is None or v == "" else str(v)) for k, v in pairs]
    width = max((len(k) for k, _ in rows), default=0)
    sys.stdout.write("".join(f"{indent}{k.ljust(width)}  {v}\n" for k, v in rows))


def emit_line(text: str = "", *, stream: Any = None) -> None:
    """One line, verbatim."""
    (stream or sys.stdout).write(text + "\n")


def emit_prose(text: str, width: int = 80) -> None:
    """A sentence for people, wrapped at ``width`` columns (never use it for URLs or values to copy)."""
    sys.stdout.write(textwrap.fill(text, width, subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False) + "\n")


def note(text: str) -> None:
    """A hint for people on stderr (stdout stays data)."""
    sys.stderr.write(f"note: {text}\n")


def table(title: str | None, header: Sequence[str], rows: Iterable[Sequence[str | Text]]) -> Table:
    """A compact table whose cells are plain text (never markup), folded rather than cut at 80 columns."""
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for name in header:
        t.add_column(name, overflow="fold")
    for row in rows:
        t.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in row))
    return t


def console(file: Any = None) -> Console:
    """A console for tables: the terminal's width (80 when piped), no markup or highlighting of data."""
    return Console(file=file, highlight=False, markup=False, emoji=False, soft_wrap=False)
