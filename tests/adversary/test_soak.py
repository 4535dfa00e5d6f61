"""Bounded soaks against the *served* sandbox (uvicorn on loopback), every registered provider, faults injected
through the HTTP fault switch: an async soak (2,000 create+result, 64 in flight) and a 16-thread soak of one
shared ``Client``. Asserted: 0 untyped exceptions, 0 false APPROVED, 0 duplicate sessions per reference (asked
of the sandbox's records), no leaked sockets or file descriptors. ``-s`` prints the figures
(docs/reliability.md)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

from ekyc import AsyncClient, Client, EkycError, Outcome
from ekyc.cli.serve import serve_in_thread
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from ekyc.sandbox.server import SandboxError

JOBS, IN_FLIGHT = 2000, 64
THREADS, PER_THREAD = 16, 25
#: one job in COMPLETE_EVERY also completes the hosted flow (with a catalog scenario) before its result
COMPLETE_EVERY = 4
FAULT_KINDS = ("503", "429", "connect", "processed-502", "processed-504")
RETRY = {"max_attempts": 3, "backoff_base": 0.002, "backoff_max": 0.02, "total_timeout": 20}


def open_fds() -> tuple[int, int]:
    """(file descriptors, of which sockets) of this process."""
    fds = sockets = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return fds, sockets


def settled_fds(limit: tuple[int, int]) -> tuple[int, int]:
    """The descriptor count once background threads have closed what they hold (waits up to ~5 s, no timing
    assertion: only the final count is compared)."""
    for _ in range(50):
        gc.collect()
        now = open_fds()
        if now[0] <= limit[0] and now[1] <= limit[1]:
            return now
        time.sleep(0.1)
    return open_fds()


@dataclass
class Tally:
    """What a soak saw."""

    jobs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    typed: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    false_approved: list[str] = field(default_factory=list)
    pages_refused: int = 0
    faults_set: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "outcomes": dict(sorted(self.outcomes.items())),
                "typed_errors": dict(sorted(self.typed.items())), "untyped": len(self.untyped),
                "false_approved": len(self.false_approved), "pages_refused_by_faults": self.pages_refused,
                "faults_set": self.faults_set}


def plan(rng: random.Random, sandbox: Sandbox, i: int) -> tuple[str, str | None]:
    """(provider, scenario to complete or None) for job ``i``."""
    names = sandbox.providers
    provider = names[i % len(names)]
    if i % COMPLETE_EVERY:
        return provider, None
    scenarios = [s.name for s in sandbox.emulators[provider].supported_scenarios()]
    return provider, rng.choice(["approved", "approved", *scenarios])


def record(tally: Tally, scenario: str | None, outcome: Outcome | None, error: BaseException | None,
           label: str) -> None:
    with tally.lock:
        tally.jobs += 1
        if error is not None:
            if isinstance(error, EkycError):
                tally.typed[type(error).__name__] += 1
            else:
                tally.untyped.append(f"{label}: {type(error).__name__}: {error}")
            return
        assert outcome is not None
        tally.outcomes[outcome.value] += 1
        if outcome is Outcome.APPROVED and scenario != "approved":
            tally.false_approved.append(f"{label}: APPROVED after scenario {scenario}")


@contextmanager
def served() -> Iterator[tuple[Sandbox, dict[str, Any]]]:
    with serve_in_thread() as sandbox:
        yield sandbox, {**sandbox.client_config(), "retry": RETRY}


def report(name: str, tally: Tally, sandbox: Sandbox, before: tuple[int, int], after: tuple[int, int]) -> None:
    figures = {"soak": name, **tally.summary(), "sessions_started": len(sandbox.sessions()),
               "duplicate_references": len(sandbox.duplicate_sessions()), "fds_before": before[0],
               "fds_after": after[0], "sockets_before": before[1], "sockets_after": after[1]}
    print("\n" + json.dumps(figures))
    assert not tally.untyped, "untyped exceptions:\n" + "\n".join(tally.untyped[:20])
    assert not tally.false_approved, "\n".join(tally.false_approved[:20])
    assert sandbox.duplicate_sessions() == {}, sandbox.duplicate_sessions()
    assert after[0] <= before[0] and after[1] <= before[1], f"leaked descriptors: {before} → {after}"


async def _inject_faults(base_url: str, names: tuple[str, ...], rng: random.Random, stop: asyncio.Event,
                         tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        while not stop.is_set():
            answer = await http.post("/_ekyc/faults", json={"provider": rng.choice(names),
                                                             "kind": rng.choice(FAULT_KINDS),
                                                             "times": rng.randint(1, 3)})
            assert answer.status_code == 200, answer.text
            tally.faults_set += 1
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.02)
        await http.delete("/_ekyc/faults")


def test_async_soak_against_the_served_sandbox() -> None:
    before = open_fds()
    tally = Tally()
    rng = random.Random(11)
    with served() as (sandbox, config):

        async def job(client: AsyncClient, gate: asyncio.Semaphore, i: int) -> None:
            provider, scenario = plan(rng, sandbox, i)
            label = f"job {i} {provider}/{scenario}"
            async with gate:
                try:
                    session = await client.create_session(
                        scenario_request(provider, scenario or "approved", reference=f"async-soak-{i}"),
                        provider=provider)
                    if scenario is not None:
                        try:
                            await asyncio.to_thread(sandbox.complete, session, scenario)
                        except SandboxError:
                            with tally.lock:
                                tally.pages_refused += 1
                    decision = await client.get_result(session.ref.serialize())
                except Exception as exc:
                    record(tally, scenario, None, exc, label)
                else:
                    record(tally, scenario, decision.outcome, None, label)

        async def main() -> None:
            stop = asyncio.Event()
            injector = asyncio.create_task(_inject_faults(sandbox.base_url, sandbox.providers, random.Random(7),
                                                          stop, tally))
            gate = asyncio.Semaphore(IN_FLIGHT)
            async with AsyncClient(config) as client:
                await asyncio.gather(*(job(client, gate, i) for i in range(JOBS)))
            stop.set()
            await injector

        asyncio.run(main())
    after = settled_fds(before)
    assert tally.jobs == JOBS and tally.faults_set > 0
    report("async", tally, sandbox, before, after)


def test_sixteen_threads_share_one_client_against_the_served_sandbox() -> None:
    before = open_fds()
    tally = Tally()
    with served() as (sandbox, config):
        client = Client(config)
        barrier = threading.Barrier(THREADS)
        faults = httpx.Client(base_url=sandbox.base_url)
        rng = random.Random(13)

        def worker(t: int) -> None:
            local = random.Random(t)
            barrier.wait()  # every thread makes its first call at once
            for k in range(PER_THREAD):
                i = t * PER_THREAD + k
                provider, scenario = plan(local, sandbox, i)
                label = f"thread {t} job {k} {provider}/{scenario}"
                try:
                    session = client.create_session(
                        scenario_request(provider, scenario or "approved", reference=f"thread-soak-{i}"),
                        provider=provider)
                    if scenario is not None:
                        try:
                            sandbox.complete(session, scenario)
                        except SandboxError:
                            with tally.lock:
                                tally.pages_refused += 1
                    decision = client.get_result(session.ref.serialize())
                except Exception as exc:
                    record(tally, scenario, None, exc, label)
                else:
                    record(tally, scenario, decision.outcome, None, label)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            answer = faults.post("/_ekyc/faults", json={"provider": rng.choice(sandbox.providers),
                                                        "kind": rng.choice(FAULT_KINDS), "times": 1})
            assert answer.status_code == 200
            tally.faults_set += 1
            for thread in threads:
                thread.join(timeout=0.05)
        faults.delete("/_ekyc/faults")
        faults.close()
        client.close()
    after = settled_fds(before)
    assert tally.jobs == THREADS * PER_THREAD
    report("threads", tally, sandbox, before, after)
