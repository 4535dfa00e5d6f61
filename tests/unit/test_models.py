"""Neutral models: SessionRef round-trips, validation errors name the field, fail-closed invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekyc import (
    Check,
    Decision,
    Identity,
    InvalidRequest,
    Outcome,
    Reason,
    ReasonCode,
    Session,
    SessionRef,
    SessionRequest,
)
from ekyc.countries import ALPHA3_TO_ALPHA2, to_alpha3
from ekyc.models import Attempt, CheckResult, Checks, ExpectedIdentity, WebhookEvent, _Model, verdict, verdicts

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


# -- validated copies (issue 11, item 4) --------------------------------------------------------------

BASE = SessionRequest(reference="u1", return_url="https://app.example/back", country="GB")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", ""),
        ("reference", "u1\n"),
        ("country", "Narnia"),
        ("return_url", "javascript:alert(1)"),
        ("return_url", "https://user:secret@app.example/back"),
        ("return_url", "http://[::1/?token=a"),
        ("return_url", "https:///no-host"),
        ("return_url", "https://app.example/a b"),
        ("return_url", "https://app.example/\x00"),
        ("return_url", "https://app.example\\@evil.example/"),
        ("return_url", "https://app.example:99999/"),
        ("return_url", "https://app.example/" + "a" * 3000),
        ("metadata", {"x": {1}}),
        ("metadata", {"x": float("nan")}),
        ("metadata", {"x": float("inf")}),
        ("metadata", {"x": 2**70}),
        ("metadata", {1: "x"}),
        ("metadata", {"x": b"bytes"}),
        ("metadata", {"x": "\ud800"}),
        ("metadata", {"x": "y" * 20_000}),
        ("metadata", {"x": [[[[[[[[[["deep"]]]]]]]]]]}),
        ("contact_email", "a" * 300 + "@example.com"),
        ("contact_email", "a@@example.com"),
        ("contact_email", "a b@example.com"),
        ("language", "en\n"),
        ("client_metadata", "{}\n"),
        ("provider_options", {"Didit Options": {}}),
        ("provider_options", {"didit": {"x": {1, 2}}}),
        ("unknown_field", 1),
    ],
)
def test_replace_validates_like_the_constructor(field: str, value: object) -> None:
    with pytest.raises(InvalidRequest) as info:
        BASE.replace(**{field: value})
    assert info.value.field is not None and info.value.field.startswith(field)
    with pytest.raises(InvalidRequest):  # model_copy(update=...) validates the same way
        BASE.model_copy(update={field: value})
    with pytest.raises(InvalidRequest):
        SessionRequest(**{"reference": "u1", field: value})


def test_replace_normalizes_and_keeps_the_rest() -> None:
    copy = BASE.replace(checks="document", country="jp")
    assert copy.checks == frozenset({Check.DOCUMENT}) and copy.country == "JPN"
    assert copy.reference == "u1" and copy.return_url == BASE.return_url
    assert BASE.replace() == BASE and BASE.model_copy() == BASE


def test_a_copy_rebuilds_from_exactly_the_models_fields() -> None:
    # replace()/model_copy(update=) start from the model's __dict__ (issue 15): for every public model it holds
    # exactly the fields, so a copy changes only what it names and validates the rest as a new model would
    ref = SessionRef(provider="didit", id="s1", reference="u1")
    samples: list[_Model] = [
        BASE, ref, Reason(code=ReasonCode.UNKNOWN, retryable=False), CheckResult(passed=True), Checks(),
        Identity(given_name="A", nationality="jp"), Attempt(passed=True),
        Decision(ref=ref, outcome=Outcome.REVIEW, reasons=(Reason(code=ReasonCode.UNKNOWN, retryable=False),)),
        Session(ref=ref, url="https://verify.example/s1"), ExpectedIdentity(given_name="A"),
        WebhookEvent(provider="didit", verified_by="hmac", authenticated="payload"),
    ]
    for model in samples:
        assert list(model.__dict__) == list(type(model).model_fields), type(model).__name__
        assert model.replace() == model and model.model_copy(update={}) == model
    assert ref.model_copy(update={"id": "s2"}) == SessionRef(provider="didit", id="s2", reference="u1")


def test_identity_keeps_a_known_alpha3_code_as_to_alpha3_does() -> None:
    # Identity._alpha3 returns a known alpha-3 code as given before normalizing anything else (issue 15)
    for code in ALPHA3_TO_ALPHA2:
        assert to_alpha3(code) == code
        assert Identity(nationality=code, issuing_country=code).nationality == code
    for code_, kept in (("jp", "JPN"), ("jpn", "JPN"), (" JPN ", "JPN"), ("GBD", "GBR"), ("ZZZ", None)):
        assert Identity(nationality=code_).nationality == kept == to_alpha3(code_)


def test_metadata_is_copied_as_plain_json() -> None:
    source: dict[str, object] = {"plan": "pro", "n": [1, 2.5, True, None], "nested": {"k": (1, 2)}}
    req = SessionRequest(reference="u", metadata=source)
    assert req.metadata == {"plan": "pro", "n": [1, 2.5, True, None], "nested": {"k": [1, 2]}}
    source["plan"] = "changed"  # the frozen request holds its own copy
    assert req.metadata["plan"] == "pro"


def test_cyclic_metadata_is_a_typed_error() -> None:
    cyclic: dict[str, object] = {}
    cyclic["self"] = cyclic
    with pytest.raises(InvalidRequest) as info:
        SessionRequest(reference="u", metadata=cyclic)
    assert info.value.field == "metadata"


def test_email_validation_is_bounded() -> None:
    # quadratic before the fix (2.6 s for 20k characters); now refused by length first, in linear time
    for hostile in ("a" * 20_000, "a@" + "a." * 10_000, "@" * 20_000, "a" * 64 + "@" + "b" * 180 + ".c"):
        with pytest.raises(InvalidRequest) as info:
            SessionRequest(reference="u", contact_email=hostile)
        assert info.value.field == "contact_email"
    assert SessionRequest(reference="u", contact_email="first.last+tag@mail.example.co").contact_email


def test_session_url_must_be_an_http_link() -> None:
    ref = SessionRef(provider="x", id="1")
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://u:p@verify.example/", ""):
        with pytest.raises(InvalidRequest) as info:
            Session(ref=ref, url=bad)
        assert info.value.field == "url"


@pytest.mark.parametrize(("model", "field", "others"), [
    (Reason, "provider_code", {"code": ReasonCode.UNKNOWN, "retryable": False}),
    (Reason, "message", {"code": ReasonCode.UNKNOWN, "retryable": False}),
    (Identity, "given_name", {}),
    (Identity, "document_number", {}),
    (Identity, "address", {}),
    (Decision, "reference", {"ref": SessionRef(provider="x", id="1"), "outcome": Outcome.ERROR}),
    (Decision, "provider_status", {"ref": SessionRef(provider="x", id="1"), "outcome": Outcome.ERROR}),
])
def test_provider_text_that_is_not_valid_unicode_is_refused(model: type, field: str, others: dict[str, object]) -> None:
    """A lone surrogate (a JSON ``\\ud800`` escape) can never be encoded: every provider-text field refuses it —
    pydantic-core's length-constrained ``str`` does, so no Python validator per field is needed."""
    for bad in ("\ud800", "ok\udfff", "x" * 10 + "\udc00"):
        with pytest.raises(InvalidRequest) as info:
            model(**others, **{field: bad})
        assert info.value.field == field
    assert getattr(model(**others, **{field: "Zoë 張"}), field) == "Zoë 張"


def test_keyword_construction_keeps_each_classes_own_validator_and_table() -> None:
    """The metaclass keeps, per class, the validator and interning table it reads on every keyword construction
    (not read off the class: pydantic's metaclass hooks every class-attribute read); they are the class's own, a
    subclass gets its own plan (and instances of its own class), and a refusal still names the field."""
    from ekyc import models

    class Sub(models.CheckResult):
        pass

    cases = ((models.CheckResult, {"passed": True, "score": 50.0}), (models.Identity, {"sex": "F"}),
             (models.Reason, {"code": models.ReasonCode.UNKNOWN, "retryable": False}), (Sub, {"passed": True}))
    for cls, kwargs in cases:
        first, second = cls(**kwargs), cls(**kwargs)
        assert type(first) is cls and type(second) is cls and first == second
        plan = models._PLANS[cls]
        assert plan.validator is cls.__pydantic_validator__
        assert plan.interned is cls._interned
    assert type(models.CheckResult(passed=True)) is models.CheckResult  # the parent's table never gives a Sub
    with pytest.raises(InvalidRequest, match="score"):
        Sub(passed=True, score=101)


_POOL = [Reason(code=code, retryable=retryable, provider_code=provider_code)
         for code in (ReasonCode.FACE_MISMATCH, ReasonCode.UNKNOWN) for retryable in (True, False)
         for provider_code in (None, "1", "2")]


def _first_of_each_reference(reasons: list[Reason]) -> tuple[Reason, ...]:
    """The de-duplication as Decision's field validator does it (main be31beb), kept here to compare with."""
    seen: set[tuple[ReasonCode, str | None]] = set()
    out = []
    for r in reasons:
        if (r.code, r.provider_code) not in seen:
            seen.add((r.code, r.provider_code))
            out.append(r)
    return tuple(out)


@given(st.lists(st.sampled_from(_POOL), max_size=6), st.lists(st.sampled_from(_POOL), max_size=6),
       st.sampled_from(list(Outcome)), st.sampled_from(["keywords", "validate", "json"]))
def test_a_decisions_reasons_and_warnings_keep_the_first_of_each_code(
        reasons: list[Reason], warnings: list[Reason], outcome: Outcome, how: str) -> None:
    """Every way of building a decision keeps the first reason and warning of each (code, provider code), in
    order, and refuses an APPROVED decision with a reason (after de-duplication, as before)."""
    ref = SessionRef(provider="didit", id="x")
    fields = {"ref": ref, "outcome": outcome, "reasons": reasons, "warnings": warnings}

    def build() -> Decision:
        if how == "keywords":
            return Decision(**fields)
        if how == "validate":
            return Decision.model_validate(fields)
        unchecked = Decision.model_construct(ref=ref, outcome=outcome, reasons=tuple(reasons), warnings=tuple(warnings))
        return Decision.model_validate_json(unchecked.model_dump_json(context={"reveal": True}))

    if outcome is Outcome.APPROVED and reasons:
        with pytest.raises(InvalidRequest, match="APPROVED decision cannot carry failure reasons"):
            build()
        return
    d = build()
    assert d.reasons == _first_of_each_reference(reasons)
    assert d.warnings == _first_of_each_reference(warnings)


_SCORES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 105), st.booleans(),
                    st.sampled_from([0.0, -0.0, 0, 100, 100.0, 99.5, "50", None]))


@given(st.sampled_from([True, False, None, 1, 0, 1.0, "yes"]), _SCORES)
def test_a_scored_verdict_is_what_a_construction_gives(passed: object, score: object) -> None:
    """``verdict(passed, score)`` gives the value ``CheckResult(passed=passed, score=score)`` gives (equal, same
    repr and dump, the shared instance for a repeated plain value) or the same refusal naming the field; pydantic's
    own validation agrees."""
    fields = {"passed": passed} if score is None else {"passed": passed, "score": score}
    try:
        expected = CheckResult(**fields)
    except InvalidRequest as exc:
        with pytest.raises(InvalidRequest) as refused:
            verdict(passed, score)  # type: ignore[arg-type]
        assert (refused.value.field, refused.value.message) == (exc.field, exc.message)
        return
    got = verdict(passed, score)  # type: ignore[arg-type]
    assert got == expected and repr(got) == repr(expected)
    assert got.model_dump_json() == expected.model_dump_json()
    assert got.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
    assert got == CheckResult.model_validate(fields)
    if (type(passed) is bool or passed is None) and (score is None or (score and type(score) in (float, int))):
        assert verdict(passed, score) is got  # type: ignore[arg-type]


_RESULTS = st.sampled_from([(True, None), (False, None), (None, None), (True, 88.0), (False, 12.5), (None, 50)])


@given(st.lists(st.tuples(_RESULTS, _RESULTS, _RESULTS, st.booleans()), min_size=1, max_size=8))
def test_shared_checks_are_what_a_construction_gives(rows: list[tuple[Any, Any, Any, bool]]) -> None:
    """``verdicts(document, liveness, face_match)`` equals ``Checks(document=..., liveness=..., face_match=...)`` (same
    repr, dumps, fields set), holds the very instances given (shared ones from ``verdict``, or equal copies built
    apart), and gives the same shared Checks for the same three instances."""
    for *parts, shared in rows:
        results = [verdict(p, s) if shared else CheckResult.model_validate({"passed": p, "score": s})
                   for p, s in parts]
        got = verdicts(*results)
        expected = Checks(document=results[0], liveness=results[1], face_match=results[2])
        assert got == expected and repr(got) == repr(expected)
        assert got.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
        assert got.model_dump_json() == expected.model_dump_json()
        assert (got.document, got.liveness, got.face_match) == tuple(results)
        assert got.document is results[0] and got.liveness is results[1] and got.face_match is results[2]
        if shared:
            assert verdicts(*results) is got


def test_shared_checks_refuse_what_a_construction_refuses() -> None:
    with pytest.raises(InvalidRequest, match="liveness") as refused:
        verdicts(verdict(True), "yes", verdict(None))  # type: ignore[arg-type]
    assert refused.value.field == "liveness"


def test_a_zero_score_dumps_alike_whichever_zero_came_first() -> None:
    """Results are interned by value and ``-0.0 == 0.0``: a score of ``-0.0`` is read as ``0.0``, so no result's dump
    depends on which zero was built earlier in the process."""
    import math

    first = CheckResult(passed=True, score=-0.0)
    later = CheckResult(passed=True, score=0.0)
    for result in (first, later, verdict(True, -0.0), verdict(True, 0.0)):
        assert result.score == 0.0 and math.copysign(1.0, result.score) == 1.0
        assert result.model_dump_json() == '{"passed":true,"score":0.0}'
