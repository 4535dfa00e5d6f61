"""The one set of fixtures every test uses, under one naming scheme, for any registered provider.

- ``provider``: the provider under test. A test under ``tests/providers/<name>/`` gets ``<name>``; a test
  elsewhere that asks for it without parametrizing it runs once per name in ``registry.names()`` (the
  conformance kit, the adversary suite, the browser test…: :func:`pytest_generate_tests`); a core test asks for
  the test-only ``echo`` provider with ``@pytest.mark.parametrize("provider", ["echo"], indirect=True)``
  (registered for that test only).
- ``sandbox``: a fresh in-process sandbox with only that provider's emulator.
- ``client`` / ``aclient``: a blocking / asyncio client bound to ``sandbox`` (retries without waiting).
- ``served``: a sandbox with that provider's emulator served by uvicorn on 127.0.0.1 (a free port), one per
  provider and test module (its ``base_url`` is the server's address).
- ``echo``: registers the test-only ``echo`` provider for one test (core tests that configure it by hand).

``Client()`` reads the environment, so the suite first removes every variable the library reads
(``EKYC_*`` and the vendors' own, e.g. ``DIDIT_API_KEY``): a developer's shell never changes a test's
outcome, and real credentials never reach a test. Tests that need variables set them with ``monkeypatch``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ekyc import AsyncClient, Client, registry
from ekyc.cli.serve import serve_in_thread
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


#: providers that exist only in the tests, registered on demand (never in ``registry.names()`` otherwise)
TEST_ONLY = {"echo": "tests.support.echo:EchoProvider"}
TESTS = Path(__file__).resolve().parent


def _folder_provider(path: Path) -> str | None:
    """``<name>`` for a test under ``tests/providers/<name>/``."""
    parts = path.resolve().relative_to(TESTS).parts
    return parts[1] if len(parts) > 2 and parts[0] == "providers" else None


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> Iterator[str]:
    """The provider under test (see the module docstring)."""
    name = getattr(request, "param", None) or _folder_provider(Path(str(request.node.path)))
    if name is None:
        pytest.fail(f"{request.node.nodeid}: parametrize 'provider' or put the test under tests/providers/<name>/",
                    pytrace=False)
    if name in TEST_ONLY and name not in registry.names():
        registry.register(name, TEST_ONLY[name])
        request.addfinalizer(lambda: registry.unregister(name))
    yield name


def _emulated(provider: str) -> str:
    if registry.load(provider).emulator is None:
        pytest.fail(f"{provider} declares no sandbox emulator (Provider.emulator): the conformance kit runs "
                    "every provider against its emulator", pytrace=False)
    return provider


@pytest.fixture
def echo() -> Iterator[str]:
    """The test-only ``echo`` provider, registered for this test."""
    registry.register("echo", TEST_ONLY["echo"])
    try:
        yield "echo"
    finally:
        registry.unregister("echo")


@pytest.fixture
def sandbox(provider: str) -> Sandbox:
    return Sandbox([_emulated(provider)])


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(sandbox) as client:
        yield client


@pytest.fixture
async def aclient(sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(sandbox) as client:
        yield client


class _Servers:
    """Served sandboxes of one test module, one per provider, started on first use."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.running: dict[str, Sandbox] = {}

    def get(self, provider: str) -> Sandbox:
        if provider not in self.running:
            self.running[provider] = self.stack.enter_context(serve_in_thread(providers=[_emulated(provider)]))
        return self.running[provider]


@pytest.fixture(scope="module")
def _servers() -> Iterator[_Servers]:
    with ExitStack() as stack:
        yield _Servers(stack)


@pytest.fixture
def served(provider: str, _servers: _Servers) -> Sandbox:
    """``provider``'s emulator served on loopback (shared by the tests of one module)."""
    return _servers.get(provider)



def _parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that asks for ``provider`` outside ``tests/providers/<name>/`` and does not parametrize it runs
    once for every registered provider — built-in, entry point or registered at run time — never a fixed list."""
    if "provider" not in metafunc.fixturenames or _parametrized(metafunc, "provider"):
        return
    if _folder_provider(Path(str(metafunc.definition.path))) is not None:
        return
    metafunc.parametrize("provider", registry.names(), indirect=True)
