"""The ``ekyc`` command line (needs the ``cli`` extra: typer, rich, starlette, uvicorn)."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the ``ekyc`` command."""
    try:
        from .app import app
    except ImportError as exc:  # pragma: no cover - depends on the install
        sys.stderr.write(f"ekyc: the command line needs the 'cli' extra (pip install 'ekyc-bridge[cli]'): {exc}\n")
        raise SystemExit(2) from None
    app()
