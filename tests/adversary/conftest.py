"""Known open faults of issue 11, as strict xfails: main stays green while they are open, and the suite fails
loudly (XPASS strict) the moment one is fixed — then delete its line here.

Keys are test node ids relative to this folder (``file::test[param]``); a key without ``[param]`` covers every
parametrization. The tests themselves never name a provider.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

KNOWN_OPEN: dict[str, str] = {
    "test_binding.py::test_another_users_approved_session_never_approves_the_signed_in_user[alibaba]":
        "issue 11 item 1: a ref string forged with Alice's TransactionId/MerchantBizId and Bob's reference is "
        "APPROVED with reference 'bob': CheckResult echoes no MerchantUserId and nothing in the ref binds the "
        "reference to the session (e.g. MerchantBizId derived from it) — ekyc/providers/alibaba/adapter.py",
}


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    if os.environ.get("ADVERSARY_NO_XFAIL"):  # see every open fault as a plain failure
        return
    for item in items:
        nodeid = item.nodeid.split("tests/adversary/", 1)[-1]
        reason = KNOWN_OPEN.get(nodeid) or KNOWN_OPEN.get(nodeid.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
