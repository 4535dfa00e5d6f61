"""The webhook view under duplicated, replayed, forged and out-of-order deliveries, for every registered provider:
it answers what the provider expects (``receipt.http_status``) and the state never goes backwards."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.ledger import LedgerError

from .conftest import Kyc


def _approved_by_webhooks(kyc: Kyc) -> tuple[Any, Any, list[Any]]:
    user = kyc.user()
    browser = kyc.browser(user)
    kyc.finish(kyc.start(browser)["Location"], "approved")
    deliveries = kyc.deliveries()
    assert deliveries, f"{kyc.provider}'s sandbox sent no webhook"
    return user, browser, deliveries


def test_duplicated_and_out_of_order_deliveries_are_answered_200_and_applied_once(kyc: Kyc) -> None:
    user, _browser, deliveries = _approved_by_webhooks(kyc)
    for delivery in [*reversed(deliveries), *deliveries]:  # out of order, then every one again
        answer = kyc.post_webhook(delivery)
        assert answer.status_code == 200, answer.content
        assert answer["Cache-Control"] == "no-store"
    assert kyc.session_of(user).state == "APPROVED"
    assert [(d["state"], d["source"]) for d in kyc.decisions] == [("APPROVED", "webhook")]
    rows = kyc.ledger.events(reference=str(user.pk))
    assert [r["to_state"] for r in rows if r["action"] == "advance"] == ["APPROVED"]


def test_a_replayed_delivery_after_a_later_decision_changes_nothing(kyc: Kyc) -> None:
    user, browser, deliveries = _approved_by_webhooks(kyc)
    for delivery in deliveries:
        kyc.post_webhook(delivery)
    # the user starts no new session (approved keeps the slot); a replay of the first delivery days later
    assert kyc.post_webhook(deliveries[0]).status_code == 200
    assert kyc.session_of(user).state == "APPROVED"
    assert kyc.status(browser)["state"] == "APPROVED"
    assert len(kyc.decisions) == 1


def test_a_forged_delivery_is_refused_and_changes_nothing(kyc: Kyc) -> None:
    user, _browser, deliveries = _approved_by_webhooks(kyc)
    for delivery in deliveries:
        answer = kyc.forge(delivery)
        assert answer.status_code == 401, (answer.status_code, answer.content)
        assert answer.json() == {"error": "rejected"}
    assert kyc.session_of(user).state == "PENDING"
    assert kyc.decisions == []
    # the genuine deliveries still go through afterwards
    assert all(kyc.post_webhook(d).status_code == 200 for d in deliveries)
    assert kyc.session_of(user).state == "APPROVED"


def test_a_webhook_for_an_unknown_provider_is_404(kyc: Kyc) -> None:
    _, _, deliveries = _approved_by_webhooks(kyc)
    from django.test import Client as DjangoClient

    answer = DjangoClient().post("/kyc/webhooks/nope", deliveries[0].body, content_type="application/json")
    assert answer.status_code == 404 and answer.json() == {"error": "unknown_provider"}


def test_a_database_failure_is_503_so_the_provider_retries(kyc: Kyc, monkeypatch: pytest.MonkeyPatch) -> None:
    user, _, deliveries = _approved_by_webhooks(kyc)
    ledger = kyc.ledger

    def down(*args: Any, **kwargs: Any) -> Any:
        raise LedgerError("the ledger database failed (OperationalError)", http_status=503)

    monkeypatch.setattr(ledger, "receive", down)
    assert kyc.post_webhook(deliveries[-1]).status_code == 503
    monkeypatch.undo()
    assert all(kyc.post_webhook(d).status_code == 200 for d in deliveries)  # the provider's retry
    assert kyc.session_of(user).state == "APPROVED"


def test_webhooks_need_no_csrf_token_but_other_methods_are_refused(kyc: Kyc) -> None:
    from django.test import Client as DjangoClient

    answer = DjangoClient(enforce_csrf_checks=True).put(f"/kyc/webhooks/{kyc.provider}", b"{}")
    assert answer.status_code == 405


def test_a_receiver_that_raises_does_not_change_the_answer(kyc: Kyc, caplog: pytest.LogCaptureFixture) -> None:
    from ekyc.integrations.django.signals import decision_received

    def broken(sender: Any, session: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"receiver bug mentioning {session.reference}")

    decision_received.connect(broken, dispatch_uid="tests.broken")
    try:
        user, _, deliveries = _approved_by_webhooks(kyc)
        assert all(kyc.post_webhook(d).status_code == 200 for d in deliveries)
    finally:
        decision_received.disconnect(dispatch_uid="tests.broken")
    assert kyc.session_of(user).state == "APPROVED"
    assert [d["state"] for d in kyc.decisions] == ["APPROVED"]  # the other receivers still ran
    logged = [r.getMessage() for r in caplog.records if r.name == "ekyc.integrations.django"]
    assert any("raised RuntimeError" in m for m in logged)
    assert not any("receiver bug" in m for m in logged)  # the exception's text (it may hold anything) is not logged
