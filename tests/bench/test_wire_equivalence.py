"""The strict JSON reader's cheaper checks (issue 15) decide exactly as the plain checks they replaced: a
reference reader written the obvious way — every key case-folded, every container walked — is compared with
``ekyc._wire.loads`` on generated documents with duplicate keys, case-variant keys (ASCII and not), and
nesting around the depth limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc._wire import WireError


def _reference_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise WireError("body", "duplicate key in a JSON object")
    if len({k.casefold() for k in out}) != len(out):
        raise WireError("body", "keys differing only in case in a JSON object")
    return out


def _reference_depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def reference(text: str, max_depth: int) -> Any:
    """What the reader must answer: the value, or the WireError's problem."""
    try:
        value = json.loads(text, object_pairs_hook=_reference_pairs, parse_constant=_wire._constant,
                           parse_int=_wire._int, parse_float=_wire._float)
    except WireError as exc:
        return ("error", exc.problem)
    except (ValueError, RecursionError):
        return ("error", "other")
    if not _reference_depth_ok(value, max_depth):
        return ("error", "nested too deeply")
    return ("value", value)


def actual(text: str, max_depth: int) -> Any:
    try:
        return ("value", _wire.loads(text, max_depth=max_depth))
    except WireError as exc:
        return ("error", exc.problem if exc.problem in ("nested too deeply",) or "key" in exc.problem
                or "range" in exc.problem or "not JSON" in exc.problem else "other")


KEYS = st.sampled_from(["a", "A", "b", "ß", "SS", "ss", "Straße", "STRASSE", "k1", "K1", "é", "É", "x_y", "İ", "i̇"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=4))


def _objects(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(KEYS, children).map(lambda kv: f"{json.dumps(kv[0])}:{kv[1]}")
    return st.lists(pair, max_size=4).map(lambda items: "{" + ",".join(items) + "}")


DOCUMENTS = st.recursive(
    SCALARS.map(json.dumps),
    lambda inner: st.one_of(_objects(inner), st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")),
    max_leaves=25,
)


def assert_decides_alike(text: str, max_depth: int) -> None:
    """``loads`` and the reference give the same value, or both refuse — with the same problem when the reference
    names one."""
    want = reference(text, max_depth)
    got = actual(text, max_depth)
    if want[0] == "error":
        assert got[0] == "error", text
        if want[1] != "other":
            assert got[1] == want[1], text
    else:
        assert got == want, text


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS, st.integers(1, 6))
def test_loads_decides_like_the_reference(text: str, max_depth: int) -> None:
    assert_decides_alike(text, max_depth)


@pytest.mark.parametrize("depth", [1, 2, 31, 32, 33, 40])
@pytest.mark.parametrize("opener", ["[", '{"k":'])
def test_depth_limit_at_the_edge(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = opener * depth + "1" + closer * depth
    if depth <= _wire.MAX_DEPTH:
        assert _wire.loads(text) is not None
    else:
        with pytest.raises(WireError, match="nested too deeply"):
            _wire.loads(text)


def test_brackets_in_strings_do_not_hide_depth() -> None:
    """The bracket count that skips the walk counts brackets in strings too (a bound, never an excuse)."""
    deep = "[" * 33 + "1" + "]" * 33
    with pytest.raises(WireError, match="nested too deeply"):
        _wire.loads(deep)
    shallow_with_brackets = json.dumps({"note": "[[[[{{{{" * 10, "list": [[1]]})
    assert _wire.loads(shallow_with_brackets)["list"] == [[1]]


@pytest.mark.parametrize("keys", [("ß", "SS"), ("Straße", "STRASSE"), ("a", "A"), ("é", "É"), ("Key", "kEY")])
def test_case_variant_keys_refused(keys: tuple[str, str]) -> None:
    text = json.dumps({keys[0]: 1, keys[1]: 2})
    with pytest.raises(WireError, match="differing only in case"):
        _wire.loads(text)


def test_distinct_lowercase_and_mixed_keys_read() -> None:
    assert _wire.loads('{"a":1,"b":2,"c_d":3}') == {"a": 1, "b": 2, "c_d": 3}
    assert _wire.loads('{"BizToken":"x","ErrorCode":0,"é":1}') == {"BizToken": "x", "ErrorCode": 0, "é": 1}


# -- the hook-free fast path (issue 15): its duplicate proof counts the quotes in the text (it counted ``":``
# -- before), so the documents below are written with whitespace around every token and with keys and strings
# -- that hold or start with colons, quotes and backslashes, escaped in every way JSON allows; both paths must
# -- decide exactly as the reference.

TRICKY = st.sampled_from(["a", "A", ":", ":a", "a:", '"', '":', '":"', "\\", "x\\", "é", "É", "ß", "SS", "k", "K"])
SPACE = st.sampled_from(["", "", " ", "\n", "\t ", "\r\n"])


def _escaped(text: str, mode: int) -> str:
    if mode == 0:
        return json.dumps(text)
    if mode == 1:  # every character as a \u escape (a colon as \u003a, a quote as \u0022)
        return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'
    return json.dumps(text, ensure_ascii=False)


@st.composite
def _spaced(draw: st.DrawFn, depth: int = 0) -> str:
    ws = lambda: draw(SPACE)  # noqa: E731
    kind = draw(st.integers(0, 3 if depth < 4 else 1))
    if kind == 0:
        return _escaped(draw(TRICKY), draw(st.integers(0, 2)))
    if kind == 1:
        return json.dumps(draw(st.one_of(st.none(), st.booleans(), st.integers(-5, 5))))
    if kind == 2:
        items = [draw(_spaced(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
        return "[" + ws() + ("," + ws()).join(items) + ws() + "]"
    pairs = [f"{_escaped(draw(TRICKY), draw(st.integers(0, 2)))}{ws()}:{ws()}{draw(_spaced(depth + 1))}"
             for _ in range(draw(st.integers(0, 4)))]
    return "{" + ws() + ("," + ws()).join(pairs) + ws() + "}"


@settings(max_examples=600, deadline=None)
@given(_spaced(), st.integers(1, 6))
def test_fast_path_decides_like_the_reference_with_spaces_colons_and_escapes(text: str, max_depth: int) -> None:
    assert_decides_alike(text, max_depth)


@pytest.mark.parametrize("text", [
    '{"a":1,"a" :2}',  # a spaced colon (the proof counted '":' before it counted quotes)
    '{"a" :1,"a":2}',
    '{"a":"\\u0022:","a":"\\u0022:"}',  # quotes written as \u0022 make no '":' in the text
    '{"a":"\\":","a":1}',
    '{"a":":","a":":"}',
    '{"x":{"a":1},"x":{"a":1}}',
    '{"k\\u003a":1,"k:":2}',
    '{"a":1,"A":2}',
    '{"\\u00e9":1,"\\u00c9":2}',
    # the pair dropped holds strings, or none; quotes escaped after runs of one, two and three backslashes
    '{"a":"x","a":1}',
    '{"a":1,"a":"x"}',
    '{"a":["x",{"b":"y"}],"a":[]}',
    '{"a":"\\\\\\"","a":1}',
    '{"a\\\\":1,"a\\\\":"\\""}',
    '{"x":"\\"\\"\\"","x":"\\\\"}',
    '[{"a":1},{"b":"\\"","b":"\\\\\\\\"}]',
])
def test_fast_path_never_hides_a_duplicate_or_case_variant(text: str) -> None:
    with pytest.raises(WireError, match=r"duplicate key|differing only in case"):
        _wire.loads(text)


def test_fast_result_is_kept_only_when_proven() -> None:
    """The fast path's own answer: a clean body is proven — spaced colons and strings holding colons too, since
    the proof counts quotes; a duplicate, a case variant, excess depth, a huge integer or a long number literal is
    not (the strict decoder then decides)."""
    for clean in ('{"a":1,"b":[{"c":"x"}]}', '{"BizToken":"x","Err":{"Code":"y"}}', "[]", "5", '{"a":0.5}',
                  '{"Ext":"{\\"k\\":1}"}', '{"a" : 1}', '{"a":":x"}', '"x"', '["\\\\", "\\"", {"b\\"" : ""}]'):
        assert _wire._decode_fast(clean, 32) is not _wire._NOT_PROVEN, clean
    for unproven in ('{"a":1,"a":2}', '{"a" :1,"a" :2}', '{"a":1,"A":2}', '{"a":"x","a":"y"}',
                     "[" * 40 + "]" * 40, "[9223372036854775808]", "[[true],[-9223372036854775809]]",
                     "[1e400]", '{"a":0.' + "1" * 70 + "}", "[NaN]", '"\\ud800"'):
        assert _wire._decode_fast(unproven, 32) is _wire._NOT_PROVEN, unproven
