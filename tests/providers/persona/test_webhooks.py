"""Persona-Signature: ``t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">``, two sets during a rotation, every
configured secret, a freshness window, strict bodies and attempt headers."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from ekyc.errors import WebhookVerificationError
from ekyc.providers.persona import signing

from .conftest import make_provider

NOW = 1_760_000_000
SECRET = "wbhsec_t"


def event(name: str = "inquiry.approved", status: str = "approved", iid: str = "inq_Abc123") -> bytes:
    body = {"data": {"type": "event", "id": "evt_X1", "attributes": {
        "name": name, "created-at": "2025-10-09T08:53:20.000Z",
        "payload": {"data": {"type": "inquiry", "id": iid, "attributes": {"status": status}}, "included": []}}}}
    return json.dumps(body).encode()


def headers(body: bytes, *secrets: str, t: int = NOW, **extra: str) -> dict[str, str]:
    out = signing.sign(body, secrets or (SECRET,), t)
    out.update(extra)
    return out


def test_the_digest_is_persona_s_documented_recipe() -> None:
    body = b'{"a":1}'
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert signing.digest(SECRET, str(NOW), body) == expected
    assert signing.signature_header(body, [SECRET], NOW) == f"t={NOW},v1={expected}"


def test_a_signed_inquiry_event_names_the_inquiry() -> None:
    body = event()
    ev = make_provider(NOW).parse_webhook(body, headers(body))
    assert ev.ref is not None and ev.ref.id == "inq_Abc123" and ev.ref.provider == "persona"
    assert (ev.event_id, ev.event_type, ev.provider_status) == ("evt_X1", "inquiry.approved", "approved")
    assert ev.verified_by == "Persona-Signature" and ev.authenticated == "payload" and ev.decision is None
    assert ev.occurred_at is not None and ev.occurred_at.year == 2025


def test_an_event_about_no_inquiry_has_no_ref() -> None:
    body = json.dumps({"data": {"type": "event", "id": "evt_2", "attributes": {
        "name": "account.created", "created-at": None, "payload": {"data": {"type": "account", "id": "act_1"}}}}}
    ).encode()
    ev = make_provider(NOW).parse_webhook(body, headers(body))
    assert ev.ref is None and ev.event_type == "account.created"


@pytest.mark.parametrize("signed_with", [("old",), ("new",)])
def test_rotation_two_sets_either_secret_verifies(signed_with: tuple[str, ...]) -> None:
    body = event()
    both = headers(body, "new", "old")
    assert len(both["Persona-Signature"].split(" ")) == 2
    adapter = make_provider(NOW, webhook_secret=signed_with[0])
    assert adapter.parse_webhook(body, both).ref is not None


def test_configured_extra_secrets_are_accepted() -> None:
    body = event()
    adapter = make_provider(NOW, webhook_secret="current", webhook_secrets="previous, older")
    assert adapter.parse_webhook(body, headers(body, "older")).ref is not None


@pytest.mark.parametrize("case", ["wrong secret", "tampered body", "stale", "future", "no header", "empty",
                                  "no t", "no v1", "two t", "non-digit t", "garbage", "too many sets",
                                  "attempts not integer", "not json", "not an object", "not an event",
                                  "inquiry event about no inquiry", "bad inquiry id"])
def test_refused(case: str) -> None:
    body = event()
    h: dict[str, Any] = headers(body)
    good_sig = h["Persona-Signature"]
    v1 = good_sig.split("v1=")[1]
    if case == "wrong secret":
        h = headers(body, "other")
    elif case == "tampered body":
        body = body.replace(b"approved", b"declined", 1)
    elif case == "stale":
        h = headers(body, t=NOW - signing.TOLERANCE_SECONDS - 1)
    elif case == "future":
        h = headers(body, t=NOW + signing.TOLERANCE_SECONDS + 1)
    elif case == "no header":
        del h["Persona-Signature"]
    elif case == "empty":
        h["Persona-Signature"] = " "
    elif case == "no t":
        h["Persona-Signature"] = f"v1={v1}"
    elif case == "no v1":
        h["Persona-Signature"] = f"t={NOW}"
    elif case == "two t":
        h["Persona-Signature"] = f"t={NOW},t={NOW},v1={v1}"
    elif case == "non-digit t":
        h["Persona-Signature"] = f"t=１７６,v1={v1}"
    elif case == "garbage":
        h["Persona-Signature"] = "sha256=abc"
    elif case == "too many sets":
        h["Persona-Signature"] = " ".join([good_sig] * 5)
    elif case == "attempts not integer":
        h["Persona-Webhook-Attempts-Made"] = "two"
    elif case in ("not json", "not an object", "not an event", "inquiry event about no inquiry", "bad inquiry id"):
        body = {"not json": b"{", "not an object": b"[1]",
                "not an event": json.dumps({"data": {"type": "inquiry", "id": "inq_1"}}).encode(),
                "inquiry event about no inquiry": event().replace(b'"type": "inquiry"', b'"type": "account"'),
                "bad inquiry id": event(iid="inq_../x")}[case]
        h = headers(body)
    with pytest.raises(WebhookVerificationError):
        make_provider(NOW).parse_webhook(body, h)


def test_no_secret_configured_refuses() -> None:
    body = event()
    with pytest.raises(WebhookVerificationError) as caught:
        make_provider(NOW, webhook_secret=None).parse_webhook(body, headers(body))
    assert caught.value.field == "webhook_secret"


def test_headers_match_in_any_case_and_attempt_headers_are_read() -> None:
    body = event()
    h = {k.lower(): v for k, v in headers(body, attempts_made="3").items()}
    assert make_provider(NOW).parse_webhook(body, h).ref is not None


def test_the_emulator_signs_with_every_secret_it_holds(sandbox: Any, client: Any) -> None:
    from ekyc.models import SessionRequest

    emulator = sandbox.emulators["persona"]
    emulator.webhook_secrets = ["wbhsec_new", emulator.webhook_secrets[0]]
    session = client.create_session(SessionRequest(reference="u-1", return_url="https://app.example/r"))
    sandbox.complete(session, "approved")
    delivery = sandbox.deliveries("persona", session.ref.id)[-1]
    assert delivery.headers["Persona-Signature"].count("v1=") == 2
    assert client.parse_webhook(delivery.body, delivery.headers, "persona").ref.id == session.ref.id
