"""``decision_received`` follows the one "once per state change" rule of the neutral core
(:func:`ekyc.integrations.decisions`, read through the ledger), whatever Django's own connection is doing."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Kyc


@pytest.fixture
def atomic_requests(kyc: Kyc, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ATOMIC_REQUESTS=True`` on the ledger's database: Django runs every view in a transaction."""
    from django.db import connections

    from ekyc.integrations.django.conf import database_alias

    monkeypatch.setitem(connections[database_alias()].settings_dict, "ATOMIC_REQUESTS", True)


def _approved(kyc: Kyc) -> tuple[Any, list[Any]]:
    user = kyc.user()
    kyc.finish(kyc.start(kyc.browser(user))["Location"], "approved")
    return user, kyc.deliveries()


@pytest.mark.usefixtures("atomic_requests")
def test_a_webhook_in_an_atomic_request_sends_the_signal_once(kyc: Kyc) -> None:
    """The audit rows of the change are read through the ledger, not through Django's connection — whose
    transaction (``ATOMIC_REQUESTS``; SQLite's snapshot) would not see what the ledger committed."""
    user, deliveries = _approved(kyc)
    for delivery in [*deliveries, *deliveries]:
        assert kyc.post_webhook(delivery).status_code == 200
    assert kyc.session_of(user).state == "APPROVED"
    assert [(d["state"], d["source"], d["reference"]) for d in kyc.decisions] == [
        ("APPROVED", "webhook", str(user.pk))]


@pytest.mark.usefixtures("atomic_requests")
def test_a_return_in_an_atomic_request_sends_the_signal_once(kyc: Kyc) -> None:
    user = kyc.user()
    browser = kyc.browser(user)
    back = kyc.finish(kyc.start(browser)["Location"], "approved")
    for _ in range(2):
        assert browser.get(back).status_code == 303
    assert [(d["state"], d["source"]) for d in kyc.decisions] == [("APPROVED", "return")]
