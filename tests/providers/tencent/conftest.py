"""Fixtures for the Tencent tests: an in-process sandbox, clients, and a served (loopback) sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from ekyc import AsyncClient, Client
from ekyc.cli.serve import serve_in_thread
from ekyc.models import Check, DocumentType, SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.testing import BROWSER_META_INFO
from tests.support.clients import quick_async_client, quick_client

CONTRACT_REQUEST = SessionRequest(
    reference="user-42",
    return_url="https://app.example/kyc/return",
    checks=frozenset({Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH}),
    document_types=(DocumentType.PASSPORT,),
    country="GBR",
    client_metadata=BROWSER_META_INFO,
)


@pytest.fixture
def tc_sandbox() -> Sandbox:
    return Sandbox(["tencent"])


@pytest.fixture
def tc_client(tc_sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(tc_sandbox) as client:
        yield client


@pytest.fixture
async def tc_aclient(tc_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async with quick_async_client(tc_sandbox) as client:
        yield client


@dataclass
class Served:
    sandbox: Sandbox
    port: int

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The tencent sandbox under uvicorn on 127.0.0.1 (a free port), in a background thread."""
    with serve_in_thread(providers=["tencent"]) as sandbox:
        yield Served(sandbox, int(sandbox.base_url.rsplit(":", 1)[1]))

