"""The live switch: the same contract runs against a vendor's own test mode when its credentials are present.

Each provider declares, in its own folder (``ekyc/providers/<name>/live.py``, a module-level ``LIVE``, a
:class:`ekyc.live.LiveMode`), what its
vendor offers for testing without real users — a :class:`LiveMode`: the test mode in one line and where that
is documented, the environment variables a run needs (``EKYC_LIVE_<PROVIDER>_<SETTING>``), a guard that keeps a
production credential out, and how the neutral catalog maps onto the vendor's own scenarios. The contract
suite (``tests/conformance/test_live.py``) reads only these declarations: one mechanism, no per-provider code.

A live run cannot act as the user (the vendors' hosted flows need a camera and a person), so it checks what a
test mode lets a program check: the neutral request is accepted (with the vendor's scenario trigger, e.g. Didit's
``sandbox_scenario``, which the vendor validates), the session comes back well formed and bound to its
reference, and a session nobody completed reads as ``PENDING`` — never approved. A provider whose vendor offers
an API that finishes a test session (``LiveMode.finish``) also gets the scenario's full expectation compared.

Without the variables the run is skipped with a message naming the missing ones. ``EKYC_LIVE_<PROVIDER>_ENDPOINT``
(optional) points the run at another base URL — a proxy, or the served sandbox (``ekyc serve``), which is how the
switch itself is tested here, with the sandbox's fake credentials.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import registry
from ..client import Client
from ..errors import EkycError
from ..live import LiveMode, variable
from ..models import Decision, Outcome, Session
from .runner import mismatches, scenario_request
from .scenarios import SCENARIOS


def live_mode(provider: str) -> LiveMode | None:
    """The :class:`LiveMode` ``provider`` declares (``<its package>.live.LIVE``), None when it declares none."""
    module = registry.load(provider).__module__.rpartition(".")[0] + ".live"
    try:
        declared = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    mode = getattr(declared, "LIVE", None)
    if not isinstance(mode, LiveMode) or mode.provider != provider:
        raise TypeError(f"{module}.LIVE must be a LiveMode for {provider!r}")
    return mode


@dataclass(frozen=True)
class LivePlan:
    """What a live run on one provider would use, read from the environment: ``skip`` says why there is none."""

    provider: str
    mode: LiveMode | None
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    scenarios: Mapping[str, str] = field(default_factory=dict)
    skip: str = ""

    def client(self, **options: Any) -> Client:
        """A client with only this provider, configured from the live variables (never the usual ``EKYC_*`` or
        vendor variables: a live run cannot pick up production settings by accident; ``env="production"``: no
        fallback to the in-process sandbox either)."""
        if self.skip:
            raise RuntimeError(self.skip)
        return Client({"env": "production", "provider": self.provider,
                       "providers": {self.provider: dict(self.settings)}}, **options)

    def request_options(self, scenario: str) -> dict[str, Any]:
        """``provider_options`` that trigger ``scenario`` at the vendor (empty when it needs no trigger)."""
        name = self.scenarios.get(scenario, "")
        if not name or self.mode is None or self.mode.scenario_option is None:
            return {}
        return {self.provider: {self.mode.scenario_option: name}}


def plan(provider: str, environ: Mapping[str, str] | None = None) -> LivePlan:
    """The live plan for ``provider`` from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    mode = live_mode(provider)
    if mode is None:
        return LivePlan(provider, None, skip=f"{provider}: declares no live test mode (no live.py)")
    if not mode.available:
        return LivePlan(provider, mode, skip=f"{provider}: the vendor offers no test mode — {mode.unavailable}")
    missing = [variable(provider, n) for n in mode.settings if not env.get(variable(provider, n))]
    if missing:
        return LivePlan(provider, mode, skip=f"{provider}: live run skipped; set {', '.join(missing)} "
                                             f"(credentials of the vendor's test mode: {mode.test_mode})")
    raw = {n: env[variable(provider, n)] for n in (*mode.settings, *mode.optional) if env.get(variable(provider, n))}
    problem = mode.guard(raw) if mode.guard else None
    if problem:
        return LivePlan(provider, mode, skip=f"{provider}: live run refused — {problem}")
    settings: dict[str, Any] = {**raw, **mode.fixed}
    endpoint = env.get(variable(provider, "endpoint"))
    if endpoint:
        settings["endpoint"] = endpoint
    scenarios = dict(mode.scenarios)
    extra = env.get(variable(provider, "scenarios"))
    if extra:
        try:
            loaded = json.loads(extra)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict) or not all(isinstance(k, str) and k in SCENARIOS and isinstance(v, str)
                                                   for k, v in loaded.items()):
            return LivePlan(provider, mode, skip=f"{provider}: {variable(provider, 'scenarios')} must be a JSON "
                                                 "object of catalog scenario → the vendor's scenario name")
        scenarios.update(loaded)
    return LivePlan(provider, mode, settings, scenarios)


@dataclass
class LiveRun:
    """One live run: what came back and how it differs from the contract."""

    provider: str
    scenario: str
    session: Session | None = None
    decision: Decision | None = None
    problems: list[str] = field(default_factory=list)


def run_live(client: Client, live: LivePlan, scenario: str) -> LiveRun:
    """Run ``scenario`` on the vendor's test mode through ``client`` (:meth:`LivePlan.client`)."""
    if live.mode is None or live.skip or scenario not in live.scenarios:
        raise ValueError(f"{live.provider} has no live run for {scenario!r}")
    run = LiveRun(live.provider, scenario)
    reference = f"ekyc-live-{scenario}-{uuid.uuid4().hex[:12]}"
    request = scenario_request(live.provider, scenario, reference=reference).model_copy(
        update={"provider_options": live.request_options(scenario)})
    try:
        session = run.session = client.create_session(request, provider=live.provider)
    except EkycError as exc:
        run.problems.append(f"create refused: {type(exc).__name__} ({exc.provider_code or exc.http_status})")
        return run
    if session.ref.provider != live.provider or not session.ref.id:
        run.problems.append("the session ref names another provider or no id")
    if session.ref.reference != reference:
        run.problems.append("the session ref is not bound to the request's reference")
    if not (session.url or "").startswith(("https://", "http://")):
        run.problems.append("the session has no http(s) URL")
    if live.mode.finish is not None:
        live.mode.finish(client, session, scenario)
    try:
        decision = run.decision = client.get_result(session.ref)
    except EkycError as exc:
        run.problems.append(f"get_result failed: {type(exc).__name__} ({exc.provider_code or exc.http_status})")
        return run
    if live.mode.finish is not None:
        run.problems += mismatches(SCENARIOS[scenario], decision)
    elif decision.outcome is not Outcome.PENDING or decision.approved:
        run.problems.append(f"a session nobody completed reads {decision.outcome.value}, not PENDING")
    return run


#: the markers of the generated live-mode table (``docs/sandbox.md`` and each provider page)
LIVE_BEGIN = "<!-- live:begin (generated by python -m ekyc.docs from each provider's live.py; do not edit by hand) -->"
LIVE_END = "<!-- live:end -->"


def live_markdown(names: list[str] | None = None) -> str:
    """The table of the providers' test modes (every registered one by default), from their own declarations."""
    head = ["provider", "test mode", "source", "variables", "scenarios run live", "completes sessions"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in registry.names() if names is None else names:
        mode = live_mode(name)
        if mode is None:
            lines.append(f"| {registry.load(name).display_name} | not declared | — | — | — | — |")
            continue
        row = mode.describe()
        cells = [registry.load(name).display_name, *(row[h] for h in head[1:])]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["LIVE_BEGIN", "LIVE_END", "LivePlan", "LiveRun", "live_markdown", "live_mode", "plan",
           "run_live", "variable"]
