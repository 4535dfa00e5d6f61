"""Alibaba Cloud ``ACS3-HMAC-SHA256`` request signing (OpenAPI V3 signature), and this library's own HMACs for
Alibaba sessions (the ``CallbackToken`` that authenticates a callback, :func:`verify`; the ``MerchantBizId``
that binds the app's reference), stdlib only.

Pure functions, reproducing ``alibabacloud_tea_openapi.utils.Utils.get_authorization`` byte for byte
(reference ``alibaba.md`` §4.2):

1. ``CanonicalQuery``: keys with a value, sorted by code point, ``key=quote(value, safe='~')`` joined by ``&``
   (keys are not re-encoded; an empty query gives an empty string).
2. ``CanonicalHeaders``: every header, lower-cased name, sorted, ``name:value.strip()\\n``; repeated names have
   their values sorted and comma-joined. ``SignedHeaders`` = the names joined by ``;``.
3. ``CanonicalRequest`` = ``METHOD\\nPATH\\nCanonicalQuery\\nCanonicalHeaders\\nSignedHeaders\\nHashedPayload``.
4. ``StringToSign`` = ``ACS3-HMAC-SHA256\\n`` + hex(SHA-256(CanonicalRequest)).
5. ``Signature`` = hex(HMAC-SHA256(AccessKeySecret, StringToSign)).
6. ``Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<names>,Signature=<hex>``.

The request URL carries the query form-encoded as the SDK sends it (``urllib.parse.urlencode``: space → ``+``,
``~`` kept); a server decodes it (``+`` → space) and re-encodes each value with ``quote(v, safe='~')`` for the
canonical form, so :func:`url_query` and :func:`canonical_query` describe the same parameters. A form body
(:func:`form_body`, as the SDK's ``Utils.to_form`` builds it) is covered by ``x-acs-content-sha256``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from ekyc.errors import WebhookVerificationError

ALGORITHM = "ACS3-HMAC-SHA256"
#: SHA-256 of the empty body
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

HeaderItems = Mapping[str, str] | Iterable[tuple[str, str]]


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data`` (the ``x-acs-content-sha256`` value)."""
    return hashlib.sha256(data).hexdigest()


def acs_date(epoch_seconds: float) -> str:
    """The ``x-acs-date`` value (UTC, ``%Y-%m-%dT%H:%M:%SZ``) for a Unix time."""
    return time.strftime(DATE_FORMAT, time.gmtime(epoch_seconds))


def new_nonce() -> str:
    """A fresh random ``x-acs-signature-nonce`` (32 hex digits, like the SDK's)."""
    return secrets.token_hex(16)


def url_query(query: Mapping[str, str | None]) -> str:
    """The query string for the request URL, encoded as the SDK's ``compose_url`` does (``urlencode``)."""
    return urlencode({k: v for k, v in query.items() if v is not None})


#: the characters ``urlencode`` (``quote_plus``) leaves as they are
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def form_body(params: Mapping[str, str | None]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body as the SDK builds one (``Utils.to_form``: keys sorted,
    ``urlencode``, UTF-8)."""
    pairs = sorted((k, v) for k, v in params.items() if v is not None)
    if all(_UNRESERVED.fullmatch(k) and _UNRESERVED.fullmatch(v) for k, v in pairs):  # ids: nothing to quote
        return "&".join([f"{k}={v}" for k, v in pairs]).encode("ascii")
    return urlencode(pairs).encode("utf-8")


def canonical_query(query: Mapping[str, str | None]) -> str:
    """``CanonicalQuery`` (step 1)."""
    if not query:  # every request this library signs: its parameters travel in the form body
        return ""
    keys = sorted(k for k, v in query.items() if v is not None)
    return "&".join(f"{k}={quote(str(query[k]), safe='~', encoding='utf-8')}" for k in keys)


def _items(headers: HeaderItems) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, Mapping) else headers


def canonical_headers(headers: HeaderItems) -> tuple[str, str]:
    """``(CanonicalHeaders, SignedHeaders)`` over every header given (step 2)."""
    grouped: dict[str, list[str]] = {}
    for name, value in _items(headers):
        if value is None:
            continue
        grouped.setdefault(name.lower(), []).append(str(value).strip())
    names = sorted(grouped)
    text = "".join(f"{n}:{','.join(sorted(grouped[n]))}\n" for n in names)
    return text, ";".join(names)


def canonical_request(method: str, path: str, query: Mapping[str, str | None], headers: HeaderItems,
                      payload_hash: str) -> str:
    """``CanonicalRequest`` (step 3)."""
    return _canonical(method, path, query, *canonical_headers(headers), payload_hash)


def _canonical(method: str, path: str, query: Mapping[str, str | None], canon_headers: str, signed: str,
               payload_hash: str) -> str:
    return "\n".join([method.upper(), path or "/", canonical_query(query), canon_headers, signed, payload_hash])


def signature(secret: str, canonical: str) -> str:
    """Hex HMAC-SHA256 of the string to sign built from ``canonical`` (steps 4-5)."""
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    return hmac.digest(secret.encode("utf-8"), to_sign.encode("utf-8"), "sha256").hex()  # one-shot (OpenSSL)


def authorization(method: str, path: str, query: Mapping[str, str | None], headers: HeaderItems,
                  payload_hash: str, access_key_id: str, access_key_secret: str) -> str:
    """The ``Authorization`` header value for a request whose every header in ``headers`` is signed."""
    canon_headers, signed = canonical_headers(headers)  # once: the canonical request and SignedHeaders share it
    return _authorization(_canonical(method, path, query, canon_headers, signed, payload_hash), signed,
                          access_key_id, access_key_secret)


def _authorization(canonical: str, signed: str, access_key_id: str, access_key_secret: str) -> str:
    sig = signature(access_key_secret, canonical)
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={sig}"


def _canonical_unique(headers: Mapping[str, str]) -> tuple[str, str]:
    """:func:`canonical_headers` of headers whose names are already lower-case and unique and whose values are
    strings (what :func:`sign_headers` builds): one value per name, nothing to group."""
    names = sorted(headers)
    return "".join([f"{name}:{headers[name].strip()}\n" for name in names]), ";".join(names)


@dataclass(frozen=True)
class ParsedAuthorization:
    """The parts of an ``Authorization: ACS3-HMAC-SHA256 …`` header."""

    algorithm: str
    credential: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str | None) -> ParsedAuthorization | None:
    """Split an ``Authorization`` header; None when it is absent or not of the ACS3 shape."""
    if not value:
        return None
    algorithm, _, rest = value.strip().partition(" ")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = val
    if not algorithm or not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return None
    names = tuple(n for n in parts["SignedHeaders"].split(";") if n)
    return ParsedAuthorization(algorithm, parts["Credential"], names, parts["Signature"])


def sign_headers(
    *,
    method: str,
    path: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
    action: str,
    version: str,
    now: float,
    nonce: str | None = None,
    security_token: str | None = None,
) -> dict[str, str]:
    """Every header of a signed request: ``headers`` plus the ``x-acs-*`` ones and ``Authorization``.

    All headers present before ``Authorization`` are signed. ``content-type`` is added only with a body.
    """
    out = {k.lower(): v for k, v in headers.items()}
    out.update({
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": acs_date(now),
        "x-acs-signature-nonce": nonce or new_nonce(),
        "x-acs-content-sha256": sha256_hex(body),
    })
    if body:
        out.setdefault("content-type", "application/x-www-form-urlencoded")
    if security_token:
        out["x-acs-accesskey-id"] = access_key_id
        out["x-acs-security-token"] = security_token
    canon_headers, signed = _canonical_unique(out)  # names lower-cased above: unique, nothing to group
    canonical = _canonical(method, path, query, canon_headers, signed, out["x-acs-content-sha256"])
    out["authorization"] = _authorization(canonical, signed, access_key_id, access_key_secret)
    return out


# ---------------------------------------------------------------------------------------------------
# Callbacks and the reference binding (this library's HMACs; see the adapter's module docstring)

_CALLBACK_KEY_LABEL = b"ekyc-bridge alibaba callback token v1"
#: hex digits of the random nonce and of the reference tag in a MerchantBizId (16 + 16 = Alibaba's 32 at most)
NONCE_HEX = 16
TAG_HEX = 16
_TOKEN_HEX = frozenset("0123456789abcdef")


def callback_key(callback_secret: str | None, access_key_secret: str) -> bytes:
    """The key of the ``CallbackToken`` and ``MerchantBizId`` HMACs: ``callback_secret``, or when unset a key
    derived from the AccessKey secret (HMAC-SHA256 under a fixed label)."""
    if callback_secret is not None:
        return callback_secret.encode("utf-8")
    return hmac.digest(access_key_secret.encode("utf-8"), _CALLBACK_KEY_LABEL, "sha256")


def callback_token(key: bytes, merchant_biz_id: str) -> str:
    """The ``CallbackToken`` for a session: 32 hex digits of HMAC-SHA256(key, ``callback:<MerchantBizId>``)."""
    return hmac.digest(key, b"callback:" + merchant_biz_id.encode("utf-8"), "sha256").hex()[:32]


def reference_tag(key: bytes, nonce: str, reference: str) -> str:
    """The reference tag of a ``MerchantBizId``: :data:`TAG_HEX` hex digits of HMAC-SHA256(key,
    ``"merchant-biz-id:" + nonce + ":" + reference``) (domain-separated from :func:`callback_token`)."""
    message = b"merchant-biz-id:" + nonce.encode("ascii") + b":" + reference.encode("utf-8", "surrogatepass")
    return hmac.digest(key, message, "sha256").hex()[:TAG_HEX]


def merchant_biz_id(key: bytes, reference: str, nonce: str | None = None) -> str:
    """A fresh ``MerchantBizId`` bound to ``reference``: ``nonce`` (random, :data:`NONCE_HEX` hex digits) +
    :func:`reference_tag` — 32 lowercase hex digits."""
    nonce = secrets.token_hex(NONCE_HEX // 2) if nonce is None else nonce
    return nonce + reference_tag(key, nonce, reference)


def binds(key: bytes, biz: str, reference: str) -> bool:
    """Does ``biz`` (a ``MerchantBizId``) carry the tag of ``reference``? Compared in constant time."""
    if len(biz) != NONCE_HEX + TAG_HEX:
        return False
    expected = reference_tag(key, biz[:NONCE_HEX], reference)
    return hmac.compare_digest(expected.encode("ascii"), biz[NONCE_HEX:].encode("ascii", "replace"))


def verify(token: str, merchant_biz_id: str, key: bytes) -> None:
    """Check a callback's ``callbackToken`` against the session's ``MerchantBizId`` in constant time.

    The token authenticates the ``MerchantBizId`` only (Alibaba's callback carries no timestamp and no
    signature). Raises :class:`WebhookVerificationError` (``field="body"``) when it does not match.
    """
    expected = callback_token(key, merchant_biz_id)
    well_formed = len(token) == 32 and set(token) <= _TOKEN_HEX
    if not well_formed or not hmac.compare_digest(expected.encode("ascii"), token.encode("ascii")):
        raise WebhookVerificationError("the callbackToken does not match", provider="alibaba", field="body")
