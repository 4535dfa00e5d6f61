"""The app's ``current_user`` answer and the return path's methods, for every registered provider: a value that is
not a reference is a clean 500 ``configuration`` answer (never a traceback) on every user endpoint; an int or a
UUID is the reference's text; HEAD on the return path is refused (it would fetch and write)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from ekyc.integrations import Config
from ekyc.integrations.starlette import Verification
from ekyc.ledger import AsyncLedger
from ekyc.ledger.vault import generate_key
from ekyc.sandbox import Sandbox
from tests.integrations.test_starlette import APP, DEAD_URL, FIELDS
from tests.support.clients import quick_async_client

USERS: dict[str, Any] = {"object": object(), "list": ["alice"], "empty": "", "bool": True, "newline": "a\nb"}
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.fixture
async def app(provider: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncLedger, Sandbox]]:
    sandbox = Sandbox([provider], webhook_url=DEAD_URL)
    sandbox.on_sent = lambda *args: None
    async with quick_async_client(sandbox) as client, AsyncLedger(
            str(tmp_path / "ledger.db"), client, key=generate_key(), clock=sandbox.clock.now) as ledger:
        await ledger.migrate()

        def current_user(request: Request) -> Any:
            name = request.headers.get("x-user", "")
            return ID if name == "uuid" else 42 if name == "int" else USERS.get(name, name or None)

        kyc = Verification(ledger, current_user,
                           config=Config(provider=provider, after_return="/done", request_fields=FIELDS))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(Starlette(routes=kyc.routes)),
                                     base_url=APP) as http:
            yield http, ledger, sandbox


@pytest.mark.parametrize("user", sorted(USERS))
async def test_a_current_user_that_is_not_a_reference_is_a_clean_500(app: Any, provider: str, user: str) -> None:
    http, _, sandbox = app
    headers = {"x-user": user, "origin": APP}
    for method, path in [("GET", "/kyc/start"), ("POST", "/kyc/start"), ("GET", f"/kyc/return/{provider}?x=1"),
                         ("GET", "/kyc/status")]:
        answer = await http.request(method, path, headers=headers)
        assert (answer.status_code, answer.json()) == (500, {"error": "configuration"}), (method, path)
    assert sandbox.sessions(provider) == []


async def test_an_int_or_uuid_user_is_its_text(app: Any) -> None:
    http, ledger, _ = app
    for user, reference in [("uuid", str(ID)), ("int", "42")]:
        answer = await http.get("/kyc/status", headers={"x-user": user})
        assert answer.status_code == 200 and answer.json()["state"] == "NONE"
        assert await ledger.status(reference) is None


async def test_head_on_the_return_path_is_refused(app: Any, provider: str) -> None:
    http, ledger, _ = app
    answer = await http.head(f"/kyc/return/{provider}?x=1", headers={"x-user": "alice"})
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
    assert await ledger.events(reference="alice") == []
