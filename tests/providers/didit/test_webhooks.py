"""Webhook verification: Didit's own fixtures under all three schemes, tampering, secrets, freshness,
missing headers, middleware re-serialization, rotation, and the emulator's deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ekyc import Client
from ekyc.errors import ConfigurationError, WebhookVerificationError
from ekyc.models import Outcome, SessionRequest
from ekyc.providers.didit import signing
from ekyc.sandbox import Sandbox

from .conftest import make_provider

SCHEMES = {"raw": "X-Signature", "v2": "X-Signature-V2", "simple": "X-Signature-Simple"}
NOW = 1_774_970_000


FIXTURE_CASES = ["basic_approved", "unicode_names", "empty_objects", "slashes_in_urls", "float_scores",
                 "numeric_like_keys", "mixed_types", "declined"]


def test_fixture_file_has_the_eight_cases(fixtures: dict[str, Any]) -> None:
    assert sorted(fixtures["cases"]) == sorted(FIXTURE_CASES)


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_signing_reproduces_didit_fixtures(case: str, fixtures: dict[str, Any]) -> None:
    c = fixtures["cases"][case]
    body, headers = signing.sign(json.loads(c["body"]), fixtures["secret"])
    assert body == c["body"].encode()
    assert headers["X-Signature"] == c["signatures"]["raw"]
    assert headers["X-Signature-V2"] == c["signatures"]["v2"]
    assert headers["X-Signature-Simple"] == c["signatures"]["simple"]
    assert headers["X-Timestamp"] == str(fixtures["timestamp"])


def test_v2_with_a_timestamp_prefix_does_not_match(fixtures: dict[str, Any]) -> None:
    """The published agent-skill recipe (timestamp prefix) is wrong; ours is not that."""
    c = fixtures["cases"]["unicode_names"]
    payload = json.loads(c["body"])
    wrong = signing.hmac_hex(fixtures["secret"], f"{fixtures['timestamp']}:".encode() + signing.v2_message(payload))
    assert wrong != c["signatures"]["v2"]
    assert signing.hmac_hex(fixtures["secret"], signing.v2_message(payload)) == c["signatures"]["v2"]


@pytest.mark.parametrize("case", FIXTURE_CASES)
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_fixture_verifies_under_each_scheme(case: str, scheme: str, fixtures: dict[str, Any]) -> None:
    c = fixtures["cases"][case]
    p = make_provider(clock=fixtures["timestamp"], webhook_secret=fixtures["secret"])
    headers = {SCHEMES[scheme]: c["signatures"][scheme], "X-Timestamp": str(fixtures["timestamp"])}
    event = p.parse_webhook(c["body"].encode(), headers)
    assert event.verified_by == SCHEMES[scheme]
    assert event.ref.id == fixtures["session_id"]
    assert event.event_id == "9c0c8b8a-1111-4222-9333-444444444444"
    assert event.event_type == "status.updated"
    if scheme == "simple":
        assert event.authenticated == "envelope"
        assert event.decision is None
    else:
        assert event.authenticated == "payload"
        payload = json.loads(c["body"])
        if "decision" in payload:
            assert event.decision is not None
            assert event.decision.provider_status == payload["status"]
        else:
            assert event.decision is None


def test_fixture_decision_is_normalized(fixtures: dict[str, Any]) -> None:
    c = fixtures["cases"]["unicode_names"]
    p = make_provider(clock=fixtures["timestamp"], webhook_secret=fixtures["secret"])
    event = p.parse_webhook(c["body"].encode(), {"X-Signature-V2": c["signatures"]["v2"]})
    assert event.decision is not None
    assert event.decision.outcome is Outcome.APPROVED
    assert event.decision.identity.given_name == "José"
    assert event.decision.identity.family_name == "Müller-Ünlü"
    assert event.decision.checks.document.passed is True


def _signed(payload: dict[str, Any], secret: str = "s3cret") -> tuple[bytes, dict[str, str]]:
    return signing.sign(payload, secret)


def _payload(**extra: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "event_id": "e1", "webhook_type": "status.updated", "timestamp": NOW, "created_at": NOW,
        "session_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "status": "Declined", "environment": "sandbox",
        "vendor_data": "user-1", "metadata": {"a": {}, "b": [], "nested": {"empty": {}}},
        "decision": {
            "session_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "status": "Declined",
            "id_verifications": [{"status": "Approved", "first_name": "Zoë", "last_name": "Ōtsuka 大塚",
                                  "document_type": "Identity Card", "warnings": []}],
            "liveness_checks": [{"status": "Approved", "score": 100.0, "warnings": []}],
            "face_matches": [{"status": "Declined", "score": 12.345, "warnings": [
                {"feature": "FACEMATCH", "risk": "LOW_FACE_MATCH_SIMILARITY", "log_type": "error",
                 "short_description": "x", "long_description": "y", "node_id": "n", "additional_data": None}]}],
            "aml_screenings": None,
        },
    }
    p.update(extra)
    return p


def test_own_cases_verify_under_all_schemes() -> None:
    body, headers = _signed(_payload())
    assert b"\\u00eb" in body and b"100.0" not in body and b"12.345" in body  # Didit's ASCII body, shortened floats
    p = make_provider(clock=NOW)
    for scheme in ("X-Signature-V2", "X-Signature", "X-Signature-Simple"):
        event = p.parse_webhook(body, {scheme: headers[scheme]})
        assert event.verified_by == scheme
    full = p.parse_webhook(body, headers)
    assert full.verified_by == "X-Signature-V2"
    assert full.decision is not None
    assert full.decision.outcome is Outcome.DECLINED
    assert full.decision.checks.liveness.score == 100.0
    assert full.decision.identity.full_name == "Zoë Ōtsuka 大塚"


@pytest.mark.parametrize("reserialize", [
    lambda p: json.dumps(p, indent=2, ensure_ascii=False).encode(),          # pretty-printed, unescaped
    lambda p: json.dumps(dict(reversed(list(p.items()))), separators=(", ", ": ")).encode(),  # reordered, spaces
    lambda p: json.dumps(json.loads(json.dumps(p)), indent=1, sort_keys=False,
                         ensure_ascii=False).replace('"score": 100', '"score": 100.0').encode("utf-8"),
])
def test_middleware_reserialized_body_verifies_via_v2(reserialize: Any) -> None:
    payload = _payload()
    body, headers = _signed(payload)
    changed = reserialize(json.loads(body))
    assert changed != body
    p = make_provider(clock=NOW)
    event = p.parse_webhook(changed, headers)
    assert event.verified_by == "X-Signature-V2"
    assert event.authenticated == "payload"
    with pytest.raises(WebhookVerificationError):  # the raw-bytes signature alone no longer matches
        p.parse_webhook(changed, {"X-Signature": headers["X-Signature"]})


def test_tampered_body_fails() -> None:
    body, headers = _signed(_payload())
    tampered = body.replace(b'"status":"Declined"', b'"status":"Approved"')
    assert tampered != body
    p = make_provider(clock=NOW)
    with pytest.raises(WebhookVerificationError):
        p.parse_webhook(tampered, {k: v for k, v in headers.items() if k != "X-Signature-Simple"})
    with pytest.raises(WebhookVerificationError):  # the envelope signature covers the status too
        p.parse_webhook(tampered, headers)


def test_tampered_decision_under_simple_is_not_trusted() -> None:
    payload = _payload()
    body, headers = _signed(payload)
    forged = json.loads(body)
    forged["decision"]["status"] = "Approved"
    forged["decision"]["face_matches"] = []
    event = make_provider(clock=NOW).parse_webhook(json.dumps(forged).encode(),
                                                   {"X-Signature-Simple": headers["X-Signature-Simple"]})
    assert event.authenticated == "envelope"
    assert event.decision is None  # only a signed payload carries a Decision
    assert event.provider_status == "Declined"


def test_wrong_secret_fails() -> None:
    body, headers = _signed(_payload(), secret="another")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        make_provider(clock=NOW).parse_webhook(body, headers)


@pytest.mark.parametrize("skew", [-301, 301, -86400, 10**6])
def test_stale_or_future_timestamp_fails(skew: int) -> None:
    body, headers = _signed(_payload(timestamp=NOW + skew))
    with pytest.raises(WebhookVerificationError, match="freshness"):
        make_provider(clock=NOW).parse_webhook(body, headers)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamp_inside_window_passes(skew: int) -> None:
    body, headers = _signed(_payload(timestamp=NOW + skew))
    assert make_provider(clock=NOW).parse_webhook(body, headers).event_id == "e1"


def test_missing_headers_fail() -> None:
    body, _ = _signed(_payload())
    with pytest.raises(WebhookVerificationError, match="no Didit signature"):
        make_provider(clock=NOW).parse_webhook(body, {"X-Timestamp": str(NOW)})
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, {"X-Signature": ""})


def test_x_timestamp_must_equal_the_signed_one() -> None:
    body, headers = _signed(_payload())
    with pytest.raises(WebhookVerificationError, match="X-Timestamp"):
        make_provider(clock=NOW).parse_webhook(body, {**headers, "X-Timestamp": str(NOW + 1)})


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b"\xff\xfe", b"{" * 5000, b'"str"'])
def test_non_json_or_non_object_body_fails(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, {"X-Signature": "00" * 32})


def test_missing_timestamp_or_session_id_fails() -> None:
    p = make_provider(clock=NOW)
    payload = _payload()
    del payload["timestamp"]
    body, headers = _signed(payload)
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        p.parse_webhook(body, headers)
    body, headers = _signed(_payload(session_id=None))
    with pytest.raises(WebhookVerificationError, match="session_id"):
        p.parse_webhook(body, headers)


def test_non_ascii_signature_header_is_rejected_not_crashing() -> None:
    body, _ = _signed(_payload())
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, {"X-Signature-V2": "é" * 64})


def test_malformed_signed_decision_is_a_verification_error() -> None:
    body, headers = _signed(_payload(decision={"status": "Declined", "id_verifications": "oops"}))
    with pytest.raises(WebhookVerificationError, match="decision"):
        make_provider(clock=NOW).parse_webhook(body, headers)


def test_rotation_accepts_both_secrets() -> None:
    p = make_provider(clock=NOW, webhook_secret="new-secret", webhook_secrets="old-secret, older")
    for secret in ("new-secret", "old-secret", "older"):
        body, headers = _signed(_payload(), secret=secret)
        assert p.parse_webhook(body, headers).verified_by == "X-Signature-V2"
    body, headers = _signed(_payload(), secret="retired")
    with pytest.raises(WebhookVerificationError):
        p.parse_webhook(body, headers)


def test_no_secret_configured_fails_naming_the_setting() -> None:
    body, headers = _signed(_payload())
    with pytest.raises(WebhookVerificationError) as info:
        make_provider(clock=NOW, webhook_secret=None).parse_webhook(body, headers)
    assert info.value.field == "webhook_secret"
    assert not isinstance(info.value, ConfigurationError)


def test_emulator_deliveries_are_didit_shaped_and_verify(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(SessionRequest(reference="wh-1", return_url="https://app.example/back",
                                                      metadata={"plan": "pro"}))
    sandbox.complete(session, "review")
    sent = sandbox.deliveries("didit", session.ref.id)
    assert [json.loads(d.body)["status"] for d in sent] == ["In Progress", "In Review"]
    for d in sent:
        assert d.url == "https://app.example/webhooks/didit"
        assert d.headers["User-Agent"] == "DiditWebhook/2.0 +https://didit.me"
        assert {"X-Signature", "X-Signature-V2", "X-Signature-Simple", "X-Timestamp"} <= set(d.headers)
        payload = json.loads(d.body)
        assert d.body == json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        assert payload["environment"] == "sandbox" and payload["vendor_data"] == "wh-1"
        assert payload["metadata"] == {"plan": "pro"}
    first, last = (client.parse_webhook(d.body, d.headers, "didit") for d in sent)
    assert first.decision is None  # In Progress carries no decision
    assert last.decision is not None and last.decision.outcome is Outcome.REVIEW
    assert first.event_id != last.event_id


def test_emulator_secret_rotation_with_two_secrets(client: Client, sandbox: Sandbox) -> None:
    import httpx

    from ekyc.providers.didit import DiditProvider, DiditSettings
    from ekyc.providers.didit.emulator import SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET

    before = client.create_session(reference="rot-1", return_url="https://app.example/back")
    sandbox.complete(before, "approved")
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        r = http.patch("/v3/webhook/", json={"rotate_secret_key": True}, headers={"x-api-key": SANDBOX_API_KEY})
        assert r.status_code == 200
        new = r.json()["secret_shared_key"]
    assert new != SANDBOX_WEBHOOK_SECRET
    after = client.create_session(reference="rot-2", return_url="https://app.example/back")
    sandbox.complete(after, "approved")
    old_delivery = sandbox.deliveries("didit", before.ref.id)[-1]
    new_delivery = sandbox.deliveries("didit", after.ref.id)[-1]

    base = sandbox.client_settings("didit")
    only_new = DiditProvider(DiditSettings(**{**base, "webhook_secret": new}), clock=sandbox.clock.now)
    both = DiditProvider(DiditSettings(**{**base, "webhook_secret": new, "webhook_secrets": [SANDBOX_WEBHOOK_SECRET]}),
                         clock=sandbox.clock.now)
    assert only_new.parse_webhook(new_delivery.body, new_delivery.headers).decision is not None
    with pytest.raises(WebhookVerificationError):
        only_new.parse_webhook(old_delivery.body, old_delivery.headers)
    for d in (old_delivery, new_delivery):
        event = both.parse_webhook(d.body, d.headers)
        assert event.decision is not None and event.decision.outcome is Outcome.APPROVED
