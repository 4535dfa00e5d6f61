"""The fast field reads of a report or check against the strict wire reader they stand for (issue 15)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ekyc import _wire as wire
from ekyc.providers.onfido.result import _code

values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                   st.text(min_size=127, max_size=130), st.lists(st.none(), max_size=2), st.just({}))


def read(fn: Any) -> tuple[Any, ...]:
    try:
        return ("read", fn())
    except wire.WireError as exc:
        return ("refused", exc.field, exc.problem)


@given(st.dictionaries(st.sampled_from(["status", "result", "x"]), values),
       st.sampled_from(["status", "result", "sub_result"]))
def test_a_code_reads_as_wire_code_naming_the_field(item: dict[str, Any], key: str) -> None:
    assert read(lambda: _code(item, key, "reports[0]")) == read(
        lambda: wire.code(item.get(key), f"reports[0].{key}"))
