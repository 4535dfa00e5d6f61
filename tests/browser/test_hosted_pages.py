"""Real browser: headless Chromium opens each registered provider's hosted page (its emulator served on
loopback), steps through it, picks a scenario, follows the provider's redirect to a local return page, and the
resulting Decision is asserted. ``provider`` is parametrized over ``registry.names()`` by tests/conftest.py."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import scenario_request

CHROMIUM = os.environ.get("EKYC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install chromium; "
                                                "or set EKYC_CHROMIUM); .ci/run installs it"),
]
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch"])
def test_user_completes_the_hosted_page_in_chromium(served: Sandbox, browser: Any, provider: str,
                                                    scenario: str) -> None:
    with served.client() as client:
        req = scenario_request(provider, scenario).model_copy(update={"return_url": served.return_url})
        session = client.create_session(req, provider=provider)
        page = browser.new_page()
        try:
            page.goto(session.url)
            step = 0
            while page.locator(f"#next-{step}").count():
                page.click(f"#next-{step}")
                step += 1
            page.check(f"input[name=scenario][value={scenario}]")
            with page.expect_navigation(url=lambda u: u.startswith(served.return_url)):
                page.click("#finish")
            shown = json.loads(page.locator("#decision").inner_text())
        finally:
            page.close()
        expected = SCENARIOS[scenario]
        assert shown["provider"] == provider
        assert shown["outcome"] == expected.outcome.value
        assert set(shown["reasons"]) == {r.value for r in expected.reasons}
        decision = client.get_result(session.ref)  # the app's own server-side check agrees
        assert decision.outcome is expected.outcome
