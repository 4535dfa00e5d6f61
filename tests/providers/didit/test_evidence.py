"""The evidence rule on Didit decisions (issue 11 item 2), strict wire reading (item 3) and the echoed
``vendor_data`` (item 1): every feature item and every warning is a sub-check; only ``Approved`` with every
sub-check passed approves; a documented decline stays a decline."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.errors import EkycError, InvalidRequest, ProviderError
from ekyc.models import Decision, Outcome, ReasonCode, SessionRef
from ekyc.providers.didit.codes import CODE_TABLE, FEATURE_STATE, LOG_TYPE_STATE

from .conftest import make_provider

SID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REF = SessionRef(provider="didit", id=SID)
ATTACK = {"feature": "LIVENESS", "risk": "LIVENESS_FACE_ATTACK", "log_type": "error"}


def decide(data: dict[str, Any], ref: SessionRef = REF) -> Decision:
    """A decision of a live application read under the default (live) configuration."""
    return decide_bytes(json.dumps({"session_id": SID, "environment": "live", **data}).encode(), ref)


def decide_bytes(content: bytes, ref: SessionRef = REF) -> Decision:
    p = make_provider()
    return p.parse_result(p.build_result(ref), httpx.Response(200, content=content))


def approved(**arrays: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"status": "Approved",
                            "id_verifications": [{"node_id": "feature_ocr", "status": "Approved", "warnings": []}],
                            "liveness_checks": [{"node_id": "feature_liveness", "status": "Approved", "score": 97.3,
                                                 "warnings": []}],
                            "face_matches": [{"node_id": "feature_face_match", "status": "Approved", "score": 91.5,
                                              "warnings": []}]}
    return {**base, **arrays}


# -- the examples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["Not Finished", "Not Started", "Expired", "DECLINED", None, "missing"])
def test_approved_with_an_unfinished_or_unknown_liveness_is_review(status: str | None) -> None:
    item: dict[str, Any] = {"node_id": "feature_liveness", "warnings": []}
    if status != "missing":
        item["status"] = status
    d = decide(approved(liveness_checks=[item]))
    assert d.outcome is Outcome.REVIEW
    assert [(r.code, r.provider_code) for r in d.reasons] == \
        [(ReasonCode.INCONSISTENT_EVIDENCE, "liveness_checks[0].status")]
    assert d.checks.liveness.passed is None


def test_approved_with_an_upper_case_error_warning_is_review() -> None:
    item = {"status": "Approved", "warnings": [{"risk": "LIVENESS_FACE_ATTACK", "log_type": "ERROR"}]}
    d = decide(approved(liveness_checks=[item]))
    assert d.outcome is Outcome.REVIEW
    assert [(r.code, r.provider_code) for r in d.reasons] == \
        [(ReasonCode.INCONSISTENT_EVIDENCE, "liveness_checks[0].warnings[0].log_type")]


@pytest.mark.parametrize("log_type", ["ERROR", "Error", "decline", "", None, "missing"])
def test_an_undocumented_log_type_never_approves(log_type: str | None) -> None:
    warning: dict[str, Any] = {"risk": "LOW_FACE_LUMINANCE"}
    if log_type != "missing":
        warning["log_type"] = log_type
    d = decide(approved(liveness_checks=[{"status": "Approved", "warnings": [warning]}]))
    assert d.outcome is Outcome.REVIEW
    assert d.reason_codes == (ReasonCode.INCONSISTENT_EVIDENCE,)


def test_a_decline_warning_under_an_approved_item_is_review_with_its_reason() -> None:
    d = decide(approved(liveness_checks=[{"status": "Approved", "warnings": [ATTACK]}]))
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.SPOOF_DETECTED,)


def test_top_level_warnings_without_log_type_never_approve(fixtures: dict[str, Any]) -> None:
    """Didit's own ``mixed_types`` fixture: Approved with ``warnings: [{"risk": "b"}, {"risk": "a"}]``."""
    body = json.loads(fixtures["cases"]["mixed_types"]["body"])
    d = decide(body["decision"] | {"session_id": SID})
    assert d.outcome is Outcome.REVIEW
    assert {r.provider_code for r in d.reasons} == {"decision.warnings[0].log_type", "decision.warnings[1].log_type"}


# -- the converse: documented successes approve, documented declines stay declines ---------------------------

def test_documented_approval_with_every_item_approved_approves() -> None:
    d = decide(approved(aml_screenings=[{"status": "Approved", "total_hits": 0, "warnings": []}],
                        ip_analyses=None, nfc_verifications=[], reviews=[]))
    assert d.outcome is Outcome.APPROVED and d.reasons == () and d.warnings == ()


def test_information_warnings_do_not_block_an_approval() -> None:
    info = {"feature": "EMAIL", "risk": "BREACHED_EMAIL_DETECTED", "log_type": "information"}
    d = decide(approved(email_verifications=[{"status": "Approved", "warnings": [info]}]))
    assert d.outcome is Outcome.APPROVED and d.reasons == ()
    assert [w.provider_code for w in d.warnings] == ["BREACHED_EMAIL_DETECTED"]


def test_documented_decline_stays_a_decline_with_its_reason() -> None:
    d = decide(approved(status="Declined", liveness_checks=[{"status": "Declined", "warnings": [ATTACK]}]))
    assert d.outcome is Outcome.DECLINED and d.reason_codes == (ReasonCode.SPOOF_DETECTED,)
    odd = decide(approved(status="Declined", liveness_checks=[{"status": "DECLINED", "warnings": [ATTACK]}]))
    assert odd.outcome is Outcome.DECLINED and ReasonCode.SPOOF_DETECTED in odd.reason_codes


def test_a_declined_item_without_warnings_gives_the_feature_meaning() -> None:
    d = decide(approved(status="Declined", face_matches=[{"status": "Declined", "score": 10.0}]))
    assert d.outcome is Outcome.DECLINED
    assert [(r.code, r.provider_code, r.message) for r in d.reasons] == \
        [(ReasonCode.UNKNOWN, "Declined", "The feature failed")]


def test_in_review_keeps_review_with_the_warning_reason() -> None:
    w = {"feature": "FACEMATCH", "risk": "LOW_FACE_MATCH_SIMILARITY", "log_type": "warning"}
    d = decide(approved(status="In Review", face_matches=[{"status": "In Review", "score": 58.0, "warnings": [w]}]))
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.FACE_MISMATCH,)


def test_pending_and_expired_keep_their_outcome_whatever_the_items() -> None:
    assert decide({"status": "In Progress", "liveness_checks": [{"status": "Not Finished"}]}).outcome \
        is Outcome.PENDING
    expired = decide({"status": "Kyc Expired", "liveness_checks": [{"status": "Weird"}]})
    assert expired.outcome is Outcome.EXPIRED and expired.reason_codes == (ReasonCode.APPROVAL_EXPIRED,)


# -- manual review override ----------------------------------------------------------------------------------

def _manual(new_status: str = "Approved", **extra: Any) -> list[dict[str, Any]]:
    return [{"user": "API Client", "new_status": new_status, "comment": None,
             "created_at": "2026-01-02T03:04:05Z", **extra}]


def test_manual_approval_overrides_failed_sub_checks_only() -> None:
    declined = [{"status": "Declined", "score": 10.0, "warnings": [
        {"risk": "LOW_FACE_MATCH_SIMILARITY", "log_type": "error"}]}]
    d = decide(approved(face_matches=declined, reviews=_manual()))
    assert d.outcome is Outcome.APPROVED and [w.code for w in d.warnings] == [ReasonCode.FACE_MISMATCH]
    unfinished = decide(approved(liveness_checks=[{"status": "Not Finished"}], reviews=_manual()))
    assert unfinished.outcome is Outcome.REVIEW
    undocumented = decide(approved(liveness_checks=[{"status": "Approved", "warnings": [
        {"risk": "LIVENESS_FACE_ATTACK", "log_type": "ERROR"}]}], reviews=_manual()))
    assert undocumented.outcome is Outcome.REVIEW
    later_decline = decide(approved(face_matches=declined, reviews=_manual() + _manual("Declined")))
    assert later_decline.outcome is Outcome.REVIEW
    feature_level = decide(approved(face_matches=declined, reviews=_manual(node_id="feature_ocr")))
    assert feature_level.outcome is Outcome.REVIEW


# -- Decision.reference from vendor_data ---------------------------------------------------------------------

def test_reference_is_the_echoed_vendor_data() -> None:
    assert decide(approved(vendor_data="user-42")).reference == "user-42"
    assert decide(approved(vendor_data=" user-42 ")).reference == " user-42 "  # exactly as stored, never trimmed
    assert decide(approved()).reference is None
    assert decide(approved(vendor_data=None)).reference is None
    with pytest.raises(ProviderError):
        decide(approved(vendor_data={"id": 42}))


def test_the_refs_bound_reference_survives_get_result() -> None:
    bound = SessionRef(provider="didit", id=SID, reference="user-42")
    d = decide(approved(vendor_data="user-42"), bound)
    assert d.ref.reference == "user-42" and d.reference == "user-42"


def test_the_emulator_echoes_vendor_data(client: Any, sandbox: Any) -> None:
    session = client.create_session(reference="bind-1", return_url="https://app.example/back")
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED and decision.reference == "bind-1"
    delivery = sandbox.deliveries("didit", session.ref.id)[-1]
    event = client.parse_webhook(delivery.body, delivery.headers, "didit")
    assert event.decision is not None and event.decision.reference == "bind-1"


# -- strict reading ------------------------------------------------------------------------------------------

HOSTILE = [
    ("duplicate_status", b'{"status": "Declined", "status": "Approved"}'),
    ("case_variant_keys", b'{"status": "Approved", "Status": "Declined"}'),
    ("deep", b"[" * 100000),
    ("nan_score", b'{"status": "Approved", "face_matches": [{"status": "Approved", "score": NaN}]}'),
    ("infinite_score", b'{"status": "Approved", "face_matches": [{"status": "Approved", "score": 1e999}]}'),
    ("huge_int", b'{"status": "Approved", "face_matches": [{"status": "Approved", "score": ' + b"9" * 400 + b"}]}"),
    ("score_string", b'{"status": "Approved", "face_matches": [{"status": "Approved", "score": "99"}]}'),
    ("arabic_digit_score", '{"status": "Approved", "liveness_checks": [{"status": "Approved", "score": "٠"}]}'
     .encode()),
    ("fullwidth_dob", '{"status": "Approved", "id_verifications": [{"status": "Approved", '
                      '"date_of_birth": "１９９０-０１-０１"}]}'.encode()),
    ("negative_score", b'{"status": "Approved", "liveness_checks": [{"status": "Approved", "score": -1}]}'),
    ("status_number", b'{"status": 1}'),
    ("review_time", b'{"status": "Approved", "reviews": [{"new_status": "Approved", "created_at": "\xd9\xa0"}]}'),
    ("warning_type", b'{"status": "Approved", "liveness_checks": [{"status": "Approved", "warnings": [1]}]}'),
    ("log_type_type", b'{"status": "Approved", "liveness_checks": [{"status": "Approved", '
                      b'"warnings": [{"risk": "X", "log_type": 1}]}]}'),
]


@pytest.mark.parametrize(("name", "content"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_payloads_are_typed_errors(name: str, content: bytes) -> None:
    with pytest.raises(ProviderError):
        decide_bytes(content)


@pytest.mark.parametrize("status", [201, 202, 204, 206])
def test_only_the_documented_200_carries_a_decision(status: int) -> None:
    p = make_provider()
    body = json.dumps({"session_id": SID, **approved()}).encode()
    with pytest.raises(ProviderError):
        p.parse_result(p.build_result(REF), httpx.Response(status, content=body))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_a_body_that_is_not_plain_utf8_is_refused(encoding: str) -> None:
    with pytest.raises(ProviderError):
        decide_bytes(json.dumps({"session_id": SID, **approved()}).encode(encoding))


def test_ids_must_match_whole() -> None:
    p = make_provider()
    for bad in (SID + "\n", SID + " ", " " + SID, SID + "\x00", "٣" + SID[1:]):
        with pytest.raises(InvalidRequest):
            p.session_id(bad)
    assert p.session_id(SID.upper()) == SID


def test_code_table_has_a_state_for_every_feature_status_and_log_type() -> None:
    assert set(FEATURE_STATE) == {e.code for e in CODE_TABLE.of_kind("feature_status")}
    assert set(LOG_TYPE_STATE) == {e.code for e in CODE_TABLE.of_kind("log_type")}


# -- generated hostile decisions ---------------------------------------------------------------------------

STATUSES = st.sampled_from(["Approved", "Declined", "In Review", "Not Finished", "Not Started", "Expired",
                            "In Progress", "DECLINED", "approved", "Approved ", "", "Resubmitted"]) | st.none()
LOG_TYPES = st.sampled_from(["error", "warning", "information", "ERROR", "Information", "", "info"]) | st.none()
RISKS = st.sampled_from(["LIVENESS_FACE_ATTACK", "BREACHED_EMAIL_DETECTED", "NEW_RISK", ""])
warning_st = st.fixed_dictionaries({"risk": RISKS}, optional={"log_type": LOG_TYPES})
item_st = st.fixed_dictionaries({}, optional={"status": STATUSES, "warnings": st.lists(warning_st, max_size=2),
                                              "score": st.floats(0, 100)})
decision_st = st.fixed_dictionaries(
    {"status": st.sampled_from(["Approved", "Declined", "In Review", "Kyc Expired", "APPROVED"])},
    optional={"liveness_checks": st.lists(item_st, max_size=2), "face_matches": st.lists(item_st, max_size=2),
              "aml_screenings": st.lists(item_st, max_size=1) | st.none(),
              "warnings": st.lists(warning_st, max_size=2),
              "reviews": st.lists(st.fixed_dictionaries({"new_status": STATUSES}), max_size=2),
              "vendor_data": st.text(max_size=8) | st.none()})


def _clean(data: dict[str, Any]) -> bool:
    arrays = [data.get(k) or [] for k in ("liveness_checks", "face_matches", "aml_screenings")]
    items = [i for a in arrays for i in a]
    warnings = [w for i in items for w in i.get("warnings", [])] + data.get("warnings", [])
    return all(i.get("status") == "Approved" for i in items) and all(w.get("log_type") == "information"
                                                                       for w in warnings)


@settings(max_examples=400, deadline=None)
@given(data=decision_st)
def test_generated_decisions_approve_only_when_every_sub_check_passed(data: dict[str, Any]) -> None:
    d = decide(data)
    if d.outcome is Outcome.APPROVED:
        assert data["status"] == "Approved"
        reviews = data.get("reviews", [])
        manual = [r for r in reviews if r.get("new_status")]
        assert _clean(data) or (manual and manual[-1]["new_status"] == "Approved")
    if data["status"] == "Declined":
        assert d.outcome is Outcome.DECLINED


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_bytes_never_approve(content: bytes) -> None:
    try:
        d = decide_bytes(content)
    except EkycError:
        return
    assert d.outcome is not Outcome.APPROVED


# -- features the decision lists ----------------------------------------------------------------------------

def test_a_listed_feature_without_a_result_never_approves() -> None:
    listed = ["ID_VERIFICATION", "LIVENESS", "FACE_MATCH", "AML"]
    d = decide(approved(features=listed, aml_screenings=None))
    assert d.outcome is Outcome.REVIEW
    assert [(r.code, r.provider_code) for r in d.reasons] == [(ReasonCode.INCONSISTENT_EVIDENCE, "aml_screenings")]
    assert decide(approved(features=listed, aml_screenings=[{"status": "Approved"}])).outcome is Outcome.APPROVED
    assert decide(approved(features=["ID_VERIFICATION", "AGE_ESTIMATION"])).outcome is Outcome.APPROVED
    with pytest.raises(ProviderError):
        decide(approved(features="LIVENESS"))


def test_the_emulator_approves_a_workflow_with_more_features(client: Any, sandbox: Any) -> None:
    ops = client.extension("didit")
    wf = ops.create_workflow(["document", "liveness"], extra_features=["AML", "IP_ANALYSIS"])
    session = client.create_session(reference="more-1", return_url="https://app.example/back",
                                       provider_options={"didit": {"workflow_id": wf["uuid"]}})
    sandbox.complete(session, "approved")
    decision = client.get_result(session.ref)
    assert decision.outcome is Outcome.APPROVED, decision.reasons
    assert decision.raw["features"] == ["ID_VERIFICATION", "LIVENESS", "AML", "IP_ANALYSIS"]


def test_a_webhook_decision_about_another_session_is_refused() -> None:
    from ekyc.errors import WebhookVerificationError
    from ekyc.providers.didit import signing

    other = SID.replace("3f", "00")
    payload = {"event_id": "e", "webhook_type": "status.updated", "timestamp": 1_774_970_000, "session_id": SID,
               "status": "Approved", "decision": {"session_id": other, **approved()}}
    body, headers = signing.sign(payload, "s3cret")
    with pytest.raises(WebhookVerificationError) as info:
        make_provider(clock=1_774_970_000).parse_webhook(body, headers)
    assert info.value.field == "decision.session_id"


def test_the_usual_item_read_directly_is_the_passing_status() -> None:
    from collections.abc import Mapping

    from ekyc.evidence import Evidence, State
    from ekyc.providers.didit import parse

    assert FEATURE_STATE[parse.APPROVED] is State.PASSED
    no_warnings: list[Any] = []
    for i in range(parse._NAMED_PLACES + 2):
        for warnings in (None, no_warnings):
            items: list[Mapping[str, Any]] = [{"status": "Approved", "warnings": warnings}] * (i + 1)
            found = parse.evidence({}, {"liveness_checks": items})
            assert found == [Evidence(f"liveness_checks[{j}].status", State.PASSED) for j in range(i + 1)]
