"""The chaos harness: worker processes that run the ledger against a served sandbox, and die on purpose.

Each worker is a separate process (forked from a ``forkserver`` that imported this module) with its own
:class:`~ekyc.Client` (pointed at the served sandbox over HTTP) and its own :class:`~ekyc.ledger.Ledger` on the
shared database. A worker answers requests on its pipe one at a time (``start``, ``receive``); a reconciler process
loops ``reconcile()``. Any of them may SIGKILL itself right after one of the ledger's effects (a committed
transaction, a provider create or fetch), so deaths land between every pair of steps: between the claim and the
provider's create, between the create and recording it, between storing a delivery and applying it, in the middle
of a reconcile pass.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

import ekyc.providers.alibaba
import ekyc.providers.didit
import ekyc.providers.tencent  # noqa: F401 - imported once in the fork server, not in every worker
from ekyc import Client
from ekyc.ledger import Ledger, Policy

#: the chaos test's policy: short enough for a test of seconds (the production defaults are minutes to days)
#: (the first poll comes 4 s after the start, so that webhooks and polls race for the same sessions)
POLICY = Policy(schedule=(4.0, 1.0, 2.0), claim_timeout=3.0, lease=4.0, repair_after=1.0)


class _Crashing(Ledger):
    """A ledger whose process SIGKILLs itself after an effect, with probability ``p``."""

    crash_p = 0.0
    rng = random.Random()

    def _perform(self, effect: Any) -> Any:
        result = super()._perform(effect)
        if self.crash_p and self.rng.random() < self.crash_p:
            os.kill(os.getpid(), signal.SIGKILL)
        return result


def _ledger(database: str, config: dict[str, Any], key: str, crash_p: float, seed: int) -> _Crashing:
    client = Client.from_config(config)
    ledger = _Crashing(database, client, key=key, policy=POLICY)
    ledger.crash_p = crash_p
    ledger.rng = random.Random(seed)
    return ledger


def worker(conn: Connection, database: str, config: dict[str, Any], key: str, crash_p: float, seed: int) -> None:
    """Serve requests from ``conn`` until it closes."""
    ledger = _ledger(database, config, key, crash_p, seed)
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        kind = message[0]
        if kind == "start":
            _, reference, request, provider = message
            try:
                s = ledger.start(request=request, provider=provider)
                conn.send(("started", reference, s.id, s.url, s.reused))
            except Exception as exc:  # LedgerBusy, a provider error: the caller retries
                conn.send(("start-failed", reference, type(exc).__name__))
        elif kind == "receive":
            _, item, provider, body, headers = message
            try:
                receipt = ledger.receive(provider, body, headers)
                conn.send(("received", item, receipt.http_status, receipt.state))
            except Exception as exc:  # the app's endpoint answers 503: the vendor retries
                conn.send(("receive-failed", item, type(exc).__name__))
        elif kind == "stop":
            return


def reconciler(database: str, config: dict[str, Any], key: str, crash_p: float, seed: int) -> None:
    """Reconcile in a loop until killed."""
    ledger = _ledger(database, config, key, crash_p, seed)
    while True:
        with contextlib.suppress(Exception):
            ledger.reconcile(limit=20)
        time.sleep(0.05)
