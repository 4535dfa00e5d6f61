"""``Ledger.refresh``: the user came back — the return URL must name the reference's stored session, then the
provider's result is fetched and applied through the reconciler's path (forward only, audited, idempotent)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ekyc import Client, Outcome
from ekyc.errors import InvalidRequest, ProviderUnavailable, SessionMismatch, WebhookVerificationError
from ekyc.ledger import AsyncLedger, Ledger, NoSession
from ekyc.ledger.schema import sessions
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

from .conftest import PROVIDERS
from .helpers import deliveries, expected, receive, request, supported


def _actions(ledger: Ledger, session_id: int) -> list[tuple[str, str | None]]:
    return [(e["action"], e["to_state"]) for e in ledger.events(session_id=session_id, limit=1000)]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("scenario", ["approved", "face_mismatch", "user_cancelled"])
def test_the_return_applies_the_fetched_result(ledger: Ledger, sandbox: Sandbox, provider: str,
                                               scenario: str) -> None:
    if not supported(sandbox, provider, scenario):
        pytest.skip(f"{provider} cannot produce {scenario}")
    started = ledger.start(request=request(provider, "user-1", scenario), provider=provider)
    assert started.url is not None
    back = sandbox.complete(started.url, scenario)
    fresh = ledger.refresh("user-1", return_url=back)
    assert fresh.id == started.id and fresh.state == expected(scenario)
    assert fresh.ref == started.ref
    cursor = ledger.last_event_id()
    assert cursor > 0 and ledger.events(session_id=started.id, after=cursor) == []
    changed = [a for a in _actions(ledger, started.id) if a[0] == "advance"]
    assert changed == [("advance", expected(scenario))]
    events = ledger.events(session_id=started.id, limit=1000)
    assert events[-1]["actor"].startswith("refresh@") and events[-1]["note"] == "fetched"
    # again, and after the webhooks: nothing moves, nothing is written as a change
    assert ledger.refresh("user-1", return_url=back).state == expected(scenario)
    for d in deliveries(sandbox, provider):
        assert receive(ledger, d).http_status == 200
    assert ledger.refresh("user-1").state == expected(scenario)
    assert [a for a in _actions(ledger, started.id) if a[0] == "advance"] == changed
    assert all(e["action"] != "advance" for e in ledger.events(session_id=started.id, after=cursor))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_someone_elses_return_url_changes_nothing(ledger: Ledger, sandbox: Sandbox, provider: str) -> None:
    mine = ledger.start(request=request(provider, "alice"), provider=provider)
    theirs = ledger.start(request=request(provider, "mallory"), provider=provider)
    assert mine.url is not None and theirs.url is not None
    their_url = sandbox.complete(theirs.url, "approved")
    before = ledger.events(limit=1000)
    with pytest.raises(SessionMismatch) as refused:
        ledger.refresh("alice", return_url=their_url)
    assert refused.value.__cause__ is None and "alice" not in str(refused.value)
    assert ledger.status("alice").state == "PENDING"  # type: ignore[union-attr]
    assert ledger.status("mallory").state == "PENDING"  # type: ignore[union-attr]
    after = ledger.events(limit=1000)[len(before):]
    assert [(e["action"], e["session_id"]) for e in after] == [("return-refused", mine.id)]
    # a URL no provider parser recognizes is refused the same way
    with pytest.raises(WebhookVerificationError):
        ledger.refresh("alice", return_url="https://app.example/kyc/return?nothing=here")
    assert ledger.status("alice").state == "PENDING"  # type: ignore[union-attr]


def test_a_final_state_is_never_overturned_by_a_weaker_fetch(ledger: Ledger, sandbox: Sandbox,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    started = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert started.url is not None
    back = sandbox.complete(started.url, "approved")
    assert ledger.refresh("user-1", return_url=back).state == "APPROVED"
    real = ledger.client.get_result

    def weaker(ref: object) -> object:
        decision = real(ref)  # type: ignore[arg-type]
        return decision.model_copy(update={"outcome": Outcome.PENDING})

    monkeypatch.setattr(ledger.client, "get_result", weaker)
    assert ledger.refresh("user-1", return_url=back).state == "APPROVED"
    ignored = [e for e in ledger.events(session_id=started.id, limit=1000) if e["action"] == "ignore"]
    assert [(e["from_state"], e["to_state"], e["note"]) for e in ignored] == [("APPROVED", "PENDING", "final")]


def test_a_declined_session_is_not_fetched_again(ledger: Ledger, sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    started = ledger.start(request=request("tencent", "user-1"), provider="tencent")
    assert started.url is not None
    back = sandbox.complete(started.url, "face_mismatch")
    assert ledger.refresh("user-1", return_url=back).state == "DECLINED"

    def never(ref: object) -> object:
        raise AssertionError("fetched a session that can no longer move")

    monkeypatch.setattr(ledger.client, "get_result", never)
    assert ledger.refresh("user-1", return_url=back).state == "DECLINED"


def test_no_session_is_a_typed_error(ledger: Ledger, sandbox: Sandbox) -> None:
    assert ledger.last_event_id() == 0  # an empty trail
    with pytest.raises(NoSession) as missing:
        ledger.refresh("nobody")
    assert missing.value.http_status == 404
    sandbox.set_fault("didit", "connect")
    with pytest.raises(ProviderUnavailable):
        ledger.start(request=request("didit", "user-1"), provider="didit")  # leaves only a FAILED claim
    sandbox.clear_faults()
    with pytest.raises(NoSession):
        ledger.refresh("user-1")
    for bad in ("", None, 42):
        with pytest.raises(InvalidRequest):
            ledger.refresh(bad)  # type: ignore[arg-type]


def test_a_purged_session_is_returned_without_a_fetch(ledger: Ledger, sandbox: Sandbox) -> None:
    started = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert started.url is not None
    back = sandbox.complete(started.url, "face_mismatch")
    ledger.refresh("user-1", return_url=back)
    ledger.purge(older_than=0, provider_delete=False)
    assert ledger.refresh("user-1").state == "DECLINED"
    with pytest.raises(NoSession):
        ledger.refresh("user-1", return_url=back)  # nothing left to check the URL against


def test_a_failed_fetch_keeps_the_state_and_polls_soon(ledger: Ledger, sandbox: Sandbox) -> None:
    started = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert started.url is not None
    back = sandbox.complete(started.url, "approved")
    sandbox.set_fault("didit", "503")
    with pytest.raises(ProviderUnavailable):
        ledger.refresh("user-1", return_url=back)
    sandbox.clear_faults()
    assert ledger.status("user-1").state == "PENDING"  # type: ignore[union-attr]
    assert any(e["action"] == "fetch-failed" for e in ledger.events(session_id=started.id, limit=1000))
    with ledger.engine.begin() as conn:
        due = conn.execute(select(sessions.c.next_check_at).where(sessions.c.id == started.id)).scalar()
    assert due is not None and due <= sandbox.clock.now()
    assert ledger.reconcile().changed == 1
    assert ledger.status("user-1").state == "APPROVED"  # type: ignore[union-attr]


def test_the_newest_session_is_the_one_checked(ledger: Ledger, sandbox: Sandbox) -> None:
    first = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert first.url is not None
    old_url = sandbox.complete(first.url, "face_mismatch")
    assert ledger.refresh("user-1", return_url=old_url).state == "DECLINED"
    second = ledger.start(request=request("didit", "user-1"), provider="didit")
    assert second.id != first.id and second.url is not None
    with pytest.raises(SessionMismatch):  # the old session's link no longer speaks for the user
        ledger.refresh("user-1", return_url=old_url)
    new_url = sandbox.complete(second.url, "approved")
    assert ledger.refresh("user-1", return_url=new_url).state == "APPROVED"


async def test_the_async_ledger_refreshes_the_same_way(database: str, key: str, sandbox: Sandbox,
                                                       client: Client) -> None:
    async with quick_async_client(sandbox) as aclient, AsyncLedger(database, aclient, key=key,
                                                                    clock=sandbox.clock.now) as ledger:
        await ledger.migrate()
        for provider in PROVIDERS:
            started = await ledger.start(request=request(provider, f"a-{provider}"), provider=provider)
            other = await ledger.start(request=request(provider, f"b-{provider}"), provider=provider)
            assert started.url is not None and other.url is not None
            back = sandbox.complete(started.url, "approved")
            with pytest.raises(SessionMismatch):
                await ledger.refresh(f"b-{provider}", return_url=back)
            fresh = await ledger.refresh(f"a-{provider}", return_url=back)
            assert fresh.state == "APPROVED" and fresh.id == started.id
            assert (await ledger.status(f"b-{provider}")).state == "PENDING"  # type: ignore[union-attr]
        with pytest.raises(NoSession):
            await ledger.refresh("nobody")
        assert await ledger.last_event_id() == (await ledger.events(limit=1000))[-1]["id"]
