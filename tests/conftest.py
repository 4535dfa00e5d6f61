"""Shared fixtures: an in-process sandbox and clients bound to it.

``Client()`` reads the environment, so the suite first removes every variable the library reads
(``EKYC_*`` and the vendors' own, e.g. ``DIDIT_API_KEY``): a developer's shell never changes a test's
outcome, and real credentials never reach a test. Tests that need variables set them with ``monkeypatch``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import HealthCheck, settings

from ekyc import AsyncClient, Client, registry
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client, quick_client

# Property tests assert behaviour, never speed: no per-example deadline (CI machines and a loaded 2-core
# box are slow), and no "too slow" health check. Performance is the benchmark's job (docs/performance.md).
settings.register_profile("ekyc", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ekyc")

#: variables of the test tooling itself, not library settings
_TOOLING = frozenset({"EKYC_CHROMIUM"})


def _library_variables() -> list[str]:
    prefixes = {"EKYC_"}
    for name in registry.names():
        for aliases in registry.load(name).settings_model.env_aliases.values():
            prefixes.update(alias.split("_", 1)[0] + "_" for alias in aliases)
    return [v for v in os.environ if v.startswith(tuple(prefixes)) and v not in _TOOLING]


for _var in _library_variables():
    del os.environ[_var]


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
