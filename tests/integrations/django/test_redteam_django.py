"""Red-team checks of the Django integration (for every registered provider): the database going away under the
views, navigations from another site, framing, and the one CSRF-exempt view."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from ekyc.ledger import LedgerError
from ekyc.sandbox.runner import scenario_request

from .conftest import Kyc

#: the launch page's script when it posts itself on
AUTO = "if (true) { collect(); form.submit(); }"


@contextmanager
def django_database_down() -> Iterator[None]:
    """Every query Django's ORM sends fails as a database that went away does (``OperationalError``)."""
    from django.db import OperationalError, connection

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def test_the_database_going_away_is_503_for_webhooks(kyc: Kyc, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger's database failing under the audit cursor the webhook view reads before the inbox is answered
    503 with a neutral code — the provider retries — never an unhandled 500. (The user-facing views cannot even
    sign the user in then: Django's session middleware fails first.)"""
    user = kyc.user()
    browser = kyc.browser(user)
    kyc.finish(kyc.start(browser)["Location"], "approved")
    deliveries = kyc.deliveries()
    assert deliveries

    def down() -> int:
        raise LedgerError("the ledger database failed (OperationalError)", http_status=503)

    monkeypatch.setattr(kyc.ledger, "last_event_id", down)
    answer = kyc.post_webhook(deliveries[-1])
    assert (answer.status_code, answer.json()) == (503, {"error": "unavailable"})
    assert kyc.decisions == []
    monkeypatch.undo()
    # the provider's retry once the database is back: applied and announced once
    assert all(kyc.post_webhook(d).status_code == 200 for d in deliveries)
    assert kyc.session_of(user).state == "APPROVED"
    assert [d["state"] for d in kyc.decisions] == ["APPROVED"]


def test_webhooks_need_only_the_ledgers_connection(kyc: Kyc) -> None:
    """Django's own connection refusing every query changes nothing for a provider: the webhook view reads and
    writes through the ledger only (the "once per state change" rule included), so it stores, applies and
    announces the decision once."""
    user = kyc.user()
    kyc.finish(kyc.start(kyc.browser(user))["Location"], "approved")
    deliveries = kyc.deliveries()
    with django_database_down():
        assert all(kyc.post_webhook(d).status_code == 200 for d in [*deliveries, *deliveries])
    assert kyc.session_of(user).state == "APPROVED"
    assert [(d["state"], d["source"]) for d in kyc.decisions] == [("APPROVED", "webhook")]


def test_a_navigation_from_another_site_does_not_start_by_itself(kyc: Kyc) -> None:
    """``GET start`` reached from another site (Lax cookies ride along on a top-level navigation) shows the
    Continue button without posting itself on; from the app's own pages it posts on at once."""
    browser = kyc.browser(kyc.user())
    for fetch_site in ("cross-site", "same-site"):
        page = browser.get("/kyc/start", HTTP_SEC_FETCH_SITE=fetch_site)
        assert page.status_code == 200
        assert AUTO.encode() not in page.content and b"Continue" in page.content
    for own in ({"HTTP_SEC_FETCH_SITE": "same-origin"}, {"HTTP_SEC_FETCH_SITE": "none"}, {}):
        assert AUTO.encode() in browser.get("/kyc/start", **own).content
    assert kyc.sandbox.sessions(kyc.provider) == []


def test_the_launch_page_cannot_be_framed(kyc: Kyc) -> None:
    page = kyc.browser(kyc.user()).get("/kyc/start")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.get("Content-Security-Policy", "")


def test_the_webhook_is_the_only_csrf_exempt_view(django_app: Any) -> None:
    from django.urls import get_resolver

    from ekyc.integrations.django import urls

    exempt = {p.name for p in urls.urlpatterns if getattr(p.callback, "csrf_exempt", False)}
    assert exempt == {"webhook"}
    assert get_resolver()  # the app's URLconf loads with them


def test_an_extra_click_waits_for_the_first_clicks_session(kyc: Kyc, monkeypatch: pytest.MonkeyPatch) -> None:
    """A click on start while the first click's session is still being created, past the ledger's own wait:
    a page that comes back to start by itself (503 + Retry-After, a meta refresh), then the first click's
    session — one vendor session; after the last round the app's page with ``kyc_error=busy``; a client that asks
    for no HTML keeps the JSON 503 ``busy``."""
    from ekyc.integrations import MAX_WAITS
    from ekyc.ledger import _flows

    ledger = kyc.ledger
    release = threading.Event()
    real = ledger.client.create_session

    def held(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger.client, "create_session", held)
    monkeypatch.setattr(_flows, "START_WAIT", 0.0)  # the ledger's own wait runs out at once
    user = kyc.user()
    first_browser, browser = kyc.browser(user), kyc.browser(user)

    def click() -> Any:
        from django.db import connections
        try:
            return kyc.start(first_browser)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(click)
        for _ in range(3000):  # the first click has claimed the slot and is creating the session
            current = ledger.status(str(user.pk))
            if current is not None and current.state == "STARTING":
                break
            assert not first.done(), first.result()
            time.sleep(0.01)
        browser.get("/kyc/start")
        form = {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
                "ekyc_client_metadata": scenario_request(kyc.provider, "approved").client_metadata or ""}
        html = {"HTTP_ORIGIN": "http://testserver", "HTTP_ACCEPT": "text/html,*/*;q=0.8"}
        extra = browser.post("/kyc/start", form, **html)
        assert extra.status_code == 503 and extra["Retry-After"] == "2"
        assert b'<meta http-equiv="refresh" content="2; url=/kyc/start?waited=1">' in extra.content
        last = browser.post(f"/kyc/start?waited={MAX_WAITS}", form, **html)
        assert (last.status_code, last["Location"]) == (303, "/?kyc=STARTING&kyc_error=busy")
        api = browser.post("/kyc/start", form, HTTP_ORIGIN="http://testserver", HTTP_ACCEPT="application/json")
        assert (api.status_code, api.json(), api["Retry-After"]) == (503, {"error": "busy"}, "2")
        release.set()
        page = first.result(timeout=60)["Location"]
    launch = browser.get("/kyc/start?waited=1")
    assert b'action="/kyc/start?waited=1"' in launch.content
    again = browser.post("/kyc/start?waited=1", form, **html)
    assert (again.status_code, again["Location"]) == (303, page)
    assert len(kyc.sandbox.sessions(kyc.provider)) == 1
