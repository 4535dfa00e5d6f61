"""The suite covers a provider registered later with no test edits — and can fail for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_provider_registered_later_is_attacked_with_no_test_edits() -> None:
    """Run the payload attacks with the test-only ``echo`` provider registered (as an entry point would be).
    Its adapter reads a result under any HTTP status, so the lexical attacks must fail for it, naming why."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.adversary.late_provider", "-p", "no:cacheprovider",
         "tests/adversary/test_payloads.py", "-k", "echo", "-q", "-rf"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    out = result.stdout
    assert "test_the_captured_payloads_approve" not in out.split("short test summary", 1)[-1], out[-2000:]
    assert "[echo]" in out, "the suite did not pick up the late provider"
    assert "test_lexical_attacks_never_approve_and_raise_only_typed_errors[echo]" in out, out[-2000:]
    assert "status 201 with the approved body: APPROVED" in out
    assert result.returncode == 1
