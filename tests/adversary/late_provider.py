"""A pytest plugin (``-p tests.adversary.late_provider``) that registers the test-only ``echo`` provider before
collection, as an entry-point provider installed later would be: the adversary suite must pick it up with no
edits (see ``test_meta.py``)."""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    from ekyc import registry
    from tests.support.echo import EchoProvider

    registry.register("echo", EchoProvider)
