"""Hostile result payloads that must not approve (red team): a session of another type than the one created,
and a check reported ``verified`` that also names an error."""

from __future__ import annotations

import copy
from typing import Any

from ekyc.models import Outcome, ReasonCode, SessionRef
from tests.providers.stripe_identity.test_adapter import REF, decide, session


def _id_number_session() -> dict[str, Any]:
    data = copy.deepcopy(session(type="id_number"))
    report = data["last_verification_report"]
    report["type"] = "id_number"
    report.pop("document")
    report["id_number"] = {"status": "verified", "error": None}
    return data


def test_an_id_number_session_does_not_approve_a_document_request() -> None:
    # the create asked for a document session (the ref's token); an id_number session without any document
    # check is not what was asked for, even when everything it reports is verified
    d = decide(_id_number_session())
    assert d.outcome is Outcome.REVIEW and ReasonCode.INCONSISTENT_EVIDENCE in d.reason_codes


def test_an_id_number_session_without_selfie_does_not_approve_either() -> None:
    data = _id_number_session()
    data["last_verification_report"].pop("selfie")
    data["options"]["document"]["require_matching_selfie"] = False
    d = decide(data, SessionRef(provider="stripe", id="vs_123", extra=("l1s0i0",)))
    assert d.outcome is Outcome.REVIEW


def test_a_verified_check_naming_an_error_is_no_pass() -> None:
    for check, code in (("selfie", "selfie_face_mismatch"), ("document", "document_expired")):
        data = copy.deepcopy(session())
        data["last_verification_report"][check]["error"] = {"code": code, "reason": "x"}
        d = decide(data, REF)
        assert d.outcome is Outcome.REVIEW, check


def test_the_unmodified_payload_still_approves() -> None:
    assert decide(session()).outcome is Outcome.APPROVED


def _types_ref(*types: str) -> SessionRef:
    """A ref whose create allowed these document types (bound after the options token)."""
    return SessionRef(provider="stripe", id="vs_123", extra=("l1s1i0", "types=" + ".".join(types)))


def test_a_document_type_the_session_did_not_allow_is_no_pass() -> None:
    # the ref now binds what the create allowed: a session restricted to passports approves only with a ref that
    # asked for that (a ref that asked for no restriction and a session stating one disagree: no pass either)
    data = copy.deepcopy(session())
    data["options"]["document"]["allowed_types"] = ["passport"]
    assert decide(copy.deepcopy(data), _types_ref("passport")).outcome is Outcome.APPROVED
    assert decide(copy.deepcopy(data)).outcome is Outcome.REVIEW
    data["last_verification_report"]["document"]["type"] = "driving_license"
    d = decide(data, _types_ref("passport"))
    assert d.outcome is Outcome.REVIEW and ReasonCode.INCONSISTENT_EVIDENCE in d.reason_codes


def test_a_verified_check_without_its_error_field_is_no_pass() -> None:
    data = copy.deepcopy(session())
    del data["last_verification_report"]["selfie"]["error"]
    assert decide(data).outcome is Outcome.REVIEW


def test_the_document_types_the_app_asked_for_are_bound_in_the_ref() -> None:
    # red team: the verified document was compared with the payload's own allowed_types, so a session whose
    # options were widened (or a payload naming another session's options) approved any document type
    data = copy.deepcopy(session())
    data["options"]["document"]["allowed_types"] = ["passport"]
    assert decide(copy.deepcopy(data), _types_ref("passport")).outcome is Outcome.APPROVED
    data["options"]["document"]["allowed_types"] = ["driving_license", "passport"]
    data["last_verification_report"]["document"]["type"] = "driving_license"
    d = decide(data, _types_ref("passport"))
    assert d.outcome is Outcome.REVIEW and ReasonCode.DOCUMENT_UNSUPPORTED in d.reason_codes
    assert decide(copy.deepcopy(data), _types_ref("driving_license", "passport")).outcome is Outcome.APPROVED


def test_a_session_whose_allowed_types_are_not_the_ones_asked_for_is_no_pass() -> None:
    data = copy.deepcopy(session())
    for stated in (None, ["passport", "id_card"], ["id_card"]):
        if stated is None:
            data["options"]["document"].pop("allowed_types", None)
        else:
            data["options"]["document"]["allowed_types"] = stated
        data["last_verification_report"]["document"]["type"] = "passport"
        d = decide(copy.deepcopy(data), _types_ref("passport"))
        assert d.outcome is Outcome.REVIEW and ReasonCode.INCONSISTENT_EVIDENCE in d.reason_codes, stated


def test_a_ref_without_types_asked_no_restriction() -> None:
    data = copy.deepcopy(session())
    data["options"]["document"].pop("allowed_types", None)
    for doc in ("passport", "id_card", "driving_license"):
        data["last_verification_report"]["document"]["type"] = doc
        assert decide(copy.deepcopy(data)).outcome is Outcome.APPROVED, doc
