"""docs/providers/persona.md holds its capability row and its scenario rendering exactly as the code gives them
(the code table block is checked by the conformance kit). A failure prints the block to paste."""

from __future__ import annotations

from pathlib import Path

from ekyc import registry
from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import run_scenario

PAGE = Path(__file__).resolve().parents[3] / "docs" / "providers" / "persona.md"


def block(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    begin, end = f"<!-- {name}:begin (checked by tests/providers/persona/test_docs_page.py) -->", f"<!-- {name}:end -->"
    assert begin in text and end in text, f"docs/providers/persona.md lacks the {name} block"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def capabilities() -> str:
    rows = registry.load("persona").capabilities.describe()
    return "\n".join(["| capability | Persona |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows.items())])


def scenarios() -> str:
    sandbox = Sandbox(["persona"])
    lines = ["| scenario | expected | Persona renders | decision |", "|---|---|---|---|"]
    with sandbox.client() as client:
        for name, scenario in SCENARIOS.items():
            run = run_scenario(client, sandbox, "persona", name)
            expected = scenario.outcome.value + "".join(f" {r.value}" for r in sorted(scenario.reasons))
            if not run.supported:
                lines.append(f"| `{name}` | {expected} | unsupported: {run.unsupported_reason} | — |")
                continue
            assert run.decision is not None
            codes = sorted({r.provider_code for r in run.decision.reasons
                            if r.provider_code and r.provider_code != run.decision.provider_status})
            rendering = f"`{run.decision.provider_status}`" + "".join(f" + `{c}`" for c in codes)
            mark = "✓" if run.matched else "✗"
            lines.append(f"| `{name}` | {expected} | {rendering} | {mark} {run.decision.outcome.value} |")
    return "\n".join(lines)


def test_capability_row_is_current() -> None:
    assert block("capabilities") == capabilities(), "paste this block:\n" + capabilities()


def test_scenario_rendering_is_current() -> None:
    assert block("scenarios") == scenarios(), "paste this block:\n" + scenarios()
