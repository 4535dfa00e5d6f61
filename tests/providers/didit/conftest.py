"""Didit test helpers: adapters with test settings and Didit's own signature fixtures (the sandbox, client and
served fixtures are the shared ones in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekyc.providers.didit import DiditProvider, DiditSettings

# Didit's own fixtures (didit-protocol/plugin-wordpress tests/fixtures/webhook-signatures.json), copied from
# ../shared/reference/fixtures so the suite runs from any checkout.
FIXTURES = Path(__file__).parent / "fixtures" / "didit-webhook-signatures.json"
WORKFLOW = "11111111-2222-4333-8444-555555555555"


def make_provider(clock: float | None = None, **overrides: Any) -> DiditProvider:
    """A Didit adapter with test settings (and a fixed clock when given)."""
    values: dict[str, Any] = {"api_key": "test-key", "workflow_id": WORKFLOW, "webhook_secret": "s3cret",
                              "endpoint": "https://didit.test"}
    values.update(overrides)
    if clock is None:
        return DiditProvider(DiditSettings(**values))
    return DiditProvider(DiditSettings(**values), clock=lambda: clock)


@pytest.fixture(scope="session")
def fixtures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text())
    return data
