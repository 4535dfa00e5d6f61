"""Known open faults of issue 11, as strict xfails: main stays green while they are open, and the suite fails
loudly (XPASS strict) the moment one is fixed — then delete its line here.

Keys are test node ids relative to this folder (``file::test[param]``); a key without ``[param]`` covers every
parametrization. The tests themselves never name a provider.
"""

from __future__ import annotations

from typing import Any

import pytest

KNOWN_OPEN: dict[str, str] = {
    # -- item 3: strict wire reading -------------------------------------------------------------------
    "test_payloads.py::test_lexical_attacks_never_approve_and_raise_only_typed_errors[alibaba]":
        "issue 11 item 3: Ext* JSON strings are read with json.loads (duplicate keys, NaN, out-of-range numbers "
        "approve) in ekyc/providers/alibaba/parse.py",
    # -- item 2/3: the evidence rule and strict value readers --------------------------------------------
    "test_payloads.py::test_sensitivity_oracle[alibaba]":
        "issue 11 item 2/3: SubCode 200 as a number, null/missing ocrIdPassed/spoofResult/faceAttack/facePassed "
        "approve (ekyc/providers/alibaba/parse.py)",
    "test_payloads.py::test_random_mutations_never_approve_what_the_rules_forbid[alibaba]":
        "issue 11 items 2/3: the same faults, found by random mutation",
}


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        nodeid = item.nodeid.split("tests/adversary/", 1)[-1]
        reason = KNOWN_OPEN.get(nodeid) or KNOWN_OPEN.get(nodeid.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
