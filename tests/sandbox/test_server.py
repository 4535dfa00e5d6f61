"""The sandbox as a product: served on loopback, default when nothing is configured, never in production."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ekyc import Client, ConfigurationError, EkycError, Outcome
from ekyc.cli.app import app
from ekyc.cli.serve import banner, serve_in_thread
from ekyc.provider import is_loopback
from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import run_scenario, scenario_request
from ekyc.sandbox.server import SandboxError
from ekyc.testing import providers
from tests.support.clients import quick_client

runner = CliRunner()


def test_from_env_with_nothing_configured_uses_the_sandbox_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    import ekyc.client as client_module

    client_module._sandbox_announced = False
    caplog.set_level(logging.WARNING, logger="ekyc")
    with Client.from_env({}) as first, Client.from_env({}):
        assert first.sandbox is not None and set(first.providers) >= {"didit", "tencent", "alibaba"}
    assert caplog.text.count("in-process sandbox") == 1


def test_env_sandbox_with_a_named_provider_does_not_say_none_is_configured(caplog: pytest.LogCaptureFixture) -> None:
    import ekyc.client as client_module

    client_module._sandbox_announced = False
    caplog.set_level(logging.WARNING, logger="ekyc")
    with Client.from_env({"EKYC_ENV": "sandbox", "EKYC_PROVIDER": "tencent"}) as kyc:
        assert kyc.sandbox is not None
        assert kyc.create_session(reference="u1", return_url="https://app.test/back").ref.provider == "tencent"
    assert "EKYC_ENV=sandbox" in caplog.text and "no provider configured" not in caplog.text


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
    with serve_in_thread() as sandbox, sandbox.client() as client:
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
    assert "plain http only to loopback" not in text
    remote = banner(Sandbox(base_url="http://192.0.2.7:9999"))  # served with --allow-remote
    assert "plain http only to loopback" in remote  # the exports printed would be refused: say why


def test_the_banner_gives_each_sdk_the_key_it_gives_ekyc() -> None:
    # newcomer papercut: the Stripe SDK hint showed the secret sk_ key while the exports gave ekyc the restricted
    # rk_ key; Stripe serves sensitive results to restricted keys only, so both are the rk_ key
    from ekyc.providers.stripe.emulator import SANDBOX_RESTRICTED_KEY, SANDBOX_SECRET_KEY

    sandbox = Sandbox(base_url="http://127.0.0.1:9999")
    text = banner(sandbox)
    assert f"export EKYC_STRIPE_API_KEY={SANDBOX_RESTRICTED_KEY}" in text
    assert f"stripe.api_key: {SANDBOX_RESTRICTED_KEY}" in text and SANDBOX_SECRET_KEY not in text
    page = (Path(__file__).resolve().parents[2] / "docs" / "providers" / "stripe.md").read_text(encoding="utf-8")
    assert f'stripe.api_key = "{SANDBOX_RESTRICTED_KEY}"' in page and SANDBOX_SECRET_KEY not in page


def test_serve_refuses_a_public_host_unless_asked() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    result = runner.invoke(app, ["sandbox", "serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_demo_command_exits_zero_and_prints_every_provider() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for name in providers():
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

    created = runner.invoke(app, ["create", "--reference", "cli-user", "--provider", "tencent", "--format", "json"],
                            env={"EKYC_ENV": "sandbox"})
    assert created.exit_code == 0, created.output
    ref = json.loads(created.stdout)["ref"]
    assert ref.startswith("tencent:")


# -- the fault switch over HTTP, app webhooks, and the sandbox's session records ----------------------------


def test_the_fault_switch_is_reachable_over_http() -> None:
    with serve_in_thread() as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        set_ = http.post("/_ekyc/faults", json={"provider": "didit", "kind": "503", "times": 2})
        assert set_.status_code == 200 and set_.json()["faults"] == {"didit": {"kind": "503", "remaining": 2}}
        assert http.get("/_ekyc/faults").json()["faults"]["didit"]["kind"] == "503"
        with Client({**sandbox.client_config(), "retry": {"max_attempts": 1}}) as client:
            for _ in range(2):
                with pytest.raises(EkycError) as info:
                    client.create_session(scenario_request("didit", "approved"), provider="didit")
                assert info.value.http_status == 503
            assert client.create_session(scenario_request("didit", "approved"), provider="didit").ref
        form = http.post("/_ekyc/faults", data={"provider": "*", "kind": "429"})
        assert set(form.json()["faults"]) == set(sandbox.providers)
        assert http.delete("/_ekyc/faults", params={"provider": "didit"}).json()["faults"].get("didit") is None
        assert http.delete("/_ekyc/faults").json()["faults"] == {}
        for bad in ({"provider": "nope", "kind": "503"}, {"provider": "didit", "kind": "meteor"},
                    {"provider": "didit", "kind": "503", "times": 0},
                    {"provider": "didit", "kind": "503", "times": "x"}, ["didit"]):
            answer = http.post("/_ekyc/faults", json=bad)
            assert answer.status_code == 400 and answer.json()["error"]
        assert http.post("/_ekyc/faults", content=b"\xff{").status_code == 400


@pytest.mark.parametrize("provider", providers())
def test_a_processed_then_failed_create_is_recorded_once_and_never_repeated(provider: str) -> None:
    """``processed-502``: the emulator starts the session, the client sees a 502. The sandbox's records show
    the session; the client must not create a second one for the same reference (a provider that de-duplicates
    creates may retry and get the same session back)."""
    sandbox = Sandbox([provider])
    sandbox.set_fault(provider, "processed-502", times=1)
    with quick_client(sandbox) as client:
        try:
            session = client.create_session(scenario_request(provider, "approved", reference="once"),
                                            provider=provider)
        except EkycError as exc:
            assert exc.http_status == 502
        else:
            assert client.adapter(provider).capabilities.create_retry.value == "idempotent"
            assert session.ref.id == sandbox.sessions(provider)[0].session_id
    records = sandbox.sessions(provider)
    # one session; none where a create takes several calls and the first (the one that failed) starts none
    assert len(records) == (1 if client.adapter(provider).capabilities.create_calls == 1 else 0)
    assert all(r.provider == provider and r.reference is not None for r in records)
    assert sandbox.duplicate_sessions() == {}


def test_duplicate_sessions_lists_a_reference_started_twice() -> None:
    sandbox = Sandbox()
    with quick_client(sandbox) as client:
        for provider in sandbox.providers:
            for _ in range(2):
                session = client.create_session(scenario_request(provider, "approved", reference="twice"),
                                                provider=provider)
                sandbox.complete(session, "approved")  # finished: a de-duplicating provider starts a new one
    dupes = sandbox.duplicate_sessions()
    assert {p for p, _ in dupes} == set(sandbox.providers)
    assert all(len(ids) == 2 for ids in dupes.values())


class _Receiver:
    """A tiny app endpoint on loopback that records what it receives."""

    def __init__(self) -> None:
        import http.server
        import threading

        received = self.received = []  # type: list[tuple[str, str, dict[str, str], bytes]]

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                received.append((self.command, self.path, dict(self.headers.items()), self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kyc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_of_every_provider_reach_the_app_url() -> None:
    import time

    receiver = _Receiver()
    try:
        sandbox = Sandbox(webhook_url=receiver.url)
        with quick_client(sandbox) as client:
            for provider in sandbox.providers:
                session = client.create_session(scenario_request(provider, "approved"), provider=provider)
                sandbox.complete(session, "approved")
        deadline = time.monotonic() + 10
        while {d.provider for d in sandbox.outbox} - {p for p in _senders(receiver)} and time.monotonic() < deadline:
            time.sleep(0.02)
        for delivery in sandbox.outbox:
            assert delivery.url.startswith(receiver.url), delivery.url
        with quick_client(sandbox) as client:
            verified = set()
            for method, path, headers, body in list(receiver.received):
                for provider in sandbox.providers:
                    raw = (receiver.url.rsplit("/hooks/kyc", 1)[0] + path).encode() if method == "GET" else body
                    try:
                        event = client.parse_webhook(raw, headers, provider)
                    except EkycError:
                        continue
                    verified.add(provider)
                    assert event.ref is not None
        assert verified == set(sandbox.providers)
        sandbox.set_webhook_url(None)
        assert all(sandbox.webhook_url(p) is None for p in sandbox.providers)
        with pytest.raises(SandboxError):
            sandbox.set_webhook_url("ftp://example.org/x")
    finally:
        receiver.close()


def _senders(receiver: _Receiver) -> set[str]:
    names = set()
    for method, _, headers, _ in list(receiver.received):
        lower = {k.lower() for k in headers}
        if method == "GET":
            names.add("alibaba")
        elif "x-signature-v2" in lower or "x-signature" in lower:
            names.add("didit")
        elif "x-webhook-signature" in lower:
            names.add("tencent")
    return names


def test_an_emulator_that_fails_answers_500_in_process_and_the_client_raises_typed(
        caplog: pytest.LogCaptureFixture) -> None:
    """In-process, an emulator's own exception becomes an HTTP 500 answer (as served), never an untyped exception
    out of the client; the sandbox logs it."""
    sandbox = Sandbox()
    for provider, emulator in sandbox.emulators.items():
        def broken(*args: object, **kwargs: object) -> None:
            raise ValueError("emulator bug")

        emulator.record_session = broken  # type: ignore[method-assign]
        with quick_client(sandbox) as client, caplog.at_level(logging.ERROR, logger="ekyc.sandbox"), \
                pytest.raises(EkycError) as info:
            client.create_session(scenario_request(provider, "approved"), provider=provider)
        assert info.value.http_status == 500, provider
        assert "failed in the emulator" in caplog.text



def test_the_banner_says_the_sandbox_delivers_to_the_webhook_url_whatever_callback_a_session_names() -> None:
    """Alibaba's client sends ``callback_url`` with each session and ekyc requires it to be https (as Alibaba
    does), so the banner keeps the sandbox's https default for it; the sandbox delivers to the ``--webhook-url``
    anyway, and the banner says so (a new user read the default callback as where deliveries go)."""
    from ekyc.cli.serve import banner
    from ekyc.sandbox import Sandbox

    sandbox = Sandbox()
    assert "whatever callback URL" not in banner(sandbox)
    sandbox.set_webhook_url("http://127.0.0.1:9/kyc/webhooks/alibaba", "alibaba")
    text = " ".join(banner(sandbox).split())
    assert "alibaba http://127.0.0.1:9/kyc/webhooks/alibaba" in text
    assert "whatever callback URL a session names" in text
