"""The code table against the emulator: every check name and every inquiry status, rendered by the sandbox in
Persona's own payloads, normalizes as the table says — in both template setups."""

from __future__ import annotations

import pytest

from ekyc import Client
from ekyc.models import Outcome, SessionRequest
from ekyc.providers.persona.codes import CHECKS, CODE_TABLE, DECISIONING
from ekyc.providers.persona.emulator import GID_CHECKS, SELFIE_CHECKS
from ekyc.sandbox import Sandbox

RETURN = "https://app.example/kyc/return"
RENDERABLE_STATUSES = [e.code for e in CODE_TABLE.of_kind("status") if e.code not in ("created", "pending")]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_name_renders_to_its_reason(name: str, client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(SessionRequest(reference=f"u-{name}", return_url=RETURN))
    sandbox.complete(session, code=name)
    decision = client.get_result(session.ref)
    entry = CHECKS[name]
    assert decision.outcome is Outcome.DECLINED
    assert [(r.code, r.provider_code, r.message) for r in decision.reasons] == [
        (entry.reason, name, entry.message)]


@pytest.mark.parametrize("decisioning", sorted(DECISIONING))
@pytest.mark.parametrize("status", RENDERABLE_STATUSES)
def test_every_status_renders_as_the_table_says(status: str, decisioning: str, sandbox: Sandbox) -> None:
    entry = CODE_TABLE.get(DECISIONING[decisioning], status)
    assert entry is not None and entry.outcome is not None
    with sandbox.client({"providers": {"persona": {"decisioning": decisioning}}}) as kyc:
        session = kyc.create_session(SessionRequest(reference=f"u-{status}", return_url=RETURN))
        sandbox.complete(session, status=status)
        decision = kyc.get_result(session.ref)
    expected = Outcome.ABANDONED if status == "expired" else entry.outcome  # the sandbox user had started
    assert decision.outcome is expected and decision.provider_status == status


def test_the_sandbox_template_runs_only_checks_the_table_knows() -> None:
    assert set(GID_CHECKS) | set(SELFIE_CHECKS) <= set(CHECKS)
    assert all(CHECKS[n].kind == "check.government_id" for n in GID_CHECKS)
    assert all(CHECKS[n].kind == "check.selfie" for n in SELFIE_CHECKS)


def test_completed_is_a_decision_only_in_the_completion_setup() -> None:
    workflow = CODE_TABLE.get("status", "completed")
    completion = CODE_TABLE.get("status.completion", "completed")
    assert workflow is not None and workflow.outcome is Outcome.PENDING
    assert completion is not None and completion.outcome is Outcome.APPROVED
    for kind in DECISIONING.values():
        assert {e.code for e in CODE_TABLE.of_kind(kind)} == {
            "created", "pending", "completed", "failed", "expired", "needs_review", "approved", "declined"}
