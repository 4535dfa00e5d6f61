"""Full flow for every supported catalog scenario (create → complete → parse_return_url → get_result)."""

from __future__ import annotations

import pytest

from ekyc import AsyncClient, Client
from ekyc.models import Check, Decision, Outcome
from ekyc.providers.alibaba.emulator import AlibabaEmulator
from ekyc.sandbox import Sandbox
from ekyc.sandbox.scenarios import SCENARIOS, Scenario

from .conftest import contract_request

SUPPORTED = [s for s in SCENARIOS.values() if s.name not in AlibabaEmulator.unsupported]


def assert_matches(decision: Decision, scenario: Scenario) -> None:
    assert decision.outcome is scenario.outcome
    assert set(decision.reason_codes) == set(scenario.reasons)
    for name, value in (scenario.identity or {}).items():
        assert getattr(decision.identity, name) == value, name
    for check, passed in scenario.checks.items():
        assert getattr(decision.checks, Check(check).value).passed is passed, check


def test_catalog_is_fully_classified() -> None:
    assert set(AlibabaEmulator.unsupported) <= set(SCENARIOS)
    assert {s.name for s in SUPPORTED} == {"approved", "face_mismatch", "liveness_spoof", "document_tampered",
                                           "document_unreadable"}
    assert all(why for why in AlibabaEmulator.unsupported.values())


@pytest.mark.parametrize("scenario", SUPPORTED, ids=lambda s: s.name)
def test_flow_sync(client: Client, sandbox: Sandbox, scenario: Scenario) -> None:
    session = client.create_session(contract_request())
    assert session.single_use and session.ref.provider == "alibaba"
    assert client.get_result(session.ref).outcome is Outcome.PENDING
    back = sandbox.complete(session, scenario.name)
    ref = client.parse_return_url(back, expected=session.ref.serialize())  # the URL must name the stored session
    assert ref == session.ref
    decision = client.get_result(ref)
    assert_matches(decision, scenario)
    # the callback was delivered and verifies
    (delivery,) = sandbox.deliveries("alibaba", session.ref.id)
    event = client.parse_webhook(delivery.url.encode(), {}, "alibaba")
    assert event.ref == session.ref.model_copy(update={"reference": None})
    assert event.decision is None and event.authenticated == "token"


@pytest.mark.parametrize("scenario", SUPPORTED, ids=lambda s: s.name)
async def test_flow_async(aclient: AsyncClient, sandbox: Sandbox, scenario: Scenario) -> None:
    session = await aclient.create_session(contract_request())
    back = sandbox.complete(session, scenario.name)
    decision = await aclient.get_result(aclient.parse_return_url(back, expected=session.ref))
    assert_matches(decision, scenario)
    assert decision.ref == session.ref


@pytest.mark.parametrize("name", sorted(AlibabaEmulator.unsupported))
def test_unsupported_scenarios_are_refused(client: Client, sandbox: Sandbox, name: str) -> None:
    session = client.create_session(contract_request())
    import httpx

    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.get(session.url).status_code == 200
        assert http.post(session.url, data={"scenario": name}).status_code == 400


def test_stored_ref_round_trips(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request())
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref.serialize())
    assert decision.approved and decision.billable is None  # billing is not documented per result


def test_approved_identity_and_scores(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request())
    decision = client.get_result(client.parse_return_url(sandbox.complete(session, "approved")))
    ident = decision.identity
    assert (ident.given_name, ident.family_name, ident.sex, ident.nationality) == ("JANE", "SAMPLE", "F", "GBR")
    assert ident.expiry_date is not None and ident.expiry_date.isoformat() == "2031-05-06"
    assert decision.checks.face_match.score == pytest.approx(92.6)
    assert "X1234567" not in repr(decision)
