"""Didit-only operations through ``client.extension("didit")``, sync and async, against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ekyc import AsyncClient, Client
from ekyc.errors import InvalidRequest, PermissionDenied, ProviderError, SessionNotFound
from ekyc.models import Check, Outcome, ReasonCode, SessionRef
from ekyc.sandbox import Sandbox

MISSING = SessionRef(provider="didit", id="3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")


def _done(client: Client, sb: Sandbox, ref: str, scenario: str) -> SessionRef:
    session = client.create_session(reference=ref, return_url="https://app.example/r")
    sb.complete(session, scenario)
    return session.ref


def test_extension_is_didit_operations(client: Client) -> None:
    assert "DiditOperations" in repr(client.extension("didit"))


def test_create_workflow_from_checks_and_use_it(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    wf = ops.create_workflow([Check.DOCUMENT, Check.LIVENESS], label="doc+live",
                             config={"LIVENESS": {"face_liveness_method": "passive"}})
    assert wf["features"] == ["OCR", "LIVENESS"] and wf["workflow_label"] == "doc+live"
    assert any(w["uuid"] == wf["uuid"] for w in ops.list_workflows()["results"])
    session = client.create_session(reference="wf", return_url="https://app.example/r",
                                       provider_options={"didit": {"workflow_id": wf["uuid"]}})
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED
    assert decision.checks.liveness.passed is True and decision.checks.face_match.passed is None
    with pytest.raises(InvalidRequest):
        ops.create_workflow([])


def test_update_status_approve_decline_resubmit(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    ref = _done(client, sandbox, "upd", "face_mismatch")
    assert client.get_result(ref).outcome is Outcome.DECLINED
    assert ops.approve(ref, comment="checked by hand") == ref.id
    approved = client.get_result(ref)
    assert approved.outcome is Outcome.APPROVED and approved.reasons == ()
    assert [w.code for w in approved.warnings] == [ReasonCode.FACE_MISMATCH]
    assert ops.decline(ref) == ref.id
    assert client.get_result(ref).outcome is Outcome.DECLINED
    assert ops.decline(ref, comment="again") == ref.id  # documented no-op: nothing changes, no webhook
    assert ops.resubmit(ref, nodes=[("feature_face_match", "FACE_MATCH")]) == ref.id
    with pytest.raises(InvalidRequest):  # 400: the new status is the same as the current status
        ops.resubmit(ref, nodes=[("feature_face_match", "FACE_MATCH")])
    pending = client.get_result(ref)
    assert pending.outcome is Outcome.PENDING and pending.provider_status == "Resubmitted"
    assert pending.checks.face_match.passed is None and pending.checks.document.passed is True
    sandbox.complete(client.create_session(reference="upd"), "approved")  # same vendor_data → same session
    assert client.get_result(ref).outcome is Outcome.APPROVED
    statuses = [json.loads(d.body)["status"] for d in sandbox.deliveries("didit", ref.id)]
    assert statuses == ["In Progress", "Declined", "Approved", "Declined", "Resubmitted", "Approved"]


def test_update_status_refusals(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    fresh = client.create_session(reference="fresh").ref
    with pytest.raises(InvalidRequest):  # 400 Wrong Current Status (Not Started)
        ops.approve(fresh)
    with pytest.raises(InvalidRequest):
        ops.update_status(fresh, "maybe")
    with pytest.raises(InvalidRequest):
        ops.update_status(fresh, "approve", nodes_to_resubmit=[("n", "OCR")])
    with pytest.raises(InvalidRequest):
        ops.resubmit(fresh, nodes=[("n", "TELEPATHY")])
    with pytest.raises(InvalidRequest) as err:  # Didit requires nodes_to_resubmit with Resubmitted
        ops.resubmit(fresh, nodes=[])
    assert err.value.field == "nodes_to_resubmit"
    with pytest.raises(SessionNotFound):
        ops.approve(MISSING)


def test_generate_pdf(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    ref = _done(client, sandbox, "pdf", "approved")
    pdf = ops.generate_pdf(ref)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF") and b"JANE" not in pdf
    with pytest.raises(PermissionDenied):  # only decided sessions have a report
        ops.generate_pdf(client.create_session(reference="pdf-2").ref)


def test_pdf_path_without_slash_redirects(client: Client, sandbox: Sandbox) -> None:
    import httpx

    ref = _done(client, sandbox, "pdf-3", "approved")
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        r = http.get(f"/v3/session/{ref.id}/generate-pdf", headers={"x-api-key": "x"})
    assert r.status_code in (301, 307, 308)


def test_blocklist_and_list_sessions(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    a = _done(client, sandbox, "list-a", "approved")
    b = _done(client, sandbox, "list-b", "face_mismatch")
    client.create_session(reference="list-c")
    added = ops.blocklist_add(b, face=True, document=True)
    assert set(added) == {"message"}  # the documented response key
    listed = sandbox_blocklist(sandbox, "document")
    assert [(r["type"], r["session_id"], r["document_number"]) for r in listed] == [("document", b.id, "X1234567")]
    ops.blocklist_remove(b)
    assert sandbox_blocklist(sandbox, None) == []
    everything = ops.list_sessions(limit=2)
    assert everything["count"] == 3 and len(everything["results"]) == 2 and everything["next"]
    declined = ops.list_sessions(status="Declined")
    assert [r["session_id"] for r in declined["results"]] == [b.id]
    by_vendor = ops.list_sessions(vendor_data="list-a")
    assert [r["session_id"] for r in by_vendor["results"]] == [a.id]
    with pytest.raises(InvalidRequest):
        ops.list_sessions(colour="red")


def sandbox_blocklist(sandbox: Sandbox, item_type: str | None) -> list[dict[str, Any]]:
    """``GET /v3/blocklist/`` on the emulator (the extension has no list call)."""
    import httpx

    from ekyc.providers.didit.emulator import SANDBOX_API_KEY

    params = {"item_type": item_type} if item_type else {}
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        r = http.get("/v3/blocklist/", params=params, headers={"x-api-key": SANDBOX_API_KEY})
    assert r.status_code == 200
    rows: list[dict[str, Any]] = r.json()["results"]
    return rows


def test_same_status_update_is_a_no_op_without_webhook(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    ref = _done(client, sandbox, "noop", "approved")
    before = len(sandbox.deliveries("didit", ref.id))
    assert ops.approve(ref, comment="again") == ref.id
    assert len(sandbox.deliveries("didit", ref.id)) == before
    assert client.get_result(ref).outcome is Outcome.APPROVED


def test_backend_only_resubmission_runs_at_once_and_is_throttled(client: Client, sandbox: Sandbox) -> None:
    from ekyc.errors import RateLimited

    ops = client.extension("didit")
    ref = _done(client, sandbox, "backend", "face_mismatch")
    assert ops.resubmit(ref, nodes=[("feature_aml", "AML")]) == ref.id
    statuses = [json.loads(d.body)["status"] for d in sandbox.deliveries("didit", ref.id)]
    assert statuses[-2:] == ["Resubmitted", "Declined"]  # no user step: back to a decided status
    with pytest.raises(RateLimited):  # the same backend-only resubmission within 30 s
        ops.resubmit(ref, nodes=[("feature_aml", "AML")])
    sandbox.clock.advance(31)
    assert ops.resubmit(ref, nodes=[("feature_aml", "AML")]) == ref.id


def test_delete_session(client: Client, sandbox: Sandbox) -> None:
    ops = client.extension("didit")
    ref = _done(client, sandbox, "gone", "approved")
    answer = ops.delete_session(ref)
    assert answer["session_id"] == ref.id and answer["face_retention_outcome"] == "deleted"
    with pytest.raises(SessionNotFound):
        client.get_result(ref)
    with pytest.raises(SessionNotFound):
        ops.delete_session(ref)


def test_extension_parse_is_fail_closed() -> None:
    import httpx

    settings: dict[str, Any] = {"providers": {"didit": {"api_key": "k",
                                                         "workflow_id": "11111111-2222-4333-8444-555555555555"}}}
    with Client(settings, transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>"))) as c:
        ops = c.extension("didit")
        with pytest.raises(ProviderError):
            ops.generate_pdf(MISSING)
        with pytest.raises(ProviderError):
            ops.list_sessions()
        with pytest.raises(ProviderError):
            ops.approve(MISSING)


async def test_extension_async(aclient: AsyncClient, sandbox: Sandbox) -> None:
    ops = aclient.extension("didit")
    wf = await ops.create_workflow(tuple(Check))
    assert wf["features"] == ["OCR", "LIVENESS", "FACE_MATCH"]
    session = await aclient.create_session(reference="async-ext", return_url="https://app.example/r")
    assert (await ops.arm_sandbox(session.ref, "review"))["scenario"] == "review"
    sandbox.complete(session, "approved")
    assert (await aclient.get_result(session.ref)).outcome is Outcome.REVIEW
    assert await ops.decline(session.ref) == session.ref.id
    assert (await aclient.get_result(session.ref)).outcome is Outcome.DECLINED
    assert (await ops.generate_pdf(session.ref)).startswith(b"%PDF")
    assert "message" in await ops.blocklist_add(session.ref)
    listed = await ops.list_sessions(vendor_data="async-ext")
    assert listed["count"] == 1 and listed["results"][0]["status"] == "Declined"
    with pytest.raises(SessionNotFound):
        await ops.generate_pdf(MISSING)
