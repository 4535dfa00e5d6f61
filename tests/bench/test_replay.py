"""The async throughput section's replay server (``bench/_replay.py``): it answers each request with the response
recorded for its ``(method, path, action)`` — the same key as ``bench/_cpu.py``'s in-process replay — over
HTTP/1.1 keep-alive, so ekyc's ``AsyncClient`` reaches the same decision over loopback as in process, raw httpx
gets the recorded bytes, and a pool keeps its connections (no timing asserted)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import ekyc

pytest.importorskip("starlette")  # the recording comes from the sandbox
BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import _cpu  # noqa: E402
import _replay  # noqa: E402

_spec = importlib.util.spec_from_file_location("ekyc_bench_run_replay", BENCH / "run.py")
assert _spec is not None and _spec.loader is not None
run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = run  # dataclasses look their module up while the class is built
_spec.loader.exec_module(run)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[_cpu.Recording, str]]:
    with run.replayed() as found:
        yield found


def test_every_recorded_request_is_keyed_as_the_in_process_replay_keys_it(served: tuple[_cpu.Recording, str]
                                                                           ) -> None:
    rec, _ = served
    for sent in rec.requests.values():
        for method, url, headers, body in sent:
            request = httpx.Request(method, url, headers=headers, content=body or None)
            target = request.url.raw_path.decode("ascii")
            lower = {k.lower(): v for k, v in headers}
            assert _replay.key(method, target, lower) == _cpu._key(request)


def test_async_client_decides_over_the_replay_server_as_in_process(served: tuple[_cpu.Recording, str]) -> None:
    rec, _ = served
    with ekyc.Client.from_config(rec.config, transport=rec.transport()) as local:
        expected = {name: local.get_result(ref) for name, ref in rec.refs.items()}

    async def over_loopback() -> dict[str, ekyc.Decision]:
        async with ekyc.AsyncClient.from_config(rec.config) as client:
            return {name: await client.get_result(ref) for name, ref in rec.refs.items()}

    got = asyncio.run(over_loopback())
    assert set(got) == set(expected) and expected
    for name, decision in got.items():
        assert decision.model_dump(exclude={"attempts"}) == expected[name].model_dump(exclude={"attempts"}), name
        assert decision.outcome is ekyc.Outcome.APPROVED, name


def test_raw_httpx_gets_the_recorded_bytes_over_one_kept_alive_connection(served: tuple[_cpu.Recording, str]
                                                                          ) -> None:
    rec, address = served
    with httpx.Client() as http:
        before = http.get(address + _replay.STATS_PATH).json()
        for name, sent in rec.requests.items():
            for method, url, headers, body in sent:
                request = httpx.Request(method, url, headers=headers, content=body or None)
                status, recorded_headers, content = rec.responses[_cpu._key(request)]
                for _ in range(2):
                    response = http.send(request)
                    assert (response.status_code, response.content) == (status, content), name
                    kept = [(k, v) for k, v in recorded_headers if k.lower() not in _replay.HOP_BY_HOP]
                    assert [(k, v) for k, v in response.headers.multi_items()
                            if k.lower() not in _replay.HOP_BY_HOP] == kept, name
        after = http.get(address + _replay.STATS_PATH).json()
    assert after["connections"] == before["connections"]  # every request went over the first connection
    assert after["requests"] - before["requests"] == 1 + 2 * sum(len(s) for s in rec.requests.values())


def test_an_unrecorded_request_is_a_404_and_a_malformed_head_is_refused(served: tuple[_cpu.Recording, str]) -> None:
    _, address = served
    response = httpx.post(address + "/nothing/recorded/here", content=b"{}")
    assert response.status_code == 404

    async def raw(data: bytes) -> bytes:
        host, port = address.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(data)
        await writer.drain()
        answer = await reader.read()  # the server closes the connection after refusing
        writer.close()
        return answer

    assert asyncio.run(raw(b"GARBAGE\r\n\r\n")).startswith(b"HTTP/1.1 400 ")
    chunked = b"POST /x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    assert asyncio.run(raw(chunked)).startswith(b"HTTP/1.1 501 ")


def test_the_dumped_recording_loads_as_the_exact_answers(tmp_path: Path) -> None:
    responses = {("GET", "/a", ""): (200, [("content-type", "application/json"), ("x-request-id", "r1"),
                                           ("content-length", "99"), ("connection", "close")], b'{"a": 1}')}
    _replay.dump(responses, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())[0]["key"] == ["GET", "/a", ""]
    assert _replay.load(tmp_path / "r.json") == {("GET", "/a", ""): b"HTTP/1.1 200 OK\r\ncontent-type: "
                                                 b"application/json\r\nx-request-id: r1\r\ncontent-length: 8\r\n\r\n"
                                                 b'{"a": 1}'}


def test_a_replay_server_that_exits_at_start_is_reported() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts nothing: requests wait in its queue
        address = f"http://127.0.0.1:{listener.getsockname()[1]}"
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        with pytest.raises(RuntimeError, match=r"the replay server exited \(3\)"):
            run._answering(proc, address)
