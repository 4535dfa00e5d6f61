"""The sandbox as a product: served on loopback, default when nothing is configured, never in production."""

from __future__ import annotations

import logging

import httpx
import pytest
from typer.testing import CliRunner

from ekyc import Client, ConfigurationError, Outcome
from ekyc.cli.app import app
from ekyc.cli.serve import banner, is_loopback, serve_in_thread
from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import run_scenario, scenario_request

runner = CliRunner()


def test_from_env_with_nothing_configured_uses_the_sandbox_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    import ekyc.client as client_module

    client_module._sandbox_announced = False
    caplog.set_level(logging.WARNING, logger="ekyc")
    with Client.from_env({}) as first, Client.from_env({}):
        assert first.sandbox is not None and set(first.providers) >= {"didit", "tencent", "alibaba"}
    assert caplog.text.count("in-process sandbox") == 1


def test_production_refuses_the_sandbox() -> None:
    with pytest.raises(ConfigurationError) as info:
        Client.from_env({"EKYC_ENV": "production"})
    assert "sandbox" in str(info.value)


def test_served_sandbox_runs_every_provider_over_loopback() -> None:
    with serve_in_thread() as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        with Client.from_config(sandbox.client_config()) as client:  # real HTTP, explicit settings
            assert client.sandbox is None
            for provider in sandbox.providers:
                run = run_scenario(client, sandbox, provider, "approved")
                assert run.matched, (provider, run.problems)
        page = httpx.get(sandbox.base_url + "/")
        assert page.status_code == 200 and "ekyc sandbox" in page.text


def test_return_page_shows_the_normalized_decision() -> None:
    with serve_in_thread() as sandbox, Client(sandbox=sandbox) as client:
        for provider in sandbox.providers:
            req = scenario_request(provider, "face_mismatch").model_copy(update={"return_url": sandbox.return_url})
            session = client.create_session(req, provider=provider)
            redirect = sandbox.complete(session, "face_mismatch")
            assert redirect.startswith(sandbox.return_url)
            shown = httpx.get(redirect, headers={"accept": "application/json"}).json()
            assert shown["provider"] == provider and shown["outcome"] == Outcome.DECLINED.value
            assert shown["reasons"] == ["FACE_MISMATCH"]


def test_banner_names_urls_credentials_and_settings() -> None:
    sandbox = Sandbox(base_url="http://127.0.0.1:9999")
    text = banner(sandbox)
    assert "http://127.0.0.1:9999" in text
    for provider in sandbox.providers:
        assert f"[providers.{provider}]" in text and f"EKYC_{provider.upper()}_ENDPOINT" in text


def test_serve_refuses_a_public_host_unless_asked() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    result = runner.invoke(app, ["sandbox", "serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_demo_command_exits_zero_and_prints_every_provider() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for name in ("didit", "tencent", "alibaba"):
        assert name in result.output
    assert "matched their scenario" in result.output


def test_compare_markdown_lists_every_scenario_and_unsupported_pairs(tmp_path: object) -> None:
    result = runner.invoke(app, ["compare", "--format", "md"])
    assert result.exit_code == 0, result.output
    for scenario in SCENARIOS:
        assert f"`{scenario}`" in result.output
    assert "## Unsupported pairs" in result.output and "## Capabilities" in result.output


def test_compare_json_and_capabilities_and_check_config() -> None:
    import json

    result = runner.invoke(app, ["compare", "--format", "json"])
    data = json.loads(result.output)
    assert data["ok"] is True and data["latency_ms"]
    caps = runner.invoke(app, ["capabilities"], env={"COLUMNS": "300"})
    assert caps.exit_code == 0 and "check combinations" in caps.output
    bad = runner.invoke(app, ["check-config"], env={"EKYC_TIMEOUT": "never"})
    assert bad.exit_code == 1 and "timeout" in bad.output


def test_cli_create_and_result_against_the_sandbox() -> None:
    import json

    created = runner.invoke(app, ["create", "--reference", "cli-user", "--provider", "tencent"],
                            env={"EKYC_ENV": "sandbox"})
    assert created.exit_code == 0, created.output
    ref = json.loads(created.output)["ref"]
    assert ref.startswith("tencent:")
