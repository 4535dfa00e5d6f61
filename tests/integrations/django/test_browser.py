"""Headless Chromium drives the example Django app (examples/django_app) end to end, as a person would: sign in
as a test user, "Verify my identity", the provider's hosted page (the served sandbox), back to the app showing
the outcome — for every registered provider (tests/conftest.py parametrizes ``provider``) and several scenarios,
a returning user whose pending session is reused, and a user who presents someone else's return URL.

The app runs in a thread on loopback (Django's threaded WSGI server, the example's own settings and URLs); the
sandbox is served on loopback too and sends its webhooks to the app over HTTP, racing the user's return as in
production. One Chromium for the module. Skipped without Chromium, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ekyc import registry
from ekyc.ledger import Policy
from ekyc.provider import LinkReuse

from .conftest import outcome_scenario

CHROMIUM = os.environ.get("EKYC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
PASSWORD = "kyc-demo"
pytestmark = pytest.mark.browser


def _need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {what} (.ci/run installs Debian's chromium)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        _need("headless Chromium not found (Debian: apt-get install chromium; or set EKYC_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(django_app: Path) -> Iterator[str]:
    """The example app served on loopback, with the example's served sandbox sending webhooks to it."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.test.utils import override_settings
    from kycdemo import sandbox

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sandbox.stop()  # a sandbox started for another address (none in these tests) is replaced
    sandbox.start(url)
    # test users sign in through the login form: a fast hasher (the default PBKDF2 costs ~0.5 s per sign-in)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        try:
            yield url
        finally:
            server.shutdown()
            server.server_close()
            sandbox.stop()
            connections.close_all()


@pytest.fixture
def app(app_url: str, provider: str) -> Iterator[Any]:
    """The example app verifying with ``provider`` (its served sandbox)."""
    from django.conf import settings
    from django.test.utils import override_settings
    from kycdemo import sandbox

    with override_settings(EKYC={**settings.EKYC, "PROVIDER": provider}):
        yield sandbox.start(app_url)


_count = iter(range(1, 1_000_000))


def _new_user(name: str) -> Any:
    """A test user, created from a plain thread: Playwright's sync API runs an event loop in the test's thread,
    where Django refuses ORM calls."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    def create() -> Any:
        try:
            return get_user_model().objects.create_user(name, password=PASSWORD)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(create).result()


def _sign_in(browser: Any, app_url: str, provider: str) -> tuple[Any, Any]:
    """A new test user signed in through the example's login form, in a fresh browser context."""
    name = f"person{next(_count)}-{provider}"
    user = _new_user(name)
    context = browser.new_context()
    page = context.new_page()
    page.goto(app_url + "/")
    page.click("#login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(url=app_url + "/"):
        page.click("#submit")
    assert page.inner_text("#user") == name
    assert page.inner_text("#outcome") == "NONE"
    return user, page


def _to_hosted_page(page: Any, sandbox_url: str) -> str:
    """Click "Verify my identity" (or "Continue"): the launch page posts on by itself to the provider's page."""
    with page.expect_navigation(url=lambda u: u.startswith(sandbox_url), wait_until="domcontentloaded"):
        page.click("#verify")
    return str(page.url)


def _finish(page: Any, app_url: str, scenario: str) -> list[str]:
    """Step through the hosted page, pick ``scenario``, finish; returns the app URLs the browser requested on
    the way back (the provider's return URL first)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.url.startswith(app_url + "/kyc/return/") else None)
    step = 0
    while page.locator(f"#next-{step}").count():
        page.click(f"#next-{step}")
        step += 1
    page.check(f"input[name=scenario][value={scenario}]")
    with page.expect_navigation(url=lambda u: u.startswith(app_url + "/?"), wait_until="domcontentloaded"):
        page.click("#finish")
    return seen


@pytest.mark.parametrize("outcome", ["APPROVED", "DECLINED", "ABANDONED"])
def test_a_person_verifies_in_chromium(browser: Any, app_url: str, app: Any, provider: str, outcome: str) -> None:
    scenario = outcome_scenario(app, provider, outcome)
    _user, page = _sign_in(browser, app_url, provider)
    try:
        _to_hosted_page(page, app.base_url)
        returns = _finish(page, app_url, scenario)
        assert returns and returns[0].startswith(f"{app_url}/kyc/return/{provider}")
        assert page.url == f"{app_url}/?kyc={outcome}"
        assert page.inner_text("#outcome") == outcome
        assert page.locator("#error").count() == 0
        if outcome != "APPROVED":
            assert page.locator("#verify").count() == 1  # declined/abandoned: the user may try again
    finally:
        page.context.close()


def test_a_returning_user_continues_the_same_session(browser: Any, app_url: str, app: Any, provider: str) -> None:
    """A returning user who already opened the provider's page, back past ``Policy.relink_grace`` (here set to
    none: the app's ledger runs on the wall clock, and the test never sleeps): "Continue" opens a page that works —
    the same session (its link renewed where it works once: Stripe, Persona), or for a link nothing renews
    (Alibaba's TransactionUrl) one new session."""
    from django.conf import settings
    from django.test.utils import override_settings

    user, page = _sign_in(browser, app_url, provider)
    try:
        first = _to_hosted_page(page, app.base_url)
        assert page.locator("#closed").count() == 0
        page.goto(app_url + "/")  # the user wanders off and comes back later
        assert page.inner_text("#outcome") == "PENDING"
        assert page.inner_text("#verify") == "Continue my verification"
        link = registry.load(provider).capabilities.link
        with override_settings(EKYC={**settings.EKYC, "POLICY": Policy(relink_grace=0)}):
            again = _to_hosted_page(page, app.base_url)
            assert page.locator("#closed").count() == 0  # the page handed out works
            assert (again == first) == (link is LinkReuse.REUSABLE)
            if link is not LinkReuse.SINGLE_USE:  # the same session: no second one for this user
                assert not any(ref == str(user.pk) for (_, ref) in app.duplicate_sessions(provider))
            _finish(page, app_url, "approved")
            assert page.inner_text("#outcome") == "APPROVED"
            assert page.locator("#verify").count() == 0
    finally:
        page.context.close()


def test_someone_elses_return_url_is_refused_in_chromium(browser: Any, app_url: str, app: Any,
                                                        provider: str) -> None:
    _alice, alice_page = _sign_in(browser, app_url, provider)
    _mallory, mallory_page = _sign_in(browser, app_url, provider)
    try:
        _to_hosted_page(alice_page, app.base_url)
        alice_return = _finish(alice_page, app_url, "approved")[0]
        assert alice_page.inner_text("#outcome") == "APPROVED"
        _to_hosted_page(mallory_page, app.base_url)  # mallory has a pending session of her own
        mallory_page.goto(alice_return)
        assert mallory_page.url == f"{app_url}/?kyc=PENDING&kyc_error=session_mismatch"
        assert mallory_page.inner_text("#outcome") == "PENDING"
        assert "belongs to someone else" in mallory_page.inner_text("#error")
    finally:
        alice_page.context.close()
        mallory_page.context.close()
