"""``ekyc ledger``: init, status, sessions, events, reconcile, purge — formats, exit codes, nothing secret printed."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from ekyc import Client
from ekyc.cli.app import app
from ekyc.cli.exits import Exit
from ekyc.ledger import Ledger
from ekyc.sandbox import Sandbox

from .helpers import deliveries, receive, request

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ledger", *args], env={"COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["", "init", "status", "sessions", "events", "reconcile", "purge"])
def test_help_fits_80_columns(command: str) -> None:
    code, out, _ = invoke(*([command] if command else []), "--help")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80, out
    assert not re.search(r"<(str|int|bool|path|float)|\{[A-Za-z_]+\}", out), out


def test_the_commands_on_a_ledger(tmp_path: object, client: Client, sandbox: Sandbox, key: str) -> None:
    db = f"{tmp_path}/ledger.db"
    env = {"EKYC_LEDGER_KEY": key}
    code, _, err = invoke("status", "--database", db, env=env)
    assert code == Exit.ERROR and "ekyc ledger init" in err
    code, out, _ = invoke("init", "--database", db, "--format", "json", env=env)
    assert code == 0 and json.loads(out) == {"revision": "0001", "key_configured": True}
    with Ledger(db, client, key=key, clock=sandbox.clock.now) as ledger:
        done = ledger.start(request=request("didit", "user-1"), provider="didit")
        sandbox.complete(done.url, "approved")  # type: ignore[arg-type]
        for d in deliveries(sandbox, "didit"):
            receive(ledger, d)
        pending = ledger.start(request=request("tencent", "user-2"), provider="tencent")
    secrets = [s for s in (done.url, pending.url, done.ref.serialize(), pending.ref.serialize(),  # type: ignore[union-attr]
                           pending.ref.id) if s]  # type: ignore[union-attr]
    outputs = []
    code, out, _ = invoke("status", "--database", db, "--format", "json", env=env)
    outputs.append(out)
    assert code == 0 and json.loads(out)["sessions"] == {"APPROVED": 1, "PENDING": 1}
    code, out, _ = invoke("sessions", "--database", db, "--format", "json", "--state", "APPROVED", env=env)
    outputs.append(out)
    assert code == 0 and [r["reference"] for r in json.loads(out)] == ["user-1"]
    code, out, _ = invoke("sessions", "--database", db, env=env)
    outputs.append(out)
    assert code == 0 and "user-2" in out and "PENDING" in out
    code, out, _ = invoke("events", "--database", db, "--reference", "user-1", "--format", "json", env=env)
    outputs.append(out)
    assert code == 0 and [e["action"] for e in json.loads(out)] == ["claim", "start", "advance"]
    code, out, _ = invoke("events", "--database", db, env=env)
    outputs.append(out)
    assert code == 0 and "advance" in out
    code, out, _ = invoke("reconcile", "--database", db, "--format", "json", env=env)
    outputs.append(out)
    assert code == 0 and json.loads(out)["polled"] == 0  # the pending session's first poll is a minute away
    code, out, _ = invoke("purge", "--database", db, "--older-than", "0", "--no-provider-delete",
                          "--format", "json", env=env)
    outputs.append(out)
    assert code == 0 and json.loads(out)["sessions"] == 1
    for text in outputs:
        for secret in secrets:
            assert secret not in text


def test_without_the_extra_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: object) -> None:
    import builtins

    real = builtins.__import__

    def no_ledger(name: str, *args: object, **kwargs: object) -> object:
        if name == "ledger" and args and args[2] and "Ledger" in args[2]:  # type: ignore[index,operator]
            raise ImportError("no sqlalchemy", name="sqlalchemy")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_ledger)
    code, _, err = invoke("status", "--database", f"{tmp_path}/x.db")
    assert code == Exit.ERROR and "pip install 'ekyc-bridge[ledger]'" in err


def test_sessions_are_listed_without_the_key(tmp_path: object, client: Client, sandbox: Sandbox, key: str) -> None:
    """The listing shows no ref, link or personal data, so it needs no key (a newcomer's throwaway key is gone)."""
    db = f"{tmp_path}/ledger.db"
    assert invoke("init", "--database", db, env={"EKYC_LEDGER_KEY": key})[0] == 0
    with Ledger(db, client, key=key, clock=sandbox.clock.now) as ledger:
        ledger.start(request=request("didit", "user-1"), provider="didit")
        assert [s.ref for s in ledger.sessions(secrets=False)] == [None]
    code, out, err = invoke("sessions", "--database", db, "--format", "json")
    assert code == 0, err
    assert [r["reference"] for r in json.loads(out)] == ["user-1"]
    with Ledger(db, client, clock=sandbox.clock.now) as keyless, pytest.raises(Exception) as caught:
        keyless.sessions()
    assert "EKYC_LEDGER_KEY" in str(caught.value)
