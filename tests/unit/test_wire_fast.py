"""The strict JSON reader's fast path (issue 15) is proven to decide exactly as the strict decoder alone.

``ekyc._wire.loads`` decodes a body once with pydantic-core's parser and keeps that value only when it is proven to
be what the per-object, per-number hooked decoder (``_wire._strict``) returns; anything else is decoded again by the
strict decoder. The reference below is the reader as it was before the fast path: the strict decoder, then the
lone-surrogate and depth checks. Hypothesis writes hostile and ordinary documents — duplicate keys at any depth,
case variants (ASCII and not), escaped quotes before colons, spaced colons, strings holding ``":``, huge integers
at every depth, ``1e400``, ``-0``, over-long number literals, ``NaN``/``Infinity``, nesting around the depth limit,
lone and paired surrogate escapes, a BOM, bytes that are not UTF-8 — and both readers must return the same value
(same types, same order, same sign of zero) or refuse with the same problem.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc._wire import MAX_BODY, WireError


def reference(data: bytes | str, max_depth: int) -> tuple[str, Any]:
    """The reader without its fast path: the value's ``repr`` or the refusal's problem."""
    if len(data) > MAX_BODY:
        return ("error", "too large")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return ("error", "not UTF-8")
    else:
        text = data
    try:
        value = _wire._strict(text)
    except WireError as exc:
        return ("error", exc.problem)
    # a str given as is may hold a lone surrogate itself, not only as an escape (bytes decoded as UTF-8 never do)
    if _wire._has_lone_surrogate(value):
        return ("error", "a string holds a lone surrogate (not Unicode text)")
    if not _wire._depth_ok(value, max_depth):
        return ("error", "nested too deeply")
    return ("value", repr(value))


def actual(data: bytes | str, max_depth: int) -> tuple[str, Any]:
    try:
        return ("value", repr(_wire.loads(data, max_depth=max_depth)))
    except WireError as exc:
        return ("error", exc.problem)


KEYS = st.sampled_from([
    "a", "A", "b", "id", "ID", "Id", "ß", "SS", "ss", "Straße", "STRASSE", "é", "É", "İ", "i̇", "K", "k", "\u212a",
    "ǅ", "ǆ", '"', ":", '":', '\\":', "\\", "a\\", "\x00", "a\x00b", "A\x00B", " ", "x y", "\ud83d\ude00",
])
#: number literals as written: ordinary, at the 64-bit edges, huge, non-finite, over-long, negative zero
NUMBERS = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from([
        "0", "-0", "-0.0", "0.0", "1.5", "-2.25e-3", "1E2", "1e+2", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "99999999999999999999", "12345678901234567890123",
        "9" * 400, "9" * 5000, "1e400", "-1e400", "1e308", "2e308", "1e-400", "0." + "0" * 70, "0." + "1" * 63,
        "0." + "1" * 62, "1." + "2" * 62 + "e1", "1e" + "0" * 70 + "1", "1" * 20 + ".5", "NaN", "Infinity",
        "-Infinity", "1.0e-7", "123456789012345678.5",
        "999999999999999999", "-999999999999999999", "1e309", "-1e309", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "4.9e-324", "2.4e-324", "1E+0000000000000000308",
    ]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
STRING_BODIES = st.one_of(
    st.text(max_size=6),
    st.sampled_from(['":', 'x":y', '\\":', ":", "a:b", "https://x/y", "12:34:56", "{\"k\":1}", "\\", '"', "[[{{",
                     "9" * 21, "1" * 19, "-9223372036854775809", "1e400", "0." + "0" * 70]),
)
SPACE = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n", "  "])


def _escaped(text: str, mode: int) -> str:
    if mode == 0:
        return json.dumps(text)
    if mode == 1:  # every character as a \u escape (a colon as \u003a, a quote as \u0022)
        return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else json.dumps(c)[1:-1] for c in text) + '"'
    return json.dumps(text, ensure_ascii=False)


SURROGATES = st.sampled_from(['"\\ud800"', '"\\udc00"', '"x\\uDBFFy"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\u0041"'])


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    ws = lambda: draw(SPACE)  # noqa: E731
    kind = draw(st.integers(0, 5 if depth < 7 else 2))
    if kind == 0:
        return _escaped(draw(STRING_BODIES), draw(st.integers(0, 2)))
    if kind == 1:
        return draw(NUMBERS)
    if kind == 2:
        return draw(st.one_of(st.sampled_from(["null", "true", "false"]), SURROGATES))
    if kind == 3:
        items = [draw(documents(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
        return "[" + ws() + ("," + ws()).join(items) + ws() + "]"
    keys = draw(st.lists(KEYS, max_size=4))
    if keys and draw(st.booleans()):  # a key written twice, anywhere
        keys.append(draw(st.sampled_from(keys)))
    pairs = [f"{_escaped(k, draw(st.integers(0, 2)))}{ws()}:{ws()}{draw(documents(depth + 1))}" for k in keys]
    return "{" + ws() + ("," + ws()).join(pairs) + ws() + "}"


def _as_sent(text: str, how: int) -> bytes | str:
    if how == 0:
        return text
    raw = text.encode("utf-8", "surrogatepass")
    if how == 2:
        return b"\xef\xbb\xbf" + raw  # a BOM
    if how == 3:  # bytes that are not UTF-8 (one of several kinds, by the text's length), inside a string or not
        bad = NOT_UTF8[len(raw) % len(NOT_UTF8)]
        return raw[: len(raw) // 2] + bad + raw[len(raw) // 2:]
    return raw


#: byte sequences UTF-8 has no reading for: a byte no sequence starts with, a continuation byte alone, overlong
#: forms, an encoded surrogate, a code point past U+10FFFF, sequences cut short
NOT_UTF8 = [b"\xff", b"\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc3",
            b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3\x28", b"\xfe\xff"]


@settings(max_examples=1500, deadline=None)
@given(documents(), st.sampled_from([1, 2, 3, 5, 32]), st.sampled_from([0, 1, 1, 1, 2, 3]))
@example('{"a":1,"a" :2}', 32, 1)
@example('{"a":"\\":","a":1}', 32, 1)
@example('{"k\\u003a":1,"k:":2}', 32, 1)
@example('{"a\\\\":1,"a\\\\":2}', 32, 1)
@example('{"x":"\\\\":1}', 32, 1)
@example('{"\\u00df":1,"SS":2}', 32, 1)
@example('{"a":{"b":{"c":1}}}', 2, 1)
@example('{"a":{"b":{"c":{}}}}', 3, 1)
@example('{"a":[1.5, 0.' + "0" * 70 + "]}", 32, 1)
@example('[[9223372036854775807],{"a":[-9223372036854775808,true]}]', 32, 1)
@example('[1,[true,{"a":[9223372036854775808]}]]', 32, 1)
@example('[false,[{"a":-9223372036854775809}],0]', 32, 0)
@example('{"a" :1,"a" :2}', 32, 1)
@example('{"a":[1.7976931348623158e308,2.4e-324,-0.0],"b":"1e400"}', 32, 1)
@example('{"a":[1.7976931348623159e308]}', 32, 1)
@example('{"n":"' + "9" * 30 + '","f":0.5}', 32, 1)
@example('{"a" :1,"b":"2:3","a":4}', 32, 1)
@example('{"a":"x","b":{"a":"1:2"},"b" :3}', 32, 1)
def test_loads_decides_like_the_strict_decoder(text: str, max_depth: int, how: int) -> None:
    data = _as_sent(text, how)
    assert actual(data, max_depth) == reference(data, max_depth), text


@pytest.mark.parametrize("depth", [1, 2, 31, 32, 33])
@pytest.mark.parametrize("shape", ["[{}]", '{"k":[]}', '[{"k":1}]', '{"k":{"j":[1]}}'])
def test_depth_limit_at_the_edge_with_empty_and_full_containers(depth: int, shape: str) -> None:
    text = "[" * depth + shape + "]" * depth
    assert actual(text, 32) == reference(text, 32)


def test_huge_integers_never_reach_a_quadratic_conversion() -> None:
    """The CPU guard: the fast parser refuses an integer literal longer than 4,300 digits itself (whatever the
    interpreter's own limit is set to), and the strict decoder refuses any literal over 20 characters before
    ``int()`` sees it; so a body of huge integers is refused as out of range without converting them all."""
    with pytest.raises(ValueError):
        _wire._from_json("9" * 4301)
    body = "[" + ",".join(["9" * 4000] * 50) + "]"
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    try:
        if limit is not None:
            sys.set_int_max_str_digits(0)  # no interpreter limit: the guards above still hold
        for data in (body, "9" * 100_000, '{"a":[' + "1" * 30 + "]}"):
            with pytest.raises(WireError, match="integer out of range"):
                _wire.loads(data)
    finally:
        if limit is not None:
            sys.set_int_max_str_digits(limit)


def test_next_level_is_every_value_and_item() -> None:
    """The walk takes a level's children with ``gc.get_referents`` of the whole level: for plain dicts and lists
    that is exactly their values and items, scalars included (keys are not needed from it), and a scalar of the
    level itself (a string, a number, a boolean, None) reports nothing."""
    d = {"a": 1, "b": "x", "c": None, "d": [2.5, True], "e": {}}
    items = [d, "y", 3, [], None, False]
    assert sorted(map(repr, gc.get_referents(d, items))) == sorted(map(repr, [*d.values(), *items]))
    scalars = ["s", "", 1, 2**63 - 1, -(2**63), 2.5, True, False, None]
    assert gc.get_referents(*scalars) == []
    level = [d, *scalars, items, {}, []]
    assert sorted(map(repr, gc.get_referents(*level))) == sorted(map(repr, [*d.values(), *items]))


def test_a_walk_that_misses_values_proves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should ``gc.get_referents`` ever report other than a container's values and items (another interpreter),
    the walk proves nothing and the strict decoder decides: a case variant below a missed level is still refused."""
    from ekyc import _wire

    monkeypatch.setattr(_wire.gc, "get_referents", lambda *objs: [])
    assert _wire._levels({"a": {"b": 1}}, 32) is None
    with pytest.raises(_wire.WireError, match="case"):
        _wire.loads(b'{"a": {"Key": 1, "key": 2}}')
    assert _wire.loads(b'{"a": {"b": [1, 2.5]}}') == {"a": {"b": [1, 2.5]}}


@pytest.mark.parametrize("body", [b"", b" ", b"nul", b"[1,]", b'{"a":1,}', b"01", b"1.", b"+1", b'"\x01"', b"\x00",
                                  b"[1] x", b"'a'", b'"\\x41"', b"\xef\xbb\xbf{}", b"\x0b[1]", b"[" * 300 + b"]" * 300])
def test_what_json_refuses_is_refused_alike(body: bytes) -> None:
    assert actual(body, 32) == reference(body, 32)
    assert actual(body, 32)[0] == "error"


def test_a_remembered_case_verdict_is_for_that_exact_key_list_and_split() -> None:
    """The case-variant verdict is remembered per key list and per split into objects: the same keys in one object
    or in two, and a list too long to remember, are each decided on their own, in any order, again and again."""
    apart = '{"a":{"Id":1},"b":{"ID":2}}'
    together = '{"a":{"Id":1,"ID":2},"b":{}}'
    long_apart = json.dumps({f"K{i}": {"Id": 1, "X": i} for i in range(300)})
    long_together = json.dumps({**{f"K{i}": i for i in range(300)}, "k0": 1})
    for _ in range(3):
        for text, problem in ((apart, None), (together, "keys differing only in case in a JSON object"),
                              (long_apart, None), (long_together, "keys differing only in case in a JSON object")):
            assert actual(text, 32) == reference(text, 32)
            assert (actual(text, 32)[1] == problem) if problem else actual(text, 32)[0] == "value"


class _Text(str):
    pass


class _Items(list):  # type: ignore[type-arg]
    pass


def test_value_readers_take_and_refuse_what_they_did() -> None:
    """The readers test the exact type first; subclasses still read, booleans are still not numbers."""
    assert _wire.text(_Text(" a "), "f") == "a" and _wire.code(_Text("A "), "f") == "A "
    assert _wire.array(_Items([1]), "f") == [1] and _wire.array(None, "f") == []
    assert _wire.integer(7, "f") == 7 and _wire.number(7, "f") == 7.0 and _wire.number(0.5, "f") == 0.5
    assert _wire.number("1.5", "f", strings=True) == 1.5 and _wire.boolean(False, "f") is False
    refusals: list[tuple[Any, Any]] = [
        (_wire.integer, True), (_wire.integer, "1"), (_wire.integer, 1.5), (_wire.integer, [1]),
        (_wire.number, True), (_wire.number, "1"), (_wire.number, [1]),
        (_wire.boolean, 1), (_wire.boolean, "true"), (_wire.boolean, 0),
        (_wire.text, 1), (_wire.code, 1), (_wire.array, {}),
    ]
    for reader, bad in refusals:
        with pytest.raises(WireError):
            reader(bad, "f")


def test_remembered_case_verdicts_keep_no_large_input_alive() -> None:
    """A key set of more than 4,096 characters is folded every time, never remembered: the remembered verdicts hold
    their keys, and a webhook's keys are read before its signature is checked (red team: 64 bodies of 4 MB keys
    stayed alive in the cache)."""
    from ekyc import _wire

    _wire._remembered_folded_apart.cache_clear()
    big = "K" + "a" * 5000
    assert _wire.loads(json.dumps({big: 1, "b": 2}).encode()) == {big: 1, "b": 2}
    with pytest.raises(_wire.WireError, match="case"):
        _wire.loads(json.dumps({big: 1, big.lower(): 2}).encode())
    assert _wire._remembered_folded_apart.cache_info().currsize == 0
    assert _wire.loads(b'{"Key": 1, "b": 2}') == {"Key": 1, "b": 2}  # small key sets are still remembered
    assert _wire._remembered_folded_apart.cache_info().currsize == 1


# -- bodies nested past jiter's own limit ------------------------------------------------------------------------


class _RecordingDecoder:
    """The strict decoder, remembering every text it is handed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def decode(self, text: str) -> Any:
        self.texts.append(text)
        return _STRICT_DECODER.decode(text)


_STRICT_DECODER = _wire._DECODER


@pytest.mark.parametrize("body", [
    b"[" * 100000, b'{"a":' * 50000, b"[\n" * 100000, "[\"é\",\n {\"k\": \n".encode() + b"[ \r\n" * 5000,
    b"[" * 300 + b"]" * 300, b"[" * 201 + b"1" + b"]" * 201,
])
def test_a_body_nested_past_jiter_never_reaches_the_recursive_decoder(
        body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """jiter stops at 200 levels; the strict decoder (one C recursion per level) is then handed only the text jiter
    read, never the whole body: ``"[" * 100000`` once recursed to the interpreter's limit, and objects finalized by
    the garbage collector meanwhile raised RecursionErrors of their own (a flaky test). This also pins the refusal
    text of pydantic-core the reader relies on: if it changes, the body reaches the decoder whole and this fails."""
    recorder = _RecordingDecoder()
    monkeypatch.setattr(_wire, "_DECODER", recorder)
    for data in (body, body.decode("utf-8")):
        with pytest.raises(WireError, match="nested too deeply"):
            _wire.loads(data)
    assert recorder.texts and all(text.count("[") + text.count("{") <= 202 for text in recorder.texts)


def _deep(tail: int, gap: str) -> tuple[str, str]:
    return (gap.join(["["] * tail), gap.join(["]"] * tail))


@settings(max_examples=400, deadline=None)
@given(documents(), st.sampled_from([1, 32, 200, 300]), st.sampled_from([201, 250]), SPACE, st.booleans())
@example('{"a":1,"a":2}', 32, 250, "", False)
@example('{"é":"\\n","É":2}', 32, 250, "\n", True)
@example('[12345678901234567890123]', 32, 201, " ", False)
@example('{"a":[1e400]}', 200, 250, "\r\n", True)
@example('{"ok":"ü\\u00fc"}', 300, 250, "\n", True)
def test_a_problem_before_jiter_stops_is_named_as_before(
        text: str, max_depth: int, tail: int, gap: str, as_bytes: bool) -> None:
    """A document followed by nesting past jiter's limit: the strict decoder names the document's own problem, as
    it did when it read the whole body, and a sound document makes the body "nested too deeply" (with a
    ``max_depth`` at or above jiter's limit the whole body is still decoded as before)."""
    opened, closed = _deep(tail, gap)
    body = "[" + gap + text + "," + gap + opened + closed + gap + "]"
    data = body.encode("utf-8", "surrogatepass") if as_bytes else body
    assert actual(data, max_depth) == reference(data, max_depth), body


@pytest.mark.parametrize("after", ['{"a":1,"a":2}', '"\\ud800"', "1e400", "x", '{"A":1,"a":2}'])
def test_a_problem_past_jiters_stopping_point_reads_nested_too_deeply(after: str) -> None:
    """What lies past the 200 levels jiter read is not read: the body is refused as nested too deeply, the first
    problem met in reading order by a reader that stops there (the strict decoder reading the whole body named a
    later problem instead, or "nested too deeply" when its caller had less stack left)."""
    opened, closed = _deep(250, "")
    body = "[" + opened + closed + "," + after + "]"
    assert actual(body, 32) == ("error", "nested too deeply")
    assert reference(body, 32)[0] == "error"


@pytest.mark.parametrize("bad", NOT_UTF8)
@pytest.mark.parametrize("where", ['"{}"', '"a{}b"', '{{"{}": 1}}', '["ok", "x{}"]', '{{"a": {{"b": "{}"}}}}'])
def test_jiter_refuses_every_body_that_is_not_utf8(bad: bytes, where: str) -> None:
    """``loads`` decodes bytes to text only when jiter's value is not proven: jiter reads UTF-8 only, so it must
    refuse every byte sequence that is not (in a key or a value, at any depth), and the body is refused as not
    UTF-8, as before. Should pydantic-core ever accept one, this fails."""
    data = where.replace("{}", "\x00").replace("{{", "{").replace("}}", "}").encode().replace(b"\x00", bad)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert _wire._decode_fast(data, 32) is _wire._NOT_PROVEN
    with pytest.raises(WireError, match="not UTF-8"):
        _wire.loads(data)
    deep = b"[" * 250 + data + b"]" * 250  # refused by jiter as nested past its limit, before the bad bytes
    with pytest.raises(WireError, match="not UTF-8"):
        _wire.loads(deep)


@pytest.mark.parametrize("text", [
    '"\\ud800"', '"\\udc00"', '"x\\uDBFFy"', '"\\ud83d"', '"\\ude00\\ud83d"', '"\\ud800\\u0041"', '"\\uD800\\uDBFF"',
    '["\\ud800", 1]', '{"\\ud800": 1}', '{"a": {"b": ["ok", "\\udfff"]}}',
])
def test_jiter_refuses_every_lone_surrogate(text: str) -> None:
    """``loads`` looks for lone surrogates only in what the strict decoder returns: a value jiter returns cannot
    hold one (its strings are Rust strings, valid UTF-8). Should pydantic-core ever return one, this fails."""
    for data in (text, text.encode()):
        assert _wire._decode_fast(data, 32) is _wire._NOT_PROVEN
        with pytest.raises(WireError, match="lone surrogate"):
            _wire.loads(data)
    assert _wire.loads('["\\ud83d\\ude00", {"\\uD83D\\uDE00": 1}]') == ["\U0001f600", {"\U0001f600": 1}]


@pytest.mark.parametrize("text", ['"\ud800"', '{"a": "x\udfffy"}', '["ok", {"b": ["\udc00"]}]', '{"\ud83d": 1}'])
def test_a_str_holding_a_lone_surrogate_itself_is_refused(text: str) -> None:
    """A str given as is (a webhook body an app decoded with ``surrogateescape``) that holds a lone surrogate
    character, not an escape, is not Unicode text: refused like the escaped one (it was accepted, and the
    surrogate reached the readers)."""
    assert "\\" not in text
    with pytest.raises(WireError, match="lone surrogate"):
        _wire.loads(text)
    assert _wire.loads('["\U0001f600", "é"]') == ["\U0001f600", "é"]


def test_keys_seen_without_capitals_prove_only_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys seen to be ASCII without capitals are remembered (their own case fold); a body whose keys are all
    remembered needs no other case check, and any other key — a capital, a non-ASCII letter — is checked as before."""
    monkeypatch.setattr(_wire, "_LOWER_KEYS", set())
    monkeypatch.setattr(_wire, "_lower_text", 0)
    assert _wire.loads(b'{"id": 1, "status": {"id": 2}}') == {"id": 1, "status": {"id": 2}}
    assert {"id", "status"} == _wire._LOWER_KEYS
    assert _wire.loads(b'{"status": 1, "id": {"status": 2}}') == {"status": 1, "id": {"status": 2}}
    for body in (b'{"id": 1, "ID": 2}', b'{"status": {"id": 1, "Id": 2}}', '{"stra\u00dfe": 1, "STRASSE": 2}'.encode(),
                 '{"k": 1, "\u212a": 2}'.encode()):
        with pytest.raises(WireError, match="case"):
            _wire.loads(body)
    assert {"id", "status"} == _wire._LOWER_KEYS  # nothing with a capital or outside ASCII was added


def test_the_memory_of_keys_without_capitals_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sender's keys (a webhook's, before its signature is checked) are remembered only from key lists of at most
    4,096 characters, and the memory is emptied once it took in 16,384 characters: it never grows past that."""
    monkeypatch.setattr(_wire, "_LOWER_KEYS", set())
    monkeypatch.setattr(_wire, "_lower_text", 0)
    assert _wire.loads(json.dumps({"k" * 5000: 1}).encode()) == {"k" * 5000: 1}
    assert not _wire._LOWER_KEYS
    for n in range(40):
        body = json.dumps({f"key_{n}_{i}_" + "x" * 900: i for i in range(3)}).encode()
        assert len(_wire.loads(body)) == 3
        assert sum(map(len, _wire._LOWER_KEYS)) <= _wire._lower_text <= 16384
