"""Stripe Identity's test mode, for the live contract run (:mod:`ekyc.sandbox.live`).

Test-mode API keys (``sk_test_…``, ``rk_test_…``) create test VerificationSessions that verify no one and cost
nothing; the hosted flow then offers test outcomes to click (docs.stripe.com/identity/verification-sessions,
docs.stripe.com/keys). No API completes a test session, so the live run checks the session starts and reads
pending. A live key (``sk_live_``/``rk_live_``) is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from ekyc.live import LiveMode


def _test_key(settings: Mapping[str, str]) -> str | None:
    if not settings["api_key"].startswith(("sk_test_", "rk_test_")):
        return "EKYC_LIVE_STRIPE_API_KEY is not a test-mode key (sk_test_… or rk_test_…)"
    return None


LIVE = LiveMode(
    provider="stripe",
    test_mode="test mode: sk_test_/rk_test_ keys create test VerificationSessions (no real verification, no "
              "charge); the hosted flow offers the test outcomes",
    source="docs.stripe.com/keys, docs.stripe.com/identity",
    settings=("api_key",),
    guard=_test_key,
    scenarios={"approved": ""},
)
