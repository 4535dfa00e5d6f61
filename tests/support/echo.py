"""The test-only ``echo`` provider: the provider template (``ekyc/providers/_template``) under test names.

``EchoProvider`` is the template registered as ``echo`` for core tests (``tests/conftest.py`` registers it on
demand); :func:`make_echo` gives another copy under any name, with its emulator serving ``/<name>/…``.
``APPROVED`` / ``CREATED`` are the template's wire answers, for tests that mock its HTTP API (respx).
"""

from __future__ import annotations

from typing import Any

from ekyc.provider import Capabilities
from ekyc.providers._template import TemplateProvider
from ekyc.providers._template.emulator import TemplateEmulator

#: a result the template reads as APPROVED (every sub-check passed)
APPROVED: dict[str, Any] = {"status": "ok", "checks": {"document": "passed", "liveness": "passed",
                                                       "face_match": "passed"}}


def make_echo(name: str, capabilities: Capabilities | None = None) -> type[TemplateProvider]:
    """The template under ``name`` (its emulator serves ``/<name>/…``; ``capabilities`` replace the template's)."""
    emulator = type(f"{name.title()}Emulator", (TemplateEmulator,), {"name": name, "title": name.title(),
                                                                     "path_prefixes": (f"/{name}/",)})
    globals()[emulator.__name__] = emulator
    return type(f"{name.title()}Provider", (TemplateProvider,), {
        "name": name, "display_name": name.title(), "capabilities": capabilities or TemplateProvider.capabilities,
        "emulator": f"tests.support.echo:{emulator.__name__}",
    })


EchoProvider = make_echo("echo")
