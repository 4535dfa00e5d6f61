"""An approval lapses only through the provider's documented transition, confirmed by a fresh fetch; a database
failure is a typed error that tells the webhook endpoint to answer 503."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.ledger import Ledger, LedgerError, _flows
from ekyc.models import Decision, Outcome, Reason, ReasonCode, WebhookEvent
from ekyc.sandbox import Sandbox

from .helpers import deliveries, receive, request


def _approved(ledger: Ledger, sandbox: Sandbox) -> Any:
    s = ledger.start(request=request("didit", "u"), provider="didit")
    sandbox.complete(s.url, "approved")  # type: ignore[arg-type]
    for d in deliveries(sandbox, "didit"):
        receive(ledger, d)
    assert ledger.session(s.id).state == "APPROVED"  # type: ignore[union-attr]
    return s


def _lapse_event(ref: Any, n: int) -> WebhookEvent:
    lapse = Decision(ref=ref, outcome=Outcome.EXPIRED, provider_status="Kyc Expired",
                     reasons=(Reason(code=ReasonCode.APPROVAL_EXPIRED, retryable=True),))
    return WebhookEvent(provider="didit", ref=ref, event_id=f"lapse-{n}", event_type="status.updated",
                        provider_status="Kyc Expired", verified_by="X-Signature-V2", authenticated="payload",
                        decision=lapse)


def _drive(ledger: Ledger, event: WebhookEvent, fetched: Decision) -> str:
    """Apply ``event`` as a stored delivery, answering the flow's fetch with ``fetched``."""
    did = ledger._perform(_flows.Tx(_store_delivery, (event,)))
    flow = _flows.apply_delivery(ledger._ctx, did, event)
    value: Any = None
    fetches = 0
    while True:
        try:
            effect = flow.send(value)
        except StopIteration as stop:
            assert fetches == 1, "a lapse is never applied without a fresh fetch"
            return str(stop.value)
        if isinstance(effect, _flows.Fetch):
            fetches += 1
            value = fetched
        else:
            value = ledger._perform(effect)


def _store_delivery(conn: Any, event: WebhookEvent) -> int:
    from ekyc.ledger import _store
    from ekyc.ledger.vault import event_digest, session_key

    assert event.ref is not None and event.event_id is not None
    return _store.insert_delivery(conn, {"provider": "didit", "dedupe": event_digest(event.event_id),
                                         "received_at": 0.0, "state": "stored",
                                         "session_key": session_key("didit", event.ref.id)})


def test_a_lapse_in_a_webhook_is_applied_only_when_the_fetch_confirms_it(ledger: Ledger, sandbox: Sandbox) -> None:
    s = _approved(ledger, sandbox)
    still = Decision(ref=s.ref, outcome=Outcome.APPROVED, provider_status="Approved")
    assert _drive(ledger, _lapse_event(s.ref, 1), still) == "applied"
    assert ledger.session(s.id).state == "APPROVED"  # type: ignore[union-attr]  # the fetch did not confirm it
    confirmed = _lapse_event(s.ref, 2).decision
    assert confirmed is not None
    assert _drive(ledger, _lapse_event(s.ref, 2), confirmed) == "applied"
    assert ledger.session(s.id).state == "EXPIRED"  # type: ignore[union-attr]
    lapses = [e for e in ledger.events(session_id=s.id) if e["action"] == "lapse"]
    assert [(e["from_state"], e["to_state"], e["note"]) for e in lapses] == [("APPROVED", "EXPIRED", "fetched")]
    # the user may verify again: EXPIRED frees the slot
    assert not ledger.start(request=request("didit", "u"), provider="didit").reused


def test_a_database_failure_is_a_typed_503(client: object, key: str, tmp_path: object) -> None:
    with Ledger(f"{tmp_path}/missing/dir/ledger.db", client, key=key) as ledger:  # type: ignore[arg-type]
        with pytest.raises(LedgerError) as failure:
            ledger.receive("didit", b"{}", {})
        assert failure.value.http_status == 503 and failure.value.__cause__ is None
        with pytest.raises(LedgerError):
            ledger.start("u")
