"""Rewritten readers against the plain forms they stand for (issue 15: same results, fewer steps)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekyc.evidence import Evidence, State
from ekyc.models import CheckResult, verdict
from ekyc.providers.alibaba.parse import _verdict_with, parse_date


def reference_check(items: list[Evidence], score: float | None = None) -> CheckResult:
    """A check's result from its sub-checks' states, as a set (the form before issue 15)."""
    states = {e.state for e in items}
    if not states:
        return CheckResult(passed=None, score=score)
    if State.FAILED in states:
        return CheckResult(passed=False, score=score)
    return CheckResult(passed=True if states == {State.PASSED} else None, score=score)


@given(st.lists(st.sampled_from(list(State)), max_size=5))
def test_a_check_is_read_from_its_sub_checks_as_before(states: list[State]) -> None:
    items = [Evidence(f"flag{i}", state) for i, state in enumerate(states)]
    passed: bool | None = True
    for state in states:  # the verdict folded one sub-check at a time, as the evidence is read
        passed = _verdict_with(passed, state)
    assert verdict(passed if states else None) == reference_check(items)


_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def reference_date(value: Any) -> date | None:
    """A date by the two patterns alone (the form before issue 15)."""
    if not isinstance(value, str):
        return None
    m = _DATE.fullmatch(value.strip()) or _COMPACT_DATE.fullmatch(value.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_SEPARATED = st.builds(lambda y, a, m, b, d: f"{y:04d}{a}{m:02d}{b}{d:02d}", st.integers(0, 9999),
                       st.sampled_from("-/. W"), st.integers(0, 13), st.sampled_from("-/. W"), st.integers(0, 32))


@given(st.one_of(_SEPARATED, st.text(max_size=12), st.from_regex(r"\s?[0-9\-/.W١]{8,11}\s?", fullmatch=True),
                 st.none(), st.integers()))
def test_a_date_is_read_as_the_patterns_read_it(value: Any) -> None:
    assert parse_date(value) == reference_date(value)


@pytest.mark.parametrize("value", ["1990-01-02", "2031/05/06", "2021.05.07", "2021-05/07", "2021-W01-1",
                                   "20210507", "2021-5-7", " 1990-01-02 ", "1990-02-30", "１９９０-01-02",
                                   "1990-01-0٢", "+990-01-02", "0000-01-01", "1990-13-01", "1990-01-0 ",
                                   "1990.01/02", "1990-0a-02", "2021W01-1 ", "1990-01-+2"])
def test_each_date_form_is_read_as_the_patterns_read_it(value: str) -> None:
    assert parse_date(value) == reference_date(value)
