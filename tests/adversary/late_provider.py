"""A pytest plugin (``-p tests.adversary.late_provider``) that registers a careless copy of the test-only ``echo``
provider before collection, as an entry-point provider installed later would be: the adversary suite must pick
it up with no edits, and fail for it (see ``test_meta.py``)."""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    from ekyc import registry
    from tests.support.echo import EchoProvider

    class CarelessEcho(EchoProvider):  # type: ignore[misc,valid-type]
        """The template with a planted bug: it reads a result under any 2xx status, not only the documented
        200."""

        result_statuses = frozenset(range(200, 300))

    registry.register("echo", CarelessEcho)
