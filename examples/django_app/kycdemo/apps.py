"""The example app: records each decision_received it gets, to show it on the home page."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig

#: reference → (state, source) of the last decision_received (a real app updates its user model instead)
DECISIONS: dict[str, tuple[str, str]] = {}


def on_decision(sender: Any, reference: str, session: Any, source: str, **kwargs: Any) -> None:
    DECISIONS[reference] = (session.state, source)


class KycDemoConfig(AppConfig):
    name = "kycdemo"

    def ready(self) -> None:
        from ekyc.integrations.django.signals import decision_received

        decision_received.connect(on_decision, dispatch_uid="kycdemo.on_decision")
