"""``manage.py ekyc_reconcile``: one reconciler pass (cron, a systemd timer, a sidecar with ``--loop 60``)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .....errors import EkycError
from ...conf import get_ledger
from ...dispatch import announce, cursor


class Command(BaseCommand):
    help = ("One pass of the ledger's reconciler: apply stored deliveries never applied, recover stale claims, "
            "poll the sessions that are due (with backoff) and expire those past their deadline; sends "
            "decision_received for each change. Safe from several machines at once. Exits 5 when a provider "
            "could not be reached for some session (the next pass retries).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="poll at most N sessions per pass")
        parser.add_argument("--loop", type=float, default=None, metavar="SECONDS",
                            help="run a pass every SECONDS until interrupted")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        loop: float | None = options["loop"]
        if loop is not None and not loop > 0:
            raise CommandError("--loop must be a positive number of seconds")
        try:
            ledger = get_ledger()
            while True:
                after = cursor(ledger)
                report = ledger.reconcile(limit=options["limit"]).summary()
                announce(ledger, "reconcile", after=after, actors=("reconcile", "repair"))
                if options["format"] == "json":
                    self.stdout.write(json.dumps(report, sort_keys=True))
                else:
                    self.stdout.write(" ".join(f"{k}={v}" for k, v in report.items()))
                if loop is None:
                    break
                time.sleep(loop)
        except EkycError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:  # --loop stopped with Ctrl-C: the pass in flight was committed or not at all
            return
        if report["failed"]:
            raise SystemExit(5)
