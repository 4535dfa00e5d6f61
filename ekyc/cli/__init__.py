"""The ``ekyc`` command line (needs the ``cli`` extra: typer, rich, starlette, uvicorn). See ``docs/cli.md``."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ekyc`` command: exits with the command's documented code, never a traceback."""
    try:
        from .app import app
    except ImportError as exc:
        missing = exc.name or "a dependency"
        sys.stderr.write(f"error: the ekyc command needs the 'cli' extra ({missing} is not installed): "
                         "pip install 'ekyc-bridge[cli]'\n")
        raise SystemExit(2) from None
    app(args=list(argv) if argv is not None else None, prog_name="ekyc")
