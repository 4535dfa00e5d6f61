"""Red-team checks of ``ekyc.integrations.starlette`` (for every registered provider): what an attacker, a flaky
network or a careless integrator sends, each answered with a clean typed response and nothing half-created."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from ekyc.integrations import MAX_WAITS
from ekyc.ledger import _flows
from ekyc.sandbox.runner import META_INFO
from tests.integrations import test_starlette
from tests.integrations.test_starlette import APP, Kit

kit = test_starlette.kit  # the fixture: the app on one provider's sandbox

#: the launch page's script when it posts itself on
AUTO = "if (true) { collect(); form.submit(); }"


@pytest.mark.parametrize("host", ["app.test:notaport", "app.test:99999", "user@app.test", "[::1"])
async def test_a_host_header_that_makes_no_origin_is_a_clean_400(kit: Kit, host: str) -> None:
    """A Host header no http(s) origin can be made of (no ``public_origin`` configured): every endpoint that
    reads the app's own origin answers 400 ``invalid_request`` — never an unhandled error — and starts nothing."""
    headers = {**kit.as_user("alice"), "host": host}
    for method, path in [("POST", "/kyc/start"),
                         ("GET", f"/kyc/return/{kit.provider}?x=1")]:
        answer = await kit.http.request(method, path, headers=headers,
                                        data={"ekyc_client_metadata": META_INFO} if method == "POST" else None)
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request"}), (method, path)
    assert kit.sandbox.sessions(kit.provider) == []


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
async def test_a_navigation_from_another_site_does_not_start_by_itself(kit: Kit, fetch_site: str) -> None:
    """``GET start`` reached from another site (a link or ``window.open`` on evil.example: the browser sends the
    Lax session cookie) shows the Verify page with its Continue button, but does not post itself on: no
    session is created at the vendor without the user's click. From the app's own pages it still does."""
    page = await kit.http.get("/kyc/start", headers={**kit.as_user("alice"), "sec-fetch-site": fetch_site})
    assert page.status_code == 200
    assert AUTO not in page.text and "Continue" in page.text
    for own in ("same-origin", "none", None):
        headers = kit.as_user("alice") if own is None else {**kit.as_user("alice"), "sec-fetch-site": own}
        assert AUTO in (await kit.http.get("/kyc/start", headers=headers)).text


async def test_concurrent_starts_make_one_session(kit: Kit) -> None:
    """A double click (several start POSTs of one user at once) opens one vendor session, never two; each
    answer is the provider's page or a clean 503 ``busy``."""
    answers = await asyncio.gather(*(kit.start("alice") for _ in range(4)))
    pages = {a.headers["location"] for a in answers if a.status_code == 303}
    assert len(pages) == 1
    for answer in answers:
        assert answer.status_code == 303 or (answer.status_code, answer.json()) == (503, {"error": "busy"})
    assert len(kit.sandbox.sessions(kit.provider)) == 1
    assert len(await kit.ledger.sessions("alice", secrets=False)) == 1


async def test_a_return_url_mutated_or_for_another_provider(kit: Kit) -> None:
    """The user's own return URL with its parameters duplicated, changed or put on another provider's path:
    never trusted, never another session's outcome."""
    page = await kit.started("alice")
    back = kit.sandbox.complete(page, "face_mismatch")
    parts = urlsplit(back)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    other = "didit" if kit.provider != "didit" else "stripe"
    variants = [
        back.replace(f"/kyc/return/{kit.provider}", f"/kyc/return/{other}"),  # the path's provider: not trusted
        f"{APP}{parts.path}?{parts.query}&{parts.query}",                    # every parameter twice, same values
    ]
    if pairs:
        k, v = pairs[0]
        variants.append(f"{APP}{parts.path}?{parts.query}&{k}={v[:-1] + ('0' if v[-1:] != '0' else '1')}")
    for url in variants:
        answer = await kit.http.get(url, headers=kit.as_user("alice"))
        assert answer.status_code == 303, answer.text
        outcome = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
        assert outcome["kyc"] in ("PENDING", "DECLINED"), url
        assert "kyc_error" not in outcome or outcome["kyc_error"] in ("session_mismatch", "unrecognized_return")
    # bob, who never started, presenting alice's link: no session, nothing of alice's shown
    bob = await kit.http.get(back, headers=kit.as_user("bob"))
    assert bob.headers["location"] == "/done?kyc=NONE&kyc_error=no_session"
    assert await kit.state("bob") == "NONE"


async def test_pages_cannot_be_framed(kit: Kit) -> None:
    """The launch page posts itself on: framed by another site it would start a session unseen."""
    page = await kit.http.get("/kyc/start", headers=kit.as_user("alice"))
    assert page.headers.get("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in page.headers.get("content-security-policy", "")


@pytest.mark.parametrize("fault", ["connect", "503", "429", "processed-502", "processed-504"])
async def test_every_endpoint_under_a_provider_fault(kit: Kit, fault: str) -> None:
    """The provider failing (refused, 503, 429, processed then a gateway error) on every call: start, return and
    webhooks answer clean neutral JSON or the app's page — never a 500 — the user keeps one session, and once the
    provider is back everything settles."""
    kit.sandbox.set_fault(kit.provider, fault)
    answer = await kit.start("alice")
    assert answer.status_code in (502, 503), answer.text
    assert answer.json()["error"] in ("provider_unavailable", "provider_error")
    assert await kit.state("alice") in ("NONE", "ERROR")
    kit.sandbox.clear_faults()
    page = await kit.started("alice")
    assert await kit.state("alice") == "PENDING"
    back = kit.sandbox.complete(page, "approved")
    deliveries = kit.sandbox.deliveries(kit.provider)
    kit.sandbox.set_fault(kit.provider, fault)
    outcome = await kit.come_back("alice", back)
    assert outcome["kyc"] == "PENDING" and outcome.get("kyc_error") in ("provider_unavailable", "provider_error")
    for delivery in deliveries:  # stored whatever the provider answers a fetch; never a 500, never refused
        assert (await kit.deliver(delivery)).status_code in (200, 503)
    kit.sandbox.clear_faults()
    for _ in range(3):
        await kit.ledger.reconcile()
        kit.sandbox.clock.advance(3600)
    if await kit.state("alice") != "APPROVED":
        assert await kit.come_back("alice", back) == {"kyc": "APPROVED"}
    assert len([s for s in await kit.ledger.sessions("alice", secrets=False) if s.state != "FAILED"]) == 1


async def test_the_database_going_away(kit: Kit, tmp_path: Path) -> None:
    """The ledger's database lost under a running app (its file moved away: the next connection finds no
    tables): webhooks answer 503 so that the provider retries, the user's endpoints a neutral 503 — never a 500,
    never a traceback — and once it is back the retried delivery is applied."""
    page = await kit.started("alice")
    kit.sandbox.complete(page, "approved")
    deliveries = kit.sandbox.deliveries(kit.provider)
    database = tmp_path / "ledger.db"
    await kit.ledger.engine.dispose()
    database.rename(tmp_path / "away.db")
    try:
        for delivery in deliveries:
            answer = await kit.deliver(delivery)
            assert (answer.status_code, answer.json()) == (503, {"error": "unavailable"})
        for method, path in [("POST", "/kyc/start"), ("GET", "/kyc/status"), ("GET", "/kyc/start"),
                             ("GET", f"/kyc/return/{kit.provider}?x=1")]:
            answer = await kit.http.request(method, path, headers=kit.as_user("alice"))
            assert (answer.status_code, answer.json()) == (503, {"error": "unavailable"}), (method, path)
    finally:
        await kit.ledger.engine.dispose()
        database.unlink(missing_ok=True)
        (tmp_path / "away.db").rename(database)
    for delivery in deliveries:
        assert (await kit.deliver(delivery)).status_code == 200
    assert await kit.state("alice") == "APPROVED"


class _Slow:
    """The provider's create held until released: the first click's session is still being created."""

    def __init__(self, kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = asyncio.Event()
        real: Any = kit.ledger.client.create_session

        async def held(*args: Any, **kwargs: Any) -> Any:
            await self.release.wait()
            return await real(*args, **kwargs)

        monkeypatch.setattr(kit.ledger.client, "create_session", held)
        # the ledger's own wait for another click's claim runs out at once (instead of after 10 s)
        monkeypatch.setattr(_flows, "START_WAIT", 0.0)


async def _first_click_creating(kit: Kit) -> asyncio.Task[Any]:
    first = asyncio.create_task(kit.start("alice"))
    for _ in range(3000):  # the first click has claimed the slot and is creating the session
        if await kit.state("alice") == "STARTING":
            return first
        assert not first.done(), first.result().text
        await asyncio.sleep(0.01)
    raise AssertionError("the first click never claimed the slot")


async def test_an_extra_click_waits_for_the_first_clicks_session(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    """A click on start while the first click's session is still being created, past the ledger's own wait: a
    browser is not shown an error but a page that comes back to start by itself (503 + Retry-After, a meta refresh,
    no script), and lands on the first click's session once it is recorded — one vendor session."""
    slow = _Slow(kit, monkeypatch)
    first = await _first_click_creating(kit)
    html = {**kit.as_user("alice"), "accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    form = {"ekyc_client_metadata": META_INFO} if kit.needs_metadata else {}
    extra = await kit.http.post("/kyc/start", data=form, headers=html)
    assert extra.status_code == 503 and extra.headers["retry-after"] == "2"
    assert extra.headers["content-type"].startswith("text/html")
    assert '<meta http-equiv="refresh" content="2; url=/kyc/start?waited=1">' in extra.text
    assert "<script" not in extra.text
    slow.release.set()
    page = (await first).headers["location"]
    # the browser follows the refresh: the launch page posts on to start?waited=1, and lands on the same page
    launch = await kit.http.get("/kyc/start?waited=1", headers=html)
    assert 'action="/kyc/start?waited=1"' in launch.text
    again = await kit.http.post("/kyc/start?waited=1", data=form, headers=html)
    assert (again.status_code, again.headers["location"]) == (303, page)
    assert len(kit.sandbox.sessions(kit.provider)) == 1


async def test_the_wait_for_another_click_is_bounded(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    """Still being created after the last round: the app's page with the state and ``kyc_error=busy``. A client
    that does not ask for HTML keeps the JSON answer (503 ``busy``, with Retry-After)."""
    slow = _Slow(kit, monkeypatch)
    first = await _first_click_creating(kit)
    html = {**kit.as_user("alice"), "accept": "text/html"}
    form = {"ekyc_client_metadata": META_INFO} if kit.needs_metadata else {}
    last = await kit.http.post(f"/kyc/start?waited={MAX_WAITS}", data=form, headers=html)
    assert (last.status_code, last.headers["location"]) == (303, "/done?kyc=STARTING&kyc_error=busy")
    for waited in ("x", "-1", "99", ""):  # a made-up count is no count: the user goes round from the start
        assert "waited=1" in (await kit.http.post(f"/kyc/start?waited={waited}", data=form, headers=html)).text
    api = await kit.http.post("/kyc/start", data=form, headers=kit.as_user("alice"))
    assert (api.status_code, api.json(), api.headers["retry-after"]) == (503, {"error": "busy"}, "2")
    slow.release.set()
    assert (await first).status_code == 303
    assert len(kit.sandbox.sessions(kit.provider)) == 1
