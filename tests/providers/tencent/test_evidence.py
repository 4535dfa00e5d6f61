"""The evidence rule on Tencent results: every reported sub-check, read against the create's Config carried in
the ref (CheckMode, interrupting warnings); each ``sub_check`` rule of the code table exercised; binding by
``Extra``; refs that cannot be sent."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.errors import InvalidRequest, SessionMismatch
from ekyc.models import Check, DocumentType, Outcome, ReasonCode, SessionRef
from ekyc.providers.tencent import CODE_TABLE
from ekyc.providers.tencent.requested import UNKNOWN, Requested, parse_selected_warning_codes

from .test_adapter import PASSPORT, REF, detail, ocr, parse, provider, req

TOKEN = REF.id


def ref(mode: int | None, warnings: str = "all", reference: str | None = None) -> SessionRef:
    extra = () if mode is None else (str(mode), warnings)
    return SessionRef(provider="tencent", id=TOKEN, extra=extra, reference=reference)


def full(**kw: Any) -> dict[str, Any]:
    return {"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr()], **kw}


# -- each sub_check rule of the code table -----------------------------------------------------------------

#: rule → (ref, payload, expected outcome, expected reason codes, provider code or warning that names it)
RULES: dict[str, tuple[SessionRef, dict[str, Any], Outcome, set[ReasonCode], str | None]] = {
    "IsPass:true": (ref(1), full(), Outcome.APPROVED, set(), None),
    "IsPass:not-true": (ref(1), full(OCRResult=[{"WarnCardInfos": [], "NormalCardInfo": PASSPORT}]), Outcome.REVIEW,
                        {ReasonCode.INCONSISTENT_EVIDENCE}, "OCRResult[0].IsPass"),
    "WarnCardInfos:interrupting": (ref(1, "-9103"), full(OCRResult=[ocr(warns=[-9103])]), Outcome.REVIEW,
                                   {ReasonCode.DOCUMENT_TAMPERED}, "-9103"),
    "WarnCardInfos:not-selected": (ref(1, "-9101"), full(OCRResult=[ocr(warns=[-9103])]), Outcome.APPROVED,
                                   set(), "-9103"),
    "WarnCardInfos:undocumented": (ref(1), full(OCRResult=[ocr(warns=[-9999])]), Outcome.REVIEW,
                                   {ReasonCode.UNKNOWN}, "-9999"),
    "attempt:code-not-zero": (ref(1), full(VerificationDetailList=[detail(comp=2015)]), Outcome.REVIEW,
                              {ReasonCode.FACE_MISMATCH}, "2015"),
    "attempt:not-reported": (ref(1), full(VerificationDetailList=[detail(code=None)]),  # type: ignore[arg-type]
                             Outcome.REVIEW, {ReasonCode.INCONSISTENT_EVIDENCE},
                             "VerificationDetailList[0].ErrorCode"),
    "LivenessInfoTag:declining": (ref(1), full(VerificationDetailList=[detail(LivenessInfoTag=["04"])]),
                                  Outcome.REVIEW, {ReasonCode.SPOOF_DETECTED}, "04"),
    "Similarity:below-70": (ref(2), {"ErrorCode": 0, "VerificationDetailList": [detail(sim=0.0)]}, Outcome.REVIEW,
                            {ReasonCode.FACE_MISMATCH}, "VerificationDetailList[0].Similarity"),
    "Similarity:not-compared": (ref(3), {"ErrorCode": 0, "VerificationDetailList": [detail(comp=None, sim=0.0)]},
                                Outcome.APPROVED, set(), None),
    "Similarity:mode-unknown": (ref(None), {"ErrorCode": 0, "VerificationDetailList": [detail(comp=None, sim=0.0)]},
                                Outcome.REVIEW, {ReasonCode.INCONSISTENT_EVIDENCE},
                                "VerificationDetailList[0].Similarity"),
    "VerificationDetailList:missing": (ref(1), full(VerificationDetailList=None), Outcome.REVIEW,
                                       {ReasonCode.INCONSISTENT_EVIDENCE}, "VerificationDetailList"),
    "OCRResult:missing": (ref(4), {"ErrorCode": 0, "OCRResult": []}, Outcome.REVIEW,
                          {ReasonCode.INCONSISTENT_EVIDENCE}, "OCRResult"),
    "attempt:after-failure": (ref(1), {"ErrorCode": 16, "VerificationDetailList": [
        detail(code=1005, live=1005, comp=None, sim=None), detail(code=16, live=1005, comp=None, sim=None)]},
        Outcome.DECLINED, {ReasonCode.RETRY_LIMIT_REACHED}, "1005"),
}


def test_every_sub_check_rule_is_exercised() -> None:
    assert {e.code for e in CODE_TABLE.of_kind("sub_check")} == set(RULES)
    for e in CODE_TABLE.of_kind("sub_check"):
        assert e.outcome is not Outcome.APPROVED and e.source.startswith("SDK")


@pytest.mark.parametrize("rule", list(RULES))
def test_sub_check_rule(rule: str) -> None:
    sref, payload, outcome, reasons, named = RULES[rule]
    d = parse(payload, ref=sref)
    assert d.outcome is outcome, (d.reasons, d.warnings)
    assert set(d.reason_codes) == reasons
    entry = CODE_TABLE.get("sub_check", rule)
    assert entry is not None
    if entry.outcome is Outcome.REVIEW and named is not None:
        assert named in {r.provider_code for r in d.reasons}
    if entry.outcome is None and named is not None:  # informational: kept as a warning, not a reason
        assert named in {w.provider_code for w in d.warnings}
        assert named not in {r.provider_code for r in d.reasons}


# -- the cases -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("warnings", "is_pass", "outcome"), [
    ("none", True, Outcome.APPROVED),        # DisableCheckOcrWarnings=true: no warning interrupts
    ("-9101.-9102", True, Outcome.APPROVED),  # -9108 was not selected
    ("all", True, Outcome.REVIEW),           # the default: every warning interrupts
    ("-9108", True, Outcome.REVIEW),
    ("none", False, Outcome.REVIEW),         # not selected, but the document check did not pass
])
def test_unselected_warning_with_is_pass_is_informational(warnings: str, is_pass: bool, outcome: Outcome) -> None:
    d = parse(full(OCRResult=[ocr(is_pass=is_pass, warns=[-9108])]), ref=ref(1, warnings))
    assert d.outcome is outcome
    if outcome is Outcome.APPROVED:
        assert [w.provider_code for w in d.warnings] == ["-9108"]
        assert d.warnings[0].code is ReasonCode.DOCUMENT_UNREADABLE
        assert d.checks.document.passed is True
    else:
        assert d.checks.document.passed is False


@pytest.mark.parametrize("mode", [3, 4])
def test_similarity_zero_without_face_comparison_is_not_applicable(mode: int) -> None:
    payload: dict[str, Any] = {"ErrorCode": 0, "VerificationDetailList": [detail(comp=None, sim=0.0)]}
    if mode == 4:
        payload["OCRResult"] = [ocr()]
    d = parse(payload, ref=ref(mode))
    assert d.outcome is Outcome.APPROVED
    assert d.checks.face_match.passed is None and d.checks.face_match.score is None
    assert d.attempts[0].face_match.score is None


@pytest.mark.parametrize("mode", [1, 2])
def test_similarity_zero_with_face_comparison_is_review(mode: int) -> None:
    d = parse({"ErrorCode": 0, "VerificationDetailList": [detail(sim=0.0)], "OCRResult": [ocr()]}, ref=ref(mode))
    assert d.outcome is Outcome.REVIEW and ReasonCode.FACE_MISMATCH in d.reason_codes


@pytest.mark.parametrize(("mode", "field", "outcome"), [
    (1, "LivenessErrorCode", Outcome.REVIEW), (1, "CompareErrorCode", Outcome.REVIEW),
    (1, "Similarity", Outcome.REVIEW), (2, "Similarity", Outcome.REVIEW), (None, "LivenessErrorCode", Outcome.REVIEW),
    (3, "CompareErrorCode", Outcome.APPROVED), (3, "Similarity", Outcome.APPROVED),
    (None, "CompareErrorCode", Outcome.APPROVED),
])
def test_a_sub_check_the_mode_runs_must_be_reported(mode: int | None, field: str, outcome: Outcome) -> None:
    for absent in ("null", "missing"):
        item = detail()
        if absent == "null":
            item[field] = None
        else:
            del item[field]
        d = parse({"ErrorCode": 0, "VerificationDetailList": [item], "OCRResult": [ocr()]}, ref=ref(mode))
        assert d.outcome is outcome
        if outcome is Outcome.REVIEW:
            assert f"VerificationDetailList[0].{field}" in {r.provider_code for r in d.reasons}


def test_retry_limit_keeps_the_attempts_codes_as_warnings() -> None:
    d = parse(RULES["attempt:after-failure"][1], ref=ref(1))
    assert d.reason_codes == (ReasonCode.RETRY_LIMIT_REACHED,)
    assert ReasonCode.LIVENESS_FAILED in {w.code for w in d.warnings}
    assert [a.provider_code for a in d.attempts] == ["1005", "16"]


def test_a_documented_success_is_never_declined() -> None:
    worst = full(VerificationDetailList=[detail(code=1002, live=1002, comp=2016, sim=1.0, LivenessInfoTag=["03"])],
                 OCRResult=[ocr(is_pass=False, warns=[-9102, -9104])])
    for sref in (ref(1), ref(None)):
        assert parse(worst, ref=sref).outcome is Outcome.REVIEW


# -- the create's Config in the ref --------------------------------------------------------------------------

def test_create_carries_check_mode_and_warnings_in_the_ref() -> None:
    p = provider()
    cases = [
        (req(), ("1", "all")),
        (req(checks={Check.LIVENESS}), ("3", "all")),
        (req(provider_options={"tencent": {"DisableCheckOcrWarnings": True}}), ("1", "none")),
        (req(provider_options={"tencent": {"SelectedWarningCodes": "-9102,-9101"}}), ("1", "-9101.-9102")),
        (req(checks={Check.DOCUMENT}, document_types=(DocumentType.PASSPORT,)), ("4", "all")),
    ]
    for request, extra in cases:
        prepared = p.build_create(request)
        assert prepared.context["requested"].to_extra() == extra
        assert Requested.from_extra(extra) == prepared.context["requested"]


@pytest.mark.parametrize("value", ["-9101;-9102", "9101", "-9105", "-9101,", "all", " -9101", "-٩١٠١", "-9101\n"])
def test_selected_warning_codes_are_validated_before_sending(value: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        provider().check_request(req(provider_options={"tencent": {"SelectedWarningCodes": value}}))
    assert info.value.field == "provider_options.tencent.SelectedWarningCodes"


def test_selected_warning_codes_parse() -> None:
    assert parse_selected_warning_codes("") is None
    assert parse_selected_warning_codes("-9101, -9108") == frozenset({-9101, -9108})


@pytest.mark.parametrize("extra", [("1",), ("5", "all"), ("1", "some"), ("1", "-9105"), ("1", "all", "x"),
                                   ("01", "all")])
def test_a_ref_with_a_foreign_extra_is_refused_before_sending(extra: tuple[str, ...]) -> None:
    with pytest.raises(InvalidRequest) as info:
        provider().build_result(SessionRef(provider="tencent", id=TOKEN, extra=extra))
    assert info.value.field == "ref" and TOKEN not in str(info.value)


@pytest.mark.parametrize("token", ["A B", "A/B", "Ä", "x" * 129])
def test_a_ref_whose_id_is_not_a_biz_token_is_refused_before_sending(token: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        provider().build_result(SessionRef(provider="tencent", id=token))
    assert info.value.field == "ref" and token not in str(info.value)


def test_unknown_requested_is_conservative() -> None:
    assert UNKNOWN.interrupts(-9109) and UNKNOWN.compares is None and UNKNOWN.to_extra() == ()


# -- binding: Extra ------------------------------------------------------------------------------------------

def test_reference_is_read_from_extra() -> None:
    assert parse(full(Extra="user-42"), ref=ref(1)).reference == "user-42"
    assert parse(full(Extra="user-42"), ref=ref(1, reference="user-42")).reference == "user-42"
    assert parse(full(), ref=ref(1, reference="user-42")).reference == "user-42"  # not echoed: the bound one
    assert parse(full(), ref=ref(1)).reference is None
    assert parse(full(Extra="x" * 1000), ref=ref(1)).reference is None  # longer than any reference we send


@pytest.mark.parametrize("extra", ["user-43", "user-42 ", "USER-42", "user-42" * 100])
def test_an_extra_naming_another_user_is_a_session_mismatch(extra: str) -> None:
    with pytest.raises(SessionMismatch) as info:
        parse(full(Extra=extra), ref=ref(1, reference="user-42"))
    assert info.value.field == "Extra" and extra not in str(info.value)
