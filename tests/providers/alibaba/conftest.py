"""Fixtures: an in-process sandbox with the Alibaba emulator, clients bound to it, a served sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ekyc import AsyncClient, Client
from ekyc.cli.serve import serve_in_thread
from ekyc.models import ALL_CHECKS, DocumentType, SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.testing import BROWSER_META_INFO
from tests.support.clients import quick_async_client, quick_client


def contract_request(**overrides: Any) -> SessionRequest:
    """The request the contract suite uses."""
    fields: dict[str, Any] = dict(reference="user-42", return_url="https://app.example/kyc/return",
                                  checks=ALL_CHECKS, document_types=(DocumentType.PASSPORT,), country="GBR",
                                  client_metadata=BROWSER_META_INFO)
    fields.update(overrides)
    return SessionRequest(**fields)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(["alibaba"])


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(sandbox) as client:
        yield client


@pytest.fixture
async def aclient(sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(sandbox) as client:
        yield client


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    """The alibaba sandbox under uvicorn on 127.0.0.1 (a free port), in a background thread."""
    with serve_in_thread(providers=["alibaba"]) as sandbox:
        yield sandbox

