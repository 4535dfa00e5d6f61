"""Didit webhook signing and verification, exactly as Didit's server signs (reference §6.4).

Pure functions with test vectors (``/work/shared/reference/fixtures/didit-webhook-signatures.json``):

- the body Didit sends is ``json.dumps(shorten_floats(p), sort_keys=True, separators=(",", ":"))``
  (ASCII-escaped); ``X-Signature`` = HMAC-SHA256 hex of those bytes;
- ``X-Signature-V2`` = HMAC of the same canonical JSON with ``ensure_ascii=False`` (UTF-8) — no timestamp
  prefix (the agent-skill recipe that adds one is wrong, as is rounding floats to two decimals);
- ``X-Signature-Simple`` = HMAC of ``"{timestamp}:{session_id}:{status}:{webhook_type}"`` (envelope only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

#: freshness window around the signed body ``timestamp`` [WP] [PKG webhooks.py]
TOLERANCE_SECONDS = 300
USER_AGENT = "DiditWebhook/2.0 +https://didit.me"
SCHEMES = ("X-Signature-V2", "X-Signature", "X-Signature-Simple")


def shorten_floats(value: Any) -> Any:
    """Didit's ``shorten_floats``: integral floats become ints, recursively (100.0 → 100)."""
    if isinstance(value, dict):
        return {k: shorten_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten_floats(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The HTTP body Didit sends (sorted, compact, ASCII-escaped) — also what ``X-Signature`` covers."""
    return json.dumps(shorten_floats(dict(payload)), sort_keys=True, separators=(",", ":")).encode("utf-8")


def v2_message(payload: Mapping[str, Any]) -> bytes:
    """What ``X-Signature-V2`` covers: the canonical JSON, non-ASCII unescaped, UTF-8."""
    return json.dumps(shorten_floats(dict(payload)), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def simple_message(payload: Mapping[str, Any]) -> bytes:
    """What ``X-Signature-Simple`` covers (Python ``str()`` of each value, ``None`` for a null)."""
    parts = (payload.get("timestamp", ""), payload.get("session_id", ""), payload.get("status", ""),
             payload.get("webhook_type", ""))
    return ":".join(str(p) for p in parts).encode("utf-8")


def hmac_hex(secret: str, message: bytes) -> str:
    """Lower-case hex HMAC-SHA256 keyed with the UTF-8 secret."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(payload: Mapping[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a Didit delivery of ``payload`` (what the emulator sends)."""
    body = encode_body(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Signature": hmac_hex(secret, body),
        "X-Signature-V2": hmac_hex(secret, v2_message(payload)),
        "X-Signature-Simple": hmac_hex(secret, simple_message(payload)),
        "X-Timestamp": str(payload.get("timestamp", "")),
    }
    return body, headers


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace"))


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str], now: float,
           tolerance: float = TOLERANCE_SECONDS) -> tuple[dict[str, Any], str]:
    """Verify a delivery; returns ``(payload, scheme)`` where scheme names the header that matched.

    Tries ``X-Signature-V2`` (survives re-serializing middleware), then ``X-Signature`` (raw bytes), then
    ``X-Signature-Simple`` (envelope only), each against every secret (rotation), in constant time; then
    checks the signed body ``timestamp`` is within ``tolerance`` seconds of ``now``. Any failure raises
    :class:`WebhookVerificationError` (which never says which secret or byte differed).
    """
    keys = [s for s in secrets if s]
    if not keys:
        raise WebhookVerificationError("no webhook secret is configured", provider="didit",
                                       field="webhook_secret")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookVerificationError("webhook body is not JSON", provider="didit") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("webhook body is not a JSON object", provider="didit")
    given = {name: header(headers, name) for name in SCHEMES}
    if not any(given.values()):
        raise WebhookVerificationError("no Didit signature header", provider="didit")
    scheme = _match(body, payload, given, keys)
    if scheme is None:
        raise WebhookVerificationError("webhook signature does not match", provider="didit")
    ts = payload.get("timestamp")
    if isinstance(ts, float) and ts.is_integer():
        ts = int(ts)
    if not isinstance(ts, int) or isinstance(ts, bool):
        raise WebhookVerificationError("webhook has no signed timestamp", provider="didit", field="timestamp")
    if abs(now - ts) > tolerance:
        raise WebhookVerificationError("webhook timestamp is outside the freshness window", provider="didit",
                                       field="timestamp")
    sent = header(headers, "X-Timestamp")
    if sent is not None and sent.strip() != str(ts):
        raise WebhookVerificationError("X-Timestamp differs from the signed timestamp", provider="didit",
                                       field="X-Timestamp")
    return payload, scheme


def _match(body: bytes, payload: dict[str, Any], given: Mapping[str, str | None], keys: list[str]) -> str | None:
    messages: dict[str, bytes] = {}
    for scheme in SCHEMES:
        value = given[scheme]
        if not value:
            continue
        if scheme not in messages:
            try:
                messages[scheme] = {
                    "X-Signature-V2": lambda: v2_message(payload),
                    "X-Signature": lambda: body,
                    "X-Signature-Simple": lambda: simple_message(payload),
                }[scheme]()
            except (ValueError, TypeError, RecursionError):
                continue
        # check every key (no early exit on the first key) so timing does not reveal which key matched
        matched = [_same(hmac_hex(k, messages[scheme]), value) for k in keys]
        if any(matched):
            return scheme
    return None
