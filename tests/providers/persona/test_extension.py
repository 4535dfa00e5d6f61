"""Persona-only operations against the emulator: a new one-time link, sandbox simulate actions, redaction —
through both clients, with arguments checked before any I/O."""

from __future__ import annotations

import pytest

from ekyc import AsyncClient, Client
from ekyc.errors import InvalidRequest
from ekyc.models import Outcome, SessionRequest
from ekyc.providers.persona.emulator import GOVERNMENT_ID_TEMPLATE, SELFIE_TEMPLATE
from ekyc.providers.persona.extension import OneTimeLink
from ekyc.sandbox import Sandbox

RETURN = "https://app.example/kyc/return"


def test_a_new_one_time_link_reaches_the_same_inquiry(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(SessionRequest(reference="u-1", return_url=RETURN))
    link = client.extension("persona").one_time_link(session.ref, expires_in=600)
    assert isinstance(link, OneTimeLink) and link.url != session.url and "***" in repr(link)
    redirect = sandbox.complete(link.url, "approved")
    assert client.parse_return_url(redirect, expected=session.ref) == session.ref
    assert client.get_result(session.ref).outcome is Outcome.APPROVED
    with pytest.raises(InvalidRequest):  # the inquiry is finished: no new link (422)
        client.extension("persona").one_time_link(session.ref)


def test_a_link_expires_when_asked(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(SessionRequest(reference="u-1", return_url=RETURN))
    link = client.extension("persona").one_time_link(session.ref, expires_in=60)
    sandbox.clock.advance(61)
    with pytest.raises(Exception, match="404"):
        sandbox.complete(link.url, "approved")


def test_simulate_actions_drive_the_inquiry(client: Client) -> None:
    session = client.create_session(SessionRequest(reference="u-2"))
    ops = client.extension("persona")
    status = ops.simulate(session.ref, [
        "start_inquiry",
        {"type": "create_passed_verification", "data": {"verification-template-id": GOVERNMENT_ID_TEMPLATE}},
        {"type": "create_passed_verification", "data": {"verification-template-id": SELFIE_TEMPLATE}},
        "complete_inquiry"])
    assert status == "completed"
    assert client.get_result(session.ref).outcome is Outcome.PENDING  # completed is not approved
    assert ops.simulate(session.ref, ["approve_inquiry"]) == "approved"
    assert client.get_result(session.ref).outcome is Outcome.APPROVED


def test_a_failed_verification_under_a_manual_approval_is_review(client: Client) -> None:
    session = client.create_session(SessionRequest(reference="u-3"))
    client.extension("persona").simulate(session.ref, [
        "start_inquiry",
        {"type": "create_failed_verification", "data": {"verification-template-id": SELFIE_TEMPLATE}},
        "approve_inquiry"])
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.REVIEW and not decision.approved


def test_redaction(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(SessionRequest(reference="u-4", return_url=RETURN))
    sandbox.complete(session, "approved")
    ops = client.extension("persona")
    assert ops.redact(session.ref) is not None
    decision = client.get_result(session.ref)
    assert decision.identity.full_name is None and decision.provider_status == "approved"
    with pytest.raises(InvalidRequest):  # 409: already redacted
        ops.redact(session.ref)
    names = [d.meta["event"] for d in sandbox.deliveries("persona", session.ref.id)]
    assert names[-1] == "inquiry.redacted"


async def test_the_async_client_runs_them_too(aclient: AsyncClient) -> None:
    session = await aclient.create_session(SessionRequest(reference="u-5"))
    ops = aclient.extension("persona")
    assert await ops.simulate(session.ref, ["start_inquiry", "expire_inquiry"]) == "expired"
    assert (await aclient.get_result(session.ref)).outcome is Outcome.ABANDONED


@pytest.mark.parametrize(("call", "field"), [
    (lambda ops: ops.one_time_link("inq_A1", expires_in=0), "expires_in"),
    (lambda ops: ops.one_time_link("inq_A1", expires_in=True), "expires_in"),
    (lambda ops: ops.simulate("inq_A1", ["approve"]), "actions[0]"),
    (lambda ops: ops.simulate("inq_A1", [{"type": "create_passed_verification"}]), "actions[0]"),
    (lambda ops: ops.simulate("inq_A1", []), "actions"),
    (lambda ops: ops.redact("ver_A1"), "ref"),
])
def test_arguments_are_checked_before_io(client: Client, sandbox: Sandbox, call: object, field: str) -> None:
    before = len(sandbox.sessions("persona"))
    with pytest.raises(InvalidRequest) as caught:
        call(client.extension("persona"))  # type: ignore[operator]
    assert caught.value.field == field and len(sandbox.sessions("persona")) == before
