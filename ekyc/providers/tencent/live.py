"""Tencent Cloud eKYC has no test mode (:mod:`ekyc.sandbox.live`): declared so the live run says why it skips."""

from __future__ import annotations

from ekyc.live import LiveMode

LIVE = LiveMode(
    provider="tencent",
    test_mode="",
    source="Tencent Cloud faceid API docs (no sandbox or test environment documented; Billed Y/N per result code)",
    unavailable="every call goes to the production service and a finished verification is billed by its result "
                "code; test with the local sandbox (ekyc.sandbox)",
)
