"""Didit's sandbox as a per-application mode: the scenario catalog endpoint, a live-mode application next to the
sandbox one, and the adapter's environment rule — a decision or webhook from another environment than the one
configured never approves, manual approval included (docs.didit.me/integration/sandbox-testing)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ekyc import Client
from ekyc.errors import InvalidRequest
from ekyc.models import Outcome, ReasonCode
from ekyc.providers.didit.emulator import LIVE_APP_API_KEY, SANDBOX_API_KEY
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import webhook_body

LIVE_APP: dict[str, Any] = {"providers": {"didit": {"api_key": LIVE_APP_API_KEY, "environment": "live"}}}
SANDBOX_KEY_LIVE_CONFIG: dict[str, Any] = {"providers": {"didit": {"environment": "live"}}}


def _get(sandbox: Sandbox, path: str, key: str | None) -> httpx.Response:
    headers = {"x-api-key": key} if key else {}
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        return http.get(path, headers=headers)


def test_the_scenario_catalog_endpoint(sandbox: Sandbox) -> None:
    r = _get(sandbox, "/v1/sandbox/scenarios/", SANDBOX_API_KEY)
    assert r.status_code == 200
    names = {row["scenario"] for row in r.json()["scenarios"]}
    assert {"approved", "face_mismatch", "review"} <= names and "retry_limit" not in names
    assert _get(sandbox, "/v1/sandbox/scenarios/", None).status_code == 403
    assert _get(sandbox, "/v1/sandbox/scenarios/", LIVE_APP_API_KEY).status_code == 400


def test_a_sandbox_session_says_so_everywhere(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(reference="env-sb", return_url="https://app.example/r")
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED and decision.raw["environment"] == "sandbox"
    payloads = [json.loads(d.body) for d in sandbox.deliveries("didit", session.ref.id)]
    assert {p["environment"] for p in payloads} == {"sandbox"}


def test_a_live_application_takes_no_sandbox_scenario(sandbox: Sandbox) -> None:
    with sandbox.client(LIVE_APP) as live:
        with pytest.raises(InvalidRequest) as err:
            live.create_session(reference="env-live", provider_options={"didit": {"sandbox_scenario": "approved"}})
        assert err.value.http_status == 400
        session = live.create_session(reference="env-live", return_url="https://app.example/r")
        with pytest.raises(InvalidRequest):
            live.extension("didit").arm_sandbox(session.ref, "approved")
        sandbox.complete(session, "approved")
        decision = live.get_result(session.ref)
        assert decision.outcome is Outcome.APPROVED and decision.raw["environment"] == "live"
        last = sandbox.deliveries("didit", session.ref.id)[-1]
        event = live.parse_webhook(webhook_body(last), last.headers, "didit")
        assert event.decision is not None and event.decision.outcome is Outcome.APPROVED


def _environment_doubt(decision: Any, stated: str) -> None:
    assert decision.outcome is Outcome.REVIEW and not decision.approved
    assert any(r.code is ReasonCode.INCONSISTENT_EVIDENCE and r.provider_code == stated for r in decision.reasons)


def test_a_sandbox_decision_never_approves_under_a_live_configuration(sandbox: Sandbox) -> None:
    with sandbox.client(SANDBOX_KEY_LIVE_CONFIG) as crossed:
        session = crossed.create_session(reference="env-x", return_url="https://app.example/r")
        sandbox.complete(session, "approved")
        _environment_doubt(crossed.get_result(session.ref), "sandbox")
        last = sandbox.deliveries("didit", session.ref.id)[-1]
        event = crossed.parse_webhook(webhook_body(last), last.headers, "didit")
        assert event.decision is not None
        _environment_doubt(event.decision, "sandbox")
        crossed.extension("didit").approve(session.ref, comment="a manual approval does not lift it")
        _environment_doubt(crossed.get_result(session.ref), "sandbox")


def test_a_live_decision_never_approves_under_a_sandbox_configuration(sandbox: Sandbox) -> None:
    with sandbox.client({"providers": {"didit": {"api_key": LIVE_APP_API_KEY}}}) as crossed:  # environment sandbox
        session = crossed.create_session(reference="env-y", return_url="https://app.example/r")
        sandbox.complete(session, "approved")
        _environment_doubt(crossed.get_result(session.ref), "live")


def test_an_undocumented_environment_is_doubt() -> None:
    from ekyc.models import SessionRef
    from ekyc.providers.didit.parse import decide

    ref = SessionRef(provider="didit", id="3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    data = {"session_id": ref.id, "status": "Approved", "environment": "staging"}
    _environment_doubt(decide(data, ref), "staging")
    assert decide({**data, "environment": "live"}, ref).outcome is Outcome.APPROVED
    _environment_doubt(decide({k: v for k, v in data.items() if k != "environment"}, ref), "missing")


def test_live_and_sandbox_applications_never_see_each_others_sessions(sandbox: Sandbox) -> None:
    """Live and sandbox are separate applications [docs.didit.me/integration/sandbox-testing]: one application's key
    gets Didit's 404 for the other's session on every session call, its listing and blocklist leave them out,
    the same vendor_data opens a separate session per application, and each webhook names its own application."""
    from ekyc.providers.didit.emulator_state import LIVE_APPLICATION_ID, SANDBOX_APPLICATION_ID

    with sandbox.client() as sb, sandbox.client(LIVE_APP) as live:
        mine = sb.create_session(reference="same-user", return_url="https://app.example/r")
        theirs = live.create_session(reference="same-user", return_url="https://app.example/r")
        assert mine.ref.id != theirs.ref.id
        sandbox.complete(mine, "approved")
        sid = mine.ref.id
        headers = {"x-api-key": LIVE_APP_API_KEY}
        with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as http:
            assert http.get(f"/v3/session/{sid}/decision/").status_code == 404
            assert http.patch(f"/v3/session/{sid}/update-status/", json={"new_status": "Declined"}).status_code == 404
            assert http.get(f"/v3/session/{sid}/generate-pdf/").status_code == 404
            assert http.post("/v3/blocklist/add/", json={"session_id": sid, "blocklist_face": True}).status_code == 404
            assert http.delete(f"/v3/session/{sid}/delete/").status_code == 404
            listed = {row["session_id"] for row in http.get("/v3/sessions/").json()["results"]}
            assert sid not in listed and theirs.ref.id in listed
        with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url,
                          headers={"x-api-key": SANDBOX_API_KEY}) as http:
            assert http.post("/v3/blocklist/add/", json={"session_id": sid, "blocklist_face": True}).status_code == 200
        with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as http:
            assert http.get("/v3/blocklist/").json()["count"] == 0
        assert sb.get_result(mine.ref).outcome is Outcome.APPROVED  # untouched by the live key's calls
        sandbox.complete(theirs, "approved")
        apps = {json.loads(d.body)["application_id"] for d in sandbox.deliveries("didit", theirs.ref.id)}
        assert apps == {LIVE_APPLICATION_ID}
        apps = {json.loads(d.body)["application_id"] for d in sandbox.deliveries("didit", sid)}
        assert apps == {SANDBOX_APPLICATION_ID}
