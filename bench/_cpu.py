"""Per-call CPU overhead, in process: ``get_result`` against a raw httpx exchange of the identical requests.

Both sides go through an ``httpx.MockTransport`` that replays the responses the sandbox gave to one real
``get_result`` of a finished session, so no socket, server or other process is involved and CPU time
(``time.process_time``) measures the client alone — stable enough on a shared machine to resolve a few µs.

- **ours**: ``Client.get_result(ref)`` (sync) or ``await AsyncClient.get_result(ref)`` (async).
- **raw**: the identical signed request, built per call with the adapter's ``build_result(ref).request`` (so
  signing, nonces and timestamps cost the same on both sides), sent with ``httpx.Client.send`` /
  ``httpx.AsyncClient.send`` and decoded with ``json.loads``; when a result takes more than one request
  (Onfido: the workflow run, then its checks and reports) the others are sent too, built as plain
  ``httpx.Request`` objects with the same method, URL and headers.
- **A/A**: ours against ours — two identical variants measured the same way: the noise floor.

Variants alternate block by block (rotating order); the overhead is the median over rounds of the per-call
difference ours − raw within a round, so slow drifts of the machine's load cancel. The noise is the A/A's
spread: the larger of its median difference and half the interquartile range of its per-round differences.

Run alone for a quick look: ``python bench/_cpu.py [provider ...] [--rounds N] [--block N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

import ekyc
from ekyc.models import SessionRef

Key = tuple[str, str, str]


def _key(request: httpx.Request) -> Key:
    """What tells the requests of one result apart: method, path and the API action (Tencent's header,
    Alibaba's query parameter) — never a nonce, timestamp or signature."""
    action = request.headers.get("x-tc-action") or request.url.params.get("Action") or ""
    return request.method, request.url.path, action


@dataclass
class Recording:
    """The responses to one ``get_result`` per provider, and the requests that produced them (in order)."""

    responses: dict[Key, tuple[int, list[tuple[str, str]], bytes]]
    requests: dict[str, list[tuple[str, str, list[tuple[str, str]], bytes]]]
    refs: dict[str, SessionRef]
    config: dict[str, Any]

    def transport(self) -> httpx.MockTransport:
        def replay(request: httpx.Request) -> httpx.Response:
            status, headers, content = self.responses[_key(request)]
            return httpx.Response(status, headers=headers, content=content)
        return httpx.MockTransport(replay)


def _complete(sandbox: Any, url: str, scenario: str) -> None:
    """Act as the user on the hosted page, in process (``Sandbox.complete`` goes over the network when the
    sandbox has a served address, which nothing serves while recording)."""
    with httpx.Client(transport=sandbox.transport(), follow_redirects=False) as http:
        http.get(url).raise_for_status()
        done = http.post(url, data={"scenario": scenario})
    if done.status_code not in (302, 303):
        raise RuntimeError(f"the hosted page refused the completion (HTTP {done.status_code})")


def record(providers: Iterable[str] | None = None, scenario: str = "approved",
           base_url: str | None = None) -> Recording:
    """Finished sessions on an in-process sandbox, and what one ``get_result`` of each exchanged.

    ``base_url``: the address the sandbox believes it is served at (its answers and the recorded client
    configuration carry it) — where ``bench/_replay.py`` will replay the answers; by default the in-process one.
    """
    from ekyc import registry
    from ekyc.sandbox import Sandbox
    from ekyc.sandbox.runner import scenario_request

    sandbox = Sandbox() if base_url is None else Sandbox(base_url=base_url)
    names = [n for n in (providers or registry.names()) if registry.load(n).emulator is not None]
    responses: dict[Key, tuple[int, list[tuple[str, str]], bytes]] = {}
    requests: dict[str, list[tuple[str, str, list[tuple[str, str]], bytes]]] = {}
    current: list[tuple[str, str, list[tuple[str, str]], bytes]] = []
    inner = sandbox.transport()

    class Recorder(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            response.read()
            responses[_key(request)] = (response.status_code, list(response.headers.multi_items()),
                                        response.content)
            current.append((request.method, str(request.url), list(request.headers.multi_items()),
                            request.read()))
            return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    refs: dict[str, SessionRef] = {}
    with sandbox.client(transport=Recorder()) as client:
        for name in names:
            session = client.create_session(scenario_request(name, scenario), provider=name)
            _complete(sandbox, session.url, scenario)
            refs[name] = session.ref
        for name in names:
            current.clear()
            client.get_result(refs[name])
            requests[name] = list(current)
    config = {"env": "production", **sandbox.client_config()}
    return Recording(responses, requests, refs, config)


# --------------------------------------------------------------------------------------------------
# Measurement


@dataclass(frozen=True)
class Overhead:
    """One provider and driver: CPU µs per call of each side, the overhead and the A/A noise floor."""

    provider: str
    mode: str  # "sync" | "async"
    ours: float
    raw: float
    overhead: float  # median over rounds of (ours - raw), µs per call
    noise: float  # A/A: max(|median difference|, IQR/2), µs per call
    spread: tuple[float, float]  # interquartile range of the per-round (ours - raw)


def _iqr(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return q[0], q[2]


def _summary(provider: str, mode: str, samples: dict[str, list[float]]) -> Overhead:
    diffs = [o - r for o, r in zip(samples["ours"], samples["raw"], strict=True)]
    aa = [a - b for a, b in zip(samples["ours"], samples["again"], strict=True)]
    lo, hi = _iqr(aa)
    noise = max(abs(statistics.median(aa)), (hi - lo) / 2)
    return Overhead(provider, mode, statistics.median(samples["ours"]), statistics.median(samples["raw"]),
                    statistics.median(diffs), noise, _iqr(diffs))


def _rounds(variants: dict[str, Callable[[int], float]], rounds: int, block: int) -> dict[str, list[float]]:
    """Per-round µs per call of each variant (each measures ``block`` calls and returns CPU seconds)."""
    names = list(variants)
    for name in names:  # warm-up
        variants[name](max(2, block // 4))
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            gc.collect()
            samples[name].append(variants[name](block) / block * 1e6)
    return samples


def _raw_requests(rec: Recording, name: str, adapter: Any, ref: SessionRef) -> Callable[[], list[httpx.Request]]:
    """The requests of one raw exchange: the adapter's signed first request, then the follow-ups as sent."""
    rest = rec.requests[name][1:]

    def build() -> list[httpx.Request]:
        first = adapter.build_result(ref).request
        return [first, *(httpx.Request(m, u, headers=h, content=c or None) for m, u, h, c in rest)]
    return build


def sync_overheads(rec: Recording, rounds: int, block: int) -> list[Overhead]:
    out = []
    transport = rec.transport()
    with ekyc.Client.from_config(rec.config, transport=transport) as client, \
            ekyc.Client.from_config(rec.config, transport=transport) as again, \
            httpx.Client(transport=transport) as http:
        for name, ref in rec.refs.items():
            build = _raw_requests(rec, name, client.adapter(name), ref)

            def ours(n: int, client: ekyc.Client = client, ref: SessionRef = ref) -> float:
                get = client.get_result
                t0 = time.process_time()
                for _ in range(n):
                    get(ref)
                return time.process_time() - t0

            def ours_again(n: int, ref: SessionRef = ref) -> float:
                return ours(n, again, ref)

            def raw(n: int, build: Callable[[], list[httpx.Request]] = build) -> float:
                send, loads = http.send, json.loads
                t0 = time.process_time()
                for _ in range(n):
                    for request in build():
                        loads(send(request).content)
                return time.process_time() - t0

            samples = _rounds({"ours": ours, "raw": raw, "again": ours_again}, rounds, block)
            out.append(_summary(name, "sync", samples))
    return out


async def _async_overheads(rec: Recording, rounds: int, block: int) -> list[Overhead]:
    out = []
    transport = rec.transport()
    async with ekyc.AsyncClient.from_config(rec.config, transport=transport) as client, \
            ekyc.AsyncClient.from_config(rec.config, transport=transport) as again, \
            httpx.AsyncClient(transport=transport) as http:
        for name, ref in rec.refs.items():
            build = _raw_requests(rec, name, client.adapter(name), ref)

            async def ours(n: int, client: ekyc.AsyncClient = client, ref: SessionRef = ref) -> float:
                get = client.get_result
                t0 = time.process_time()
                for _ in range(n):
                    await get(ref)
                return time.process_time() - t0

            async def ours_again(n: int, ref: SessionRef = ref) -> float:
                return await ours(n, again, ref)

            async def raw(n: int, build: Callable[[], list[httpx.Request]] = build) -> float:
                send, loads = http.send, json.loads
                t0 = time.process_time()
                for _ in range(n):
                    for request in build():
                        loads((await send(request)).content)
                return time.process_time() - t0

            variants: dict[str, Callable[[int], Awaitable[float]]] = {"ours": ours, "raw": raw, "again": ours_again}
            names = list(variants)
            for key in names:
                await variants[key](max(2, block // 4))
            samples: dict[str, list[float]] = {n: [] for n in names}
            for r in range(rounds):
                for key in names[r % 3:] + names[:r % 3]:
                    gc.collect()
                    samples[key].append(await variants[key](block) / block * 1e6)
            out.append(_summary(name, "async", samples))
    return out


def async_overheads(rec: Recording, rounds: int, block: int) -> list[Overhead]:
    return asyncio.run(_async_overheads(rec, rounds, block))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("providers", nargs="*")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--block", type=int, default=200)
    parser.add_argument("--mode", choices=("sync", "async", "both"), default="both")
    args = parser.parse_args(argv)
    rec = record(args.providers or None)
    results = []
    if args.mode in ("sync", "both"):
        results += sync_overheads(rec, args.rounds, args.block)
    if args.mode in ("async", "both"):
        results += async_overheads(rec, args.rounds, args.block)
    for o in results:
        print(f"{o.provider:10s} {o.mode:5s} ours {o.ours:7.1f} raw {o.raw:7.1f} overhead {o.overhead:6.1f} µs "
              f"(IQR {o.spread[0]:.1f}–{o.spread[1]:.1f}, A/A noise ±{o.noise:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
