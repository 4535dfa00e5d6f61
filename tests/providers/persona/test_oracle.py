"""Persona's OpenAPI description (2025-12-08) is the oracle: every request the adapter (and its extension)
builds, every API response the emulator serves and every webhook it sends validates against it with
``openapi-core`` — and the routes checked cover every route the adapter calls and the emulator serves.

The spec is Persona's own file (``persona-id/persona-openapi``), shipped gzipped next to this test with its
SHA-256; when ``../shared/reference/specs`` is present the copy must be byte-identical. openapi-core's own
check of the whole document is skipped (``spec_validator_cls=None``): the file carries an ``x-`` key next to a
``$ref`` in an unrelated Connect example, which OpenAPI 3.1's meta-schema refuses; every schema used here is
validated as written.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ekyc.models import Check, DocumentType, ExpectedIdentity, SessionRequest
from ekyc.providers.persona.adapter import API_PREFIX
from ekyc.providers.persona.emulator import GOVERNMENT_ID_TEMPLATE, SANDBOX_API_KEY, SELFIE_TEMPLATE, PersonaEmulator
from ekyc.sandbox import SCENARIOS, Sandbox

from .conftest import make_provider

openapi_core = pytest.importorskip("openapi_core")
from openapi_core import Config, OpenAPI  # noqa: E402
from openapi_core.datatypes import RequestParameters  # noqa: E402
from openapi_core.testing import MockRequest, MockResponse  # noqa: E402
from openapi_core.validation.request.validators import (  # noqa: E402
    V31WebhookRequestBodyValidator,
    V31WebhookRequestParametersValidator,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict  # noqa: E402

pytestmark = pytest.mark.oracle

SPEC_GZ = Path(__file__).parent / "fixtures" / "persona-openapi-2025-12-08.json.gz"
SPEC_SHA256 = "e90ec8ed2b7d4fe4941c7f74cbd662d63400f15cd75c03ae6ea4515d25e8ef46"
SHARED = Path(__file__).parents[3] / ".." / "shared" / "reference" / "specs" / "persona-openapi-2025-12-08.json"
HOST = "https://api.withpersona.com"


@pytest.fixture(scope="module")
def api() -> OpenAPI:
    raw = gzip.decompress(SPEC_GZ.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == SPEC_SHA256
    if SHARED.exists():
        assert SHARED.read_bytes() == raw, "the shipped spec differs from shared/reference/specs"
    return OpenAPI.from_dict(json.loads(raw), config=Config(spec_validator_cls=None))


def _template(path: str) -> str:
    """``/api/v1/inquiries/inq_x/generate-one-time-link`` → ``/api/v1/inquiries/{}/generate-one-time-link``."""
    return re.sub(r"/inq_[A-Za-z0-9]+", "/{}", path)


def mock_request(request: httpx.Request) -> MockRequest:
    url = request.url
    return MockRequest(HOST, request.method, url.path, args=dict(url.params),
                       headers=dict(request.headers), data=request.content or None,
                       content_type=request.headers.get("content-type", "application/json"))


def mock_response(response: httpx.Response) -> MockResponse:
    return MockResponse(response.content, status_code=response.status_code, headers=dict(response.headers),
                        content_type=response.headers.get("content-type", "application/json").split(";")[0])


def errors(iterator: Iterator[Exception]) -> list[str]:
    out = []
    for e in iterator:
        detail = e
        while detail.__cause__ is not None:
            detail = detail.__cause__
        out.append(f"{type(e).__name__}: {str(detail)[:600]}")
    return out


@dataclass
class Recorder(httpx.BaseTransport):
    """Passes every exchange to the sandbox and keeps it."""

    inner: httpx.BaseTransport
    seen: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.seen.append((request, response))
        return response


@dataclass
class WebhookRequest:
    """A webhook delivery as openapi-core's ``WebhookRequest`` protocol reads it."""

    name: str
    body: bytes
    headers: dict[str, str]
    method: str = "post"
    content_type: str = "application/json"

    @property
    def parameters(self) -> RequestParameters:
        return RequestParameters(header=Headers(self.headers), query=ImmutableMultiDict(),
                                 cookie=ImmutableMultiDict(), path={})


def _request(name: str, **kw: Any) -> SessionRequest:
    values: dict[str, Any] = {"reference": f"user-{name}", "return_url": "https://app.example/kyc/return",
                              "checks": frozenset(Check), "document_types": (DocumentType.PASSPORT,),
                              "country": "GBR"}
    values.update(kw)
    return SessionRequest(**values)


ADAPTER_REQUESTS: list[tuple[str, SessionRequest]] = [
    ("minimal", SessionRequest(reference="u-1")),
    ("everything", _request("all", expected=ExpectedIdentity(given_name="Jane", family_name="Sample",
                                                             date_of_birth="1990-01-02", document_number="X1"),
                            contact_email="jane@example.com",
                            provider_options={"persona": {"link_expires_in": 3600, "note": "hello",
                                                          "inquiry_template_id": "itmplv_Version1"}})),
    ("legacy template", _request("legacy", provider_options={"persona": {"inquiry_template_id": "tmpl_Legacy1"}})),
]


@pytest.mark.parametrize(("label", "req"), ADAPTER_REQUESTS, ids=[a for a, _ in ADAPTER_REQUESTS])
def test_every_create_the_adapter_builds_validates(api: OpenAPI, label: str, req: SessionRequest) -> None:
    adapter = make_provider()
    adapter.check_request(req)
    prepared = adapter.build_create(req)
    assert errors(api.iter_request_errors(mock_request(prepared.request))) == []


def test_every_other_request_the_adapter_builds_validates(api: OpenAPI) -> None:
    adapter = make_provider()
    built: list[httpx.Request] = [adapter.build_result(adapter.parse_return_url("https://a.example/?inquiry-id=inq_A1")
                                                       ).request]

    def capture(build: Any, parse: Any) -> None:
        built.append(build().request)

    ops = adapter.extension(capture)
    ops.one_time_link("inq_A1")
    ops.one_time_link("inq_A1", expires_in=600)
    ops.simulate("inq_A1", ["start_inquiry", "complete_inquiry", "approve_inquiry",
                            {"type": "create_failed_verification", "data": {"verification-template-id": "vtmpl_X"}}])
    ops.redact("inq_A1")
    for request in built:
        assert errors(api.iter_request_errors(mock_request(request))) == [], request.url.path


@pytest.fixture
def recorded() -> tuple[Sandbox, Recorder]:
    """A sandbox session of everything: every scenario, the extension's calls and the error answers."""
    sandbox = Sandbox(["persona"])
    sandbox.emulators["persona"].enabled_events.add("inquiry.created")  # validate that body too
    recorder = Recorder(sandbox.transport())
    with sandbox.client(transport=recorder) as kyc:
        ops = kyc.extension("persona")
        for name in SCENARIOS:
            if name in PersonaEmulator.unsupported:
                continue
            session = kyc.create_session(_request(name))
            sandbox.complete(session, name)
            kyc.get_result(session.ref)
        session = kyc.create_session(_request("ops"))
        ops.one_time_link(session.ref, expires_in=900)
        ops.simulate(session.ref, ["start_inquiry", {"type": "create_passed_verification",
                                                     "data": {"verification-template-id": GOVERNMENT_ID_TEMPLATE}},
                                   {"type": "create_failed_verification",
                                    "data": {"verification-template-id": SELFIE_TEMPLATE}},
                                   "complete_inquiry", "mark_for_review_inquiry", "approve_inquiry"])
        kyc.get_result(session.ref)
        ops.redact(session.ref)
        kyc.get_result(session.ref)
    http = httpx.Client(transport=recorder, base_url=sandbox.base_url)
    auth = {"Authorization": f"Bearer {SANDBOX_API_KEY}", "Persona-Version": "2025-12-08"}
    iid = session.ref.id
    http.delete(f"{API_PREFIX}/inquiries/{iid}", headers=auth)  # 409: already redacted
    http.get(f"{API_PREFIX}/inquiries/inq_Missing1", headers=auth)  # 404
    http.get(f"{API_PREFIX}/inquiries/{iid}", headers={"Authorization": "Bearer wrong"})  # 401
    body = {"data": {"attributes": {"inquiry-template-id": "itmpl_EkycSandboxKyc1"}}}
    http.post(f"{API_PREFIX}/inquiries", json={"data": {}}, headers=auth)  # 400
    http.post(f"{API_PREFIX}/inquiries", json=body, headers={**auth, "Idempotency-Key": "k"})
    http.post(f"{API_PREFIX}/inquiries", json={**body, "meta": {"auto-create-one-time-link": True}},
              headers={**auth, "Idempotency-Key": "k"})  # 409: other parameters
    http.post(f"{API_PREFIX}/inquiries/{iid}/generate-one-time-link", json={}, headers=auth)  # 422: finished
    sandbox.set_fault("persona", "429", times=1)
    http.get(f"{API_PREFIX}/inquiries/{iid}", headers=auth)  # 429
    return sandbox, recorder


def test_every_api_exchange_with_the_emulator_validates(api: OpenAPI, recorded: tuple[Sandbox, Recorder]) -> None:
    _, recorder = recorded
    statuses: set[tuple[str, str, int]] = set()
    for request, response in recorder.seen:
        if not request.url.path.startswith(API_PREFIX + "/"):
            continue  # the hosted flow (Persona's web app) is not part of the API description
        where = f"{request.method} {request.url.path} → {response.status_code}"
        if response.status_code < 400:  # the error cases send invalid requests on purpose
            assert errors(api.iter_request_errors(mock_request(request))) == [], where
        assert errors(api.iter_response_errors(mock_request(request), mock_response(response))) == [], where
        statuses.add((request.method, _template(request.url.path), response.status_code))
    assert {s for _, _, s in statuses} >= {200, 201, 400, 401, 404, 409, 422, 429}


def test_every_webhook_the_emulator_sends_validates(api: OpenAPI, recorded: tuple[Sandbox, Recorder]) -> None:
    sandbox, _ = recorded
    names = set()
    for delivery in sandbox.deliveries("persona"):
        name = json.loads(delivery.body)["data"]["attributes"]["name"]
        names.add(name)
        hook = WebhookRequest(name, delivery.body, dict(delivery.headers))
        # the document's top-level bearerAuth describes API calls; Persona authenticates a delivery with
        # Persona-Signature (a header parameter of every webhook), so the body and headers are what is checked
        for validator in (V31WebhookRequestBodyValidator, V31WebhookRequestParametersValidator):
            assert errors(validator(api.spec).iter_errors(hook)) == [], name
    assert names >= {"inquiry.created", "inquiry.started", "inquiry.completed", "inquiry.failed", "inquiry.expired",
                     "inquiry.approved", "inquiry.declined", "inquiry.marked-for-review", "inquiry.redacted"}


def test_the_checked_routes_cover_every_route(recorded: tuple[Sandbox, Recorder]) -> None:
    """Every API route the emulator serves (and so every one the adapter calls: they share paths) was
    exchanged and validated above."""
    sandbox, recorder = recorded
    served = {(m, re.sub(r"\{[a-z]+\}", "{}", r.path))  # type: ignore[attr-defined]
              for r in sandbox.emulators["persona"].routes()
              for m in (r.methods or ()) - {"HEAD"}  # type: ignore[attr-defined]
              if r.path.startswith(API_PREFIX + "/")}  # type: ignore[attr-defined]
    exchanged = {(q.method, _template(q.url.path)) for q, _ in recorder.seen}
    assert served and served <= exchanged, served - exchanged
    adapter = make_provider()
    called = {adapter.build_result(adapter.parse_return_url("https://a.example/?inquiry-id=inq_A1")).request,
              adapter.build_create(SessionRequest(reference="u")).request}
    for request in called:
        assert (request.method, _template(urlsplit(str(request.url)).path)) in served
