"""Webhook edge cases (issue 11 item 10) and the typed boundary of parse_webhook / parse_return_url (item 4):
signed events about no session, ASCII-digit timestamps, the body cap, hostile headers and bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.errors import EkycError, WebhookVerificationError
from ekyc.models import Outcome
from ekyc.providers.didit import signing

from .conftest import make_provider

NOW = 1_774_970_000
SID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def _signed(payload: dict[str, Any], secret: str = "s3cret") -> tuple[bytes, dict[str, str]]:
    return signing.sign(payload, secret)


def _session_event(**extra: Any) -> dict[str, Any]:
    return {"event_id": "e1", "webhook_type": "status.updated", "timestamp": NOW, "created_at": NOW,
            "session_id": SID, "status": "In Progress", "environment": "live", **extra}


# -- events about no session ------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type", ["user.status.updated", "user.data.updated", "business.status.updated",
                                        "business.data.updated", "activity.created", "transaction.created",
                                        "transaction.status.updated", "travel_rule.status.updated"])
def test_signed_events_without_a_session_are_typed_events(event_type: str) -> None:
    payload = {"event_id": "ev-1", "webhook_type": event_type, "timestamp": NOW, "vendor_data": "user-42",
               "status": "BLOCKED", "previous_status": "ACTIVE"}
    body, headers = _signed(payload)
    p = make_provider(clock=NOW)
    for scheme in ("X-Signature-V2", "X-Signature", "X-Signature-Simple"):
        event = p.parse_webhook(body, {scheme: headers[scheme], "X-Timestamp": headers["X-Timestamp"]})
        assert event.ref is None and event.decision is None
        assert event.event_type == event_type and event.event_id == "ev-1"
        assert event.provider_status == "BLOCKED" and event.verified_by == scheme


def test_older_entity_envelope_with_iso_timestamp_and_event_key() -> None:
    """Didit's entity-webhook page shows ``{"event": …, "timestamp": "2026-…Z", "data": {…}}``."""
    payload = {"event": "user.status.updated", "application_id": "app_abc123", "timestamp": "2026-03-31T15:13:20Z",
               "data": {"vendor_data": "user-42", "status": "BLOCKED"}}
    body, headers = _signed(payload)
    event = make_provider(clock=1_774_970_000).parse_webhook(body, {"X-Signature-V2": headers["X-Signature-V2"]})
    assert event.ref is None and event.event_type == "user.status.updated"
    assert event.occurred_at is not None and event.occurred_at.year == 2026


def test_session_events_must_name_their_session() -> None:
    p = make_provider(clock=NOW)
    for payload in (_session_event(session_id=None), {k: v for k, v in _session_event().items() if k != "session_id"},
                    _session_event(webhook_type="data.updated", session_id=None),
                    {"timestamp": NOW, "status": "Approved"}):
        body, headers = _signed(payload)
        with pytest.raises(WebhookVerificationError, match="session_id"):
            p.parse_webhook(body, headers)


@pytest.mark.parametrize("sid", [SID + "\n", " " + SID, SID.replace("a", "٣", 1), "x" * 36, 42])
def test_a_signed_bad_session_id_is_a_typed_error(sid: Any) -> None:
    body, headers = _signed(_session_event(session_id=sid))
    with pytest.raises(WebhookVerificationError) as info:
        make_provider(clock=NOW).parse_webhook(body, headers)
    assert info.value.field == "session_id"


def test_signed_decision_carries_the_reference_only_when_the_payload_is_signed() -> None:
    payload = _session_event(status="Approved", vendor_data="user-42", decision={
        "session_id": SID, "status": "Approved",
        "id_verifications": [{"status": "Approved", "warnings": []}]})
    body, headers = _signed(payload)
    p = make_provider(clock=NOW)
    full = p.parse_webhook(body, headers)
    assert full.decision is not None and full.decision.outcome is Outcome.APPROVED
    assert full.decision.reference == "user-42"
    simple = p.parse_webhook(body, {"X-Signature-Simple": headers["X-Signature-Simple"]})
    assert simple.decision is None and simple.authenticated == "envelope"


# -- timestamps, size, headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", ["17749700００", "1774970000²", "-1774970000", "1774970000.0", "0x69", "",
                                  "١٧٧٤٩٧٠٠٠٠"])
def test_x_timestamp_must_be_ascii_digits(sent: str) -> None:
    body, headers = _signed(_session_event())
    with pytest.raises(WebhookVerificationError) as info:
        make_provider(clock=NOW).parse_webhook(body, {**headers, "X-Timestamp": sent})
    assert info.value.field == "X-Timestamp"


@pytest.mark.parametrize("ts", ["1774970000", True, 1.5e300, -1, 10**30, None, [NOW], "yesterday"])
def test_a_signed_timestamp_of_the_wrong_kind_is_typed(ts: Any) -> None:
    body, headers = _signed(_session_event(timestamp=ts))
    with pytest.raises(WebhookVerificationError) as info:
        make_provider(clock=NOW).parse_webhook(body, {k: v for k, v in headers.items() if k != "X-Timestamp"})
    assert info.value.field in ("timestamp", "body", None)


def test_body_size_is_capped_before_parsing() -> None:
    huge = b'{"pad":"' + b"a" * (signing.MAX_BODY + 1) + b'"}'
    with pytest.raises(WebhookVerificationError, match="larger") as info:
        make_provider(clock=NOW).parse_webhook(huge, {"X-Signature": "00" * 32})
    assert info.value.field == "body"


@pytest.mark.parametrize("body", [b"[" * 100000, b'{"a":1,"a":2}', b'{"timestamp":NaN}', b'{"n":' + b"9" * 500 + b"}",
                                  b'{"A":1,"a":2}'])
def test_hostile_bodies_are_typed(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, {"X-Signature": "00" * 32})


def test_a_re_encoded_signed_body_is_refused() -> None:
    """A UTF-16 copy of a signed body would still match V2 (it re-serializes the parsed payload): refused."""
    body, headers = _signed(_session_event())
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        make_provider(clock=NOW).parse_webhook(body.decode().encode("utf-16"), headers)


def test_duplicate_keys_cannot_smuggle_a_second_status() -> None:
    body, headers = _signed(_session_event(status="Declined"))
    forged = body.replace(b'"status":"Declined"', b'"status":"Declined","status":"Approved"')
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(forged, headers)


@pytest.mark.parametrize("headers", [None, [("X-Signature", "00")], {1: "x"}, {"X-Signature": 5},
                                     {"X-Signature-V2": None, "X-Timestamp": b"1"}])
def test_hostile_headers_are_typed(headers: Any) -> None:
    body, _ = _signed(_session_event())
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, headers)


@pytest.mark.parametrize("body", ["{}", None, 12, {"a": 1}])
def test_non_bytes_bodies_are_typed(body: Any) -> None:
    with pytest.raises(WebhookVerificationError):
        make_provider(clock=NOW).parse_webhook(body, {"X-Signature": "00" * 32})


# -- generated -----------------------------------------------------------------------------------------------

header_values = st.text(max_size=80) | st.sampled_from(["00" * 32, "1774970000", "１７７４９７００００"])
header_maps = st.dictionaries(st.sampled_from(["X-Signature", "X-Signature-V2", "X-Signature-Simple", "X-Timestamp",
                                               "x-signature", "Content-Type"]), header_values, max_size=5)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=400) | st.text(max_size=300).map(str.encode), headers=header_maps)
def test_unsigned_bodies_and_headers_only_raise_typed_errors(body: bytes, headers: dict[str, str]) -> None:
    with pytest.raises(EkycError):
        make_provider(clock=NOW).parse_webhook(body, headers)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(st.sampled_from(["status", "session_id", "decision", "event_id", "webhook_type",
                                                "vendor_data", "timestamp", "event"]), json_values, max_size=7),
       ts_header=st.none() | header_values)
def test_signed_hostile_payloads_are_typed_and_never_approve_unsigned_data(payload: dict[str, Any],
                                                                           ts_header: str | None) -> None:
    try:
        body, headers = _signed(payload)
    except (TypeError, ValueError):
        return  # not representable as Didit would send it
    if ts_header is None:
        headers.pop("X-Timestamp")
    else:
        headers["X-Timestamp"] = ts_header
    try:
        event = make_provider(clock=NOW).parse_webhook(body, headers)
    except EkycError:
        return
    if event.decision is not None and event.decision.approved:
        assert isinstance(payload.get("decision"), dict) and event.authenticated == "payload"
        assert payload.get("status") == "Approved" or payload["decision"].get("status") == "Approved"


@settings(max_examples=400, deadline=None)
@given(url=st.text(max_size=150) | st.sampled_from(["http://[::1/?token=a", "https://a/?verificationSessionId=%0A",
                                                    "http://[/?verificationSessionId=" + SID]))
def test_return_urls_only_raise_typed_errors(url: str) -> None:
    try:
        ref = make_provider().parse_return_url(url)
    except EkycError:
        return
    assert ref.provider == "didit" and ref.id == ref.id.strip() and len(ref.id) == 36


def test_return_url_edge_cases() -> None:
    p = make_provider()
    for url in ("http://[::1/?token=a", f"https://a/?verificationSessionId={SID}%0A",
                f"https://a/?verificationSessionId=%20{SID}", None, 5, "https://a/?" + "x=1&" * 5000):
        with pytest.raises(WebhookVerificationError):
            p.parse_return_url(url)  # type: ignore[arg-type]
    assert p.parse_return_url(f"https://a/?verificationSessionId={SID}&status=Approved").id == SID


def test_fixture_payloads_keep_verifying(fixtures: dict[str, Any]) -> None:
    c = fixtures["cases"]["basic_approved"]
    p = make_provider(clock=fixtures["timestamp"], webhook_secret=fixtures["secret"])
    event = p.parse_webhook(c["body"].encode(), {"X-Signature-V2": c["signatures"]["v2"]})
    assert event.decision is not None and event.decision.outcome is Outcome.APPROVED
    assert event.decision.reference == json.loads(c["body"])["vendor_data"]
