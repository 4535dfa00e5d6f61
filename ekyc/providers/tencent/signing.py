"""Tencent signatures (pure functions, standard library only): TC3-HMAC-SHA256 request signing for Tencent
Cloud API 3.0, and the verification of eKYC webhooks (:func:`verify`).

Exactly as the official SDK signs a ``POST /`` JSON call (``AbstractClient._build_req_with_tc3_signature``):
only ``content-type;host`` are signed, the payload hash is over the exact body bytes, and the credential
scope is ``<UTC date>/<service>/tc3_request``. The derived signing key depends only on the secret, the
UTC date and the service, so it is cached (one HMAC chain per key per day instead of per request).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

import httpx

from ekyc import _wire as wire
from ekyc.errors import WebhookVerificationError

ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
SERVICE = "faceid"
VERSION = "2018-03-01"
JSON_CONTENT_TYPE = "application/json"

#: compiled on first use (re's cache), not at import: only a request the emulator receives is parsed
_AUTH = (
    r"^TC3-HMAC-SHA256 Credential=(?P<sid>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/,\s]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def utc_date(timestamp: int) -> str:
    """The UTC calendar date (``%Y-%m-%d``) of a Unix timestamp, as the credential scope uses it."""
    return _day(timestamp // 86400)


@lru_cache(maxsize=8)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


@lru_cache(maxsize=64)
def signing_key(secret_key: str, date: str, service: str = SERVICE) -> bytes:
    """``kSigning`` for one secret, UTC date and service (cached: it changes once a day)."""
    k_date = hmac.digest(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), "sha256")  # one-shot (OpenSSL)
    k_service = hmac.digest(k_date, service.encode("utf-8"), "sha256")
    return hmac.digest(k_service, b"tc3_request", "sha256")


def canonical_request(body: bytes, *, host: str, content_type: str = JSON_CONTENT_TYPE,
                      method: str = "POST", path: str = "/", query: str = "") -> str:
    """The canonical request string: method, URI, query, canonical headers, signed headers, payload hash."""
    payload_hash = hashlib.sha256(body).hexdigest()
    return (f"{method}\n{path}\n{query}\ncontent-type:{content_type}\nhost:{host}\n\n"
            f"{SIGNED_HEADERS}\n{payload_hash}")


def string_to_sign(canonical: str, timestamp: int, service: str = SERVICE) -> str:
    """``TC3-HMAC-SHA256\\n<timestamp>\\n<scope>\\n<hex sha256(canonical request)>``."""
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def signature(secret_key: str, body: bytes, *, host: str, timestamp: int, service: str = SERVICE,
              content_type: str = JSON_CONTENT_TYPE) -> str:
    """The hex signature of a ``POST /`` request."""
    to_sign = string_to_sign(canonical_request(body, host=host, content_type=content_type), timestamp, service)
    key = signing_key(secret_key, utc_date(timestamp), service)
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()


def authorization(secret_id: str, secret_key: str, body: bytes, *, host: str, timestamp: int,
                  service: str = SERVICE, content_type: str = JSON_CONTENT_TYPE) -> str:
    """The ``Authorization`` header value, byte for byte as the official SDK writes it."""
    sig = signature(secret_key, body, host=host, timestamp=timestamp, service=service,
                    content_type=content_type)
    return (f"{ALGORITHM} Credential={secret_id}/{utc_date(timestamp)}/{service}/tc3_request, "
            f"SignedHeaders={SIGNED_HEADERS}, Signature={sig}")


def sign_headers(*, secret_id: str, secret_key: str, action: str, body: bytes, host: str, timestamp: int,
                 region: str | None, version: str = VERSION, service: str = SERVICE,
                 language: str | None = None, token: str | None = None,
                 content_type: str = JSON_CONTENT_TYPE) -> dict[str, str]:
    """Every header of a signed API 3.0 call (``Host`` included, for the signature's sake)."""
    headers = {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action[:1].upper() + action[1:],
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": version,
    }
    if region:
        headers["X-TC-Region"] = region
    if token:
        headers["X-TC-Token"] = token
    if language:
        headers["X-TC-Language"] = language
    headers["Authorization"] = authorization(secret_id, secret_key, body, host=host, timestamp=timestamp,
                                             service=service, content_type=content_type)
    return headers


class ParsedAuthorization(NamedTuple):
    """The parts of a TC3 ``Authorization`` header (a named tuple: a frozen dataclass costs a cold start about
    0.7 ms to create, issue 15)."""

    secret_id: str
    date: str
    service: str
    signed_headers: str
    signature: str


def parse_authorization(value: str | None) -> ParsedAuthorization | None:
    """Split a TC3 ``Authorization`` header; None when it is not in the standard form."""
    if not value:
        return None
    m = re.match(_AUTH, value.strip())
    if m is None:
        return None
    return ParsedAuthorization(m["sid"], m["date"], m["service"], m["signed"], m["sig"])


def verify_request(secret_key: str, parsed: ParsedAuthorization, body: bytes, *, host: str, timestamp: int,
                   content_type: str) -> bool:
    """Constant-time check of a parsed ``Authorization`` header against the request it came with."""
    if parsed.date != utc_date(timestamp) or parsed.signed_headers != SIGNED_HEADERS:
        return False
    expected = signature(secret_key, body, host=host, timestamp=timestamp, service=parsed.service,
                         content_type=content_type)
    return hmac.compare_digest(expected, parsed.signature)


# ---------------------------------------------------------------------------------------------------
# Webhooks: ``X-Webhook-Signature`` = hex HMAC-SHA256(SignatureKey, ``timestamp + "." + body``)

#: our choice: how far ``X-Webhook-Timestamp`` may be from now (Tencent documents no window)
TOLERANCE_SECONDS = 300
#: our choice: the largest webhook body read (the H5 webhook body is not documented; a result notice is small)
MAX_BODY = 1024 * 1024
SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
#: compiled on first use (re's cache), not at import: only a webhook needs it
_SIGNATURE = r"[0-9a-fA-F]{64}"


def webhook_signature(key: str, timestamp: str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` value of ``body`` sent with ``X-Webhook-Timestamp: timestamp``."""
    return hmac.new(key.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify(body: bytes, headers: Mapping[str, str], key: str | None, now: float,
           tolerance: float = TOLERANCE_SECONDS) -> float:
    """Verify a webhook delivery; returns its signed time (Unix seconds).

    Order: a key is configured, the size cap (:data:`MAX_BODY`), header shapes (each header exactly once;
    the timestamp ASCII digits, 13 of them meaning milliseconds), the signature in constant time, then
    freshness (``tolerance`` seconds around ``now``). Every refusal is a :class:`WebhookVerificationError`
    naming the field; none says which byte differed.
    """
    if not key:
        raise _fail("no webhook_signature_key is configured", "webhook_signature_key")
    if not isinstance(body, (bytes, bytearray)):
        raise _fail("the webhook body must be the raw bytes", "body")
    if len(body) > MAX_BODY:
        raise _fail("webhook body too large", "body")
    sig = _one_header(headers, SIGNATURE_HEADER)
    stamp = _one_header(headers, TIMESTAMP_HEADER)
    if sig is None or stamp is None:
        raise _fail(f"missing or repeated {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}", "headers")
    seconds = _timestamp(stamp)
    if seconds is None:
        raise _fail(f"{TIMESTAMP_HEADER} is not a Unix time in ASCII digits", TIMESTAMP_HEADER)
    if not re.fullmatch(_SIGNATURE, sig):
        raise _fail(f"{SIGNATURE_HEADER} is not a hex HMAC-SHA256", SIGNATURE_HEADER)
    if not hmac.compare_digest(webhook_signature(key, stamp, bytes(body)), sig.lower()):
        raise _fail("webhook signature mismatch", SIGNATURE_HEADER)
    if abs(now - seconds) > tolerance:
        raise _fail("webhook timestamp outside the freshness window", TIMESTAMP_HEADER)
    return seconds


def _fail(message: str, field: str) -> WebhookVerificationError:
    return WebhookVerificationError(message, provider="tencent", field=field)


def _one_header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` if it appears exactly once (any case) as a string; else None."""
    if isinstance(headers, httpx.Headers):
        values = headers.get_list(name)
    elif isinstance(headers, Mapping):
        values = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == name.lower()]
    else:
        return None
    if len(values) != 1 or not isinstance(values[0], str) or len(values[0]) > 256:
        return None
    return values[0]


def _timestamp(stamp: str) -> float | None:
    """``X-Webhook-Timestamp`` in seconds (13 digits: milliseconds); None unless ASCII digits only."""
    try:
        value = wire.ascii_digits(stamp, TIMESTAMP_HEADER, max_len=13)
    except wire.WireError:
        return None
    return value / 1000 if len(stamp) > 11 else float(value)
