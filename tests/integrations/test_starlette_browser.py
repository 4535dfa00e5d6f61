"""Real browser: headless Chromium drives the Starlette example app (examples/starlette_app) end to end for every
registered provider (``provider`` is parametrized over ``registry.names()`` by tests/conftest.py): sign in,
"Verify my identity", the launch page, the provider's hosted page (its emulator served on loopback), back to the
app showing the outcome — approved, declined, abandoned; a returning user whose pending session is reused; one
who already opened the provider's page (a page that works: docs/ledger.md); a user who opens someone else's return
URL (refused). The sandbox sends its webhooks to the running app over HTTP;
every one must be answered 200.

One browser for the module, one context (cookie jar) per test user. Skipped only when Chromium is absent, and
never under CI (``CI`` set): .ci/run installs Debian's chromium."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ekyc import registry
from ekyc.ledger import AsyncLedger
from ekyc.provider import LinkReuse
from ekyc.sandbox import SCENARIOS, Delivery
from ekyc.sandbox.clock import SandboxClock

CHROMIUM = os.environ.get("EKYC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "starlette_app" / "app.py"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
pytestmark = pytest.mark.browser


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ekyc_example_starlette_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium, and it is still absent")
        pytest.skip("headless Chromium not found (Debian: apt-get install chromium; or set EKYC_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Sent:
    """The webhooks the sandbox sent to the app, with the app's answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[tuple[str, int | None, str | None]] = []
        self.done = threading.Condition(self.lock)

    def __call__(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        with self.done:
            self.answers.append((delivery.provider, status, error))
            self.done.notify_all()

    def wait_for(self, count: int) -> list[tuple[str, int | None, str | None]]:
        with self.done:
            self.done.wait_for(lambda: len(self.answers) >= count, timeout=30)
            return list(self.answers)


class User:
    """One test user in their own browser context."""

    def __init__(self, browser: Any, app_url: str, name: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.app_url = app_url
        self.page.goto(app_url)
        self.page.fill("#name", name)
        with self.page.expect_navigation():
            self.page.click("#login")
        assert self.page.inner_text("#user") == name

    def state(self) -> str:
        return str(self.page.inner_text("#state"))

    def error(self) -> str | None:
        found = self.page.locator("#error")
        return str(found.inner_text()) if found.count() else None

    def verify(self) -> str:
        """Press Verify (or Continue): through the launch page to the provider's hosted page; its URL."""
        with self.page.expect_navigation(url=lambda u: not u.startswith(self.app_url)):
            self.page.click("#verify")
        return str(self.page.url)

    def leave_before_the_provider_page(self) -> str:
        """Press Verify, but never reach the provider's page (the start's redirect is read and a "tab closed" page
        shown instead); the provider URL the app sent the browser to."""
        sent_to: list[str] = []

        def intercept(route: Any) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            answer = route.fetch(max_redirects=0)
            sent_to.append(answer.headers["location"])
            route.fulfill(status=200, content_type="text/html", body="<p id=gone>The tab was closed.</p>")

        self.page.route(f"{self.app_url}/kyc/start", intercept)
        self.page.click("#verify")
        self.page.wait_for_selector("#gone")
        self.page.unroute(f"{self.app_url}/kyc/start", intercept)
        assert len(sent_to) == 1
        return sent_to[0]

    def finish(self, scenario: str) -> None:
        """Step through the hosted page, pick ``scenario``, and follow the provider back to the app."""
        step = 0
        while self.page.locator(f"#next-{step}").count():
            self.page.click(f"#next-{step}")
            step += 1
        self.page.check(f"input[name=scenario][value={scenario}]")
        with self.page.expect_navigation(url=lambda u: u.startswith(self.app_url + "/?")):
            self.page.click("#finish")

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_url(lambda u: u.startswith(self.app_url + "/"))

    def close(self) -> None:
        self.context.close()


def test_the_example_app_end_to_end(browser: Any, provider: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    example = _example()
    sent = Sent()
    # the example's ledger on a clock the test moves (real time plus an offset): "past Policy.relink_grace"
    # without sleeping
    ledger_clock = SandboxClock()
    monkeypatch.setattr(example, "AsyncLedger", functools.partial(AsyncLedger, clock=ledger_clock.now))
    with example.running(provider, database=str(tmp_path / "ledger.db"), on_sent=sent) as app:
        sandbox = app.sandbox
        users: list[User] = []

        def user(name: str) -> User:
            users.append(User(browser, app.url, name))
            return users[-1]

        try:
            abandon = next((n for n, s in SCENARIOS.items()
                            if s.outcome.value == "ABANDONED" and sandbox.emulators[provider].supports(n)), None)
            for name, scenario in [("alice", "approved"), ("bob", "face_mismatch"), ("carol", abandon)]:
                if scenario is None:  # this provider's emulator cannot produce an abandoned session
                    continue
                u = user(name)
                assert u.state() == "NONE"
                assert u.verify().startswith(sandbox.base_url)
                u.finish(scenario)
                assert u.state() == SCENARIOS[scenario].outcome.value and u.error() is None
                assert u.page.locator("#verify").count() == (0 if scenario == "approved" else 1)

            # a returning user with a pending session: the provider's page did not open (the tab was closed, the
            # network dropped); back in the app, "Continue" reuses the session and its link, never a second one.
            # (A page the user already opened: gina, below.)
            dave = user("dave")
            first = dave.leave_before_the_provider_page()
            dave.open(app.url)
            assert dave.state() == "PENDING"
            assert dave.page.inner_text("#verify") == "Continue my verification"
            assert dave.verify() == first
            dave.finish("approved")
            assert dave.state() == "APPROVED"
            assert sandbox.duplicate_sessions(provider) == {}

            # a returning user who already opened the provider's page and comes back past the grace: "Continue"
            # opens a page that works — the same session (its link renewed where it works once: Stripe, Persona)
            # or, for a link nothing renews (Alibaba's TransactionUrl), one new session (docs/integrations.md)
            gina = user("gina")
            first_page = gina.verify()
            assert gina.page.locator("#closed").count() == 0
            gina.open(app.url)
            assert gina.state() == "PENDING"
            assert gina.page.inner_text("#verify") == "Continue my verification"
            ledger_clock.advance(app.app.state.ledger.policy.relink_grace + 1)
            again = gina.verify()
            assert gina.page.locator("#closed").count() == 0  # not "this link has already been used"
            link = registry.load(provider).capabilities.link
            assert (again == first_page) == (link is LinkReuse.REUSABLE)
            gina.finish("approved")
            assert gina.state() == "APPROVED" and gina.error() is None

            # someone else's return URL: refused, the user's own session untouched
            erin, frank = user("erin"), user("frank")
            erin.verify()
            erin.open(app.url)
            frank_page = frank.verify()
            frank_return = sandbox.complete(frank_page, "approved")  # where the provider sends frank back
            assert frank_return.startswith(f"{app.url}/kyc/return/")
            erin.open(frank_return)
            assert erin.state() == "PENDING" and "another session" in (erin.error() or "")
            frank.open(frank_return)
            assert frank.state() == "APPROVED" and frank.error() is None
        finally:
            for u in users:
                u.close()
        # every webhook the sandbox sent to the running app was answered 200
        expected = len(sandbox.deliveries(provider))
        answers = sent.wait_for(expected)
        assert len(answers) == expected and all(status == 200 for _, status, _ in answers), answers
        assert app.app.state.decided  # the app's decision callback ran
