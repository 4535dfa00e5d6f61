"""Full flows against the emulator: create → one-time link → redirect → signed webhook → get_result, for every
supported catalog scenario (sync and async), plus Persona-specific behaviour of the emulator."""

from __future__ import annotations

import json

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.errors import InvalidRequest, SessionNotFound
from ekyc.models import Check, Decision, DocumentType, ExpectedIdentity, Outcome, ReasonCode, SessionRequest
from ekyc.providers.persona.emulator import SANDBOX_API_KEY, PersonaEmulator
from ekyc.sandbox import SCENARIOS, Sandbox, SandboxError, Scenario

SUPPORTED = [name for name in SCENARIOS if name not in PersonaEmulator.unsupported]
RETURN = "https://app.example/kyc/return"


def request(scenario: str, **kw: object) -> SessionRequest:
    values: dict[str, object] = {
        "reference": f"user-{scenario}", "return_url": RETURN, "checks": frozenset(Check),
        "document_types": (DocumentType.PASSPORT,), "country": "GBR",
        "expected": ExpectedIdentity(given_name="JANE", family_name="SAMPLE"),
    }
    values.update(kw)
    return SessionRequest(**values)  # type: ignore[arg-type]


def assert_matches(decision: Decision, scenario: Scenario) -> None:
    assert decision.outcome is scenario.outcome
    assert set(decision.reason_codes) == set(scenario.reasons)
    for field, value in (scenario.identity or {}).items():
        assert getattr(decision.identity, field) == value, field
    for check, passed in scenario.checks.items():
        assert getattr(decision.checks, check.value).passed is passed, check


def test_unsupported_scenarios_are_declared_with_reasons() -> None:
    assert set(PersonaEmulator.unsupported) == {"user_cancelled", "provider_error"}
    assert all(len(why) > 20 for why in PersonaEmulator.unsupported.values())


@pytest.mark.parametrize("name", SUPPORTED)
def test_full_flow_sync(name: str, client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request(name))
    assert session.ref.provider == "persona" and session.single_use and not session.reused
    assert session.ref.id.startswith("inq_") and session.expires_at is not None
    redirect = sandbox.complete(session, name)
    assert redirect.startswith(f"{RETURN}?inquiry-id={session.ref.id}")
    assert f"reference-id=user-{name}" in redirect
    ref = client.parse_return_url(redirect, expected=session.ref)
    assert ref == session.ref
    deliveries = sandbox.deliveries("persona", ref.id)
    names = [json.loads(d.body)["data"]["attributes"]["name"] for d in deliveries]
    assert names and "inquiry.created" not in names  # the sandbox subscription's enabled events
    for d in deliveries:
        event = client.parse_webhook(d.body, d.headers, "persona")
        assert event.ref is not None and event.ref.id == ref.id and event.authenticated == "payload"
        assert event.event_id and event.event_id.startswith("evt_") and event.decision is None
    decision = client.get_result(ref)
    assert_matches(decision, SCENARIOS[name])
    assert decision.reference == f"user-{name}"
    assert decision.provider_status == event.provider_status


@pytest.mark.parametrize("name", ["approved", "face_mismatch", "review", "session_expired"])
async def test_full_flow_async(name: str, aclient: AsyncClient, sandbox: Sandbox) -> None:
    session = await aclient.create_session(request(name))
    redirect = sandbox.complete(session, name)
    ref = aclient.parse_return_url(redirect, expected=session.ref)
    assert_matches(await aclient.get_result(ref), SCENARIOS[name])


def test_completed_is_not_approved_with_workflow_decisioning(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request("x"))
    sandbox.complete(session, status="completed")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.PENDING and decision.provider_status == "completed"


def test_completed_approves_only_when_the_template_decides_on_completion(sandbox: Sandbox) -> None:
    with sandbox.client({"providers": {"persona": {"decisioning": "completion"}}}) as kyc:
        session = kyc.create_session(request("x"))
        sandbox.complete(session, status="completed")
        assert kyc.get_result(session.ref).outcome is Outcome.APPROVED


def test_pending_before_the_user_finishes(client: Client) -> None:
    session = client.create_session(request("x"))
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.PENDING and decision.provider_status == "created"


def test_the_one_time_link_works_once(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request("x"))
    sandbox.complete(session, "approved")
    with pytest.raises(SandboxError):
        sandbox.complete(session, "approved")


def test_the_link_expires_after_a_day(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request("x"))
    sandbox.clock.advance(24 * 3600 + 1)
    with pytest.raises(SandboxError, match="404"):
        sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.EXPIRED and decision.reason_codes == (ReasonCode.SESSION_EXPIRED,)


def test_another_document_class_than_requested_never_approves(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request("x", document_types=(DocumentType.DRIVERS_LICENSE,)))
    sandbox.complete(session, "approved")  # the sandbox user shows a passport
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.REVIEW
    assert ReasonCode.DOCUMENT_UNSUPPORTED in decision.reason_codes


def test_a_check_rendered_by_name_gives_its_reason(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(request("x"))
    sandbox.complete(session, code="id_electronic_replica_detection")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.DECLINED
    assert [(r.code, r.provider_code) for r in decision.reasons] == [
        (ReasonCode.DOCUMENT_TAMPERED, "id_electronic_replica_detection")]


def test_api_errors_are_typed(client: Client, sandbox: Sandbox) -> None:
    with pytest.raises(SessionNotFound):
        client.get_result("persona:inq_doesnotexist")
    missing = {"providers": {"persona": {"inquiry_template_id": "itmpl_Missing1"}}}
    with sandbox.client(missing) as kyc, pytest.raises(InvalidRequest) as caught:
        kyc.create_session(request("x"))
    assert caught.value.http_status == 404 and caught.value.field == "inquiry_template_id"


def test_idempotency_key_replays_and_refuses_other_parameters(sandbox: Sandbox) -> None:
    http = httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}", "Idempotency-Key": "k1"}
    body = {"data": {"attributes": {"inquiry-template-id": "itmpl_EkycSandboxKyc1", "reference-id": "u1"}}}
    first = http.post("/api/v1/inquiries", json=body, headers=headers)
    again = http.post("/api/v1/inquiries", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    other = http.post("/api/v1/inquiries", json={**body, "meta": {"auto-create-one-time-link": True}},
                      headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["title"] == "Conflict"
    assert len(sandbox.sessions("persona")) == 1
    denied = http.post("/api/v1/inquiries", json=body, headers={"Authorization": "Bearer nope"})
    assert denied.status_code == 401 and "errors" in denied.json()
