"""Persona's sandbox environment, for the live contract run (:mod:`ekyc.sandbox.live`).

An API key of the organization's sandbox environment creates inquiries that verify no one
(docs.withpersona.com/environments, /integration-testing); ``perform-simulate-actions`` can move them along
(``client.extension("persona").simulate``), but what a simulated completion decides depends on the template's
setup, so the live run only checks the inquiry starts and reads pending. Persona's documented production key
form (``persona_production_…``, the API reference's example) is refused before anything is sent; the sandbox key
form is not in our sources, so it is not required.
"""

from __future__ import annotations

from collections.abc import Mapping

from ekyc.live import LiveMode


def _not_production(settings: Mapping[str, str]) -> str | None:
    if settings["api_key"].startswith("persona_production_"):
        return "EKYC_LIVE_PERSONA_API_KEY is a production key (persona_production_…)"
    return None


LIVE = LiveMode(
    provider="persona",
    test_mode="the sandbox environment: its API key creates inquiries that verify no one; "
              "perform-simulate-actions drives them",
    source="docs.withpersona.com/environments, docs.withpersona.com/integration-testing",
    settings=("api_key", "inquiry_template_id"),
    guard=_not_production,
    scenarios={"approved": ""},
)
