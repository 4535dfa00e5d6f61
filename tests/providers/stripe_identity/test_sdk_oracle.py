"""The official ``stripe`` library, unmodified, against the emulator served on loopback — pointed there only by
its documented base-URL settings (``StripeClient(base_addresses={"api": …})`` and ``stripe.api_base``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ekyc.cli.serve import serve_in_thread
from ekyc.models import Outcome
from ekyc.providers.stripe.emulator import SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET
from ekyc.sandbox import Sandbox

pytestmark = pytest.mark.oracle
stripe = pytest.importorskip("stripe")

RETURN = "https://app.example/kyc/return?verification_session={VERIFICATION_SESSION_ID}"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    with serve_in_thread(providers=["stripe"]) as sandbox:
        yield sandbox


def sdk(sandbox: Sandbox, key: str = SANDBOX_SECRET_KEY) -> Any:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.base_url}, max_network_retries=0)
    return getattr(client, "v1", client).identity


def test_create_retrieve_and_the_hosted_flow(served: Sandbox) -> None:
    sessions = sdk(served).verification_sessions
    vs = sessions.create(params={
        "type": "document", "client_reference_id": "user-42", "return_url": RETURN,
        "metadata": {"order": "42"},
        "options": {"document": {"require_matching_selfie": True, "allowed_types": ["passport", "id_card"]}},
    })
    assert isinstance(vs, stripe.identity.VerificationSession)
    assert vs.id.startswith("vs_") and vs.status == "requires_input" and vs.url and vs.client_secret
    assert vs.options.document.require_matching_selfie is True and vs.metadata["order"] == "42"
    redirect = served.complete(vs.url, "approved")
    assert redirect == f"https://app.example/kyc/return?verification_session={vs.id}"
    got = sessions.retrieve(vs.id, params={"expand": ["verified_outputs", "verified_outputs.dob",
                                                       "last_verification_report"]})
    assert got.status == "verified" and got.last_error is None and got.url is None
    assert got.verified_outputs.first_name == "JANE" and got.verified_outputs.dob.year == 1990
    report = got.last_verification_report
    assert isinstance(report, stripe.identity.VerificationReport)
    assert report.document.status == "verified" and report.selfie.status == "verified"
    assert report.document.number is None  # sensitive: only when expanded
    again = sdk(served).verification_reports.retrieve(report.id, params={"expand": ["document.number"]})
    assert again.document.number == "X1234567"


def test_a_failed_attempt_returns_to_requires_input_with_last_error(served: Sandbox) -> None:
    sessions = sdk(served).verification_sessions
    vs = sessions.create(params={"type": "document", "return_url": RETURN,
                                 "options": {"document": {"require_matching_selfie": True}}})
    served.complete(vs.url, "face_mismatch")
    got = sessions.retrieve(vs.id, params={"expand": ["last_verification_report"]})
    assert got.status == "requires_input" and got.last_error.code == "selfie_face_mismatch"
    assert got.url and got.url != vs.url  # a fresh, single-use url for the next attempt
    assert got.last_verification_report.selfie.error.code == "selfie_face_mismatch"


def test_cancel_and_redact(served: Sandbox) -> None:
    sessions = sdk(served).verification_sessions
    vs = sessions.create(params={"type": "document"})
    canceled = sessions.cancel(vs.id)
    assert canceled.status == "canceled" and canceled.url is None
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sessions.cancel(vs.id)
    assert exc.value.http_status == 400
    done = sessions.create(params={"type": "document", "return_url": RETURN})
    served.complete(done.url, "approved")
    redacted = sessions.redact(done.id)
    assert redacted.redaction.status == "processing" and redacted.status == "verified"
    later = sessions.retrieve(done.id, params={"expand": ["verified_outputs"]})
    assert later.redaction.status == "redacted" and later.verified_outputs.first_name == "[redacted]"
    open_one = sessions.create(params={"type": "document"})
    assert sessions.redact(open_one.id).status == "canceled"  # redacting requires_input cancels it


def test_typed_errors_for_a_wrong_key_and_an_unknown_id(served: Sandbox) -> None:
    with pytest.raises(stripe.AuthenticationError) as bad:
        sdk(served, "sk_test_not_the_sandbox_key_0000").verification_sessions.create(params={"type": "document"})
    assert bad.value.http_status == 401 and bad.value.request_id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk(served).verification_sessions.retrieve("vs_doesnotexist0000")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert missing.value.param == "id"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        sdk(served).verification_sessions.create(params={"type": "document", "colour": "blue"})
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "colour"


def test_idempotent_replay_and_conflict(served: Sandbox) -> None:
    sessions = sdk(served).verification_sessions
    first = sessions.create(params={"type": "document", "client_reference_id": "user-idem"},
                            options={"idempotency_key": "user-idem-1"})
    again = sessions.create(params={"type": "document", "client_reference_id": "user-idem"},
                            options={"idempotency_key": "user-idem-1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        sessions.create(params={"type": "id_number"}, options={"idempotency_key": "user-idem-1"})


def test_global_api_base(served: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", SANDBOX_SECRET_KEY)
    monkeypatch.setattr(stripe, "api_base", served.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    vs = stripe.identity.VerificationSession.create(type="document", client_reference_id="user-global")
    assert stripe.identity.VerificationSession.retrieve(vs.id).client_reference_id == "user-global"
    listed = stripe.identity.VerificationSession.list(client_reference_id="user-global")
    assert [s.id for s in listed.data] == [vs.id]


def test_construct_event_accepts_the_emulators_webhooks_and_rejects_tampered_ones(served: Sandbox) -> None:
    sessions = sdk(served).verification_sessions
    served.emulators["stripe"].enabled_events.add("identity.verification_session.created")
    try:
        vs = sessions.create(params={"type": "document", "return_url": RETURN})
    finally:
        served.emulators["stripe"].enabled_events.discard("identity.verification_session.created")
    served.complete(vs.url, "approved")
    deliveries = served.deliveries("stripe", session_id=vs.id)
    types = [stripe.Webhook.construct_event(d.body, d.headers["Stripe-Signature"], SANDBOX_WEBHOOK_SECRET).type
             for d in deliveries]
    assert types == ["identity.verification_session.created", "identity.verification_session.processing",
                     "identity.verification_session.verified"]
    last = deliveries[-1]
    event = stripe.Webhook.construct_event(last.body, last.headers["Stripe-Signature"], SANDBOX_WEBHOOK_SECRET)
    assert event.data.object.id == vs.id and event.data.object.status == "verified"
    tampered = json.loads(last.body)
    tampered["data"]["object"]["status"] = "requires_input"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps(tampered), last.headers["Stripe-Signature"], SANDBOX_WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(last.body, last.headers["Stripe-Signature"], "whsec_another_secret")


def test_ekyc_reads_a_session_the_sdk_started(served: Sandbox) -> None:
    vs = sdk(served).verification_sessions.create(params={
        "type": "document", "client_reference_id": "user-sdk", "return_url": RETURN,
        "options": {"document": {"require_matching_selfie": True}}})
    served.complete(vs.url, "liveness_spoof")
    with served.client(transport=httpx.HTTPTransport()) as client:
        decision = client.get_result(f"stripe:{vs.id}")
    assert decision.outcome is Outcome.DECLINED and decision.reference == "user-sdk"
    assert [r.provider_code for r in decision.reasons] == ["selfie_manipulated"]
