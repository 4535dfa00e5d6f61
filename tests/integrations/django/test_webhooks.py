"""The webhook view under duplicated, replayed, forged and out-of-order deliveries, for every registered provider:
it answers what the provider expects (``receipt.http_status``) and the state never goes backwards."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ekyc.client import MAX_WEBHOOK_BYTES
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


class _Counting(io.BytesIO):
    """A WSGI input that counts the bytes the app read from it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.taken += len(data)
        return data


@pytest.mark.parametrize("declared", ["exact", "none"])
def test_a_webhook_body_over_the_cap_is_413_without_reading_past_it(kyc: Kyc, declared: str) -> None:
    """The webhook view caps the body itself at the Starlette side's limit (``MAX_WEBHOOK_BYTES``), whatever the
    app's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (None: Django's own check is off): 413 ``too_large``, nothing stored,
    and never more than the cap (+1 byte) read from the wire — nothing at all when ``Content-Length`` says so."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.test import RequestFactory
    from django.test.utils import override_settings

    from ekyc.integrations.django.views import webhook

    stored = kyc.ledger.stats()["deliveries"]  # the app's one database is shared by the tests
    size = 3 * MAX_WEBHOOK_BYTES
    wire = _Counting(b"{" + b" " * (size - 2) + b"}")
    environ = RequestFactory()._base_environ(  # type: ignore[attr-defined]
        PATH_INFO=f"/kyc/webhooks/{kyc.provider}", REQUEST_METHOD="POST", CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(size), **{"wsgi.input": wire})
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
        request = WSGIRequest(environ)
        if declared == "none":  # a Content-Length the view cannot trust: the cap still holds while reading
            request.META.pop("CONTENT_LENGTH")
        answer = webhook(request, kyc.provider)
    assert (answer.status_code, answer.content) == (413, b'{"error":"too_large"}')
    assert wire.taken <= (0 if declared == "exact" else MAX_WEBHOOK_BYTES + 1)
    assert kyc.ledger.stats()["deliveries"] == stored


def test_a_webhook_body_at_the_cap_is_read_whatever_django_allows(kyc: Kyc) -> None:
    """A body up to the cap reaches the ledger even when Django's own limit is smaller (a genuine delivery is
    never refused by a setting the app made for its forms): it is verified and answered as usual."""
    from django.test.utils import override_settings

    _, _, deliveries = _approved_by_webhooks(kyc)
    posted = next((d for d in deliveries if d.method != "GET"), None)
    if posted is None:
        pytest.skip(f"{kyc.provider}'s callbacks carry no body")
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=len(posted.body) - 1):
        assert kyc.post_webhook(posted).status_code == 200
