"""The conformance kit: shared tests every registered provider gets for free.

Every test here asks for ``provider`` (and the shared ``sandbox`` / ``client`` / ``aclient`` / ``served``
fixtures of ``tests/conftest.py``) and is run once per name in ``registry.names()``: a provider added as a folder
plus one registry line (or an ``ekyc.providers`` entry point, or ``registry.register``) is picked up with no test
edit. What a test needs to know about a provider it reads from the provider's own declarations
(``Provider.documented_success``, ``capabilities``, ``code_table``, the emulator's ``unsupported``), never from
a list kept here.
"""

from __future__ import annotations

from typing import Any

#: (provider, scenario, why) pairs an emulator declared it cannot produce, listed in the summary
UNSUPPORTED: list[tuple[str, str, str]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if UNSUPPORTED:
        terminalreporter.section("unsupported scenario/provider pairs (declared by the emulators)")
        for provider, scenario, why in sorted(set(UNSUPPORTED)):
            terminalreporter.write_line(f"{provider:10} {scenario:22} {why}")
