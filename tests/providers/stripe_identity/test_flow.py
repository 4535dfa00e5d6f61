"""Stripe Identity end to end on the in-process sandbox: create → hosted page → redirect → webhook → result."""

from __future__ import annotations

import pytest

from ekyc import AsyncClient, Client, Outcome, ReasonCode
from ekyc.errors import AuthenticationError, InvalidRequest, SessionNotFound, UnsupportedFeature
from ekyc.models import Check, DocumentType, SessionRef
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import RETURN_URL, run_scenario, run_scenario_async, webhook_body

SUPPORTED = ("approved", "face_mismatch", "liveness_spoof", "document_expired", "user_cancelled", "timed_out")


@pytest.mark.parametrize("scenario", SUPPORTED)
def test_scenarios_match_the_catalog(st_client: Client, st_sandbox: Sandbox, scenario: str) -> None:
    run = run_scenario(st_client, st_sandbox, "stripe", scenario)
    assert run.supported and run.matched, run.problems
    assert run.webhook is not None and run.webhook.ref is not None
    assert run.webhook.event_type and run.webhook.event_type.startswith("identity.verification_session.")


async def test_async_client_runs_a_scenario(st_aclient: AsyncClient, st_sandbox: Sandbox) -> None:
    run = await run_scenario_async(st_aclient, st_sandbox, "stripe", "face_mismatch")
    assert run.matched, run.problems


def test_approved_decision_reads_the_report(st_client: Client, st_sandbox: Sandbox) -> None:
    session = st_client.create_session(reference="user-42", return_url=RETURN_URL, provider="stripe",
                                       document_types=(DocumentType.PASSPORT,))
    assert session.ref.id.startswith("vs_") and session.single_use and not session.reused
    assert session.ref.extra[1:] == ("types=passport",)  # what the app allowed, checked on the result
    assert SessionRef.parse(session.ref.serialize()).extra == session.ref.extra
    redirect = st_sandbox.complete(session, "approved")
    assert st_client.parse_return_url(redirect, "stripe").id == session.ref.id
    decision = st_client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED and decision.reference == "user-42"
    assert decision.provider_status == "verified"
    assert decision.identity.full_name == "JANE SAMPLE" and decision.identity.issuing_country == "GBR"
    assert decision.identity.document_number == "X1234567" and decision.identity.document_type is DocumentType.PASSPORT
    assert decision.checks.document.passed and decision.checks.face_match.passed and decision.checks.liveness.passed


def test_a_failed_attempt_stays_open_and_a_new_attempt_decides(st_client: Client, st_sandbox: Sandbox) -> None:
    session = st_client.create_session(reference="user-7", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, "face_mismatch")
    first = st_client.get_result(session.ref)
    assert first.outcome is Outcome.DECLINED and first.provider_status == "requires_input"
    assert first.reasons[0].code is ReasonCode.FACE_MISMATCH and first.reasons[0].retryable
    # Stripe: a retrieve in requires_input gives a fresh url; the user tries again in the same session
    emulator = st_sandbox.emulators["stripe"]
    fresh = emulator.render_session(emulator.session(session.ref.id), set())["url"]
    assert fresh and fresh != session.url
    st_sandbox.complete(fresh, "approved")
    assert st_client.get_result(session.ref).outcome is Outcome.APPROVED


def test_canceled_after_a_failure_is_final(st_client: Client, st_sandbox: Sandbox) -> None:
    session = st_client.create_session(reference="user-8", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, "face_mismatch")
    decision = st_client.extension("stripe").cancel(session.ref)
    assert decision.outcome is Outcome.DECLINED and decision.provider_status == "canceled"
    assert [r.code for r in decision.reasons] == [ReasonCode.FACE_MISMATCH]
    assert not decision.reasons[0].retryable


def test_cancel_and_redact(st_client: Client, st_sandbox: Sandbox) -> None:
    ops = st_client.extension("stripe")
    fresh = st_client.create_session(reference="user-9", provider="stripe")
    canceled = ops.cancel(fresh.ref)
    assert canceled.outcome is Outcome.ABANDONED and not canceled.reasons
    with pytest.raises(InvalidRequest):
        ops.cancel(fresh.ref)  # only requires_input can be canceled
    done = st_client.create_session(reference="user-10", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(done, "approved")
    redacted = ops.redact(done.ref)
    assert redacted.outcome is Outcome.APPROVED
    later = st_client.get_result(done.ref)
    assert later.identity.is_empty()
    types = [d.meta["type"] for d in st_sandbox.deliveries("stripe", session_id=done.ref.id)]
    assert types[-1] == "identity.verification_session.redacted"


def test_webhooks_verify_and_refuse_tampering(st_client: Client, st_sandbox: Sandbox) -> None:
    session = st_client.create_session(reference="user-11", return_url=RETURN_URL, provider="stripe")
    st_sandbox.complete(session, "approved")
    last = st_sandbox.deliveries("stripe", session_id=session.ref.id)[-1]
    event = st_client.parse_webhook(webhook_body(last), last.headers, "stripe")
    assert event.ref is not None and event.ref.id == session.ref.id
    assert event.provider_status == "verified" and event.authenticated == "payload"
    assert event.event_id and event.event_id.startswith("evt_") and event.decision is None
    from ekyc.errors import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        st_client.parse_webhook(last.body.replace(b"verified", b"canceled"), last.headers, "stripe")


def test_errors_are_typed(st_sandbox: Sandbox) -> None:
    with st_sandbox.client({"providers": {"stripe": {"api_key": "sk_test_wrong"}}}) as bad:
        with pytest.raises(AuthenticationError) as exc:
            bad.create_session(reference="u", provider="stripe")
        assert exc.value.http_status == 401 and "sk_test_wrong" not in str(exc.value)
    with st_sandbox.client() as client:
        with pytest.raises(SessionNotFound) as missing:
            client.get_result(SessionRef(provider="stripe", id="vs_unknown123"))
        assert missing.value.provider_code == "resource_missing"
        with pytest.raises(UnsupportedFeature):
            client.create_session(reference="u", provider="stripe", checks={Check.LIVENESS})


def test_a_create_keeps_no_request_after_stripe_answered(st_client: Client, st_sandbox: Sandbox) -> None:
    st_client.create_session(reference="user-12", provider="stripe")
    assert not st_client.adapter("stripe")._keys  # type: ignore[attr-defined]


def test_a_repeated_create_is_replayed_not_duplicated(st_client: Client, st_sandbox: Sandbox) -> None:
    from ekyc.models import SessionRequest

    request = SessionRequest(reference="user-13", provider_options={"stripe": {"idempotency_key": "user-13-v1"}})
    first = st_client.create_session(request, provider="stripe")
    again = st_client.create_session(request, provider="stripe")
    assert again.ref.id == first.ref.id and again.reused and not first.reused
    assert not st_sandbox.duplicate_sessions("stripe")
