"""Onfido's result reading with this round's changes (issue 15) decides exactly as the reading it replaced
(``reference_result.py``): over mutated workflow runs, checks and reports — every sandbox scenario's real answers
with one change at one place in each (statuses, results, sub-results, breakdown trees, names, ids, scores,
identity fields, mistyped values) — both build the same requests (method, URL, headers) and give the same
:class:`Decision` (outcome, reasons and warnings in order, identity, checks, raw) or the same typed error (class,
field, message)."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from ekyc.errors import EkycError
from ekyc.models import Decision, SessionRef, SessionRequest
from ekyc.provider import FollowUp, Provider
from ekyc.providers.onfido import OnfidoProvider
from ekyc.providers.onfido.emulator import PLANS
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from tests.support.mutation import mutate, set_decisive

from .conftest import make_provider
from .reference_result import ReferenceOnfido

#: examples per property (``TEST_ONFIDO_EXAMPLES=3000`` for a thorough run while changing the reading)
EXAMPLES = int(os.environ.get("TEST_ONFIDO_EXAMPLES", "400"))
UUID = "6d1f3a58-21a5-4a1f-9f55-1b3c0e3c2f00"

#: the words that decide: statuses, results, sub-results and report names (drawn more often than the rest)
WORDS = ["approved", "declined", "review", "abandoned", "error", "awaiting_input", "processing", "complete",
         "in_progress", "awaiting_applicant", "withdrawn", "paused", "reopened", "clear", "consider", "caution",
         "rejected", "suspected", "unidentified", "awaiting_approval", "cancelled", "document", "document_video",
         "facial_similarity_photo", "facial_similarity_video", "known_faces", "watchlist_standard"]
VALUES: list[Any] = WORDS * 4 + [
    "Male", "Female",
    "M", "x", "passport", "driving_licence", "GBR", "gbr", "XX", "1990-01-02", "2031-05-06", "1990-02-30",
    "2026-11-30T21:14:33Z", "2026-11-30T21:14:33.1234567+01:00", "2020-01-01T00:00:00Z", "not a date", UUID,
    UUID.upper(), " JANE ", "", " ", None, 0, 1, 0.5, 0.97, 1.5, -0.1, True, False, [], {}, [{}], ["a"], "x" * 300,
    {"result": "consider"}, {"result": "clear"}, {"result": "consider", "breakdown": {"x": {"result": "consider"}}},
    {"result": "unidentified"}, {"result": 5}, {"result": None, "breakdown": {}},
    [{"type": "document_number", "value": "X1"}], [{"type": "document_number", "value": 5}],
]
KEYS = ["status", "result", "sub_result", "breakdown", "properties", "name", "id", "applicant_id", "check_id",
        "score", "first_name", "last_name", "date_of_birth", "date_of_expiry", "gender", "nationality",
        "issuing_country", "document_type", "document_numbers", "error", "type", "link", "expires_at",
        "customer_user_id", "updated_at", "face_comparison", "face_match", "visual_authenticity", "image_integrity",
        "data_comparison", "data_validation", "document_expiration", "police_record", "spoofing_detection",
        "face_detected", "reports", "checks"]


#: the fields that decide, and the words :func:`decisive` gives each (half of the mutations)
DECISIVE: dict[str, list[Any]] = {
    "status": ["approved", "declined", "review", "abandoned", "error", "awaiting_input", "processing", "complete",
               "in_progress", "awaiting_approval", "cancelled", "withdrawn", "paused", "reopened"],
    "result": ["clear", "consider", "caution", "rejected", "suspected", "unidentified"],
    "sub_result": ["clear", "consider", "caution", "rejected", "suspected", "unidentified"],
    "name": ["document", "document_video", "facial_similarity_photo", "facial_similarity_video", "known_faces",
             "watchlist_standard"],
}


def decisive(doc: Any, data: st.DataObject) -> None:
    """One deciding field of ``doc`` set to a word of its own, mistyped or removed (tests/support/mutation.py)."""
    set_decisive(doc, data, DECISIVE)


def _record() -> dict[str, dict[str, Any]]:
    """Every scenario's workflow run, checks and reports as the sandbox answered one ``get_result``."""
    sandbox = Sandbox()
    inner = sandbox.transport()
    seen: dict[str, Any] = {}

    class Recorder(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            response.read()
            path = request.url.path
            kind = "checks" if path.endswith("/checks") else "reports" if path.endswith("/reports") else "run"
            seen[kind] = json.loads(response.content)
            return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    out: dict[str, dict[str, Any]] = {}
    with sandbox.client(transport=Recorder()) as client:
        for scenario in PLANS:
            session = client.create_session(scenario_request("onfido", scenario), provider="onfido")
            with httpx.Client(transport=inner, follow_redirects=False) as http:  # the user on the hosted page
                http.get(session.url).raise_for_status()
                assert http.post(session.url, data={"scenario": scenario}).status_code in (302, 303), scenario
            seen.clear()
            client.get_result(session.ref)
            out[scenario] = {"ref": session.ref.serialize(), **copy.deepcopy(seen)}
    approved = out["approved"]
    for bodies in out.values():  # a run mutated to a final status reads checks and reports: the approved ones
        bodies.setdefault("checks", approved["checks"])
        bodies.setdefault("reports", approved["reports"])
    return out


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    return _record()


def _request(request: httpx.Request) -> tuple[Any, ...]:
    return request.method, str(request.url), request.headers.multi_items(), request.content, request.extensions


def drive(provider: Provider, ref: SessionRef, bodies: dict[str, Any]) -> tuple[Any, ...]:
    """Every request ``provider`` builds for one ``get_result`` and what it decides (or refuses), each request
    answered with the body of its kind."""
    sent: list[tuple[Any, ...]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(_request(request))
        path = request.url.path
        kind = "checks" if path.endswith("/checks") else "reports" if path.endswith("/reports") else "run"
        body = bodies[kind]
        return httpx.Response(200, content=body if isinstance(body, bytes) else json.dumps(body).encode())

    try:
        prepared = provider.build_result(ref)
        result: Any = provider.parse_result(prepared, answer(prepared.request))
        while isinstance(result, FollowUp):
            step = result.build()
            sent.append((step.operation, step.retry, dict(step.context), step.ref))
            result = result.parse(step, answer(step.request))
    except EkycError as exc:
        return "refused", type(exc).__name__, exc.field, str(exc), exc.http_status, exc.provider_code, sent
    except Exception as exc:
        return "untyped", type(exc).__name__, sent
    assert isinstance(result, Decision)
    # the fields set too (a dump with exclude_unset): models that compare equal can still dump differently
    return "decided", result.__dict__, result.model_dump(mode="json", exclude_unset=True), sent


def _pair(clock: float) -> tuple[OnfidoProvider, OnfidoProvider]:
    settings_ = {"endpoint": "http://sandbox.ekyc.invalid"}
    live = make_provider(clock, **settings_)
    reference = ReferenceOnfido(live.settings, clock=lambda: clock)
    return live, reference


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_result_reads_as_the_reference_reads_it(answers: dict[str, dict[str, Any]],
                                                          data: st.DataObject) -> None:
    scenario = data.draw(st.sampled_from(sorted(answers)))
    bodies = copy.deepcopy(answers[scenario])
    ref = SessionRef.parse(bodies.pop("ref"))
    for kind in data.draw(st.lists(st.sampled_from(["run", "checks", "reports", "reports"]), max_size=6)):
        if data.draw(st.booleans()):
            decisive(bodies[kind], data)
        else:
            mutate(bodies[kind], data, VALUES, KEYS)
    how = data.draw(st.sampled_from(["stored", "stored", "stored", "placeholders", "applicant only", "bytes"]))
    if how == "placeholders":
        ref = ref.model_copy(update={"extra": (ref.extra[0], "n")})
    elif how == "applicant only":
        ref = SessionRef(provider="onfido", id=ref.id)
        bodies["run"] = [bodies["run"]] if data.draw(st.booleans()) else [bodies["run"], bodies["run"]]
    elif how == "bytes":
        kind = data.draw(st.sampled_from(["run", "checks", "reports"]))
        bodies[kind] = data.draw(st.sampled_from([b"", b"{", b"[]", b'{"a":1,"a":2}', b"null", b"{}"]))
    clock = data.draw(st.sampled_from([0.0, 1.0e9, 2.0e9, 4.0e9]))
    live, reference = _pair(clock)
    assert drive(live, ref, bodies) == drive(reference, ref, bodies)


def test_every_scenario_reads_as_the_reference_reads_it(answers: dict[str, dict[str, Any]]) -> None:
    for scenario, bodies in answers.items():
        ref = SessionRef.parse(bodies["ref"])
        live, reference = _pair(1.0e9)
        got = drive(live, ref, bodies)
        assert got == drive(reference, ref, bodies), scenario
        assert got[0] == "decided", scenario


def test_the_shared_request_parts_follow_the_settings_and_are_never_changed_by_a_request() -> None:
    """The API root and headers built once per adapter: a create's Content-Type stays on the create, and settings
    replaced on the adapter (a new token, another endpoint) are what the next request carries."""
    provider = make_provider(1.0e9)
    ref = SessionRef(provider="onfido", id=UUID, extra=(UUID,))
    create = provider.build_create(SessionRequest(reference="u1")).request
    read = provider.build_result(ref).request
    assert create.headers["content-type"] == "application/json" and "content-type" not in read.headers
    assert read.headers["authorization"] == "Token token=test-token"
    provider.settings = provider.settings.model_copy(update={"api_token": SecretStr("new-token"),
                                                             "endpoint": "https://other.test"})
    again = provider.build_result(ref).request
    assert again.headers["authorization"] == "Token token=new-token"
    assert str(again.url) == f"https://other.test/v3.6/workflow_runs/{UUID}"
    assert again.headers.raw == [(b"Host", b"other.test"), (b"Authorization", b"Token token=new-token"),
                                 (b"Accept", b"application/json")]
