"""Every registered provider: exactly the codes it declares as its documented success map to APPROVED, each
with a real source; every entry names where its meaning comes from."""

from __future__ import annotations

from ekyc import registry
from ekyc.models import Outcome


def test_only_the_declared_documented_successes_approve(provider: str) -> None:
    cls = registry.load(provider)
    approving = {(e.kind, e.code) for e in cls.code_table if e.outcome is Outcome.APPROVED}
    assert cls.documented_success, f"{provider} declares no documented success (Provider.documented_success)"
    assert approving == cls.documented_success, (
        f"{provider}: codes mapping to APPROVED {sorted(approving)} != the declared documented success "
        f"{sorted(cls.documented_success)}")


def test_every_documented_success_names_its_source(provider: str) -> None:
    table = registry.load(provider).code_table
    for kind, code in registry.load(provider).documented_success:
        entry = table.get(kind, code)
        assert entry is not None, f"{provider}: documented success {kind} {code} is not in the code table"
        assert entry.source.strip() and entry.source != "unknown", f"{provider} {kind} {code}: no source"


def test_every_entry_names_its_source(provider: str) -> None:
    for e in registry.load(provider).code_table:
        assert e.source.strip(), f"{provider} {e.kind} {e.code} has no source"
        assert e.code == e.code.strip() and e.code, f"{provider} {e.kind} {e.code!r}: a code is its exact text"
