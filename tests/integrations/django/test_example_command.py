"""The example's one command, as a person runs it: ``python examples/django_app/manage.py demo`` on a fresh data
folder migrates, creates the test users, serves the sandbox and the app; the home page answers, a test user can
sign in, and the app is verifying with the sandbox it announced."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import EXAMPLE

pytest.importorskip("django")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_manage_py_demo_serves_the_example_on_the_sandbox(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(KYCDEMO_DATA=str(tmp_path), PYTHONUNBUFFERED="1")
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, str(EXAMPLE / "manage.py"), "demo", "--port", str(port),
                                    "--provider", "tencent"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        home = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert home is not None, log.read_text()
        assert home.status_code == 200 and 'id="login"' in home.text
        assert '<b id="provider">tencent</b>' in home.text
        printed = log.read_text()
        assert re.search(r"Sandbox \(every provider's hosted page\) at http://127\.0\.0\.1:\d+", printed), printed
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
            form = browser.get("/login/")
            token = browser.cookies["csrftoken"]
            signed_in = browser.post("/login/", data={"username": "alice", "password": "kyc-demo",
                                                      "csrfmiddlewaretoken": token, "next": "/"},
                                     headers={"Referer": f"http://127.0.0.1:{port}/login/"})
            assert form.status_code == 200 and signed_in.status_code == 302, signed_in.text[:300]
            assert browser.get("/kyc/status").json()["state"] == "NONE"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
