"""The live switch: the contract against each vendor's own test mode, when its credentials are in the
environment (``EKYC_LIVE_<PROVIDER>_*``, declared in the provider's ``live.py``); skipped otherwise, with a message
naming the missing variables (or saying the vendor has no test mode). One mechanism for every provider: what
differs is read from the provider's :class:`~ekyc.sandbox.live.LiveMode`, never branched on here.

Every catalog scenario the plan maps onto a vendor scenario is run (``EKYC_LIVE_<PROVIDER>_SCENARIOS`` adds names
from the vendor's own catalog). The switch itself is tested in ``tests/sandbox/test_live_switch.py`` with fake
credentials pointed at the served sandbox (real vendor endpoints are unreachable where CI runs).
"""

from __future__ import annotations

import pytest

from ekyc.sandbox.live import plan, run_live


def test_live_contract(provider: str) -> None:
    live = plan(provider)
    if live.skip:
        pytest.skip(live.skip)
    problems = []
    with live.client() as client:
        for scenario in live.scenarios:
            run = run_live(client, live, scenario)
            problems += [f"{scenario}: {p}" for p in run.problems]
    assert not problems, f"{provider} live: {'; '.join(problems)}"
