"""The app's configuration: label ``ekyc``; on every ``manage.py migrate`` the ledger's tables are brought to the
newest revision its package ships (idempotent), and the settings are checked (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from . import checks
from .conf import migrate_ledger


def _upgrade_ledger(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    migrate_ledger(using)


class EkycConfig(AppConfig):
    name = "ekyc.integrations.django"
    label = "ekyc"
    verbose_name = "Identity verification (ekyc)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register()
        post_migrate.connect(_upgrade_ledger, sender=self, dispatch_uid="ekyc.integrations.django.upgrade")
