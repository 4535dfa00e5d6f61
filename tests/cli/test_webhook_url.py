"""``ekyc sandbox serve --webhook-url``: an app on loopback receives every provider's signed webhooks/callbacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ekyc import Client, EkycError, Settings
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from ekyc.testing import providers


class _Receiver(BaseHTTPRequestHandler):
    """The app's webhook endpoint: records (method, full URL, headers, body) and answers 204."""

    received: list[tuple[str, str, dict[str, str], bytes]]

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        self.received.append((self.command, f"http://{host}:{port}{self.path}", dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiver() -> Iterator[tuple[str, list[tuple[str, str, dict[str, str], bytes]]]]:
    received: list[tuple[str, str, dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/kyc/hooks", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def served(*args: str) -> Iterator[tuple[str, dict[str, str], str]]:
    """``ekyc sandbox serve --port 0 ARGS`` in a subprocess: (base URL, the exported settings, the banner)."""
    ekyc = Path(sys.executable).with_name("ekyc")
    if not ekyc.exists():
        pytest.skip("the ekyc console script is not installed next to this interpreter")
    proc = subprocess.Popen([str(ekyc), "sandbox", "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("EKYC_")})
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Return page"):
                break
        banner = "\n".join(lines)
        found = re.search(r"listening on (http://\S+)", banner)
        assert found, banner + (proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", banner, re.M))
        yield found.group(1), exports, banner
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_app_receives_every_providers_webhooks(tmp_path: Path) -> None:
    with receiver() as (hook_url, received), served("--webhook-url", hook_url) as (base, exports, banner):
        assert f"didit    {hook_url}" in banner
        driver = Sandbox([], base_url=base)
        with Client(Settings.from_env(exports)) as client:
            for provider in providers():
                session = client.create_session(scenario_request(provider, "approved"), provider=provider)
                driver.complete(session.url, "approved")
                deadline = time.monotonic() + 30  # a bound on waiting, not a timing assertion
                while not any(p == provider for p, _ in _verified(client, received)):
                    assert time.monotonic() < deadline, f"no verified {provider} delivery: {received}"
                    time.sleep(0.05)
                assert any(p == provider and ref == session.ref.id for p, ref in _verified(client, received))


def _verified(client: Client, received: list[tuple[str, str, dict[str, str], bytes]]) -> list[tuple[str, str]]:
    """(provider, session id) of every received delivery some provider's verification accepts."""
    out = []
    for method, url, headers, body in list(received):
        for provider in providers():
            try:
                event = client.parse_webhook(url.encode() if method == "GET" else body, headers, provider)
            except EkycError:
                continue
            if event.ref is not None:
                out.append((provider, event.ref.id))
    return out
