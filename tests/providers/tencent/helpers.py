"""Helpers shared by the Tencent tests."""

from __future__ import annotations

from typing import Any

import httpx

from ekyc.models import Session
from ekyc.sandbox import Sandbox


def complete_with(sandbox: Sandbox, session: Session, **form: str) -> str:
    """Complete a hosted page with arbitrary form fields (``code=``/``kind=``); returns the redirect."""
    with httpx.Client(transport=sandbox.transport(), follow_redirects=False) as http:
        assert http.get(session.url).status_code == 200
        done = http.post(session.url, data=form)
    assert done.status_code == 303, done.text
    return done.headers["location"]


def envelope_response(payload: Any, status: int = 200, content_type: str = "application/json") -> httpx.Response:
    """An httpx response carrying ``payload`` (bytes sent as-is, anything else JSON-encoded)."""
    import json

    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return httpx.Response(status, content=content, headers={"content-type": content_type})
