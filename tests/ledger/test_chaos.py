"""The ledger's acceptance: chaos on SQLite and on a real PostgreSQL.

Worker processes start every provider's sessions (each start sent twice, concurrently) and receive every
webhook the served sandbox emits — shuffled, duplicated and replayed — while two reconciler processes run;
workers and reconcilers SIGKILL themselves at random points (right after a committed transaction or a
provider call) and are SIGKILLed from outside, and are restarted. A delivery whose worker died before answering
is sent again (the vendor's retry), as is a start. At the end every session's state must equal the sandbox's
truth, with 0 duplicate sessions per reference, 0 downgraded outcomes and 0 lost deliveries. The counts are
printed (``-s``) and written to ``$LEDGER_CHAOS_REPORT`` when set (docs/ledger.md quotes them).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from sqlalchemy import select

from ekyc import Client
from ekyc.cli.serve import serve_in_thread
from ekyc.ledger import Ledger, states
from ekyc.ledger.schema import audit, deliveries, sessions
from ekyc.ledger.vault import body_digest, event_digest
from ekyc.sandbox import Delivery
from ekyc.sandbox.runner import scenario_request, webhook_body
from ekyc.sandbox.scenarios import SCENARIOS

from . import chaos
from .conftest import DEAD_URL, PROVIDERS

CHAOS_SCENARIOS = ("approved", "face_mismatch", "review", "liveness_spoof", "user_cancelled", "provider_error")
REFERENCES_PER_SCENARIO = 2
WORKERS, RECONCILERS = 4, 2
#: a process started while fewer than this many have died kills itself after an effect with CRASH_P
MAX_SELF_KILLS, CRASH_P = 10, 0.04
#: outside kills of a busy worker or a reconciler, at most this many
MAX_OUTSIDE_KILLS = 8
STATE_CHANGES = ("advance", "lapse", "expire")


class Pool:
    """Worker and reconciler processes, restarted when they die; requests dispatched one per worker."""

    def __init__(self, database: str, config: dict[str, Any], key: str, rng: random.Random) -> None:
        # forkserver: one clean process imports everything once, then each worker is a quick fork of it
        self.ctx = mp.get_context("forkserver")
        self.ctx.set_forkserver_preload(["tests.ledger.chaos"])
        self.args = (database, config, key)
        self.rng = rng
        self.deaths = self.outside_kills = self.spawned = 0
        self.workers: dict[int, tuple[Any, Connection]] = {}
        self.ready: set[int] = set()
        self.busy: dict[int, Any] = {}
        self.reconcilers: dict[int, Any] = {}
        for i in range(WORKERS):
            self._spawn_worker(i)
        for i in range(RECONCILERS):
            self._spawn_reconciler(i)

    def _crash_p(self) -> float:
        return CRASH_P if self.deaths < MAX_SELF_KILLS else 0.0

    def _spawn_worker(self, i: int) -> None:
        mine, theirs = self.ctx.Pipe()
        self.spawned += 1
        proc = self.ctx.Process(target=chaos.worker, args=(theirs, *self.args, self._crash_p(), self.rng.random()),
                                daemon=True)
        proc.start()
        theirs.close()
        self.workers[i] = (proc, mine)
        self.ready.discard(i)

    def _spawn_reconciler(self, i: int) -> None:
        self.spawned += 1
        proc = self.ctx.Process(target=chaos.reconciler, args=(*self.args, self._crash_p() / 4, self.rng.random()),
                                daemon=True)
        proc.start()
        self.reconcilers[i] = proc

    def run(self, items: list[Any], on_reply: Callable[[Any, tuple[Any, ...]], bool], *, kill: bool,
            feed: Callable[[], tuple[list[Any], bool]] | None = None) -> None:
        """Send every item to some worker; ``on_reply(item, reply)`` returns False to send the item again.
        An item whose worker died before answering is sent again. ``feed()`` gives more items, inserted at random
        places, and whether more may come."""
        queue = deque(items)
        shown = time.monotonic()
        more = feed is not None
        while queue or self.busy or more:
            if feed is not None and more:
                new, more = feed()
                for item in new:
                    queue.insert(self.rng.randrange(len(queue) + 1), item)
            if os.environ.get("LEDGER_CHAOS_DEBUG") and time.monotonic() - shown > 2:
                shown = time.monotonic()
                print("pool:", len(queue), sorted(self.ready), self.busy.keys(), self.deaths, self.spawned, flush=True)
            idle = [i for i in self.ready if i not in self.busy]
            self.rng.shuffle(idle)
            while queue and idle:
                i = idle.pop()
                item = queue.popleft()
                self.busy[i] = item
                with contextlib.suppress(BrokenPipeError, OSError):  # it died: its sentinel says so below
                    self.workers[i][1].send(item[1])
            if kill and self.outside_kills < MAX_OUTSIDE_KILLS and self.rng.random() < 0.03:
                self.outside_kills += 1
                if self.busy and self.rng.random() < 0.7:
                    _kill(self.workers[self.rng.choice(list(self.busy))][0].pid)
                else:
                    _kill(self.reconcilers[self.rng.randrange(RECONCILERS)].pid)
            conns = {self.workers[i][1]: i for i in self.workers}
            sentinels = {self.workers[i][0].sentinel: i for i in self.workers}
            rsentinels = {p.sentinel: i for i, p in self.reconcilers.items()}
            for ready in wait([*conns, *sentinels, *rsentinels], timeout=0.2):
                if ready in rsentinels:
                    self.deaths += 1
                    self._spawn_reconciler(rsentinels[ready])
                    continue
                i = conns[ready] if ready in conns else sentinels[ready]  # type: ignore[index]
                proc, conn = self.workers[i]
                if conn.closed:
                    continue  # already restarted in this round
                reply = None
                if ready is conn:
                    try:
                        reply = conn.recv()
                    except (EOFError, OSError):
                        reply = None
                if reply is None:
                    proc.join(0.5)
                    if proc.is_alive():
                        continue
                    self.deaths += 1
                    item = self.busy.pop(i, None)
                    if item is not None:
                        queue.insert(self.rng.randrange(len(queue) + 1), item)
                    conn.close()
                    self._spawn_worker(i)
                    continue
                if reply[0] == "ready":
                    self.ready.add(i)
                    continue
                item = self.busy.pop(i)
                if not on_reply(item, reply):
                    queue.append(item)

    def stop(self) -> None:
        for _proc, conn in self.workers.values():
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(("stop",))
        for proc in [*(p for p, _ in self.workers.values()), *self.reconcilers.values()]:
            if proc.is_alive():
                _kill(proc.pid)
            proc.join(5)


def _kill(pid: int | None) -> None:
    """SIGKILL ``pid`` unless it has already died (then its sentinel reports the death)."""
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _dedupe(client: Client, d: Delivery) -> tuple[str, str]:
    event = client.parse_webhook(webhook_body(d), dict(d.headers), d.provider)
    return d.provider, event_digest(event.event_id) if event.event_id else body_digest(webhook_body(d))


def test_chaos(database: str, key: str) -> None:
    rng = random.Random(int(os.environ.get("LEDGER_CHAOS_SEED", "19")))
    captured: list[Delivery] = []
    began = time.monotonic()
    with serve_in_thread(webhook_url=DEAD_URL, on_delivery=captured.append) as sandbox:
        sandbox.on_sent = lambda *args: None
        config = {"env": "production", "providers": sandbox.client_config()["providers"]}
        with Ledger(database, Client.from_config(config), key=key) as setup:
            setup.migrate()
        truth_scenario: dict[str, str] = {}
        starts = []
        for provider in PROVIDERS:
            for scenario in CHAOS_SCENARIOS:
                if not sandbox.emulators[provider].supports(scenario):
                    continue
                for n in range(REFERENCES_PER_SCENARIO):
                    reference = f"{provider}-{scenario}-{n}"
                    truth_scenario[reference] = scenario
                    request = scenario_request(provider, scenario, reference=reference)
                    starts += [(reference, ("start", reference, request, provider))] * 2
        rng.shuffle(starts)
        urls: dict[str, str] = {}
        start_retries = Counter()

        def started(item: Any, reply: tuple[Any, ...]) -> bool:
            if reply[0] != "started":
                start_retries[reply[2]] += 1
                return False
            if reply[3] is not None:
                urls.setdefault(reply[1], reply[3])
            return True

        pool = Pool(database, config, key, rng)
        try:
            pool.run(starts, started, kill=True)
            assert set(urls) == set(truth_scenario)
            # the link the app shows each user now: its slot's session (a start on a pending session whose link
            # works once and cannot be renewed, Alibaba's, superseded it with a new one)
            with Client.from_config(config) as client, Ledger(database, client, key=key) as reader:
                for reference in urls:
                    holder = reader.status(reference)
                    assert holder is not None and holder.url is not None
                    urls[reference] = holder.url
            # the users finish their flows one by one while the webhooks already flow and the reconcilers run
            finishing = list(urls.items())
            rng.shuffle(finishing)
            done = threading.Event()

            def users() -> None:
                for reference, url in finishing:
                    sandbox.complete(url, truth_scenario[reference])
                    time.sleep(rng.random() * 0.2)
                done.set()

            threading.Thread(target=users, daemon=True).start()
            sent: list[Delivery] = []
            items: list[Any] = []

            def feed() -> tuple[list[Any], bool]:
                finished = done.is_set()
                new = []
                for d in captured[len(sent):]:
                    n = len(sent)
                    sent.append(d)
                    new += [(n, ("receive", n, d.provider, webhook_body(d), dict(d.headers)))] * rng.randint(1, 3)
                if items and rng.random() < 0.1:  # a replay of an earlier delivery, much later
                    new.append(rng.choice(items))
                items.extend(new)
                return new, not (finished and len(sent) == len(captured))

            answers: Counter[str] = Counter()

            def received(item: Any, reply: tuple[Any, ...]) -> bool:
                if reply[0] != "received" or reply[2] != 200:
                    answers[f"retry:{reply[2]}"] += 1
                    return False  # the vendor retries what was not answered 200
                answers[reply[3]] += 1
                return True

            pool.run([], received, kill=True, feed=feed)
        finally:
            pool.stop()
        # the end of the run: one more reconciler pass (as the next cron run would), clock moved past every backoff
        offsets = iter(range(10, 200, 10))
        with Client.from_config(config) as client, \
                Ledger(database, client, key=key, policy=chaos.POLICY,
                       clock=lambda: time.time() + next(offsets, 200)) as ledger:
            before_final = _states(ledger)
            for _ in range(3):
                ledger.reconcile(limit=1000)
            after = _states(ledger)
            truth = {}
            gone = {r.session_id for r in _rows(ledger, audit) if r.action == "superseded"}
            for row in _rows(ledger, sessions):
                if row.state != states.FAILED and row.id not in gone:
                    ref = ledger.session(row.id).ref  # type: ignore[union-attr]
                    truth[row.reference] = client.get_result(ref).outcome.value  # type: ignore[arg-type]
            expected_dedupe = {_dedupe(client, d) for d in sent}
            stored = {(r.provider, r.dedupe): r.state for r in _rows(ledger, deliveries)}
            trail = _rows(ledger, audit)
            changes = [r for r in trail if r.action in STATE_CHANGES]
    after = [r for r in after if r.id not in gone]  # superseded sessions are no longer the reference's
    before_final = [r for r in before_final if r.id not in gone]
    live = Counter(r.reference for r in _rows_of(after) if r.state != states.FAILED)
    downgrades = [r for r in changes if states.is_downgrade(r.from_state, r.to_state, r.action)]
    wrong = {ref: (after_state, truth.get(ref), SCENARIOS[s].outcome.value)
             for ref, s in truth_scenario.items()
             for after_state in [_state_of(after, ref)]
             if not after_state == truth.get(ref) == SCENARIOS[s].outcome.value}
    report = {
        "database": "postgresql" if "://" in database else "sqlite",
        "references": len(truth_scenario), "providers": list(PROVIDERS),
        "start_requests": len(starts), "start_retries": dict(start_retries),
        "deliveries_emitted": len(sent), "deliveries_sent_with_duplicates_and_replays": len(items),
        "answers": dict(answers), "processes_started": pool.spawned, "deaths": pool.deaths,
        "outside_kills": pool.outside_kills,
        "correct_before_final_reconcile": sum(_state_of(before_final, r) == SCENARIOS[s].outcome.value
                                              for r, s in truth_scenario.items()),
        "correct_at_end": len(truth_scenario) - len(wrong),
        "duplicate_sessions_per_reference": sum(n - 1 for n in live.values() if n > 1),
        "failed_claims": sum(r.state == states.FAILED for r in _rows_of(after)),
        "provider_sessions_orphaned_by_kills": sum(len(v) - 1 for v in sandbox.duplicate_sessions().values()),
        "state_changes": len(changes),
        "changes_by_repair_or_reconciler": sum(r.actor.startswith(("repair@", "reconcile@")) for r in changes),
        "ignored_stale_or_lower_events": sum(r.action == "ignore" for r in trail),
        "downgrades": len(downgrades),
        "lost_deliveries": len(expected_dedupe - set(stored)),
        "deliveries_not_applied": sum(1 for k in expected_dedupe if stored.get(k) != "applied"),
        "seconds": round(time.monotonic() - began, 1),
    }
    print("\nchaos:", json.dumps(report))
    if os.environ.get("LEDGER_CHAOS_REPORT"):
        with open(os.environ["LEDGER_CHAOS_REPORT"], "a") as out:
            out.write(json.dumps(report) + "\n")
    assert wrong == {}
    assert report["duplicate_sessions_per_reference"] == 0 and set(live) == set(truth_scenario)
    assert report["downgrades"] == 0
    assert report["lost_deliveries"] == 0 and report["deliveries_not_applied"] == 0
    assert report["deaths"] > 0  # the chaos happened


def _rows(ledger: Ledger, table: Any) -> list[Any]:
    with ledger.engine.begin() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


def _states(ledger: Ledger) -> list[Any]:
    return _rows(ledger, sessions)


def _rows_of(rows: list[Any]) -> list[Any]:
    return rows


def _state_of(rows: list[Any], reference: str) -> str | None:
    live = [r.state for r in rows if r.reference == reference and r.state != states.FAILED]
    return live[0] if len(live) == 1 else None
