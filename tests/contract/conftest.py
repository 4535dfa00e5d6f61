"""The provider-comparison contract suite: every catalog scenario × every registered provider."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.testing import providers

UNSUPPORTED: list[tuple[str, str, str]] = []


def pairs() -> list[Any]:
    """Every (provider, scenario) pair, picked up from the registry with no test edits."""
    return [pytest.param(p, s, id=f"{p}-{s}") for p in providers() for s in SCENARIOS]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if UNSUPPORTED:
        terminalreporter.section("unsupported scenario/provider pairs (declared by the emulators)")
        for provider, scenario, why in sorted(set(UNSUPPORTED)):
            terminalreporter.write_line(f"{provider:10} {scenario:22} {why}")
