"""Fixtures for the Stripe Identity tests: an in-process sandbox with only the Stripe emulator, and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from ekyc import AsyncClient, Client
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client, quick_client


@pytest.fixture
def st_sandbox() -> Sandbox:
    return Sandbox(["stripe"])


@pytest.fixture
def st_client(st_sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(st_sandbox) as client:
        yield client


@pytest.fixture
async def st_aclient(st_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(st_sandbox) as client:
        yield client
