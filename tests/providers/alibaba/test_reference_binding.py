"""The app's reference is bound into ``MerchantBizId`` (Alibaba's CheckResult echoes nothing of it): a stored ref
edited to another user's reference never reaches a decision."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.errors import SessionMismatch
from ekyc.models import Outcome, SessionRef
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.signing import binds, merchant_biz_id, reference_tag
from ekyc.sandbox import Sandbox

from .conftest import contract_request

P = AlibabaProvider(AlibabaSettings(access_key_id="AK", access_key_secret="SK"))
KEY = P._callback_key()


def _approved(client: Client, sandbox: Sandbox, reference: str = "alice") -> SessionRef:
    session = client.create_session(contract_request(reference=reference))
    sandbox.complete(session, "approved")
    return session.ref


def test_merchant_biz_id_is_within_alibabas_rules_and_bound() -> None:
    biz = merchant_biz_id(KEY, "alice")
    assert len(biz) == 32 and biz.isalnum() and biz.isascii()  # letters+digits, at most 32 (alibaba.md §Initialize)
    assert binds(KEY, biz, "alice")
    assert not binds(KEY, biz, "bob")
    assert not binds(b"another key", biz, "alice")
    assert merchant_biz_id(KEY, "alice") != biz  # a fresh nonce every time
    # domain separation from the callback token, and the nonce/reference boundary is unambiguous
    assert reference_tag(KEY, "0" * 16, "ab") != reference_tag(KEY, "0" * 15 + "a", "b")


def test_the_initialize_merchant_biz_id_binds_the_request_reference() -> None:
    prepared = P.build_create(contract_request(reference="alice"))
    form = dict(httpx.QueryParams(prepared.request.content.decode()))
    assert binds(KEY, form["MerchantBizId"], "alice")
    assert form["MerchantUserId"] == "alice"


def test_edited_reference_is_a_session_mismatch(client: Client, sandbox: Sandbox) -> None:
    ref = _approved(client, sandbox)
    decision = client.get_result(ref.serialize())
    assert decision.outcome is Outcome.APPROVED and decision.reference == "alice"
    forged = ref.serialize().split("#")[0] + "#bob"
    with pytest.raises(SessionMismatch) as info:
        client.get_result(forged)
    assert info.value.field == "reference"
    assert "alice" not in str(info.value) and "bob" not in str(info.value)


def test_bobs_biz_id_does_not_carry_alices_reference(client: Client, sandbox: Sandbox) -> None:
    alice, bob = _approved(client, sandbox, "alice"), _approved(client, sandbox, "bob")
    swapped = alice.model_copy(update={"extra": bob.extra})  # her transaction, his MerchantBizId
    with pytest.raises(SessionMismatch):
        client.get_result(swapped)


def test_edited_reference_is_refused_before_any_request() -> None:
    ref = SessionRef(provider="alibaba", id="hk" + "0" * 30, extra=(merchant_biz_id(KEY, "alice"),), reference="bob")
    with pytest.raises(SessionMismatch):
        P.build_result(ref)
    good = P.build_result(ref.model_copy(update={"reference": "alice"}))
    tampered = dataclasses.replace(good, ref=ref)
    with pytest.raises(SessionMismatch):  # and on the answer, whoever built the request
        P.parse_result(tampered, httpx.Response(404, json={"Code": "ProcessNotCompleted"}))
    assert P.parse_result(good, httpx.Response(404, json={"Code": "ProcessNotCompleted"})).reference == "alice"


def test_a_ref_without_a_bound_reference_reads_the_result_without_one(client: Client, sandbox: Sandbox) -> None:
    ref = _approved(client, sandbox)
    bare = SessionRef.parse(ref.serialize().split("#")[0])
    decision = client.get_result(bare)
    assert decision.outcome is Outcome.APPROVED and decision.reference is None


def test_return_url_and_callback_still_find_the_session(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(contract_request(reference="alice"))
    back = sandbox.complete(session, "approved")
    assert client.parse_return_url(back, expected=session.ref.serialize()) == session.ref
    found = client.parse_return_url(back, "alibaba")
    assert found.reference is None and client.get_result(found).reference is None
    (delivery,) = sandbox.deliveries("alibaba", session.ref.id)
    event = client.parse_webhook(delivery.url.encode(), {}, "alibaba")
    assert event.ref is not None and event.ref.extra == session.ref.extra


def test_a_pending_decision_carries_the_verified_reference(client: Client) -> None:
    session = client.create_session(contract_request(reference="alice"))
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.PENDING and decision.reference == "alice"


async def test_async_edited_reference_is_a_session_mismatch(aclient: AsyncClient, sandbox: Sandbox) -> None:
    session = await aclient.create_session(contract_request(reference="alice"))
    sandbox.complete(session, "approved")
    assert (await aclient.get_result(session.ref)).reference == "alice"
    with pytest.raises(SessionMismatch):
        await aclient.get_result(session.ref.model_copy(update={"reference": "bob"}))
