"""The template vendor's sandbox emulator: its API and hosted page, faithful to the wire the adapter reads.

A real emulator reproduces the vendor's documented requests, answers, errors and webhooks closely enough that
the vendor's official SDK works against it (tests marked ``oracle``). It renders each catalog scenario
(``ekyc.sandbox.SCENARIOS``) in the vendor's own codes, and declares in :attr:`unsupported` — with the reason —
every scenario the vendor cannot produce.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ekyc.models import Check, Outcome, ReasonCode
from ekyc.sandbox.emulator import Delivery, Emulator, Refusal, read_form, read_json
from ekyc.sandbox.scenarios import PERSON, SCENARIOS, Scenario

from . import signing
from .codes import CODE_TABLE

API_KEY = "template-sandbox-key"
WEBHOOK_SECRET = "template-sandbox-webhook-secret"
#: where a session without a return URL sends the user back
DEFAULT_RETURN = "https://app.invalid/back"
#: where webhooks go until the app sets its URL (the sandbox re-addresses deliveries)
DEFAULT_HOOK = "https://app.invalid/hooks"
#: outcome → the vendor's status code; reason → the vendor's reason code (read back from the code table)
STATUS = {e.outcome: e.code for e in CODE_TABLE.of_kind("status") if e.outcome is not None}
REASON = {e.reason: e.code for e in CODE_TABLE.of_kind("reason") if e.reason is not None}


@dataclass
class TemplateSession:
    """One session as the template vendor keeps it (what ``GET /template/sessions/{id}`` returns, plus the
    return URL the user goes back to)."""

    id: str
    reference: str | None
    return_url: str
    status: str = STATUS[Outcome.PENDING]
    result: dict[str, Any] = field(default_factory=dict)

    def answer(self) -> dict[str, Any]:
        """The vendor's JSON for this session."""
        return {"id": self.id, "status": self.status, "reference": self.reference, **self.result}


class TemplateEmulator(Emulator[TemplateSession]):
    name = "template"
    title = "Template"
    path_prefixes = ("/template/",)
    unsupported = {
        s.name: "the template renders a few scenarios only (a real emulator renders every scenario its vendor "
                "can produce, and says here why it cannot produce the others)"
        for s in SCENARIOS.values()
        if s.outcome not in STATUS or not {r for r in s.reasons if r is not ReasonCode.SESSION_EXPIRED} <= set(REASON)
    }

    def routes(self) -> list[BaseRoute]:
        return [
            self.api_route(f"/{self.name}/sessions", self.create, methods=["POST"]),
            self.api_route(f"/{self.name}/sessions/{{sid}}", self.result, methods=["GET"]),
            self.page_route(f"/{self.name}/page/{{link}}", self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET, "endpoint": base_url}

    async def authenticate(self, request: Request) -> None:
        if request.headers.get("x-key") != API_KEY:
            raise Refusal("unauthorized", "Invalid API key.", status=401)

    def unknown_session(self, session_id: str) -> Refusal:
        return Refusal("not_found", "No such session.", status=404)

    # -- API ---------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await read_json(request, Refusal("invalid_request", "The body is not JSON.", status=400))
        if not isinstance(body, dict) or not isinstance(body.get("reference"), (str, type(None))):
            raise Refusal("invalid_request", "reference must be a string.", status=400)
        sid = self.token(12).replace("-", "a").replace("_", "b")
        record = TemplateSession(sid, body.get("reference"), body.get("return_url") or DEFAULT_RETURN)
        link = self.token(16)  # the hosted page's own bearer token, never the API's session id
        self.open_session(sid, record, reference=record.reference, link=link)
        return JSONResponse({"id": sid, "url": f"{self.sandbox.base_url}/{self.name}/page/{link}"}, status_code=201)

    async def result(self, request: Request) -> Response:
        return JSONResponse(self.session(request.path_params["sid"]).answer())

    # -- hosted page -------------------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        record = self.linked_session(request.path_params["link"])
        sid = record.id
        if request.method == "GET":
            return self.page(title=self.title, session_label=sid[:4] + "…", action="", steps=["Document", "Selfie"])
        scenario = SCENARIOS.get((await read_form(request)).get("scenario", ""))
        if scenario is None or not self.supports(scenario.name):
            raise Refusal("invalid_request", "Pick a scenario this provider supports.", status=400)
        record.status, record.result = render(scenario)
        self.store.put(sid, record)
        self.send_webhook(sid, record.status)
        parts = urlsplit(record.return_url)
        query = "&".join(q for q in (parts.query, urlencode({f"{self.name}_session": sid})) if q)
        return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=303)

    def send_webhook(self, sid: str, status: str) -> None:
        now = int(self.clock.now())
        body = json.dumps({"event_id": self.token(8), "session_id": sid, "status": status,
                           "timestamp": now}).encode()
        headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(body, WEBHOOK_SECRET, now)}
        self.deliver(Delivery(self.name, "POST", DEFAULT_HOOK, headers, body, session_id=sid))


def render(scenario: Scenario) -> tuple[str, dict[str, Any]]:
    """A catalog scenario in the template vendor's codes: (status, the rest of the result)."""
    checks = {c.value: "passed" if scenario.outcome is Outcome.APPROVED else "skipped"
              for c in (Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH)}
    checks.update({c.value: "passed" if ok else "failed" for c, ok in scenario.checks.items() if ok is not None})
    person = {**PERSON, **(scenario.identity or {})}
    return STATUS[scenario.outcome], {
        "reasons": [REASON[r] for r in sorted(scenario.reasons) if r is not ReasonCode.SESSION_EXPIRED],
        "checks": checks,
        "document": {"full_name": person["full_name"], "date_of_birth": person["date_of_birth"].isoformat(),
                     "number": person["document_number"], "type": "passport", "country": person["issuing_country"],
                     "expiry_date": person["expiry_date"].isoformat()},
    }
