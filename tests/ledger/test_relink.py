"""A returning user whose pending session's link was already opened: ``start`` hands back a link that works.

Each provider declares whether its hosted link can be opened again (``Capabilities.link``): a reusable link is
handed back as stored; a single-use link the provider renews (Stripe's retrieve, Persona's one-time links) is
renewed for the same session; a single-use link nothing renews (Alibaba's TransactionUrl) makes the holder
superseded and a new session takes the slot — exactly one, and a late result on the old one never decides the
new one. Within ``Policy.relink_grace`` of a link handed out, a start is a repeat (a double click): the same
session and link, no vendor call. Time moves on the ledger's injectable clock (the sandbox's), never by sleeping.
"""

from __future__ import annotations

import asyncio
import math
import threading

import httpx
import pytest
from sqlalchemy import select

from ekyc import Client
from ekyc.ledger import AsyncLedger, Ledger, LedgerError, Policy
from ekyc.ledger.model import RELINK_GRACE
from ekyc.ledger.schema import audit, sessions
from ekyc.provider import LinkReuse
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

from .conftest import PROVIDERS
from .helpers import deliveries, receive, request


def _open(sandbox: Sandbox, url: str | None) -> str:
    """The hosted page as a browser gets it (HTTP GET through the sandbox's transport)."""
    assert url is not None
    with httpx.Client(transport=sandbox.transport(), follow_redirects=True) as http:
        page = http.get(url)
    assert page.status_code == 200
    return page.text


def _works(sandbox: Sandbox, url: str | None) -> None:
    assert 'id="closed"' not in _open(sandbox, url)  # not "this link has already been used"


def _used(sandbox: Sandbox, url: str | None) -> bool:
    return 'id="closed"' in _open(sandbox, url)


def _link(client: Client, provider: str) -> LinkReuse:
    return client.adapter(provider).capabilities.link


def _later(ledger: Ledger | AsyncLedger, sandbox: Sandbox) -> None:
    """Past the grace: the user opened the page, left, and comes back (the ledger's clock is the sandbox's)."""
    sandbox.clock.advance(ledger.policy.relink_grace + 1)


def _actions(ledger: Ledger, session_id: int) -> list[str]:
    return [e["action"] for e in ledger.events(session_id=session_id)]


def test_every_provider_declares_its_link() -> None:
    from ekyc import registry

    for name in registry.names():
        caps = registry.load(name).capabilities
        assert isinstance(caps.link, LinkReuse) and caps.link_source, name
    assert registry.load("alibaba").capabilities.link is LinkReuse.SINGLE_USE
    assert registry.load("stripe").capabilities.link is LinkReuse.RENEWABLE
    assert registry.load("persona").capabilities.link is LinkReuse.RENEWABLE


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_emulators_spend_a_single_use_link_on_open(sandbox: Sandbox, client: Client, provider: str) -> None:
    """What makes the ledger's choice matter: a link that works once shows "already used" on a second visit."""
    session = client.create_session(request(provider, "user-1"), provider=provider)
    _works(sandbox, session.url)
    assert _used(sandbox, session.url) == (_link(client, provider) is not LinkReuse.REUSABLE)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_returning_user_gets_a_working_link(ledger: Ledger, sandbox: Sandbox, client: Client,
                                              provider: str) -> None:
    link = _link(client, provider)
    first = ledger.start(request=request(provider, "user-1"), provider=provider)
    _open(sandbox, first.url)  # the user opened the provider's page
    # a moment later (within the grace: a double click, a re-posted form): the same session and link as is
    soon = ledger.start(request=request(provider, "user-1"), provider=provider)
    assert (soon.id, soon.ref, soon.url, soon.reused) == (first.id, first.ref, first.url, True)
    assert not {"relink", "superseded"} & set(_actions(ledger, first.id))  # no vendor call, nothing superseded
    assert len(sandbox.sessions(provider)) == 1
    _later(ledger, sandbox)  # ... then left, and comes back
    again = ledger.start(request=request(provider, "user-1"), provider=provider)
    _works(sandbox, again.url)
    mine = ledger.sessions(reference="user-1")
    if link is LinkReuse.SINGLE_USE:
        assert again.id != first.id and not again.reused and again.ref != first.ref
        assert len(mine) == 2 and len(sandbox.sessions(provider)) == 2
        assert "superseded" in _actions(ledger, first.id)
    else:
        assert again.id == first.id and again.reused and again.ref == first.ref
        assert len(mine) == 1 and len(sandbox.sessions(provider)) == 1
        assert ("relink" in _actions(ledger, first.id)) == (link is LinkReuse.RENEWABLE)
    # within the grace of the link just handed out: that one again, as is
    third = ledger.start(request=request(provider, "user-1"), provider=provider)
    assert (third.id, third.url) == (again.id, again.url)
    # past it once more: the same session again, or (a link nothing renews, and nobody can tell whether it was
    # opened) one more new session, never two
    _later(ledger, sandbox)
    fourth = ledger.start(request=request(provider, "user-1"), provider=provider)
    _works(sandbox, fourth.url)
    if link is LinkReuse.SINGLE_USE:
        assert fourth.id not in (first.id, again.id) and len(ledger.sessions(reference="user-1")) == 3
    else:
        assert fourth.id == again.id and fourth.reused and len(ledger.sessions(reference="user-1")) == 1
    with ledger.engine.begin() as conn:
        holding = conn.execute(select(sessions.c.id).where(sessions.c.reference == "user-1",
                                                           sessions.c.holds)).scalars().all()
    assert holding == [fourth.id]
    sandbox.complete(fourth.url or "", "approved")
    for d in deliveries(sandbox, provider, fourth.ref.id if fourth.ref else None):
        receive(ledger, d)
    status = ledger.status("user-1")
    assert status is not None and status.id == fourth.id and status.state == "APPROVED"


@pytest.mark.parametrize("policy", [Policy(relink_grace=0)])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_grace_relinks_at_once(ledger: Ledger, sandbox: Sandbox, client: Client, provider: str) -> None:
    """``relink_grace=0``: every start for a pending session whose link works once renews or replaces it."""
    link = _link(client, provider)
    first = ledger.start(request=request(provider, "user-1"), provider=provider)
    _open(sandbox, first.url)
    again = ledger.start(request=request(provider, "user-1"), provider=provider)
    _works(sandbox, again.url)
    assert (again.id == first.id) == (link is not LinkReuse.SINGLE_USE)
    assert ("superseded" in _actions(ledger, first.id)) == (link is LinkReuse.SINGLE_USE)
    assert ("relink" in _actions(ledger, first.id)) == (link is LinkReuse.RENEWABLE)
    assert len(ledger.sessions(reference="user-1")) == (2 if link is LinkReuse.SINGLE_USE else 1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_double_click_after_the_grace_makes_one_new_session(ledger: Ledger, sandbox: Sandbox, client: Client,
                                                              provider: str) -> None:
    """Past the grace, several starts at once (the returning user's double click): one renewal or one new
    session, and every start hands out a link that works."""
    link = _link(client, provider)
    first = ledger.start(request=request(provider, "user-1"), provider=provider)
    _open(sandbox, first.url)
    _later(ledger, sandbox)
    started: list[int] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            started.append(ledger.start(request=request(provider, "user-1"), provider=provider).id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(started)) == 1
    assert len(ledger.sessions(reference="user-1")) == (2 if link is LinkReuse.SINGLE_USE else 1)
    assert len(sandbox.sessions(provider)) == (2 if link is LinkReuse.SINGLE_USE else 1)
    holder = ledger.status("user-1")
    assert holder is not None and holder.id == started[0]
    _works(sandbox, holder.url)


def test_a_failed_renewal_hands_back_the_stored_link(ledger: Ledger, sandbox: Sandbox) -> None:
    """Stripe unreachable when the link is renewed: the stored session and link as before, the failure audited."""
    first = ledger.start(request=request("stripe", "user-1"), provider="stripe")
    _later(ledger, sandbox)
    sandbox.set_fault("stripe", "503")
    try:
        again = ledger.start(request=request("stripe", "user-1"), provider="stripe")
    finally:
        sandbox.clear_faults()
    assert (again.id, again.url, again.reused) == (first.id, first.url, True)
    assert "relink-failed" in _actions(ledger, first.id)


def test_a_late_result_on_the_superseded_session_never_decides_the_new_one(ledger: Ledger,
                                                                           sandbox: Sandbox) -> None:
    first = ledger.start(request=request("alibaba", "user-1"), provider="alibaba")
    _open(sandbox, first.url)
    _later(ledger, sandbox)
    again = ledger.start(request=request("alibaba", "user-1"), provider="alibaba")
    assert again.id != first.id and first.ref is not None and again.ref is not None
    sandbox.complete(again.url or "", "approved")
    for d in deliveries(sandbox, "alibaba", again.ref.id):
        receive(ledger, d)
    sandbox.complete(first.url or "", "face_mismatch")  # the old page, still open in another tab, declines
    for d in deliveries(sandbox, "alibaba", first.ref.id):
        receive(ledger, d)
    ledger.reconcile()
    assert ledger.session(again.id).state == "APPROVED"  # type: ignore[union-attr]
    status = ledger.status("user-1")
    assert status is not None and status.id == again.id and status.state == "APPROVED"
    with ledger.engine.begin() as conn:
        holders = conn.execute(select(audit.c.action).where(audit.c.session_id == first.id)).scalars().all()
    assert "superseded" in holders


def test_a_superseded_session_declined_late_leaves_the_new_one_pending(ledger: Ledger, sandbox: Sandbox) -> None:
    first = ledger.start(request=request("alibaba", "user-1"), provider="alibaba")
    _open(sandbox, first.url)
    _later(ledger, sandbox)
    again = ledger.start(request=request("alibaba", "user-1"), provider="alibaba")
    assert first.ref is not None
    sandbox.complete(first.url or "", "face_mismatch")
    for d in deliveries(sandbox, "alibaba", first.ref.id):
        receive(ledger, d)
    status = ledger.status("user-1")
    assert status is not None and status.id == again.id and status.state == "PENDING"
    assert ledger.session(first.id).state == "DECLINED"  # type: ignore[union-attr]  # recorded on its own row
    assert len(ledger.sessions(reference="user-1")) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_async_ledger_relinks_the_same_way(database: str, key: str, sandbox: Sandbox, provider: str) -> None:
    async def run() -> None:
        async with quick_async_client(sandbox) as client, AsyncLedger(database, client, key=key,
                                                                        clock=sandbox.clock.now) as ledger:
            await ledger.migrate()
            single = client.adapter(provider).capabilities.link is LinkReuse.SINGLE_USE

            async def starts() -> set[int]:
                started = await asyncio.gather(*[ledger.start(request=request(provider, "user-1"),
                                                              provider=provider) for _ in range(3)])
                return {s.id for s in started}

            first = await ledger.start(request=request(provider, "user-1"), provider=provider)
            _open(sandbox, first.url)
            assert await starts() == {first.id}  # a double click within the grace: the same session
            _later(ledger, sandbox)
            (holder,) = await starts()  # past it: one renewal, or one new session
            mine = await ledger.sessions(reference="user-1")
            assert len(mine) == (2 if single else 1) and (holder != first.id) == single
            status = await ledger.status("user-1")
            assert status is not None and status.id == holder
            _works(sandbox, status.url)

    asyncio.run(run())


def test_the_grace_is_a_documented_number_of_seconds() -> None:
    assert Policy().relink_grace == RELINK_GRACE == 15.0
    assert Policy(relink_grace=0).relink_grace == 0
    for bad in (-1, math.nan, "15", True, None):
        with pytest.raises(LedgerError) as caught:
            Policy(relink_grace=bad)  # type: ignore[arg-type]
        assert caught.value.field == "relink_grace"
    assert "relink_grace" in (Policy.__doc__ or "")
