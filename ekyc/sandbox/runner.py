"""Run catalog scenarios end to end through the neutral API — the engine of ``ekyc demo``, ``ekyc compare``
and the provider-comparison contract suite.

One run: create a session → act as the user on the hosted page over HTTP → follow the provider's redirect
(parsed to a ref, its status hint ignored) → verify the webhook/callback the emulator delivered → ``get_result``
→ compare the normalized :class:`~ekyc.Decision` with the scenario's expectation.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from .. import registry
from .._retry import finish
from ..client import AsyncClient, Client
from ..errors import EkycError
from ..models import ALL_CHECKS, Decision, DocumentType, ExpectedIdentity, Session, SessionRequest, WebhookEvent
from .emulator import Delivery
from .scenarios import PERSON, SCENARIOS, Scenario
from .server import Sandbox

T = TypeVar("T")
RETURN_URL = "https://app.example/kyc/return"
#: a browser MetaInfo (Alibaba's web SDK output) for tests that call a vendor SDK directly; scenario runs never
#: put one in the request (see :func:`scenario_request`)
META_INFO = '{"apdidToken":"","bioMetaInfo":"4.1.0:2916352,0","deviceType":"h5","ua":"Mozilla/5.0 (ekyc sandbox)"}'


def scenario_request(provider: str, scenario: str, reference: str | None = None) -> SessionRequest:
    """The request every scenario run uses: the README's neutral request — the same fields for every provider —
    plus the expected identity where the provider cross-checks it (the ``data_mismatch`` scenario needs it).

    It carries no ``client_metadata``: what only the user's browser can produce (Alibaba's MetaInfo) is
    supplied the way an app gets it, from outside the request — in the sandbox by the emulator's client
    settings (the stand-in for the launch page, :mod:`ekyc.launch`), in the pytest plugin likewise; against a
    vendor's own test mode a provider that needs it has no live run (:mod:`ekyc.sandbox.live`)."""
    caps = registry.load(provider).capabilities
    expected = None
    if caps.expected_identity:
        expected = ExpectedIdentity(given_name=str(PERSON["given_name"]), family_name=str(PERSON["family_name"]),
                                    date_of_birth=PERSON["date_of_birth"])
    return SessionRequest(
        reference=reference or f"sandbox-{provider}-{scenario}",
        return_url=RETURN_URL,
        checks=ALL_CHECKS,
        document_types=(DocumentType.PASSPORT,),
        country=str(PERSON["issuing_country"]),
        expected=expected,
    )


def mismatches(scenario: Scenario, decision: Decision) -> list[str]:
    """How ``decision`` differs from what ``scenario`` expects (empty when it matches)."""
    out: list[str] = []
    if decision.outcome is not scenario.outcome:
        out.append(f"outcome {decision.outcome.value} != {scenario.outcome.value}")
    got = set(decision.reason_codes)
    if got != set(scenario.reasons):
        out.append(f"reasons {sorted(r.value for r in got)} != {sorted(r.value for r in scenario.reasons)}")
    for name, want in (scenario.identity or {}).items():
        have = getattr(decision.identity, name)
        if isinstance(want, date) and isinstance(have, date):
            ok = have == want
        else:
            ok = (have.value if hasattr(have, "value") else have) == (want.value if hasattr(want, "value") else want)
        if not ok:
            out.append(f"identity.{name} differs")
    for check, want_passed in scenario.checks.items():
        have_passed = getattr(decision.checks, check.value).passed
        if have_passed is not want_passed:
            out.append(f"checks.{check.value}.passed {have_passed} != {want_passed}")
    return out


@dataclass
class Run:
    """One scenario on one provider."""

    provider: str
    scenario: str
    supported: bool
    decision: Decision | None = None
    webhook: WebhookEvent | None = None
    problems: list[str] = field(default_factory=list)
    create_ms: float = 0.0
    result_ms: float = 0.0
    unsupported_reason: str = ""

    @property
    def matched(self) -> bool:
        """True when the decision equals the scenario's expectation (unsupported runs are not matched)."""
        return self.supported and self.decision is not None and not self.problems

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (no personal data)."""
        d = self.decision
        return {
            "provider": self.provider, "scenario": self.scenario, "supported": self.supported,
            "unsupported_reason": self.unsupported_reason or None,
            "outcome": d.outcome.value if d else None,
            "reasons": [r.value for r in d.reason_codes] if d else [],
            "provider_status": d.provider_status if d else None,
            "webhook": self.webhook.verified_by if self.webhook else None,
            "matched": self.matched, "problems": self.problems,
            "create_ms": round(self.create_ms, 2), "result_ms": round(self.result_ms, 2),
        }


def _unsupported(sandbox: Sandbox, provider: str, scenario: str) -> Run | None:
    emulator = sandbox.emulators[provider]
    if emulator.supports(scenario):
        return None
    return Run(provider, scenario, False, unsupported_reason=emulator.unsupported.get(scenario, "unsupported"))


def _verify_webhook(client: Client | AsyncClient, sandbox: Sandbox, provider: str, session_id: str,
                    run: Run) -> None:
    deliveries = sandbox.deliveries(provider, session_id=session_id)
    if not deliveries:
        return
    last: Delivery = deliveries[-1]
    try:
        run.webhook = client.parse_webhook(webhook_body(last), last.headers, provider)
    except EkycError as exc:
        run.problems.append(f"webhook rejected: {type(exc).__name__}")
        return
    if run.webhook.ref is None or run.webhook.ref.id != session_id:
        run.problems.append("webhook names another session")


def webhook_body(delivery: Delivery) -> bytes:
    """What the app's endpoint hands to ``parse_webhook``: the body, or for a GET callback its full URL."""
    return delivery.body if delivery.method != "GET" else delivery.url.encode("utf-8")


async def _run(client: Client | AsyncClient, sandbox: Sandbox, provider: str, scenario: str) -> Run:
    """One run, written once for both clients: a blocking client's answers are awaited as they are (the
    coroutine never suspends and :func:`run_scenario` finishes it without an event loop)."""
    skipped = _unsupported(sandbox, provider, scenario)
    if skipped is not None:
        return skipped
    run = Run(provider, scenario, True)
    t0 = time.perf_counter()
    session: Session = await _answer(client.create_session(scenario_request(provider, scenario), provider=provider))
    run.create_ms = (time.perf_counter() - t0) * 1000
    redirect = sandbox.complete(session, scenario)
    ref = client.parse_return_url(redirect, provider)
    if ref != session.ref and ref.id != session.ref.id:
        run.problems.append("the redirect names another session")
    _verify_webhook(client, sandbox, provider, session.ref.id, run)
    t1 = time.perf_counter()
    run.decision = await _answer(client.get_result(session.ref))
    run.result_ms = (time.perf_counter() - t1) * 1000
    run.problems += mismatches(SCENARIOS[scenario], run.decision)
    return run


async def _answer(value: Awaitable[T] | T) -> T:
    """An asyncio client's answer awaited, a blocking client's as it is."""
    if inspect.isawaitable(value):
        return await value
    return value


def run_scenario(client: Client, sandbox: Sandbox, provider: str, scenario: str) -> Run:
    """Run ``scenario`` on ``provider`` through a blocking client."""
    return finish(_run(client, sandbox, provider, scenario))


async def run_scenario_async(client: AsyncClient, sandbox: Sandbox, provider: str, scenario: str) -> Run:
    """Run ``scenario`` on ``provider`` through an asyncio client."""
    return await _run(client, sandbox, provider, scenario)
