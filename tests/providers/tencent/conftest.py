"""Fixtures for the Tencent tests: an in-process sandbox, clients, and a served (loopback) sandbox."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from ekyc import AsyncClient, Client
from ekyc.models import Check, DocumentType, SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.testing import BROWSER_META_INFO

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
    with Client(sandbox=tc_sandbox) as client:
        client._sleep = lambda s: None
        yield client


@pytest.fixture
async def tc_aclient(tc_sandbox: Sandbox) -> AsyncIterator[AsyncClient]:
    async def no_sleep(s: float) -> None:
        return None

    async with AsyncClient(sandbox=tc_sandbox) as client:
        client._sleep = no_sleep
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
    """The sandbox app under uvicorn on 127.0.0.1 (port chosen by the OS), in a background thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sandbox = Sandbox(["tencent"], base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Served(sandbox, port)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
