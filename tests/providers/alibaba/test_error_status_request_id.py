"""An error *status* names the answer's RequestId, whatever its body says (red team of the issue 15 round).

cbd3463 returns the envelope of a body whose ``Code`` is ``Success`` before reading its ``RequestId``. That is
harmless for a result (HTTP 200), but a non-result status (201/202/204, 4xx, 5xx — e.g. a gateway replaying a
success body with 500) is read through the same envelope, so its typed error lost ``request_id`` (3957c77 and
Tencent's envelope, 991d38a, keep it for any status outside the result statuses).
"""

from __future__ import annotations

import json

import pytest

from ekyc import EkycError
from tests.adversary.payloads import capture


@pytest.mark.parametrize("status", [202, 400, 401, 404, 429, 500])
def test_an_error_status_names_the_request_id(status: int) -> None:
    captured = capture("alibaba")
    rid = json.loads(captured.body)["RequestId"]
    error = captured.parse(status=status)
    assert isinstance(error, EkycError)
    assert error.request_id == rid, f"HTTP {status}: {type(error).__name__} names request_id={error.request_id!r}"
