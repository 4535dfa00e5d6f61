"""The official SDK, unmodified, runs the global-product flow against the served sandbox as Singapore
(``ap-southeast-1``): ``InitializeV2`` (eKYC_PRO, FACE_LIVENESS_PRO) → the hosted page → ``CheckResult`` with its
options; a Hong Kong-only plan is refused there the way the emulator refuses any illegal parameter."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ekyc import Client
from ekyc.models import Outcome, SessionRef
from ekyc.providers.alibaba.adapter import SANDBOX_META_INFO
from ekyc.providers.alibaba.emulator import SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET
from ekyc.sandbox import Sandbox

pytestmark = pytest.mark.oracle
sdk_client = pytest.importorskip("alibabacloud_cloudauth_intl20220809.client")
from alibabacloud_cloudauth_intl20220809 import models as sdk_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import ClientException  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402


@pytest.fixture
def sdk(served: Sandbox) -> object:
    """The SDK configured for Singapore, its endpoint pointed at the served sandbox."""
    assert served.emulators["alibaba"].region == "ap-southeast-1"
    return sdk_client.Client(Config(region_id="ap-southeast-1", endpoint=urlsplit(served.base_url).netloc,
                                    protocol="http", access_key_id=SANDBOX_ACCESS_KEY_ID,
                                    access_key_secret=SANDBOX_ACCESS_KEY_SECRET))


@pytest.fixture
def ekyc_client(served: Sandbox) -> Iterator[Client]:
    with Client({"providers": {"alibaba": served.client_settings("alibaba")}}) as c:
        yield c


def test_global_product_flow(served: Sandbox, sdk: object, ekyc_client: Client) -> None:
    biz = secrets.token_hex(16)
    resp = sdk.initialize_v2(sdk_models.InitializeV2Request(  # type: ignore[attr-defined]
        product_code="eKYC_PRO", merchant_biz_id=biz, merchant_user_id="u1", meta_info=SANDBOX_META_INFO,
        doc_type="GLB03002", return_url="https://app.example/back", language_config='{"defaultLanguage":"en"}',
        callback_url="https://app.example/cb", callback_token="tok1"))
    assert resp.status_code == 200 and resp.body.code == "Success"
    tid, url = resp.body.result.transaction_id, resp.body.result.transaction_url
    with pytest.raises(ClientException) as pending:
        sdk.check_result(sdk_models.CheckResultRequest(merchant_biz_id=biz, transaction_id=tid))  # type: ignore[attr-defined]
    assert (pending.value.code, pending.value.status_code) == ("ProcessNotCompleted", 404)

    served.complete(url, "approved")
    res = sdk.check_result(sdk_models.CheckResultRequest(  # type: ignore[attr-defined]
        merchant_biz_id=biz, transaction_id=tid, is_return_image="N", return_five_category_spoof_result="Y",
        extra_image_control_list="CROPPED_FACE"))
    assert (res.body.code, res.body.result.passed, res.body.result.sub_code) == ("Success", "Y", "200")
    assert json.loads(res.body.result.ext_id_info)["ocrIdPassed"] == "Y"
    # the same session read by ekyc over real loopback HTTP
    assert ekyc_client.get_result(SessionRef(provider="alibaba", id=tid, extra=(biz,))).outcome is Outcome.APPROVED


def test_global_liveness(served: Sandbox, sdk: object) -> None:
    resp = sdk.initialize_v2(sdk_models.InitializeV2Request(  # type: ignore[attr-defined]
        product_code="FACE_LIVENESS_PRO", merchant_biz_id="livebiz1", merchant_user_id="u1",
        meta_info=SANDBOX_META_INFO, return_url="https://app.example/back"))
    served.complete(resp.body.result.transaction_url, "liveness_spoof")
    res = sdk.check_result(sdk_models.CheckResultRequest(  # type: ignore[attr-defined]
        merchant_biz_id="livebiz1", transaction_id=resp.body.result.transaction_id))
    assert res.body.result.passed == "N" and res.body.result.ext_id_info is None


@pytest.mark.parametrize("call", ["initialize", "initialize_v2"])
def test_hong_kong_only_product_is_refused_in_singapore(sdk: object, call: str) -> None:
    model = sdk_models.InitializeRequest if call == "initialize" else sdk_models.InitializeV2Request
    with pytest.raises(ClientException) as exc:
        getattr(sdk, call)(model(product_code="eKYC", merchant_biz_id="hkbiz1", merchant_user_id="u1",
                                 meta_info=SANDBOX_META_INFO, doc_type="01000000"))
    assert (exc.value.code, exc.value.status_code) == ("InvalidParameter", 400)
    assert "ProductCode" in exc.value.message


def test_doc_type_outside_the_product_is_refused(sdk: object) -> None:
    with pytest.raises(ClientException) as exc:
        sdk.initialize_v2(sdk_models.InitializeV2Request(  # type: ignore[attr-defined]
            product_code="eKYC_PRO", merchant_biz_id="docbiz1", merchant_user_id="u1",
            meta_info=SANDBOX_META_INFO, doc_type="01000000"))
    assert (exc.value.code, exc.value.status_code) == ("InvalidParameter", 400) and "DocType" in exc.value.message


def test_ekyc_neutral_request_over_loopback(served: Sandbox, ekyc_client: Client) -> None:
    """The README's neutral request, no client_metadata: the sandbox settings supply the MetaInfo."""
    session = ekyc_client.create_session(reference="user-42", return_url="https://app.example/kyc/done",
                                         checks={"document", "liveness", "face_match"})
    served.complete(session, "approved")
    decision = ekyc_client.get_result(session.ref.serialize())
    assert decision.outcome is Outcome.APPROVED and decision.reference == "user-42"
