"""A minimal provider + emulator used to test the core (registered at run time, never shipped)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import WebhookVerificationError
from ekyc.models import ALL_CHECKS, Decision, DocumentType, Outcome, Session, SessionRef, SessionRequest, WebhookEvent
from ekyc.provider import (
    Capabilities,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
    error_for_status,
    json_body,
    malformed,
)
from ekyc.sandbox.emulator import Delivery, Emulator, read_form
from ekyc.sandbox.scenarios import SCENARIOS

TABLE = CodeTable("echo", [
    CodeEntry("status", "ok", "passed", "test", outcome=Outcome.APPROVED),
    CodeEntry("status", "wait", "pending", "test", outcome=Outcome.PENDING),
], {"status": "Statuses"})


class EchoSettings(ProviderSettings):
    api_key: SecretStr


CAPS = Capabilities(
    check_sets=frozenset({frozenset(ALL_CHECKS)}), document_types=frozenset(DocumentType),
    reference_image=False, expected_identity=False, contact_email=False, return_url_required=False,
    client_metadata_required=False, create_retry=RetryMode.NOT_SENT, webhooks="none",
)


class EchoProvider(Provider):
    name = "echo"
    display_name = "Echo"
    settings_model = EchoSettings
    capabilities = CAPS
    code_table = TABLE
    documented_success = frozenset({("status", "ok")})
    emulator = "tests.support.echo:EchoEmulator"

    def _headers(self) -> dict[str, str]:
        return {"x-key": self.settings.secret("api_key")}

    def build_create(self, request: SessionRequest) -> Prepared:
        url = self.base_url("https://echo.invalid") + f"/{self.name}/sessions"
        body = json.dumps({"reference": request.reference}).encode()
        return Prepared(httpx.Request("POST", url, content=body, headers=self._headers()), "create",
                        RetryMode.NOT_SENT)

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise error_for_status(self.name, response)
        return json_body(self.name, response)

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        data = self._check(response)
        with malformed(self.name, "session"):
            return Session(ref=SessionRef(provider=self.name, id=data["id"]), url=data["url"])

    def build_result(self, ref: SessionRef) -> Prepared:
        url = self.base_url("https://echo.invalid") + f"/{self.name}/sessions/{ref.id}"
        return Prepared(httpx.Request("GET", url, headers=self._headers()), "result", RetryMode.READ,
                        {"ref": ref})

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        data = self._check(response)
        with malformed(self.name, "result"):
            entry = TABLE.get("status", data["status"])
            outcome = entry.outcome if entry and entry.outcome else Outcome.ERROR
            return Decision(ref=prepared.context["ref"], outcome=outcome, provider_status=data["status"], raw=data)

    def parse_return_url(self, url: str) -> SessionRef:
        q = parse_qs(urlsplit(url).query)
        if f"{self.name}_id" not in q:
            raise WebhookVerificationError("not ours", provider=self.name)
        return SessionRef(provider=self.name, id=q[f"{self.name}_id"][0])

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise WebhookVerificationError("echo has no webhooks", provider=self.name)


class EchoEmulator(Emulator):
    name = "echo"
    title = "Echo"
    path_prefixes = ("/echo/",)
    unsupported = {s: "echo only approves" for s in SCENARIOS if s != "approved"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"/{self.name}/sessions", self.create, methods=["POST"]),
            Route(f"/{self.name}/sessions/{{sid}}", self.result, methods=["GET"]),
            Route(f"/{self.name}/page/{{sid}}", self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {"api_key": "echo-key", "endpoint": base_url}

    async def create(self, request: Request) -> Response:
        if request.headers.get("x-key") != "echo-key":
            return JSONResponse({"detail": "bad key"}, status_code=401)
        sid = self.token(6)
        self.store.put(sid, {"status": "wait"})
        return JSONResponse({"id": sid, "url": f"{self.sandbox.base_url}/{self.name}/page/{sid}"}, status_code=201)

    async def result(self, request: Request) -> Response:
        s = self.store.get(request.path_params["sid"])
        if s is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return JSONResponse(s)

    async def hosted(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        if request.method == "GET":
            return self.page(title="Echo", session_label=sid, action="", steps=["Document", "Result"])
        form = await read_form(request)
        self.store.put(sid, {"status": "ok" if form.get("scenario") == "approved" else "wait"})
        self.deliver(Delivery(self.name, "POST", "https://app.invalid/hook", {}, b"{}", session_id=sid))
        return RedirectResponse(f"https://app.invalid/back?{self.name}_id={sid}", status_code=303)


def make_echo(name: str, capabilities: Capabilities = CAPS) -> type[EchoProvider]:
    """Another echo-shaped provider under ``name`` (its emulator serves ``/<name>/…``)."""
    emulator = type(f"{name.title()}Emulator", (EchoEmulator,), {"name": name, "title": name.title(),
                                                                     "path_prefixes": (f"/{name}/",)})
    globals()[emulator.__name__] = emulator
    return type(f"{name.title()}Provider", (EchoProvider,), {
        "name": name, "display_name": name.title(), "capabilities": capabilities,
        "emulator": f"tests.support.echo:{emulator.__name__}",
    })
