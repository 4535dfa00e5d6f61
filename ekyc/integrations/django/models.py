"""The ledger's tables seen through Django's ORM: read-only, unmanaged models (``managed = False``).

This is a documented bridge, not a second schema: the ledger's own Alembic migrations
(``ekyc/ledger/migrations``, mirrored by :mod:`ekyc.ledger.schema`) stay the one source of truth, and the
app's migration only runs them (:func:`ekyc.integrations.django.conf.migrate_ledger`). The models map every
column of :mod:`ekyc.ledger.schema` except the sealed ones (:data:`SEALED`): the session's ref, link and
personal part and a delivery's body are never loaded by Django at all, so nothing built on these models (the
admin, a queryset in a template, ``dumpdata``) can show them. A test compares the models with the schema.

Every write goes through :class:`ekyc.ledger.Ledger` (``start``, ``receive``, ``refresh``, ``reconcile``,
``purge``); ``save()`` and ``delete()`` refuse. Times are UTC epoch seconds as the ledger stores them; the
``*_time`` helpers turn them into aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar, TypeVar

from django.db import models

from .conf import database_alias

#: the ledger columns these models leave out on purpose: sealed secrets and personal data
SEALED = {"ekyc_ledger_sessions": frozenset({"ref", "url", "personal"}),
          "ekyc_ledger_deliveries": frozenset({"body"}),
          "ekyc_ledger_audit": frozenset()}

M = TypeVar("M", bound=models.Model)


class LedgerManager(models.Manager[M]):
    """Reads from the database alias the ledger lives in (``EKYC["DATABASE"]``, default ``"default"``), so no
    database router is needed."""

    def get_queryset(self) -> models.QuerySet[M]:
        queryset: models.QuerySet[M] = super().get_queryset().using(database_alias())
        return queryset


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)


class ReadOnly(models.Model):
    """A row the ledger owns: Django never writes it."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the ledger's tables are written only by ekyc.ledger.Ledger")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the ledger's tables are written only by ekyc.ledger.Ledger (purge, not delete)")


class Session(ReadOnly):
    """One verification session (``ekyc_ledger_sessions``): the app's reference, state, provider, provider
    status code, reason codes and times; never its ref, link or personal data."""

    id = models.BigAutoField(primary_key=True)
    reference = models.CharField(max_length=256)
    holds = models.BooleanField(help_text="holds its reference's one active slot")
    state = models.CharField(max_length=16)
    claim = models.CharField(max_length=32, null=True)
    provider = models.CharField(max_length=32, null=True)
    session_key = models.CharField(max_length=64, null=True, unique=True,
                                   help_text="SHA-256 of the provider and session id (a lookup key)")
    provider_status = models.CharField(max_length=64, null=True)
    reasons = models.CharField(max_length=512, null=True)
    event_at = models.FloatField(null=True)
    created_at = models.FloatField()
    updated_at = models.FloatField()
    decided_at = models.FloatField(null=True)
    expires_at = models.FloatField(null=True)
    next_check_at = models.FloatField(null=True)
    checks = models.IntegerField(help_text="polls so far")
    lease_owner = models.CharField(max_length=64, null=True)
    lease_until = models.FloatField(null=True)
    purged_at = models.FloatField(null=True)

    objects: ClassVar[LedgerManager[Session]] = LedgerManager()

    class Meta:
        managed = False
        db_table = "ekyc_ledger_sessions"
        ordering = ("-id",)
        verbose_name = "verification session"

    def __str__(self) -> str:
        return f"session {self.id} ({self.provider or '-'}, {self.state})"

    @property
    def reason_codes(self) -> list[str]:
        return [r for r in (self.reasons or "").split(",") if r]

    def created_time(self) -> datetime | None:
        return _time(self.created_at)

    def updated_time(self) -> datetime | None:
        return _time(self.updated_at)

    def decided_time(self) -> datetime | None:
        return _time(self.decided_at)

    def next_check_time(self) -> datetime | None:
        return _time(self.next_check_at)

    def purged_time(self) -> datetime | None:
        return _time(self.purged_at)


class Delivery(ReadOnly):
    """One webhook/callback delivery in the ledger's inbox (``ekyc_ledger_deliveries``); never its body."""

    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=32)
    dedupe = models.CharField(max_length=300, null=True, help_text="digest of the event id or body")
    received_at = models.FloatField()
    state = models.CharField(max_length=16)
    problem = models.CharField(max_length=200, null=True)
    session_key = models.CharField(max_length=64, null=True)
    event_type = models.CharField(max_length=64, null=True)
    provider_status = models.CharField(max_length=64, null=True)
    authenticated = models.CharField(max_length=16, null=True)
    occurred_at = models.FloatField(null=True)
    applied_at = models.FloatField(null=True)
    attempts = models.IntegerField()
    lease_until = models.FloatField(null=True)

    objects: ClassVar[LedgerManager[Delivery]] = LedgerManager()

    class Meta:
        managed = False
        db_table = "ekyc_ledger_deliveries"
        ordering = ("-id",)
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"delivery {self.id} ({self.provider}, {self.state})"

    def received_time(self) -> datetime | None:
        return _time(self.received_at)

    def applied_time(self) -> datetime | None:
        return _time(self.applied_at)


class AuditEvent(ReadOnly):
    """One row of the append-only audit trail (``ekyc_ledger_audit``): who moved which session from which
    state to which, with the provider's status and reason codes; never personal data."""

    id = models.BigAutoField(primary_key=True)
    at = models.FloatField()
    session = models.ForeignKey(Session, models.DO_NOTHING, null=True, db_constraint=False,
                                related_name="audit")
    delivery_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=64)
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, null=True)
    to_state = models.CharField(max_length=16, null=True)
    provider = models.CharField(max_length=32, null=True)
    provider_status = models.CharField(max_length=64, null=True)
    reasons = models.CharField(max_length=512, null=True)
    note = models.CharField(max_length=200, null=True)

    objects: ClassVar[LedgerManager[AuditEvent]] = LedgerManager()

    class Meta:
        managed = False
        db_table = "ekyc_ledger_audit"
        ordering = ("id",)
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"audit {self.id}: {self.action} {self.from_state or ''}→{self.to_state or ''}"

    def time(self) -> datetime | None:
        return _time(self.at)
