"""A read-only admin over the ledger: sessions (with their audit trail), deliveries and audit events.

It shows states, provider status codes, reason codes, times and the audit trail — never personal data: the
models do not even load the sealed columns (the session's ref, link and identity; a delivery's body), see
:mod:`.models`. Nothing can be added, changed or deleted here; two actions act through the ledger:

- **Re-fetch from the provider** (``Ledger.refresh``): the selected sessions' references are brought up to date
  now (one ``get_result`` each), forward only, audited as ``refresh@…``;
- **Run the reconciler once** (``Ledger.reconcile``): one pass over everything due, as ``manage.py
  ekyc_reconcile`` does.

Both send :data:`.signals.decision_received` (``source="admin"``) for each state they change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ...errors import EkycError
from .conf import get_ledger
from .dispatch import announce, cursor
from .models import AuditEvent, Delivery, Session


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.fields] if self.fields else []


class AuditInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AuditEvent
    fields = ("time", "actor", "action", "from_state", "to_state", "provider_status", "reasons", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(_ReadOnly):
    list_display = ("id", "reference", "provider", "state", "provider_status", "reasons", "created_time",
                    "decided_time", "purged_time")
    list_filter = ("state", "provider", "holds")
    search_fields = ("=reference",)
    fields = ("id", "reference", "provider", "state", "holds", "provider_status", "reasons", "created_time",
              "updated_time", "decided_time", "next_check_time", "checks", "purged_time")
    inlines = (AuditInline,)
    actions = ("refetch", "reconcile")

    @admin.action(description="Re-fetch the selected references' sessions from the provider")
    def refetch(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        ledger = get_ledger()
        after = cursor(ledger)
        done, failed = 0, 0
        for reference in dict.fromkeys(queryset.values_list("reference", flat=True)):
            try:
                ledger.refresh(reference)
                done += 1
            except EkycError as exc:  # the ledger audited it; the message names the kind only
                failed += 1
                self.message_user(request, f"re-fetch failed for one reference ({type(exc).__name__})",
                                  messages.WARNING)
        changed = announce(ledger, "admin", after=after, actors=("refresh",))
        self.message_user(request, f"re-fetched {done} reference(s), {failed} failed, {len(changed)} decided now")

    @admin.action(description="Run the reconciler once (everything due, not only the selection)")
    def reconcile(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        ledger = get_ledger()
        after = cursor(ledger)
        try:
            report = ledger.reconcile()
        except EkycError as exc:
            self.message_user(request, f"the reconciler failed ({type(exc).__name__})", messages.ERROR)
            return
        announce(ledger, "admin", after=after, actors=("reconcile", "repair"))
        self.message_user(request, "reconciled: " + ", ".join(f"{k}={v}" for k, v in report.summary().items()))


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ("id", "provider", "state", "event_type", "provider_status", "authenticated", "received_time",
                    "applied_time", "attempts", "problem")  # attempts: a rejected row counts a day's deliveries
    list_filter = ("state", "provider", "authenticated")
    fields = ("id", "provider", "state", "event_type", "provider_status", "authenticated", "problem",
              "received_time", "applied_time", "attempts")


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly):
    list_display = ("id", "time", "session", "actor", "action", "from_state", "to_state", "provider",
                    "provider_status", "reasons", "note")
    list_filter = ("action", "to_state", "provider")
    fields = ("id", "time", "session", "delivery_id", "actor", "action", "from_state", "to_state", "provider",
              "provider_status", "reasons", "note")
