"""The command line in-process: help, errors, exit codes, formats, and what check-config prints."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ekyc.cli import app as cli_app
from ekyc.cli.app import app
from ekyc.cli.config import safe_url
from ekyc.cli.exits import Exit, failure

runner = CliRunner()
COMMANDS = [["demo"], ["compare"], ["capabilities"], ["create"], ["result"], ["check-config"],
            ["sandbox", "serve"], ["sandbox", "complete"], ["sandbox"], []]
CANARIES = ("canary-key", "canary-id", "canary-password", "canary-query", "canary-secret")
CREDENTIALS = {"DIDIT_API_KEY": "canary-key", "DIDIT_WORKFLOW_ID": "5a1d1d17-0e4c-4b6f-9d2a-00000000d1d1",
               "EKYC_DIDIT_ENDPOINT": "https://user:canary-password@didit.example/v3",
               "EKYC_DIDIT_WEBHOOK_SECRET": "canary-secret"}


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def error_line(stderr: str) -> str:
    """The one ``error:`` line of a failed command (notes may precede it)."""
    errors = [line for line in stderr.splitlines() if not line.startswith("note: ")]
    assert len(errors) == 1 and errors[0].startswith("error: "), stderr
    return errors[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "ekyc")
def test_help_has_real_placeholders_and_fits_80_columns(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert not re.search(r"<(str|int|bool|path|list)|\{[A-Za-z_]+\}", out), out
    assert max(len(line) for line in out.splitlines()) <= 80, out


def test_root_help_lists_the_exit_codes_and_version_prints() -> None:
    code, out, _ = invoke("--help")
    assert "Exit codes: 0 ok" in out and "5 provider unavailable" in out
    code, out, _ = invoke("--version")
    assert code == 0 and re.match(r"ekyc \d+\.\d+", out)


def test_usage_errors_are_one_line_naming_the_flag() -> None:
    code, _, err = invoke("create", "--reference", "u1", "--check", "docs")
    assert code == Exit.USAGE and "'--check'" in error_line(err) and "Value error" not in err
    code, _, err = invoke("create", "--reference", "u1", "--return-url", "javascript:alert(1)")
    assert code == Exit.USAGE and error_line(err).startswith("error: --return-url: ")
    code, _, err = invoke("create", "--reference", "u1", "--provider", "alibaba", "--client-metadata", "not json")
    assert code == Exit.USAGE and error_line(err).startswith("error: --client-metadata: ")
    code, _, err = invoke("create", "--reference", "u1", "--provider", "alibaba", "--check", "document")
    assert code == Exit.USAGE and error_line(err).startswith("error: --check: ")  # ID_OCR: Hong Kong only
    code, _, err = invoke("create", "--reference", "u1", "--provider", "nosuch")
    assert code == Exit.USAGE and error_line(err).startswith("error: --provider: ") and "'nosuch'" in err
    code, _, err = invoke("create")
    assert code == Exit.USAGE and "--reference" in error_line(err)
    code, _, err = invoke("sandbox", "complete", "not-a-url")
    assert code == Exit.USAGE and error_line(err).startswith("error: URL: ")
    for value, text in (("ftp://x", "is not an http(s) URL"), ("nosuch=http://127.0.0.1:1/", "unknown provider")):
        code, _, err = invoke("sandbox", "serve", "--port", "0", "--webhook-url", value)
        assert code == Exit.USAGE and error_line(err).startswith("error: --webhook-url: ") and text in err
    code, out, _ = invoke()
    assert code == Exit.USAGE and "Usage: " in out and "Commands:" in out


def test_configuration_errors_name_the_variable_or_the_file(tmp_path: Path) -> None:
    code, _, err = invoke("create", "--reference", "u1", env={"EKYC_TIMEOUT": "never"})
    assert code == Exit.ERROR and "EKYC_TIMEOUT" in error_line(err)
    missing = tmp_path / "missing.toml"
    code, _, err = invoke("result", "didit:x", "--config", str(missing))
    assert code == Exit.ERROR and error_line(err) == f"error: --config {missing} does not exist"
    code, _, err = invoke("check-config", env={"EKYC_CONFIG": str(missing)})
    assert code == Exit.ERROR and "EKYC_CONFIG" in error_line(err) and str(missing) in err


def test_a_setting_problem_is_not_blamed_on_a_flag_the_user_did_not_type() -> None:
    env = {"DIDIT_API_KEY": "canary-key", "TENCENTCLOUD_SECRET_ID": "canary-id", "TENCENTCLOUD_SECRET_KEY": "k"}
    code, _, err = invoke("create", "--reference", "u1", env=env)
    line = error_line(err)
    assert code == Exit.ERROR and "--provider" not in line and "EKYC_PROVIDER" in line and "canary" not in err


def test_check_config_keeps_bracketed_text_and_names_settings(tmp_path: Path) -> None:
    code, _, err = invoke("check-config", env={"TENCENTCLOUD_SECRET_ID": "canary-id", "TENCENTCLOUD_SECRET_KEY": "k",
                                               "EKYC_ROUTING_FALLBACK": "didit"})
    assert code == Exit.ERROR and "[providers.didit]" in error_line(err) and "canary" not in err
    bad = tmp_path / "ekyc.toml"
    bad.write_text('provider = "didit"\n[providers.didit]\napi_key = 3\n')
    code, _, err = invoke("check-config", "--config", str(bad))
    assert code == Exit.ERROR and "providers.didit.api_key" in error_line(err)


def test_check_config_finds_every_create_problem_and_prints_no_credential() -> None:
    env = {**CREDENTIALS, "DIDIT_WORKFLOW_ID": "", "TENCENTCLOUD_SECRET_ID": "canary-id",
           "TENCENTCLOUD_SECRET_KEY": "canary-key"}
    code, out, err = invoke("check-config", env=env)
    problems = err.splitlines()
    assert code == Exit.ERROR and len(problems) == 2, err
    assert all(p.startswith("error: ") for p in problems)
    assert "no default is set" in err and "workflow_id" in err
    assert "https://***@didit.example/v3" in out
    code, out, err = invoke("check-config", "--format", "json", env=env)
    data = json.loads(out)
    assert code == Exit.ERROR and data["ok"] is False and len(data["problems"]) == 2 and not err
    for text in (out, err):
        assert not any(c in text for c in CANARIES), text


def test_an_endpoint_with_a_query_is_one_line_without_its_value() -> None:
    env = {**CREDENTIALS, "EKYC_DIDIT_ENDPOINT": "https://didit.example/v3?token=canary-query"}
    code, out, err = invoke("check-config", env=env)
    assert code == Exit.ERROR and "EKYC_DIDIT_ENDPOINT" in error_line(err)
    assert "canary" not in out + err


def test_check_config_ok_for_a_complete_configuration() -> None:
    code, out, err = invoke("check-config", "--format", "json", env=CREDENTIALS)
    data = json.loads(out)
    assert code == Exit.OK and data["ok"] and data["default provider"] == "didit", err
    assert data["providers"]["didit"]["api_key"] == "********"
    assert not any(c in out + err for c in CANARIES)


def test_check_config_in_production_without_providers() -> None:
    code, _, err = invoke("check-config", env={"EKYC_ENV": "production"})
    assert code == Exit.ERROR and "production" in error_line(err)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@host.example/v3?token=t#f", "https://***@host.example/v3?***"),
    ("https://host.example:8443/x?a=1", "https://host.example:8443/x?***"),
    ("user:pw@host.example:443", "***@host.example:443"),
    ("http://u@[::1]:8765/", "http://***@[::1]:8765/"),
    ("https://host.example/v3", "https://host.example/v3"),
    ("ap-singapore", "ap-singapore"),
    ("http://u:p@[::1", "***"),
    ("********", "********"),
    ("https://***@host.example/v3?***", "https://***@host.example/v3?***"),
])
def test_safe_url(url: str, shown: str) -> None:
    assert safe_url(url) == shown


def test_capabilities_and_result_formats() -> None:
    code, out, _ = invoke("capabilities", "--format", "json")
    assert code == 0 and set(json.loads(out)) >= {"didit", "tencent", "alibaba"}
    code, out, _ = invoke("capabilities")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80
    code, _, err = invoke("capabilities", "--format", "xml")
    assert code == Exit.USAGE and "--format" in error_line(err)


def test_os_errors_are_one_line(tmp_path: Path) -> None:
    code, _, err = invoke("compare", "--format", "md", "--output", str(tmp_path / "no" / "such" / "dir.md"))
    assert code == Exit.ERROR and "No such file or directory" in error_line(err)
    taken = OSError(errno.EADDRINUSE, "Address already in use")
    assert failure(taken) == (failure(taken) or ("", Exit.OK))
    message, exit_code = failure(taken) or ("", Exit.OK)
    assert exit_code == Exit.ERROR and "--port" in message


def test_a_bug_is_one_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_app.registry, "names", broken)
    code, _, err = invoke("capabilities")
    assert code == Exit.ERROR and error_line(err).startswith("error: internal error (RuntimeError)")
