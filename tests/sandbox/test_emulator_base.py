"""The emulator base every provider builds on: routes that authenticate and answer refusals in the vendor's
envelope, hosted pages that answer them as HTML, one session store, JSON reading, and the query string as a
real argument of ``claims`` (the server passes it; no pseudo-header)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox import Sandbox, SandboxClock
from ekyc.sandbox.emulator import Emulator, Refusal, read_json
from ekyc.sandbox.transport import SyncASGITransport


class Toy(Emulator):
    """A vendor that wants ``x-key: k`` and answers errors as ``{"err": {"c", "m", "f"}}`` with status 418
    by default."""

    name = "toy"
    title = "Toy <Vendor>"
    path_prefixes = ("/toy/",)
    link_missing = "No such link."

    def routes(self) -> list[BaseRoute]:
        return [
            self.api_route("/toy/s", self.create, methods=["POST"]),
            self.api_route("/toy/s/{sid}", self.read, methods=["GET"]),
            self.api_route("/toy/open", self.read_open, methods=["GET"], authenticate=False),
            self.page_route("/toy/page/{token}", self.page_view, methods=["GET"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        return {}

    async def authenticate(self, request: Request) -> None:
        if request.headers.get("x-key") != "k":
            raise Refusal("Auth", "bad key", status=401)

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        return JSONResponse({"err": {"c": refusal.code, "m": refusal.message, "f": refusal.field}},
                            status_code=refusal.status or 418, headers=dict(refusal.headers))

    def unknown_session(self, session_id: str) -> Refusal:
        return Refusal("NoSession", f"no session {session_id}", status=404)

    async def create(self, request: Request) -> Response:
        data = await read_json(request, Refusal("Json", "not json"), empty={})
        if not isinstance(data, dict) or not isinstance(data.get("ref"), str):
            raise Refusal("Field", "ref is required", field="ref", headers={"x-why": "ref"})
        sid = self.token(6)
        link = self.token(6)
        self.open_session(sid, {"id": sid, "ref": data["ref"]}, reference=data["ref"], link=link,
                          ttl=data.get("ttl"))
        return JSONResponse({"id": sid, "link": link}, status_code=201)

    async def read(self, request: Request) -> Response:
        return JSONResponse(self.session(request.path_params["sid"]))

    async def read_open(self, request: Request) -> Response:
        return JSONResponse({"open": True})

    async def page_view(self, request: Request) -> Response:
        record = self.linked_session(request.path_params["token"])
        if record["ref"] == "closed":
            raise Refusal("Closed", "finished <here>", status=409)
        return JSONResponse(record)


@pytest.fixture
def toy() -> Iterator[tuple[Toy, httpx.Client]]:
    sandbox: Any = SimpleNamespace(clock=SandboxClock(), base_url="http://toy.invalid")
    emulator = Toy(sandbox)
    transport = SyncASGITransport(Starlette(routes=emulator.routes()), lambda request: None)
    with httpx.Client(transport=transport, base_url="http://toy.invalid") as http:
        yield emulator, http


def test_api_routes_authenticate_and_refuse_in_the_vendor_envelope(toy: tuple[Toy, httpx.Client]) -> None:
    emulator, http = toy
    r = http.post("/toy/s", json={"ref": "u1"})
    assert r.status_code == 401 and r.json() == {"err": {"c": "Auth", "m": "bad key", "f": None}}
    assert emulator.store.get("anything") is None and emulator.session_records() == []
    r = http.post("/toy/s", content=b"{nope", headers={"x-key": "k"})
    assert r.status_code == 418 and r.json()["err"]["c"] == "Json"
    r = http.post("/toy/s", json=["ref"], headers={"x-key": "k"})
    assert r.json() == {"err": {"c": "Field", "m": "ref is required", "f": "ref"}} and r.headers["x-why"] == "ref"
    assert http.get("/toy/open").json() == {"open": True}  # authenticate=False


def test_one_store_with_the_vendor_not_found_and_page_links(toy: tuple[Toy, httpx.Client]) -> None:
    emulator, http = toy
    created = http.post("/toy/s", json={"ref": "u1", "ttl": 60}, headers={"x-key": "k"}).json()
    assert http.get(f"/toy/s/{created['id']}", headers={"x-key": "k"}).json() == {"id": created["id"], "ref": "u1"}
    assert [(r.session_id, r.reference) for r in emulator.session_records()] == [(created["id"], "u1")]
    assert [v["id"] for v in emulator.store.values()] == [created["id"]]
    missing = http.get("/toy/s/zzz", headers={"x-key": "k"})
    assert missing.status_code == 404 and missing.json()["err"] == {"c": "NoSession", "m": "no session zzz", "f": None}
    assert http.get(f"/toy/page/{created['link']}").json()["ref"] == "u1"
    emulator.clock.advance(61)  # the ttl runs on the sandbox clock, for the session and its link
    assert http.get(f"/toy/s/{created['id']}", headers={"x-key": "k"}).status_code == 404
    gone = http.get(f"/toy/page/{created['link']}")
    assert gone.status_code == 404 and "No such link." in gone.text and "text/html" in gone.headers["content-type"]


def test_page_routes_answer_refusals_as_escaped_html(toy: tuple[Toy, httpx.Client]) -> None:
    http = toy[1]
    created = http.post("/toy/s", json={"ref": "closed"}, headers={"x-key": "k"}).json()
    page = http.get(f"/toy/page/{created['link']}")
    assert page.status_code == 409 and "finished &lt;here&gt;" in page.text and "Toy &lt;Vendor&gt;" in page.text
    assert "<here>" not in page.text


def test_the_query_string_is_an_argument_of_claims_in_process_and_for_faults() -> None:
    """Alibaba's V2-style RPC call is addressed by an ``Action`` query parameter alone: the server hands the query
    to ``claims`` when routing the request and when applying the connect fault."""
    sandbox = Sandbox(["alibaba"])
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        r = http.get("/", params={"Action": "CheckResult"})
        assert r.json()["Code"] == "IncompleteSignature"  # claimed by Alibaba, refused in its envelope
        assert "<h1>ekyc sandbox</h1>" in http.get("/", params={"Other": "x"}).text  # nobody's: the index page
        sandbox.set_fault("alibaba", "connect")
        with pytest.raises(httpx.ConnectError):
            http.get("/", params={"Action": "CheckResult"})


def test_throttling_is_a_refusal_in_the_vendor_envelope(toy: tuple[Toy, httpx.Client]) -> None:
    response = toy[0].fault_response("429")
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert json.loads(bytes(response.body)) == {"err": {"c": "Throttled", "m": "Request was throttled.", "f": None}}
    didit = Sandbox(["didit"]).emulators["didit"].fault_response("429")
    assert didit.status_code == 429 and json.loads(bytes(didit.body)) == {"detail": "Request was throttled."}
    assert toy[0].fault_response("503").status_code == 503
