"""docs/configuration.md's provider table names every provider this package ships with every settings field and
every vendor environment variable its settings model reads (a new user configures from that table). A provider
installed from another package (a copy of the template, issue 12) documents its settings in its own page: it
needs no row here, so adding one stays "one folder, one registry line, one docs page"."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ekyc import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _rows() -> dict[str, tuple[set[str], set[str]]]:
    rows: dict[str, tuple[set[str], set[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[a-z]+`", cells[0]):
            rows[cells[0].strip("`")] = (set(re.findall(r"`([^`]+)`", cells[1])),
                                         set(re.findall(r"`([^`]+)`", cells[2])))
    return rows


SHIPPED = [n for n in registry.names() if registry.load(n).__module__.startswith("ekyc.providers.")]


def test_the_shipped_providers_are_found() -> None:
    assert {"didit", "tencent", "alibaba", "stripe"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_field_and_vendor_variable_is_in_the_table(name: str) -> None:
    rows = _rows()
    assert name in rows, f"docs/configuration.md has no row for {name}"
    fields, variables = rows[name]
    model = registry.load(name).settings_model
    assert set(model.model_fields) - fields == set(), f"{name}: fields missing from docs/configuration.md"
    aliases = {v for names in model.env_aliases.values() for v in names}
    assert aliases - variables == set(), f"{name}: vendor variables missing from docs/configuration.md"
    assert fields <= set(model.model_fields), f"{name}: docs/configuration.md names a field the model lacks"
    assert variables <= aliases, f"{name}: docs/configuration.md names a variable the model does not read"
