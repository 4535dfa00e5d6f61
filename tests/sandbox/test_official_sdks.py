"""With the sandbox served, the official Tencent and Alibaba SDKs (unmodified) and a plain `requests` script
written from Didit's quick-start complete create → hosted page over HTTP → result against it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from ekyc.cli.serve import serve_in_thread
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import META_INFO

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    with serve_in_thread() as sandbox:
        yield sandbox


def complete_over_http(url: str, scenario: str) -> str:
    """What a user's browser does: open the page, pick a scenario, submit; returns the redirect target."""
    assert requests.get(url, timeout=10).status_code == 200
    done = requests.post(url, data={"scenario": scenario}, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    return done.headers["location"]


def test_tencent_official_sdk(served: Sandbox) -> None:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.faceid.v20180301 import faceid_client, models

    cfg = served.client_settings("tencent")
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=served.base_url.removeprefix("http://"), protocol="http"))
    sdk = faceid_client.FaceidClient(credential.Credential(cfg["secret_id"], cfg["secret_key"]), cfg["region"], profile)
    apply = models.ApplyWebVerificationBizTokenIntlRequest()
    apply.from_json_string(json.dumps({"RedirectURL": "https://app.example/back", "Extra": "sdk-user",
                                       "Config": {"CheckMode": 1, "IDCardType": "InternationalIDPassport"}}))
    token = sdk.ApplyWebVerificationBizTokenIntl(apply)
    redirect = complete_over_http(token.VerificationURL, "face_mismatch")
    assert redirect.startswith("https://app.example/back?token=")
    req = models.GetWebVerificationResultIntlRequest()
    req.BizToken = token.BizToken
    result = sdk.GetWebVerificationResultIntl(req)
    with served.client() as kyc:  # the library reads the same session the same way
        decision = kyc.get_result(kyc.parse_return_url(redirect, "tencent"))
    assert str(result.ErrorCode) == decision.provider_status
    assert decision.reason_codes and decision.reason_codes[0].value == "FACE_MISMATCH"


def test_alibaba_official_sdk(served: Sandbox) -> None:
    from alibabacloud_cloudauth_intl20220809 import models
    from alibabacloud_cloudauth_intl20220809.client import Client as AliClient
    from alibabacloud_tea_openapi.models import Config

    cfg = served.client_settings("alibaba")
    sdk = AliClient(Config(access_key_id=cfg["access_key_id"], access_key_secret=cfg["access_key_secret"],
                           endpoint=served.base_url.removeprefix("http://"), protocol="http"))
    # the served sandbox is a Singapore endpoint: the global plan, through InitializeV2 (eKYC is Hong Kong only)
    init = sdk.initialize_v2(models.InitializeV2Request(
        product_code="eKYC_PRO", merchant_biz_id="sdkbiz0001", merchant_user_id="sdk-user", meta_info=META_INFO,
        doc_type="GLB03002", return_url="https://app.example/back"))
    assert init.body.code == "Success"
    tx = init.body.result.transaction_id
    complete_over_http(init.body.result.transaction_url, "approved")
    result = sdk.check_result(models.CheckResultRequest(merchant_biz_id="sdkbiz0001", transaction_id=tx))
    assert result.body.result.passed == "Y"
    with served.client() as kyc:
        decision = kyc.get_result(f"alibaba:{tx}:sdkbiz0001")
    assert decision.approved and decision.provider_status is not None


def test_didit_quickstart_with_requests(served: Sandbox) -> None:
    cfg = served.client_settings("didit")
    base = served.base_url  # was https://verification.didit.me
    headers = {"x-api-key": cfg["api_key"], "Content-Type": "application/json"}
    created = requests.post(f"{base}/v3/session/", headers=headers, timeout=10, json={
        "workflow_id": cfg["workflow_id"], "vendor_data": "quickstart-user", "callback": "https://app.example/back"})
    assert created.status_code == 201
    session = created.json()
    redirect = complete_over_http(session["url"], "approved")
    assert f"verificationSessionId={session['session_id']}" in redirect
    decision = requests.get(f"{base}/v3/session/{session['session_id']}/decision/", headers=headers, timeout=10)
    assert decision.status_code == 200 and decision.json()["status"] == "Approved"
