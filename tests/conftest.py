"""Shared fixtures: an in-process sandbox and clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from ekyc import AsyncClient, Client, registry
from ekyc.sandbox import Sandbox


@pytest.fixture
def echo_sandbox() -> Iterator[Sandbox]:
    """A sandbox with only the test-only 'echo' provider (for core tests)."""
    from tests.support.echo import EchoProvider

    registry.register("echo", EchoProvider)
    try:
        yield Sandbox(["echo"])
    finally:
        registry.unregister("echo")


@pytest.fixture
def echo_client(echo_sandbox: Sandbox) -> Iterator[Client]:
    with Client(sandbox=echo_sandbox) as client:
        client._sleep = lambda s: None
        yield client


@pytest.fixture
async def echo_async_client(echo_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async def no_sleep(s: float) -> None:
        return None

    async with AsyncClient(sandbox=echo_sandbox) as client:
        client._sleep = no_sleep
        yield client
