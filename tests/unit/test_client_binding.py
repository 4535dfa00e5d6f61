"""Sessions are bound to the user who started them, for every registered provider through the sandbox.

The return URL only signals "go and look": anyone can open it with any session id. The ref comes from the
app's own storage (``session.ref.serialize()`` stored next to the user at create); ``get_result(stored)``
decides, and ``decision.reference`` names the user the session was started for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from ekyc import (
    AsyncClient,
    Client,
    EkycError,
    Outcome,
    SessionMismatch,
    SessionRef,
    WebhookVerificationError,
    registry,
)
from ekyc.provider import Prepared
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from ekyc.testing import providers
from tests.support.clients import quick_async_client
from tests.support.echo import EchoProvider

PROVIDERS = providers()


def _start(client: Client, sandbox: Sandbox, provider: str, user: str, scenario: str) -> tuple[str, str]:
    """User ``user`` starts a session and completes it with ``scenario``: (stored ref string, return URL)."""
    session = client.create_session(scenario_request(provider, scenario, reference=user), provider=provider)
    return session.ref.serialize(), sandbox.complete(session, scenario)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_create_binds_the_reference_into_the_stored_ref(client: Client, provider: str) -> None:
    session = client.create_session(scenario_request(provider, "approved", reference="user-42"), provider=provider)
    assert session.ref.reference == "user-42"
    stored = session.ref.serialize()
    assert SessionRef.parse(stored) == session.ref
    assert "user-42" not in str(session.ref) and "user-42" not in repr(session)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_stored_ref_decides_and_names_its_user(client: Client, sandbox: Sandbox, provider: str) -> None:
    stored, _ = _start(client, sandbox, provider, "user-a", "approved")
    decision = client.get_result(stored)
    assert decision.approved and decision.reference == "user-a"
    assert decision.ref.reference == "user-a"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_swapped_return_url_never_approves_another_user(client: Client, sandbox: Sandbox, provider: str) -> None:
    """User A's approved session id arrives in user B's browser (B's own session was declined)."""
    _, url_a = _start(client, sandbox, provider, "user-a", "approved")
    stored_b, url_b = _start(client, sandbox, provider, "user-b", "face_mismatch")
    # the safe path: the URL must name the session stored for the signed-in user
    with pytest.raises(SessionMismatch) as info:
        client.parse_return_url(url_a, expected=stored_b)
    assert info.value.field == "url" and isinstance(info.value, WebhookVerificationError)
    with pytest.raises(SessionMismatch):
        client.parse_return_url(url_a, provider, expected=SessionRef.parse(stored_b))
    # B's own return URL matches, and yields B's stored ref (with its reference), whose decision is B's
    ref = client.parse_return_url(url_b, expected=stored_b)
    assert ref.serialize() == stored_b and ref.reference == "user-b"
    decision = client.get_result(ref)
    assert decision.outcome is Outcome.DECLINED and decision.reference == "user-b"
    # and whatever the URL says, the stored ref is what decides
    assert not client.get_result(stored_b).approved


@pytest.mark.parametrize("provider", PROVIDERS)
def test_without_expected_the_url_alone_names_no_user(client: Client, sandbox: Sandbox, provider: str) -> None:
    _, url_a = _start(client, sandbox, provider, "user-a", "approved")
    ref = client.parse_return_url(url_a)
    assert ref.provider == provider and ref.reference is None  # nothing binds it to the signed-in user


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_ref_bound_to_another_user_than_the_provider_echoes_is_a_mismatch(client: Client, sandbox: Sandbox,
                                                                             provider: str) -> None:
    stored, _ = _start(client, sandbox, provider, "user-a", "approved")
    genuine = SessionRef.parse(stored)
    unbound = genuine.model_copy(update={"reference": None})
    echo = client.get_result(unbound).reference  # what the provider itself reports, if it echoes the reference
    tampered = genuine.model_copy(update={"reference": "user-b"})
    if echo is not None:
        assert echo == "user-a"
    # echoed by the provider, or bound cryptographically at create (Alibaba's MerchantBizId): never user-b
    with pytest.raises(SessionMismatch):
        client.get_result(tampered)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_async_client_binds_and_checks_the_same_way(sandbox: Sandbox, provider: str) -> None:
    async with quick_async_client(sandbox) as c:
        session = await c.create_session(scenario_request(provider, "approved", reference="user-a"),
                                         provider=provider)
        url = sandbox.complete(session, "approved")
        stored = session.ref.serialize()
        other = await c.create_session(scenario_request(provider, "approved", reference="user-b"),
                                       provider=provider)
        with pytest.raises(SessionMismatch):
            c.parse_return_url(url, expected=other.ref)
        decision = await c.get_result(c.parse_return_url(url, expected=stored))
        assert decision.approved and decision.reference == "user-a"


# -- the provider's echo, through a provider that echoes the reference -------------------------------------

RESULT = "https://echo.invalid/echo/sessions/s1"


class _Echoing(EchoProvider):
    """Echo, filling ``Decision.reference`` from the payload as adapters do where the provider echoes it."""

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Any:
        decision = super().parse_result(prepared, response)
        echoed = response.json().get("reference")
        return decision.model_copy(update={"reference": echoed}) if echoed else decision


@pytest.fixture
def echoing() -> Iterator[Client]:
    registry.register("echo", _Echoing)
    try:
        with respx.mock, Client.from_config({"providers": {"echo": {"api_key": "k"}}}) as c:
            yield c
    finally:
        registry.unregister("echo")


def test_the_providers_echo_wins_and_must_agree_with_the_bound_reference(echoing: Client) -> None:
    respx.get(RESULT).mock(return_value=httpx.Response(200, json={"status": "ok", "reference": "user-a"}))
    assert echoing.get_result("echo:s1#user-a").reference == "user-a"
    assert echoing.get_result("echo:s1").reference == "user-a"  # an unbound ref: the echo names the user
    with pytest.raises(SessionMismatch) as info:
        echoing.get_result("echo:s1#user-b")
    assert info.value.field == "reference" and "user-a" not in str(info.value) and "user-b" not in str(info.value)


def test_without_an_echo_the_bound_reference_is_reported(echoing: Client) -> None:
    respx.get(RESULT).mock(return_value=httpx.Response(200, json={"status": "ok"}))
    decision = echoing.get_result("echo:s1#user-a")
    assert decision.reference == "user-a" and decision.ref.reference == "user-a"
    assert echoing.get_result("echo:s1").reference is None


def test_a_reference_that_cannot_be_bound_is_refused_before_sending(echoing: Client) -> None:
    route = respx.post("https://echo.invalid/echo/sessions").mock(
        return_value=httpx.Response(201, json={"id": "s1", "url": "https://echo.invalid/p/s1"}))
    for bad in (" user", "user\n", "a\u0000b"):
        with pytest.raises(EkycError) as info:
            echoing.create_session(reference=bad)
        assert info.value.field == "reference", bad
    assert route.call_count == 0


async def test_async_get_result_checks_the_echo() -> None:
    registry.register("echo", _Echoing)
    try:
        with respx.mock:
            respx.get(RESULT).mock(return_value=httpx.Response(200, json={"status": "ok", "reference": "user-a"}))
            async with AsyncClient.from_config({"providers": {"echo": {"api_key": "k"}}}) as c:
                with pytest.raises(SessionMismatch):
                    await c.get_result("echo:s1#user-b")
                assert (await c.get_result("echo:s1#user-a")).reference == "user-a"
    finally:
        registry.unregister("echo")
