"""Every code of the table, rendered by the emulator, normalizes as the table says (sync and async)."""

from __future__ import annotations

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.codes import CodeEntry
from ekyc.errors import RateLimited
from ekyc.models import Decision, Outcome, ReasonCode, Session
from ekyc.providers.alibaba.codes import CODE_TABLE
from ekyc.sandbox import Sandbox

from .conftest import contract_request

ENTRIES = list(CODE_TABLE)


def _render(sandbox: Sandbox, session: Session, entry_kind: str, code: str) -> None:
    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.get(session.url).status_code == 200
        done = http.post(session.url, data={"code": code, "kind": entry_kind})
    assert done.status_code == 303, done.text


def _check(decision: Decision, entry: CodeEntry) -> None:
    if entry.kind == "api_error" and entry.code == "Success":
        assert decision.approved
        return
    assert entry.outcome is not None
    assert decision.outcome is entry.outcome, (entry.kind, entry.code)
    if entry.outcome is Outcome.APPROVED:
        assert decision.reasons == ()
        return
    if entry.outcome is Outcome.PENDING:
        return
    expected = entry.reason or ReasonCode.UNKNOWN
    assert decision.reason_codes == (expected,)
    reason = decision.reasons[0]
    assert reason.message is not None and reason.message.startswith(entry.message)
    assert reason.retryable is entry.retryable


def _expect_error(entry: CodeEntry) -> bool:
    return entry.kind == "api_error" and entry.error is not None


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.kind}:{e.code}")
def test_code_sync(client: Client, sandbox: Sandbox, entry: CodeEntry) -> None:
    session = client.create_session(contract_request())
    _render(sandbox, session, entry.kind, entry.code)
    if _expect_error(entry):
        assert entry.error is not None
        with pytest.raises(entry.error) as exc:
            client.get_result(session.ref)
        assert exc.value.provider_code == entry.code and exc.value.provider == "alibaba"
        if isinstance(exc.value, RateLimited):
            assert exc.value.retry_after == 1.0
        return
    _check(client.get_result(session.ref), entry)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.kind}:{e.code}")
async def test_code_async(aclient: AsyncClient, sandbox: Sandbox, entry: CodeEntry) -> None:
    session = await aclient.create_session(contract_request())
    _render(sandbox, session, entry.kind, entry.code)
    if _expect_error(entry):
        assert entry.error is not None
        with pytest.raises(entry.error):
            await aclient.get_result(session.ref)
        return
    _check(await aclient.get_result(session.ref), entry)


@pytest.mark.parametrize("code", ["299", "100", "1001"])
def test_unknown_subcode_is_unknown_never_approved(client: Client, sandbox: Sandbox, code: str) -> None:
    session = client.create_session(contract_request())
    _render(sandbox, session, "subcode", code)
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.DECLINED
    assert decision.reason_codes == (ReasonCode.UNKNOWN,)
    assert decision.reasons[0].provider_code == code


def test_every_kind_has_a_heading_and_sources() -> None:
    assert set(CODE_TABLE.kinds) == {"passed", "subcode", "evidence", "api_error"}
    for entry in CODE_TABLE:
        assert entry.source and entry.message
        if entry.outcome is Outcome.APPROVED:
            assert "unconfirmed" not in entry.source and entry.source != "unknown"
    unconfirmed = [e for e in CODE_TABLE.of_kind("subcode") if "unconfirmed" in e.source]
    assert {e.code for e in unconfirmed} == {"201", "202", "203", "204", "205", "206"}
    assert all(e.outcome is Outcome.DECLINED for e in unconfirmed)
