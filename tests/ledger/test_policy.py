"""A misconfigured :class:`Policy` is refused when it is built, with a :class:`LedgerError` naming the field
(red team): ``Policy(schedule=("60",))`` raised a bare TypeError, ``schedule=(nan,)`` was taken (every poll
then due at NaN: never), ``restart_after=["DECLINED"]`` (strings, not Outcomes) was taken and every ``start``
then failed with 'unexpected input (AttributeError)', and an infinite ``claim_timeout`` or ``lease`` left a
crashed process's claim or lease in place for ever."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ekyc.ledger import LedgerError, Policy
from ekyc.ledger.model import RESTART_AFTER
from ekyc.models import Outcome

BAD: list[tuple[str, Any]] = [
    ("schedule", ("60",)),
    ("schedule", 5),
    ("schedule", (math.nan,)),
    ("schedule", (math.inf,)),
    ("schedule", (60.0, True)),
    ("schedule", ()),
    ("schedule", (0,)),
    ("restart_after", "DECLINED"),
    ("restart_after", ["DECLINED", 5]),
    ("restart_after", ["NOPE"]),
    ("restart_after", [Outcome.PENDING]),
    ("restart_after", None),
    ("store_personal_data", "no"),
    ("store_payloads", 0),
    *[(name, value) for name in ("max_pending", "expiry_grace", "claim_timeout", "lease", "repair_after",
                                 "relink_grace") for value in (-1, math.nan, math.inf, "15", True, None)],
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_bad_policy_field_is_a_ledger_error_naming_it(field: str, value: Any) -> None:
    with pytest.raises(LedgerError) as caught:
        Policy(**{field: value})
    assert caught.value.field == field


def test_ordinary_policies_are_kept_as_given_or_normalized() -> None:
    assert Policy().restart_after == RESTART_AFTER and Policy().schedule[0] == 60.0
    # outcome names are read as Outcomes, a list schedule as a tuple (the policy stays hashable)
    policy = Policy(restart_after=["DECLINED", Outcome.REVIEW], schedule=[1, 2.5])
    assert policy.restart_after == frozenset({Outcome.DECLINED, Outcome.REVIEW})
    assert policy.schedule == (1.0, 2.5) and hash(policy)
    assert Policy(restart_after=()).restart_after == frozenset()
    assert Policy(relink_grace=0, claim_timeout=1e9).relink_grace == 0
