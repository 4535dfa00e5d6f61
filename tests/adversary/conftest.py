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
}


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    if os.environ.get("ADVERSARY_NO_XFAIL"):  # see every open fault as a plain failure
        return
    for item in items:
        nodeid = item.nodeid.split("tests/adversary/", 1)[-1]
        reason = KNOWN_OPEN.get(nodeid) or KNOWN_OPEN.get(nodeid.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
