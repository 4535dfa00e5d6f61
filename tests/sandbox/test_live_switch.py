"""The live switch (:mod:`ekyc.sandbox.live`) proven without a vendor: the served sandbox stands in for each
vendor's test mode, reached with fake credentials (the sandbox's own) through the ``EKYC_LIVE_*`` variables, and
the same ``plan`` / ``run_live`` the contract suite uses must pass; without the variables the run is skipped with
a message naming them; a production credential is refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc import registry
from ekyc.live import LiveMode, variable
from ekyc.sandbox import Sandbox
from ekyc.sandbox.live import live_markdown, live_mode, plan, run_live


def _mode(provider: str) -> LiveMode:
    mode = live_mode(provider)
    assert mode is not None, f"{provider} declares no live mode (ekyc/providers/{provider}/live.py)"
    return mode


def _fake_environment(served: Sandbox, provider: str) -> dict[str, str]:
    mode = _mode(provider)
    settings: dict[str, Any] = served.client_settings(provider)
    env = {variable(provider, n): str(settings[n]) for n in (*mode.settings, *mode.optional) if n in settings}
    env[variable(provider, "endpoint")] = served.base_url
    return env


@pytest.mark.parametrize("provider", registry.names(), indirect=True)
def test_every_provider_declares_what_its_vendor_offers(provider: str) -> None:
    mode = _mode(provider)
    assert mode.source
    if mode.available:
        assert mode.settings and mode.scenarios, f"{provider}: a test mode needs its variables and scenarios"
    else:
        assert mode.unavailable and not mode.settings


def test_without_variables_the_run_is_skipped_naming_them(provider: str) -> None:
    live = plan(provider, {})
    assert live.skip and provider in live.skip
    mode = _mode(provider)
    for name in mode.settings:
        assert variable(provider, name) in live.skip
    if not mode.available:
        assert "no test mode" in live.skip


def test_the_switch_runs_the_contract_against_the_served_sandbox(served: Sandbox, provider: str) -> None:
    mode = _mode(provider)
    if not mode.available:
        assert plan(provider, _fake_environment(served, provider)).skip
        return
    live = plan(provider, _fake_environment(served, provider))
    assert not live.skip, live.skip
    assert live.settings["endpoint"] == served.base_url
    with live.client() as client:
        for scenario in live.scenarios:
            run = run_live(client, live, scenario)
            assert not run.problems, f"{provider}/{scenario}: {run.problems}"
            assert run.session is not None and run.session.url and run.session.url.startswith(served.base_url)
            assert run.decision is not None and run.decision.outcome.value == "PENDING"
    assert served.emulators[provider].session_records(), "the run reached the served emulator"


def test_a_vendor_scenario_name_from_the_environment_is_sent(served: Sandbox, provider: str) -> None:
    mode = _mode(provider)
    if mode.scenario_option is None:
        pytest.skip(f"{provider}: its vendor has no scenario trigger on create")
    env = _fake_environment(served, provider) | {variable(provider, "scenarios"): '{"review": "review"}'}
    live = plan(provider, env)
    assert live.scenarios["review"] == "review"
    assert live.request_options("review") == {provider: {mode.scenario_option: "review"}}
    with live.client() as client:
        run = run_live(client, live, "review")
    assert not run.problems, run.problems  # accepted by the vendor (here the emulator), still pending
    bad = plan(provider, env | {variable(provider, "scenarios"): '{"review": "no-such-scenario"}'})
    with bad.client() as client:
        refused = run_live(client, bad, "review")
    assert refused.problems and "create refused" in refused.problems[0]
    assert plan(provider, env | {variable(provider, "scenarios"): "[1]"}).skip


@pytest.mark.parametrize(("provider", "setting", "value"), [
    ("stripe", "api_key", "sk_live_0000"),
    ("stripe", "api_key", "rk_live_0000"),
    ("onfido", "api_token", "api_live.0000"),
    ("persona", "api_key", "persona_production_0000"),
], indirect=["provider"])
def test_a_production_credential_is_refused_before_anything_is_sent(provider: str, setting: str,
                                                                    value: str) -> None:
    env = {variable(provider, n): "x" for n in _mode(provider).settings} | {variable(provider, setting): value}
    live = plan(provider, env)
    assert live.skip and "refused" in live.skip and value not in live.skip
    with pytest.raises(RuntimeError):
        live.client()


def test_the_live_table_renders_every_provider() -> None:
    table = live_markdown()
    for name in registry.names():
        assert registry.load(name).display_name in table


def _block(page: str) -> str:
    from ekyc.sandbox.live import LIVE_BEGIN, LIVE_END

    return page.split(LIVE_BEGIN, 1)[1].split(LIVE_END, 1)[0].lstrip("\n")


def test_the_docs_hold_the_generated_live_tables() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    assert _block((docs / "sandbox.md").read_text(encoding="utf-8")) == live_markdown(), \
        "docs/sandbox.md is stale: run `make docs`"
    for name in registry.names():
        page = docs / "providers" / f"{name}.md"
        assert _block(page.read_text(encoding="utf-8")) == live_markdown([name]), \
            f"docs/providers/{name}.md is stale: run `make docs`"
