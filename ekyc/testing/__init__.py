"""A pytest plugin for apps that use ekyc (registered under ``pytest11``; active once ekyc-bridge is installed).

Fixtures:

- ``ekyc_sandbox`` — a fresh in-process :class:`~ekyc.sandbox.Sandbox` with every emulated provider;
- ``ekyc_client`` / ``ekyc_async_client`` — clients bound to it;
- ``ekyc_provider`` — parametrize a test over every emulated provider with
  ``@pytest.mark.parametrize("ekyc_provider", ekyc.testing.providers(), indirect=True)`` (or just use
  :func:`providers` as the parameter list).

Helper: :func:`complete` drives a session's hosted page with a catalog scenario, as a user would, and
returns the provider's redirect URL. Test your app the way it must run in production — the return URL only
signals "go and look"; the ref comes from your own storage (what you stored at create, bound to your user)::

    import pytest
    from ekyc.testing import complete, providers

    @pytest.mark.parametrize("ekyc_provider", providers(), indirect=True)
    def test_signup(ekyc_client, ekyc_sandbox, ekyc_provider):
        session = ekyc_client.create_session(reference="u1", return_url="https://app.test/back",
                                             provider=ekyc_provider)  # the one neutral request
        stored = session.ref.serialize()                  # what the app keeps next to user u1
        back = complete(ekyc_sandbox, session, "face_mismatch")
        ref = ekyc_client.parse_return_url(back, expected=stored)  # SessionMismatch if it names another session
        decision = ekyc_client.get_result(ref)           # the stored ref decides, never the URL alone
        assert decision.reference == "u1" and not decision.approved

The clients these fixtures give are bound to the in-process sandbox and never read the environment, so a
developer's real credentials never reach a test. The plugin supplies browser metadata itself: the sandbox's
settings stand in for what the launch page (:mod:`ekyc.launch`) collects in a real browser (Alibaba's MetaInfo).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ..client import AsyncClient, Client
from ..models import Session

if TYPE_CHECKING:
    from ..sandbox import Sandbox

#: a browser MetaInfo for providers that need one (Alibaba); any JSON string from the web SDK works
BROWSER_META_INFO = '{"apdidToken":"","bioMetaInfo":"4.1.0:2916352,0","deviceType":"h5","ua":"Mozilla/5.0"}'


def _async_fixture(fn: Callable[..., Any]) -> Any:
    # pytest-asyncio's own decorator works in its default strict mode; without it, a plain fixture (anyio)
    try:
        from pytest_asyncio import fixture
    except ImportError:
        return pytest.fixture(fn)
    return fixture(fn)


def providers() -> list[str]:
    """Names of every provider that has a sandbox emulator (for parametrizing tests)."""
    from .. import registry

    return [name for name in registry.names() if registry.load(name).emulator is not None]


def complete(sandbox: Sandbox, session: Session | str, scenario: str) -> str:
    """Complete the hosted flow of ``session`` with ``scenario``; returns the redirect URL (a signal to look:
    pass it to ``parse_return_url(url, expected=stored_ref)``, then ``get_result`` on the stored ref)."""
    return sandbox.complete(session, scenario)


@pytest.fixture
def ekyc_sandbox() -> Sandbox:
    """A fresh in-process sandbox with every emulated provider."""
    try:
        from ..sandbox import Sandbox
    except ImportError as exc:
        pytest.fail(f"the ekyc sandbox needs the 'sandbox' extra ({exc.name} is not installed): "
                    "pip install 'ekyc-bridge[sandbox]'", pytrace=False)
    return Sandbox()


@pytest.fixture
def ekyc_client(ekyc_sandbox: Sandbox) -> Iterator[Client]:
    """A blocking client bound to ``ekyc_sandbox``."""
    with ekyc_sandbox.client() as client:
        yield client


@_async_fixture
async def ekyc_async_client(ekyc_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    """An asyncio client bound to ``ekyc_sandbox`` (needs an async test runner such as pytest-asyncio)."""
    async with ekyc_sandbox.async_client() as client:
        yield client


@pytest.fixture
def ekyc_provider(request: Any) -> str:
    """The provider name a test is parametrized with (``indirect=True``), default the first emulated one."""
    return str(getattr(request, "param", None) or providers()[0])
