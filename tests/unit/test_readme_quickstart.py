"""Issue 13, acceptance: an app written only from the README quickstart runs unchanged on every provider by
setting ``EKYC_PROVIDER`` alone — on the in-process sandbox and on the served one (the settings ``ekyc sandbox
serve`` prints) — and the same neutral request runs through the pytest plugin, parametrized over every emulated
provider, in pytest-asyncio's default strict mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ekyc import Outcome
from ekyc.cli.serve import serve_in_thread
from ekyc.sandbox import Sandbox
from ekyc.testing import providers

ROOT = Path(__file__).resolve().parents[2]


def quickstart() -> str:
    """The first Python block under the README's Quickstart heading, as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README quickstart has no Python block"
    return match.group(1)


def run_quickstart(complete: Any) -> dict[str, Any]:
    """Run the quickstart with the app's own pieces stubbed: storage, the posted launch form (what a browser that
    had nothing to collect posts) and the redirect, where the user completes the flow (``complete(kyc, url)``)."""
    stored: dict[int, str] = {}
    namespace: dict[str, Any] = {"__name__": "quickstart"}
    namespace.update(
        form={"ekyc_client_metadata": ""},
        store=lambda user_id, kyc_ref: stored.__setitem__(user_id, kyc_ref),
        load_ref=lambda user_id: stored[user_id],
        redirect=lambda url: complete(namespace["kyc"], url),
        print=lambda *args: None,
    )
    exec(compile(quickstart(), "README.md quickstart", "exec"), namespace)
    return namespace


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("EKYC_", "DIDIT_", "TENCENTCLOUD_", "ALIBABA_CLOUD_")):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize("name", providers())
def test_quickstart_in_process(clean_env: pytest.MonkeyPatch, name: str) -> None:
    clean_env.setenv("EKYC_ENV", "sandbox")
    clean_env.setenv("EKYC_PROVIDER", name)
    ns = run_quickstart(lambda kyc, url: kyc.sandbox.complete(url, "approved"))
    assert ns["session"].ref.provider == name
    assert ns["decision"].outcome is Outcome.APPROVED and ns["decision"].reference == "user-42"
    assert ns["page"].startswith("<!doctype html>") and 'action="/kyc/start"' in ns["page"]


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    with serve_in_thread() as sandbox:
        yield sandbox


@pytest.mark.parametrize("name", providers())
def test_quickstart_on_the_served_sandbox(clean_env: pytest.MonkeyPatch, served: Sandbox, name: str) -> None:
    for provider in served.providers:  # what `ekyc sandbox serve` prints as export lines
        for key, value in served.client_settings(provider).items():
            clean_env.setenv(f"EKYC_{provider.upper()}_{key.upper()}", str(value))
    clean_env.setenv("EKYC_PROVIDER", name)
    ns = run_quickstart(lambda kyc, url: served.complete(url, "approved"))
    assert ns["kyc"].sandbox is None  # a configured client talking HTTP to the served emulators
    assert ns["session"].ref.provider == name
    assert ns["decision"].outcome is Outcome.APPROVED and ns["decision"].reference == "user-42"


APP_TESTS = '''
import pytest

from ekyc import Outcome
from ekyc.testing import complete, providers

NEUTRAL = dict(reference="user-42", return_url="https://app.example/kyc/done",
               checks={"document", "liveness", "face_match"})


@pytest.mark.parametrize("ekyc_provider", providers(), indirect=True)
def test_signup(ekyc_client, ekyc_sandbox, ekyc_provider):
    session = ekyc_client.create_session(**NEUTRAL, provider=ekyc_provider)
    complete(ekyc_sandbox, session, "approved")
    decision = ekyc_client.get_result(session.ref.serialize())
    assert decision.outcome is Outcome.APPROVED and decision.reference == "user-42"


@pytest.mark.asyncio
@pytest.mark.parametrize("ekyc_provider", providers(), indirect=True)
async def test_signup_async(ekyc_async_client, ekyc_sandbox, ekyc_provider):
    session = await ekyc_async_client.create_session(**NEUTRAL, provider=ekyc_provider)
    complete(ekyc_sandbox, session, "face_mismatch")
    decision = await ekyc_async_client.get_result(session.ref)
    assert decision.outcome is Outcome.DECLINED
'''


def test_the_neutral_request_through_the_plugin_in_strict_mode(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (tmp_path / "test_app.py").write_text(textwrap.dedent(APP_TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "EKYC_"))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) == 2 * len(providers()), run.stdout
