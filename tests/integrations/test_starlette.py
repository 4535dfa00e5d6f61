"""``ekyc.integrations.starlette`` through its ASGI interface (httpx's ASGITransport), for every registered provider
(``provider`` is parametrized over ``registry.names()`` by tests/conftest.py): the start → hosted page → return
flow, a returning user, someone else's return URL, webhooks duplicated/replayed/forged/out of order, the
same-origin rule on the start POST, anonymous users; and the same router inside FastAPI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from ekyc import registry
from ekyc.client import MAX_WEBHOOK_BYTES
from ekyc.integrations import Config
from ekyc.integrations.starlette import Verification
from ekyc.ledger import AsyncLedger, LedgerSession, generate_key
from ekyc.ledger.ledger import REJECT_STATUS
from ekyc.models import ALL_CHECKS, DocumentType
from ekyc.provider import LinkReuse
from ekyc.sandbox import SCENARIOS, Delivery, Sandbox
from ekyc.sandbox.runner import META_INFO, webhook_body
from tests.support.clients import quick_async_client

APP = "http://app.test"
DEAD_URL = "http://127.0.0.1:9/hooks"  # the sandbox "sends" webhooks here: nothing listens; read from its outbox
FIELDS = {"checks": ALL_CHECKS, "document_types": (DocumentType.PASSPORT,), "country": "GBR"}


def abandon_scenario(sandbox: Sandbox, provider: str) -> str:
    """The first catalog scenario ending ABANDONED that ``provider``'s emulator can produce."""
    for name, scenario in SCENARIOS.items():
        if scenario.outcome.value == "ABANDONED" and sandbox.emulators[provider].supports(name):
            return name
    pytest.skip(f"{provider} cannot produce an abandoned session")


@dataclass
class Kit:
    provider: str
    sandbox: Sandbox
    ledger: AsyncLedger
    http: httpx.AsyncClient
    decisions: list[tuple[int, str]] = field(default_factory=list)

    def as_user(self, user: str | None, **extra: str) -> dict[str, str]:
        headers = {"origin": APP, **extra}
        if user is not None:
            headers["x-user"] = user
        return headers

    async def start(self, user: str) -> httpx.Response:
        form = {"ekyc_client_metadata": META_INFO} if self.needs_metadata else {}
        return await self.http.post("/kyc/start", data=form, headers=self.as_user(user))

    @property
    def needs_metadata(self) -> bool:
        return registry.load(self.provider).capabilities.client_metadata_required

    async def started(self, user: str) -> str:
        """Start for ``user`` and return the provider page the app redirected to."""
        answer = await self.start(user)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(self.sandbox.base_url)
        return location

    async def come_back(self, user: str, url: str) -> dict[str, str]:
        """Open the provider's return URL as ``user``; the app's redirect's query."""
        answer = await self.http.get(url, headers=self.as_user(user))
        assert answer.status_code == 303, answer.text
        target = urlsplit(answer.headers["location"])
        assert target.path == "/done" and not target.netloc
        return dict(parse_qsl(target.query))

    async def deliver(self, delivery: Delivery, body: bytes | None = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        path = f"/kyc/webhooks/{delivery.provider}"
        sent = dict(delivery.headers) if headers is None else headers
        if delivery.method == "GET":  # Alibaba's callback: its query on our URL
            query = urlsplit(delivery.url).query if body is None else body.decode()
            return await self.http.get(f"{path}?{query}", headers=sent)
        return await self.http.post(path, content=webhook_body(delivery) if body is None else body, headers=sent)

    async def state(self, user: str) -> str:
        answer = await self.http.get("/kyc/status", headers=self.as_user(user))
        assert answer.status_code == 200
        return str(answer.json()["state"])


def make_app(ledger: AsyncLedger, provider: str, decisions: list[tuple[int, str]], **config: Any) -> Starlette:
    async def current_user(request: Request) -> str | None:
        return request.headers.get("x-user")

    def on_decision(session: LedgerSession) -> None:
        decisions.append((session.id, session.state))

    kyc = Verification(ledger, current_user, on_decision=on_decision,
                       config=Config(provider=provider, after_return="/done", request_fields=FIELDS, **config))
    return Starlette(routes=kyc.routes)


@pytest.fixture
async def kit(provider: str, tmp_path: Path) -> AsyncIterator[Kit]:
    sandbox = Sandbox([provider], webhook_url=DEAD_URL)
    sandbox.on_sent = lambda *args: None
    decisions: list[tuple[int, str]] = []
    async with quick_async_client(sandbox) as client, AsyncLedger(
            str(tmp_path / "ledger.db"), client, key=generate_key(), clock=sandbox.clock.now) as ledger:
        await ledger.migrate()
        app = make_app(ledger, provider, decisions)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=APP) as http:
            yield Kit(provider, sandbox, ledger, http, decisions)


def expected(scenario: str) -> str:
    return SCENARIOS[scenario].outcome.value


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch", "abandoned"])
async def test_start_hosted_page_return(kit: Kit, scenario: str) -> None:
    if scenario == "abandoned":
        scenario = abandon_scenario(kit.sandbox, kit.provider)
    assert await kit.state("alice") == "NONE"
    page = await kit.started("alice")
    assert await kit.state("alice") == "PENDING"
    back = kit.sandbox.complete(page, scenario)
    assert back.startswith(f"{APP}/kyc/return/{kit.provider}")
    outcome = await kit.come_back("alice", back)
    assert outcome == {"kyc": expected(scenario)}
    status = (await kit.http.get("/kyc/status", headers=kit.as_user("alice"))).json()
    assert status["state"] == expected(scenario) and status["provider"] == kit.provider
    assert "alice" not in json.dumps(status)
    session = await kit.ledger.status("alice")
    assert session is not None and kit.decisions == [(session.id, expected(scenario))]
    # the webhooks that follow are answered 200 and change nothing: the app heard of the decision once
    for delivery in kit.sandbox.deliveries(kit.provider):
        assert (await kit.deliver(delivery)).status_code == 200
    assert await kit.come_back("alice", back) == {"kyc": expected(scenario)}  # a second return
    assert await kit.state("alice") == expected(scenario)
    assert kit.decisions == [(session.id, expected(scenario))]


def _opened(sandbox: Sandbox, url: str) -> bool:
    """Open the provider's page as a browser would; True when it works (not "this link was already used")."""
    with httpx.Client(transport=sandbox.transport(), follow_redirects=True) as http:
        page = http.get(url)
    return page.status_code == 200 and 'id="closed"' not in page.text


async def test_a_returning_user_reuses_the_pending_session(kit: Kit) -> None:
    first = await kit.started("alice")
    page = await kit.http.get("/kyc/start", headers=kit.as_user("alice"))  # the Verify page again
    assert page.status_code == 200 and 'action="/kyc/start"' in page.text
    again = await kit.started("alice")  # a moment later (Policy.relink_grace): the same session and link
    assert again == first
    assert len(kit.sandbox.sessions(kit.provider)) == 1 and kit.sandbox.duplicate_sessions() == {}
    assert len(await kit.ledger.sessions("alice", secrets=False)) == 1
    # the user opened the provider's page, left, and comes back later: a page that works — the same session
    # (its link renewed where it works once), or for a link nothing renews (Alibaba) one new session
    assert _opened(kit.sandbox, first)
    kit.sandbox.clock.advance(kit.ledger.policy.relink_grace + 1)  # the ledger's clock is the sandbox's
    later = await kit.started("alice")
    assert _opened(kit.sandbox, later)
    link = kit.ledger.client.adapter(kit.provider).capabilities.link
    assert (later == first) == (link is LinkReuse.REUSABLE)
    mine = await kit.ledger.sessions("alice", secrets=False)
    assert len(mine) == len(kit.sandbox.sessions(kit.provider)) == (2 if link is LinkReuse.SINGLE_USE else 1)
    # once decided, start sends the user to the outcome instead of a new session (approved keeps the slot)
    await kit.come_back("alice", kit.sandbox.complete(later, "approved"))
    for answer in (await kit.start("alice"), await kit.http.get("/kyc/start", headers=kit.as_user("alice"))):
        assert answer.status_code == 303 and answer.headers["location"] == "/done?kyc=APPROVED"
    assert len(kit.sandbox.sessions(kit.provider)) == len(mine)


@pytest.mark.parametrize("provider", ["stripe"], indirect=True)
async def test_a_user_whose_submission_is_processing_is_sent_to_the_apps_page(kit: Kit) -> None:
    """Stripe has no page for a session that is ``processing`` (its url is null): a user who submitted and clicks
    Verify again past the grace goes to the app's page with PENDING, not to the spent link (red team)."""
    first = await kit.started("alice")
    kit.sandbox.complete(first, code="processing")
    kit.sandbox.clock.advance(kit.ledger.policy.relink_grace + 1)
    for _ in range(2):  # past the grace, then within the grace of that answer
        answer = await kit.start("alice")
        assert answer.status_code == 303 and answer.headers["location"] == "/done?kyc=PENDING"
    assert len(kit.sandbox.sessions("stripe")) == 1


async def test_a_declined_user_may_start_again(kit: Kit) -> None:
    first = await kit.started("alice")
    await kit.come_back("alice", kit.sandbox.complete(first, "face_mismatch"))
    second = await kit.started("alice")
    assert second != first and len(kit.sandbox.sessions(kit.provider)) == 2
    assert await kit.state("alice") == "PENDING"


async def test_someone_elses_return_url_is_refused(kit: Kit) -> None:
    alice = await kit.started("alice")
    mallory = await kit.started("mallory")
    their_url = kit.sandbox.complete(mallory, "approved")
    outcome = await kit.come_back("alice", their_url)
    assert outcome == {"kyc": "PENDING", "kyc_error": "session_mismatch"}
    assert await kit.state("alice") == "PENDING" and kit.decisions == []
    # a user with no session at all, and a URL no provider recognizes
    assert await kit.come_back("eve", their_url) == {"kyc": "NONE", "kyc_error": "no_session"}
    junk = await kit.come_back("alice", f"{APP}/kyc/return/{kit.provider}?nothing=here")
    assert junk == {"kyc": "PENDING", "kyc_error": "unrecognized_return"}
    # the right user's own URL still works, and alice's session is untouched by it
    assert await kit.come_back("mallory", their_url) == {"kyc": "APPROVED"}
    assert await kit.come_back("alice", kit.sandbox.complete(alice, "face_mismatch")) == {"kyc": "DECLINED"}


async def test_a_provider_outage_on_return_keeps_the_state(kit: Kit) -> None:
    page = await kit.started("alice")
    back = kit.sandbox.complete(page, "approved")
    kit.sandbox.set_fault(kit.provider, "503")
    assert await kit.come_back("alice", back) == {"kyc": "PENDING", "kyc_error": "provider_unavailable"}
    kit.sandbox.clear_faults()
    assert await kit.come_back("alice", back) == {"kyc": "APPROVED"}


async def test_webhooks_duplicated_replayed_forged_and_out_of_order(kit: Kit) -> None:
    page = await kit.started("alice")
    kit.sandbox.complete(page, "face_mismatch")
    deliveries = kit.sandbox.deliveries(kit.provider)
    assert deliveries, f"{kit.provider} sent no webhook"
    reject = REJECT_STATUS.get(kit.provider, 401)
    # forged first: every one refused with the provider's no-retry status, nothing applied
    for delivery in deliveries:
        answer = await kit.deliver(delivery, *forge(delivery))
        assert (answer.status_code, answer.json()) == (reject, {"error": "rejected"})
    assert await kit.state("alice") == "PENDING"
    # out of order: the newest first, then the older ones; each answered 200, the final state stays
    for delivery in reversed(deliveries):
        answer = await kit.deliver(delivery)
        assert (answer.status_code, answer.json()) == (200, {"received": True})
    assert await kit.state("alice") == "DECLINED"
    session = await kit.ledger.status("alice")
    assert session is not None and kit.decisions == [(session.id, "DECLINED")]  # once, by the delivery that did it
    calls = len(kit.decisions)
    # duplicated at once, and replayed a day later: answered (200 or, past its freshness window, refused),
    # never applied twice
    for delivery in deliveries:
        assert (await kit.deliver(delivery)).status_code == 200
    kit.sandbox.clock.advance(86400)
    for delivery in deliveries:
        assert (await kit.deliver(delivery)).status_code in (200, reject)
    assert await kit.state("alice") == "DECLINED" and len(kit.decisions) == calls
    advanced = [e for e in await kit.ledger.events(session_id=session.id, limit=1000) if e["action"] == "advance"]
    assert [e["to_state"] for e in advanced] == ["DECLINED"]


def forge(delivery: Delivery) -> tuple[bytes | None, dict[str, str]]:
    """What someone without the provider's secret can send: the delivery with every signature header changed
    (one character flipped), or for a GET callback (Alibaba) its token changed."""
    headers = dict(delivery.headers)
    if delivery.method == "GET":
        query = [(k, v + "0" if k.lower().endswith("token") else v)
                 for k, v in parse_qsl(urlsplit(delivery.url).query, keep_blank_values=True)]
        assert any(k.lower().endswith("token") for k, _ in query)
        return urlencode(query).encode(), headers
    signed = [k for k in headers if "signature" in k.lower()]
    assert signed, f"{delivery.provider}'s webhook carries no signature header"
    for name in signed:
        value = headers[name]
        headers[name] = value[:-1] + ("0" if value[-1:] != "0" else "1")
    return None, headers


async def test_unknown_provider_webhook_and_oversized_bodies(kit: Kit) -> None:
    answer = await kit.http.post("/kyc/webhooks/nobody", content=b"{}")
    assert (answer.status_code, answer.json()) == (404, {"error": "unknown_provider"})
    answer = await kit.http.post(f"/kyc/webhooks/{kit.provider}", content=b"x" * (MAX_WEBHOOK_BYTES + 1))
    assert (answer.status_code, answer.json()) == (413, {"error": "too_large"})

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(MAX_WEBHOOK_BYTES // 65536 + 2):
            yield b"x" * 65536

    answer = await kit.http.post(f"/kyc/webhooks/{kit.provider}", content=chunks())
    assert (answer.status_code, answer.json()) == (413, {"error": "too_large"})
    big = await kit.http.post("/kyc/start", content=b"a=" + b"x" * 70000, headers={
        **kit.as_user("alice"), "content-type": "application/x-www-form-urlencoded"})
    assert (big.status_code, big.json()) == (413, {"error": "too_large"})
    assert (await kit.ledger.stats())["deliveries"] == {}
    assert kit.sandbox.sessions(kit.provider) == []


@pytest.mark.parametrize("headers", [
    {"origin": "https://evil.example"}, {"origin": "null"}, {},
    {"referer": "https://evil.example/page"}, {"origin": APP, "sec-fetch-site": "cross-site"},
])
async def test_the_start_post_is_not_forgeable_cross_site(kit: Kit, headers: dict[str, str]) -> None:
    answer = await kit.http.post("/kyc/start", data={"ekyc_client_metadata": META_INFO},
                                 headers={"x-user": "alice", **headers})
    assert (answer.status_code, answer.json()) == (403, {"error": "cross_site_request"})
    assert kit.sandbox.sessions(kit.provider) == []
    same = await kit.http.post("/kyc/start", data={"ekyc_client_metadata": META_INFO},
                               headers={"x-user": "alice", "referer": f"{APP}/account"})
    assert same.status_code == 303


async def test_anonymous_users(kit: Kit, tmp_path: Path) -> None:
    for method, path in [("GET", "/kyc/start"), ("POST", "/kyc/start"), ("GET", "/kyc/status"),
                         ("GET", f"/kyc/return/{kit.provider}?x=1")]:
        answer = await kit.http.request(method, path, headers={"origin": APP})
        assert (answer.status_code, answer.json()) == (401, {"error": "not_signed_in"})
    app = make_app(kit.ledger, kit.provider, [], login_url="/login")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=APP) as http:
        answer = await http.get("/kyc/start")
        assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fkyc%2Fstart"


async def test_the_launch_page(kit: Kit) -> None:
    page = await kit.http.get("/kyc/start", headers=kit.as_user("alice"))
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    wanted = kit.ledger.client.adapter(kit.provider).browser_metadata()
    if wanted is not None:
        assert f'<script src="{wanted.script}"' in page.text
        # metadata that is not what the provider's script returns is refused before any session
        refused = await kit.http.post("/kyc/start", data={"ekyc_client_metadata": "not json"},
                                      headers=kit.as_user("alice"))
        assert (refused.status_code, refused.json()) == (400, {"error": "invalid_request"})
        twice = await kit.http.post("/kyc/start", content=b"ekyc_client_metadata=%7B%7D&ekyc_client_metadata=%7B%7D",
                                    headers={**kit.as_user("alice"),
                                             "content-type": "application/x-www-form-urlencoded"})
        assert (twice.status_code, twice.json()) == (400, {"error": "invalid_request"})
        assert kit.sandbox.sessions(kit.provider) == []
    else:
        assert "<script src=" not in page.text
    assert "form.submit()" in page.text  # it posts on at once


@pytest.mark.parametrize(("routing", "alibaba"), [
    ({}, False), ({"rules": [{"country": ["CHN"], "provider": "alibaba"}]}, True)])
async def test_the_launch_page_loads_alibabas_script_only_when_routing_may_pick_it(
        tmp_path: Path, routing: dict[str, Any], alibaba: bool) -> None:
    """An app that names no provider in its Config (the client's default and routing decide): Alibaba's
    browser-metadata script is on the launch page only when its routing may send a start there."""
    sandbox = Sandbox(webhook_url=DEAD_URL)  # every provider configured; the default is Didit
    async with sandbox.async_client({"provider": "didit", "routing": routing}) as client, AsyncLedger(
            str(tmp_path / "ledger.db"), client, key=generate_key()) as ledger:
        await ledger.migrate()
        app = Starlette(routes=Verification(ledger, lambda request: "alice", config=Config()).routes)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=APP) as http:
            page = await http.get("/kyc/start")
    assert page.status_code == 200
    assert ("jsvm_all.js" in page.text) is alibaba


async def test_in_fastapi(provider: str, tmp_path: Path) -> None:
    fastapi = pytest.importorskip("fastapi")
    sandbox = Sandbox([provider], webhook_url=DEAD_URL)
    sandbox.on_sent = lambda *args: None
    async with quick_async_client(sandbox) as client, AsyncLedger(
            str(tmp_path / "ledger.db"), client, key=generate_key(), clock=sandbox.clock.now) as ledger:
        await ledger.migrate()
        app = fastapi.FastAPI()
        kyc = Verification(ledger, lambda request: request.headers.get("x-user"),
                           config=Config(provider=provider, after_return="/done", request_fields=FIELDS))
        kyc.include(app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=APP) as http:
            kit = Kit(provider, sandbox, ledger, http)
            page = await kit.started("alice")
            assert await kit.come_back("alice", kit.sandbox.complete(page, "approved")) == {"kyc": "APPROVED"}
            for delivery in sandbox.deliveries(provider):
                assert (await kit.deliver(delivery)).status_code == 200
            assert await kit.state("alice") == "APPROVED"


def test_the_routes_are_the_contracts_paths() -> None:
    from ekyc.integrations import PATHS

    kyc = Verification.__new__(Verification)
    kyc.config = Config(prefix="/id")
    paths = {getattr(r, "path", None) for r in kyc.routes}
    assert paths == {"/id" + p for p in PATHS.values()}
