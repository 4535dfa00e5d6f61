"""Strict reading of provider bytes: one JSON reader and one set of value readers for every adapter.

Provider payloads are hostile input until proven otherwise. :func:`loads` refuses what a lenient JSON
parser would guess at — bytes that are not UTF-8 (``json.loads`` would guess UTF-16/32), duplicate keys
(also keys that differ only in case), nesting deeper than :data:`MAX_DEPTH`, ``NaN``/``Infinity``, numbers
outside a 64-bit range, bodies larger than :data:`MAX_BODY` — and the readers refuse wrong types instead
of coercing them: a string is never read as a number unless the vendor documents numbers as strings, and
then only plain ASCII digits are accepted (``"٠"``, ``"０"``, ``" 0"``, ``"0_0"`` are refused; ``int()``
would take them).

Every refusal is a :class:`WireError` (a ``ValueError``) naming the field, never echoing the value;
:func:`ekyc.provider.malformed` turns it into a typed :class:`~ekyc.errors.ProviderError`.
"""

from __future__ import annotations

import gc
import json
import math
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from functools import lru_cache, partial
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from pydantic_core import from_json as _from_json

#: deepest nesting accepted in a provider payload (vendor payloads nest < 10 levels)
MAX_DEPTH = 32
#: largest body accepted from a provider or a webhook sender, in bytes
MAX_BODY = 4 * 1024 * 1024
#: integers outside this range are refused (64-bit signed)
MAX_INT = 2**63 - 1
_MIN_INT = -MAX_INT - 1
_ASCII_INT = re.compile(r"-?[0-9]{1,19}")
_ASCII_DECIMAL = re.compile(r"-?[0-9]{1,19}(?:\.[0-9]{1,19})?")


class WireError(ValueError):
    """A payload is not what the vendor documents. ``field`` names where (never the value)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# ---------------------------------------------------------------------------------------------------
# JSON


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    n = len(out)
    if n != len(pairs):
        raise WireError("body", "duplicate key in a JSON object")
    if n > 1:
        # keys that are ASCII without capitals are their own case fold: one C-speed check of them all at once;
        # any other key set is folded key by key
        joined = "".join(out)
        if not (joined.isascii() and joined.lower() == joined) and len(set(map(str.casefold, out))) != n:
            raise WireError("body", "keys differing only in case in a JSON object")
    return out


def _constant(name: str) -> Any:
    raise WireError("body", f"{name} is not JSON")


def _int(text: str) -> int:
    if len(text) > 20:
        raise WireError("body", "integer out of range")
    value = int(text)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise WireError("body", "integer out of range")
    return value


def _float(text: str) -> float:
    if len(text) > 64:
        raise WireError("body", "number too long")
    value = float(text)
    if not math.isfinite(value):
        raise WireError("body", "number out of range")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if any("\ud800" <= c <= "\udfff" for c in node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _depth_ok(value: Any, limit: int) -> bool:
    """Whether ``value`` (as decoded: plain dicts and lists) nests at most ``limit`` containers deep.

    Recursion over the containers only (at most ``limit`` frames deep: never a ``RecursionError``); scalars are
    skipped by one type test each. Cheaper than a level-by-level walk that builds lists per level.
    """
    kind = type(value)
    if kind is not dict and kind is not list:
        return True
    if limit <= 0:
        return False
    for child in (value.values() if kind is dict else value):
        inner = type(child)
        if (inner is dict or inner is list) and not _depth_ok(child, limit - 1):
            return False
    return True


#: built once (``json.loads`` with hooks builds a decoder per call); ``decode`` refuses a BOM as "not JSON" too
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int, parse_float=_float)
_NOT_PROVEN = object()
#: every ASCII digit to ``0``, every other byte to a space: a run of digits stays a run of ``0``
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
#: a number written longer than :func:`_float` accepts (64 characters) has at most four characters that are not
#: digits (``-``, ``.``, ``e``, a sign) and at most three runs of digits, so one run of at least 21 digits
_LONG_DIGIT_RUN = b"0" * 21


_CONTAINER_TYPES = frozenset({dict, list})


def _levels(value: Any, limit: int) -> tuple[list[dict[str, Any]], int, list[float], int] | None:
    """Every non-empty object and every float in ``value`` (as decoded: plain dicts, lists, scalars), how many keys
    its objects hold and how many of its values are strings, walked level by level without a Python call per
    container; None when something nests deeper than ``limit`` or an integer is outside 64 bits (not proven: the
    strict decoder then names the problem).

    The next level is ``gc.get_referents`` of this whole level, in one C call: for a dict or a list CPython reports
    exactly its values or items (their ``tp_traverse``; a dict of ``str`` keys does not report the keys), and for a
    string, a number, a boolean or None nothing at all (they are not garbage-collected objects). That is an
    implementation's detail, so it is checked: a next level that does not hold exactly as many objects as this
    level's containers hold values and items proves nothing (a walk that missed a container would miss its depth,
    its integers and its keys' case). The keys themselves are not gathered here: :func:`_no_case_variants` reads
    them from the objects in one C-level pass.
    """
    # the builtins as locals: the loop below runs once per value in the body, and a local is read faster than a
    # builtin name
    kind_of, str_, dict_, list_, int_, float_ = type, str, dict, list, int, float
    level = [value]
    dicts: list[dict[str, Any]] = []
    floats: list[float] = []
    strings = keys = 0
    for depth in range(limit + 1):
        if depth == limit and not _CONTAINER_TYPES.isdisjoint(map(kind_of, level)):
            return None  # a container at this level nests ``limit + 1`` deep
        # the values of this level's objects (one per key) and the items of its arrays: the size of the next level
        keys_above, items = keys, 0
        for node in level:
            kind = kind_of(node)  # ``type(True) is bool``: booleans are not integers here
            if kind is str_:
                strings += 1
            elif kind is dict_:
                if node:
                    dicts.append(node)
                    keys += len(node)
            elif node is None:  # nulls are common in vendor payloads: spared the tests below
                pass
            elif kind is list_:
                items += len(node)
            elif kind is int_:
                if not _MIN_INT <= node <= MAX_INT:
                    return None
            elif kind is float_:
                floats.append(node)
        items += keys - keys_above
        if not items:
            return dicts, keys, floats, strings
        level = gc.get_referents(*level)
        if len(level) != items:  # not exactly the containers' values and items: prove nothing
            return None
    return None


def _keys_written_once(kept: int, raw: bytes | str) -> bool:
    """Whether no object of ``raw`` (the body as bytes, or as a str given so) was written with a duplicate key,
    proven from the number of strings its decoded value ``kept`` (every key, and every string that is a value or an
    item); False means "not proven", never "duplicate".

    Every string, key or value, is written between two quotes that are not escaped (a quote inside a string always
    is). A decoded object keeps one entry per key: of a key written twice, one pair — a key, and any string in its
    value — is dropped. So the text holds at least ``2 × kept`` unescaped quotes, and exactly that many only when
    nothing was dropped. A quote is escaped when an odd run of backslashes precedes it: all the quotes less those
    after exactly one backslash (``\\"`` but not ``\\\\"``) are at least the unescaped ones, so when they number
    ``2 × kept``, no key was written twice. Whitespace does not enter (``"a" :1`` counts as ``"a":1``), and one
    character is counted at C speed (about twice as fast as a two-character pattern such as ``":``). A quote and a
    backslash are one byte in UTF-8 and never part of another character's bytes: the bytes count as the text would,
    so a str is counted as it is (encoding it first only copied it).
    """
    if isinstance(raw, bytes):
        quotes = raw.count(b'"')
        if b"\\" in raw:  # escaped quotes: JSON-in-JSON strings (Alibaba's Ext*Info)
            quotes -= raw.count(b'\\"') - raw.count(b'\\\\"')
    else:  # counted in the text itself, without encoding it: the counts are the same
        quotes = raw.count('"')
        if "\\" in raw:
            quotes -= raw.count('\\"') - raw.count('\\\\"')
    return quotes == 2 * kept


def _no_case_variants(dicts: list[dict[str, Any]]) -> bool:
    """Whether no object of ``dicts`` holds two keys that differ only in case."""
    # keys that are ASCII without capitals are their own case fold: when every key is one already seen to be (a
    # vendor's keys repeat call after call), one C-level set comparison over the objects' keys shows it, without
    # gathering or joining them (it stops at the first key not seen: a vendor whose keys have capitals stops at once)
    if _LOWER_KEYS.issuperset(chain.from_iterable(dicts)):
        return True
    # keys with capitals (Alibaba's, Tencent's): when each object's key list is one already proven folded apart, one
    # C-level pass over the objects shows it (a tuple of each one's keys, looked up), without joining or folding
    if all(map(_APART_KEY_LISTS.__contains__, map(tuple, dicts))):
        return True
    keys = list(chain.from_iterable(dicts))
    joined = "".join(keys)
    if joined.isascii() and joined.lower() == joined:  # one C-speed check of every key at once
        _remember_lower(keys, len(joined))
        return True
    if len(keys) > _MAX_REMEMBERED_KEYS or len(joined) > _MAX_REMEMBERED_TEXT:
        return _folded_apart(keys, list(map(len, dicts)))
    # a vendor's objects carry the same keys call after call: the verdict for this exact key list is remembered
    if not _remembered_folded_apart(tuple(keys), tuple(map(len, dicts))):
        return False
    _remember_apart(dicts, len(joined))
    return True


#: key lists longer than this, or whose keys hold more characters in all, are folded every time: a remembered
#: verdict keeps its keys alive, and the keys are a sender's input (a webhook's before its signature is checked) —
#: at most 64 lists of at most 4,096 characters are kept, not 64 bodies' worth
_MAX_REMEMBERED_KEYS = 256
_MAX_REMEMBERED_TEXT = 4096


#: keys seen to be ASCII without capitals (their own case fold), and how many characters the key lists added to it
#: since it was last emptied held in all. Bounded like the verdicts below (the keys are a sender's input): only lists
#: of at most _MAX_REMEMBERED_TEXT characters are added, and it is emptied once they held _MAX_LOWER_TEXT in all
_LOWER_KEYS: set[str] = set()
_lower_text = 0
_MAX_LOWER_TEXT = 16384


def _remember_lower(keys: list[str], text: int) -> None:
    """Add ``keys`` (ASCII without capitals, ``text`` characters in all) to :data:`_LOWER_KEYS` when small enough."""
    global _lower_text
    if text > _MAX_REMEMBERED_TEXT:
        return
    if _lower_text + text > _MAX_LOWER_TEXT:  # full: start again, never stay full
        _LOWER_KEYS.clear()
        _lower_text = 0
    _LOWER_KEYS.update(keys)
    _lower_text += text


#: each object's key list (a tuple of its keys, in order) from bodies proven to hold no case variants: no two keys of
#: one list have the same case fold. Bounded like :data:`_LOWER_KEYS` (only bodies whose keys hold at most
#: _MAX_REMEMBERED_TEXT characters are added, and it is emptied once they held _MAX_LOWER_TEXT characters in all or
#: it holds _MAX_APART_LISTS lists). A global set of keys will not do for keys with capitals: Tencent's ``Sex`` and
#: the others' ``sex`` are each fine in their own objects, not together
_APART_KEY_LISTS: set[tuple[str, ...]] = set()
_apart_text = 0
_MAX_APART_LISTS = 512


def _remember_apart(dicts: list[dict[str, Any]], text: int) -> None:
    """Add the key list of each of ``dicts`` (proven folded apart; their keys ``text`` characters in all) to
    :data:`_APART_KEY_LISTS`."""
    global _apart_text
    if _apart_text + text > _MAX_LOWER_TEXT or len(_APART_KEY_LISTS) + len(dicts) > _MAX_APART_LISTS:
        _APART_KEY_LISTS.clear()  # full: start again, never stay full
        _apart_text = 0
    _APART_KEY_LISTS.update(map(tuple, dicts))
    _apart_text += text


def _folded_apart(keys: Sequence[str], sizes: Sequence[int]) -> bool:
    """Whether no object — ``keys`` split into consecutive objects of ``sizes`` keys — holds two keys with the
    same case fold."""
    start = 0
    for size in sizes:
        if size > 1 and len(set(map(str.casefold, keys[start:start + size]))) != size:
            return False
        start += size
    return True


@lru_cache(maxsize=64)
def _remembered_folded_apart(keys: tuple[str, ...], sizes: tuple[int, ...]) -> bool:
    return _folded_apart(keys, sizes)


def _floats_ok(floats: list[float], raw: bytes | str) -> bool:
    """Whether every float is finite and no number in ``raw`` may be written longer than :func:`_float`
    accepts (a run of 21 digits anywhere, in strings too, means "not proven")."""
    if not all(map(math.isfinite, floats)):
        return False
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    return _LONG_DIGIT_RUN not in data.translate(_DIGITS_AS_ZEROS)


def _decode_fast(raw: bytes | str, limit: int) -> Any:
    """``raw`` decoded by pydantic-core's JSON parser (jiter, written in Rust: no Python call per object or
    number), or :data:`_NOT_PROVEN` when that result is not proven equal to the strict decoder's (duplicate or
    case-variant keys, excess depth, integers outside 64 bits, non-finite or over-long numbers) or jiter refuses
    the text (it refuses ``NaN``/``Infinity`` here, lone surrogates, and whatever the strict decoder refuses as not
    JSON): the strict decoder then decides and names the problem. A value jiter returns holds no lone surrogate:
    it builds its strings as Rust strings, valid UTF-8, which has no form for one, and refuses every escape that
    would make one (``"\\ud800"``, ``"\\udc00\\ud83d"``, a str holding one: pinned by the tests), so
    :func:`loads` looks for lone surrogates only in what the strict decoder returns. jiter reads UTF-8 only: it
    refuses every byte sequence that is not (pinned by the tests), so bytes it decodes are UTF-8 and :func:`loads`
    decodes them to text only when they are not proven (a refusal past jiter's nesting is named only for UTF-8
    bytes). Only keys go through jiter's string cache (they repeat call after call; values seldom do, and
    caching them costs more than it saves); the values decoded are the same either way.
    """
    refusal: str | None = None
    try:
        value = _from_json(raw, allow_inf_nan=False, cache_strings="keys")
    except ValueError as exc:
        refusal = str(exc)
    except TypeError:  # a str holding a lone surrogate has no UTF-8 form to read
        return _NOT_PROVEN
    if refusal is not None:
        _refuse_past_jiter_nesting(refusal, raw, limit)
        return _NOT_PROVEN
    found = _levels(value, limit)
    if found is None:
        return _NOT_PROVEN
    dicts, keys, floats, strings = found
    if not _keys_written_once(keys + strings, raw) or not _no_case_variants(dicts):
        return _NOT_PROVEN
    if floats and not _floats_ok(floats, raw):
        return _NOT_PROVEN
    return value


#: jiter refuses a body as "recursion limit exceeded" only once it nests at least this many containers deep (it
#: reads 200 levels and refuses a value inside the 201st): deeper than any ``max_depth`` below it
_JITER_NESTING = 201
#: where jiter stopped (a line and a column, both counted from 1; the column in UTF-8 bytes)
_JITER_TOO_DEEP = re.compile(r"recursion limit exceeded at line ([0-9]+) column ([0-9]+)")


def _refuse_past_jiter_nesting(refusal: str, raw: bytes | str, limit: int) -> None:
    """Raise the strict decoder's verdict on a body jiter refused as nested past its own limit, without handing
    the whole body to the strict decoder (it recurses once per level, up to the interpreter's recursion limit:
    ``"[" * 100000`` ran ~1,000 frames deep, and finalizers run by the garbage collector meanwhile failed with
    RecursionErrors of their own). Returns (nothing proven) for any other refusal, or when ``limit`` is not
    below jiter's nesting limit.

    jiter reads the body in order and stopped at ``_JITER_NESTING`` levels; the text before that point is
    decoded by the strict decoder, which refuses it exactly as it would the whole body whenever the problem lies
    there (a duplicate or case-variant key in an object closed before it, an integer out of range, an over-long
    number): the same problem. Otherwise the body is refused as nested too deeply — it is, whatever lies deeper
    (the strict decoder's own verdict there depended on how much stack its caller had left).
    """
    where = _JITER_TOO_DEEP.fullmatch(refusal)
    if where is None or limit >= _JITER_NESTING:
        return
    if isinstance(raw, bytes) and not _is_utf8(raw):
        return  # bytes that are not UTF-8 are refused as that, wherever it lies (loads decodes them)
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    line, column = int(where.group(1)), int(where.group(2))
    # where the line starts: just past its ``line - 1``-th newline, found by bisection over C-speed counts (a
    # split would build an object per line of a hostile body)
    start = bisect_left(range(len(data) + 1), line - 1, key=partial(data.count, b"\n", 0))
    stop = start + column - 1
    if stop > len(data) or (line > 1 and data[start - 1] != 0x0A) or b"\n" in data[start:stop]:
        return  # not a place in this body: the strict decoder decides
    try:
        prefix = data[:stop].decode("utf-8")
    except UnicodeDecodeError:
        return
    problem = "nested too deeply"
    refused: WireError | None = None
    try:
        _DECODER.decode(prefix)
    except WireError as exc:
        refused = exc
    except json.JSONDecodeError as exc:
        if exc.pos < len(prefix):  # refused before jiter's stopping point (jiter let it pass: not expected)
            problem = "not JSON"
    except RecursionError:  # 201 levels deeper than its caller's stack allows: nested too deeply all the same
        pass
    else:
        return  # a prefix with a value of its own: not where jiter stopped
    if refused is not None:
        refused.__context__ = None
        raise refused
    raise WireError("body", problem)


def _text_of(raw: bytes | str) -> str:
    """The body as text: bytes decoded as UTF-8 (JSON exchanged between systems is UTF-8, RFC 8259 §8.1: never
    guess UTF-16/32 from the bytes), refused as "not UTF-8" otherwise."""
    if not isinstance(raw, bytes):
        return raw
    problem: str | None = None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problem = "not UTF-8"
    # raised outside the except block: the decode error (whose ``object`` is the whole payload) must not ride along
    raise WireError("body", problem)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def loads(data: bytes | bytearray | str, *, max_depth: int = MAX_DEPTH, max_size: int = MAX_BODY) -> Any:
    """Parse JSON strictly (see the module docstring); :class:`WireError` on anything doubtful.

    Bodies are decoded once by jiter (:func:`_decode_fast`) and the result is proven to be what the strict
    decoder gives; anything not proven so is decoded again by the strict decoder (:func:`_strict`: a hook per
    object and per number), which refuses it exactly as before.
    """
    if len(data) > max_size:
        raise WireError("body", "too large")
    # every refusal is raised outside the ``except`` block that saw it: the parser's exception (whose ``doc``
    # / ``object`` is the whole payload, personal data included) must not ride along as ``__context__``
    raw: bytes | str = data if isinstance(data, bytes) else bytes(data) if isinstance(data, bytearray) else data
    value = _decode_fast(raw, max_depth)
    if value is not _NOT_PROVEN:
        return value  # proven, and UTF-8 with no lone surrogate (jiter reads neither, see _decode_fast)
    text = _text_of(raw)
    value = _strict(text)
    # a lone surrogate comes from a \uD8xx escape (most bodies hold no backslash at all: one memchr) or, in a str
    # given as is (bytes decoded above never hold one), from the text itself
    escaped = "\\" in text and ("\\ud" in text or "\\uD" in text)
    if (escaped or (raw is text and not text.isascii())) and _has_lone_surrogate(value):
        raise WireError("body", "a string holds a lone surrogate (not Unicode text)")
    if not _depth_ok(value, max_depth):
        raise WireError("body", "nested too deeply")
    return value


def _strict(text: str) -> Any:
    """The per-object-hook decode: every duplicate or case-variant key refused as it is met."""
    problem: str | None = None
    refused: WireError | None = None
    try:
        value = _DECODER.decode(text)
    except WireError as exc:
        refused = exc
    except RecursionError:
        problem = "nested too deeply"
    except (ValueError, UnicodeDecodeError):
        problem = "empty" if not text else "not JSON"
    if refused is not None:
        refused.__context__ = None
        raise refused
    if problem is not None:
        raise WireError("body", problem)
    return value


# ---------------------------------------------------------------------------------------------------
# Value readers (None stays None where a field is optional; wrong types are refused, never coerced)


def obj(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object."""
    if type(value) is not dict and not isinstance(value, Mapping):  # dict first: the ABC check is slow
        raise WireError(field, "expected an object")
    return value


def opt_obj(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object; ``None`` reads as ``{}``."""
    return {} if value is None else obj(value, field)


def array(value: Any, field: str) -> list[Any]:
    """A JSON array; ``None`` reads as ``[]``."""
    if type(value) is list:  # exact type first: the isinstance call is the slower test
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise WireError(field, "expected an array")
    return value


def objects(value: Any, field: str) -> list[Mapping[str, Any]]:
    """An array of objects; ``None`` reads as ``[]``."""
    if value is None:
        return []
    if type(value) is list:  # the usual case: plain dicts, checked without a generator or a name per item
        for item in value:
            if type(item) is not dict:
                break
        else:
            return list(value)
    items = array(value, field)
    return [obj(item, f"{field}[{i}]") for i, item in enumerate(items)]


def text(value: Any, field: str, *, max_len: int = 4096) -> str | None:
    """A string, stripped; ``None`` and blank read as None."""
    if value is None:
        return None
    if type(value) is not str and not isinstance(value, str):  # exact type first: isinstance is the slower test
        raise WireError(field, "expected a string")
    if len(value) > max_len:
        raise WireError(field, "string too long")
    return value.strip() or None


def code(value: Any, field: str, *, max_len: int = 128) -> str | None:
    """A status or code string exactly as sent (not stripped: ``"Approved "`` is not ``"Approved"``)."""
    if value is None:
        return None
    if type(value) is not str and not isinstance(value, str):  # exact type first: isinstance is the slower test
        raise WireError(field, "expected a string")
    if len(value) > max_len:
        raise WireError(field, "string too long")
    return value


def link(value: Any, field: str, *, missing: str = "missing") -> str:
    """A hosted-page link a vendor hands out: an absolute http(s) URL of printable characters, at most 4096
    long; :class:`WireError` naming ``field`` otherwise, with ``missing`` as the problem when it is absent."""
    url = code(value, field, max_len=4096)
    if not url:
        raise WireError(field, missing)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not url.isprintable():
        raise WireError(field, "expected an http(s) URL")
    return url


def integer(value: Any, field: str, *, strings: bool = False, lo: int = -MAX_INT - 1, hi: int = MAX_INT) -> int | None:
    """An integer. With ``strings=True`` (only where the vendor documents numbers as strings) a string of
    plain ASCII digits is accepted too — no sign but ``-``, no spaces, no other digit systems."""
    if value is None:
        return None
    kind = type(value)
    if kind is bool:  # bool cannot be subclassed: this is ``isinstance(value, bool)``
        raise WireError(field, "expected an integer")
    result: int
    if kind is int or isinstance(value, int):
        result = value
    elif strings and isinstance(value, str) and _ASCII_INT.fullmatch(value):
        result = int(value)
    else:
        raise WireError(field, "expected an integer")
    if not lo <= result <= hi:
        raise WireError(field, "integer out of range")
    return result


def number(value: Any, field: str, *, strings: bool = False, lo: float = -math.inf,
           hi: float = math.inf) -> float | None:
    """A finite number (int or float; with ``strings=True`` a plain ASCII decimal string too)."""
    if value is None:
        return None
    kind = type(value)
    if kind is bool:  # bool cannot be subclassed: this is ``isinstance(value, bool)``
        raise WireError(field, "expected a number")
    if kind is not float and kind is not int and not isinstance(value, (int, float)) and not (
            strings and isinstance(value, str) and _ASCII_DECIMAL.fullmatch(value) is not None):
        raise WireError(field, "expected a number")
    result = float(value)
    if not math.isfinite(result) or not lo <= result <= hi:
        raise WireError(field, "number out of range")
    return result


def boolean(value: Any, field: str) -> bool | None:
    """A JSON boolean (``"true"``, ``1`` are refused)."""
    if value is None:
        return None
    if type(value) is not bool:  # bool cannot be subclassed: this is ``isinstance(value, bool)``
        raise WireError(field, "expected a boolean")
    return value


def flag(value: Any, field: str, *, yes: str = "Y", no: str = "N") -> bool | None:
    """A ``Y``/``N`` style flag, exactly as documented; anything else is refused."""
    if value is None:
        return None
    if value == yes:
        return True
    if value == no:
        return False
    raise WireError(field, f"expected {yes} or {no}")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any, field: str) -> date | None:
    """A ``YYYY-MM-DD`` date (a longer ISO timestamp is read by its date part); ASCII digits only."""
    raw: str | None
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        # the usual form, read without the pattern: of ten characters with dashes at 4 and 7, ``fromisoformat`` reads
        # only ASCII-digit ``YYYY-MM-DD`` (its other forms — ``YYYYMMDD``, ``YYYY-Www-D`` — have no dash at 7, and a
        # character outside ASCII makes the UTF-8 it reads longer than ten bytes), exactly what the pattern matches;
        # anything it refuses is read below, which names the problem
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if type(value) is str and len(value) == 10 and _ISO_DATE.match(value):
        raw = value  # matched as it is: nothing to strip, no time to cut
    else:
        raw = text(value, field, max_len=64)
        if raw is None:
            return None
        if not _ISO_DATE.match(raw) or (len(raw) > 10 and raw[10] not in "T "):
            raise WireError(field, "expected a YYYY-MM-DD date")
    try:  # ten ASCII characters ``YYYY-MM-DD`` (matched above): exactly the form every ``fromisoformat`` reads
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise WireError(field, "not a calendar date") from None


#: timestamps outside [1970, 2200) are refused (no OverflowError/OSError from the platform's C library)
_MAX_EPOCH = 7_258_118_400


def epoch(value: Any, field: str, *, millis: bool = False, strings: bool = False) -> datetime | None:
    """A Unix timestamp (seconds, or milliseconds with ``millis=True``) as an aware UTC datetime."""
    n = integer(value, field, strings=strings, lo=0)
    if n is None:
        return None
    seconds = n / 1000 if millis else n
    if seconds >= _MAX_EPOCH:
        raise WireError(field, "timestamp out of range")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


_FRACTION = re.compile(r"\.([0-9]+)")
#: a timestamp of at most this many characters has a fraction of at most 6 digits (``YYYY-MM-DDTHH:MM:SS.ffffff``)
_UNCUT = 26
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


#: the characters at 4, 7, 10, 13, 16 and 19 of the usual UTC timestamps, by length: ``YYYY-MM-DDTHH:MM:SSZ`` and
#: ``YYYY-MM-DDTHH:MM:SS.fffZ`` (JavaScript's ``toISOString``)
_ZULU_SEPARATORS = {20: "--T::Z", 24: "--T::."}


def iso_datetime(value: Any, field: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; naive ones are read as UTC); ASCII digits only."""
    if (type(value) is str and len(value) in _ZULU_SEPARATORS and value[4:20:3] == _ZULU_SEPARATORS[len(value)]
            and value[-1] == "Z" and value.isascii() and "\x00" not in value):
        # the usual UTC forms, read without the pattern: their separators stand where they should, and every other
        # character is one ``fromisoformat`` reads as an ASCII digit (it parses each of them with its separators
        # fixed: on 3.10 to 3.13 it reads such a text only when they are), exactly what the pattern matches; the
        # ``Z`` rewritten as below. Anything it refuses is read below, which names the problem. No NUL: the C
        # parser reads its input as a C string where it meets a ``Z`` (the zone only when the text ends right after
        # it), so ``Z`` then NUL inside the time would end it there (``…T00:Z\x00:00.123Z`` read as midnight)
        try:
            return datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            pass
    raw: str | None
    if type(value) is str and len(value) <= _UNCUT and _ISO_DATETIME.fullmatch(value):
        raw = value  # the usual forms, matched as they are: nothing to strip (the pattern neither starts nor ends
        # with a space), no fraction to cut (one of more than 6 digits needs more than _UNCUT characters)
    else:
        raw = text(value, field, max_len=64)
        if raw is None:
            return None
        if not _ISO_DATETIME.fullmatch(raw):
            raise WireError(field, "expected an ISO 8601 timestamp")
        if "." in raw:
            frac = _FRACTION.search(raw)
            if frac and len(frac.group(1)) > 6:  # fromisoformat takes at most microseconds before 3.11
                raw = raw.replace(frac.group(0), "." + frac.group(1)[:6])
    if raw[-1] == "Z":  # the only place the pattern allows one; fromisoformat reads it only from 3.11
        raw = raw[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise WireError(field, "not a valid timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def ascii_digits(value: str, field: str, *, max_len: int = 19) -> int:
    """A header or query value of ASCII digits only (webhook timestamps); anything else is refused."""
    if not isinstance(value, str) or not _ASCII_INT.fullmatch(value) or value.startswith("-") \
            or len(value) > max_len:
        raise WireError(field, "expected ASCII digits")
    return int(value)


__all__ = [
    "MAX_BODY",
    "MAX_DEPTH",
    "WireError",
    "array",
    "ascii_digits",
    "boolean",
    "code",
    "epoch",
    "flag",
    "integer",
    "iso_date",
    "iso_datetime",
    "loads",
    "number",
    "obj",
    "objects",
    "opt_obj",
    "text",
]
