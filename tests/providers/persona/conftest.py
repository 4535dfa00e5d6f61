"""Fixtures for the Persona tests: an in-process sandbox, clients and adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ekyc import AsyncClient, Client
from ekyc.providers.persona import PersonaProvider, PersonaSettings
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client, quick_client

TEMPLATE = "itmpl_TestTemplate1"


@pytest.fixture
def ps_sandbox() -> Sandbox:
    return Sandbox(["persona"])


@pytest.fixture
def ps_client(ps_sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(ps_sandbox) as client:
        yield client


@pytest.fixture
async def ps_aclient(ps_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(ps_sandbox) as client:
        yield client


def make_provider(clock: float | None = None, **overrides: Any) -> PersonaProvider:
    """A Persona adapter with test settings (and a fixed clock when given)."""
    values: dict[str, Any] = {"api_key": "test-key", "inquiry_template_id": TEMPLATE, "webhook_secret": "wbhsec_t",
                              "endpoint": "https://persona.test"}
    values.update(overrides)
    if clock is None:
        return PersonaProvider(PersonaSettings(**values))
    return PersonaProvider(PersonaSettings(**values), clock=lambda: clock)
