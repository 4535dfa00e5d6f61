"""Alibaba's ``CheckResult`` reading with this round's fast paths (issue 15) decides exactly as the reading it
replaced (``reference_parse.py``): over thousands of mutated results — ``Passed``/``SubCode`` values, evidence flags
and their parents in any letter case, at any depth and in any ``Ext*`` object, contradicting detail lists,
scores in and out of range or mistyped, ``ExtSourceInfo`` keys, identity fields of every style and type, and
``Ext*`` strings that are not strict JSON objects — both give the same :class:`Decision` (outcome, reasons and
warnings in order, identity, checks), the same sub-checks, or refuse the same field with the same problem."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc.errors import EkycError
from ekyc.models import SessionRef
from ekyc.providers.alibaba import parse

from . import reference_parse as reference

REF = SessionRef(provider="alibaba", id="tx1", extra=("biz1",))
_ABSENT = object()
#: examples per property (``ALIBABA_EQUIVALENCE_EXAMPLES=5000`` for a thorough run while changing the reading)
EXAMPLES = int(os.environ.get("ALIBABA_EQUIVALENCE_EXAMPLES", "200"))


class Text(str):
    """A ``str`` subclass (a caller's Mapping may hold one): the readers accept it as text."""


ID_KEYS = ["surname", "givenname", "givenName", "firstName", "lastName", "name", "englishName", "fullName",
           "passportNo", "idNumber", "docNo", "documentNumber", "docType", "countryCode", "issuingCountry",
           "nationality", "birthDate", "dateOfBirth", "sex", "gender", "issueDate", "expiryDate", "dateOfExpiry",
           "address", "placeOfBirth", "SURNAME", "PassportNo"]
ID_TEXTS: list[Any] = [
    "JANE", None, "", " ", "  JANE \t SAMPLE ", "X1234567", "GBR", "GB", "XX", "CHN", "gbr", "01000000",
    "GLB03002", "00000001", "passport", "M", "male", "女", "f", "x", "1990-01-02", "1990/1/2", "19900102",
    "1990.01.02", "2031/05/06", "1990-02-30", "2021-W01-1", "１９９０-01-02", " 1990-01-02 ", "JANE\u3000DOE",
    "A\x1fB", Text("GBR"),
]
#: values an identity field is refused for
ID_MISTYPED: list[Any] = ["x" * 513, 5, 1.5, True, [], {}, ["a"]]
ID_VALUES = ID_TEXTS + ID_MISTYPED
_ID_VALUE = st.sampled_from(ID_TEXTS * 20 + ID_MISTYPED)
FLAG_KEYS = ["spoofResult", "ocrIdPassed", "faceAttack", "facePassed", "faceOcclusion", "OcclusionResult",
             "SPOOFRESULT", "FacePassed", "ſpoofResult", "spoofInfo", "SpoofInfo", "spoofType", "SPOOFTYPE",
             "faceComparisonScore", "ocrIdInfo", "other"]
_SPOOF_TYPES = st.lists(st.sampled_from(["SCREEN_REMARK", "PHOTO", "a b", "SCREEN_REMARK", 5, None]), max_size=3)
_FLAG_LEAVES: list[Any] = ["Y", "N", "y", "n", "P", "", None, 1, 0.5, True, [], {}, ["SCREEN_REMARK"]]
FLAG_VALUES = st.recursive(
    st.one_of(st.sampled_from(_FLAG_LEAVES), _SPOOF_TYPES),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(FLAG_KEYS), inner, max_size=3)),
    max_leaves=6,
)
SCORE_KEYS = ["faceComparisonScore", "faceQualityScore", "faceAttackScore", "authorityComparisonScore",
              "FACECOMPARISONSCORE", "faceAge", "faceGender"]
SCORE_VALUES: list[Any] = [None, 0, 100, 92.6, 100.5, -1, "90", True, 1e308, 50, -0.0]
SOURCE_KEYS = ["govId", "fullName", "dob", "selfiePhoto", "liveness", "imgManipulationScore", "other", "a b",
               "GOVID"]
SOURCE_VALUES: list[Any] = [0, 1, 0.5, 0.8, 0.81, 0.95, 0.99, 1.5, "1", None, True, -0.1]
#: (common values, rare values) of Result's own fields
SUBCODES: tuple[list[Any], list[Any]] = (["200"] * 6 + ["201", "204", "205", "206", "999", "a b"],
                                         ["", None, 200, "x" * 65])
PASSED: tuple[list[Any], list[Any]] = (["Y"] * 6 + ["N"] * 3 + ["P", "X", "y", "NN", "a b"], ["", None, 1])
EKYC_RESULT: tuple[list[Any], list[Any]] = ([None, "", "x"], [5])


def mostly(usual: Any, *others: Any) -> st.SearchStrategy[Any]:
    """``usual`` three times in four, else one of ``others`` (strategies or values)."""
    return st.sampled_from([0] * 3 * len(others) + list(range(1, len(others) + 1))).flatmap(
        lambda i: _strategy(usual if i == 0 else others[i - 1]))


def _strategy(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


_EXTRA_FLAGS = st.dictionaries(st.sampled_from(FLAG_KEYS), FLAG_VALUES, min_size=1, max_size=2)
#: nothing, mostly; sometimes flags (or parents, or scores) where the documented shape has none
_EXTRA = mostly({}, _EXTRA_FLAGS)


def _ocr_info() -> st.SearchStrategy[Any]:
    return mostly(st.dictionaries(st.sampled_from(ID_KEYS), _ID_VALUE, max_size=12), None, "x", [], 5)


def _ext_id() -> st.SearchStrategy[dict[str, Any]]:
    spoof_types = mostly([], _SPOOF_TYPES, None, "SCREEN_REMARK", {})
    spoof_info = mostly(st.fixed_dictionaries({"spoofResult": mostly("N", "Y", "X", None)},
                                              optional={"spoofType": spoof_types}), "Y", None, [])
    documented = st.fixed_dictionaries(
        {"ocrIdInfo": _ocr_info(), "ocrIdPassed": mostly("Y", "N", "n", None, 1), "spoofInfo": spoof_info},
        optional={"docType": _ID_VALUE})
    return st.tuples(documented, st.sets(st.sampled_from(["ocrIdPassed", "spoofInfo", "ocrIdInfo"])), _EXTRA).map(
        lambda parts: {**{k: v for k, v in parts[0].items() if k not in parts[1] or len(parts[1]) > 1}, **parts[2]})


def _ext_face() -> st.SearchStrategy[dict[str, Any]]:
    flags = st.fixed_dictionaries({"faceAttack": mostly("N", "Y", "X", None),
                                   "facePassed": mostly("Y", "N", "X", None)},
                                  optional={"faceOcclusion": mostly("N", "Y", None)})
    scores = st.dictionaries(st.sampled_from(SCORE_KEYS), st.sampled_from(SCORE_VALUES[:5] * 8 + SCORE_VALUES),
                             max_size=4)
    return st.tuples(flags, scores, _EXTRA).map(lambda parts: {**parts[0], **parts[1], **parts[2]})


def _any_ext() -> st.SearchStrategy[dict[str, Any]]:
    return mostly({}, st.dictionaries(st.sampled_from(FLAG_KEYS + SOURCE_KEYS), FLAG_VALUES, max_size=3))


def _source() -> st.SearchStrategy[dict[str, Any]]:
    return mostly({}, st.dictionaries(st.sampled_from(SOURCE_KEYS), st.sampled_from(SOURCE_VALUES), max_size=4))


#: strings that are not strict JSON objects, and values that are not strings
_NOT_OBJECTS: list[Any] = ["", "{}", "null", "[]", "1", "{bad", '{"a":1,"a":2}', '{"a":1,"A":2}', '{"a": NaN}',
                           '{"a": 1e999}', '"x"', 5, None, True, [], {}, "\ufeff{}", '{"a":' + "1" * 30 + "}"]


def _encoded(obj: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """An ``Ext*`` field: the object as JSON text (compact, spaced or indented), or something that is not one."""
    text = st.tuples(obj, st.sampled_from([(",", ":"), (", ", ": "), None])).map(
        lambda p: json.dumps(p[0], separators=p[1], ensure_ascii=False) if p[1] else json.dumps(p[0], indent=1))
    return st.sampled_from([True] * 4 * len(_NOT_OBJECTS) + [False]).flatmap(
        lambda encoded: text if encoded else st.sampled_from(_NOT_OBJECTS))


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    result: dict[str, Any] = {}
    for key, (common, rare) in (("Passed", PASSED), ("SubCode", SUBCODES), ("EkycResult", EKYC_RESULT)):
        value = draw(st.sampled_from([*common * 6, *rare, _ABSENT]))
        if value is not _ABSENT:
            result[key] = value
    fields = {"ExtIdInfo": _ext_id(), "ExtFaceInfo": _ext_face(), "ExtBasicInfo": _any_ext(),
              "ExtRiskInfo": _any_ext(), "ExtInfo": _any_ext(), "ExtSourceInfo": _source()}
    for name, strategy in fields.items():
        if draw(st.integers(0, 3)) < 3:
            result[name] = draw(_encoded(strategy))
    result.update(draw(_EXTRA))
    if draw(st.integers(0, 30)) == 30:
        return {"Result": draw(st.sampled_from([None, "x", [], 5]))}
    return {"Code": "Success", "Result": result}


def outcome(decide: Any, body: Any, reference_value: str | None) -> tuple[Any, ...]:
    """What one reading gives: the decision, or the refusal (its field and problem)."""
    try:
        return ("decision", decide(REF, body, reference=reference_value))
    except _wire.WireError as exc:
        return ("wire", exc.field, exc.problem)
    except EkycError as exc:
        return ("ekyc", type(exc).__name__, exc.field, exc.message)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bodies(), st.sampled_from([None, "user-1"]))
def test_decide_reads_as_the_reference(body: Any, reference_value: str | None) -> None:
    assert outcome(parse.decide, body, reference_value) == outcome(reference.decide, body, reference_value)


def _texts(value: Any) -> Any:
    """``value`` with its strings as :class:`Text` and its objects as read-only mappings (a caller's types)."""
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, dict):
        return MappingProxyType({k: _texts(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_texts(v) for v in value]
    return value


def sub_checks(evidence: Any, exts: Mapping[str, Any], extra: Mapping[str, Any]) -> tuple[Any, ...]:
    try:
        return ("read", evidence(exts, extra))
    except _wire.WireError as exc:
        return ("wire", exc.field, exc.problem)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ext_id(), _ext_face(), _any_ext(), _source(), st.dictionaries(st.sampled_from(FLAG_KEYS), FLAG_VALUES,
                                                                      max_size=2), st.booleans())
def test_sub_checks_and_identity_read_as_the_reference(ext_id: dict[str, Any], face: dict[str, Any],
                                                       other: dict[str, Any], source: dict[str, Any],
                                                       extra: dict[str, Any], wrapped: bool) -> None:
    exts: dict[str, Any] = {"ExtIdInfo": ext_id, "ExtFaceInfo": face, "ExtBasicInfo": other, "ExtRiskInfo": {},
                            "ExtInfo": {}, "ExtSourceInfo": source}
    if wrapped:  # str subclasses and read-only mappings, as a caller of the public readers may pass
        exts = {k: _texts(v) for k, v in exts.items()}
        extra = _texts(extra)
    assert sub_checks(parse.evidence, exts, extra) == sub_checks(reference.evidence, exts, extra)
    try:
        expected: Any = reference.identity(ext_id if not wrapped else exts["ExtIdInfo"])
    except _wire.WireError as exc:
        expected = (exc.field, exc.problem)
    try:
        got: Any = parse.identity(ext_id if not wrapped else exts["ExtIdInfo"])
    except _wire.WireError as exc:
        got = (exc.field, exc.problem)
    assert got == expected
