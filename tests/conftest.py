"""Shared fixtures: an in-process sandbox and clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from ekyc import AsyncClient, Client, registry
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client, quick_client


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
    with quick_client(echo_sandbox) as client:
        yield client


@pytest.fixture
async def echo_async_client(echo_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(echo_sandbox) as client:
        yield client
