"""``manage.py ekyc_purge --older-than DAYS``: retention of the ledger's personal data."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .....errors import EkycError
from ...conf import get_ledger


class Command(BaseCommand):
    help = ("Remove the personal data, links and refs of sessions decided more than DAYS days ago, and older "
            "webhook bodies (the provider's own delete or redact is called first where it has one); states, "
            "reason codes and the audit trail stay. Exits 5 when a provider's delete failed for now (the next run "
            "retries those sessions).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=float, required=True, metavar="DAYS")
        parser.add_argument("--limit", type=int, default=1000, help="purge at most N sessions per run")
        parser.add_argument("--no-provider-delete", action="store_true",
                            help="do not call the provider's own delete operation")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        days: float = options["older_than"]
        if not 0 <= days < float("inf"):
            raise CommandError("--older-than must be a non-negative number of days")
        try:
            report = get_ledger().purge(timedelta(days=days), limit=options["limit"],
                                        provider_delete=not options["no_provider_delete"]).summary()
        except EkycError as exc:
            raise CommandError(str(exc)) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in report.items()))
        if report["provider_delete_failed"]:
            raise SystemExit(5)
