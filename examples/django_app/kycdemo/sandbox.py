"""The local sandbox the example talks to: every provider's emulator served on loopback (its hosted pages open in
the browser), sending its webhooks and callbacks to this app's ``/kyc/webhooks/<provider>``.

``EKYC["CLIENT"] = "kycdemo.sandbox.client"`` makes the ekyc app use it. A real app has no such module: it
configures its provider (``EKYC_PROVIDER=didit``, ``EKYC_DIDIT_API_KEY=…``) and leaves ``EKYC["CLIENT"]`` out.
"""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack

from ekyc import Client
from ekyc.cli.serve import serve_in_thread
from ekyc.sandbox import Sandbox

_lock = threading.Lock()
_stack = ExitStack()
_served: Sandbox | None = None


def start(app_url: str, *, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
    """Serve the sandbox (once per process) with its deliveries going to ``app_url`` (this app's address)."""
    global _served
    with _lock:
        if _served is None:
            sandbox = _stack.enter_context(serve_in_thread(host, port))
            for name in sandbox.providers:
                sandbox.set_webhook_url(f"{app_url.rstrip('/')}/kyc/webhooks/{name}", name)
            _served = sandbox
        return _served


def stop() -> None:
    global _served
    with _lock:
        _stack.close()
        _served = None


def client() -> Client:
    """A client of the served sandbox (started on first use, with ``$KYCDEMO_APP_URL`` as this app's address)."""
    sandbox = _served or start(os.environ.get("KYCDEMO_APP_URL", "http://127.0.0.1:8000"))
    return sandbox.client()
