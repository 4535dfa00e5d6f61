"""The three endpoints end to end through Django's test client, for every registered provider: start (the launch
page, then the form), the provider's hosted page (the sandbox plays the user), the return, the webhooks, status.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ekyc.ledger import Policy
from ekyc.provider import LinkReuse
from ekyc.sandbox.scenarios import SCENARIOS

from .conftest import Kyc, expected, outcome_scenario


@pytest.mark.parametrize("outcome", ["APPROVED", "DECLINED", "ABANDONED"])
def test_a_user_verifies_and_comes_back_to_the_outcome(kyc: Kyc, outcome: str) -> None:
    scenario = outcome_scenario(kyc.sandbox, kyc.provider, outcome)
    user = kyc.user()
    browser = kyc.browser(user)
    assert kyc.status(browser)["state"] == "NONE"

    started = kyc.start(browser)
    assert started.status_code == 303
    hosted = started["Location"]
    assert hosted.startswith(kyc.sandbox.base_url)  # the provider's page
    assert kyc.status(browser) | {"reasons": []} == {"state": "PENDING", "approved": False, "final": False,
                                                      "reasons": [], "provider": kyc.provider, "next": "continue"}

    back = browser.get(kyc.finish(hosted, scenario))
    assert back.status_code == 303
    assert back["Location"] == f"/?kyc={outcome}"
    status = kyc.status(browser)
    assert status["state"] == outcome == expected(scenario)
    assert set(status["reasons"]) == {r.value for r in SCENARIOS[scenario].reasons}
    # the decision went out once, from the return (it fetched the result); the webhooks then change nothing
    assert [(d["reference"], d["state"], d["source"]) for d in kyc.decisions] == [(str(user.pk), outcome, "return")]
    for delivery in kyc.deliveries():
        assert kyc.post_webhook(delivery).status_code == 200
    assert kyc.status(browser)["state"] == outcome
    assert len(kyc.decisions) == 1


def test_the_webhook_decides_before_the_user_is_back(kyc: Kyc) -> None:
    user = kyc.user()
    browser = kyc.browser(user)
    hosted = kyc.start(browser)["Location"]
    path = kyc.finish(hosted, "approved")
    for delivery in kyc.deliveries():
        answer = kyc.post_webhook(delivery)
        assert answer.status_code == 200, answer.content
        assert answer.json() == {"received": True}
    session = kyc.session_of(user)
    # providers whose webhook carries a decision (or triggers a fetch) are approved by it alone
    assert session.state == "APPROVED"
    assert [(d["state"], d["source"]) for d in kyc.decisions] == [("APPROVED", "webhook")]
    back = browser.get(path)
    assert back["Location"] == "/?kyc=APPROVED"
    assert len(kyc.decisions) == 1  # the return changed nothing, so nothing is sent again


def _opened(kyc: Kyc, url: str) -> bool:
    """Open the provider's page as a browser would; True when it works (not "this link was already used")."""
    with httpx.Client(transport=kyc.sandbox.transport(), follow_redirects=True) as http:
        page = http.get(url)
    return page.status_code == 200 and 'id="closed"' not in page.text


def test_a_returning_user_with_a_pending_session_gets_it_again(kyc: Kyc) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    user = kyc.user()
    browser = kyc.browser(user)
    first = kyc.start(browser)["Location"]
    again = kyc.start(kyc.browser(user))["Location"]  # another tab, a moment later: the same unfinished session
    assert again == first
    assert kyc.sandbox.duplicate_sessions(kyc.provider) == {}
    assert len(kyc.ledger.sessions(str(user.pk))) == 1
    # the user opened the provider's page and comes back past Policy.relink_grace (here: none; the app's ledger
    # runs on the wall clock): a page that works — the same session, its link renewed where it works once, or
    # for a link nothing renews (Alibaba) one new session
    assert _opened(kyc, first)
    link = kyc.ledger.client.adapter(kyc.provider).capabilities.link
    with override_settings(EKYC={**settings.EKYC, "POLICY": Policy(relink_grace=0)}):
        later = kyc.start(kyc.browser(user))["Location"]
        assert _opened(kyc, later)
        assert (later == first) == (link is LinkReuse.REUSABLE)
        sessions = len(kyc.ledger.sessions(str(user.pk)))
        assert sessions == len(kyc.sandbox.sessions(kyc.provider)) == (2 if link is LinkReuse.SINGLE_USE else 1)
        back = browser.get(kyc.finish(later, "approved"))
        assert back["Location"] == "/?kyc=APPROVED"
        # approved: start (its page, and a form posted anyway) sends the user back to the app instead of opening
        # a new session
        assert browser.get("/kyc/start")["Location"] == "/?kyc=APPROVED"
        form = {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
        assert browser.post("/kyc/start", form, HTTP_ORIGIN="http://testserver")["Location"] == "/?kyc=APPROVED"
        assert len(kyc.ledger.sessions(str(user.pk))) == sessions


def test_a_declined_user_may_start_again(kyc: Kyc) -> None:
    user = kyc.user()
    browser = kyc.browser(user)
    browser.get(kyc.finish(kyc.start(browser)["Location"], "face_mismatch"))
    assert kyc.status(browser)["next"] == "start"
    second = kyc.start(browser)
    assert second.status_code == 303 and second["Location"].startswith(kyc.sandbox.base_url)
    assert len(kyc.ledger.sessions(str(user.pk))) == 2


def test_someone_elses_return_url_is_refused(kyc: Kyc) -> None:
    alice, mallory = kyc.user(), kyc.user()
    alice_browser, mallory_browser = kyc.browser(alice), kyc.browser(mallory)
    alice_back = kyc.finish(kyc.start(alice_browser)["Location"], "approved")
    mallory_hosted = kyc.start(mallory_browser)["Location"]  # mallory has a pending session of her own

    refused = mallory_browser.get(alice_back)
    assert refused.status_code == 303
    assert refused["Location"] == "/?kyc=PENDING&kyc_error=session_mismatch"
    assert kyc.session_of(mallory).state == "PENDING"
    assert kyc.decisions == []
    audit = kyc.ledger.events(reference=str(mallory.pk))
    assert any(row["action"] == "return-refused" for row in audit)

    # alice's own return still works, and mallory's session is still hers to finish
    assert alice_browser.get(alice_back)["Location"] == "/?kyc=APPROVED"
    assert mallory_browser.get(kyc.finish(mallory_hosted, "face_mismatch"))["Location"] == "/?kyc=DECLINED"


def test_a_user_without_a_session_coming_back_is_told_so(kyc: Kyc) -> None:
    alice, eve = kyc.user(), kyc.user()
    alice_back = kyc.finish(kyc.start(kyc.browser(alice))["Location"], "approved")
    answer = kyc.browser(eve).get(alice_back)
    assert answer["Location"] == "/?kyc=NONE&kyc_error=no_session"
    assert kyc.session_of(alice).state == "PENDING"  # nothing about alice changed


def test_anonymous_users_are_sent_to_sign_in(kyc: Kyc) -> None:
    anonymous = kyc.browser()
    start = anonymous.get("/kyc/start")
    assert start.status_code == 303 and start["Location"] == "/login/?next=%2Fkyc%2Fstart"
    back = anonymous.get(f"/kyc/return/{kyc.provider}?session=x")
    assert back.status_code == 303 and back["Location"].startswith("/login/?next=")
    status = anonymous.get("/kyc/status")
    assert status.status_code == 401 and status.json() == {"error": "not_signed_in"}


def test_start_is_refused_from_another_site(kyc: Kyc) -> None:
    user = kyc.user()
    browser = kyc.browser(user)
    browser.get("/kyc/start")
    token = browser.cookies["csrftoken"].value
    forged = browser.post("/kyc/start", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example")
    assert forged.status_code == 403
    no_token = browser.post("/kyc/start", {}, HTTP_ORIGIN="http://testserver")
    assert no_token.status_code == 403  # Django's CSRF middleware: only webhooks are exempt
    assert kyc.ledger.status(str(user.pk)) is None


@pytest.mark.parametrize(("routing", "alibaba"), [
    ({}, False), ({"rules": [{"country": ["CHN"], "provider": "alibaba"}]}, True)])
def test_the_launch_page_loads_alibabas_script_only_when_routing_may_pick_it(
        django_app: Any, routing: dict[str, Any], alibaba: bool) -> None:
    """An app that sets no ``EKYC["PROVIDER"]`` (the client's default and routing decide): Alibaba's
    browser-metadata script is on the launch page only when its routing may send a start there."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client as DjangoClient
    from django.test.utils import override_settings

    from ekyc.sandbox import Sandbox

    sandbox = Sandbox()  # every provider configured; the default is Didit
    user = get_user_model().objects.create_user(f"routing-{len(routing)}-{alibaba}")
    browser = DjangoClient()
    browser.force_login(user)
    with override_settings(EKYC={**settings.EKYC, "PROVIDER": None,
                                 "CLIENT": lambda: sandbox.client({"provider": "didit", "routing": routing})}):
        page = browser.get("/kyc/start")
    assert page.status_code == 200
    assert (b"jsvm_all.js" in page.content) is alibaba


def test_an_approved_user_opening_start_goes_to_the_apps_page(kyc: Kyc) -> None:
    """GET start for a user with nothing left to do (approved) sends them to the app's page with the state, as the
    Starlette router does — never a launch page that would start a second, billed verification (red team)."""
    user = kyc.user()
    browser = kyc.browser(user)
    hosted = kyc.start(browser)["Location"]
    assert browser.get(kyc.finish(hosted, "approved")).status_code == 303
    again = browser.get("/kyc/start")
    assert again.status_code == 303 and again["Location"] == "/?kyc=APPROVED"
