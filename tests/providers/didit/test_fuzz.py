"""Fuzzing: webhooks, return URLs and decision payloads never raise an untyped exception nor approve
something that is not a documented, consistent success."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.errors import EkycError
from ekyc.models import Outcome, SessionRef
from ekyc.providers.didit import signing

from .conftest import make_provider

SID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
NOW = 1_774_970_000
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300), sig=st.text(max_size=70), simple=st.text(max_size=70))
def test_random_webhooks_are_rejected_typed(body: bytes, sig: str, simple: str) -> None:
    p = make_provider(clock=NOW)
    try:
        p.parse_webhook(body, {"X-Signature-V2": sig, "X-Signature": sig, "X-Signature-Simple": simple})
    except EkycError:
        return
    raise AssertionError("an unsigned body verified")


@settings(max_examples=200, deadline=None)
@given(payload=st.dictionaries(st.sampled_from(["status", "session_id", "decision", "event_id", "webhook_type",
                                                "metadata", "x"]), json_values, max_size=6))
def test_signed_random_payloads_never_crash(payload: dict[str, Any]) -> None:
    payload["timestamp"] = NOW
    body, headers = signing.sign(payload, "s3cret")
    try:
        event = make_provider(clock=NOW).parse_webhook(body, headers)
    except EkycError:
        return
    if event.decision is not None and event.decision.approved:
        assert isinstance(payload.get("decision"), dict)
        assert payload.get("status") == "Approved" or payload["decision"].get("status") == "Approved"


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=120))
def test_random_return_urls(url: str) -> None:
    try:
        ref = make_provider().parse_return_url(url)
    except EkycError:
        return
    assert ref.provider == "didit" and len(ref.id) == 36


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(
    st.sampled_from(["status", "id_verifications", "liveness_checks", "face_matches", "warnings", "reviews",
                     "aml_screenings"]),
    json_values | st.lists(st.dictionaries(st.sampled_from(["status", "score", "warnings", "risk", "log_type",
                                                            "first_name", "date_of_birth", "document_type"]),
                                           json_values, max_size=5), max_size=3),
    max_size=6))
def test_random_decisions_fail_closed(data: dict[str, Any]) -> None:
    p = make_provider()
    prepared = p.build_result(SessionRef(provider="didit", id=SID))
    try:
        decision = p.parse_result(prepared, httpx.Response(200, content=json.dumps(data).encode()))
    except EkycError:
        return
    if decision.outcome is Outcome.APPROVED:
        assert data.get("status") == "Approved"
        assert decision.reasons == ()
