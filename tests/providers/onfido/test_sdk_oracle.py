"""The official client (onfido-python), unmodified and pointed at the served sandbox with its documented
``host`` setting, runs the flow: applicant, workflow run with a link, read back, the link completed, the run's
check and typed reports, its typed errors for a wrong token and an unknown id, and its webhook verifier
accepting the emulator's deliveries. The ekyc client then decides the same session."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from ekyc import SessionRef
from ekyc.models import Outcome
from ekyc.providers.onfido.emulator import SANDBOX_API_TOKEN, SANDBOX_WEBHOOK_TOKEN, SANDBOX_WORKFLOW_ID
from ekyc.sandbox import Sandbox

pytestmark = pytest.mark.oracle
onfido = pytest.importorskip("onfido")
from onfido import exceptions as sdk_errors  # noqa: E402


def sdk(served: Sandbox, token: str = SANDBOX_API_TOKEN) -> Any:
    hints = served.emulators["onfido"].sdk_hints(served.base_url)
    configuration = onfido.Configuration(api_token=token, host=hints["ONFIDO_BASE_PATH"])
    return onfido.DefaultApi(onfido.ApiClient(configuration))


def _start(api: Any, reference: str) -> tuple[Any, Any]:
    applicant = api.create_applicant(onfido.ApplicantBuilder(first_name="JANE", last_name="SAMPLE",
                                                             dob="1990-01-02"))
    run = api.create_workflow_run(onfido.WorkflowRunBuilder(
        applicant_id=applicant.id, workflow_id=UUID(SANDBOX_WORKFLOW_ID), customer_user_id=reference,
        link=onfido.WorkflowRunLink(completed_redirect_url="https://app.example/kyc/done")))
    return applicant, run


def test_the_sdk_runs_the_flow(served: Sandbox) -> None:
    api = sdk(served)
    applicant, run = _start(api, "user-42")
    assert isinstance(applicant, onfido.Applicant) and isinstance(run, onfido.WorkflowRun)
    assert run.status == onfido.WorkflowRunStatus.AWAITING_INPUT and run.applicant_id == applicant.id
    assert run.link.url.startswith(served.base_url)
    again = api.find_workflow_run(run.id)
    assert again.id == run.id and again.customer_user_id == "user-42"

    redirect = served.complete(run.link.url, "face_mismatch")
    assert redirect.startswith("https://app.example/kyc/done")
    done = api.find_workflow_run(run.id)
    assert done.status == onfido.WorkflowRunStatus.DECLINED
    checks = api.list_checks(applicant.id).checks
    assert len(checks) == 1 and checks[0].result == "consider"
    reports = api.list_reports(checks[0].id).reports
    kinds = {type(r.actual_instance).__name__ for r in reports}
    assert kinds == {"DocumentReport", "FacialSimilarityPhotoReport"}
    face = next(r.actual_instance for r in reports if r.actual_instance.name == "facial_similarity_photo")
    assert face.breakdown.face_comparison.result == "consider"
    assert api.find_report(face.id).actual_instance.id == face.id
    assert api.find_check(checks[0].id).id == checks[0].id
    assert any(w.id == run.id for w in api.list_workflow_runs())
    assert any(a.id == applicant.id for a in api.list_applicants(page=1, per_page=50).applicants)
    assert api.find_applicant(applicant.id).first_name == "JANE"

    # the same session, decided by ekyc from the ids the SDK saw
    ref = SessionRef(provider="onfido", id=str(applicant.id), extra=(str(run.id),))
    with served.client(transport=httpx.HTTPTransport()) as client:
        decision = client.get_result(ref)
    assert decision.outcome is Outcome.DECLINED and decision.reference == "user-42"


def test_typed_errors_for_a_wrong_token_and_an_unknown_id(served: Sandbox) -> None:
    with pytest.raises(sdk_errors.UnauthorizedException):
        sdk(served, token="api_sandbox.wrong").list_applicants()
    with pytest.raises(sdk_errors.NotFoundException):
        sdk(served).find_workflow_run(UUID("6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00"))
    with pytest.raises(sdk_errors.UnprocessableEntityException):
        sdk(served).create_workflow_run(onfido.WorkflowRunBuilder(
            applicant_id=UUID("6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00"), workflow_id=UUID(SANDBOX_WORKFLOW_ID)))


def test_the_sdk_verifier_accepts_the_emulators_webhooks(served: Sandbox) -> None:
    api = sdk(served)
    _, run = _start(api, "user-43")
    served.complete(run.link.url, "approved")
    deliveries = [d for d in served.deliveries("onfido") if str(run.id) in d.body.decode()]
    assert deliveries
    verifier = onfido.WebhookEventVerifier(SANDBOX_WEBHOOK_TOKEN)
    for delivery in deliveries:
        event = verifier.read_payload(delivery.body.decode("utf-8"), delivery.headers["X-SHA2-Signature"])
        assert isinstance(event, onfido.WebhookEvent)
    last = verifier.read_payload(deliveries[-1].body.decode("utf-8"), deliveries[-1].headers["X-SHA2-Signature"])
    assert last.payload.action == onfido.WebhookEventType.WORKFLOW_RUN_DOT_COMPLETED
    assert last.payload.object.id == str(run.id)
    with pytest.raises(onfido.OnfidoInvalidSignatureError):
        onfido.WebhookEventVerifier("another-token").read_payload(deliveries[-1].body.decode("utf-8"),
                                                                  deliveries[-1].headers["X-SHA2-Signature"])
