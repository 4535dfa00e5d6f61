"""Onfido test helpers: adapters with test settings and the v3.6 spec (the sandbox, client and served fixtures
are the shared ones in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ekyc.providers.onfido import OnfidoProvider, OnfidoSettings

WORKFLOW = "11111111-2222-4333-8444-555555555555"
#: the v3.6 OpenAPI spec (onfido/onfido-openapi-spec), copied from ../shared/reference/specs so the suite runs from
#: any checkout
SPEC = Path(__file__).parent / "fixtures" / "onfido-openapi.json"


def make_provider(clock: float | None = None, **overrides: Any) -> OnfidoProvider:
    """An Onfido adapter with test settings (and a fixed clock when given)."""
    values: dict[str, Any] = {"api_token": "test-token", "workflow_id": WORKFLOW, "webhook_token": "wh-token",
                              "endpoint": "https://onfido.test"}
    values.update(overrides)
    if clock is None:
        return OnfidoProvider(OnfidoSettings(**values))
    return OnfidoProvider(OnfidoSettings(**values), clock=lambda: clock)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return data
