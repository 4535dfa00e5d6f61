"""What a newcomer's walkthrough from a fresh clone found, in-process: check-config decides as the client does,
80 columns without splitting a word, one log line per sandbox delivery, unsupported scenarios explained,
warnings shown like reasons, and create's routing errors naming the flag."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

import ekyc.sandbox
from ekyc import Client, registry
from ekyc.cli import app as cli_app
from ekyc.cli.app import app
from ekyc.cli.exits import Exit
from ekyc.cli.output import wrap
from ekyc.cli.serve import banner
from ekyc.errors import ConfigurationError
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from ekyc.sandbox.server import SandboxError

runner = CliRunner()
ALIBABA = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "x", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "y"}
#: a line that may exceed 80 columns: a URL alone, after an optional "key  " label
LONE_URL = re.compile(r"\s*(\S+(\s\S+)*\s{2,})?\S*://\S+")


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def wide(text: str) -> list[str]:
    """Lines over 80 columns that are not a lone URL (nor an ``error:`` line, one line by contract)."""
    return [line for line in text.splitlines()
            if len(line) > 80 and not line.startswith("error: ") and not LONE_URL.fullmatch(line)]


def error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if not line.startswith("note: ")]
    assert len(errors) == 1 and errors[0].startswith("error: "), stderr
    return errors[0]


# -- 1. check-config decides exactly as the client does ---------------------------------------------------------


@pytest.mark.parametrize("env", [{"EKYC_PROVIDER": "didit"}, {"EKYC_PROVIDER": "alibaba"},
                                 {"EKYC_ENV": "production"}], ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()))
def test_check_config_refuses_what_the_client_refuses(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as refused:
        Client()
    code, out, err = invoke("check-config", env=env)
    assert code == Exit.ERROR and "configuration OK" not in out and "the local sandbox" not in out
    assert error_line(err).startswith(f"error: {refused.value.message}")
    code, _, create_err = invoke("create", "--reference", "u1", env=env)
    assert code == Exit.ERROR and error_line(create_err) == error_line(err)
    code, out, _ = invoke("check-config", "--format", "json", env=env)
    assert code == Exit.ERROR and json.loads(out)["problems"] == [error_line(err).removeprefix("error: ")]


def test_check_config_sends_nothing_configured_to_the_sandbox_as_the_client_does() -> None:
    code, out, err = invoke("check-config")
    assert code == Exit.OK and "the local sandbox" in out and "configuration OK" in out, err


# -- 2. 80 columns, never inside a word ------------------------------------------------------------------------


def words_kept(data: list[str], out: str) -> None:
    printed = set(out.split())
    missing = {word for text in data for word in text.split()} - printed
    assert not missing, f"split or lost: {sorted(missing)}\n{out}"


def test_capabilities_fit_80_columns_without_splitting_a_word() -> None:
    code, out, _ = invoke("capabilities")
    assert code == Exit.OK and not wide(out), out
    words_kept([v for n in registry.names() for v in registry.load(n).capabilities.describe().values()], out)
    assert "document+face_match+liveness," in out.split() and "X-Webhook-Signature" in out.split()


def test_demo_fits_80_columns_without_cropping_a_provider() -> None:
    """With four providers the natural table is 84 columns wide: rich used to crop its last column to
    '✓ +webh'; the columns wrap between words instead."""
    code, out, _ = invoke("demo")
    assert code == Exit.OK and not wide(out), out
    lines = out.splitlines()
    header = next((line for line in lines if line.split()[:2] == ["scenario", "expected"]), None)
    if header is not None:
        assert header.split() == ["scenario", "expected", *registry.names()], out
    else:  # more providers than 80 columns hold side by side: the list form names every provider per scenario
        scenarios = sum(line.split()[:1] == ["scenario"] for line in lines)
        assert scenarios >= 3, out
        for name in registry.names():
            assert sum(line.split()[:1] == [name] for line in lines) == scenarios, (name, out)
    assert "+webh" not in out.split() and "+webhook" in out.split(), out
    notes = " ".join(" ".join(line.split()) for line in lines if "no webhook in this flow" in line or
                     (line.startswith("  ") and "(" in line))
    assert "no webhook in this flow" in notes and _nesting(notes) <= 1, notes  # the Tencent note was "((…))"


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


def test_compare_fits_80_columns_without_splitting_a_word() -> None:
    code, out, _ = invoke("compare")
    assert code == Exit.OK and not wide(out), out
    words_kept([v for n in registry.names() for v in registry.load(n).capabilities.describe().values()], out)


def test_notes_and_the_serve_banner_fit_80_columns() -> None:
    code, out, err = invoke("create", "--reference", "u1", "--provider", "tencent")
    assert code == Exit.OK and err and not wide(err) and all(line.startswith("note: ") for line in err.splitlines())
    assert not wide(out), out
    hooks = {"tencent": "http://127.0.0.1:8000/kyc/hooks/tencent-with-a-rather-long-path?token=abc"}
    text = banner(Sandbox(base_url="http://127.0.0.1:8765", webhook_url=hooks))
    assert not wide(text), text
    assert "export EKYC_TENCENT_WEBHOOK_SIGNATURE_KEY=sandbox-tencent-webhook-signature-key" in text.splitlines()


def test_wrap_never_breaks_a_word_or_a_url() -> None:
    url = "https://example.test/" + "x" * 90
    text = wrap(f"see {url} and document+face_match+liveness, X-Webhook-Signature HMAC", 40)
    assert url in [line.strip() for line in text.splitlines()] and "document+face_match+liveness," in text.split()
    assert all(len(line) <= 40 for line in text.splitlines() if url not in line)


@pytest.fixture
def served_result(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, str]]:
    """A Tencent retry_limit (warnings: the last attempt's codes) decided in one in-process sandbox that
    ``ekyc result`` is pointed at."""
    sandbox = Sandbox(["tencent"])
    with sandbox.client() as client:
        session = client.create_session(scenario_request("tencent", "retry_limit", reference="u1"),
                                        provider="tencent")
        sandbox.complete(session, "retry_limit")
        monkeypatch.setattr(cli_app, "_client", lambda config: sandbox.client())
        yield sandbox, session.ref.serialize()


def test_result_fits_80_columns_and_shows_warnings_like_reasons(served_result: tuple[Sandbox, str]) -> None:
    _, ref = served_result
    code, out, _ = invoke("result", ref)
    assert code == Exit.NOT_APPROVED and not wide(out), out
    rows = dict(re.findall(r"^(\w[\w ]*?)  +(.*(?:\n {2,}.*)*)", out, re.M))
    reasons, warnings = rows["reasons"], " ".join(rows["warnings"].split())
    assert reasons.startswith("RETRY_LIMIT_REACHED (provider code ")
    assert "(provider code" in warnings and "LIVENESS_FAILED" in warnings
    # the evidence rule never repeats a reason (face_mismatch showed FACE_MISMATCH as both: now a reason only)
    assert "RETRY_LIMIT_REACHED" not in warnings
    assert len(set(warnings.split("; "))) == len(warnings.split("; "))
    identity = rows["identity fields"].split()
    assert identity and all(len(line) <= 80 for line in out.splitlines())
    code, out, _ = invoke("result", ref, "--format", "json")
    data = json.loads(out)
    assert data["warnings"] and all(isinstance(w, dict) and set(w) == set(data["reasons"][0]) for w in data["warnings"])


# -- 3. one log line per delivery, without the URL's query ------------------------------------------------------


class _Hooks(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def app_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/kyc/hooks?callbackToken=canary-app-token"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_logs_every_delivery_with_its_status_and_no_query(app_endpoint: str, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    started: list[Sandbox] = []

    class Recorded(Sandbox):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(ekyc.sandbox, "Sandbox", Recorded)
    monkeypatch.setattr("uvicorn.Server.run", lambda self, sockets=None: None)
    monkeypatch.setattr(cli_app, "_log_deliveries", lambda: None)  # keep the records for caplog
    code, out, _ = invoke("sandbox", "serve", "--port", "0", "--no-deliver-webhooks", "--webhook-url", app_endpoint)
    assert code == Exit.OK and "each delivery is logged" in out
    (sandbox,) = started
    sandbox.base_url = "http://sandbox.ekyc.invalid"  # play the flows in-process; deliveries still go over HTTP
    caplog.set_level(logging.INFO, logger="ekyc.sandbox")
    with sandbox.client() as client:
        for name in ("didit", "alibaba"):
            session = client.create_session(scenario_request(name, "approved", reference=f"hook-{name}"),
                                            provider=name)
            sandbox.complete(session, "approved")
    sent = len(sandbox.deliveries())
    deadline = time.monotonic() + 10
    while len([r for r in caplog.records if r.name == "ekyc.sandbox"]) < sent and time.monotonic() < deadline:
        time.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if r.name == "ekyc.sandbox"]
    assert sent >= 2 and len(lines) == sent, lines
    endpoint = app_endpoint.partition("?")[0]
    assert any(line.startswith("didit status.updated") for line in lines), lines
    assert any(line.startswith("alibaba callback GET") for line in lines), lines
    for line in lines:
        assert line.endswith(f"{endpoint} -> HTTP 204"), line
        assert "?" not in line and "canary" not in line and "callbackToken" not in line


# -- 4. a scenario the provider cannot play, explained; never an HTML body -------------------------------------


def test_complete_names_why_a_scenario_is_unsupported() -> None:
    from ekyc.providers.didit.emulator import DiditEmulator

    code, _, err = invoke("sandbox", "complete", "http://127.0.0.1:9/didit/session/abc", "--scenario", "retry_limit")
    line = error_line(err)
    assert code == Exit.USAGE and line.startswith("error: --scenario retry_limit: ") and "(didit)" in line
    assert DiditEmulator.unsupported["retry_limit"].split(" (")[0] in line and "<" not in line


def test_a_refused_completion_never_echoes_html() -> None:
    sandbox = Sandbox(["didit"])
    with sandbox.client() as client:
        session = client.create_session(scenario_request("didit", "approved", reference="u1"), provider="didit")
    with pytest.raises(SandboxError) as refused:
        sandbox.complete(session, "retry_limit")
    assert "HTTP 4" in str(refused.value) and "<" not in str(refused.value)


# -- 7. a routing error names the request field's flag ----------------------------------------------------------


def test_a_routing_error_names_the_flag_of_the_field_every_candidate_needs() -> None:
    code, _, err = invoke("create", "--reference", "u1", env={"EKYC_PROVIDER": "alibaba", **ALIBABA})
    line = error_line(err)
    assert code == Exit.USAGE and line.startswith("error: --client-metadata: "), line
    code, _, err = invoke("create", "--reference", "u1", "--client-metadata", '{"a":1}',
                          env={"EKYC_PROVIDER": "alibaba", **ALIBABA, "EKYC_ALIBABA_ENDPOINT": "http://127.0.0.1:9"})
    assert "--client-metadata" not in error_line(err)
