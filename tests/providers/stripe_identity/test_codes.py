"""The code table: every code of stripe-python's closed lists, sourced, fail closed; each one rendered exactly by
the emulator and normalized as its row says."""

from __future__ import annotations

import pytest

from ekyc import Client, Outcome
from ekyc.models import ReasonCode
from ekyc.providers.stripe.codes import CODE_TABLE, KINDS
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import RETURN_URL

#: stripe-python @6c6e3736 stripe/identity/_verification_session.py LastError.code (the closed list)
LAST_ERROR_CODES = (
    "abandoned", "consent_declined", "country_not_supported", "device_not_supported", "document_expired",
    "document_type_not_supported", "document_unverified_other", "email_unverified_other",
    "email_verification_declined", "id_number_insufficient_document_data", "id_number_mismatch",
    "id_number_unverified_other", "phone_unverified_other", "phone_verification_declined",
    "selfie_document_missing_photo", "selfie_face_mismatch", "selfie_manipulated", "selfie_unverified_other",
    "under_supported_age",
)


def test_every_documented_code_is_in_the_table_with_a_source() -> None:
    assert {e.code for e in CODE_TABLE.of_kind("last_error")} == set(LAST_ERROR_CODES)
    assert {e.code for e in CODE_TABLE.of_kind("status")} == {"requires_input", "processing", "verified", "canceled"}
    for entry in CODE_TABLE:
        assert entry.kind in KINDS and entry.source and entry.message
        if entry.source == "unknown":
            assert entry.outcome is not Outcome.APPROVED
    approving = [e for e in CODE_TABLE.of_kind("last_error") if e.outcome is Outcome.APPROVED]
    assert not approving


def test_unsaid_reasons_stay_unknown() -> None:
    for code in ("document_unverified_other", "selfie_unverified_other", "id_number_unverified_other"):
        entry = CODE_TABLE.get("last_error", code)
        assert entry is not None and entry.reason is ReasonCode.UNKNOWN


@pytest.mark.parametrize("code", LAST_ERROR_CODES)
def test_each_code_rendered_and_normalized(st_client: Client, st_sandbox: Sandbox, code: str) -> None:
    session = st_client.create_session(reference=f"code-{code}", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, code=code)
    decision = st_client.get_result(session.ref)
    entry = CODE_TABLE.get("last_error", code)
    assert entry is not None
    assert decision.outcome is entry.outcome and decision.provider_status == "requires_input"
    assert decision.reasons[0].provider_code == code and decision.reasons[0].code is entry.reason
    assert not decision.approved


def test_processing_is_pending(st_client: Client, st_sandbox: Sandbox) -> None:
    session = st_client.create_session(reference="code-processing", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, code="processing")
    decision = st_client.get_result(session.ref)
    assert decision.outcome is Outcome.PENDING and decision.provider_status == "processing"


def test_an_unknown_last_error_code_declines_with_unknown(st_sandbox: Sandbox, st_client: Client) -> None:
    session = st_client.create_session(reference="code-new", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, "face_mismatch")
    emulator = st_sandbox.emulators["stripe"]
    emulator.store.get(session.ref.id)["last_error"] = {"code": "brand_new_code", "reason": None}
    decision = st_client.get_result(session.ref)
    assert decision.outcome is Outcome.DECLINED
    assert ReasonCode.UNKNOWN in decision.reason_codes
