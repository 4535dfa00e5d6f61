"""Structured events (calls, retries, routing, fallbacks, cooldowns, errors) through ``logging`` and hooks.

Events carry provider names, operations, statuses, codes, timings and request ids — never personal data
or secrets. Each is logged on the ``ekyc`` logger with the fields in ``record.ekyc`` and passed to every
hook as ``hook(name, fields)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("ekyc")
Hook = Callable[[str, dict[str, Any]], None]


class Events:
    """Emits events to the log and to hooks; a failing hook is logged, never raised."""

    def __init__(self, hooks: Iterable[Hook] = ()) -> None:
        self.hooks: list[Hook] = list(hooks)

    def wants(self, level: int = logging.DEBUG) -> bool:
        """Whether an event at ``level`` would go anywhere (so hot paths can skip building its fields)."""
        return bool(self.hooks) or log.isEnabledFor(level)

    def emit(self, name: str, level: int = logging.DEBUG, **fields: Any) -> None:
        """Log ``name`` with ``fields`` and call the hooks."""
        if log.isEnabledFor(level):
            text = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
            log.log(level, "%s %s", name, text, extra={"ekyc_event": name, "ekyc": fields})
        for hook in self.hooks:
            try:
                hook(name, fields)
            except Exception:  # a metrics hook must never break a verification
                log.exception("ekyc event hook failed for %s", name)
