"""A returning user whose pending session's link was already opened: ``start`` hands back a link that works.

Each provider declares whether its hosted link can be opened again (``Capabilities.link``): a reusable link is
handed back as stored; a single-use link the provider renews (Stripe's retrieve, Persona's one-time links) is
renewed for the same session; a single-use link nothing renews (Alibaba's TransactionUrl) makes the holder
superseded and a new session takes the slot — exactly one, and a late result on the old one never decides the
new one.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from ekyc import Client
from ekyc.ledger import AsyncLedger, Ledger
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


def _link(client: Client, provider: str) -> LinkReuse:
    return client.adapter(provider).capabilities.link


def test_every_provider_declares_its_link() -> None:
    from ekyc import registry

    for name in registry.names():
        caps = registry.load(name).capabilities
        assert isinstance(caps.link, LinkReuse) and caps.link_source, name
    assert registry.load("alibaba").capabilities.link is LinkReuse.SINGLE_USE
    assert registry.load("stripe").capabilities.link is LinkReuse.RENEWABLE
    assert registry.load("persona").capabilities.link is LinkReuse.RENEWABLE


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_returning_user_gets_a_working_link(ledger: Ledger, sandbox: Sandbox, client: Client,
                                              provider: str) -> None:
    first = ledger.start(request=request(provider, "user-1"), provider=provider)
    _open(sandbox, first.url)  # the user opened the provider's page, then left
    again = ledger.start(request=request(provider, "user-1"), provider=provider)
    _works(sandbox, again.url)
    mine = ledger.sessions(reference="user-1")
    link = _link(client, provider)
    if link is LinkReuse.SINGLE_USE:
        assert again.id != first.id and not again.reused and again.ref != first.ref
        assert len(mine) == 2 and len(sandbox.sessions(provider)) == 2
        actions = [e["action"] for e in ledger.events(session_id=first.id)]
        assert "superseded" in actions
    else:
        assert again.id == first.id and again.reused and again.ref == first.ref
        assert len(mine) == 1 and len(sandbox.sessions(provider)) == 1
        if link is LinkReuse.RENEWABLE:
            assert "relink" in [e["action"] for e in ledger.events(session_id=first.id)]
    # a third start: the same session again, or (a link nothing renews, and nobody can tell whether it was
    # opened) one more new session, never two
    third = ledger.start(request=request(provider, "user-1"), provider=provider)
    _works(sandbox, third.url)
    if link is LinkReuse.SINGLE_USE:
        assert third.id not in (first.id, again.id) and len(ledger.sessions(reference="user-1")) == 3
    else:
        assert third.id == again.id and third.reused and len(ledger.sessions(reference="user-1")) == 1
    with ledger.engine.begin() as conn:
        holding = conn.execute(select(sessions.c.id).where(sessions.c.reference == "user-1",
                                                           sessions.c.holds)).scalars().all()
    assert holding == [third.id]
    sandbox.complete(third.url or "", "approved")
    for d in deliveries(sandbox, provider, third.ref.id if third.ref else None):
        receive(ledger, d)
    status = ledger.status("user-1")
    assert status is not None and status.id == third.id and status.state == "APPROVED"


def test_a_late_result_on_the_superseded_session_never_decides_the_new_one(ledger: Ledger,
                                                                           sandbox: Sandbox) -> None:
    first = ledger.start(request=request("alibaba", "user-1"), provider="alibaba")
    _open(sandbox, first.url)
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
            first = await ledger.start(request=request(provider, "user-1"), provider=provider)
            _open(sandbox, first.url)
            started = await asyncio.gather(*[ledger.start(request=request(provider, "user-1"), provider=provider)
                                             for _ in range(3)])
            for url in {s.url for s in started}:  # one user, one browser: each link handed out opened once
                _works(sandbox, url)
            mine = await ledger.sessions(reference="user-1")
            single = client.adapter(provider).capabilities.link is LinkReuse.SINGLE_USE
            assert len(mine) == (2 if single else 1)
            assert len({s.id for s in started}) == 1

    asyncio.run(run())
