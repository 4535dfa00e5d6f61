"""Alibaba Cloud ID Verification has no test mode (:mod:`ekyc.sandbox.live`): declared so the live run says why
it skips."""

from __future__ import annotations

from ekyc.live import LiveMode

LIVE = LiveMode(
    provider="alibaba",
    test_mode="",
    source="alibabacloud.com/help/en/ekyc (no sandbox or test environment documented)",
    unavailable="every call goes to the production service and is billed; MetaInfo must come from a real "
                "browser; test with the local sandbox (ekyc.sandbox)",
)
