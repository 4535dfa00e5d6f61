"""One client shared by threads, one AsyncClient used from several event loops, and closed clients."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ekyc import AsyncClient, Client, ConfigurationError, Outcome
from ekyc.cli.serve import serve_in_thread
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    """The sandbox on a loopback socket: real connections, so pools and descriptors are real."""
    with serve_in_thread() as sandbox:
        yield sandbox


def _client_sockets(sandbox: Sandbox) -> int:
    """Open sockets of this process connected *to* the sandbox (its own accepted sockets not counted)."""
    port = int(sandbox.base_url.rsplit(":", 1)[1].split("/")[0])
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                remote_port = int(cols[2].rsplit(":", 1)[1], 16)
                state_closed = cols[3] == "07"
                if remote_port == port and cols[9] in mine and not state_closed:
                    count += 1
    return count


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every httpx.Client / httpx.AsyncClient constructed during the test."""
    made: list[object] = []

    class CountingClient(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    class CountingAsyncClient(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", CountingClient)
    monkeypatch.setattr(httpx, "AsyncClient", CountingAsyncClient)
    return made


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_sixteen_threads_first_call_on_one_client_build_one_pool(served: Sandbox, built: list[object]) -> None:
    client = Client({"providers": {"didit": served.client_settings("didit")}})
    start = threading.Barrier(16)
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def first_call(i: int) -> None:
        try:
            start.wait()
            session = client.create_session(scenario_request("didit", "approved", reference=f"user-{i}"))
            outcomes.append(client.get_result(session.ref).outcome)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and outcomes == [Outcome.PENDING] * 16
    assert len(built) == 1  # one pool, whatever the race
    assert _client_sockets(served) <= 16  # one pool: at most one connection per concurrent request
    client.close()
    assert _client_sockets(served) == 0  # every pooled connection released


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_asyncio_run_per_job_on_one_async_client(served: Sandbox, built: list[object]) -> None:
    """Task queues and scripts run each job in a fresh loop: each loop gets a pool, closed when it ends."""
    client = AsyncClient({"providers": {"didit": served.client_settings("didit")}})

    async def job(i: int) -> Outcome:
        session = await client.create_session(scenario_request("didit", "approved", reference=f"job-{i}"))
        return (await client.get_result(session.ref)).outcome

    for i in range(4):
        assert asyncio.run(job(i)) is Outcome.PENDING
        assert _client_sockets(served) == 0  # the loop's pool was closed when the loop ended
    assert len(built) == 4


def test_a_given_http_client_is_refused_typed_in_another_loop_before_sending(served: Sandbox) -> None:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    given = httpx.AsyncClient(event_hooks={"request": [record]})
    client = AsyncClient({"providers": {"didit": served.client_settings("didit")}}, http_client=given)
    request = scenario_request("didit", "approved", reference="u1")
    asyncio.run(client.create_session(request))
    assert len(sent) == 1
    with pytest.raises(ConfigurationError) as info:
        asyncio.run(client.create_session(request))
    assert info.value.field == "http_client" and len(sent) == 1  # nothing left for the provider


def test_a_closed_client_raises_a_typed_error(served: Sandbox) -> None:
    settings = {"providers": {"didit": served.client_settings("didit")}}
    with Client(settings) as client:
        ref = client.create_session(scenario_request("didit", "approved", reference="u1")).ref
    with pytest.raises(ConfigurationError) as info:
        client.get_result(ref)
    assert info.value.field == "client"
    given = httpx.Client()
    other = Client(settings, http_client=given)
    given.close()  # closed by its owner
    with pytest.raises(ConfigurationError):
        other.get_result(ref)


async def test_a_closed_async_client_raises_a_typed_error(served: Sandbox) -> None:
    settings = {"providers": {"didit": served.client_settings("didit")}}
    async with AsyncClient(settings) as client:
        ref = (await client.create_session(scenario_request("didit", "approved", reference="u1"))).ref
    with pytest.raises(ConfigurationError):
        await client.get_result(ref)
    given = httpx.AsyncClient()
    other = AsyncClient(settings, http_client=given)
    await given.aclose()
    with pytest.raises(ConfigurationError):
        await other.get_result(ref)
