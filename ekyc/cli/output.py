"""What commands print: ``--format table`` for people (80 columns, URLs on one line) or ``--format json``.

Text is printed as text: nothing a command prints is read as rich markup, so ``[providers.didit]`` stays.
Text for people is wrapped at word boundaries only (:func:`wrap`): a token — a URL, a code, a value to copy —
is never split; one longer than the line stands alone on its own line.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

#: the width every table, pair list and sentence keeps to (docs/cli.md)
WIDTH = 80
#: help of every ``--format`` option
FORMAT_HELP = "table (for people) or json (one JSON document on stdout, for scripts)."


class Format(str, Enum):
    """``--format`` of commands that print data."""

    table = "table"
    json = "json"


def emit_json(data: Any) -> None:
    """``data`` as one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit_pairs(pairs: Iterable[tuple[str, Any]], *, indent: str = "", width: int = WIDTH) -> None:
    """Aligned ``key  value`` lines; a long value wraps between its words, under itself (never inside a word, so
    a URL or ref stays whole on one line)."""
    rows = [(k, "-" if v is None or v == "" else str(v)) for k, v in pairs]
    key_width = max((len(k) for k, _ in rows), default=0)
    out = []
    for k, v in rows:
        head = f"{indent}{k.ljust(key_width)}  "
        out.append(wrap(v, width, initial=head, subsequent=" " * len(head)))
    sys.stdout.write("".join(line + "\n" for line in out))


def wrap(text: str, width: int = WIDTH, *, initial: str = "", subsequent: str = "  ") -> str:
    """``text`` wrapped at ``width`` columns between words only: a word (URL, code, value) is never broken or
    hyphenated; one longer than the line stands alone on its own line."""
    lines = textwrap.wrap(text, width, initial_indent=initial, subsequent_indent=subsequent,
                          break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) if lines else initial.rstrip()


def emit_line(text: str = "", *, stream: Any = None) -> None:
    """One line, verbatim."""
    (stream or sys.stdout).write(text + "\n")


def emit_prose(text: str, width: int = WIDTH) -> None:
    """A sentence for people, wrapped at ``width`` columns between words (:func:`wrap`)."""
    sys.stdout.write(wrap(text, width) + "\n")


def note(text: str) -> None:
    """A hint for people on stderr (stdout stays data), wrapped like :func:`emit_prose`; every line of it starts
    with ``note:`` so that scripts filtering stderr keep seeing whole notes."""
    lines = textwrap.wrap(text, WIDTH - len("note: "), break_long_words=False, break_on_hyphens=False) or [""]
    sys.stderr.write("".join(f"note: {line}\n" for line in lines))


def table(title: str | None, header: Sequence[str], rows: Iterable[Sequence[str | Text]],
          width: int = WIDTH) -> RenderableType:
    """Plain-text cells (never markup) as a compact table within ``width`` columns, wrapped between words only.

    Every column is at least as wide as its longest word, so no word is ever split; when the words of a row
    cannot fit side by side, the table becomes a list instead — each row's first cell, then one ``header  value``
    line per other cell, wrapped under itself.
    """
    cells = [[cell if isinstance(cell, Text) else Text(str(cell)) for cell in row] for row in rows]
    longest = [max([len(word) for word in name.split()] or [0]) for name in header]
    full = [cell_len(name) for name in header]
    for row in cells:
        for i, cell in enumerate(row):
            longest[i] = max(longest[i], *(len(word) for word in cell.plain.split()), 0)
            full[i] = max(full[i], *(cell_len(line) for line in cell.plain.splitlines()), 0)
    # SIMPLE_HEAD without edge padding: an edge space either side, and between two columns a padding space,
    # the (blank) divider and another padding space
    room = width - 3 * (len(header) - 1) - 2
    if sum(longest) <= room:
        widths = _widths(longest, full, room)
        t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
        for name, least, fixed in zip(header, longest, widths, strict=True):
            t.add_column(name, overflow="fold", min_width=least, width=fixed)
        for row in cells:
            t.add_row(*row)
        return t
    return _as_list(title, header, cells, width)


def _widths(least: list[int], full: list[int], room: int) -> list[int | None]:
    """Column widths within ``room``: None (rich's natural width) when every column fits whole; otherwise every
    column at its longest word, then whole again where the room allows — columns needing the same extra width
    together or not at all, smallest need first, so that alike columns wrap alike."""
    if sum(full) <= room:
        return [None] * len(full)
    widths = list(least)
    spare = room - sum(least)
    for need in sorted({f - w for f, w in zip(full, least, strict=True) if f > w}):
        group = [i for i, (f, w) in enumerate(zip(full, least, strict=True)) if f - w == need]
        if need * len(group) > spare:
            break
        for i in group:
            widths[i] = full[i]
        spare -= need * len(group)
    return list(widths)


def _as_list(title: str | None, header: Sequence[str], cells: list[list[Text]], width: int) -> RenderableType:
    labels = [name or "" for name in header[1:]]
    label_width = max((len(label) for label in labels), default=0)
    out: list[RenderableType] = [Text(title)] if title else []
    for row in cells:
        first, *rest = row
        lines = Text(header[0] + " " + first.plain if header[0] else first.plain, style="bold")
        out.append(lines)
        for label, cell in zip(labels, rest, strict=False):
            head = f"  {label.ljust(label_width)}  "
            for i, line in enumerate(cell.plain.splitlines() or [""]):
                out.append(Text(wrap(line, width, initial=head if i == 0 else " " * len(head),
                                     subsequent=" " * len(head)), style=cell.style))
    return Group(*out)


def console(file: Any = None) -> Console:
    """A console for tables: the terminal's width (80 when piped), no markup or highlighting of data."""
    return Console(file=file, highlight=False, markup=False, emoji=False, soft_wrap=False)
