"""Request mapping (Initialize), settings, return URL and callback verification."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from ekyc import Client
from ekyc.errors import ConfigurationError, InvalidRequest, UnsupportedFeature, WebhookVerificationError
from ekyc.models import Check, DocumentType, ExpectedIdentity, SessionRef
from ekyc.provider import RetryMode
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.signing import callback_token
from ekyc.settings import Settings

from .conftest import contract_request

IMAGE = base64.b64encode(b"\xff\xd8jpeg-bytes+/").decode()


def provider(**settings: Any) -> AlibabaProvider:
    base: dict[str, Any] = {"access_key_id": "AKID", "access_key_secret": "secret",
                            "callback_url": "https://app.example/cb", "callback_secret": "cbsecret"}
    base.update(settings)
    return AlibabaProvider(AlibabaSettings(**base), clock=lambda: 1_700_000_000)


def built(p: AlibabaProvider, **overrides: Any) -> tuple[dict[str, str], bytes, Any]:
    """``(parameters, body, prepared)``: every parameter is in the form body, none in the URL."""
    req = contract_request(**overrides)
    p.check_request(req)
    prepared = p.build_create(req)
    assert prepared.request.url.query == b"" and str(prepared.request.url).endswith(".com/")
    assert prepared.request.headers["content-type"] == "application/x-www-form-urlencoded"
    pairs = parse_qsl(prepared.request.content.decode(), keep_blank_values=True, strict_parsing=True)
    assert len(pairs) == len(dict(pairs))
    return dict(pairs), prepared.request.content, prepared


def test_ekyc_mapping() -> None:
    p = provider()
    query, body, prepared = built(p, language="en")
    # Singapore (the default region): the global plan, started with InitializeV2 (products.py)
    assert prepared.retry is RetryMode.NOT_SENT and prepared.operation == "create_session"
    assert query["ProductCode"] == "eKYC_PRO" and query["DocType"] == "GLB03002"
    assert query["MerchantUserId"] == "user-42"
    assert json.loads(query["MetaInfo"])["deviceType"] == "h5"
    assert json.loads(query["LanguageConfig"]) == {"defaultLanguage": "en"}
    biz = query["MerchantBizId"]
    assert len(biz) == 32 and biz.isalnum()
    assert prepared.context["merchant_biz_id"] == biz
    ret = parse_qs(urlsplit(query["ReturnUrl"]).query)
    assert ret["ekyc_biz"] == [biz] and query["ReturnUrl"].startswith("https://app.example/kyc/return?")
    cb = urlsplit(query["CallbackUrl"])
    assert cb.scheme == "https" and parse_qs(cb.query)["ekyc_biz"] == [biz]
    assert query["CallbackToken"] == callback_token(b"cbsecret", biz)
    assert "FacePictureBase64" not in query and body.startswith(b"CallbackToken=")  # sorted like the SDK's
    assert prepared.request.headers["x-acs-action"] == "InitializeV2"
    assert prepared.request.url.host == "cloudauth-intl.ap-southeast-1.aliyuncs.com"
    # a new MerchantBizId (and nonce) on every build: retries never reuse one
    q2, _, p2 = built(p)
    assert q2["MerchantBizId"] != biz
    assert p2.request.headers["x-acs-signature-nonce"] != prepared.request.headers["x-acs-signature-nonce"]


def test_special_characters_are_signed_as_the_sdk_would() -> None:
    from types import SimpleNamespace

    from alibabacloud_tea_openapi.utils import Utils

    p = provider()
    params, body, prepared = built(p, reference="ü ser+1~/x", return_url="https://app.example/r?a=b+c%20d~",
                                   provider_options={"alibaba": {"StyleConfig": {"a": "~ +&="}}})
    assert params["MerchantUserId"] == "ü ser+1~/x" and params["StyleConfig"] == '{"a":"~ +&="}'
    # the body is byte for byte what the SDK's form encoder makes of the same parameters ...
    assert Utils.to_form(params).encode("utf-8") == body
    assert prepared.request.headers["x-acs-content-sha256"] == Utils.hash(body, "ACS3-HMAC-SHA256").hex()
    # ... and the signature is the SDK's for the same request (empty query, every header signed)
    headers = {k: v for k, v in prepared.request.headers.items() if k not in ("authorization", "content-length")}
    ns = SimpleNamespace(method="POST", pathname="/", query={}, headers=headers)
    assert Utils.get_authorization(ns, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "AKID", "secret") \
        == prepared.request.headers["authorization"]


@pytest.mark.parametrize(("region", "checks", "extra", "product", "action"), [
    ("cn-hongkong", {Check.LIVENESS, Check.FACE_MATCH}, {"reference_image": IMAGE}, "FACE_VERIFY", "Initialize"),
    ("cn-hongkong", {Check.LIVENESS}, {}, "FACE_LIVENESS_PRO", "InitializeV2"),
    ("ap-southeast-1", {Check.LIVENESS}, {}, "FACE_LIVENESS_PRO", "InitializeV2"),
    ("ap-southeast-5", {Check.LIVENESS}, {}, "FACE_LIVENESS_PRO", "InitializeV2"),
    ("cn-hongkong", {Check.DOCUMENT}, {}, "ID_OCR", "Initialize"),
    ("cn-hongkong", {Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH}, {}, "eKYC_PRO", "InitializeV2"),
    ("ap-southeast-3", {Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH}, {}, "eKYC_PRO", "InitializeV2"),
])
def test_product_codes(region: str, checks: set[Check], extra: dict[str, Any], product: str, action: str) -> None:
    docs = {"document_types": ()} if Check.DOCUMENT not in checks else {}
    query, _, prepared = built(provider(region=region), checks=checks, **docs, **extra)
    assert query["ProductCode"] == product and prepared.request.headers["x-acs-action"] == action
    assert prepared.request.url.host == f"cloudauth-intl.{region}.aliyuncs.com"
    assert ("FacePictureBase64" in query) == (product == "FACE_VERIFY")
    if product == "FACE_VERIFY":
        assert query["FacePictureBase64"] == IMAGE
    assert ("DocType" in query) == (Check.DOCUMENT in checks)


@pytest.mark.parametrize(("region", "checks", "extra"), [
    ("ap-southeast-1", {Check.LIVENESS, Check.FACE_MATCH}, {"reference_image": IMAGE}),  # FACE_VERIFY: HK only
    ("ap-southeast-1", {Check.DOCUMENT}, {}),  # ID_OCR: HK only
    ("ap-southeast-3", {Check.LIVENESS}, {}),  # FACE_LIVENESS_PRO is not documented for Kuala Lumpur
])
def test_plans_outside_their_regions_are_unsupported(region: str, checks: set[Check], extra: dict[str, Any]) -> None:
    docs = {"document_types": ()} if Check.DOCUMENT not in checks else {}
    with pytest.raises(UnsupportedFeature) as exc:
        provider(region=region).check_request(contract_request(checks=checks, **docs, **extra))
    assert exc.value.field == "checks" and f"not offered in {region}" in str(exc.value)


def test_product_code_override_is_checked_against_the_region() -> None:
    hk = {"ProductCode": "eKYC", "DocType": "00000008"}
    query, _, prepared = built(provider(region="cn-hongkong"), provider_options={"alibaba": hk})
    assert query["ProductCode"] == "eKYC" and prepared.request.headers["x-acs-action"] == "Initialize"
    for bad, field in (({"ProductCode": "eKYC"}, "provider_options.alibaba.ProductCode"),  # HK only
                       ({"ProductCode": "ID_OCR_MAX"}, "provider_options.alibaba.ProductCode"),  # no hosted page
                       ({"ProductCode": "NOPE"}, "provider_options.alibaba.ProductCode"),
                       ({"DocType": "01000000"}, "provider_options.alibaba.DocType")):  # 8-digit code to eKYC_PRO
        with pytest.raises(UnsupportedFeature) as exc:
            provider().check_request(contract_request(provider_options={"alibaba": bad}))
        assert exc.value.field == field


@pytest.mark.parametrize(("doc", "country", "code"), [
    (DocumentType.PASSPORT, "GBR", "GLB03002"), (DocumentType.PASSPORT, None, "GLB03002"),
    (DocumentType.ID_CARD, "CN", "CHN01001"), (DocumentType.ID_CARD, "HKG", "HKG01002"),
    (DocumentType.ID_CARD, "MYS", "MYS01001"), (DocumentType.ID_CARD, "SG", "SGP01001"),
    (DocumentType.DRIVERS_LICENSE, "PHL", "PHL02001"), (DocumentType.RESIDENCE_PERMIT, "CHN", "CHN06001"),
])
def test_doc_types(doc: DocumentType, country: str | None, code: str) -> None:
    query, _, _ = built(provider(), document_types=(doc,), country=country)
    assert query["DocType"] == code


@pytest.mark.parametrize(("doc", "country", "code"), [
    (DocumentType.PASSPORT, "GBR", "01000000"), (DocumentType.PASSPORT, None, "01000000"),
    (DocumentType.ID_CARD, "CN", "00000001"), (DocumentType.ID_CARD, "HKG", "00000008"),
])
def test_legacy_doc_types_in_hong_kong(doc: DocumentType, country: str | None, code: str) -> None:
    query, _, _ = built(provider(region="cn-hongkong"), document_types=(doc,), country=country,
                        provider_options={"alibaba": {"ProductCode": "eKYC"}})
    assert query["ProductCode"] == "eKYC" and query["DocType"] == code


def test_neutral_request_defaults_to_the_global_passport() -> None:
    query, _, _ = built(provider(), document_types=(), country=None)
    assert query["ProductCode"] == "eKYC_PRO" and query["DocType"] == "GLB03002"
    hk, _, _ = built(provider(region="cn-hongkong"), checks={Check.DOCUMENT}, document_types=())
    assert hk["ProductCode"] == "ID_OCR" and hk["DocType"] == "01000000"


@pytest.mark.parametrize(("region", "doc", "country", "ok"), [
    ("ap-southeast-5", DocumentType.ID_CARD, "IDN", True), ("ap-southeast-5", DocumentType.PASSPORT, None, True),
    ("ap-southeast-5", DocumentType.ID_CARD, "MYS", False), ("ap-southeast-3", DocumentType.ID_CARD, "MYS", True),
    ("ap-southeast-3", DocumentType.ID_CARD, "SGP", False), ("ap-southeast-1", DocumentType.ID_CARD, "IDN", True),
])
def test_regions_that_read_part_of_the_table(region: str, doc: DocumentType, country: str | None, ok: bool) -> None:
    req = contract_request(document_types=(doc,), country=country)
    if ok:
        provider(region=region).check_request(req)
    else:
        with pytest.raises(UnsupportedFeature) as exc:
            provider(region=region).check_request(req)
        assert exc.value.field == "document_types"


@pytest.mark.parametrize(("tag", "code"), [("en", "en"), ("en-GB", "en"), ("zh-CN", "zh"), ("zh", "zh"),
                                           ("zh-TW", "TW"), ("zh-Hant-HK", "TW"), ("ms-MY", "ms"), ("ar", "ar")])
def test_language_config_is_the_documented_json(tag: str, code: str) -> None:
    query, _, _ = built(provider(), language=tag)
    assert json.loads(query["LanguageConfig"]) == {"defaultLanguage": code}


def test_a_language_the_web_flow_lacks_is_unsupported() -> None:
    with pytest.raises(UnsupportedFeature) as exc:
        provider().check_request(contract_request(language="de"))
    assert exc.value.field == "language"


def test_check_result_options_travel_in_the_ref() -> None:
    p = provider()
    opts = {"IsReturnImage": "Y", "ReturnFiveCategorySpoofResult": "N", "ExtraImageControlList": "CROPPED_FACE"}
    query, _, prepared = built(p, provider_options={"alibaba": {**opts, "SceneCode": "s1"}})
    assert not set(opts) & set(query) and query["SceneCode"] == "s1"  # not Initialize parameters
    ref = SessionRef(provider="alibaba", id="tx1", extra=(prepared.context["merchant_biz_id"],
                                                          prepared.context["check_options"]))
    again = SessionRef.parse(ref.serialize())
    sent = dict(parse_qsl(p.build_result(again).request.content.decode()))
    assert {k: sent[k] for k in opts} == opts and sent["TransactionId"] == "tx1"
    plain = dict(parse_qsl(p.build_result(SessionRef(provider="alibaba", id="tx1", extra=(
        prepared.context["merchant_biz_id"],))).request.content.decode()))
    assert not set(opts) & set(plain)
    with pytest.raises(UnsupportedFeature):
        p.check_request(contract_request(provider_options={"alibaba": {"IsReturnImage": "yes"}}))


@pytest.mark.parametrize(("overrides", "field"), [
    ({"document_types": (DocumentType.ID_CARD,), "country": "GBR"}, "document_types"),
    ({"document_types": (DocumentType.ID_CARD,), "country": None}, "country"),
    ({"document_types": (DocumentType.PASSPORT, DocumentType.ID_CARD)}, "document_types"),
    ({"document_types": (DocumentType.DRIVERS_LICENSE,)}, "document_types"),
    ({"checks": {Check.LIVENESS, Check.FACE_MATCH}, "document_types": ()}, "reference_image"),
    ({"reference_image": IMAGE}, "reference_image"),
    ({"checks": {Check.FACE_MATCH}, "document_types": ()}, "checks"),
    ({"checks": {Check.DOCUMENT, Check.LIVENESS}}, "checks"),
    ({"checks": {Check.LIVENESS}}, "document_types"),
    ({"client_metadata": None}, "client_metadata"),
    ({"expected": ExpectedIdentity(family_name="SAMPLE")}, "expected"),
    ({"contact_email": "a@b.example"}, "contact_email"),
    ({"provider_options": {"alibaba": {"MerchantBizId": "x"}}}, "provider_options.alibaba.MerchantBizId"),
])
def test_unsupported(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(UnsupportedFeature) as exc:
        provider().check_request(contract_request(**overrides))
    assert exc.value.field == field and exc.value.provider == "alibaba"


def test_client_metadata_explains_where_it_comes_from() -> None:
    with pytest.raises(UnsupportedFeature) as exc:
        provider().check_request(contract_request(client_metadata=None))
    assert "getMetaInfo" in str(exc.value) and "jsvm_all.js" in str(exc.value)
    with pytest.raises(InvalidRequest) as bad:
        provider().check_request(contract_request(client_metadata="not json"))
    assert bad.value.field == "client_metadata"


def test_unsupported_before_any_io(client: Client, sandbox: Any) -> None:
    with pytest.raises(UnsupportedFeature):
        client.create_session(contract_request(language="de"))
    with pytest.raises(UnsupportedFeature):
        client.create_session(contract_request(expected=ExpectedIdentity(family_name="X")))
    assert sandbox.emulators["alibaba"].store.values is not None
    assert list(sandbox.emulators["alibaba"].store.values()) == []


def test_provider_options() -> None:
    query, _, _ = built(provider(), provider_options={"alibaba": {
        "SceneCode": "signup", "DocPageConfig": ["01", "02"], "IdThreshold": 1, "ProductCode": "eKYC_PRO",
        "DocType": "GLB03002", "CallbackUrl": "https://other.example/cb"}})
    assert query["SceneCode"] == "signup" and query["DocPageConfig"] == '["01","02"]'
    assert query["IdThreshold"] == "1" and query["ProductCode"] == "eKYC_PRO" and query["DocType"] == "GLB03002"
    assert query["CallbackUrl"].startswith("https://other.example/cb?ekyc_biz=")
    for bad in ({"lower": "x"}, {"IdSpoof": True}, {"CallbackUrl": "http://insecure.example/cb"}):
        with pytest.raises(InvalidRequest):
            provider().check_request(contract_request(provider_options={"alibaba": bad}))


def test_no_callback_without_setting() -> None:
    query, _, _ = built(provider(callback_url=None))
    assert "CallbackUrl" not in query and "CallbackToken" not in query


def test_settings_validation_and_env() -> None:
    for bad, field in (({"region": "us-east-1"}, "region"),
                       ({"callback_url": "http://app.example/cb"}, "callback_url")):
        with pytest.raises(ConfigurationError) as err:
            Settings.load({"providers": {"alibaba": {"access_key_id": "a", "access_key_secret": "b", **bad}}})
        assert err.value.field == f"providers.alibaba.{field}"
    p = provider(region="cn-hongkong")
    assert p.build_result(SessionRef(provider="alibaba", id="t", extra=("b",))).request.url.host == \
        "cloudauth-intl.cn-hongkong.aliyuncs.com"
    s = Settings.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK1", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK1",
                           "EKYC_ALIBABA_REGION": "ap-southeast-5"})
    ps = s.provider_settings("alibaba")
    assert isinstance(ps, AlibabaSettings) and ps.secret("access_key_id") == "AK1"
    assert "SK1" not in repr(ps) and ps.region == "ap-southeast-5"
    with pytest.raises(ConfigurationError) as exc:
        Settings.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK1"})
    assert exc.value.field == "providers.alibaba.access_key_secret"


def test_security_token_headers() -> None:
    p = provider(security_token="sts-token")
    req = p.build_result(SessionRef(provider="alibaba", id="t", extra=("b",))).request
    assert req.headers["x-acs-security-token"] == "sts-token" and req.headers["x-acs-accesskey-id"] == "AKID"
    assert "x-acs-security-token" in req.headers["authorization"]


def test_build_result_needs_the_biz_id() -> None:
    with pytest.raises(InvalidRequest) as exc:
        provider().build_result(SessionRef(provider="alibaba", id="t"))
    assert exc.value.field == "ref"


# -- return URL -------------------------------------------------------------------------------------------


def test_parse_return_url() -> None:
    p = provider()
    ref = p.parse_return_url("https://app.example/back?ekyc_biz=abc123&transactionId=tx_1&passed=Y")
    assert ref == SessionRef(provider="alibaba", id="tx_1", extra=("abc123",))
    with pytest.raises(WebhookVerificationError) as exc:
        p.parse_return_url("https://app.example/back?ekyc_biz=abc123")
    assert "stored" in str(exc.value)
    for bad in ("https://app.example/back?transactionId=t", "https://app.example/back?ekyc_biz=a&ekyc_biz=b&"
                "transactionId=t", "https://app.example/back?ekyc_biz=a&transactionId=bad%20id", "::::"):
        with pytest.raises(WebhookVerificationError):
            p.parse_return_url(bad)


# -- callback ---------------------------------------------------------------------------------------------


def test_callback_query_and_full_url() -> None:
    p = provider()
    token = callback_token(b"cbsecret", "biz1")
    qs = f"ekyc_biz=biz1&transactionId=tx1&passed=Y&subCode=200&callbackToken={token}"
    for body in (qs.encode(), f"https://app.example/cb?{qs}".encode()):
        event = p.parse_webhook(body, {})
        assert event.ref == SessionRef(provider="alibaba", id="tx1", extra=("biz1",))
        assert event.decision is None and event.authenticated == "token"
        assert event.provider_status == "passed=Y,subCode=200"


@pytest.mark.parametrize("body", [
    b"ekyc_biz=biz1&transactionId=tx1&passed=Y&subCode=200&callbackToken=00000000000000000000000000000000",
    b"ekyc_biz=biz2&transactionId=tx1&passed=Y&subCode=200&callbackToken=TOKEN",
    b"ekyc_biz=biz1&transactionId=tx1&passed=Y",
    b"transactionId=tx1&callbackToken=TOKEN",
    b"ekyc_biz=biz1&ekyc_biz=biz1&transactionId=tx1&callbackToken=TOKEN",
    b"\xff\xfe",
    b"",
])
def test_callback_rejected(body: bytes) -> None:
    token = callback_token(b"cbsecret", "biz1").encode()
    with pytest.raises(WebhookVerificationError):
        provider().parse_webhook(body.replace(b"TOKEN", token), {})


def test_callback_key_derived_from_access_key_secret() -> None:
    p = provider(callback_secret=None)
    query, _, _ = built(p)
    biz, token = query["MerchantBizId"], query["CallbackToken"]
    event = p.parse_webhook(f"ekyc_biz={biz}&transactionId=t1&callbackToken={token}".encode(), {})
    assert event.ref.extra == (biz,)
    with pytest.raises(WebhookVerificationError):
        provider(callback_secret=None, access_key_secret="rotated").parse_webhook(
            f"ekyc_biz={biz}&transactionId=t1&callbackToken={token}".encode(), {})


def test_sandbox_meta_info_is_for_the_sandbox_only() -> None:
    from ekyc.providers.alibaba.adapter import SANDBOX_META_INFO

    with pytest.raises(ConfigurationError) as exc:
        provider(sandbox_meta_info=True)  # no endpoint: the real service
    assert "sandbox_meta_info" in str(exc.value)
    query, _, _ = built(provider(sandbox_meta_info=True, endpoint="https://sandbox.example.com"), client_metadata=None)
    assert query["MetaInfo"] == SANDBOX_META_INFO
    browser = '{"deviceType":"web","ua":"x"}'  # the browser's own MetaInfo always wins
    sandboxed = provider(sandbox_meta_info=True, endpoint="https://sandbox.example.com")
    query, _, _ = built(sandboxed, client_metadata=browser)
    assert query["MetaInfo"] == browser
