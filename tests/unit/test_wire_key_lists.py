"""The strict reader's memory of key lists proven free of case variants (issue 15: Alibaba's and Tencent's keys have
capitals) and its quote count on a str body decide exactly as the reference reader: a remembered list proves only
an object with exactly those keys in that order, never a neighbour, a merge of two lists or another letter case."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc._wire import WireError
from tests.bench.test_wire_equivalence import DOCUMENTS, assert_decides_alike

#: keys with capitals whose case folds meet: the memory must keep each object's list apart
CASED = st.sampled_from(["Sex", "sex", "SEX", "Name", "name", "GivenName", "givenname", "a", "A", "ß", "SS"])


def _object(keys: list[str]) -> str:
    return "{" + ",".join(f"{json.dumps(key)}:{n}" for n, key in enumerate(keys)) + "}"


@st.composite
def _cased_documents(draw: st.DrawFn) -> str:
    """An object of up to three objects, each of up to four keys drawn from :data:`CASED` (repeats and case variants
    within one object, and the same keys split differently between objects)."""
    inner = [_object(draw(st.lists(CASED, max_size=4))) for _ in range(draw(st.integers(0, 3)))]
    outer = draw(st.lists(CASED, min_size=len(inner), max_size=len(inner) + 2))
    pairs = [f"{json.dumps(key)}:{inner[n] if n < len(inner) else n}" for n, key in enumerate(outer)]
    return "{" + ",".join(pairs) + "}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_cased_documents(), DOCUMENTS), min_size=1, max_size=6))
def test_remembered_key_lists_decide_like_the_reference(texts: list[str]) -> None:
    """Each document read cold and warm, as a str, as bytes and as a JSON-in-JSON string (its quotes escaped), after
    the others: whatever the memory holds, every answer is the reference's."""
    for text in texts:
        for _ in range(2):
            assert_decides_alike(text, 6)
            try:
                as_bytes = ("value", _wire.loads(text.encode("utf-8", "surrogatepass"), max_depth=6))
            except WireError as exc:
                as_bytes = ("error", exc.problem)
            try:
                as_str = ("value", _wire.loads(text, max_depth=6))
            except WireError as exc:
                as_str = ("error", exc.problem)
            if "\\ud" not in text.lower() and text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == text:
                assert as_bytes == as_str, text
        nested = json.dumps({"Ext": text})
        got = _wire.loads(nested)
        assert got == {"Ext": text}


@pytest.mark.parametrize(("proven", "refused"), [
    ('{"Sex": 1, "a": {"sex": 2}}', '{"Sex": 1, "sex": 2}'),
    ('{"Sex": 1, "a": {"sex": 2}}', '{"a": {"Sex": 1, "sex": 2}}'),
    ('{"Name": {"a": 1}, "b": {"name": 2}}', '{"Name": 1, "name": 2}'),
    ('{"GivenName": 1}', '{"GivenName": 1, "givenname": 2}'),
    ('[{"A": 1}, {"a": 1}]', '[{"A": 1, "a": 1}]'),
    ('{"K": {"\\u00df": 1}, "L": {"SS": 1}}', '{"K": {"\\u00df": 1, "SS": 1}}'),
])
def test_a_remembered_list_proves_no_other_object(proven: str, refused: str) -> None:
    """Bodies whose objects' keys are fine each alone, then an object mixing them: refused, as bytes and as str."""
    for form in (proven, proven.encode()):
        _wire.loads(form)
        _wire.loads(form)
    for form in (refused, refused.encode()):
        with pytest.raises(WireError, match="differing only in case"):
            _wire.loads(form)


def test_the_memory_of_key_lists_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key lists are remembered only from bodies whose keys hold at most 4,096 characters, and the memory is emptied
    once they held 16,384 characters in all or it would hold more than 512 lists: it never grows past that."""
    monkeypatch.setattr(_wire, "_APART_KEY_LISTS", set())
    monkeypatch.setattr(_wire, "_apart_text", 0)
    assert _wire.loads(json.dumps({"K" * 5000: 1, "b": 2}).encode()) == {"K" * 5000: 1, "b": 2}
    assert not _wire._APART_KEY_LISTS
    for n in range(40):
        body = json.dumps({f"Key_{n}_{i}_" + "x" * 900: i for i in range(3)}).encode()
        assert len(_wire.loads(body)) == 3
        assert sum(map(len, map("".join, _wire._APART_KEY_LISTS))) <= _wire._apart_text <= 16384
    for n in range(600):
        assert _wire.loads(json.dumps([{f"K{n}": 1}, {f"L{n}": 2}]).encode()) == [{f"K{n}": 1}, {f"L{n}": 2}]
        assert len(_wire._APART_KEY_LISTS) <= 512
