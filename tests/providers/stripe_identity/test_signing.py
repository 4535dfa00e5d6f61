"""Stripe-Signature: what stripe-python signs and verifies (``"{t}.{body}"``, any ``v1``, 300 s), fail closed."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ekyc.errors import WebhookVerificationError
from ekyc.providers.stripe import signing

BODY = b'{"id":"evt_1","object":"event","type":"identity.verification_session.verified"}'
SECRET = "whsec_test_secret"
NOW = 1_700_000_000


def _hex(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    assert signing.signature(SECRET, NOW, BODY) == _hex(SECRET, NOW, BODY)
    header = signing.sign(BODY, [SECRET], NOW)["Stripe-Signature"]
    assert header == f"t={NOW},v1={_hex(SECRET, NOW, BODY)}"


def test_rotation_any_v1_and_any_configured_secret() -> None:
    header = signing.sign(BODY, ["whsec_old", SECRET], NOW)
    event, t = signing.verify(BODY, header, [SECRET], NOW)
    assert t == NOW and event["id"] == "evt_1"
    assert signing.verify(BODY, signing.sign(BODY, ["whsec_new"], NOW), [SECRET, "whsec_new"], NOW)[1] == NOW


@pytest.mark.parametrize("skew", [-301, 301])
def test_outside_the_tolerance_window(skew: int) -> None:
    with pytest.raises(WebhookVerificationError):
        signing.verify(BODY, signing.sign(BODY, [SECRET], NOW), [SECRET], NOW + skew)


@pytest.mark.parametrize("header", [
    "", "t=1", f"v1={'0' * 64}", f"t=abc,v1={'0' * 64}", f"t={NOW},t={NOW},v1={'0' * 64}",
    f"t={NOW},v0={_hex(SECRET, NOW, BODY)}", f"t=+{NOW},v1={_hex(SECRET, NOW, BODY)}", "t=١٢,v1=00",
    f"t={NOW},v1={_hex(SECRET, NOW, BODY).upper()}", f"t={NOW + 1},v1={_hex(SECRET, NOW, BODY)}",
])
def test_malformed_or_wrong_headers_are_refused(header: str) -> None:
    with pytest.raises(WebhookVerificationError) as exc:
        signing.verify(BODY, {"Stripe-Signature": header}, [SECRET], NOW)
    assert SECRET not in str(exc.value)


def test_tampered_body_missing_header_and_no_secret() -> None:
    headers = signing.sign(BODY, [SECRET], NOW)
    with pytest.raises(WebhookVerificationError):
        signing.verify(BODY.replace(b"verified", b"canceled"), headers, [SECRET], NOW)
    with pytest.raises(WebhookVerificationError):
        signing.verify(BODY, {}, [SECRET], NOW)
    with pytest.raises(WebhookVerificationError):
        signing.verify(BODY, headers, [], NOW)


def test_signed_but_not_strict_json_is_refused() -> None:
    body = b'{"id":"evt_1","id":"evt_2"}'
    with pytest.raises(WebhookVerificationError):
        signing.verify(body, signing.sign(body, [SECRET], NOW), [SECRET], NOW)
