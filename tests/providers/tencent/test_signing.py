"""TC3-HMAC-SHA256: the reference test vector, and byte-for-byte agreement with the official SDK."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.providers.tencent import signing

VECTOR_BODY = b'{"BizToken": "TOKEN123"}'
HOST = "faceid.intl.tencentcloudapi.com"


def test_reference_vector() -> None:
    assert hashlib.sha256(VECTOR_BODY).hexdigest() == (
        "2baf3890e2f7c63cc76b1f50ab4ea97d60011c7eec589a4e957f535f3e404aaf")
    canonical = signing.canonical_request(VECTOR_BODY, host=HOST)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "811f233ab7e115b764d35ae2532d0dcf6bd144bd656a47408978226549991aae")
    auth = signing.authorization("AKIDEXAMPLE", "SECRETKEYEXAMPLE", VECTOR_BODY, host=HOST, timestamp=1700000000)
    assert auth == (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/faceid/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=9179cac6364137bc831cc2b96cef8a467694a959c5d1ec1460f0e7620b86cb37")


def test_headers_and_token() -> None:
    h = signing.sign_headers(secret_id="AKIDEXAMPLE", secret_key="SECRETKEYEXAMPLE",
                             action="getWebVerificationResultIntl", body=VECTOR_BODY, host=HOST,
                             timestamp=1700000000, region="ap-singapore", language="en-US")
    assert h["X-TC-Action"] == "GetWebVerificationResultIntl"
    assert h["X-TC-Version"] == "2018-03-01"
    assert h["X-TC-Region"] == "ap-singapore"
    assert h["X-TC-Timestamp"] == "1700000000"
    assert h["X-TC-Language"] == "en-US"
    assert h["Content-Type"] == "application/json"
    assert "X-TC-Token" not in h
    assert h["Authorization"].endswith("9179cac6364137bc831cc2b96cef8a467694a959c5d1ec1460f0e7620b86cb37")
    with_token = signing.sign_headers(secret_id="a", secret_key="b", action="X", body=b"{}", host=HOST,
                                      timestamp=1, region=None, token="tok")
    assert with_token["X-TC-Token"] == "tok" and "X-TC-Region" not in with_token


def test_signing_key_is_cached_per_secret_and_date() -> None:
    signing.signing_key.cache_clear()
    for _ in range(5):
        signing.authorization("id", "secret-a", b"{}", host=HOST, timestamp=1700000000)
    info = signing.signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 4)
    signing.authorization("id", "secret-a", b"{}", host=HOST, timestamp=1700000000 + 86400)
    assert signing.signing_key.cache_info().misses == 2


def test_parse_and_verify_round_trip() -> None:
    auth = signing.authorization("AKID", "KEY", VECTOR_BODY, host=HOST, timestamp=1700000000)
    parsed = signing.parse_authorization(auth)
    assert parsed is not None and parsed.secret_id == "AKID" and parsed.date == "2023-11-14"
    assert signing.verify_request("KEY", parsed, VECTOR_BODY, host=HOST, timestamp=1700000000,
                          content_type="application/json")
    assert not signing.verify_request("KEY", parsed, VECTOR_BODY + b" ", host=HOST, timestamp=1700000000,
                              content_type="application/json")
    assert not signing.verify_request("KEY2", parsed, VECTOR_BODY, host=HOST, timestamp=1700000000,
                              content_type="application/json")
    assert not signing.verify_request("KEY", parsed, VECTOR_BODY, host="other", timestamp=1700000000,
                              content_type="application/json")
    for bad in (None, "", "Basic abc", auth.replace("SignedHeaders=", "Signed="), auth[:-1]):
        assert signing.parse_authorization(bad) is None


# -- the official SDK as oracle -----------------------------------------------------------------------

ACTIONS = st.sampled_from(["ApplyWebVerificationBizTokenIntl", "GetWebVerificationResultIntl",
                           "getWebVerificationResultIntl", "CompareFaceLiveness"])
REGIONS = st.sampled_from(["ap-singapore", "ap-bangkok", "ap-hongkong", "ap-jakarta", "sa-saopaulo"])
KEYS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=40)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
PARAMS = st.dictionaries(KEYS, VALUES, max_size=5)
# around UTC midnight of a random day, where local-date signing would go wrong
TIMESTAMPS = st.builds(lambda day, off: 1_500_000_000 - 1_500_000_000 % 86400 + day * 86400 + off,
                       st.integers(0, 5000), st.integers(-600, 600))
HOSTS = st.sampled_from([HOST, "127.0.0.1:8080", "sandbox.ekyc.invalid"])


def _sdk_request(secret_id: str, secret_key: str, token: str | None, region: str, host: str, action: str,
                 params: dict[str, Any], timestamp: int) -> Any:
    import tencentcloud.common.abstract_client as ac
    from tencentcloud.common import credential
    from tencentcloud.common.http.request import RequestInternal
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.faceid.v20180301 import faceid_client

    client = faceid_client.FaceidClient(credential.Credential(secret_id, secret_key, token), region,
                                        ClientProfile(httpProfile=HttpProfile(endpoint=host)))
    req = RequestInternal(host, "POST", "/", header={})
    with patch.object(ac, "time", SimpleNamespace(time=lambda: timestamp)):
        client._build_req_inter(action, params, req)
    return client, req


@pytest.mark.oracle
@settings(max_examples=150, deadline=None)
@given(secret_id=KEYS, secret_key=KEYS, token=st.none() | KEYS, region=REGIONS, host=HOSTS, action=ACTIONS,
       params=PARAMS, timestamp=TIMESTAMPS)
def test_matches_official_sdk(secret_id: str, secret_key: str, token: str | None, region: str, host: str,
                              action: str, params: dict[str, Any], timestamp: int) -> None:
    _, req = _sdk_request(secret_id, secret_key, token, region, host, action, params, timestamp)
    body = json.dumps(params).encode("utf-8")
    assert req.data.encode("utf-8") == body  # we serialize exactly like the SDK
    ours = signing.sign_headers(secret_id=secret_id, secret_key=secret_key, action=action, body=body, host=host,
                                timestamp=timestamp, region=region, language="en-US", token=token)
    for name in ("Authorization", "X-TC-Action", "X-TC-Timestamp", "X-TC-Version", "X-TC-Region",
                 "X-TC-Language", "Content-Type", "Host"):
        assert ours[name] == req.header[name], name
    assert ("X-TC-Token" in ours) == ("X-TC-Token" in req.header)
    if token:
        assert ours["X-TC-Token"] == req.header["X-TC-Token"]


@pytest.mark.oracle
@settings(max_examples=100, deadline=None)
@given(secret_key=KEYS, host=HOSTS, text=st.text(min_size=1, max_size=60), timestamp=TIMESTAMPS)
def test_raw_utf8_bodies_match_official_sdk(secret_key: str, host: str, text: str, timestamp: int) -> None:
    """Non-ASCII bodies sent unescaped (ensure_ascii=False): the hash is over the exact UTF-8 bytes."""
    client, req = _sdk_request("AKID", secret_key, None, "ap-singapore", host, "GetWebVerificationResultIntl",
                               {}, timestamp)
    req.data = json.dumps({"Extra": text}, ensure_ascii=False)
    date = signing.utc_date(timestamp)
    expected = client._get_tc3_signature({}, req, date, "faceid", secret_key)
    assert signing.signature(secret_key, req.data.encode("utf-8"), host=host, timestamp=timestamp) == expected


@pytest.mark.parametrize(("ts", "day"), [(1700000000, "2023-11-14"), (86399, "1970-01-01"), (86400, "1970-01-02"),
                                         (1699919999, "2023-11-13"), (1699920000, "2023-11-14")])
def test_utc_date_boundaries(ts: int, day: str) -> None:
    assert signing.utc_date(ts) == day
