"""Every public model constructor raises only InvalidRequest, whatever the input (issue 11, item 4/5).

Hypothesis feeds hostile values — wrong types, huge and control-character strings, bytes, NaN, deep and
cyclic nesting — into every field of every model; the only exception allowed out is ``InvalidRequest``.
"""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import InvalidRequest, models
from ekyc.models import (
    Attempt,
    CheckResult,
    Checks,
    Decision,
    ExpectedIdentity,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)

REF = SessionRef(provider="didit", id="abc")

#: a valid base for each model, so one hostile field at a time can be tried
BASES: dict[type[Any], dict[str, Any]] = {
    SessionRequest: {"reference": "u1"},
    SessionRef: {"provider": "didit", "id": "abc"},
    Session: {"ref": REF, "url": "https://verify.example/s"},
    Decision: {"ref": REF, "outcome": Outcome.DECLINED},
    Identity: {},
    ExpectedIdentity: {},
    Reason: {"code": ReasonCode.UNKNOWN, "retryable": False},
    CheckResult: {},
    Checks: {},
    Attempt: {},
    WebhookEvent: {"provider": "didit", "verified_by": "x", "authenticated": "payload"},
}


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": [value]}
    return value


def _cyclic() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


SPECIAL: list[Any] = [
    None, True, 0, -1, 2**64, -(2**200), 10**5000, 1.5, math.nan, math.inf, -math.inf, 1e308, 0j,
    "", " ", "x\n", "\x00", "\ud800", "\u2028", "a" * 100_000, "é" * 5000, "javascript:alert(1)",
    b"", b"\xff\xfe", bytearray(b"x"), memoryview(b"abc"), Decimal("NaN"), date(1, 1, 1),
    datetime(9999, 12, 31, tzinfo=timezone.utc), [], [None], [[[]]], {}, {1: 2}, {"k": {1}}, {"k": math.nan},
    set(), frozenset({"document"}), {"document"}, ("liveness",), object(), type, _deep(50), _deep(2000),
    _cyclic(), [_cyclic()], {"k": b"bytes"}, {"k": 10**30}, {"k" * 100_000: 1},
]

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50) | st.binary(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=10) | st.integers(), children, max_size=4) | st.frozensets(st.integers(), max_size=3),
    max_leaves=20,
)
hostile = (st.sampled_from(SPECIAL) | json_like | st.text() | st.binary() | st.dates() | st.datetimes()
           | st.characters().map(lambda c: c * 3000))

FIELDS = [(cls, name) for cls in BASES for name in cls.model_fields]


def _attempt(cls: type[Any], fields: dict[str, Any]) -> None:
    try:
        cls(**fields)
    except InvalidRequest as exc:
        assert exc.__cause__ is None  # typed, nothing chained
    # anything else propagates and fails the test


@pytest.mark.parametrize(("cls", "name"), FIELDS, ids=[f"{c.__name__}.{n}" for c, n in FIELDS])
def test_special_values_in_every_field_raise_only_invalid_request(cls: type[Any], name: str) -> None:
    for value in SPECIAL:
        _attempt(cls, {**BASES[cls], name: value})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELDS), hostile)
def test_hostile_values_raise_only_invalid_request(field: tuple[type[Any], str], value: Any) -> None:
    cls, name = field
    _attempt(cls, {**BASES[cls], name: value})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(SessionRequest.model_fields)), hostile, max_size=6))
def test_session_request_with_many_hostile_fields(fields: dict[str, Any]) -> None:
    _attempt(SessionRequest, {"reference": "u1", **fields})
    base = SessionRequest(reference="u1")
    with contextlib.suppress(InvalidRequest):
        base.replace(**fields)


@pytest.mark.parametrize("text", ["abc#x:y", "#:", ":", "didit:", "didit:a#", "didit:a#%FF", "didit:" + "a:" * 5000])
def test_session_ref_parse_edge_cases(text: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        SessionRef.parse(text)
    assert info.value.field == "ref"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdit:#%0F \n") | st.text() | st.binary() | st.integers() | st.none())
def test_session_ref_parse_raises_only_invalid_request(text: Any) -> None:
    with contextlib.suppress(InvalidRequest):
        SessionRef.parse(text)


def test_validate_entry_points_are_typed_too() -> None:
    for bad in (None, 1, "x", [], {"reference": 5}):
        with pytest.raises(InvalidRequest):
            SessionRequest.model_validate(bad)
    with pytest.raises(InvalidRequest):
        SessionRequest.model_validate_json(b'{"reference": ')
    with pytest.raises(InvalidRequest):
        SessionRequest.model_validate_json("[" * 100_000)
    with pytest.raises(InvalidRequest):
        SessionRequest(reference="u1").model_copy(update={"metadata": {"x": {1}}})


def test_every_public_model_is_covered() -> None:
    public = {getattr(models, n) for n in models.__all__}
    covered = set(BASES)
    assert {c for c in public if isinstance(c, type) and issubclass(c, models._Model)} <= covered
