"""The ledger's tables for Django: the models' state (unmanaged: Django creates nothing itself) and a step that
runs the ledger's own Alembic migrations on the ``EKYC["DATABASE"]`` alias (:func:`..conf.migrate_ledger`).

Later ledger revisions need no new Django migration: ``manage.py migrate`` upgrades the ledger on every run
(the app's ``post_migrate`` handler, see ``apps.py``). Not atomic: the ledger migrates on its own connection,
which must not wait for a transaction Django holds on the same SQLite file.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from ..conf import migrate_ledger


def forwards(apps: Any, schema_editor: Any) -> None:
    migrate_ledger(schema_editor.connection.alias)


class Migration(migrations.Migration):
    initial = True
    atomic = False
    dependencies = []

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        migrations.CreateModel(
            name="Session",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("reference", models.CharField(max_length=256)),
                ("holds", models.BooleanField(help_text="holds its reference's one active slot")),
                ("state", models.CharField(max_length=16)),
                ("claim", models.CharField(max_length=32, null=True)),
                ("provider", models.CharField(max_length=32, null=True)),
                ("session_key", models.CharField(help_text="SHA-256 of the provider and session id (a lookup key)",
                                                 max_length=64, null=True, unique=True)),
                ("provider_status", models.CharField(max_length=64, null=True)),
                ("reasons", models.CharField(max_length=512, null=True)),
                ("event_at", models.FloatField(null=True)),
                ("created_at", models.FloatField()),
                ("updated_at", models.FloatField()),
                ("decided_at", models.FloatField(null=True)),
                ("expires_at", models.FloatField(null=True)),
                ("next_check_at", models.FloatField(null=True)),
                ("checks", models.IntegerField(help_text="polls so far")),
                ("lease_owner", models.CharField(max_length=64, null=True)),
                ("lease_until", models.FloatField(null=True)),
                ("purged_at", models.FloatField(null=True)),
            ],
            options={"verbose_name": "verification session", "db_table": "ekyc_ledger_sessions",
                     "ordering": ("-id",), "managed": False},
        ),
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("provider", models.CharField(max_length=32)),
                ("dedupe", models.CharField(help_text="digest of the event id or body", max_length=300, null=True)),
                ("received_at", models.FloatField()),
                ("state", models.CharField(max_length=16)),
                ("problem", models.CharField(max_length=200, null=True)),
                ("session_key", models.CharField(max_length=64, null=True)),
                ("event_type", models.CharField(max_length=64, null=True)),
                ("provider_status", models.CharField(max_length=64, null=True)),
                ("authenticated", models.CharField(max_length=16, null=True)),
                ("occurred_at", models.FloatField(null=True)),
                ("applied_at", models.FloatField(null=True)),
                ("attempts", models.IntegerField()),
                ("lease_until", models.FloatField(null=True)),
            ],
            options={"verbose_name_plural": "deliveries", "db_table": "ekyc_ledger_deliveries",
                     "ordering": ("-id",), "managed": False},
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("at", models.FloatField()),
                ("delivery_id", models.BigIntegerField(null=True)),
                ("actor", models.CharField(max_length=64)),
                ("action", models.CharField(max_length=32)),
                ("from_state", models.CharField(max_length=16, null=True)),
                ("to_state", models.CharField(max_length=16, null=True)),
                ("provider", models.CharField(max_length=32, null=True)),
                ("provider_status", models.CharField(max_length=64, null=True)),
                ("reasons", models.CharField(max_length=512, null=True)),
                ("note", models.CharField(max_length=200, null=True)),
                ("session", models.ForeignKey(db_constraint=False, null=True,
                                              on_delete=models.deletion.DO_NOTHING, related_name="audit",
                                              to="ekyc.session")),
            ],
            options={"verbose_name": "audit event", "db_table": "ekyc_ledger_audit", "ordering": ("id",),
                     "managed": False},
        ),
    ]
