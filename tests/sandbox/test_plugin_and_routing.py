"""The pytest plugin's fixtures as an app would use them, and routing across the real providers."""

from __future__ import annotations

import pytest

from ekyc import AsyncClient, Client, Outcome, ProviderUnavailable
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from ekyc.testing import complete, providers


@pytest.mark.parametrize("ekyc_provider", providers(), indirect=True)
def test_app_test_parametrized_over_providers(ekyc_client: Client, ekyc_sandbox: Sandbox, ekyc_provider: str) -> None:
    session = ekyc_client.create_session(scenario_request(ekyc_provider, "face_mismatch"), provider=ekyc_provider)
    stored = session.ref.serialize()  # what the app keeps next to its user
    back = complete(ekyc_sandbox, session, "face_mismatch")
    decision = ekyc_client.get_result(ekyc_client.parse_return_url(back, expected=stored))
    assert decision.outcome is Outcome.DECLINED and not decision.approved
    assert decision.reference == session.ref.reference == f"sandbox-{ekyc_provider}-face_mismatch"


async def test_async_fixture(ekyc_async_client: AsyncClient, ekyc_sandbox: Sandbox) -> None:
    session = await ekyc_async_client.create_session(scenario_request("didit", "approved"), provider="didit")
    complete(ekyc_sandbox, session, "approved")
    assert (await ekyc_async_client.get_result(session.ref)).approved


def _client(sandbox: Sandbox, routing: dict[str, object], provider: str = "didit") -> Client:
    return sandbox.client({"env": "sandbox", "provider": provider, "routing": routing}, sleep=lambda s: None)


def test_real_providers_route_by_country_and_document_type() -> None:
    sandbox = Sandbox()
    client = _client(sandbox, {"rules": [
        {"name": "hk-id", "provider": "tencent", "country": "HK", "document_types": ["ID_CARD"]},
        {"name": "passports-sg", "provider": "alibaba", "country": "SG", "document_types": ["PASSPORT"]},
    ]})
    hk = scenario_request("tencent", "approved").model_copy(update={"country": "HKG",
                                                                     "document_types": ("ID_CARD",)})
    assert client.create_session(hk).provider == "tencent"
    sg = scenario_request("alibaba", "approved").model_copy(update={"country": "SGP"})
    assert client.create_session(sg).provider == "alibaba"
    assert client.create_session(scenario_request("didit", "approved")).provider == "didit"


@pytest.mark.parametrize("fault", ["connect", "429"])
def test_real_provider_down_falls_back_and_cools_down(fault: str) -> None:
    sandbox = Sandbox()
    client = _client(sandbox, {"fallback": ["didit"], "cooldown": {"failures": 2, "seconds": 30}},
                     provider="tencent")
    sandbox.set_fault("tencent", fault)
    request = scenario_request("tencent", "approved")
    first = client.create_session(request)
    assert first.provider == "didit"
    client.create_session(request)
    assert "cooling down" in client.explain_route(request).skipped["tencent (default)"]
    sandbox.set_fault("tencent", None)
    sandbox.clock.advance(31)
    assert client.create_session(request).provider == "tencent"
    # the session that fell back resolves on its own provider
    complete(sandbox, first, "approved")
    assert client.get_result(first.ref.serialize()).approved


def test_a_503_never_falls_back_once_the_create_may_have_been_processed() -> None:
    """After a 503 a session may exist at the first provider, so no second one is started elsewhere (the 503
    still counts towards the cooldown) — also from Didit, whose de-duplication on vendor_data makes a repeat
    *there* safe but would leave its session live next to the fallback's."""
    sandbox = Sandbox()
    tencent_first = _client(sandbox, {"fallback": ["didit"], "cooldown": {"failures": 2, "seconds": 30}},
                            provider="tencent")
    sandbox.set_fault("tencent", "503")
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as info:
            tencent_first.create_session(scenario_request("tencent", "approved"))
        assert info.value.provider == "tencent" and info.value.sent is True
    assert not list(sandbox.emulators["didit"].store.values())
    assert "cooling down" in tencent_first.explain_route(scenario_request("tencent", "approved")).skipped[
        "tencent (default)"]
    sandbox.set_fault("tencent", None)
    sandbox.set_fault("didit", "503")
    didit_first = _client(sandbox, {"fallback": ["tencent"]}, provider="didit")
    tencent_before = len(list(sandbox.emulators["tencent"].store.values()))
    with pytest.raises(ProviderUnavailable) as info:
        didit_first.create_session(scenario_request("tencent", "approved"))
    assert info.value.provider == "didit" and info.value.sent is True
    assert len(list(sandbox.emulators["tencent"].store.values())) == tencent_before
    sandbox.set_fault("didit", "connect")  # never left: the fallback is safe
    assert didit_first.create_session(scenario_request("tencent", "approved")).provider == "tencent"


def test_a_declined_result_never_triggers_a_fallback() -> None:
    sandbox = Sandbox()
    client = _client(sandbox, {"fallback": ["didit"]}, provider="tencent")
    session = client.create_session(scenario_request("tencent", "liveness_spoof"))
    complete(sandbox, session, "liveness_spoof")
    assert client.get_result(session.ref).outcome is Outcome.DECLINED
    assert session.provider == "tencent" and not sandbox.deliveries("didit")
