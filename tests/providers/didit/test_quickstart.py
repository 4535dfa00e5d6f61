"""A plain script written from Didit's public quick-start (create a session with ``x-api-key``, open the link,
fetch the decision) works against the emulator served on loopback — no ekyc code on the client side."""

from __future__ import annotations

import httpx

from ekyc.sandbox import Sandbox


def test_quickstart_script_against_served_sandbox(served: Sandbox) -> None:
    hints = served.emulators["didit"].sdk_hints(served.base_url)
    base, key, workflow = hints["DIDIT_BASE_URL"], hints["DIDIT_API_KEY"], hints["DIDIT_WORKFLOW_ID"]
    headers = {"x-api-key": key, "Content-Type": "application/json"}

    # --- the quick-start, as a developer would write it -------------------------------------------------
    created = httpx.post(f"{base}/session/", headers=headers, timeout=10, json={
        "workflow_id": workflow, "vendor_data": "user-123", "callback": "https://example.com/verification/done",
    })
    assert created.status_code == 201
    session = created.json()
    assert session["status"] == "Not Started" and session["url"].startswith(served.base_url)
    session_id = session["session_id"]

    # the user opens the link and finishes (here: the sandbox page, choosing "approved")
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        assert browser.get(session["url"]).status_code == 200
        done = browser.post(session["url"], data={"scenario": "approved"})
    assert done.status_code == 303
    assert done.headers["location"].startswith(
        f"https://example.com/verification/done?verificationSessionId={session_id}")

    decision = httpx.get(f"{base}/session/{session_id}/decision/", headers={"x-api-key": key}, timeout=10)
    assert decision.status_code == 200
    body = decision.json()
    assert body["status"] == "Approved"
    assert body["id_verifications"][0]["status"] == "Approved"
    assert body["face_matches"][0]["score"] > 50

    denied = httpx.get(f"{base}/session/{session_id}/decision/", headers={"x-api-key": "nope"}, timeout=10)
    assert denied.status_code == 403


def test_ekyc_client_against_served_sandbox(served: Sandbox) -> None:
    from ekyc import Client

    settings = served.client_settings("didit")
    with Client({"providers": {"didit": settings}}) as client:
        session = client.create_session(reference="served-1", return_url="https://app.example/back")
        redirect = served.complete(session, "liveness_spoof")
        decision = client.get_result(client.parse_return_url(redirect))
    assert decision.outcome.value == "DECLINED"
    assert [r.code.value for r in decision.reasons] == ["SPOOF_DETECTED"]
