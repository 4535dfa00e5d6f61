"""What a provider's vendor offers for tests without real users: :class:`LiveMode`, declared in the provider's
own folder (``ekyc/providers/<name>/live.py``, a module-level ``LIVE``) and run by the live switch
(:mod:`ekyc.sandbox.live`, the contract suite's ``tests/conformance/test_live.py``). Plain data: the core only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: the prefix of every live variable: ``EKYC_LIVE_<PROVIDER>_<SETTING>``
PREFIX = "EKYC_LIVE_"

#: completes a test session as a catalog scenario through the vendor's test API: ``(client, session, scenario)``
Finish = Callable[[Any, Any, str], None]


def variable(provider: str, setting: str) -> str:
    """The environment variable that holds ``setting`` for a live run on ``provider``."""
    return f"{PREFIX}{provider.upper()}_{setting.upper()}"


@dataclass(frozen=True)
class LiveMode:
    """What ``provider``'s vendor offers for tests without real users (declared in the provider's folder).

    - ``test_mode``: the vendor's test mode in one sentence; empty when the vendor offers none (then
      ``unavailable`` says what exists instead, and there is no live run).
    - ``source``: where that is documented.
    - ``settings``: the provider settings a run needs, each read from :func:`variable`; ``optional`` likewise
      when set. ``fixed`` are settings every live run uses (e.g. Didit's ``environment="sandbox"``).
    - ``guard``: given the settings read, a problem (a production credential) or None; a run with a problem
      is refused, never sent.
    - ``scenarios``: neutral catalog name → the vendor's own scenario name, sent as ``provider_options[provider]
      [scenario_option]`` (an empty name: the scenario needs no trigger, e.g. a session nobody completes).
      ``EKYC_LIVE_<PROVIDER>_SCENARIOS`` (a JSON object of the same shape) adds to or overrides it — for a vendor
      whose names live in its own catalog (Didit: ``GET /v1/sandbox/scenarios/``).
    - ``finish``: an API of the vendor's test mode that completes a session as ``scenario`` (None: only a person
      in the hosted flow can, and the run checks the session stays ``PENDING``).
    """

    provider: str
    test_mode: str
    source: str
    settings: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    guard: Callable[[Mapping[str, str]], str | None] | None = None
    scenarios: Mapping[str, str] = field(default_factory=dict)
    scenario_option: str | None = None
    finish: Finish | None = None
    unavailable: str = ""

    @property
    def available(self) -> bool:
        """Whether the vendor offers a test mode a live run can use."""
        return bool(self.test_mode)

    def variables(self) -> list[str]:
        """Every variable a run reads (required first)."""
        names = [*self.settings, *self.optional, "endpoint", "scenarios"]
        return [variable(self.provider, n) for n in names]

    def describe(self) -> dict[str, str]:
        """One row of the live test-mode table (docs)."""
        mapped = ", ".join(f"`{k}`→`{v}`" if v else f"`{k}`" for k, v in sorted(self.scenarios.items()))
        return {
            "test mode": self.test_mode or f"none — {self.unavailable}",
            "source": self.source,
            "variables": ", ".join(f"`{variable(self.provider, n)}`" for n in self.settings) or "—",
            "scenarios run live": mapped or "—",
            "completes sessions": "yes (vendor test API)" if self.finish else "no (needs a person in the flow)",
        }



__all__ = ["PREFIX", "Finish", "LiveMode", "variable"]
