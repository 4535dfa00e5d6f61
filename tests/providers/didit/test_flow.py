"""Full flows against the emulator: create → hosted page → redirect → signed webhook → get_result, for every
supported catalog scenario (sync and async), plus the emulator's Didit-specific behaviour."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.models import Check, Decision, DocumentType, ExpectedIdentity, Outcome, ReasonCode, SessionRequest
from ekyc.providers.didit.emulator import SANDBOX_API_KEY, DiditEmulator
from ekyc.sandbox import SCENARIOS, Sandbox, SandboxError, Scenario
from ekyc.testing import BROWSER_META_INFO

SUPPORTED = [name for name in SCENARIOS if name not in DiditEmulator.unsupported]


def contract_request(scenario: str) -> SessionRequest:
    expected = ExpectedIdentity(given_name="JOHN", family_name="OTHER") if scenario == "data_mismatch" else None
    return SessionRequest(reference=f"user-{scenario}", return_url="https://app.example/kyc/return",
                          checks=frozenset(Check), document_types=(DocumentType.PASSPORT,), country="GBR",
                          client_metadata=BROWSER_META_INFO, expected=expected)


def assert_matches(decision: Decision, scenario: Scenario) -> None:
    assert decision.outcome is scenario.outcome
    assert set(decision.reason_codes) == set(scenario.reasons)
    for field, value in (scenario.identity or {}).items():
        assert getattr(decision.identity, field) == value, field
    for check, passed in scenario.checks.items():
        assert getattr(decision.checks, check.value).passed is passed, check


def test_unsupported_scenarios_are_declared_with_reasons() -> None:
    assert set(DiditEmulator.unsupported) == {"retry_limit", "user_cancelled", "provider_error"}
    assert all(len(why) > 20 for why in DiditEmulator.unsupported.values())


@pytest.mark.parametrize("name", SUPPORTED)
def test_full_flow_sync(name: str, client: Client, sandbox: Sandbox) -> None:
    scenario = SCENARIOS[name]
    session = client.create_session(contract_request(name))
    assert session.ref.provider == "didit" and not session.reused
    redirect = sandbox.complete(session, name)
    assert redirect.startswith("https://app.example/kyc/return?verificationSessionId=")
    ref = client.parse_return_url(redirect, expected=session.ref)  # the URL must name the stored session
    assert ref == session.ref
    deliveries = sandbox.deliveries("didit", ref.id)
    event = client.parse_webhook(deliveries[-1].body, deliveries[-1].headers, "didit")
    assert event.ref == ref.model_copy(update={"reference": None}) and event.authenticated == "payload"
    decision = client.get_result(ref)
    assert_matches(decision, scenario)
    if event.decision is not None:  # Approved/Declined/In Review/Abandoned carry it
        assert_matches(event.decision, scenario)
    else:
        assert event.provider_status == "Expired"


@pytest.mark.parametrize("name", SUPPORTED)
async def test_full_flow_async(name: str, aclient: AsyncClient, sandbox: Sandbox) -> None:
    scenario = SCENARIOS[name]
    session = await aclient.create_session(contract_request(name))
    async with httpx.AsyncClient(transport=sandbox.async_transport()) as http:
        assert (await http.get(session.url)).status_code == 200
        done = await http.post(session.url, data={"scenario": name})
    assert done.status_code == 303
    ref = aclient.parse_return_url(done.headers["location"])
    delivery = sandbox.deliveries("didit", ref.id)[-1]
    event = aclient.parse_webhook(delivery.body, delivery.headers, "didit")
    assert event.provider_status == json.loads(delivery.body)["status"]
    assert_matches(await aclient.get_result(ref), scenario)


def test_status_transitions_and_webhooks(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request("approved"))
    assert client.get_result(session.ref).provider_status == "Not Started"
    with httpx.Client(transport=sandbox.transport()) as http:
        page = http.get(session.url)
        assert page.status_code == 200 and "scenario-form" in page.text
        assert client.get_result(session.ref).provider_status == "In Progress"
        assert client.get_result(session.ref).outcome is Outcome.PENDING
        done = http.post(session.url, data={"scenario": "approved"})
        assert "status=Approved" in done.headers["location"]  # the hint is there, and never trusted
        closed = http.get(session.url)
        assert 'id="closed"' in closed.text
        assert http.post(session.url, data={"scenario": "approved"}).status_code == 409
    statuses = [json.loads(d.body)["status"] for d in sandbox.deliveries("didit", session.ref.id)]
    assert statuses == ["In Progress", "Approved"]


def test_create_returns_the_unfinished_session_of_the_same_vendor_data(client: Client,
                                                                        sandbox: Sandbox) -> None:
    first = client.create_session(reference="dup", return_url="https://app.example/a")
    again = client.create_session(reference="dup", return_url="https://app.example/b")
    assert again.ref == first.ref and again.reused and not first.reused
    redirect = sandbox.complete(again, "approved")
    assert redirect.startswith("https://app.example/b?")  # callback refreshed
    third = client.create_session(reference="dup", return_url="https://app.example/c")
    assert third.ref != first.ref and not third.reused  # a finished session is not handed back


def test_reused_detected_by_status_from_a_fresh_client(client: Client, sandbox: Sandbox) -> None:
    first = client.create_session(reference="dup2")
    with httpx.Client(transport=sandbox.transport()) as http:
        http.get(first.url)
    with sandbox.client() as other:
        again = other.create_session(reference="dup2")
    assert again.ref == first.ref and again.reused


def _api(sb: Sandbox, method: str, path: str, **kw: Any) -> httpx.Response:
    with httpx.Client(transport=sb.transport(), base_url=sb.base_url) as http:
        headers = kw.pop("headers", {"x-api-key": SANDBOX_API_KEY})
        return http.request(method, path, headers=headers, **kw)


def test_sandbox_scenario_on_create_and_arm(client: Client, sandbox: Sandbox) -> None:
    armed = client.create_session(reference="arm-1", return_url="https://app.example/r",
                                     provider_options={"didit": {"sandbox_scenario": "face_mismatch"}})
    sandbox.complete(armed, "approved")  # the armed scenario wins over what the page picks
    assert client.get_result(armed.ref).reason_codes == (ReasonCode.FACE_MISMATCH,)

    s = client.create_session(reference="arm-2", return_url="https://app.example/r")
    r = _api(sandbox, "POST", f"/v3/session/{s.ref.id}/sandbox/arm/", json={"scenario": "document_expired"})
    assert r.status_code == 200
    assert _api(sandbox, "POST", f"/v3/session/{s.ref.id}/sandbox/arm/",
                json={"scenario": "nonsense"}).status_code == 400
    sandbox.complete(s, "approved")
    assert client.get_result(s.ref).reason_codes == (ReasonCode.DOCUMENT_EXPIRED,)
    late = _api(sandbox, "POST", f"/v3/session/{s.ref.id}/sandbox/arm/", json={"scenario": "approved"})
    assert late.status_code == 400 and "detail" in late.json()


def test_seven_day_expiry_on_the_sandbox_clock(client: Client, sandbox: Sandbox) -> None:
    untouched = client.create_session(reference="exp-1")
    started = client.create_session(reference="exp-2")
    with httpx.Client(transport=sandbox.transport()) as http:
        http.get(started.url)
    sandbox.clock.advance(6 * 24 * 3600)
    assert client.get_result(untouched.ref).outcome is Outcome.PENDING
    sandbox.clock.advance(24 * 3600 + 1)
    expired = client.get_result(untouched.ref)
    assert expired.outcome is Outcome.EXPIRED and expired.reason_codes == (ReasonCode.SESSION_EXPIRED,)
    abandoned = client.get_result(started.ref)
    assert abandoned.outcome is Outcome.ABANDONED and abandoned.reason_codes == (ReasonCode.TIMED_OUT,)
    with pytest.raises(SandboxError):
        sandbox.complete(untouched, "approved")
    last = sandbox.deliveries("didit", untouched.ref.id)[-1]
    assert json.loads(last.body)["status"] == "Expired"


def test_emulator_auth_and_error_shapes(sandbox: Sandbox) -> None:
    for headers in ({}, {"x-api-key": "wrong"}):
        r = _api(sandbox, "POST", "/v3/session/", json={"workflow_id": "x"}, headers=headers)
        assert r.status_code == 403 and r.json() == {
            "detail": "Authentication credentials were not provided or are invalid."}
    r = _api(sandbox, "POST", "/v3/session/", json={"vendor_data": "x"})
    assert r.status_code == 400 and r.json() == {"workflow_id": ["This field is required."]}
    r = _api(sandbox, "POST", "/v3/session/", content=b"{oops")
    assert r.status_code == 400 and "detail" in r.json()
    r = _api(sandbox, "GET", "/v3/session/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/decision/")
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


def test_decision_payload_shape(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request("face_mismatch"))
    sandbox.complete(session, "face_mismatch")
    data = _api(sandbox, "GET", f"/v3/session/{session.ref.id}/decision/").json()
    for array in ("id_verifications", "liveness_checks", "face_matches", "aml_screenings", "poa_verifications"):
        assert array in data
    assert data["aml_screenings"] is None
    warning = data["face_matches"][0]["warnings"][0]
    assert set(warning) == {"feature", "risk", "additional_data", "log_type", "short_description",
                            "long_description", "node_id"}
    assert warning["risk"] == "LOW_FACE_MATCH_SIMILARITY" and warning["log_type"] == "error"
    assert data["id_verifications"][0]["document_type"] == "Passport"
    assert data["expected_details"]["expected_document_types"] == ["P"]


@pytest.mark.parametrize("fault", ["503", "429", "connect"])
def test_create_survives_faults_without_duplicates(fault: str, client: Client, sandbox: Sandbox) -> None:
    sandbox.set_fault("didit", fault, times=1)
    session = client.create_session(reference="faulty", return_url="https://app.example/r")
    listed = client.extension("didit").list_sessions(vendor_data="faulty")
    assert listed["count"] == 1 and listed["results"][0]["session_id"] == session.ref.id


async def test_result_survives_a_fault_async(aclient: AsyncClient, sandbox: Sandbox) -> None:
    session = await aclient.create_session(reference="faulty-2", return_url="https://app.example/r")
    sandbox.complete(session, "approved")
    sandbox.set_fault("didit", "503", times=2)
    assert (await aclient.get_result(session.ref)).outcome is Outcome.APPROVED
