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
from datetime import datetime
from typing import Any

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

#: freshness window around the signed body ``timestamp`` [WP] [PKG webhooks.py]
TOLERANCE_SECONDS = 300
USER_AGENT = "DiditWebhook/2.0 +https://didit.me"
SCHEMES = ("X-Signature-V2", "X-Signature", "X-Signature-Simple")
#: largest webhook body accepted, in bytes (checked before any parsing or HMAC)
MAX_BODY = wire.MAX_BODY


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


def _fail(message: str, field: str | None = None) -> WebhookVerificationError:
    return WebhookVerificationError(message, provider="didit", field=field)


def _headers(headers: Mapping[str, str]) -> dict[str, str | None]:
    """The signature headers and ``X-Timestamp``, each a string or None (anything else is refused)."""
    names = (*SCHEMES, "X-Timestamp")
    try:
        found = {name: header(headers, name) for name in names}
    except (AttributeError, TypeError):
        raise _fail("webhook headers are not a mapping of strings", "headers") from None
    for name, value in found.items():
        if value is not None and not isinstance(value, str):
            raise _fail(f"{name} is not a string", name)
    return found


def signed_time(payload: Mapping[str, Any]) -> datetime:
    """The signed body ``timestamp``: Unix seconds (an integer, as in Didit's envelope [WP fixtures]) or an
    ISO 8601 string (the form Didit's entity-webhook page shows); :class:`WebhookVerificationError` else."""
    ts = payload.get("timestamp")
    if isinstance(ts, float) and ts.is_integer():
        ts = int(ts)
    try:
        when = wire.iso_datetime(ts, "timestamp") if isinstance(ts, str) else wire.epoch(ts, "timestamp")
    except wire.WireError:
        raise _fail("webhook timestamp has an unexpected value", "timestamp") from None
    if when is None:
        raise _fail("webhook has no signed timestamp", "timestamp")
    return when


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str], now: float,
           tolerance: float = TOLERANCE_SECONDS) -> tuple[dict[str, Any], str, datetime]:
    """Verify a delivery; returns ``(payload, scheme, signed time)`` where scheme names the header that matched.

    Refuses a body larger than :data:`MAX_BODY` bytes or that :func:`ekyc._wire.loads` refuses (duplicate
    keys, NaN, deep nesting, huge numbers), then tries ``X-Signature-V2`` (survives re-serializing
    middleware), ``X-Signature`` (raw bytes), then ``X-Signature-Simple`` (envelope only), each against every
    secret (rotation), in constant time; then checks the signed body ``timestamp`` is within ``tolerance``
    seconds of ``now`` and that ``X-Timestamp``, when sent, is ASCII digits equal to it. Any failure raises
    :class:`WebhookVerificationError` (which never says which secret or byte differed).
    """
    keys = [s for s in secrets if s]
    if not keys:
        raise _fail("no webhook secret is configured", "webhook_secret")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise _fail("webhook bodies must be the raw bytes as received", "body")
    body = bytes(body)
    if len(body) > MAX_BODY:
        raise _fail(f"webhook body is larger than {MAX_BODY} bytes", "body")
    given = _headers(headers)
    try:
        payload = wire.loads(body, max_size=MAX_BODY)
    except wire.WireError:
        raise _fail("webhook body is not JSON", "body") from None
    if not isinstance(payload, dict):
        raise _fail("webhook body is not a JSON object", "body")
    if not any(given[name] for name in SCHEMES):
        raise _fail("no Didit signature header")
    scheme = _match(body, payload, given, keys)
    if scheme is None:
        raise _fail("webhook signature does not match")
    when = signed_time(payload)
    seconds = int(when.timestamp())
    if abs(now - when.timestamp()) > tolerance:
        raise _fail("webhook timestamp is outside the freshness window", "timestamp")
    sent = given["X-Timestamp"]
    if sent is not None:
        try:
            if wire.ascii_digits(sent.strip(), "X-Timestamp") != seconds:
                raise _fail("X-Timestamp differs from the signed timestamp", "X-Timestamp")
        except wire.WireError:
            raise _fail("X-Timestamp is not ASCII digits", "X-Timestamp") from None
    return payload, scheme, when


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
