"""The scenario catalog is complete: every required scenario exists with an expectation."""

from __future__ import annotations

from ekyc import Outcome, ReasonCode
from ekyc.sandbox import IDENTITY_FIELDS, PERSON, SCENARIOS

REQUIRED = {
    "approved", "face_mismatch", "liveness_spoof", "no_face", "multiple_faces", "poor_capture",
    "document_expired", "document_tampered", "document_unreadable", "data_mismatch", "retry_limit",
    "user_cancelled", "timed_out", "session_expired", "review", "provider_error",
}


def test_catalog_has_every_required_scenario() -> None:
    assert set(SCENARIOS) >= REQUIRED


def test_every_scenario_has_an_expectation() -> None:
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name and scenario.title and scenario.description
        assert isinstance(scenario.outcome, Outcome)
        if scenario.outcome is Outcome.APPROVED:
            assert not scenario.reasons
        else:
            assert scenario.reasons, f"{name} must say why it is not approved"
            assert all(isinstance(r, ReasonCode) for r in scenario.reasons)
        for field in scenario.identity or {}:
            assert field in PERSON


def test_identity_expectations_use_the_sandbox_person() -> None:
    approved = SCENARIOS["approved"].identity
    assert approved is not None
    assert {k: approved[k] for k in IDENTITY_FIELDS} == {k: PERSON[k] for k in IDENTITY_FIELDS}
