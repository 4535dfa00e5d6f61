"""Persona test helpers: adapters with test settings (the sandbox, client and served fixtures are the shared
ones in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from ekyc.providers.persona import PersonaProvider, PersonaSettings

TEMPLATE = "itmpl_TestTemplate1"


def make_provider(clock: float | None = None, **overrides: Any) -> PersonaProvider:
    """A Persona adapter with test settings (and a fixed clock when given)."""
    values: dict[str, Any] = {"api_key": "test-key", "inquiry_template_id": TEMPLATE, "webhook_secret": "wbhsec_t",
                              "endpoint": "https://persona.test"}
    values.update(overrides)
    if clock is None:
        return PersonaProvider(PersonaSettings(**values))
    return PersonaProvider(PersonaSettings(**values), clock=lambda: clock)
