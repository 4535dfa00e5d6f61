"""The fast reads of a ``VerificationDetail`` against the strict wire readers they stand for.

``parse._detail`` takes a plain in-range int, an in-range float ``Similarity``, a null field and a short ``Seq``
as they are, and sends everything else through :mod:`ekyc._wire` (issue 15: no field name built per read).
This compares it with the reference — every field through its wire reader, as the code read them before — over
arbitrary JSON values: the same values, or the same :class:`~ekyc._wire.WireError` (field and problem).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc import _wire as wire
from ekyc.providers.tencent.parse import _detail, _tag

WHERE = "VerificationDetailList[0]"
FIELDS = ("ErrorCode", "LivenessErrorCode", "CompareErrorCode", "Similarity", "LivenessInfoTag",
          "ReqTimestamp", "Seq")
#: the values at the fast paths' edges: ints at the int64 bounds, floats at Similarity's, Seq at 256 characters
EDGES = [None, True, 0, -1, 7, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 1_700_000_000_000, 7_258_118_400_000,
         0.0, -0.0, 70.0, 100.0, 100.0001, -0.5, float("nan"), float("inf"), "", "1", " 7 ", "x" * 256, "x" * 257,
         [], ["x"], {}]
leaves = st.one_of(st.sampled_from(EDGES), st.integers(), st.floats(), st.text(max_size=8),
                   st.text(min_size=255, max_size=258))
values = st.one_of(leaves, st.lists(leaves, max_size=3), st.dictionaries(st.text(max_size=3), leaves, max_size=2))
details = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, values))


def reference(detail: dict[str, Any]) -> tuple[Any, ...]:
    """Every field read by its wire reader with its name built up front (the reading before issue 15), then
    the liveness tags, as ``_detail`` reads them."""
    code = wire.integer(detail.get("ErrorCode"), f"{WHERE}.ErrorCode")
    live = wire.integer(detail.get("LivenessErrorCode"), f"{WHERE}.LivenessErrorCode")
    comp = wire.integer(detail.get("CompareErrorCode"), f"{WHERE}.CompareErrorCode")
    sim = wire.number(detail.get("Similarity"), f"{WHERE}.Similarity", lo=0.0, hi=100.0)
    tags = tuple(wire.array(detail.get("LivenessInfoTag"), f"{WHERE}.LivenessInfoTag"))
    wire.epoch(detail.get("ReqTimestamp"), f"{WHERE}.ReqTimestamp", millis=True)
    wire.text(detail.get("Seq"), f"{WHERE}.Seq", max_len=256)
    for i, raw in enumerate(tags):
        _tag(f"{WHERE}.LivenessInfoTag[{i}]", raw)
    return code, live, comp, sim, tags


def outcome(read: Any, detail: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("read", read(detail))
    except wire.WireError as exc:
        return ("refused", exc.field, exc.problem)


def fast(detail: dict[str, Any]) -> tuple[Any, ...]:
    d = _detail(detail, WHERE, None)
    return d.code, d.liveness, d.compare, d.similarity, d.tags


def assert_reads_alike(detail: dict[str, Any]) -> None:
    expected = outcome(reference, detail)
    got = outcome(fast, detail)
    if expected[0] == "read" and got[0] == "read":
        assert repr(got[1]) == repr(expected[1])  # repr: -0.0 and 0.0, 1 and 1.0 told apart
    else:
        assert got == expected


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", EDGES, ids=lambda v: repr(v)[:16])
def test_each_edge_value_reads_as_the_wire_readers_do(field: str, value: Any) -> None:
    assert_reads_alike({field: value})


@settings(max_examples=300, deadline=None)
@given(details)
def test_a_detail_reads_as_the_wire_readers_do(detail: dict[str, Any]) -> None:
    assert_reads_alike(detail)
