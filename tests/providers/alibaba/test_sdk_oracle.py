"""The official SDK, unmodified, against the emulator served on loopback with signature checking on.

The served emulator answers as Singapore unless a test asks for Hong Kong (``hong_kong``): eKYC and FACE_VERIFY
are Hong Kong-only plans (products.py); the global plans are in test_sdk_global.py."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ekyc import AsyncClient, Client
from ekyc.models import Outcome
from ekyc.providers.alibaba.emulator import SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET
from ekyc.sandbox import Sandbox
from ekyc.testing import BROWSER_META_INFO

from .conftest import contract_request

pytestmark = pytest.mark.oracle
sdk_client = pytest.importorskip("alibabacloud_cloudauth_intl20220809.client")
from alibabacloud_cloudauth_intl20220809 import models as sdk_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402


def make_sdk(sb: Sandbox, secret: str = SANDBOX_ACCESS_KEY_SECRET, ak: str = SANDBOX_ACCESS_KEY_ID) -> object:
    netloc = urlsplit(sb.base_url).netloc
    return sdk_client.Client(Config(endpoint=netloc, protocol="http", access_key_id=ak, access_key_secret=secret))


@pytest.fixture
def hong_kong(served: Sandbox) -> Iterator[Sandbox]:
    """The served emulator answering as the Hong Kong endpoint (``cn-hongkong``) for one test."""
    emulator = served.emulators["alibaba"]
    emulator.region = "cn-hongkong"
    try:
        yield served
    finally:
        emulator.region = "ap-southeast-1"


@pytest.fixture
def ekyc_client(served: Sandbox) -> Iterator[Client]:
    """An ekyc client configured (not sandbox-bound) with the served emulator's settings: real loopback HTTP."""
    with Client({"providers": {"alibaba": served.client_settings("alibaba")}}) as c:
        yield c


def _initialize(sdk: object, **extra: str) -> object:
    req = sdk_models.InitializeRequest(product_code="eKYC", merchant_biz_id=secrets.token_hex(8),
                                       merchant_user_id="u1", meta_info=BROWSER_META_INFO, doc_type="01000000",
                                       return_url="https://app.example/back", **extra)
    return sdk.initialize(req)  # type: ignore[attr-defined]


def test_sdk_initialize_and_check_result(hong_kong: Sandbox, served: Sandbox, ekyc_client: Client) -> None:
    sdk = make_sdk(served)
    biz = secrets.token_hex(8)
    resp = sdk.initialize(sdk_models.InitializeRequest(  # type: ignore[attr-defined]
        product_code="eKYC", merchant_biz_id=biz, merchant_user_id="u 1+é", meta_info=BROWSER_META_INFO,
        doc_type="01000000", return_url="https://app.example/back?x=1 2", language_config="en",
        callback_url="https://app.example/cb", callback_token="tok~1"))
    assert resp.status_code == 200 and resp.body.code == "Success"
    tid, url = resp.body.result.transaction_id, resp.body.result.transaction_url
    assert len(tid) == 32 and url.startswith(served.base_url)

    with pytest.raises(ClientException) as pending:
        sdk.check_result(sdk_models.CheckResultRequest(merchant_biz_id=biz, transaction_id=tid))  # type: ignore[attr-defined]
    assert pending.value.code == "ProcessNotCompleted" and pending.value.status_code == 404

    back = served.complete(url, "face_mismatch")
    assert urlsplit(back).query.endswith(f"transactionId={tid}")
    res = sdk.check_result(sdk_models.CheckResultRequest(merchant_biz_id=biz, transaction_id=tid))  # type: ignore[attr-defined]
    assert res.body.code == "Success"
    assert (res.body.result.passed, res.body.result.sub_code) == ("N", "204")
    face = json.loads(res.body.result.ext_face_info)
    assert face["facePassed"] == "N"

    # what the adapter reports for the same session (real loopback HTTP from an ekyc client)
    from ekyc.models import SessionRef

    decision = ekyc_client.get_result(SessionRef(provider="alibaba", id=tid, extra=(biz,)))
    assert decision.outcome is Outcome.DECLINED
    assert decision.checks.face_match.passed is False


def test_sdk_reads_a_session_the_adapter_created(served: Sandbox, ekyc_client: Client) -> None:
    session = ekyc_client.create_session(contract_request())
    served.complete(session, "approved")
    res = make_sdk(served).check_result(sdk_models.CheckResultRequest(  # type: ignore[attr-defined]
        merchant_biz_id=session.ref.extra[0], transaction_id=session.ref.id))
    assert (res.body.result.passed, res.body.result.sub_code) == ("Y", "200")
    info = json.loads(res.body.result.ext_id_info)["ocrIdInfo"]
    decision = ekyc_client.get_result(session.ref)
    assert decision.approved
    assert decision.identity.document_number == info["passportNo"]


def test_sdk_face_verify_with_form_body(hong_kong: Sandbox, served: Sandbox) -> None:
    picture = base64.b64encode(b"\xff\xd8fake-jpeg+/=").decode()
    resp = make_sdk(served).initialize(sdk_models.InitializeRequest(  # type: ignore[attr-defined]
        product_code="FACE_VERIFY", merchant_biz_id="b1", merchant_user_id="u1", meta_info=BROWSER_META_INFO,
        face_picture_base_64=picture))
    assert resp.body.code == "Success"


def test_sdk_data_duplication(hong_kong: Sandbox, served: Sandbox) -> None:
    with pytest.raises(ClientException) as exc:
        make_sdk(served).initialize(sdk_models.InitializeRequest(  # type: ignore[attr-defined]
            product_code="FACE_VERIFY", merchant_biz_id="b1", merchant_user_id="u1", meta_info=BROWSER_META_INFO,
            face_picture_base_64="AAAA", face_picture_url="https://img.example/f.jpg"))
    assert exc.value.code == "DataDuplication" and exc.value.status_code == 401


def test_sdk_wrong_secret_is_signature_does_not_match(hong_kong: Sandbox, served: Sandbox) -> None:
    with pytest.raises(ClientException) as exc:
        _initialize(make_sdk(served, secret="not-the-secret"))
    assert exc.value.code == "SignatureDoesNotMatch" and exc.value.status_code == 400


def test_sdk_unknown_key(hong_kong: Sandbox, served: Sandbox) -> None:
    with pytest.raises(ClientException) as exc:
        _initialize(make_sdk(served, ak="LTAI-unknown"))
    assert exc.value.code == "InvalidAccessKeyId.NotFound"


def test_sdk_missing_parameter(hong_kong: Sandbox, served: Sandbox) -> None:
    with pytest.raises(ClientException) as exc:
        make_sdk(served).initialize(sdk_models.InitializeRequest(  # type: ignore[attr-defined]
            product_code="eKYC", merchant_biz_id="b1", merchant_user_id="u1", meta_info=BROWSER_META_INFO))
    assert exc.value.code == "MissingParameter" and "DocType" in exc.value.message


def test_sdk_unknown_transaction(served: Sandbox) -> None:
    with pytest.raises(ClientException) as exc:
        make_sdk(served).check_result(sdk_models.CheckResultRequest(  # type: ignore[attr-defined]
            merchant_biz_id="b1", transaction_id="0" * 32))
    assert exc.value.code == "TransactionIdInvalid"


def test_sdk_throttling(hong_kong: Sandbox, served: Sandbox) -> None:
    served.set_fault("alibaba", "429", times=1)
    try:
        with pytest.raises(ThrottlingException) as exc:
            _initialize(make_sdk(served))
        assert exc.value.code == "Throttling.Api" and exc.value.retry_after == 1000
    finally:
        served.clear_faults()


async def test_sdk_async_check_result(hong_kong: Sandbox, served: Sandbox) -> None:
    sdk = make_sdk(served)
    resp = await sdk.initialize_async(sdk_models.InitializeRequest(  # type: ignore[attr-defined]
        product_code="eKYC", merchant_biz_id="asyncbiz", merchant_user_id="u1", meta_info=BROWSER_META_INFO,
        doc_type="01000000", return_url="https://app.example/back"))
    tid = resp.body.result.transaction_id
    served.complete(resp.body.result.transaction_url, "liveness_spoof")
    res = await sdk.check_result_async(sdk_models.CheckResultRequest(  # type: ignore[attr-defined]
        merchant_biz_id="asyncbiz", transaction_id=tid))
    assert (res.body.result.passed, res.body.result.sub_code) == ("N", "205")


async def test_ekyc_async_client_over_loopback(served: Sandbox) -> None:
    async with AsyncClient({"providers": {"alibaba": served.client_settings("alibaba")}}) as c:
        session = await c.create_session(contract_request())
        served.complete(session, "document_tampered")
        decision = await c.get_result(session.ref)
    assert decision.outcome is Outcome.DECLINED


def test_sdk_generic_call_with_every_parameter_in_the_form_body(hong_kong: Sandbox, served: Sandbox) -> None:
    """The official SDK's own generic RPC call (``call_api``, ``req_body_type='formData'``) with every parameter in
    the body and none in the query — the shape this library sends (and Alibaba's pop-core client sends for every
    POST) — is accepted, signed by the SDK, and reads back through the SDK's CheckResult model."""
    from alibabacloud_tea_openapi import utils_models
    from darabonba.runtime import RuntimeOptions

    sdk = make_sdk(served)
    biz = secrets.token_hex(8)

    def call(action: str, body: dict[str, str]) -> dict[str, object]:
        params = utils_models.Params(action=action, version="2022-08-09", protocol="HTTP", pathname="/",
                                     method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                     body_type="json")
        return sdk.call_api(params, utils_models.OpenApiRequest(body=body), RuntimeOptions())  # type: ignore[attr-defined,no-any-return]

    init = call("Initialize", {"ProductCode": "eKYC", "MerchantBizId": biz, "MerchantUserId": "u 1+é",
                               "MetaInfo": BROWSER_META_INFO, "DocType": "01000000",
                               "ReturnUrl": "https://app.example/back?x=1 2", "CallbackUrl": "https://app.example/cb",
                               "CallbackToken": "tok~1"})
    result = init["body"]["Result"]  # type: ignore[index]
    tid = result["TransactionId"]
    served.complete(result["TransactionUrl"], "approved")
    res = call("CheckResult", {"MerchantBizId": biz, "TransactionId": tid})
    body = sdk_models.CheckResultResponseBody().from_map(res["body"])
    assert (body.result.passed, body.result.sub_code) == ("Y", "200")
