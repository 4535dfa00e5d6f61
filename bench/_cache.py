"""Per-call overhead with cold caches: ``get_result`` against the raw exchange, with memory swept between calls.

``bench/_cpu.py`` calls back to back, so every call finds the code and data of the one before still in the CPU
caches. Over loopback (the async throughput section) each call's parts run between hundreds of µs of socket and
event-loop work and the other calls in flight, so they find colder caches. This probe reproduces that in
process: before each call (outside the timed part) it reads a buffer of ``--flush`` MiB and writes one byte per
page of it, then times one call with ``time.process_time``. Same recording, clients and raw exchange as
``bench/_cpu.py`` (MockTransport replaying one real ``get_result`` per provider; the blocking clients, or with
``--mode async`` the asyncio ones).

Variants per provider and buffer size:

- **ekyc** ``Client.get_result(ref)``; **raw** the identical signed requests through ``httpx.Client.send`` and
  ``json.loads`` (``AsyncClient.get_result`` and ``httpx.AsyncClient.send`` with ``--mode async``); **raw
  again** the raw exchange a second time: the A/A control (noise floor).
- **parse_result** the adapter's normalization alone of the recorded responses (a result of several requests,
  Onfido's, walks its follow-ups: their request building is in it too); **json.loads** of the same bodies.

Variants alternate block by block, order rotating per round; each figure is a median over rounds (the
differences are medians of per-round differences, so slow drifts of the machine's load cancel). Printed:
``overhead`` = ekyc − raw (A/A: raw again − raw, ± the larger of its median and half its IQR), the parts
``parse_result`` and ``json.loads``, and ``rest`` = (ekyc − parse_result) − (raw − json.loads): the client, retry
loop and HTTP layer's share of the overhead. The ``Δ`` columns are each figure's growth over no flush.

``python bench/_cache.py [provider ...] [--flush 0,1,2,8] [--rounds 9] [--block 60] [--mode sync|async] [--quick]``
(default providers: didit, stripe, persona; about a minute each on a quiet machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

import ekyc
from ekyc._http import send
from ekyc._retry import finish
from ekyc.provider import FollowUp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cpu

VARIANTS = ("ekyc", "raw", "raw again", "parse_result", "json.loads")
PAGE = 4096


def sweeper(mib: int) -> Callable[[], None]:
    """What runs before each call: read ``mib`` MiB and write one byte per page (nothing for 0)."""
    if not mib:
        return lambda: None
    buffer = bytearray(mib << 20)
    zeros = bytes(len(range(0, len(buffer), PAGE)))

    def sweep() -> None:
        buffer.count(1)
        buffer[::PAGE] = zeros
    return sweep


def _parts(rec: _cpu.Recording, transport: httpx.MockTransport, adapter: Any,
           ref: ekyc.SessionRef) -> tuple[Callable[[], object], Callable[[], object]]:
    """``parse_result`` over the recorded responses (following the chain), and ``json.loads`` of their bodies."""
    responses: dict[_cpu.Key, httpx.Response] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        key = _cpu._key(request)
        if key not in responses:
            responses[key] = send(transport, request)
        return responses[key]

    first = adapter.build_result(ref)
    first_response = answer(first.request)

    def parse() -> object:
        result = adapter.parse_result(first, first_response)
        while isinstance(result, FollowUp):
            prepared = result.build()
            result = result.parse(prepared, answer(prepared.request))
        return result

    parse()  # records every follow-up's response
    bodies = [r.content for r in responses.values()]

    def loads() -> object:
        return [json.loads(body) for body in bodies]
    return parse, loads


def _measure(calls: dict[str, Callable[[], object]], sizes: list[int], rounds: int,
             block: int) -> dict[tuple[int, str], list[float]]:
    """µs per call of each (buffer size, variant), one figure per round."""
    sweeps = {mib: sweeper(mib) for mib in sizes}
    keys = [(mib, name) for mib in sizes for name in calls]
    for _, name in keys[:len(calls)]:  # warm-up
        for _ in range(max(2, block // 4)):
            calls[name]()
    samples: dict[tuple[int, str], list[float]] = {k: [] for k in keys}
    clock = time.process_time
    for r in range(rounds):
        for mib, name in keys[r % len(keys):] + keys[:r % len(keys)]:
            fn, sweep = calls[name], sweeps[mib]
            gc.collect()
            total = 0.0
            for _ in range(block):
                sweep()
                t0 = clock()
                fn()
                total += clock() - t0
            samples[(mib, name)].append(total / block * 1e6)
    return samples


def _median_diff(a: list[float], b: list[float]) -> float:
    return statistics.median(x - y for x, y in zip(a, b, strict=True))


def report(provider: str, samples: dict[tuple[int, str], list[float]], sizes: list[int]) -> list[str]:
    """One line per buffer size: the figures, their A/A noise and their growth over the first size."""
    lines = []
    base: dict[str, float] = {}
    for mib in sizes:
        s = {name: samples[(mib, name)] for name in VARIANTS}
        aa = [x - y for x, y in zip(s["raw again"], s["raw"], strict=True)]
        lo, hi = _cpu._iqr(aa)
        noise = max(abs(statistics.median(aa)), (hi - lo) / 2)
        rest_ekyc = [e - p for e, p in zip(s["ekyc"], s["parse_result"], strict=True)]
        rest_raw = [r - j for r, j in zip(s["raw"], s["json.loads"], strict=True)]
        fig = {"overhead": _median_diff(s["ekyc"], s["raw"]),
               "parse_result": statistics.median(s["parse_result"]),
               "json.loads": statistics.median(s["json.loads"]),
               "rest": _median_diff(rest_ekyc, rest_raw)}
        base = base or fig
        grow = " ".join(f"{name} {fig[name] - base[name]:+6.1f}" for name in ("parse_result", "json.loads", "rest"))
        lines.append(
            f"{provider:8s} flush {mib:2d} MiB: ekyc {statistics.median(s['ekyc']):7.1f} raw "
            f"{statistics.median(s['raw']):7.1f} overhead {fig['overhead']:+6.1f} (A/A ±{noise:4.1f}) | "
            f"parse_result {fig['parse_result']:6.1f} json.loads {fig['json.loads']:6.1f} rest {fig['rest']:+6.1f} "
            f"| Δ vs {sizes[0]} MiB: {grow} µs")
    return lines


def run(providers: list[str], sizes: list[int], rounds: int, block: int) -> list[str]:
    """The blocking clients: ``Client.get_result`` against ``httpx.Client.send`` + ``json.loads``."""
    rec = _cpu.record(providers)
    transport = rec.transport()
    lines = []
    with ekyc.Client.from_config(rec.config, transport=transport) as client, httpx.Client(transport=transport) as http:
        for name, ref in rec.refs.items():
            adapter = client.adapter(name)
            build = _cpu._raw_requests(rec, name, adapter, ref)

            def ours(ref: ekyc.SessionRef = ref) -> object:
                return client.get_result(ref)

            def raw(build: Callable[[], list[httpx.Request]] = build) -> object:
                return [json.loads(http.send(request).content) for request in build()]

            lines += _provider(name, (ours, raw, *_parts(rec, transport, adapter, ref)), sizes, rounds, block)
    return lines


async def run_async(providers: list[str], sizes: list[int], rounds: int, block: int) -> list[str]:
    """The asyncio clients: ``AsyncClient.get_result`` against ``httpx.AsyncClient.send`` + ``json.loads``, in a
    running event loop. Over the in-process replay neither side ever suspends, so each call's coroutine is run
    to its end where it is timed (``ekyc._retry.finish``), with no event-loop turn in the measurement."""
    rec = _cpu.record(providers)
    transport = rec.transport()
    lines = []
    async with ekyc.AsyncClient.from_config(rec.config, transport=transport) as client, \
            httpx.AsyncClient(transport=transport) as http:
        for name, ref in rec.refs.items():
            adapter = client.adapter(name)
            build = _cpu._raw_requests(rec, name, adapter, ref)

            async def get(ref: ekyc.SessionRef = ref) -> object:
                return await client.get_result(ref)

            async def exchange(build: Callable[[], list[httpx.Request]] = build) -> object:
                return [json.loads((await http.send(request)).content) for request in build()]

            def ours(get: Callable[[], Coroutine[Any, Any, object]] = get) -> object:
                return finish(get())

            def raw(exchange: Callable[[], Coroutine[Any, Any, object]] = exchange) -> object:
                return finish(exchange())

            lines += _provider(name, (ours, raw, *_parts(rec, transport, adapter, ref)), sizes, rounds, block)
    return lines


def _provider(name: str, sides: tuple[Callable[[], object], ...], sizes: list[int], rounds: int,
              block: int) -> list[str]:
    """Measure one provider's ekyc, raw, parse_result and json.loads sides; print and return its lines."""
    ours, raw, parse, loads = sides
    calls = dict(zip(VARIANTS, (ours, raw, raw, parse, loads), strict=True))
    lines = report(name, _measure(calls, sizes, rounds, block), sizes)
    print(*lines, sep="\n", flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("providers", nargs="*")
    parser.add_argument("--flush", default="0,1,2,8", help="MiB swept between calls, comma-separated")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--block", type=int, default=60)
    parser.add_argument("--mode", choices=("sync", "async"), default="sync",
                        help="the blocking clients (default) or the asyncio ones")
    parser.add_argument("--quick", action="store_true", help="tiny counts (smoke test; figures not meaningful)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.flush.split(",")]
    rounds, block = (2, 3) if args.quick else (args.rounds, args.block)
    providers = args.providers or ["didit", "stripe", "persona"]
    if args.mode == "async":
        asyncio.run(run_async(providers, sizes, rounds, block))
    else:
        run(providers, sizes, rounds, block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
