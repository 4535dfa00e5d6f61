"""Generic attacks on a real result payload: lexical ones on the bytes, and a battery of values per node.

Every function takes the captured payload of any provider; none knows a provider's field names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .payloads import IN_JSON, MISSING, Captured, Path, dumps, get, kind, paths, replace, show

_MARK = "\u0000ekyc-adversary-placeholder\u0000"
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: Latin letters and a Cyrillic/Greek look-alike
_HOMOGLYPH = {"A": "А", "a": "а", "E": "Е", "e": "е", "O": "О", "o": "о", "P": "Р", "p": "р", "C": "С",
              "c": "с", "Y": "Υ", "y": "у", "N": "Ν", "S": "Ѕ", "s": "ѕ", "I": "І", "i": "і", "T": "Т"}


@dataclass(frozen=True)
class Attack:
    """One hostile response: its name, body and HTTP status."""

    name: str
    body: bytes
    status: int | None = None


# ---------------------------------------------------------------------------------------------------
# Rendering a payload with one node written by hand (for what json.dumps cannot produce)


def _split(path: Path) -> tuple[Path, Path] | None:
    """(path to the string holding JSON, path inside it) for the innermost JSON-in-string, or None."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] == IN_JSON:
            return path[:i], path[i + 1:]
    return None


def render(data: Any, path: Path, text: str) -> bytes:
    """``data`` as JSON bytes with the node at ``path`` written as the raw JSON ``text``."""
    split = _split(path)
    if split is not None:
        outer, inner = split
        inner_doc = json.loads(get(data, outer))
        inner_text = render(inner_doc, inner, text).decode("utf-8") if inner else text
        return dumps(replace(data, outer, inner_text))
    if not path:
        return text.encode("utf-8")
    body = dumps(replace(data, path, _MARK)).decode("utf-8")
    mark = json.dumps(_MARK, ensure_ascii=False)
    assert body.count(mark) == 1
    return body.replace(mark, text).encode("utf-8")


def _pair(key: str, value: Any) -> str:
    return f"{json.dumps(key, ensure_ascii=False)}:{json.dumps(value, ensure_ascii=False)}"


def _other(value: Any) -> Any:
    """A value that means something else than ``value`` (for contradicting duplicates)."""
    if isinstance(value, bool):
        return not value
    if value == "Y":
        return "N"
    if value == "N":
        return "Y"
    if isinstance(value, (int, float)):
        return -1 if value != -1 else 1
    return "DECLINED"


def _case_variant(key: str) -> str | None:
    for variant in (key[:1].swapcase() + key[1:], key.upper(), key.lower(), key.swapcase()):
        if variant != key:
            return variant
    return None


# ---------------------------------------------------------------------------------------------------
# Lexical attacks: never APPROVED, only typed errors


def lexical(cap: Captured) -> Iterator[Attack]:
    """Duplicate and case-variant duplicate keys in every object (JSON inside strings too), NaN/Infinity and
    out-of-range numbers at every number, deep nesting, truncation, wrong content and wrong statuses."""
    data = cap.data
    nodes = [(), *paths(data)]
    for path in nodes:
        node = get(data, path) if path else data
        where = show(path) or "<root>"
        if isinstance(node, dict) and node:
            items = list(node.items())
            for key, value in items:
                rest = ",".join(_pair(k, v) for k, v in items)
                twice = "{" + rest + "," + _pair(key, value) + "}"
                yield Attack(f"duplicate key {where}.{key}", render(data, path, twice))
                yield Attack(f"duplicate key, first contradicts {where}.{key}",
                             render(data, path, "{" + _pair(key, _other(value)) + "," + rest + "}"))
                variant = _case_variant(key)
                if variant is not None:
                    for name, extra in (("same", value), ("contradicting", _other(value))):
                        yield Attack(f"case-variant key ({name}) {where}.{variant}",
                                     render(data, path, "{" + rest + "," + _pair(variant, extra) + "}"))
        if path and isinstance(node, (int, float)) and not isinstance(node, bool):
            for literal in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9223372036854775808",
                            "-9223372036854775809", "1" + "0" * 30, "1" + "0" * 5000, "0." + "0" * 5000 + "1"):
                yield Attack(f"number {literal[:24]} at {where}", render(data, path, literal))
        if path and not isinstance(node, (dict, list)):
            yield Attack(f"nested 100000 deep at {where}", render(data, path, "[" * 100_000 + "]" * 100_000))
            yield Attack(f"unclosed nesting at {where}", render(data, path, "[" * 100_000))
    for body in (b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000,
                 b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        yield Attack(f"deep nesting {body[:8]!r}", body)
    raw = cap.body
    for i in range(1, 61):
        cut = len(raw) * i // 61
        yield Attack(f"truncated at {cut}/{len(raw)}", raw[:cut])
    wrong = {
        "empty": b"", "whitespace": b" \n\t ", "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        "xml": b"<?xml version='1.0'?><Response><Passed>Y</Passed></Response>", "null": b"null", "true": b"true",
        "zero": b"0", "string": b'"Approved"', "array": b"[]", "object": b"{}", "array of body": b"[" + raw + b"]",
        "two documents": raw + raw, "trailing garbage": raw + b"x", "nul byte": raw + b"\x00",
        "utf-16": raw.decode("utf-8").encode("utf-16"), "latin-1 garbage": b"\xff\xfe\xfd" + raw,
        "invalid utf-8 inside": raw.replace(b'"', b'"\xc3\x28', 1),
        "huge": b'{"x":"' + b"a" * (5 * 1024 * 1024) + b'"}', "gzip magic": b"\x1f\x8b\x08\x00" + raw,
    }
    for name, body in wrong.items():
        yield Attack(f"wrong content: {name}", body)
    for status in (201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504):
        yield Attack(f"status {status} with the approved body", raw, status)


# ---------------------------------------------------------------------------------------------------
# The value battery for the sensitivity oracle

#: values tried at every node
BASE: tuple[Any, ...] = (None, MISSING, "", 0, -1, 1, 1.5, True, False, [], {}, "Not Finished", "Not Started",
                         "Expired", "DECLINED", "Declined", "In Review", "Y", "N", "P", "true", "null",
                         "ekyc-undocumented-value")


def homoglyph(text: str) -> str | None:
    """``text`` with its first Latin letter replaced by a Cyrillic/Greek look-alike."""
    for i, ch in enumerate(text):
        if ch in _HOMOGLYPH:
            return text[:i] + _HOMOGLYPH[ch] + text[i + 1:]
    return None


def fullwidth(text: str) -> str:
    """``text`` in full-width forms (NFKC folds them back to ASCII)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def variants(original: Any) -> list[tuple[str, Any]]:
    """(class, value) pairs for a node. Classes: ``null``, ``missing``, ``wrong-type``, ``case``, ``padded``,
    ``look-alike``, ``unknown-item`` are failure-closed classes (see :func:`must_not_approve`);
    ``other`` values only probe whether the node matters."""
    values: list[Any] = list(BASE)
    if isinstance(original, str):
        values += [original.lower(), original.upper(), original.swapcase(), original.title(), original + " ",
                   " " + original, original + "\n", "\t" + original, original + "\u200b", "\u00a0" + original,
                   fullwidth(original), original + original]
        glyph = homoglyph(original)
        if glyph is not None:
            values.append(glyph)
        if any(c.isdigit() for c in original):
            values += [original.translate(_ARABIC), original.translate(_FULLWIDTH)]
            if original.isdigit():
                values += ["+" + original, "0" + original, "-" + original, original + ".0", int(original)]
    elif isinstance(original, bool):
        values += [not original, str(original).lower(), str(not original).lower(), int(original), str(original)]
    elif isinstance(original, (int, float)):
        text = str(original)
        values += [text, " " + text, text + " ", "-" + text, "+" + text, text.translate(_ARABIC),
                   text.translate(_FULLWIDTH), original + 1, -original, original * 1000, original / 7]
        values += [float(original)] if isinstance(original, int) else [int(original)]
    elif isinstance(original, list):
        values += [[None], [{}], [""], [[]], "[]"]
        if original:
            values += [[*original, {}], [*original, *original], original[:1] * 2, [{"status": "Declined"}]]
    elif isinstance(original, dict):
        values += [[original], json.dumps(original), {**original, "": None}]
    return [(classify(original, v), v) for v in values if not _same(v, original)]


def _same(a: Any, b: Any) -> bool:
    return kind(a) == kind(b) and a == b


def classify(original: Any, value: Any) -> str:
    """Which fail-closed class ``value`` falls in relative to ``original`` (``other`` when none)."""
    ko, kv = kind(original), kind(value)
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if ko == "null":
        return "other"
    if ko == "array" and kv == "array":
        items = {kind(i) for i in original}
        if value and items and any(kind(i) not in items for i in value):
            return "wrong-type"
        if value and items == {"object"} and any(i == {} for i in value):
            return "unknown-item"
        return "other"
    if kv != ko and not (ko == "float" and kv == "int"):
        return "wrong-type"
    if isinstance(original, str) and isinstance(value, str):
        if value.casefold() == original.casefold():
            return "case"
        if value.strip(" \t\n\u200b\u00a0") == original:
            return "padded"
        alike = (fullwidth(original), homoglyph(original), original.translate(_ARABIC), original.translate(_FULLWIDTH))
        if value in alike or (original.isdigit() and value.lstrip("+0-") == original.lstrip("0")):
            return "look-alike"
    return "other"


def is_flag(value: Any) -> bool:
    """A ``Y``/``N`` flag or a boolean: a verdict by its nature."""
    return isinstance(value, bool) or value in ("Y", "N")


def flipped(value: Any) -> Any:
    """The opposite verdict of a flag."""
    if isinstance(value, bool):
        return not value
    return "N" if value == "Y" else "Y"
