"""``manage.py check`` for the app's settings: errors name the setting, never its value."""

from __future__ import annotations

import os
from typing import Any

from django.core import checks

from ...errors import ConfigurationError
from ...ledger import KEY_ENV
from .conf import ledger_url, option, options


def settings_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    try:
        options()
        ledger_url()
    except ConfigurationError as exc:
        return [checks.Error(str(exc), hint="see docs/integrations.md#django", id="ekyc.E001")]
    if option("LEDGER_KEY") is None and not os.environ.get(KEY_ENV):
        problems.append(checks.Warning(
            f'no ledger key (EKYC["LEDGER_KEY"] or {KEY_ENV}): nothing personal is kept, and session refs are '
            "stored readable (a Tencent ref is a bearer token)", hint="ekyc.ledger.generate_key() makes one",
            id="ekyc.W001"))
    return problems


def register() -> None:
    checks.register(settings_check, "ekyc")
