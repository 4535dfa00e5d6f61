"""TC3-HMAC-SHA256 request signing for Tencent Cloud API 3.0 (pure functions, standard library only).

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
from dataclasses import dataclass
from functools import lru_cache

ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
SERVICE = "faceid"
VERSION = "2018-03-01"
JSON_CONTENT_TYPE = "application/json"

_AUTH = re.compile(
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
    k_date = hmac.new(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()


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
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


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


@dataclass(frozen=True)
class ParsedAuthorization:
    """The parts of a TC3 ``Authorization`` header."""

    secret_id: str
    date: str
    service: str
    signed_headers: str
    signature: str


def parse_authorization(value: str | None) -> ParsedAuthorization | None:
    """Split a TC3 ``Authorization`` header; None when it is not in the standard form."""
    if not value:
        return None
    m = _AUTH.match(value.strip())
    if m is None:
        return None
    return ParsedAuthorization(m["sid"], m["date"], m["service"], m["signed"], m["sig"])


def verify(secret_key: str, parsed: ParsedAuthorization, body: bytes, *, host: str, timestamp: int,
           content_type: str) -> bool:
    """Constant-time check of a parsed header against the request it came with."""
    if parsed.date != utc_date(timestamp) or parsed.signed_headers != SIGNED_HEADERS:
        return False
    expected = signature(secret_key, body, host=host, timestamp=timestamp, service=parsed.service,
                         content_type=content_type)
    return hmac.compare_digest(expected, parsed.signature)
