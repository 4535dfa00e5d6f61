"""Fixtures of the Django integration tests, with Django's own test tools (``django.test.Client``,
``override_settings``, ``call_command``) — no pytest plugin, so nothing changes for the rest of the suite.

Django is configured once per test process, lazily, by the first test here that asks for ``django_app``: the
example app's settings (``examples/django_app/kycdemo/settings.py``) with its data (one SQLite file holding
Django's tables and the ledger's) in a temporary folder, migrated with ``manage.py migrate`` as a user would.

``kyc`` points the app at a fresh in-process sandbox of the provider under test (``provider`` runs for every
registered provider: tests/conftest.py); its webhooks are kept in the sandbox's outbox and posted to the webhook
view by the test, in whatever order, as often as the test wants.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("django", reason="the django extra is not installed (pip install -e '.[dev]')")
pytest.importorskip("sqlalchemy", reason="the ledger extra is not installed (pip install -e '.[dev]')")

from ekyc import Client
from ekyc.ledger import Ledger, LedgerSession
from ekyc.sandbox import Sandbox
from ekyc.sandbox.emulator import Delivery
from ekyc.sandbox.runner import scenario_request
from ekyc.sandbox.scenarios import SCENARIOS

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "django_app"
#: where the sandbox "sends" webhooks: nothing listens (every provider then emits them; read from the outbox)
DEAD_URL = "http://127.0.0.1:9/hooks"
_users = itertools.count(1)


@pytest.fixture(scope="session")
def django_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Django set up with the example's settings on a fresh data folder, migrated."""
    import django
    from django.conf import settings

    if not settings.configured:
        data = tmp_path_factory.mktemp("kycdemo")
        os.environ["KYCDEMO_DATA"] = str(data)
        os.environ["DJANGO_SETTINGS_MODULE"] = "kycdemo.settings"
        if str(EXAMPLE) not in sys.path:
            sys.path.insert(0, str(EXAMPLE))
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    yield Path(os.environ["KYCDEMO_DATA"])


def outcome_scenario(sandbox: Sandbox, provider: str, outcome: str) -> str:
    """The first scenario ``provider``'s emulator supports that ends in ``outcome`` (skip when it has none)."""
    for scenario in sandbox.emulators[provider].supported_scenarios():
        if scenario.outcome.value == outcome:
            return scenario.name
    pytest.skip(f"{provider}'s emulator has no scenario ending {outcome}")


@dataclass
class Kyc:
    """The app pointed at one provider's in-process sandbox, plus what the test needs to play the user."""

    provider: str
    sandbox: Sandbox
    decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ledger(self) -> Ledger:
        from ekyc.integrations.django.conf import get_ledger

        return get_ledger()

    def user(self, **extra: Any) -> Any:
        from django.contrib.auth import get_user_model

        # no password (signed in with force_login): hashing one costs ~0.5 s
        return get_user_model().objects.create_user(f"user{next(_users)}-{self.provider}", **extra)

    def browser(self, user: Any | None = None) -> Any:
        """A Django test client signed in as ``user`` that enforces CSRF like a real browser session."""
        from django.test import Client as DjangoClient

        c = DjangoClient(enforce_csrf_checks=True)
        if user is not None:
            c.force_login(user)
        return c

    def start(self, browser: Any) -> Any:
        """The launch page, then its form posted as the browser would (with the CSRF token and, for a provider
        that needs it, the browser metadata the page's script collects)."""
        page = browser.get("/kyc/start")
        assert page.status_code == 200, page.status_code
        token = browser.cookies["csrftoken"].value
        form = {"csrfmiddlewaretoken": token}
        metadata = scenario_request(self.provider, "approved").client_metadata
        form["ekyc_client_metadata"] = metadata or ""
        return browser.post("/kyc/start", form, HTTP_ORIGIN="http://testserver")

    def finish(self, url: str, scenario: str) -> str:
        """Act as the user on the provider's page; returns the app path (with query) the provider sends back to."""
        back = urlsplit(self.sandbox.complete(url, scenario))
        assert back.netloc == "testserver", back.netloc
        return back.path + (f"?{back.query}" if back.query else "")

    def deliveries(self) -> list[Delivery]:
        return self.sandbox.deliveries(self.provider)

    def post_webhook(self, delivery: Delivery, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                     url: str | None = None) -> Any:
        """Deliver ``delivery`` to the webhook view as the provider would (a GET callback on its full URL)."""
        from django.test import Client as DjangoClient

        provider_client = DjangoClient(enforce_csrf_checks=True)
        sent = dict(delivery.headers) if headers is None else headers
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in sent.items()
                 if k.lower() not in ("content-type", "content-length", "host")}
        content_type = next((v for k, v in sent.items() if k.lower() == "content-type"), "application/json")
        path = f"/kyc/webhooks/{self.provider}"
        if delivery.method == "GET":
            query = urlsplit(url or delivery.url).query
            return provider_client.get(f"{path}?{query}", **extra)
        return provider_client.generic(delivery.method, path, delivery.body if body is None else body,
                                       content_type=content_type, **extra)

    def forge(self, delivery: Delivery) -> Any:
        """``delivery`` with every signature altered (Alibaba: its callback token), posted to the view."""
        headers = {k: (v[:-1] + ("0" if v[-1] != "0" else "1")) if "signature" in k.lower() else v
                   for k, v in delivery.headers.items()}
        return self.post_webhook(delivery, headers=headers, body=delivery.body + b" ",
                                 url=delivery.url.replace("callbackToken=", "callbackToken=0"))

    def status(self, browser: Any) -> dict[str, Any]:
        answer = browser.get("/kyc/status")
        assert answer.status_code == 200, answer.status_code
        return dict(answer.json())

    def session_of(self, user: Any) -> LedgerSession:
        session = self.ledger.status(str(user.pk))
        assert session is not None
        return session


@pytest.fixture
def kyc(django_app: Path, provider: str) -> Iterator[Kyc]:
    """The app on a fresh in-process sandbox of ``provider`` (the ledger is rebuilt for it)."""
    from django.conf import settings
    from django.test.utils import override_settings

    from ekyc.integrations.django.signals import decision_received
    from tests.support.clients import quick_client

    sandbox = Sandbox([provider], webhook_url=DEAD_URL)
    sandbox.on_sent = lambda *args: None
    clients = ExitStack()

    def make_client() -> Client:
        return clients.enter_context(quick_client(sandbox))

    state = Kyc(provider, sandbox)

    def record(sender: Any, reference: str, session: LedgerSession, source: str, **kwargs: Any) -> None:
        state.decisions.append({"reference": reference, "state": session.state, "source": source,
                                "session": session.id})

    decision_received.connect(record, dispatch_uid="tests.record")
    try:
        with override_settings(EKYC={**settings.EKYC, "CLIENT": make_client, "PROVIDER": provider}):
            yield state
    finally:
        decision_received.disconnect(dispatch_uid="tests.record")
        clients.close()


def expected(scenario: str) -> str:
    return SCENARIOS[scenario].outcome.value
