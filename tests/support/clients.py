"""Clients bound to a sandbox whose retry waits are skipped (tests assert behaviour, not time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from ekyc import AsyncClient, Client
from ekyc.sandbox import Sandbox


async def _no_sleep(seconds: float) -> None:
    return None


@contextmanager
def quick_client(sandbox: Sandbox) -> Iterator[Client]:
    """A blocking client on ``sandbox`` that retries without waiting."""
    with sandbox.client(sleep=lambda seconds: None) as client:
        yield client


@asynccontextmanager
async def quick_async_client(sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    """An asyncio client on ``sandbox`` that retries without waiting."""
    async with sandbox.async_client(sleep=_no_sleep) as client:
        yield client
