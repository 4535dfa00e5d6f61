"""Webhook signatures of the template vendor: ``X-Template-Signature: t=<unix seconds>,v1=<hex>`` where the hex
is HMAC-SHA256 of ``"<t>." + body`` under the webhook secret (the scheme Stripe and others use).

The adapter calls :func:`verify`; the emulator calls :func:`sign`. Replace both with the vendor's documented
scheme, keeping the shape: constant-time comparison, every configured secret tried (rotation), a freshness
window on a *signed* timestamp, and errors that never say which byte or secret differed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError
from ekyc.provider import header

HEADER = "X-Template-Signature"
#: how far a signed timestamp may be from now, in seconds
TOLERANCE_SECONDS = 300


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(provider: str, body: bytes, headers: Mapping[str, str], secrets: Iterable[str], now: float,
           tolerance: float = TOLERANCE_SECONDS) -> int:
    """Check the signature of ``body`` against every secret; returns the signed timestamp (Unix seconds).

    ``provider`` is the name errors carry. Raises :class:`WebhookVerificationError` when no secret is
    configured, the header is missing or malformed, no secret matches, or the signed timestamp is more than
    ``tolerance`` seconds from ``now``.
    """

    def _fail(message: str, field: str | None = HEADER) -> WebhookVerificationError:
        return WebhookVerificationError(message, provider=provider, field=field)

    keys = [s for s in secrets if s]
    if not keys:
        raise _fail("no webhook secret is configured", "webhook_secret")
    value = header(headers, HEADER)
    if not value:
        raise _fail(f"no {HEADER} header")
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    if set(parts) != {"t", "v1"}:
        raise _fail(f"{HEADER} is malformed")
    try:
        timestamp = wire.ascii_digits(parts["t"], "t", max_len=12)
    except wire.WireError:
        raise _fail(f"{HEADER} timestamp is not ASCII digits") from None
    given = value.encode("utf-8", "surrogatepass")
    if not any(hmac.compare_digest(sign(body, key, timestamp).encode(), given) for key in keys):
        raise _fail("webhook signature does not match")
    if abs(now - timestamp) > tolerance:
        raise _fail("webhook timestamp is outside the freshness window")
    return timestamp
