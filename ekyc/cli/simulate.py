"""``ekyc simulate``: drive users through the local sandbox under a weighted split, with per-provider scenario
mixes and delays, filling a ledger — a bake-off without real traffic, whose true rates are known.

Deterministic for a seed: users arrive at random times over ``period`` seconds on a frozen sandbox clock (no
waiting: the clock jumps from event to event), each is routed by the client's own weighted split (sticky per
reference), plays a scenario drawn from its provider's mix after a delay drawn from its provider's
distribution, and the signed webhooks/callbacks the emulator emits go through ``ledger.receive``. A user whose
session ends declined, abandoned or expired starts again with probability ``retry`` (at most
``max_attempts`` sessions). Sessions nobody decided by webhook are settled by ``ledger.reconcile`` passes.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import event

from .. import registry
from ..errors import ConfigurationError, EkycError
from ..ledger import Ledger, LedgerSession, Policy, generate_key
from ..ledger.engine import make_engine
from ..ledger.experiments import tags
from ..models import DocumentType, Outcome
from ..sandbox import Sandbox, SandboxClock
from ..sandbox.runner import scenario_request, webhook_body
from ..sandbox.scenarios import SCENARIOS

#: 2026-01-05T00:00:00Z: simulated traffic starts on a fixed date (reports are then reproducible)
EPOCH = 1767571200.0
RULE = "bakeoff"
_RETRY_AFTER = (Outcome.DECLINED.value, Outcome.ABANDONED.value, Outcome.EXPIRED.value)


class FrozenClock(SandboxClock):
    """A sandbox clock that moves only when told to (no wall time leaks in: runs are reproducible)."""

    def __init__(self, start: float = EPOCH) -> None:
        super().__init__()
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = when


@dataclass(frozen=True)
class Mix:
    """One provider's behaviour in the simulation: scenario → weight (the sandbox catalog's names), and the
    mean delay in seconds between a session's start and the user finishing it (exponentially distributed)."""

    scenarios: Mapping[str, float] | None = None
    """None: :data:`DEFAULT_SCENARIOS`, less the scenarios the provider's sandbox cannot play"""
    delay: float = 120.0


@dataclass(frozen=True)
class Simulation:
    """What to simulate. ``split`` maps providers to weights (the routing rule ``bakeoff``); ``mixes`` gives
    each provider's :class:`Mix` (a provider without one gets :data:`DEFAULT_MIX`, less the scenarios its
    sandbox cannot play); ``countries`` and ``document_types`` are weighted draws per user; ``period`` is the
    arrival window in seconds."""

    users: int
    split: Mapping[str, float]
    mixes: Mapping[str, Mix] = field(default_factory=dict)
    countries: Mapping[str, float] = field(default_factory=lambda: {"GBR": 1.0})
    document_types: Mapping[str, float] = field(default_factory=lambda: {"PASSPORT": 1.0})
    period: float = 7 * 86400.0
    retry: float = 0.3
    max_attempts: int = 3
    retry_delay: float = 3600.0
    seed: int = 0
    start: float = EPOCH

    def check(self, providers: tuple[str, ...]) -> None:
        """Raise :class:`~ekyc.errors.ConfigurationError` naming the field for anything the sandbox cannot
        play, before any session starts."""
        if self.users < 1:
            raise ConfigurationError("simulate at least one user", field="users")
        if not self.split or any(w <= 0 for w in self.split.values()):
            raise ConfigurationError("the split needs providers with positive weights", field="split")
        for name in self.split:
            if name not in providers:
                raise ConfigurationError(f"unknown provider {name!r}; the sandbox has {', '.join(providers)}",
                                         field="split")
        for name, mix in self.mixes.items():
            if name not in providers:
                raise ConfigurationError(f"unknown provider {name!r}", field=f"mixes.{name}")
            if mix.scenarios is None:
                continue
            if not mix.scenarios or any(w < 0 for w in mix.scenarios.values()) or sum(mix.scenarios.values()) <= 0:
                raise ConfigurationError("a mix needs scenarios with non-negative weights", field=f"mixes.{name}")
            for scenario in mix.scenarios:
                if scenario not in SCENARIOS:
                    raise ConfigurationError(f"unknown scenario {scenario!r}", field=f"mixes.{name}")
            if mix.delay < 0:
                raise ConfigurationError("the delay must not be negative", field=f"mixes.{name}.delay")
        for doc in self.document_types:
            if doc not in DocumentType.__members__:
                raise ConfigurationError(f"unknown document type {doc!r}", field="document_types")
        if not 0.0 <= self.retry <= 1.0:
            raise ConfigurationError("retry is a probability (0 to 1)", field="retry")

    def mix(self, provider: str) -> Mix:
        return self.mixes.get(provider, DEFAULT_MIX)


#: approved 70 %, declined 15 % (face mismatch, poor capture), abandoned 10 %, expired 5 %
DEFAULT_SCENARIOS = {"approved": 70.0, "face_mismatch": 10.0, "poor_capture": 5.0, "timed_out": 10.0,
                     "session_expired": 5.0}
DEFAULT_MIX = Mix()


@dataclass
class Outcomes:
    """What a simulation did: sessions started, scenarios played per provider, deliveries received."""

    sessions: int = 0
    users: int = 0
    played: dict[str, dict[str, int]] = field(default_factory=dict)
    deliveries: int = 0
    unplayable: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _draw(rng: random.Random, weights: Mapping[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def run(sim: Simulation, database: str | Path, *, key: str | None = None) -> Outcomes:
    """Play ``sim`` into the ledger at ``database`` (created and migrated if needed). Returns what was played.
    Raises :class:`~ekyc.errors.ConfigurationError` for a simulation the sandbox cannot play."""
    clock = FrozenClock(sim.start)
    sandbox = Sandbox(webhook_url="http://127.0.0.1:9/hooks", clock=clock)
    sandbox.on_sent = lambda *args: None
    sim.check(sandbox.providers)
    for name in sim.split:
        given = sim.mix(name)
        if given.scenarios is None:  # the default scenarios, without what this provider's sandbox cannot play
            playable = {k: w for k, w in DEFAULT_SCENARIOS.items() if sandbox.emulators[name].supports(k)}
            sim = replace(sim, mixes={**sim.mixes, name: Mix(playable, given.delay)})
        for scenario in sim.mix(name).scenarios or {}:
            if not sandbox.emulators[name].supports(scenario):
                raise ConfigurationError(f"the {name} sandbox cannot play {scenario!r}: "
                                         f"{sandbox.emulators[name].unsupported.get(scenario, 'unsupported')}",
                                         field=f"mixes.{name}")
    rng = random.Random(sim.seed)
    settings = {"routing": {"rules": [{"name": RULE, "split": dict(sim.split)}], "salt": f"simulate-{sim.seed}"}}
    out = Outcomes(users=sim.users)
    seen = 0
    engine = make_engine(database)
    if engine.dialect.name == "sqlite":  # simulated traffic needs no durability: no fsync per transaction
        event.listen(engine, "connect", _no_sync)
    with sandbox.client(settings, sleep=lambda s: None) as client, \
            Ledger(engine, client, key=key or generate_key(), clock=clock.now, policy=Policy()) as ledger:
        ledger.migrate()
        tags.ensure(ledger.engine)
        events: list[tuple[float, int, str, str, int]] = []
        seq = 0
        profile: dict[str, tuple[str, str]] = {}
        for i in range(sim.users):
            ref = f"sim-{sim.seed}-{i:06d}"
            profile[ref] = (_draw(rng, sim.countries), _draw(rng, sim.document_types))
            heapq.heappush(events, (sim.start + rng.uniform(0, sim.period), seq, "start", ref, 1))
            seq += 1
        pending: dict[str, tuple[LedgerSession, str]] = {}
        while events:
            when, _, kind, ref, attempt = heapq.heappop(events)
            clock.set(max(when, clock.now()))
            if kind == "start":
                country, doc = profile[ref]
                provider = client.explain_route(reference=ref, return_url="https://app.example/kyc/return").provider
                request = scenario_request(provider, "simulate", reference=ref).replace(
                    country=country, document_types=(DocumentType[doc],))
                session = tags.start(ledger, request)
                out.sessions += 1
                name = session.provider or provider
                scenario = _draw(rng, sim.mix(name).scenarios or {"approved": 1.0})
                played = out.played.setdefault(name, {})
                played[scenario] = played.get(scenario, 0) + 1
                pending[ref] = (session, scenario)
                delay = rng.expovariate(1 / sim.mix(name).delay) if sim.mix(name).delay > 0 else 0.0
                heapq.heappush(events, (clock.now() + delay, seq, "complete", ref, attempt))
                seq += 1
                continue
            session, scenario = pending.pop(ref)
            try:
                sandbox.complete(session.url or "", scenario)
            except EkycError:
                out.unplayable += 1
            fresh = sandbox.outbox[seen:]
            seen = len(sandbox.outbox)
            for delivery in fresh:
                ledger.receive(delivery.provider, webhook_body(delivery), dict(delivery.headers))
                out.deliveries += 1
            current = ledger.session(session.id)
            if current is not None and current.state in _RETRY_AFTER and attempt < sim.max_attempts \
                    and rng.random() < sim.retry:
                heapq.heappush(events, (clock.now() + rng.expovariate(1 / sim.retry_delay), seq, "start", ref,
                                        attempt + 1))
                seq += 1
        for _ in range(12):  # settle what no webhook decided: the reconciler's polls, on the frozen clock
            clock.advance(3600.0)
            if ledger.reconcile(limit=100_000).polled == 0:
                break
    engine.dispose()
    return out


def _no_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def providers() -> tuple[str, ...]:
    """The providers the sandbox emulates (from the registry)."""
    return tuple(n for n in registry.names() if registry.load(n).emulator is not None)
