"""Code tables: every provider status, result code, warning and API error in one place, as data.

Adapters look codes up here to normalize results; tests iterate over the tables; the docs pages render
them (:meth:`CodeTable.to_markdown`), and a test fails when a page and its table differ.

The kind :data:`API_ERROR` holds the codes of a provider's error envelope: the shared response reader
(:meth:`ekyc.provider.Provider.read`) raises each one's ``error`` (or, when it has an ``outcome``, reads it as
a session state), and the table's ``error_prefixes`` type the codes it does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import EkycError
from .models import Outcome, Reason, ReasonCode


@dataclass(frozen=True)
class CodeEntry:
    """One provider code and what it means in the neutral vocabulary.

    ``outcome`` is None for codes that only add a reason (warnings) or only raise an error (API errors).
    ``source`` names the documentation the meaning comes from, or ``"unknown"`` when no source gives it;
    such codes always map fail-closed.
    """

    kind: str
    code: str
    message: str
    source: str
    outcome: Outcome | None = None
    reason: ReasonCode | None = None
    retryable: bool = False
    billed: bool | None = None
    error: type[EkycError] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.outcome is Outcome.APPROVED and self.source == "unknown":
            raise ValueError(f"{self.kind} {self.code}: an undocumented code cannot map to APPROVED")

    def to_reason(self, provider_code: str | None = None) -> Reason:
        """The :class:`Reason` this entry stands for (``UNKNOWN`` when it names none)."""
        if provider_code is None or provider_code == self.code:  # the entry's own code: one Reason, kept
            kept: Reason | None = self.__dict__.get("_own_reason")
            if kept is None:
                kept = self._reason(self.code)
                object.__setattr__(self, "_own_reason", kept)  # not a field: equality and repr are unchanged
            return kept
        return self._reason(provider_code)

    def _reason(self, provider_code: str) -> Reason:
        return Reason(
            code=self.reason or ReasonCode.UNKNOWN,
            retryable=self.retryable,
            provider_code=provider_code,
            message=self.message,
        )


#: the kind of the codes a provider's error envelope carries (``Response.Error.Code``, an error body's ``Code``)
API_ERROR = "api_error"


class CodeTable:
    """All of one provider's codes, looked up by ``(kind, code)``.

    ``kinds`` maps each kind to its docs heading (display order). ``error_prefixes`` are ``(prefix, error)``
    rules for :data:`API_ERROR` codes the table does not list (first match wins; Tencent's ``AuthFailure.*``
    is an :class:`~ekyc.errors.AuthenticationError`); they are rendered under the API-error table.
    """

    def __init__(self, provider: str, entries: Iterable[CodeEntry], kinds: dict[str, str], *,
                 error_prefixes: Iterable[tuple[str, type[EkycError]]] = ()) -> None:
        self.provider = provider
        self.entries: tuple[CodeEntry, ...] = tuple(entries)
        #: kind → heading used in the docs, in display order
        self.kinds = dict(kinds)
        #: ``(prefix, error)`` for API error codes the table does not list, checked in order
        self.error_prefixes: tuple[tuple[str, type[EkycError]], ...] = tuple(error_prefixes)
        if self.error_prefixes and API_ERROR not in self.kinds:
            raise ValueError(f"{provider}: error_prefixes need the {API_ERROR!r} kind")
        self._index: dict[tuple[str, str], CodeEntry] = {}
        for e in self.entries:
            if e.kind not in self.kinds:
                raise ValueError(f"{provider}: kind {e.kind!r} has no heading")
            key = (e.kind, e.code)
            if key in self._index:
                raise ValueError(f"{provider}: duplicate code {key}")
            self._index[key] = e

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, kind: str, code: object) -> CodeEntry | None:
        """The entry for ``code`` of ``kind``, or None when the table does not know the code.

        Raises :class:`LookupError` for a kind the table does not have: a misspelt kind is a bug, never an
        unknown code.
        """
        if kind not in self.kinds:
            self._kind(kind)
        return self._index.get((kind, code if type(code) is str else str(code)))

    def of_kind(self, kind: str) -> tuple[CodeEntry, ...]:
        """Every entry of one kind, in table order (:class:`LookupError` for a kind the table does not have)."""
        self._kind(kind)
        return tuple(e for e in self.entries if e.kind == kind)

    def _kind(self, kind: str) -> None:
        if kind not in self.kinds:
            raise LookupError(f"the {self.provider} code table has no kind {kind!r} (it has {', '.join(self.kinds)})")

    def api_error(self, code: Any) -> CodeEntry | None:
        """The :data:`API_ERROR` entry of ``code`` (None for None, an unknown code, or a table without the kind)."""
        if code is None or API_ERROR not in self.kinds:
            return None
        return self._index.get((API_ERROR, str(code)))

    def error_class(self, code: Any) -> type[EkycError] | None:
        """The typed error an API error ``code`` raises: its entry's, else the first matching prefix rule's;
        None when the table says nothing (the caller then goes by the HTTP status)."""
        entry = self.api_error(code)
        if entry is not None and entry.error is not None:
            return entry.error
        if isinstance(code, str):
            for prefix, error in self.error_prefixes:
                if code.startswith(prefix):
                    return error
        return None

    def to_markdown(self) -> str:
        """The table rendered for the docs (one Markdown table per kind)."""
        out: list[str] = []
        for kind, heading in self.kinds.items():
            rows = self.of_kind(kind)
            if not rows:
                continue
            billed = any(e.billed is not None for e in rows)
            errors = any(e.error is not None for e in rows)
            cols = ["code", "outcome", "reason", "retryable"]
            cols += ["billed"] if billed else []
            cols += ["raises"] if errors else []
            cols += ["meaning", "source"]
            out += [f"### {heading}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            for e in rows:
                cells = [
                    f"`{e.code}`",
                    e.outcome.value if e.outcome else "—",
                    e.reason.value if e.reason else "—",
                    "yes" if e.retryable else "no",
                ]
                if billed:
                    cells.append("—" if e.billed is None else ("Y" if e.billed else "N"))
                if errors:
                    cells.append(f"`{e.error.__name__}`" if e.error else "—")
                meaning = e.message + (f" — {e.note}" if e.note else "")
                cells += [meaning.replace("|", "\\|"), e.source.replace("|", "\\|")]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if kind == API_ERROR and self.error_prefixes:
                out += ["API error codes the table does not list, by prefix (the first match wins; no match: by "
                        "HTTP status):", "", "| prefix | raises |", "|---|---|"]
                out += [f"| `{prefix}` | `{error.__name__}` |" for prefix, error in self.error_prefixes]
                out.append("")
        return "\n".join(out).rstrip() + "\n"


TABLE_BEGIN = "<!-- code-table:begin (generated from the code table; do not edit by hand) -->"
TABLE_END = "<!-- code-table:end -->"


def splice_table(page: str, table_markdown: str) -> str:
    """Replace the generated block of a docs page with ``table_markdown``."""
    head, sep, rest = page.partition(TABLE_BEGIN)
    if not sep:
        raise ValueError("the page has no code-table block")
    _, sep2, tail = rest.partition(TABLE_END)
    if not sep2:
        raise ValueError("the page's code-table block is not closed")
    return f"{head}{TABLE_BEGIN}\n{table_markdown}{TABLE_END}{tail}"


def extract_table(page: str) -> str:
    """The generated block of a docs page, as written."""
    _, _, rest = page.partition(TABLE_BEGIN)
    block, _, _ = rest.partition(TABLE_END)
    return block.lstrip("\n")
