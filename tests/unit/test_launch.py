"""The launch page (ekyc.launch): what it embeds, how it escapes, what it reads back — and, in headless
Chromium, that the same page collects Alibaba's MetaInfo from the browser and nothing for the others."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from ekyc import Client
from ekyc.errors import InvalidRequest
from ekyc.launch import FIELD, browser_metadata, client_metadata, launch_page, launch_snippet
from ekyc.models import Outcome
from ekyc.sandbox import Sandbox


def test_only_providers_that_need_the_browser_load_a_script() -> None:
    with Sandbox().client() as kyc:
        wanted = browser_metadata(kyc)
        assert [w.getter for w in wanted] == ["getMetaInfo"]
        assert wanted[0].script == kyc.sandbox.client_settings("alibaba")["meta_info_script"]
        for name in kyc.providers:
            snippet = launch_snippet(kyc, "/kyc/start", provider=name)
            assert ("getMetaInfo" in snippet) == (name == "alibaba")
            assert f'name="{FIELD}"' in snippet


def test_every_embedded_value_is_escaped() -> None:
    with Sandbox().client() as kyc:
        page = launch_page(kyc, '/start?a=1&b="><script>x()</script>', fields={"csrf": '"><img src=x>'},
                           title="<b>KYC</b>", nonce='n"1')
    assert "<script>x()" not in page and "<img src=x>" not in page and "<b>KYC</b>" not in page
    assert 'action="/start?a=1&amp;b=&quot;&gt;&lt;script&gt;' in page
    assert 'value="&quot;&gt;&lt;img src=x&gt;"' in page and 'nonce="n&quot;1"' in page
    assert page.count("<script") == page.count('nonce="n&quot;1"') == 2  # the provider script and the inline one


@pytest.mark.parametrize(("form", "value"), [
    ({}, None), ({FIELD: ""}, None), ({FIELD: "  "}, None), ({FIELD: ' {"a":1} '}, '{"a":1}'),
    ({FIELD: ['{"a":1}']}, '{"a":1}'),
])
def test_client_metadata_reads_the_form(form: dict[str, Any], value: str | None) -> None:
    assert client_metadata(form) == value


@pytest.mark.parametrize("form", [{FIELD: ["a", "b"]}, {FIELD: 3}, {FIELD: "x" * 9000}])
def test_client_metadata_refuses_bad_values(form: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as exc:
        client_metadata(form)
    assert exc.value.field == "client_metadata"


def test_a_field_posted_twice_in_a_multi_value_form_is_refused() -> None:
    class MultiDict(dict):  # type: ignore[type-arg]
        def getlist(self, key: str) -> list[str]:
            return ["{}", "{}"]

    with pytest.raises(InvalidRequest):
        client_metadata(MultiDict())


CHROMIUM = os.environ.get("EKYC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("headless Chromium not found (Debian: apt-get install chromium; or set EKYC_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.mark.browser
def test_the_same_verify_button_starts_every_provider_in_chromium(served: Sandbox, browser: Any,
                                                                  provider: str) -> None:
    """The app serves the launch page at /kyc/verify; Chromium runs it; the app's /kyc/start gets the posted
    form and makes the one neutral create_session call (the sandbox fallback MetaInfo is switched off: Alibaba's
    must come from the browser). The app's pages are routed under the sandbox's loopback origin: Chromium's
    Private Network Access blocks a public origin from loading a loopback script."""
    app_url = f"{served.base_url}/app"
    settings = {n: {**served.client_settings(n), "sandbox_meta_info": False} if n == "alibaba"
                else served.client_settings(n) for n in served.providers}
    with Client({"providers": settings, "provider": provider}) as kyc:
        posted: dict[str, str] = {}

        def app(route: Any) -> None:
            request = route.request
            if request.url.endswith("/kyc/verify"):
                route.fulfill(status=200, content_type="text/html", body=launch_page(
                    kyc, f"{app_url}/kyc/start", fields={"csrf": "tok"}))
            else:
                from urllib.parse import parse_qsl

                posted.update(parse_qsl(request.post_data or "", keep_blank_values=True))
                route.fulfill(status=200, content_type="text/plain", body="started")

        page = browser.new_page()
        try:
            page.route(f"{app_url}/**", app)
            with page.expect_request(f"{app_url}/kyc/start"):
                page.goto(f"{app_url}/kyc/verify")
            page.wait_for_load_state()
        finally:
            page.close()
        assert posted["csrf"] == "tok" and FIELD in posted
        meta = client_metadata(posted)
        if provider == "alibaba":
            assert meta is not None and json.loads(meta)["deviceType"] == "web"
            assert "Chrome" in json.loads(meta)["ua"]  # produced by this browser, not by the server
        else:
            assert meta is None
        session = kyc.create_session(reference="user-42", return_url="https://app.example/kyc/done",
                                     checks={"document", "liveness", "face_match"}, client_metadata=meta)
        served.complete(session, "approved")
        assert kyc.get_result(session.ref.serialize()).outcome is Outcome.APPROVED
