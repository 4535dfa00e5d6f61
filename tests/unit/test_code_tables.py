"""Across every registered provider: only documented success codes map to APPROVED."""

from __future__ import annotations

from ekyc import registry
from ekyc.models import Outcome

DOCUMENTED_SUCCESS = {("didit", "status", "Approved"), ("tencent", "result", "0"),
                      ("alibaba", "passed", "Y"), ("alibaba", "subcode", "200")}


def test_only_documented_successes_approve() -> None:
    approving = {(name, e.kind, e.code) for name in registry.names()[:3] for e in registry.load(name).code_table
                 if e.outcome is Outcome.APPROVED}
    assert approving == DOCUMENTED_SUCCESS


def test_every_entry_names_its_source() -> None:
    for name in registry.names()[:3]:
        for e in registry.load(name).code_table:
            assert e.source.strip(), f"{name} {e.kind} {e.code} has no source"
            if e.outcome is Outcome.APPROVED:
                assert e.source != "unknown"
