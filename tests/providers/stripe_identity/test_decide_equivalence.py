"""Stripe's VerificationSession reading with this round's changes (issue 15) decides exactly as the reading it
replaced (``reference_parse.py``): over every sandbox scenario's real session (report and verified outputs
expanded) with changes at random places and at the fields that decide — statuses, error codes, options, types,
modes, dates, names, the report's ties to the session — both give the same :class:`Decision` (outcome, reasons
and warnings in order, identity, checks, raw) or refuse the same field with the same problem."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import _wire as wire
from ekyc.models import SessionRef
from ekyc.providers.stripe import parse
from ekyc.providers.stripe.emulator import PLANS
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request
from tests.support.mutation import mutate, set_decisive

from . import reference_parse as reference

#: examples per property (``TEST_STRIPE_EXAMPLES=3000`` for a thorough run while changing the reading)
EXAMPLES = int(os.environ.get("TEST_STRIPE_EXAMPLES", "400"))

#: the fields that decide, and the values :func:`decisive` gives each (half of the mutations)
DECISIVE: dict[str, list[Any]] = {
    "status": ["verified", "unverified", "requires_input", "processing", "canceled", "pending"],
    "code": ["document_expired", "selfie_face_mismatch", "selfie_manipulated", "selfie_unverified_other",
             "document_unverified_other", "consent_declined", "abandoned", "id_number_mismatch", "x"],
    "type": ["document", "id_number", "passport", "id_card", "driving_license", "visa"],
    "livemode": [True, False, "false"],
    "require_live_capture": [True, False, "true"],
    "require_matching_selfie": [True, False],
    "require_id_number": [True, False],
    "allowed_types": [["passport"], ["id_card", "passport"], [], ["driving_license"], "passport"],
    "object": ["identity.verification_session", "identity.verification_report", "x"],
    "verification_session": ["vs_other"],
    "client_reference_id": ["other", "[redacted]"],
    "redaction": [{"status": "processing"}],
    "sex": ["female", "male", "unknown", "[redacted]", "other"],
    "first_name": ["JANE", "[redacted]", " ", "x" * 1100],
    "last_name": ["SAMPLE", "[redacted]"],
    "number": ["X1", "[redacted]"],
    "issuing_country": ["GB", "gb", "GBR"],
    "day": [1, 31, 32, 0, "2"], "month": [2, 13], "year": [1990, 0, 10000],
    "error": [{"code": "selfie_manipulated"}, {"code": 5}, "x"],
    "line1": ["1 Main St", "[redacted]", " "], "city": ["London"],
}
VALUES: list[Any] = [None, "", " ", 0, 1, 1.5, True, False, [], {}, ["a"], "x" * 300, {"day": 2, "month": 2,
                     "year": 2000}, {"day": 30, "month": 2, "year": 2000}, {"status": "verified", "error": None},
                     {"status": "unverified", "error": {"code": "document_expired"}}]
KEYS = [*DECISIVE, "dob", "expiration_date", "issued_date", "address", "document", "selfie", "id_number",
        "last_verification_report", "verified_outputs", "last_error", "options"]


def decisive(doc: Any, data: st.DataObject) -> None:
    """One deciding field of ``doc`` set to a word of its own, mistyped or removed (tests/support/mutation.py)."""
    set_decisive(doc, data, DECISIVE)


def _record() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every scenario's session (with its report and verified outputs), as the sandbox answered ``get_result``."""
    sandbox = Sandbox(["stripe"])
    inner = sandbox.transport()
    seen: list[Any] = []

    class Recorder(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            response.read()
            seen.append(json.loads(response.content))
            return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    out: dict[str, tuple[str, dict[str, Any]]] = {}
    with sandbox.client(transport=Recorder()) as client:
        for scenario in PLANS:
            session = client.create_session(scenario_request("stripe", scenario), provider="stripe")
            with httpx.Client(transport=inner, follow_redirects=False) as http:  # the user on the hosted page
                http.get(session.url).raise_for_status()
                assert http.post(session.url, data={"scenario": scenario}).status_code in (302, 303), scenario
            seen.clear()
            client.get_result(session.ref)
            out[scenario] = (session.ref.serialize(), copy.deepcopy(seen[-1]))
    return out


@pytest.fixture(scope="module")
def answers() -> dict[str, tuple[str, dict[str, Any]]]:
    return _record()


def read(decide: Any, body: Any, ref: SessionRef, livemode: bool | None) -> tuple[Any, ...]:
    try:
        return "decided", decide(body, ref, livemode).__dict__
    except wire.WireError as exc:
        return "refused", exc.field, exc.problem
    except Exception as exc:  # an untyped failure must be the same one too
        return "untyped", type(exc).__name__


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_session_reads_as_the_reference_reads_it(answers: dict[str, tuple[str, dict[str, Any]]],
                                                           data: st.DataObject) -> None:
    text, body = answers[data.draw(st.sampled_from(sorted(answers)))]
    body = copy.deepcopy(body)
    ref = SessionRef.parse(text)
    for _ in range(data.draw(st.integers(0, 4))):
        if data.draw(st.booleans()):
            decisive(body, data)
        else:
            mutate(body, data, VALUES, KEYS)
    if data.draw(st.booleans()):  # a ref without the options and types a create binds (an older one)
        ref = SessionRef(provider="stripe", id=ref.id, reference=ref.reference)
    livemode = data.draw(st.sampled_from([None, False, True]))
    assert read(parse.decide, body, ref, livemode) == read(reference.decide, body, ref, livemode)


def test_every_scenario_reads_as_the_reference_reads_it(answers: dict[str, tuple[str, dict[str, Any]]]) -> None:
    for scenario, (text, body) in answers.items():
        ref = SessionRef.parse(text)
        got = read(parse.decide, body, ref, False)
        assert got == read(reference.decide, body, ref, False), scenario
        assert got[0] == "decided", scenario


def test_no_verified_report_sets_no_check() -> None:
    """A session with no verified report (cancelled, timed out) sets no check at all — the shared Checks of three
    verdicts are for reports only — so ``model_dump(exclude_unset=True)`` still shows ``{}`` (red team of 5768714)."""
    from ekyc.providers.stripe.parse import _checks

    assert _checks(None).model_dump(exclude_unset=True) == {}
