"""The date readers of ``ekyc._wire`` against the way they read before they were made cheaper (issue 15).

``iso_date`` builds the date with ``date.fromisoformat`` of the matched ten characters, and ``iso_datetime`` cuts
its fraction and rewrites its ``Z`` only when there is one; a date of exactly ten characters and a timestamp of at
most 26 that match as they are skip the strip and the cut: the same value, or the same refusal naming the same
field, for every text — checked here over generated near-dates and timestamps and the edges written by hand.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc import _wire as wire

_OLD_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_OLD_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def _old_iso_date(value: Any, field: str) -> date | None:
    raw = wire.text(value, field, max_len=64)
    if raw is None:
        return None
    m = _OLD_DATE.match(raw)
    if not m or (len(raw) > 10 and raw[10] not in "T "):
        raise wire.WireError(field, "expected a YYYY-MM-DD date")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise wire.WireError(field, "not a calendar date") from None


def _old_iso_datetime(value: Any, field: str) -> datetime | None:
    raw = wire.text(value, field, max_len=64)
    if raw is None:
        return None
    if not _OLD_DATETIME.fullmatch(raw):
        raise wire.WireError(field, "expected an ISO 8601 timestamp")
    frac = re.search(r"\.([0-9]+)", raw)
    if frac and len(frac.group(1)) > 6:
        raw = raw.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise wire.WireError(field, "not a valid timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _outcome(read: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", read(value, "a.b")
    except wire.WireError as exc:
        return "refused", (exc.field, exc.problem)


def _same(new: Any, old: Any, value: Any) -> None:
    got, want = _outcome(new, value), _outcome(old, value)
    assert got == want
    if got[0] == "value" and isinstance(got[1], datetime):
        assert got[1].utcoffset() == want[1].utcoffset()


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=4)
_PIECES = st.sampled_from(["-", ":", "T", " ", ".", "Z", "+", "+08:00", "-0530", "Z ", "z", "٣", "\t", "x", "Z\x00"])
_NEAR = st.lists(st.one_of(_DIGITS, _PIECES), max_size=14).map("".join)
_EDGES = [
    None, "", "   ", 5, 1.5, ["2024-01-02"], "2024-01-02", " 2024-01-02 ", "2024-02-30", "2024-13-01", "0000-01-01",
    "9999-12-31", "2024-01-02T", "2024-01-02x", "2024-01-02 03:04", "2024-1-02", "２０２４-01-02",
    "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.1234567",
    "2024-01-02T03:04:05+0800", "2024-01-02T03:04:05-05:30", "2024-01-02T24:00:00Z", "2024-01-02T03:60:00Z",
    "2024-01-02 03:04Z", "2024-01-02Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05+24:00", "x" * 65,
    # read as they are (ten characters of a date, a timestamp of at most 26) or, around those lengths, as before
    "2024-02-29", "2023-02-29", "2024-00-10", "2024-W01-1", "20240102", "2024-01-0２", " 2024-01-0", "2024-01-02\n",
    "2024-01-02T03:04:05.123456", "2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.12345Z", " 2024-01-02T03:04Z",
    "2024-01-02T03:04:05Z ", "2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05.999999", "2024-01-02T03:04:05,123Z",
    "2024-13-02T03:04:05Z", "2024-01-02T03:04:05+14:00", "2024-01-02T03:04:05-0000", "0001-01-01T00:00:00Z",
    # ten characters with dashes at 4 and 7 that are not ASCII-digit dates: fromisoformat's other forms, other digits,
    # signs, spaces, a lone surrogate (read by the pattern, as before)
    "2024-W1-01", "2024-W01-1", "٢٠٢٤-01-02", "2024-0١-02", "+024-01-02", "-024-01-02", "2024-01- 2", " 024-01-02",
    "2024-1--02", "2024--1-02", "2024-0\ud800-02", "2024-01-0\ud800", "0000-00-00", "2024-02-3x",
    # UTC timestamps of 20 and 24 characters with their separators in place that are not ASCII digits where the
    # pattern wants them (week dates, signs, spaces, other digits, a comma or a Z inside), and calendar edges
    "2024-W1-02T03:04:05Z", "2024-01-02T03:04:0-Z", "2024-01-02T03:-4:05Z", "2024-01-02T+3:04:05Z",
    "2024-01-02T03:04:05.12-Z", "2024-01-02T03:04:05.+12Z", "2024-01-02T03:04:05.1 2Z", "2024-01-02T03:04:05.١23Z",
    "2024-01-02T03:04:05. 12Z", "2024-01-02T0Z:04:05.123Z", "2024-01-02T03:04:05.12ZZ", "2024-01-02T03:04:05,123Z",
    "+024-01-02T03:04:05Z", "2024-01-02T03:04: 5Z", "2024-01-02T03:04:05.123z", "2024-02-30T03:04:05.123Z",
    "2024-01-02T24:00:00.000Z", "2024-01-02T23:59:60Z", "2024-01-02t03:04:05Z", "2024-01-02 03:04:05.123Z",
    "2024-01-02T03:04:05\ud800", "2024-01-02T03:04:0\ud800Z", "1999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z",
    # a Z followed by a NUL inside them: fromisoformat reads its input as a C string and stops there (refused, as
    # before, not read as midnight or as 23:59:59.9)
    "2021-12-31T00:Z\x00:00.123Z", "2021-12-31T00:00:Z\x00.123Z", "9999-12-31T23:59:59.9Z\x00Z",
    "2024-01-02T03:Z\x00:05Z", "2024-01-02T03:04:Z\x00Z", "2024-01-02T03:04:05Z\x00", "2024-01-02T03:04:05.Z\x00Z",
]


@pytest.mark.parametrize("value", _EDGES)
def test_edges_read_as_before(value: Any) -> None:
    _same(wire.iso_date, _old_iso_date, value)
    _same(wire.iso_datetime, _old_iso_datetime, value)


@settings(max_examples=1500, deadline=None)
@given(_NEAR)
def test_near_dates_read_as_before(value: str) -> None:
    _same(wire.iso_date, _old_iso_date, value)
    _same(wire.iso_datetime, _old_iso_datetime, value)


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)),
       st.sampled_from(["", "Z", "+08:00", "-0530"]), st.integers(0, 9), st.sampled_from(["T", " "]))
def test_timestamps_read_as_before(when: datetime, zone: str, digits: int, sep: str) -> None:
    text = when.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{when.microsecond:06d}123"[:digits + 1] if digits else "")
    _same(wire.iso_date, _old_iso_date, text + zone)
    _same(wire.iso_datetime, _old_iso_datetime, text + zone)


_ONE_CHARACTER = st.sampled_from([*"0123456789-:T .,Z+zW٣٠\t\x00", "\ud800", "é"])


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-02-29", "1999-12-31T23:59:59.999Z"]),
       st.lists(st.tuples(st.integers(0, 23), _ONE_CHARACTER), min_size=1, max_size=3))
def test_usual_forms_changed_in_place_read_as_before(text: str, changes: list[tuple[int, str]]) -> None:
    """The usual forms (read without the pattern) with one to three characters replaced, lengths kept: the same value
    or the same refusal as before."""
    chars = list(text)
    for at, char in changes:
        chars[at % len(chars)] = char
    value = "".join(chars)
    _same(wire.iso_date, _old_iso_date, value)
    _same(wire.iso_datetime, _old_iso_datetime, value)
