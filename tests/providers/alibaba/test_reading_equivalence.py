"""Rewritten readers against the plain forms they stand for (issue 15: same results, fewer steps)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ekyc.evidence import Evidence, State
from ekyc.models import CheckResult
from ekyc.providers.alibaba.parse import _check


def reference_check(items: list[Evidence], score: float | None = None) -> CheckResult:
    """A check's result from its sub-checks' states, as a set (the form before issue 15)."""
    states = {e.state for e in items}
    if not states:
        return CheckResult(passed=None, score=score)
    if State.FAILED in states:
        return CheckResult(passed=False, score=score)
    return CheckResult(passed=True if states == {State.PASSED} else None, score=score)


@given(st.lists(st.sampled_from(list(State)), max_size=5), st.one_of(st.none(), st.floats(0, 100)))
def test_a_check_is_read_from_its_sub_checks_as_before(states: list[State], score: float | None) -> None:
    items = [Evidence(f"flag{i}", state) for i, state in enumerate(states)]
    assert _check(items, score) == reference_check(items, score)
