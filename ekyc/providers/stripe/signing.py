"""Stripe webhook signatures (``Stripe-Signature``), as Stripe signs and as stripe-python verifies them.

``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`` where each ``v1`` is the lower-case hex
HMAC-SHA256, keyed with the endpoint's signing secret (``whsec_…``, UTF-8), of ``"{t}.{raw body}"``. During a
secret rotation Stripe sends one ``v1`` per active secret; any one matching is enough. Other schemes (``v0``:
test-mode signatures with a fake secret) are ignored. Sources: stripe-python @6c6e3736 ``stripe/_webhook.py``
(``WebhookSignature``: ``EXPECTED_SCHEME = "v1"``, ``"%d.%s" % (timestamp, payload)``, ``DEFAULT_TOLERANCE =
300``, ``secure_compare``); docs.stripe.com/webhooks (signatures, rotation, 5-minute default tolerance).

This module is stricter than stripe-python in two ways, both fail-closed: a timestamp more than the tolerance in
the *future* is refused too (stripe-python only refuses old ones), and ``t`` must be plain ASCII digits given
exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

HEADER = "Stripe-Signature"
SCHEME = "v1"
#: seconds a signed timestamp may be away from now (stripe-python ``Webhook.DEFAULT_TOLERANCE``)
TOLERANCE_SECONDS = 300
#: longest ``Stripe-Signature`` header read (a few signatures during rotation)
MAX_HEADER = 2048
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_HEX64 = frozenset("0123456789abcdef")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature of ``body`` sent at ``timestamp`` (lower-case hex HMAC-SHA256)."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: Iterable[str], timestamp: int) -> dict[str, str]:
    """The headers of a delivery of ``body``: one ``v1`` per secret (all active secrets during rotation)."""
    parts = [f"t={timestamp}", *(f"{SCHEME}={signature(s, timestamp, body)}" for s in secrets)]
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, HEADER: ",".join(parts)}


def _fail(message: str, field: str = HEADER) -> WebhookVerificationError:
    return WebhookVerificationError(message, provider="stripe", field=field)


def parse_header(value: str) -> tuple[int, list[str]]:
    """``(t, [v1 …])`` from a ``Stripe-Signature`` value; :class:`WebhookVerificationError` when malformed."""
    if len(value) > MAX_HEADER or not value.isascii():
        raise _fail("Stripe-Signature is malformed")
    stamps: list[str] = []
    sigs: list[str] = []
    for item in value.split(","):
        key, eq, val = item.strip().partition("=")
        if not eq:
            raise _fail("Stripe-Signature is malformed")
        if key == "t":
            stamps.append(val)
        elif key == SCHEME:
            sigs.append(val)
    if len(stamps) != 1:
        raise _fail("Stripe-Signature needs exactly one timestamp t=")
    try:
        ts = wire.ascii_digits(stamps[0], "t", max_len=12)
    except wire.WireError:
        raise _fail("Stripe-Signature timestamp is not a Unix time") from None
    if not sigs:
        raise _fail("Stripe-Signature has no v1 signature")
    return ts, sigs


def verify(body: bytes, headers: Mapping[str, str], secrets: list[str], now: float,
           tolerance: int = TOLERANCE_SECONDS) -> tuple[dict[str, Any], int]:
    """Verify a delivery and return ``(event, t)``.

    Every configured secret is checked against every ``v1`` in constant time, without stopping early; then
    the timestamp must be within ``tolerance`` seconds of ``now`` (either side); then the body is read with
    the strict JSON reader and must be an object. Raises :class:`WebhookVerificationError` (field
    ``Stripe-Signature`` or ``body``) otherwise; nothing of the body or the header enters the message.
    """
    if not secrets:
        raise WebhookVerificationError("no Stripe webhook secret is configured (STRIPE_WEBHOOK_SECRET)",
                                       provider="stripe", field="webhook_secret")
    raw = header(headers, HEADER)
    if raw is None:
        raise _fail("the Stripe-Signature header is missing")
    ts, sigs = parse_header(raw)
    matched = False
    for secret in secrets:
        expected = signature(secret, ts, body).encode("ascii")
        for sig in sigs:
            candidate = sig.encode("ascii") if len(sig) == 64 and set(sig) <= _HEX64 else b"-" * 64
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise _fail("no Stripe-Signature v1 signature matches the body")
    if abs(now - ts) > tolerance:
        raise _fail("the Stripe-Signature timestamp is outside the tolerance window")
    try:
        event = wire.loads(body)
    except wire.WireError:
        raise _fail("the webhook body is not strict JSON", "body") from None
    if not isinstance(event, dict):
        raise _fail("the webhook body is not an Event object", "body")
    return event, ts


__all__ = ["HEADER", "TOLERANCE_SECONDS", "parse_header", "sign", "signature", "verify"]
