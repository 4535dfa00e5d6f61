"""Every response the Onfido emulator serves, and every request the adapter builds, validates against Onfido's
OpenAPI spec v3.6 (openapi-core, not a hand-written checker); every API route the emulator serves is exercised.

Webhook bodies validate against ``components.schemas.webhook_event``, with the one stray ``required`` of
``webhook_event_payload`` (``event``, ``resource_id``: names the schema never defines, which onfido-python
drops too) removed — see the provider's NOTES.md.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from ekyc.providers.onfido.emulator import SANDBOX_API_TOKEN, OnfidoEmulator
from ekyc.sandbox import SCENARIOS, Sandbox
from ekyc.sandbox.runner import scenario_request

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type")  # the spec's OAuth2 scheme (unused)
openapi_core = pytest.importorskip("openapi_core")
from openapi_core import OpenAPI  # noqa: E402
from openapi_core.testing import MockRequest, MockResponse  # noqa: E402
from openapi_schema_validator import OAS30Validator  # noqa: E402

#: the spec's server (https://api.{region}.onfido.com/v3.6) stands in for the sandbox's address
SPEC_HOST = "https://api.eu.onfido.com"
AUTH = {"Authorization": f"Token token={SANDBOX_API_TOKEN}"}
#: routes that are not part of the API (the hosted link page a browser opens)
PAGES = {"/onfido/l/{token}"}


class Recorder(httpx.BaseTransport):
    """Wraps the sandbox transport and keeps every exchange (``check_request`` False: deliberately invalid)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[httpx.Request, httpx.Response, bool]] = []
        self.check_request = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.seen.append((request, response, self.check_request))
        return response


def _mock(request: httpx.Request) -> Any:
    return MockRequest(SPEC_HOST, request.method.lower(), request.url.path, args=dict(request.url.params),
                       headers=dict(request.headers), data=request.content or None,
                       content_type=request.headers.get("content-type", "application/json"))


@pytest.fixture(scope="module")
def traffic() -> tuple[Sandbox, Recorder]:
    """Every scenario through the ekyc client, then every route directly (happy paths and errors)."""
    sandbox = Sandbox(["onfido"])
    rec = Recorder(sandbox.transport())
    with httpx.Client(transport=rec, base_url=f"{sandbox.base_url}/v3.6") as http:  # every event, from now on
        http.post("/webhooks", headers=AUTH, json={"url": "https://app.example/hooks/onfido"})
    with sandbox.client(transport=rec, sleep=lambda s: None) as client:
        for name in SCENARIOS:
            if not sandbox.emulators["onfido"].supports(name):
                continue
            session = client.create_session(scenario_request("onfido", name), provider="onfido")
            sandbox.complete(session, name)
            client.get_result(session.ref)
        bare = client.create_session(reference="no-names", return_url="https://app.example/back",
                                     contact_email="jane@example.com", language="de", provider="onfido")
        sandbox.complete(bare, "approved")
        client.get_result(bare.ref)
    emulator: OnfidoEmulator = sandbox.emulators["onfido"]  # type: ignore[assignment]
    applicant = next(iter(emulator._applicants))
    check = next(iter(emulator._checks))
    report = next(iter(emulator._reports))
    run = next(iter(emulator._runs))
    with httpx.Client(transport=rec, base_url=f"{sandbox.base_url}/v3.6") as http:
        http.get("/ping")
        http.get("/applicants", headers=AUTH, params={"page": 1, "per_page": 2})
        http.get("/applicants", headers=AUTH, params={"page": 2, "per_page": 2, "include_deleted": "false"})
        http.get(f"/applicants/{applicant}", headers=AUTH)
        http.get("/applicants/6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00", headers=AUTH)
        http.get("/workflow_runs", headers=AUTH, params={"status": "approved,declined", "sort": "asc"})
        http.get("/workflow_runs", headers=AUTH, params={"applicant_id": applicant})
        http.get(f"/workflow_runs/{run}", headers=AUTH)
        http.get(f"/checks/{check}", headers=AUTH)
        http.get(f"/reports/{report}", headers=AUTH)
        http.get("/reports/6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00", headers=AUTH)
        http.post("/webhooks", headers=AUTH, json={"url": "https://app.example/hooks/onfido", "name": "ekyc",
                                                    "events": ["workflow_run.completed"]})
        http.get("/webhooks", headers=AUTH)
        http.get(f"/workflow_runs/{run}", headers={"Authorization": "Token token=wrong"})
        rec.check_request = False  # the requests below are invalid on purpose: only the answers are checked
        http.get(f"/workflow_runs/{run}")
        http.post("/applicants", headers=AUTH, json={"first_name": "Jane"})
        http.post("/applicants", headers=AUTH, content=b"{not json", )
        http.post("/workflow_runs", headers=AUTH, json={"workflow_id": "nope", "applicant_id": applicant,
                                                         "custom_data": {"colour": "blue"}})
        http.get("/checks", headers=AUTH)
        http.get("/reports", headers=AUTH, params={"check_id": "x"})
        http.post("/webhooks", headers=AUTH, json={"url": "ftp://nope"})
        rec.check_request = True
    return sandbox, rec


def test_every_request_and_response_validates(spec: dict[str, Any], traffic: tuple[Sandbox, Recorder]) -> None:
    api = OpenAPI.from_dict(spec)
    _, rec = traffic
    assert len(rec.seen) > 40
    for request, response, check_request in rec.seen:
        mock = _mock(request)
        if check_request:
            api.validate_request(mock)
        api.validate_response(mock, MockResponse(response.content, status_code=response.status_code,
                                                 headers=dict(response.headers),
                                                 content_type=response.headers.get("content-type")))


def test_the_error_answers_are_onfido_envelopes(traffic: tuple[Sandbox, Recorder]) -> None:
    _, rec = traffic
    statuses = {r.status_code for _, r, _ in rec.seen if r.status_code >= 400}
    assert statuses == {400, 401, 404, 422}
    for _, response, _ in rec.seen:
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error"} and isinstance(body["error"]["type"], str)


def test_every_api_route_is_exercised(traffic: tuple[Sandbox, Recorder]) -> None:
    sandbox, rec = traffic
    hit = {(req.method, req.url.path) for req, _, _ in rec.seen}
    for route in sandbox.emulators["onfido"].routes():
        assert isinstance(route, Route)
        if route.path in PAGES:
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            assert any(m == method and route.path_regex.match(path) for m, path in hit), (method, route.path)


def _webhook_schema(spec: dict[str, Any]) -> dict[str, Any]:
    components = copy.deepcopy(spec["components"])
    payload = components["schemas"]["webhook_event_payload"]
    payload["required"] = [r for r in payload["required"] if r in payload["properties"]]
    return {"$ref": "#/components/schemas/webhook_event", "components": components}


def test_every_webhook_validates(spec: dict[str, Any], traffic: tuple[Sandbox, Recorder]) -> None:
    sandbox, _ = traffic
    validator = OAS30Validator(_webhook_schema(spec))
    deliveries = sandbox.deliveries("onfido")
    assert {json.loads(d.body)["payload"]["action"] for d in deliveries} == {"check.completed",
                                                                             "workflow_run.completed"}
    for delivery in deliveries:
        validator.validate(json.loads(delivery.body))


def test_the_spec_catches_a_wrong_shape(spec: dict[str, Any]) -> None:
    """The validator is not a rubber stamp: a run without its id, or an undocumented status, fails."""
    api = OpenAPI.from_dict(spec)
    request = MockRequest(SPEC_HOST, "get", "/v3.6/workflow_runs/6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00",
                          headers=AUTH)
    good = {"id": "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00", "applicant_id": "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f01",
            "workflow_id": "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f02", "status": "approved"}
    api.validate_response(request, MockResponse(json.dumps(good).encode()))
    for bad in ({k: v for k, v in good.items() if k != "id"}, {**good, "status": "passed"}):
        with pytest.raises(Exception, match=re.compile("invalid|Invalid")):
            api.validate_response(request, MockResponse(json.dumps(bad).encode()))
    webhook = OAS30Validator(_webhook_schema(spec))
    assert not webhook.is_valid({"payload": {"action": "workflow_run.completed"}})  # no resource_type
