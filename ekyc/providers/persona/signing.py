"""Persona webhook signatures: ``Persona-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the lower-case hex HMAC-SHA256, keyed with the webhook secret, of ``"{t}.{raw body}"``. While a
webhook's secret rotates the header carries two space-separated ``t=…,v1=…`` sets, one per secret
([DOCS:webhooks-best-practices]). Persona also sends ``Persona-Webhook-Attempts-Made``,
``Persona-Webhook-Attempts-Left`` and ``Persona-Webhook-First-Attempted-At`` (integers) [SPEC webhooks].

Pure functions: :func:`sign` (what the emulator sends) and :func:`verify` (constant time, every configured
secret, every signature set, a freshness window around the signed ``t``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

SIGNATURE_HEADER = "Persona-Signature"
ATTEMPT_HEADERS = ("Persona-Webhook-Attempts-Made", "Persona-Webhook-Attempts-Left",
                   "Persona-Webhook-First-Attempted-At")
#: freshness window around the signed ``t``, seconds (Persona documents none; 300 s as Stripe-style schemes)
TOLERANCE_SECONDS = 300
#: at most this many ``t=…,v1=…`` sets in one header (Persona sends one, or two while rotating)
MAX_SETS = 4
MAX_BODY = wire.MAX_BODY
MAX_HEADER = 1024


def digest(secret: str, timestamp: str, body: bytes) -> str:
    """``v1``: hex HMAC-SHA256 of ``"{t}.{body}"`` keyed with the UTF-8 secret."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Iterable[str], timestamp: int) -> str:
    """The ``Persona-Signature`` value for ``body``: one ``t=…,v1=…`` set per secret, space-separated."""
    t = str(timestamp)
    return " ".join(f"t={t},v1={digest(s, t, body)}" for s in secrets)


def sign(body: bytes, secrets: Iterable[str], timestamp: int, *, attempts_made: int = 1, attempts_left: int = 7,
         first_attempted_at: int | None = None) -> dict[str, str]:
    """The headers of a Persona delivery of ``body`` (what the emulator sends)."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(body, secrets, timestamp),
        "Persona-Webhook-Attempts-Made": str(attempts_made),
        "Persona-Webhook-Attempts-Left": str(attempts_left),
        "Persona-Webhook-First-Attempted-At": str(first_attempted_at if first_attempted_at is not None
                                                  else timestamp),
    }


def _fail(message: str, field: str | None = None) -> WebhookVerificationError:
    return WebhookVerificationError(message, provider="persona", field=field)


def parse_header(value: str) -> list[tuple[str, list[str]]]:
    """The ``(t, [v1, …])`` sets of a ``Persona-Signature`` value; :class:`WebhookVerificationError` for anything
    that is not space-separated sets of comma-separated ``key=value`` pairs with one ASCII-digit ``t``."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_HEADER or not value.isascii():
        raise _fail("Persona-Signature is malformed", SIGNATURE_HEADER)
    sets = value.split()
    if len(sets) > MAX_SETS:
        raise _fail("Persona-Signature has too many signature sets", SIGNATURE_HEADER)
    out = []
    for part in sets:
        t: str | None = None
        v1: list[str] = []
        for pair in part.split(","):
            key, eq, val = pair.partition("=")
            if not eq or not val:
                raise _fail("Persona-Signature is malformed", SIGNATURE_HEADER)
            if key == "t":
                if t is not None:
                    raise _fail("Persona-Signature names two timestamps in one set", SIGNATURE_HEADER)
                t = val
            elif key == "v1":
                v1.append(val)
            # other schemes (a future v2) are ignored, as Stripe-style verifiers do
        if t is None or not v1:
            raise _fail("Persona-Signature needs t and v1", SIGNATURE_HEADER)
        try:
            wire.ascii_digits(t, "t", max_len=12)
        except wire.WireError:
            raise _fail("Persona-Signature t is not a Unix timestamp", SIGNATURE_HEADER) from None
        out.append((t, v1))
    return out


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii", "replace"))


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str], now: float,
           tolerance: float = TOLERANCE_SECONDS) -> tuple[dict[str, Any], datetime]:
    """Verify a delivery; returns ``(payload, signed time)``.

    Refuses a body over :data:`MAX_BODY` bytes, a missing or malformed header, and a body the strict reader
    refuses; then accepts when any ``v1`` of any set matches any configured secret (all compared, in constant
    time) and that set's ``t`` is within ``tolerance`` seconds of ``now``. Any failure raises
    :class:`WebhookVerificationError` (never saying which secret or byte differed).
    """
    keys = [s for s in secrets if s]
    if not keys:
        raise _fail("no webhook secret is configured", "webhook_secret")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise _fail("webhook bodies must be the raw bytes as received", "body")
    body = bytes(body)
    if len(body) > MAX_BODY:
        raise _fail(f"webhook body is larger than {MAX_BODY} bytes", "body")
    try:
        value = header(headers, SIGNATURE_HEADER)
    except (AttributeError, TypeError):
        raise _fail("webhook headers are not a mapping of strings", "headers") from None
    if value is None:
        raise _fail("no Persona-Signature header", SIGNATURE_HEADER)
    sets = parse_header(value)
    matched: list[int] = []
    for t, given in sets:
        hits = [_same(digest(k, t, body), v) for k in keys for v in given]  # no early exit
        if any(hits):
            matched.append(int(t))
    if not matched:
        raise _fail("webhook signature does not match")
    fresh = [t for t in matched if abs(now - t) <= tolerance]
    if not fresh:
        raise _fail("webhook timestamp is outside the freshness window", "t")
    try:
        payload = wire.loads(body, max_size=MAX_BODY)
    except wire.WireError:
        raise _fail("webhook body is not JSON", "body") from None
    if not isinstance(payload, dict):
        raise _fail("webhook body is not a JSON object", "body")
    for name in ATTEMPT_HEADERS:
        sent = header(headers, name)
        if sent is not None:
            try:
                wire.ascii_digits(sent.strip(), name)
            except wire.WireError:
                raise _fail(f"{name} is not an integer", name) from None
    return payload, datetime.fromtimestamp(max(fresh), tz=timezone.utc)


__all__ = ["ATTEMPT_HEADERS", "SIGNATURE_HEADER", "TOLERANCE_SECONDS", "digest", "parse_header", "sign",
           "signature_header", "verify"]
