"""Onfido's sandbox, for the live contract run (:mod:`ekyc.sandbox.live`).

A sandbox API token (``api_sandbox.…``) reaches Onfido's sandbox, where results are pre-determined and no real
check runs (support.onfido.com "Sandbox check result predefined response"; the token form as the SDKs show it).
A workflow run is completed by a person in Onfido's hosted flow, so the live run checks the run starts and
reads pending. Any other token is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from ekyc.live import LiveMode


def _sandbox_token(settings: Mapping[str, str]) -> str | None:
    if not settings["api_token"].startswith("api_sandbox."):
        return "EKYC_LIVE_ONFIDO_API_TOKEN is not a sandbox token (api_sandbox.…)"
    return None


LIVE = LiveMode(
    provider="onfido",
    test_mode="sandbox: an api_sandbox.… token; results are pre-determined, nothing is checked or billed",
    source="support.onfido.com (Sandbox check result predefined response); onfido-python check_request.py",
    settings=("api_token", "workflow_id"),
    optional=("region",),
    guard=_sandbox_token,
    scenarios={"approved": ""},
)
