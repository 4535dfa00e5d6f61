"""Didit's own sandbox, for the live contract run (:mod:`ekyc.sandbox.live`).

A sandbox application is Didit's test mode (docs.didit.me/integration/sandbox-testing): its API key gets mocked,
unbilled sessions; ``sandbox_scenario`` on create (or the arm endpoint) picks the outcome, by a name from
Didit's live catalog ``GET /v1/sandbox/scenarios/``. Those names are not in any source we have, so none is
hard-coded: put the ones your catalog lists in ``EKYC_LIVE_DIDIT_SCENARIOS`` (``{"face_mismatch": "<name>"}``),
and Didit itself validates them at create. Every live run sets ``environment="sandbox"``: a decision Didit marks
``live`` then never approves (the adapter's environment rule). Didit documents no key prefix that tells a
sandbox key from a live one, so there is no guard on the key's form: use a sandbox application's key.
"""

from __future__ import annotations

from ekyc.live import LiveMode

LIVE = LiveMode(
    provider="didit",
    test_mode="a sandbox application (Didit's per-application mode): its API key gets mocked, unbilled sessions "
              "(500 creates per 24 h) whose outcome a scenario or magic value decides",
    source="docs.didit.me/integration/sandbox-testing",
    settings=("api_key", "workflow_id"),
    fixed={"environment": "sandbox"},
    scenarios={"approved": ""},
    scenario_option="sandbox_scenario",
)
