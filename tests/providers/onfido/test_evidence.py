"""The evidence rule on Onfido payloads (:func:`ekyc.providers.onfido.result.decide`): the workflow run decides,
the reports are the evidence; doubt next to ``approved`` is REVIEW, never APPROVED; a decline says why."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ekyc.models import Outcome, ReasonCode, SessionRef
from ekyc.providers.onfido.result import decide

NOW = 1_800_000_000.0
REF = SessionRef(provider="onfido", id="6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00",
                 extra=("6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f01",))
RUN = {"id": REF.extra[0], "applicant_id": REF.id, "workflow_id": REF.id, "status": "approved",
       "customer_user_id": "user-42", "updated_at": "2027-01-15T08:00:00Z"}
CHECK = {"id": "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f02", "status": "complete", "result": "clear"}


def _leaf(result: str = "clear") -> dict[str, Any]:
    return {"result": result}


DOCUMENT: dict[str, Any] = {
    "id": "r1", "name": "document", "status": "complete", "result": "clear", "sub_result": "clear",
    "breakdown": {
        "data_comparison": {"result": "clear", "breakdown": {"first_name": _leaf(), "last_name": _leaf()}},
        "data_validation": {"result": "clear", "breakdown": {"document_expiration": _leaf(), "mrz": _leaf()}},
        "image_integrity": {"result": "clear", "breakdown": {"image_quality": _leaf()}},
        "visual_authenticity": {"result": "clear", "breakdown": {"digital_tampering": _leaf()}},
        "police_record": {"result": "clear"},
    },
    "properties": {"first_name": "JANE", "last_name": "SAMPLE", "date_of_birth": "1990-01-02",
                   "document_type": "passport", "issuing_country": "GBR", "date_of_expiry": "2031-05-06",
                   "gender": "Female", "document_numbers": [{"type": "document_number", "value": "X1234567"}]},
}
FACE: dict[str, Any] = {
    "id": "r2", "name": "facial_similarity_photo", "status": "complete", "result": "clear",
    "breakdown": {
        "face_comparison": {"result": "clear", "breakdown": {"face_match": {"result": "clear",
                                                                            "properties": {"score": 0.91}}}},
        "image_integrity": {"result": "clear", "breakdown": {"face_detected": _leaf(), "source_integrity": _leaf()}},
        "visual_authenticity": {"result": "clear", "breakdown": {"spoofing_detection": _leaf()}},
    },
    "properties": {"score": 0.97},
}


def _decide(run: dict[str, Any] | None = None, reports: list[dict[str, Any]] | None = None,
            checks: list[dict[str, Any]] | None = None, placeholders: bool = False) -> Any:
    return decide(REF, run or RUN, [CHECK] if checks is None else checks,
                  [DOCUMENT, FACE] if reports is None else reports, now=NOW, placeholders=placeholders)


def _consider(report: dict[str, Any], *path: str, sub_result: str | None = None) -> dict[str, Any]:
    out = copy.deepcopy(report)
    out["result"] = "consider"
    if sub_result is not None:
        out["sub_result"] = sub_result
    node = out["breakdown"]
    for key in path:
        node[key]["result"] = "consider"
        node = node[key].get("breakdown", {})
    return out


def test_approved_with_every_report_clear_approves() -> None:
    d = _decide()
    assert d.outcome is Outcome.APPROVED and not d.reasons and d.reference == "user-42"
    assert d.checks.document.passed and d.checks.face_match.passed and d.checks.liveness.passed
    assert d.checks.face_match.score == 91.0 and d.checks.liveness.score == 97.0
    assert d.identity.full_name == "JANE SAMPLE" and d.identity.document_number == "X1234567"
    assert d.identity.sex == "F" and d.identity.issuing_country == "GBR"


@pytest.mark.parametrize(("change", "why"), [
    (lambda r: r[0].update(status="awaiting_approval"), "report not complete"),
    (lambda r: r[0].update(result="unidentified"), "undefined result"),
    (lambda r: r[0].update(sub_result="suspected"), "clear result, suspected sub-result"),
    (lambda r: r[1]["breakdown"]["face_comparison"].update(result="consider"), "clear report, consider breakdown"),
    (lambda r: r[1]["breakdown"]["face_comparison"].update(result="maybe"), "undocumented breakdown result"),
    (lambda r: r.__setitem__(1, _consider(FACE, "face_comparison", "face_match")), "a failing report"),
])
def test_doubt_next_to_approved_is_review(change: Any, why: str) -> None:
    reports = [copy.deepcopy(DOCUMENT), copy.deepcopy(FACE)]
    change(reports)
    d = _decide(reports=reports)
    assert d.outcome is Outcome.REVIEW, why
    assert not d.approved and d.reasons


def test_a_clear_check_over_a_failing_report_is_a_doubt_too() -> None:
    d = _decide(run={**RUN, "status": "declined"}, reports=[DOCUMENT, _consider(FACE, "face_comparison",
                                                                                 "face_match")])
    assert d.outcome is Outcome.DECLINED
    assert {r.code for r in d.reasons} == {ReasonCode.FACE_MISMATCH}
    assert any(w.provider_code == "checks[0].result" for w in d.warnings)


def test_a_check_in_progress_makes_approved_review() -> None:
    d = _decide(checks=[{**CHECK, "status": "in_progress"}])
    assert d.outcome is Outcome.REVIEW


@pytest.mark.parametrize(("report", "reason"), [
    (_consider(DOCUMENT, "data_validation", "document_expiration", sub_result="caution"), ReasonCode.DOCUMENT_EXPIRED),
    (_consider(DOCUMENT, "visual_authenticity", "digital_tampering", sub_result="suspected"),
     ReasonCode.DOCUMENT_TAMPERED),
    (_consider(DOCUMENT, "image_integrity", "image_quality", sub_result="rejected"), ReasonCode.DOCUMENT_UNREADABLE),
    (_consider(DOCUMENT, "data_comparison", "first_name", sub_result="caution"), ReasonCode.DATA_MISMATCH),
    (_consider(DOCUMENT, "police_record", sub_result="suspected"), ReasonCode.BLOCKLISTED),
    (_consider(FACE, "visual_authenticity", "spoofing_detection"), ReasonCode.SPOOF_DETECTED),
    (_consider(FACE, "image_integrity", "face_detected"), ReasonCode.FACE_NOT_DETECTED),
    (_consider(FACE, "image_integrity", "source_integrity"), ReasonCode.SPOOF_DETECTED),
])
def test_a_decline_says_why(report: dict[str, Any], reason: ReasonCode) -> None:
    other = FACE if report["name"] == "document" else DOCUMENT
    d = _decide(run={**RUN, "status": "declined"}, reports=[report, other],
                checks=[{**CHECK, "result": "consider"}])
    assert d.outcome is Outcome.DECLINED and {r.code for r in d.reasons} == {reason}


def test_a_consider_report_no_breakdown_explains_falls_back_to_its_sub_result() -> None:
    report = {**copy.deepcopy(DOCUMENT), "result": "consider", "sub_result": "suspected"}
    d = _decide(run={**RUN, "status": "declined"}, reports=[report], checks=[{**CHECK, "result": "consider"}])
    assert {r.code for r in d.reasons} == {ReasonCode.DOCUMENT_TAMPERED}
    bare = {**copy.deepcopy(FACE), "result": "consider"}
    d = _decide(run={**RUN, "status": "declined"}, reports=[bare], checks=[{**CHECK, "result": "consider"}])
    assert {r.code for r in d.reasons} == {ReasonCode.UNKNOWN}


def test_placeholder_names_only_inform() -> None:
    report = _consider(DOCUMENT, "data_comparison", "first_name", sub_result="caution")
    report["breakdown"]["data_comparison"]["breakdown"]["last_name"]["result"] = "consider"
    checks = [{**CHECK, "result": "consider"}]
    with_placeholders = _decide(reports=[report, FACE], checks=checks, placeholders=True)
    assert with_placeholders.outcome is Outcome.APPROVED
    assert {w.code for w in with_placeholders.warnings} >= {ReasonCode.DATA_MISMATCH}
    real_names = _decide(reports=[report, FACE], checks=checks)
    assert real_names.outcome is Outcome.REVIEW
    assert ReasonCode.DATA_MISMATCH in {r.code for r in real_names.reasons}


@pytest.mark.parametrize(("status", "outcome", "reason"), [
    ("processing", Outcome.PENDING, None), ("awaiting_input", Outcome.PENDING, None),
    ("awaiting_client_input", Outcome.PENDING, None), ("abandoned", Outcome.ABANDONED, ReasonCode.TIMED_OUT),
    ("error", Outcome.ERROR, ReasonCode.PROVIDER_ERROR), ("passed", Outcome.ERROR, ReasonCode.UNKNOWN),
    ("APPROVED", Outcome.ERROR, ReasonCode.UNKNOWN), ("approved ", Outcome.ERROR, ReasonCode.UNKNOWN),
])
def test_run_statuses(status: str, outcome: Outcome, reason: ReasonCode | None) -> None:
    d = _decide(run={**RUN, "status": status}, reports=[], checks=[])
    assert d.outcome is outcome
    assert {r.code for r in d.reasons} == ({reason} if reason else set())


def test_an_expired_link_is_expired_only_while_awaiting_input() -> None:
    past = {**RUN, "status": "awaiting_input", "link": {"expires_at": "2020-01-01T00:00:00Z"}}
    assert _decide(run=past, reports=[], checks=[]).outcome is Outcome.EXPIRED
    future = {**past, "link": {"expires_at": "2099-01-01T00:00:00Z"}}
    assert _decide(run=future, reports=[], checks=[]).outcome is Outcome.PENDING
    assert _decide(run={**past, "status": "approved"}).outcome is Outcome.APPROVED


def test_a_decline_without_reports_still_declines() -> None:
    d = _decide(run={**RUN, "status": "declined"}, reports=[], checks=[])
    assert d.outcome is Outcome.DECLINED and {r.code for r in d.reasons} == {ReasonCode.UNKNOWN}


def test_the_error_type_is_kept() -> None:
    d = _decide(run={**RUN, "status": "error", "error": {"type": "task_failed", "message": "x"}},
                reports=[], checks=[])
    assert d.reasons[0].provider_code == "error:task_failed"
