"""The official SDK (tencentcloud-sdk-python-intl-en), unmodified, against the emulator served on loopback."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from ekyc import Client
from ekyc.errors import SessionNotFound
from ekyc.models import Outcome
from ekyc.providers.tencent.emulator import SANDBOX_SECRET_ID, SANDBOX_SECRET_KEY
from ekyc.sandbox import Sandbox

from .conftest import CONTRACT_REQUEST

pytestmark = pytest.mark.oracle
tc_common = pytest.importorskip("tencentcloud.common")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def sdk(served: Sandbox, secret_key: str = SANDBOX_SECRET_KEY) -> Any:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.faceid.v20180301 import faceid_client

    hints = served.emulators["tencent"].sdk_hints(served.base_url)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=hints["endpoint"], protocol=hints["protocol"]))
    return faceid_client.FaceidClient(credential.Credential(SANDBOX_SECRET_ID, secret_key), hints["region"],
                                      profile)


@pytest.fixture
def ekyc_client(served: Sandbox) -> Any:
    with served.client(transport=httpx.HTTPTransport(), sleep=lambda s: None) as client:
        yield client


def sdk_apply(served: Sandbox) -> Any:
    from tencentcloud.faceid.v20180301 import models

    req = models.ApplyWebVerificationBizTokenIntlRequest()
    req.RedirectURL = "https://app.example/kyc/return"
    req.Extra = "user-42"
    config = models.WebVerificationConfigIntl()
    config.CheckMode = 1
    config.IDCardType = "InternationalIDPassport"
    req.Config = config
    return sdk(served).ApplyWebVerificationBizTokenIntl(req)


def sdk_result(served: Sandbox, token: str) -> Any:
    from tencentcloud.faceid.v20180301 import models

    req = models.GetWebVerificationResultIntlRequest()
    req.BizToken = token
    return sdk(served).GetWebVerificationResultIntl(req)


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch", "liveness_spoof", "poor_capture",
                                      "retry_limit", "user_cancelled"])
def test_sdk_and_adapter_read_the_same_values(served: Sandbox, ekyc_client: Client, scenario: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        applied = sdk_apply(served)
        assert applied.BizToken and applied.VerificationURL.startswith(served.base_url)
        pending = sdk_result(served, applied.BizToken)
        assert pending.ErrorCode is None and pending.Extra == "user-42"
        back = served.complete(applied.VerificationURL, scenario)
        result = sdk_result(served, applied.BizToken)
    assert not [w for w in caught if "useless" in str(w.message) or "deprecated" in str(w.message)]

    decision = ekyc_client.get_result(ekyc_client.parse_return_url(back))
    assert decision.ref.id == applied.BizToken
    assert decision.provider_status == str(result.ErrorCode)
    details = result.VerificationDetailList or []
    assert len(decision.attempts) == len(details)
    for attempt, detail in zip(decision.attempts, details, strict=True):
        assert attempt.provider_code == str(detail.ErrorCode)
        assert attempt.liveness.passed is (detail.LivenessErrorCode == 0)
        assert attempt.face_match.score == detail.Similarity
        assert attempt.at is not None and int(attempt.at.timestamp() * 1000) == detail.ReqTimestamp
    if details:
        assert decision.checks.face_match.score == details[-1].Similarity
    if result.OCRResult:
        ocr = result.OCRResult[0]
        card = ocr.NormalCardInfo.InternationalIDPassport
        assert decision.identity.document_number == card.LicenseNumber
        assert decision.identity.full_name == card.FullName
        assert decision.identity.date_of_birth is not None
        assert decision.identity.date_of_birth.isoformat() == card.Birthday
        assert decision.checks.document.passed is (ocr.IsPass and not ocr.WarnCardInfos)
    assert (decision.outcome is Outcome.APPROVED) is (scenario == "approved")


def test_session_created_by_ekyc_is_read_by_the_sdk(served: Sandbox, ekyc_client: Client) -> None:
    session = ekyc_client.create_session(CONTRACT_REQUEST, provider="tencent")
    served.complete(session, "approved")
    result = sdk_result(served, session.ref.id)
    assert result.ErrorCode == 0 and result.Extra == CONTRACT_REQUEST.reference
    assert ekyc_client.get_result(session.ref).outcome is Outcome.APPROVED


def test_wrong_secret_raises_the_sdks_own_exception(served: Sandbox) -> None:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.faceid.v20180301 import models

    req = models.GetWebVerificationResultIntlRequest()
    req.BizToken = "X"
    with pytest.raises(TencentCloudSDKException) as info:
        sdk(served, secret_key="not-the-key").GetWebVerificationResultIntl(req)
    assert info.value.get_code() == "AuthFailure.SignatureFailure"
    assert info.value.get_request_id()


def test_unknown_token_error_envelope_is_parsed_by_both(served: Sandbox, ekyc_client: Client) -> None:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    with pytest.raises(TencentCloudSDKException) as info:
        sdk_result(served, "00000000-0000-0000-0000-000000000000")
    assert info.value.get_code() == "InvalidParameterValue.BizTokenIllegal"
    with pytest.raises(SessionNotFound):
        ekyc_client.get_result("tencent:00000000-0000-0000-0000-000000000000")


def test_sdk_sees_throttling_as_request_limit(served: Sandbox) -> None:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    served.set_fault("tencent", "429", times=1)
    with pytest.raises(TencentCloudSDKException) as info:
        sdk_result(served, "X")
    assert info.value.get_code() == "RequestLimitExceeded"


def test_the_sdk_sends_security_level_5_with_actions_and_is_refused_an_action_list_at_level_3(
        served: Sandbox) -> None:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.faceid.v20180301 import models

    def apply(level: int) -> Any:
        req = models.ApplyWebVerificationBizTokenIntlRequest()
        req.RedirectURL = "https://app.example/kyc/return"
        config = models.WebVerificationConfigIntl()
        config.CheckMode = 3
        config.SecurityLevel = level
        config.ActionList = "blink,mouth"
        req.Config = config
        return sdk(served).ApplyWebVerificationBizTokenIntl(req)

    assert apply(5).BizToken
    with pytest.raises(TencentCloudSDKException) as info:
        apply(3)
    assert info.value.get_code() == "InvalidParameterValue"
