"""ACS3-HMAC-SHA256: the reference vector, and byte-for-byte agreement with the official signer."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.models import SessionRef
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.signing import (
    EMPTY_SHA256,
    acs_date,
    authorization,
    canonical_query,
    new_nonce,
    parse_authorization,
    sha256_hex,
    sign_headers,
    url_query,
)

VECTOR_HEADERS = {
    "host": "cloudauth-intl.ap-southeast-1.aliyuncs.com",
    "x-acs-action": "CheckResult",
    "x-acs-version": "2022-08-09",
    "x-acs-date": "2025-01-01T00:00:00Z",
    "x-acs-signature-nonce": "n1",
    "x-acs-content-sha256": EMPTY_SHA256,
}


def test_reference_vector() -> None:
    auth = authorization("POST", "/", {"MerchantBizId": "biz1", "TransactionId": "tx1"}, VECTOR_HEADERS,
                         EMPTY_SHA256, "AK", "SK")
    assert auth == (
        "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
        "x-acs-signature-nonce;x-acs-version,"
        "Signature=65439c9883cf53988c008f364ad1a012917b921ea6c830d77023ce7e6a65a59a"
    )


def test_reference_vector_matches_sdk() -> None:
    from alibabacloud_tea_openapi.utils import Utils

    req = SimpleNamespace(method="POST", pathname="/", query={"MerchantBizId": "biz1", "TransactionId": "tx1"},
                          headers=dict(VECTOR_HEADERS))
    assert Utils.get_authorization(req, "ACS3-HMAC-SHA256", EMPTY_SHA256, "AK", "SK") == authorization(
        "POST", "/", req.query, VECTOR_HEADERS, EMPTY_SHA256, "AK", "SK")


def test_canonical_query_rfc3986() -> None:
    assert canonical_query({"b": "a b+c~/ü", "a": "*", "z": None}) == "a=%2A&b=a%20b%2Bc~%2F%C3%BC"
    assert canonical_query({}) == ""
    # the URL form uses urlencode (space -> +); decoding it gives back the same values
    q = {"b": "a b+c~/ü", "a": "x"}
    assert dict(parse_qsl(url_query(q))) == q
    assert url_query(q) == "b=a+b%2Bc~%2F%C3%BC&a=x"


def test_helpers() -> None:
    assert acs_date(0) == "1970-01-01T00:00:00Z"
    assert len(new_nonce()) == 32 and new_nonce() != new_nonce()
    assert sha256_hex(b"") == EMPTY_SHA256
    parsed = parse_authorization("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=ff")
    assert parsed is not None and parsed.signed_headers == ("a", "b") and parsed.credential == "AK"
    assert parse_authorization("garbage") is None
    assert parse_authorization(None) is None


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_values = st.one_of(_text, st.sampled_from(["a b", "a+b", "~x~", "/p/q", "ü€", "", "%20", "=&?"]))
_keys = st.from_regex(r"[A-Z][A-Za-z0-9]{0,12}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(query=st.dictionaries(_keys, _values, max_size=6), body=st.one_of(st.just(b""), st.binary(max_size=64)),
       ak=st.from_regex(r"[A-Za-z0-9]{4,24}", fullmatch=True), secret=_text.filter(bool),
       action=st.sampled_from(["Initialize", "CheckResult"]))
def test_random_requests_match_official_signer(query: dict[str, str], body: bytes, ak: str, secret: str,
                                               action: str) -> None:
    from alibabacloud_tea_openapi.utils import Utils

    headers = sign_headers(method="POST", path="/", query=query,
                           headers={"host": "127.0.0.1:8080", "accept": "application/json", "user-agent": "t"},
                           body=body, access_key_id=ak, access_key_secret=secret, action=action,
                           version="2022-08-09", now=1_700_000_000, nonce="abc")
    unsigned = {k: v for k, v in headers.items() if k != "authorization"}
    req = SimpleNamespace(method="POST", pathname="/", query=dict(query), headers=unsigned)
    payload = Utils.hash(body, "ACS3-HMAC-SHA256").hex()
    assert payload == headers["x-acs-content-sha256"]
    assert Utils.get_authorization(req, "ACS3-HMAC-SHA256", payload, ak, secret) == headers["authorization"]
    assert ("content-type" in headers) == bool(body)


@settings(max_examples=100, deadline=None)
@given(biz=st.from_regex(r"[a-z0-9]{1,32}", fullmatch=True), tid=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_adapter_request_matches_official_signer(biz: str, tid: str) -> None:
    """What the adapter sends: no query, the parameters in a form body built as the SDK's ``Utils.to_form``
    builds it, and the signature the SDK computes for that request."""
    from alibabacloud_tea_openapi.utils import Utils

    p = AlibabaProvider(AlibabaSettings(access_key_id="AKID", access_key_secret="s3cret",
                                        endpoint="http://127.0.0.1:8080"), clock=lambda: 1_700_000_000)
    req: httpx.Request = p.build_result(SessionRef(provider="alibaba", id=tid, extra=(biz,))).request
    headers = {k: v for k, v in req.headers.items() if k not in ("authorization", "content-length")}
    assert urlsplit(str(req.url)).query == "" and str(req.url) == "http://127.0.0.1:8080/"
    params = {"MerchantBizId": biz, "TransactionId": tid}
    assert dict(parse_qsl(req.content.decode(), keep_blank_values=True)) == params
    assert req.content == Utils.to_form(params).encode("utf-8")
    payload = Utils.hash(req.content, "ACS3-HMAC-SHA256").hex()
    assert payload == headers["x-acs-content-sha256"] != EMPTY_SHA256
    ns = SimpleNamespace(method="POST", pathname="/", query={}, headers=headers)
    assert Utils.get_authorization(ns, "ACS3-HMAC-SHA256", payload, "AKID", "s3cret") == req.headers["authorization"]
    assert headers["host"] == "127.0.0.1:8080"
    assert headers["content-type"] == "application/x-www-form-urlencoded"


def test_each_request_has_a_fresh_nonce() -> None:
    p = AlibabaProvider(AlibabaSettings(access_key_id="AKID", access_key_secret="s3cret"))
    ref = SessionRef(provider="alibaba", id="t1", extra=("b1",))
    a, b = p.build_result(ref).request, p.build_result(ref).request
    assert a.headers["x-acs-signature-nonce"] != b.headers["x-acs-signature-nonce"]
    assert a.url.host == "cloudauth-intl.ap-southeast-1.aliyuncs.com"
