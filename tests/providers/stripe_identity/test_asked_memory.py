"""What a ref says the create asked for, remembered by its ``extra`` (parse._asked): the same reading as
requested() and requested_types(), read-only, bounded."""

from __future__ import annotations

import pytest

from ekyc.models import SessionRef
from ekyc.providers.stripe import parse


@pytest.mark.parametrize("extra", [(), ("l1s1i0",), ("l0s0i1", "types=id_card.passport"), ("x",),
                                   ("l1s0i0", "types=driving_license", "other")])
def test_remembered_options_read_as_the_ref_says(extra: tuple[str, ...]) -> None:
    ref = SessionRef(provider="stripe", id="vs_1", extra=extra)
    for _ in range(2):  # read, then remembered
        asked, types = parse._asked(ref)
        assert (dict(asked) if asked is not None else None) == parse.requested(ref)
        assert types == parse.requested_types(ref)
    if asked is not None:
        with pytest.raises(TypeError):
            asked["require_id_number"] = True  # type: ignore[index]


def test_the_memory_stays_bounded_and_skips_long_extras() -> None:
    for i in range(3 * parse._MAX_ASKED):
        parse._asked(SessionRef(provider="stripe", id="vs_1", extra=("l1s1i1", f"types=t{i}")))
        assert len(parse._ASKED) <= parse._MAX_ASKED
    long = ("l1s1i1", "types=" + "a" * 300)
    assert parse._asked(SessionRef(provider="stripe", id="vs_1", extra=long))[1] == frozenset({"a" * 300})
    assert long not in parse._ASKED
