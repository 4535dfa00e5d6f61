"""The cold path imports what it uses and nothing else (issue 15, cold start): ``import ekyc`` loads no
dependency at all, and a fresh process that builds a client for one provider from configuration and makes one
``get_result`` loads that provider's package only — no other provider, no emulator, no optional layer (sandbox,
ledger, integrations, CLI, docs) and none of their dependencies or of any vendor SDK — for `Client` and
`AsyncClient` alike. Set membership over
``sys.modules`` in a subprocess, never timings.

The first call is real: the parent records the exchange a ``get_result`` makes against the in-process sandbox
(a finished ``approved`` session), and the child replays it through ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from ekyc import registry
from ekyc.providers import BUILTIN

pytest.importorskip("starlette")  # the sandbox answers the recorded exchange
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request

#: never loaded by ``import ekyc`` nor by the first call (the layers above the core, their dependencies, the SDKs).
#: Not ``rich``/``click``: ``import httpx`` itself loads them for its command line whenever they are installed.
OPTIONAL = ("ekyc.sandbox", "ekyc.ledger", "ekyc.integrations", "ekyc.cli", "ekyc.docs", "ekyc.testing",
            "ekyc.live", "sqlalchemy", "alembic", "aiosqlite", "psycopg", "cryptography", "starlette", "uvicorn",
            "typer", "django", "matplotlib", "tencentcloud", "alibabacloud_cloudauth_intl20220809",
            "alibabacloud_tea_openapi", "stripe", "onfido", "requests", "pytest", "hypothesis")
#: core modules a first call without the matching settings never needs: the routing models (no routing configured)
UNCONFIGURED = ("ekyc._routing_config",)


def _loaded(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def _under(modules: set[str], prefixes: tuple[str, ...] | list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_import_ekyc_loads_nothing_but_itself() -> None:
    loaded = _loaded("import ekyc")
    assert _under(loaded, ["ekyc"]) == ["ekyc"]
    assert _under(loaded, ["httpx", "httpcore", "pydantic", "pydantic_core", *OPTIONAL]) == []


def test_a_public_name_loads_only_its_own_module() -> None:
    loaded = _loaded("from ekyc import Outcome")
    assert _under(loaded, ["ekyc"]) <= ["ekyc", "ekyc._redact", "ekyc.countries", "ekyc.errors", "ekyc.models"]
    assert _under(loaded, ["httpx", "httpcore", "ekyc.client", "ekyc.providers", *OPTIONAL]) == []


class _Recorder(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.seen = inner, []  # type: list[tuple[str, str, int, list[tuple[str, str]], str]]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.seen.append((request.method, str(request.url), response.status_code,
                          list(response.headers.multi_items()), response.content.decode("latin-1")))
        return response


def _first_call(provider: str) -> tuple[dict[str, Any], str, list[Any]]:
    """A finished session on the in-process sandbox: the provider's settings, the stored ref and the exchange
    its ``get_result`` makes (method, URL, status, headers, body)."""
    sandbox = Sandbox()
    recorder = _Recorder(sandbox.transport())
    with sandbox.client(transport=recorder) as client:
        session = client.create_session(scenario_request(provider, "approved"), provider=provider)
        sandbox.complete(session, "approved")
        recorder.seen.clear()
        client.get_result(session.ref)
    return sandbox.client_settings(provider), session.ref.serialize(), list(recorder.seen)


REPLAY = """
import json, sys
settings, ref, seen = json.loads(sys.argv[1])
answers = {(m, u): (s, h, b) for m, u, s, h, b in seen}
def answer(request):
    status, headers, body = answers[(request.method, str(request.url))]
    return httpx.Response(status, headers=headers, content=body.encode("latin-1"))
import httpx
import ekyc
config = {"env": "production", "providers": {PROVIDER: settings}}
if MODE == "sync":
    with ekyc.Client.from_config(config, transport=httpx.MockTransport(answer)) as client:
        decision = client.get_result(ref)
else:
    import asyncio
    async def first():
        async with ekyc.AsyncClient.from_config(config, transport=httpx.MockTransport(answer)) as client:
            return await client.get_result(ref)
    decision = asyncio.run(first())
assert decision.approved, decision.outcome
"""


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("provider", [n for n in BUILTIN if registry.load(n).emulator is not None])
def test_the_first_call_loads_only_the_configured_provider(provider: str, mode: str) -> None:
    settings, ref, seen = _first_call(provider)
    code = REPLAY.replace("PROVIDER", repr(provider)).replace("MODE", repr(mode))
    done = subprocess.run([sys.executable, "-c", code + "print(json.dumps(sorted(sys.modules)))",
                           json.dumps([settings, ref, seen])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    others = [f"ekyc.providers.{n}" for n in BUILTIN if n != provider]
    assert f"ekyc.providers.{provider}" in loaded
    assert _under(loaded, [*others, f"ekyc.providers.{provider}.emulator", "ekyc.providers._template"]) == []
    assert _under(loaded, OPTIONAL) == []
    assert _under(loaded, UNCONFIGURED) == []
