"""Every registered provider's emulator served on loopback (uvicorn, a free port) answers over real HTTP the
way the in-process sandbox does: the core scenarios through a client on a real transport match their
expectation, and the hosted page is completed over HTTP."""

from __future__ import annotations

import httpx
import pytest

from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import run_scenario


@pytest.mark.parametrize("scenario", ["approved", "face_mismatch"])
def test_the_served_emulator_answers_over_real_http(served: Sandbox, provider: str, scenario: str) -> None:
    assert served.base_url.startswith("http://127.0.0.1:")
    with served.client(transport=httpx.HTTPTransport()) as client:
        run = run_scenario(client, served, provider, scenario)
    assert run.supported and run.matched, f"{provider}/{scenario} served: {'; '.join(run.problems)}"
