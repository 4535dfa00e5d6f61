"""Neutral models: SessionRef round-trips, validation errors name the field, fail-closed invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekyc import (
    Check,
    Decision,
    InvalidRequest,
    Outcome,
    Reason,
    ReasonCode,
    SessionRef,
    SessionRequest,
)

provider_names = st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True)
parts = st.text(min_size=1, max_size=64).filter(lambda t: t.isprintable() and t == t.strip())


@given(provider_names, parts, st.lists(parts, max_size=3), st.none() | parts)
def test_session_ref_round_trips_through_one_string(provider: str, id_: str, extra: list[str],
                                                     reference: str | None) -> None:
    ref = SessionRef(provider=provider, id=id_, extra=tuple(extra), reference=reference)
    text = ref.serialize()
    assert text.startswith(provider + ":")
    assert "\n" not in text
    assert SessionRef.parse(text) == ref
    assert str(ref) == f"{provider}:#{ref.fingerprint}" and repr(ref) == f"SessionRef({ref})"  # never the id
    assert len(ref.fingerprint) == 10 and set(ref.fingerprint) <= set("0123456789abcdef")
    with pytest.raises(InvalidRequest):
        SessionRef.parse(str(ref))


@pytest.mark.parametrize("bad", [" x", "x\n", "x\x00", "\u2028"])
def test_session_ref_ids_are_printable_without_surrounding_whitespace(bad: str) -> None:
    with pytest.raises(InvalidRequest):
        SessionRef(provider="didit", id=bad)
    with pytest.raises(InvalidRequest):
        SessionRef.parse("didit:" + bad)


def test_session_ref_string_is_short_for_real_ids() -> None:
    ref = SessionRef(provider="alibaba", id="08573be80f944d95ac812e019e3655a8", extra=("a1b2c3d4e5f6",))
    assert len(ref.serialize()) < 64


@pytest.mark.parametrize("bad", ["", "nocolon", "Bad Provider:x", ":x"])
def test_session_ref_parse_rejects_garbage(bad: str) -> None:
    with pytest.raises(InvalidRequest):
        SessionRef.parse(bad)


def test_request_validation_names_the_field_without_echoing_the_value() -> None:
    with pytest.raises(InvalidRequest) as info:
        SessionRequest(reference="u1", expected={"date_of_birth": "SECRET-1990-99-99"})
    assert info.value.field == "expected.date_of_birth"
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("return_url", "javascript:alert(1)"),
        ("country", "XX"),
        ("language", "not a language"),
        ("reference_image", "***not base64***"),
        ("reference_image", b""),
        ("checks", []),
        ("checks", ["selfie"]),
        ("contact_email", "nope"),
    ],
)
def test_bad_request_fields_are_typed_errors(field: str, value: object) -> None:
    with pytest.raises(InvalidRequest) as info:
        SessionRequest(reference="u1", **{field: value})
    assert info.value.field is not None and info.value.field.startswith(field)


def test_request_normalizes_country_and_image() -> None:
    req = SessionRequest(reference="u", country="gb", reference_image="data:image/png;base64,aGVsbG8=",
                         checks=["liveness", "face_match"])
    assert req.country == "GBR"
    assert req.reference_image == "aGVsbG8="
    assert req.checks == frozenset({Check.LIVENESS, Check.FACE_MATCH})


def test_image_over_8_mb_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="larger than 8 MB"):
        SessionRequest(reference="u", reference_image=b"\0" * (8 * 1024 * 1024 + 1))


def test_approved_cannot_carry_failure_reasons() -> None:
    ref = SessionRef(provider="x", id="1")
    with pytest.raises(InvalidRequest):
        Decision(ref=ref, outcome=Outcome.APPROVED,
                 reasons=(Reason(code=ReasonCode.FACE_MISMATCH, retryable=True),))
    ok = Decision(ref=ref, outcome=Outcome.DECLINED,
                  reasons=(Reason(code=ReasonCode.FACE_MISMATCH, retryable=True),))
    assert ok.retryable and not ok.approved and ok.reason_codes == (ReasonCode.FACE_MISMATCH,)


def test_models_are_frozen() -> None:
    ref = SessionRef(provider="x", id="1")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        ref.id = "2"  # type: ignore[misc]


def test_decision_keeps_one_reason_per_code_and_provider_code() -> None:
    ref = SessionRef(provider="x", id="1")
    twice = Reason(code=ReasonCode.FACE_MISMATCH, retryable=True, provider_code="2016")
    other = Reason(code=ReasonCode.FACE_MISMATCH, retryable=True, provider_code="2015")
    d = Decision(ref=ref, outcome=Outcome.DECLINED, reasons=(twice, other, twice), warnings=(other, other))
    assert d.reasons == (twice, other) and d.warnings == (other,)
