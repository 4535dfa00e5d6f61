"""Onfido webhook signing and verification.

Onfido signs every webhook delivery with the webhook's ``token`` (returned once when the webhook is registered,
``POST /webhooks``): ``X-SHA2-Signature`` is the lower-case hex HMAC-SHA256 of the **raw request body**, keyed
with the token (onfido-python ``webhook_event_verifier.py``: ``hmac.new(token, raw_event, sha256).hexdigest()``,
compared with ``hmac.compare_digest``).

What the signature proves: the body was produced by someone holding the token (Onfido) and was not altered.
What it does not prove: *when* it was sent — there is no timestamp and no nonce in the signed bytes — nor that
it is the first delivery. A captured delivery verifies forever. So: treat a webhook only as "go and look"
(``get_result`` on the stored ref), de-duplicate on :attr:`WebhookEvent.event_id` (a digest of the signed body:
a replay has the same one), and bound replay by refusing events whose ``completed_at_iso8601`` is older than
your window (``WebhookEvent.occurred_at``). Rotating the token (several accepted during the rotation) ends the
replay of everything signed with the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

HEADER = "X-SHA2-Signature"
#: a SHA-256 hex digest
_HEX = frozenset("0123456789abcdef")


def signature(token: str, body: bytes) -> str:
    """The ``X-SHA2-Signature`` of ``body`` under ``token``."""
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """A webhook body as the emulator sends it (compact JSON, UTF-8)."""
    return json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(payload: Mapping[str, Any], token: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of an Onfido webhook delivery of ``payload``."""
    body = encode_body(payload)
    return body, {"Content-Type": "application/json", HEADER: signature(token, body)}


def event_id(body: bytes) -> str:
    """A de-duplication key for a delivery: a digest of the signed body (Onfido sends no event id)."""
    return "sha256-" + hashlib.sha256(body).hexdigest()[:40]


def verify(body: bytes, headers: Mapping[str, str], tokens: Iterable[str]) -> dict[str, Any]:
    """Check ``X-SHA2-Signature`` against every token (constant time each; all are tried), then read the body.

    Returns the JSON object of the body. Raises :class:`WebhookVerificationError` naming the field for a
    missing or malformed signature, a signature no token produced, no token configured, or a body that is not
    one strict JSON object (read only after the signature matched).
    """
    keys = [t for t in tokens if t]
    if not keys:
        raise WebhookVerificationError("no webhook token is configured (ONFIDO_WEBHOOK_TOKEN)", provider="onfido",
                                       field="webhook_token")
    given = header(headers, HEADER)
    if given is None:
        raise WebhookVerificationError(f"the {HEADER} header is missing", provider="onfido", field="signature")
    given = given.strip().lower()
    if len(given) != 64 or not set(given) <= _HEX:
        raise WebhookVerificationError(f"the {HEADER} header is not a SHA-256 hex digest", provider="onfido",
                                       field="signature")
    if not isinstance(body, (bytes, bytearray)) or len(body) > wire.MAX_BODY:
        raise WebhookVerificationError("the webhook body is not bytes of an accepted size", provider="onfido",
                                       field="body")
    matched = False
    for key in keys:  # every token is tried: the time taken does not say which one matched
        matched = hmac.compare_digest(signature(key, bytes(body)), given) or matched
    if not matched:
        raise WebhookVerificationError("the webhook signature does not match", provider="onfido", field="signature")
    try:
        data = wire.loads(bytes(body))
    except wire.WireError as exc:
        raise WebhookVerificationError(f"the webhook body is {exc.problem}", provider="onfido",
                                       field="body") from None
    if not isinstance(data, dict):
        raise WebhookVerificationError("the webhook body is not a JSON object", provider="onfido", field="body")
    return data


__all__ = ["HEADER", "encode_body", "event_id", "sign", "signature", "verify"]
