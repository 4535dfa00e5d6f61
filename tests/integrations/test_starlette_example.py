"""The Starlette example's one command (examples/starlette_app/README.md) starts and serves its sign-in page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "starlette_app" / "app.py"


def test_the_one_command_serves_the_app() -> None:
    process = subprocess.Popen([sys.executable, str(EXAMPLE), "--port", "0", "--provider", "tencent"],
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # the banner comes once both servers listen
            seen.append(line)
            found = re.search(r"Example app on (http://\S+) ", line)
            if found:
                break
        else:
            raise AssertionError(f"the example exited without its banner: {''.join(seen)[-2000:]}")
        with httpx.Client(base_url=found.group(1)) as http:
            home = http.get("/")
            assert home.status_code == 200 and 'id=login' in home.text
            signed_in = http.post("/login", data={"name": "alice"}, headers={"origin": found.group(1)})
            assert signed_in.status_code == 303
            page = http.get("/")
            assert "id=user>alice<" in page.text and "id=state>NONE<" in page.text
            assert http.get("/kyc/status").json()["state"] == "NONE"
    finally:
        process.terminate()
        process.wait(timeout=30)
