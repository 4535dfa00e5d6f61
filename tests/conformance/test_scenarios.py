"""For every catalog scenario × every registered provider that supports it, through both clients, the
normalized Decision equals the scenario's expectation (outcome, reason codes, identity fields, checks).
Pairs a provider cannot produce are asserted to be declared with a reason, and listed in the summary."""

from __future__ import annotations

import pytest

from ekyc import AsyncClient, Client
from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import Run, run_scenario, run_scenario_async

from .conftest import UNSUPPORTED

CORE = ("approved", "face_mismatch", "liveness_spoof")


def _check(run: Run, sandbox: Sandbox) -> None:
    if not run.supported:
        assert run.unsupported_reason, f"{run.provider} must say why it cannot produce {run.scenario}"
        assert not sandbox.emulators[run.provider].supports(run.scenario)
        UNSUPPORTED.append((run.provider, run.scenario, run.unsupported_reason))
        return
    assert run.decision is not None
    assert run.matched, f"{run.provider}/{run.scenario}: {'; '.join(run.problems)}"
    if run.decision.outcome.value != "APPROVED":
        assert not run.decision.approved


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario_sync(client: Client, sandbox: Sandbox, provider: str, scenario: str) -> None:
    _check(run_scenario(client, sandbox, provider, scenario), sandbox)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_scenario_async(aclient: AsyncClient, sandbox: Sandbox, provider: str, scenario: str) -> None:
    _check(await run_scenario_async(aclient, sandbox, provider, scenario), sandbox)


def test_the_core_scenarios_are_supported(sandbox: Sandbox, provider: str) -> None:
    for scenario in CORE:
        assert sandbox.emulators[provider].supports(scenario), f"{provider} cannot produce {scenario}"
