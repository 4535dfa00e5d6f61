"""The whole Onfido flow through both clients against the emulator: create (applicant + workflow run), the link
page, the redirect, the signed webhook, the decision; errors, refusals and the ref."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest

from ekyc import AsyncClient, Client, Outcome, ReasonCode, SessionRef
from ekyc.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequest,
    ProviderError,
    SessionMismatch,
    SessionNotFound,
    UnsupportedFeature,
    WebhookVerificationError,
)
from ekyc.models import Check, DocumentType, ExpectedIdentity, SessionRequest
from ekyc.providers.onfido.adapter import PLACEHOLDER_FIRST_NAME, RETURN_PARAM
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import RETURN_URL, run_scenario, run_scenario_async, scenario_request

from .conftest import make_provider


def _sent(sandbox: Sandbox, path: str) -> list[dict[str, object]]:
    """Bodies of the requests the emulator stored for ``path`` (applicants or workflow runs)."""
    emulator: Any = sandbox.emulators["onfido"]
    if path == "applicants":
        return list(emulator._applicants.values())
    return [emulator.store.get(applicant) for applicant in emulator._runs.values()]


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch", "document_expired", "session_expired",
                                      "timed_out", "provider_error", "review"])
def test_scenarios_sync(client: Client, sandbox: Sandbox, scenario: str) -> None:
    run = run_scenario(client, sandbox, "onfido", scenario)
    assert run.matched, run.problems


async def test_a_scenario_async(aclient: AsyncClient, sandbox: Sandbox) -> None:
    run = await run_scenario_async(aclient, sandbox, "onfido", "liveness_spoof")
    assert run.matched, run.problems


def test_create_maps_the_request(client: Client, sandbox: Sandbox) -> None:
    request = SessionRequest(
        reference="user-42", return_url="https://app.example/back?x=1", contact_email="jane@example.com",
        language="fr-CA", country="GB", document_types=(DocumentType.PASSPORT, DocumentType.ID_CARD),
        expected=ExpectedIdentity(given_name="JANE", family_name="SAMPLE", date_of_birth=date(1990, 1, 2)),
        provider_options={"onfido": {"tags": ["vip"], "link_expires_in": 3600}})
    session = client.create_session(request, provider="onfido")
    applicant = _sent(sandbox, "applicants")[0]
    assert applicant["first_name"] == "JANE" and applicant["dob"] == "1990-01-02"
    assert applicant["email"] == "jane@example.com" and applicant["location"] == {"country_of_residence": "GBR"}
    run = _sent(sandbox, "runs")[0]
    assert run["customer_user_id"] == "user-42" and run["tags"] == ["vip"]
    link = run["link"]
    assert isinstance(link, dict) and link["language"] == "fr_FR"
    assert link["completed_redirect_url"] == f"https://app.example/back?x=1&{RETURN_PARAM}={applicant['id']}"
    assert session.ref.id == applicant["id"] and session.ref.extra == (run["id"],)
    assert session.url == link["url"] and session.expires_at is not None
    assert session.ref.reference == "user-42"


def test_placeholder_names_never_decide(client: Client, sandbox: Sandbox) -> None:
    """Without expected names the applicant gets Onfido's allowed dummy names; comparing the document with them
    is informational: the approved scenario stays APPROVED, with a warning."""
    session = client.create_session(reference="user-7", return_url=RETURN_URL, provider="onfido")
    assert _sent(sandbox, "applicants")[0]["first_name"] == PLACEHOLDER_FIRST_NAME
    assert session.ref.extra[1:] == ("n",)
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED, decision.reasons
    assert ReasonCode.DATA_MISMATCH in {w.code for w in decision.warnings}
    assert decision.checks.document.passed is True


def test_the_same_names_mismatch_declines_with_real_names(client: Client, sandbox: Sandbox) -> None:
    request = scenario_request("onfido", "approved").model_copy(
        update={"expected": ExpectedIdentity(given_name="JOHN", family_name="OTHER")})
    session = client.create_session(request, provider="onfido")
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    # Onfido's workflow approved, but its own document report says the names differ: doubt, never APPROVED
    assert decision.outcome is Outcome.REVIEW
    assert ReasonCode.DATA_MISMATCH in decision.reason_codes


def test_a_ref_read_from_the_return_url_alone_still_decides(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(scenario_request("onfido", "face_mismatch"), provider="onfido")
    bare = client.parse_return_url(sandbox.complete(session, "face_mismatch"), "onfido")
    assert bare.extra == () and bare.id == session.ref.id
    decision = client.get_result(bare)
    assert decision.outcome is Outcome.DECLINED and set(decision.reason_codes) == {ReasonCode.FACE_MISMATCH}


def test_pending_until_the_link_is_used(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(scenario_request("onfido", "approved"), provider="onfido")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.PENDING and decision.provider_status == "awaiting_input"
    assert decision.reference == scenario_request("onfido", "approved").reference


def test_return_url_and_webhook_name_the_session(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(scenario_request("onfido", "approved"), provider="onfido")
    redirect = sandbox.complete(session, "approved")
    assert client.parse_return_url(redirect, expected=session.ref) == session.ref
    other = client.create_session(scenario_request("onfido", "approved", reference="other"), provider="onfido")
    with pytest.raises(SessionMismatch):
        client.parse_return_url(redirect, expected=other.ref)
    delivery = sandbox.deliveries("onfido", session_id=session.ref.id)[-1]
    event = client.parse_webhook(delivery.body, delivery.headers, "onfido")
    assert event.ref is not None and event.ref.id == session.ref.id and event.ref.extra == session.ref.extra[:1]
    assert event.event_type == "workflow_run.completed" and event.provider_status == "approved"
    assert event.occurred_at is not None and event.decision is None
    assert {json.loads(d.body)["payload"]["action"] for d in sandbox.deliveries("onfido")} == {
        "workflow_run.completed"}  # the sandbox's default webhook subscribes to that event only
    with pytest.raises(WebhookVerificationError):
        client.parse_webhook(delivery.body + b" ", delivery.headers, "onfido")


def test_a_replayed_webhook_has_the_same_event_id(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(scenario_request("onfido", "approved"), provider="onfido")
    sandbox.complete(session, "approved")
    delivery = sandbox.deliveries("onfido", session_id=session.ref.id)[-1]
    first = client.parse_webhook(delivery.body, delivery.headers, "onfido")
    again = client.parse_webhook(delivery.body, delivery.headers, "onfido")
    assert first.event_id == again.event_id
    second = client.create_session(scenario_request("onfido", "approved", reference="b"), provider="onfido")
    sandbox.complete(second, "approved")
    other = sandbox.deliveries("onfido", session_id=second.ref.id)[-1]
    assert client.parse_webhook(other.body, other.headers, "onfido").event_id != first.event_id


def test_typed_errors(sandbox: Sandbox) -> None:
    with sandbox.client({"providers": {"onfido": {"api_token": "api_sandbox.wrong"}}}) as bad:
        with pytest.raises(AuthenticationError) as err:
            bad.create_session(scenario_request("onfido", "approved"), provider="onfido")
        assert err.value.http_status == 401 and err.value.provider_code == "authorization_error"
    with sandbox.client(sleep=lambda s: None) as client:
        ghost = SessionRef(provider="onfido", id="6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00",
                           extra=("6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f01",))
        with pytest.raises(SessionNotFound):
            client.get_result(ghost)
        with pytest.raises(ProviderError):  # an applicant with no run (this adapter starts one per applicant)
            client.get_result(SessionRef(provider="onfido", id="6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00"))
        with pytest.raises(InvalidRequest):
            client.get_result(SessionRef(provider="onfido", id="../applicants", extra=("x",)))
    bogus = {"providers": {"onfido": {"workflow_id": "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00"}}}
    with sandbox.client(bogus) as wrong_workflow:
        with pytest.raises(InvalidRequest) as err:
            wrong_workflow.create_session(scenario_request("onfido", "approved"), provider="onfido")
        assert err.value.http_status == 422 and err.value.field == "workflow_id"


@pytest.mark.parametrize(("fields", "field"), [
    ({"reference_image": "aGVsbG8="}, "reference_image"),
    ({"metadata": {"a": 1}}, "metadata"),
    ({"language": "ja"}, "language"),
    ({"expected": {"sex": "F"}}, "expected.sex"),
    ({"expected": {"document_number": "X1"}}, "expected.document_number"),
    ({"expected": {"given_name": "JANE"}}, "expected.given_name"),
    ({"document_types": ("OTHER",)}, "document_types"),
    ({"checks": {Check.LIVENESS}}, "checks"),
    ({"provider_options": {"onfido": {"colour": "blue"}}}, "provider_options.onfido.colour"),
    ({"provider_options": {"onfido": {"tags": ["x" * 200]}}}, "provider_options.onfido.tags"),
    ({"provider_options": {"onfido": {"link_expires_in": 5}}}, "provider_options.onfido.link_expires_in"),
])
def test_refused_before_any_call(client: Client, sandbox: Sandbox, fields: dict[str, object],
                                 field: str) -> None:
    with pytest.raises(UnsupportedFeature) as err:
        client.create_session(reference="u1", provider="onfido", **fields)
    assert err.value.field == field
    assert _sent(sandbox, "applicants") == []


def test_no_workflow_is_a_configuration_error() -> None:
    provider = make_provider(workflow_id=None)
    with pytest.raises(ConfigurationError):
        provider.check_request(SessionRequest(reference="u1"))


def test_requests_carry_the_token_and_the_region() -> None:
    for region, host in (("eu", "api.eu.onfido.com"), ("us", "api.us.onfido.com"), ("ca", "api.ca.onfido.com")):
        provider = make_provider(region=region, endpoint=None)
        prepared = provider.build_create(SessionRequest(reference="u1"))
        assert prepared.request.url.host == host and prepared.request.url.path == "/v3.6/applicants"
        assert prepared.request.headers["authorization"] == "Token token=test-token"
        assert "test-token" not in repr(provider.settings) and "test-token" not in str(provider.settings.describe())
    body = json.loads(make_provider().build_create(SessionRequest(reference="u1")).request.content)
    assert body == {"first_name": "Unknown", "last_name": "Unknown"}


def test_a_run_for_another_applicant_is_refused(client: Client, sandbox: Sandbox) -> None:
    a = client.create_session(scenario_request("onfido", "approved"), provider="onfido")
    b = client.create_session(scenario_request("onfido", "approved", reference="b"), provider="onfido")
    swapped = a.ref.model_copy(update={"extra": b.ref.extra})
    with pytest.raises(ProviderError):
        client.get_result(swapped)


def test_an_undocumented_status_never_approves() -> None:
    provider = make_provider()
    ref = SessionRef(provider="onfido", id="6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00",
                     extra=("6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f01",))
    prepared = provider.build_result(ref)
    body = {"id": ref.extra[0], "applicant_id": ref.id, "workflow_id": ref.id, "status": "passed"}
    decision = provider.parse_result(prepared, httpx.Response(200, json=body))
    assert not isinstance(decision, type(None)) and getattr(decision, "outcome", None) is Outcome.ERROR
