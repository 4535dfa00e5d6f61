"""The emulator on the wire: signature checks, validation, single-use page, retention, faults."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ekyc import Client
from ekyc.errors import AuthenticationError, RateLimited, SessionNotFound
from ekyc.models import Outcome, SessionRef
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.emulator import AlibabaEmulator
from ekyc.providers.alibaba.signing import sign_headers
from ekyc.sandbox import Sandbox

from .conftest import contract_request


def adapter(sandbox: Sandbox, clock: Any = None, **overrides: Any) -> AlibabaProvider:
    settings = {**sandbox.client_settings("alibaba"), **overrides}
    return AlibabaProvider(AlibabaSettings(**settings), clock=clock or sandbox.clock.now)


def send(sandbox: Sandbox, request: httpx.Request) -> httpx.Response:
    with httpx.Client(transport=sandbox.transport()) as http:
        return http.send(request)


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    return str(body["Code"])


def create(sandbox: Sandbox, **kw: Any) -> httpx.Request:
    p = adapter(sandbox, **kw)
    return p.build_create(contract_request()).request


def test_success_shape(sandbox: Sandbox) -> None:
    r = send(sandbox, create(sandbox))
    body = r.json()
    assert r.status_code == 200 and body["Code"] == "Success" and body["Message"] == "success"
    assert set(body["Result"]) == {"TransactionId", "TransactionUrl", "Protocol", "ClientCfg"}
    assert body["Result"]["TransactionUrl"].startswith("http://sandbox.ekyc.invalid/alibaba/verify/")


def test_wrong_secret(sandbox: Sandbox) -> None:
    r = send(sandbox, create(sandbox, access_key_secret="wrong"))
    assert (r.status_code, code_of(r)) == (400, "SignatureDoesNotMatch")


def test_unknown_key(sandbox: Sandbox) -> None:
    r = send(sandbox, create(sandbox, access_key_id="LTAI-nobody"))
    assert (r.status_code, code_of(r)) == (404, "InvalidAccessKeyId.NotFound")


def test_clock_skew(sandbox: Sandbox) -> None:
    late = create(sandbox, clock=lambda: sandbox.clock.now() - 16 * 60)
    assert code_of(send(sandbox, late)) == "InvalidTimeStamp.Expired"
    fine = create(sandbox, clock=lambda: sandbox.clock.now() - 14 * 60)
    assert send(sandbox, fine).status_code == 200


def test_nonce_reuse(sandbox: Sandbox) -> None:
    req = create(sandbox)
    assert send(sandbox, req).status_code == 200
    again = httpx.Request(req.method, req.url, headers=req.headers, content=req.content)
    assert code_of(send(sandbox, again)) == "SignatureNonceUsed"


def hong_kong(sandbox: Sandbox) -> AlibabaProvider:
    """An adapter for the Hong Kong endpoint: its host names the region the emulator answers as."""
    return adapter(sandbox, region="cn-hongkong", endpoint="https://cloudauth-intl.cn-hongkong.aliyuncs.com")


def test_body_must_match_its_hash(sandbox: Sandbox) -> None:
    p = hong_kong(sandbox)
    req = p.build_create(contract_request(checks={"liveness", "face_match"}, document_types=(),
                                          reference_image="QUJD")).request
    tampered = httpx.Request(req.method, req.url, headers=req.headers, content=b"FacePictureBase64=REVG")
    r = send(sandbox, tampered)
    assert code_of(r) == "SignatureDoesNotMatch" and "x-acs-content-sha256" in r.json()["Message"]
    assert send(sandbox, httpx.Request(req.method, req.url, headers=req.headers, content=req.content)
                ).status_code == 200


def test_only_signed_headers_are_checked(sandbox: Sandbox) -> None:
    req = create(sandbox)
    headers = dict(req.headers)
    headers["x-unsigned-extra"] = "anything"
    assert send(sandbox, httpx.Request("POST", req.url, headers=headers, content=req.content)).status_code == 200
    req2 = create(sandbox)
    headers2 = dict(req2.headers)
    headers2["accept"] = "text/html"  # signed: changing it breaks the signature
    r = send(sandbox, httpx.Request("POST", req2.url, headers=headers2, content=req2.content))
    assert code_of(r) == "SignatureDoesNotMatch"


def test_query_and_body_tampering_detected(sandbox: Sandbox) -> None:
    req = create(sandbox)
    url = str(req.url) + "?ProductCode=ID_OCR"  # an unsigned query parameter
    r = send(sandbox, httpx.Request("POST", url, headers=req.headers, content=req.content))
    assert code_of(r) == "SignatureDoesNotMatch"
    body = req.content.replace(b"ProductCode=eKYC", b"ProductCode=ID_OCR")
    assert body != req.content
    assert code_of(send(sandbox, httpx.Request("POST", req.url, headers=req.headers, content=body))) == \
        "SignatureDoesNotMatch"


def test_missing_signature_parts(sandbox: Sandbox) -> None:
    req = create(sandbox)
    headers = {k: v for k, v in req.headers.items() if k != "authorization"}
    assert code_of(send(sandbox, httpx.Request("POST", req.url, headers=headers))) == "IncompleteSignature"
    # a signature that leaves x-acs-date unsigned is incomplete
    base = "http://sandbox.ekyc.invalid/"
    signed = sign_headers(method="POST", path="/", query={}, headers={"host": "sandbox.ekyc.invalid"}, body=b"",
                          access_key_id="LTAI5tEkycSandbox00000001",
                          access_key_secret="ekyc-sandbox-alibaba-access-key-secret", action="CheckResult",
                          version="2022-08-09", now=sandbox.clock.now())
    auth = signed["authorization"].replace("x-acs-date;", "")
    assert code_of(send(sandbox, httpx.Request("POST", base, headers={**signed, "authorization": auth}))) == \
        "IncompleteSignature"


def test_v2_and_unknown_actions(sandbox: Sandbox) -> None:
    r = send(sandbox, httpx.Request("POST", "http://sandbox.ekyc.invalid/?Action=CheckResult&Version=2022-08-09"))
    assert code_of(r) == "IncompleteSignature"
    p = adapter(sandbox)
    prepared = p._prepare("DescribeNothing", {}, p.build_result(SessionRef(
        provider="alibaba", id="t", extra=("b",))).retry, {})
    assert code_of(send(sandbox, prepared.request)) == "InvalidApi.NotFound"


@pytest.mark.parametrize(("drop", "code"), [("MetaInfo", "MissingParameter"), ("DocType", "MissingParameter")])
def test_initialize_validation(sandbox: Sandbox, drop: str, code: str) -> None:
    p = hong_kong(sandbox)
    query = {"ProductCode": "eKYC", "MerchantBizId": "b1", "MerchantUserId": "u", "MetaInfo": "{}",
             "DocType": "01000000"}
    query.pop(drop)
    r = send(sandbox, p._prepare("Initialize", query, p.build_result(SessionRef(
        provider="alibaba", id="t", extra=("b",))).retry, {}).request)
    assert (r.status_code, code_of(r)) == (400, code) and drop in r.json()["Message"]


@pytest.mark.parametrize(("name", "value"), [("MerchantBizId", "x" * 33), ("MetaInfo", "not json"),
                                             ("ProductCode", "NOPE"), ("CallbackUrl", "http://insecure/cb"),
                                             ("DocType", "PASSPORT")])
def test_initialize_invalid(sandbox: Sandbox, name: str, value: str) -> None:
    p = hong_kong(sandbox)
    query = {"ProductCode": "eKYC", "MerchantBizId": "b1", "MerchantUserId": "u", "MetaInfo": "{}",
             "DocType": "01000000", name: value}
    r = send(sandbox, p._prepare("Initialize", query, p.build_result(SessionRef(
        provider="alibaba", id="t", extra=("b",))).retry, {}).request)
    assert code_of(r) == "InvalidParameter"


def test_single_use_page(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request())
    with httpx.Client(transport=sandbox.transport()) as http:
        first = http.get(session.url)
        second = http.get(session.url)
        assert first.status_code == 200 and 'id="scenario-form"' in first.text
        assert second.status_code == 200 and 'id="closed"' in second.text and "already been used" in second.text
        done = http.post(session.url, data={"scenario": "approved"})
        assert done.status_code == 303
        assert http.post(session.url, data={"scenario": "approved"}).status_code == 200
        assert http.get("http://sandbox.ekyc.invalid/alibaba/verify/unknown").status_code == 404
    assert client.get_result(session.ref).approved


def test_check_result_checks_the_pair_and_retention(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request())
    with pytest.raises(SessionNotFound):
        client.get_result(SessionRef(provider="alibaba", id=session.ref.id, extra=("otherbiz",)))
    sandbox.complete(session, "approved")
    sandbox.clock.advance(29 * 24 * 3600)
    assert client.get_result(session.ref).approved
    sandbox.clock.advance(2 * 24 * 3600)
    with pytest.raises(SessionNotFound) as exc:
        client.get_result(session.ref)
    assert exc.value.provider_code == "TransactionIdInvalid"


def test_abandoned_flow_stays_pending(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request())
    with httpx.Client(transport=sandbox.transport()) as http:
        http.get(session.url)
        r = http.post(session.url, data={"code": "ProcessNotCompleted", "kind": "api_error"})
    assert r.status_code == 303
    assert client.get_result(session.ref).outcome is Outcome.PENDING
    assert sandbox.deliveries("alibaba") == []


def test_throttling_fault_is_retried_for_create(sandbox: Sandbox) -> None:
    sandbox.set_fault("alibaba", "429", times=1)
    waits: list[float] = []
    with sandbox.client(sleep=waits.append) as client:
        session = client.create_session(contract_request())
    assert session.ref.provider == "alibaba" and waits == [1.0]


def test_persistent_throttling_raises(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_fault("alibaba", "429")
    with pytest.raises(RateLimited) as exc:
        client.get_result(SessionRef(provider="alibaba", id="t", extra=("b",)))
    assert exc.value.retry_after == 1.0 and exc.value.provider_code == "Throttling.Api"
    sandbox.clear_faults()


def test_client_with_wrong_secret(sandbox: Sandbox) -> None:
    with sandbox.client({"providers": {"alibaba": {"access_key_secret": "nope"}}}) as c, \
            pytest.raises(AuthenticationError) as exc:
        c.create_session(contract_request())
    assert exc.value.provider_code == "SignatureDoesNotMatch"


def test_claims_and_hints(sandbox: Sandbox) -> None:
    emu = sandbox.emulators["alibaba"]
    assert isinstance(emu, AlibabaEmulator)
    assert emu.claims("POST", "/", {"x-acs-action": "Initialize"})
    assert emu.claims("GET", "/", {}, "Action=CheckResult&Version=2022-08-09")
    assert not emu.claims("POST", "/", {}, "foo=bar")
    assert emu.claims("GET", "/alibaba/verify/x", {})
    hints = emu.sdk_hints("http://127.0.0.1:8123")
    assert 'endpoint="127.0.0.1:8123"' in hints["config"] and 'protocol="http"' in hints["config"]
    settings = emu.client_settings("http://127.0.0.1:8123")
    assert settings["endpoint"] == "http://127.0.0.1:8123" and settings["callback_url"].startswith("https://")


def _initialize(sandbox: Sandbox, p: AlibabaProvider, action: str, **params: str) -> httpx.Response:
    query = {"MerchantBizId": "b1", "MerchantUserId": "u", "MetaInfo": "{}", **params}
    return send(sandbox, p._prepare(action, query, p.build_result(SessionRef(
        provider="alibaba", id="t", extra=("b",))).retry, {}).request)


@pytest.mark.parametrize(("region", "product", "doc_type", "ok"), [
    ("ap-southeast-1", "eKYC_PRO", "GLB03002", True),
    ("ap-southeast-1", "eKYC", "01000000", False),  # Hong Kong only
    ("ap-southeast-1", "FACE_VERIFY", None, False),
    ("ap-southeast-1", "ID_OCR", "01000000", False),
    ("ap-southeast-1", "FACE_LIVENESS_PRO", None, True),
    ("ap-southeast-3", "FACE_LIVENESS_PRO", None, False),  # not documented for Kuala Lumpur
    ("ap-southeast-1", "ID_OCR_MAX", "GLB03002", False),  # a server-side API, no hosted page
    ("cn-hongkong", "eKYC", "01000000", True),
    ("cn-hongkong", "eKYC_PRO", "HKG01002", True),
])
def test_plans_are_refused_outside_their_regions(sandbox: Sandbox, region: str, product: str,
                                                 doc_type: str | None, ok: bool) -> None:
    p = adapter(sandbox, region=region, endpoint=f"https://cloudauth-intl.{region}.aliyuncs.com")
    params = {"ProductCode": product, **({"DocType": doc_type} if doc_type else {})}
    for action in ("Initialize", "InitializeV2"):
        r = _initialize(sandbox, p, action, **params)
        if ok:
            assert r.status_code == 200, r.text
        else:
            assert (r.status_code, code_of(r)) == (400, "InvalidParameter") and "ProductCode" in r.json()["Message"]


def test_the_served_address_answers_as_singapore_unless_set(sandbox: Sandbox) -> None:
    p = adapter(sandbox)  # the sandbox's own address names no region
    assert _initialize(sandbox, p, "InitializeV2", ProductCode="eKYC_PRO", DocType="GLB03002").status_code == 200
    assert code_of(_initialize(sandbox, p, "Initialize", ProductCode="eKYC", DocType="01000000")) == \
        "InvalidParameter"
    sandbox.emulators["alibaba"].region = "cn-hongkong"
    assert _initialize(sandbox, p, "Initialize", ProductCode="eKYC", DocType="01000000").status_code == 200


@pytest.mark.parametrize(("region", "product", "doc_type"), [
    ("ap-southeast-1", "eKYC_PRO", "01000000"),  # an 8-digit code to a global plan
    ("cn-hongkong", "eKYC", "GLB03002"),  # a global code to an 8-digit plan
    ("ap-southeast-1", "eKYC_PRO", "HKG02001"),  # no face photo on a Hong Kong driving licence
    ("ap-southeast-5", "eKYC_PRO", "SGP01001"),  # Jakarta reads IDN01001 and GLB03002 only
    ("ap-southeast-3", "eKYC_PRO", "IDN01001"),  # Kuala Lumpur reads MYS01001 and GLB03002 only
])
def test_doc_types_outside_the_plan_are_refused(sandbox: Sandbox, region: str, product: str, doc_type: str) -> None:
    p = adapter(sandbox, region=region, endpoint=f"https://cloudauth-intl.{region}.aliyuncs.com")
    r = _initialize(sandbox, p, "InitializeV2", ProductCode=product, DocType=doc_type)
    assert (r.status_code, code_of(r)) == (400, "InvalidParameter") and "DocType" in r.json()["Message"]


def test_check_result_options(client: Client, sandbox: Sandbox) -> None:
    opts = {"IsReturnImage": "Y", "ReturnFiveCategorySpoofResult": "Y", "ExtraImageControlList": "CROPPED_FACE"}
    session = client.create_session(contract_request(provider_options={"alibaba": opts}))
    assert len(session.ref.extra) == 2
    sandbox.complete(session, "approved")
    assert client.get_result(session.ref.serialize()).approved
    p = adapter(sandbox)
    bad = SessionRef(provider="alibaba", id=session.ref.id, extra=(session.ref.extra[0], "IsReturnImage=maybe"))
    r = send(sandbox, p.build_result(bad).request)
    assert (r.status_code, code_of(r)) == (400, "InvalidParameter") and "IsReturnImage" in r.json()["Message"]


def test_meta_info_script(sandbox: Sandbox) -> None:
    from ekyc.providers.alibaba.adapter import SANDBOX_META_INFO

    with httpx.Client(transport=sandbox.transport()) as http:
        r = http.get(sandbox.client_settings("alibaba")["meta_info_script"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert "window.getMetaInfo" in r.text and json.dumps(SANDBOX_META_INFO) in r.text
