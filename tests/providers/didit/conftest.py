"""Fixtures for the Didit tests: an in-process sandbox, clients, adapters and a served (loopback) sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ekyc import AsyncClient, Client
from ekyc.cli.serve import serve_in_thread
from ekyc.providers.didit import DiditProvider, DiditSettings
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client, quick_client

# Didit's own fixtures (didit-protocol/plugin-wordpress tests/fixtures/webhook-signatures.json), copied from
# ../shared/reference/fixtures so the suite runs from any checkout.
FIXTURES = Path(__file__).parent / "fixtures" / "didit-webhook-signatures.json"
WORKFLOW = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def dd_sandbox() -> Sandbox:
    return Sandbox(["didit"])


@pytest.fixture
def dd_client(dd_sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(dd_sandbox) as client:
        yield client


@pytest.fixture
async def dd_aclient(dd_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(dd_sandbox) as client:
        yield client


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


@dataclass
class Served:
    sandbox: Sandbox
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def dd_served() -> Iterator[Served]:
    """The didit sandbox under uvicorn on 127.0.0.1 (a free port), in a background thread."""
    with serve_in_thread(providers=["didit"]) as sandbox:
        yield Served(sandbox, int(sandbox.base_url.rsplit(":", 1)[1]))

