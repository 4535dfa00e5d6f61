"""The code table: complete against the reference, rendered in the docs, and every status and risk code
rendered by the emulator (hosted page ``code`` field) normalizes to the table's outcome and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.codes import CodeEntry, extract_table
from ekyc.models import Decision, Outcome, ReasonCode, SessionRequest
from ekyc.providers.didit.codes import CODE_TABLE, DEFAULT_LOG_TYPE, RISKS
from ekyc.sandbox import Sandbox

DOCS = Path(__file__).resolve().parents[3] / "docs" / "providers" / "didit.md"

STATUSES = ["Not Started", "In Progress", "In Review", "Approved", "Declined", "Abandoned", "Expired",
            "Resubmitted", "Kyc Expired", "Awaiting User"]
# reference §5, every group, as listed there
_REFERENCE_RISKS = """
DOCUMENT_NOT_SUPPORTED_FOR_APPLICATION DOCUMENT_EXPIRED PORTRAIT_IMAGE_NOT_DETECTED ID_DOCUMENT_IN_BLOCKLIST
FRONT_CAMERA_FACE_IN_BLOCKLIST AGE_BELOW_MINIMUM AGE_NOT_DETECTED MINIMUM_AGE_NOT_MET SCREEN_CAPTURE_DETECTED
PRINTED_COPY_DETECTED PORTRAIT_MANIPULATION_DETECTED PUBLIC_DOCUMENT_IMAGE_DETECTED DOCUMENT_LIVENESS_NOT_COMPUTED
MRZ_NOT_DETECTED MRZ_VALIDATION_FAILED MRZ_AND_DATA_EXTRACTED_FROM_OCR_NOT_SAME NAME_NOT_DETECTED
DATE_OF_BIRTH_NOT_DETECTED DOCUMENT_NUMBER_NOT_DETECTED DATA_INCONSISTENT POSSIBLE_DUPLICATED_USER
FULL_NAME_MISMATCH_WITH_PROVIDED DOB_MISMATCH_WITH_PROVIDED GENDER_MISMATCH_WITH_PROVIDED DOCUMENT_COUNTRY_MISMATCH
LOW_FRONT_CAMERA_FACE_MATCH_SIMILARITY
NO_FACE_DETECTED LIVENESS_FACE_ATTACK FACE_IN_BLOCKLIST POSSIBLE_FACE_IN_BLOCKLIST LOW_LIVENESS_SCORE DUPLICATED_FACE
POSSIBLE_DUPLICATED_FACE MULTIPLE_FACES_DETECTED LOW_FACE_QUALITY LOW_FACE_LUMINANCE HIGH_FACE_LUMINANCE
NO_REFERENCE_IMAGE LOW_FACE_MATCH_SIMILARITY
POSSIBLE_MATCH_FOUND COULD_NOT_PERFORM_AML_SCREENING
DISPOSABLE_NUMBER_DETECTED DUPLICATED_PHONE_NUMBER HIGH_RISK_PHONE_NUMBER PHONE_NUMBER_IN_BLOCKLIST
VERIFICATION_CODE_ATTEMPTS_EXCEEDED VOIP_NUMBER_DETECTED
BREACHED_EMAIL_DETECTED DISPOSABLE_EMAIL_DETECTED DUPLICATED_EMAIL EMAIL_CODE_ATTEMPTS_EXCEEDED EMAIL_IN_BLOCKLIST
UNDELIVERABLE_EMAIL_DETECTED
ADDRESS_MISMATCH_WITH_PROVIDED DOCUMENT_METADATA_MISMATCH EXPIRED_DOCUMENT FUTURE_ISSUE_DATE INVALID_DOCUMENT_TYPE
ISSUER_NOT_IDENTIFIED MISSING_ADDRESS_INFORMATION NAME_MISMATCH_ID_VERIFICATION NAME_MISMATCH_WITH_PROVIDED
POA_DOCUMENT_NOT_SUPPORTED_FOR_APPLICATION POA_NAME_MISMATCH_BETWEEN_DOCUMENTS POOR_DOCUMENT_QUALITY
SUSPECTED_DOCUMENT_MANIPULATION UNABLE_TO_EXTRACT_ISSUE_DATE UNABLE_TO_VALIDATE_DOCUMENT_AGE
UNPARSABLE_OR_INVALID_ADDRESS UNSUPPORTED_DOCUMENT_LANGUAGE
COULD_NOT_PERFORM_DATABASE_VALIDATION DATABASE_VALIDATION_NO_MATCH DATABASE_VALIDATION_PARTIAL_MATCH
"""
REFERENCE_RISKS = _REFERENCE_RISKS.split()

STATUS_ENTRIES = CODE_TABLE.of_kind("status")
RISK_ENTRIES = tuple(RISKS.values())
ALL_RENDERABLE = STATUS_ENTRIES + RISK_ENTRIES


def test_table_has_every_status_and_risk_code() -> None:
    assert [e.code for e in STATUS_ENTRIES] == STATUSES
    assert set(REFERENCE_RISKS) <= set(RISKS)
    for entry in RISK_ENTRIES:
        assert DEFAULT_LOG_TYPE[entry.code] in ("error", "warning", "information")


#: issue 13 item 4: the "Invalid Code" and "Data Inconsistency" groups of docs.didit.me/reference/warnings
DOCS_WARNING_GROUPS = ["QR_NOT_DETECTED", "BARCODE_NOT_DETECTED", "QR_VALIDATION_FAILED", "BARCODE_VALIDATION_FAILED",
                       "DOCUMENT_NAME_DIFFERENT_FROM_OTHER_APPROVED_DOCUMENTS", "DOCUMENT_SIDES_MISMATCH"]


@pytest.mark.parametrize("code", DOCS_WARNING_GROUPS)
def test_docs_warning_groups_are_id_verification_risks(code: str) -> None:
    entry = CODE_TABLE.get("risk.id_verification", code)
    assert entry is not None
    assert "[DOCS:reference/warnings]" in entry.source
    assert entry.reason is not None and entry.outcome is None  # a reason, never an outcome of its own
    assert DEFAULT_LOG_TYPE[code] == "error"  # configurable: our emulator's default is Decline


def test_only_documented_success_approves() -> None:
    approving = [e for e in CODE_TABLE if e.outcome is Outcome.APPROVED]
    assert [e.code for e in approving] == ["Approved"]
    for e in CODE_TABLE:
        if e.source == "unknown":
            assert e.reason in (None, ReasonCode.UNKNOWN)


def test_docs_page_matches_the_table() -> None:
    page = DOCS.read_text(encoding="utf-8")
    assert extract_table(page) == CODE_TABLE.to_markdown(), \
        "regenerate with ekyc.codes.splice_table(page, CODE_TABLE.to_markdown())"


def expected(entry: CodeEntry) -> tuple[Outcome, str]:
    """(outcome, where the code's reason lands: 'reasons', 'warnings' or 'none')."""
    if entry.kind == "status":
        assert entry.outcome is not None
        return entry.outcome, "reasons" if entry.reason else "none"
    log_type = DEFAULT_LOG_TYPE[entry.code]
    outcome = {"error": Outcome.DECLINED, "warning": Outcome.REVIEW, "information": Outcome.APPROVED}[log_type]
    return outcome, "warnings" if log_type == "information" else "reasons"


def check(decision: Decision, entry: CodeEntry) -> None:
    outcome, where = expected(entry)
    assert decision.outcome is outcome
    assert decision.provider_status is not None
    if where == "none":
        assert decision.reasons == ()
        return
    bucket = decision.reasons if where == "reasons" else decision.warnings
    if where == "warnings":
        assert decision.reasons == ()
    assert len(bucket) == 1
    reason = bucket[0]
    assert reason.code is (entry.reason or ReasonCode.UNKNOWN)
    assert reason.retryable is entry.retryable
    assert reason.provider_code == entry.code
    assert reason.message == entry.message


def _request(code: str) -> SessionRequest:
    return SessionRequest(reference=f"table-{code}", return_url="https://app.example/kyc/return")


@pytest.mark.parametrize("entry", ALL_RENDERABLE, ids=lambda e: f"{e.kind}:{e.code}")
def test_code_normalizes_sync(entry: CodeEntry, client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(_request(entry.code))
    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.get(session.url).status_code == 200
        done = http.post(session.url, data={"code": entry.code})
    assert done.status_code == 303
    decision = client.get_result(client.parse_return_url(done.headers["location"]))
    check(decision, entry)


@pytest.mark.parametrize("entry", ALL_RENDERABLE, ids=lambda e: f"{e.kind}:{e.code}")
async def test_code_normalizes_async(entry: CodeEntry, aclient: AsyncClient, sandbox: Sandbox) -> None:
    session = await aclient.create_session(_request(entry.code))
    async with httpx.AsyncClient(transport=sandbox.async_transport()) as http:
        assert (await http.get(session.url)).status_code == 200
        done = await http.post(session.url, data={"code": entry.code})
    assert done.status_code == 303
    decision = await aclient.get_result(aclient.parse_return_url(done.headers["location"]))
    check(decision, entry)


@pytest.mark.parametrize(("log_type", "outcome", "bucket"), [
    ("error", Outcome.DECLINED, "reasons"),
    ("warning", Outcome.REVIEW, "reasons"),
    ("information", Outcome.APPROVED, "warnings"),
])
def test_log_type_decides_reason_or_signal(log_type: str, outcome: Outcome, bucket: str, client: Client,
                                           sandbox: Sandbox) -> None:
    session = client.create_session(_request("LOW_FACE_LUMINANCE"))
    with httpx.Client(transport=sandbox.transport()) as http:
        http.get(session.url)
        done = http.post(session.url, data={"code": "LOW_FACE_LUMINANCE", "log_type": log_type})
    decision = client.get_result(client.parse_return_url(done.headers["location"]))
    assert decision.outcome is outcome
    got: Any = getattr(decision, bucket)
    assert [r.code for r in got] == [ReasonCode.CAPTURE_QUALITY]
