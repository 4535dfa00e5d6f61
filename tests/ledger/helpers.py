"""Small helpers shared by the ledger tests."""

from __future__ import annotations

from ekyc.ledger import Ledger, Receipt
from ekyc.models import SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.sandbox.emulator import Delivery
from ekyc.sandbox.runner import scenario_request, webhook_body
from ekyc.sandbox.scenarios import SCENARIOS


def request(provider: str, reference: str, scenario: str = "approved") -> SessionRequest:
    return scenario_request(provider, scenario, reference=reference)


def deliveries(sandbox: Sandbox, provider: str, session_id: str | None = None) -> list[Delivery]:
    return sandbox.deliveries(provider, session_id=session_id)


def receive(ledger: Ledger, delivery: Delivery) -> Receipt:
    return ledger.receive(delivery.provider, webhook_body(delivery), dict(delivery.headers))


def supported(sandbox: Sandbox, provider: str, scenario: str) -> bool:
    return sandbox.emulators[provider].supports(scenario)


def expected(scenario: str) -> str:
    return SCENARIOS[scenario].outcome.value
