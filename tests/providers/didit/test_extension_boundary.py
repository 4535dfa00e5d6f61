"""The typed boundary of ``client.extension("didit")`` (issue 11 item 4): whatever the arguments, only
``EkycError`` subclasses escape, and a refused argument is refused before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import Client
from ekyc.errors import ConfigurationError, EkycError, InvalidRequest
from ekyc.models import SessionRef

from .conftest import WORKFLOW

SID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
SENT: list[httpx.Request] = []


def _handler(request: httpx.Request) -> httpx.Response:
    SENT.append(request)
    if request.url.path.endswith("/generate-pdf/"):
        return httpx.Response(200, content=b"%PDF-1.4\n%%EOF\n")
    return httpx.Response(200, json={"session_id": SID, "count": 0, "results": []})


@pytest.fixture(scope="module")
def ops() -> Iterator[Any]:
    settings_ = {"providers": {"didit": {"api_key": "k", "workflow_id": WORKFLOW}}, "retry": {"max_attempts": 1}}
    with Client(settings_, transport=httpx.MockTransport(_handler)) as client:
        yield client.extension("didit")


def refused_before_io(call: Any) -> EkycError:
    SENT.clear()
    with pytest.raises(EkycError) as info:
        call()
    assert isinstance(info.value, (InvalidRequest, ConfigurationError))
    assert SENT == [], "refused after a request was sent"
    return info.value


def test_the_issue_example_is_typed_and_names_the_field(ops: Any) -> None:
    err = refused_before_io(lambda: ops.update_status(SID, "resubmit", nodes_to_resubmit=[{}]))
    assert err.field == "nodes_to_resubmit[0].node_id"


@pytest.mark.parametrize(("call", "field"), [
    (lambda o: o.update_status(SID, "resubmit", nodes_to_resubmit="OCR"), "nodes_to_resubmit"),
    (lambda o: o.update_status(SID, "resubmit", nodes_to_resubmit=[("n", "OCR", "x")]), "nodes_to_resubmit[0]"),
    (lambda o: o.update_status(SID, "resubmit", nodes_to_resubmit=[{"node_id": 1, "feature": "OCR"}]),
     "nodes_to_resubmit[0].node_id"),
    (lambda o: o.update_status(SID, "resubmit", nodes_to_resubmit=[{"node_id": "n", "feature": ["OCR"]}]),
     "nodes_to_resubmit[0].feature"),
    (lambda o: o.update_status(SID, None), "new_status"),
    (lambda o: o.update_status(SID, "approve", comment=float("nan")), "comment"),
    (lambda o: o.update_status(SID, "approve", comment="x" * 10_001), "comment"),
    (lambda o: o.update_status(SID, "approve", send_email="yes", email_address="a@b.co"), "send_email"),
    (lambda o: o.update_status(SID, "approve", send_email=True), "email_address"),
    (lambda o: o.update_status(SID, "approve", email_address="not an address"), "email_address"),
    (lambda o: o.update_status(SID, "approve", email_language="klingon"), "email_language"),
    (lambda o: o.approve(None), "session"),
    (lambda o: o.approve(SID + "\n"), "ref"),
    (lambda o: o.approve(12), "session"),
    (lambda o: o.generate_pdf("../../v3/workflows"), "ref"),
    (lambda o: o.list_sessions(limit="10"), "limit"),
    (lambda o: o.list_sessions(limit=True), "limit"),
    (lambda o: o.list_sessions(offset=-1), "offset"),
    (lambda o: o.list_sessions(status="approved"), "status"),
    (lambda o: o.list_sessions(country="ES"), "country"),
    (lambda o: o.list_sessions(date_from="2026-13-01"), "date_from"),
    (lambda o: o.list_sessions(date_from="２０２６-０１-０１"), "date_from"),
    (lambda o: o.list_sessions(workflow_id=SID + "\n"), "workflow_id"),
    (lambda o: o.list_sessions(vendor_data={"x": 1}), "vendor_data"),
    (lambda o: o.list_sessions(colour="red"), "filters"),
    (lambda o: o.arm_sandbox(SID, None), "scenario"),
    (lambda o: o.blocklist_add(SID, face="no"), "face"),
    (lambda o: o.blocklist_remove(SID, email=1), "email"),
    (lambda o: o.create_workflow("document"), "checks"),
    (lambda o: o.create_workflow(["selfie"]), "checks"),
    (lambda o: o.create_workflow(["document"], label=""), "label"),
    (lambda o: o.create_workflow(["document"], config={"AML": {}}), "config"),
    (lambda o: o.create_workflow(["document"], config={"OCR": 1}), "config.OCR"),
    (lambda o: o.create_workflow(["document"], config={"OCR": {"x": float("nan")}}), "body"),
    (lambda o: o.create_workflow(["document"], config={"OCR": {"x": {1, 2}}}), "body"),
    (lambda o: o.create_workflow(["document"], extra_features=["aml"]), "extra_features"),
    (lambda o: o.create_workflow(["document"], extra_features=["OCR"]), "extra_features"),
])
def test_bad_arguments_are_refused_naming_the_field(ops: Any, call: Any, field: str) -> None:
    assert refused_before_io(lambda: call(ops)).field == field


def test_a_ref_of_another_provider_is_a_configuration_error(ops: Any) -> None:
    err = refused_before_io(lambda: ops.approve(SessionRef(provider="tencent", id="tok")))
    assert isinstance(err, ConfigurationError)


def test_good_arguments_go_out(ops: Any) -> None:
    SENT.clear()
    assert ops.resubmit(SID, nodes=[{"node_id": "feature_ocr", "feature": "OCR"}, ("n2", "LIVENESS")]) == SID
    assert ops.update_status(SID, "approve", comment="ok", send_email=True, email_address="a@b.co",
                             email_language="pt-BR") == SID
    assert ops.list_sessions(limit=5, offset=0, status="In Review", country="ESP", date_from="2026-01-01",
                             session_kind="all")["count"] == 0
    assert ops.generate_pdf(SID).startswith(b"%PDF")
    assert len(SENT) == 4


# -- generated ---------------------------------------------------------------------------------------------

anything = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.binary(max_size=8) \
    | st.lists(st.text(max_size=5), max_size=3) | st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                                                     max_size=3)
sessions = anything | st.just(SID) | st.just(SID.upper() + "\n") | st.builds(
    SessionRef, provider=st.sampled_from(["didit", "tencent"]), id=st.just(SID))
nodes = anything | st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["node_id", "feature", "x"]), anything, max_size=3),
    st.tuples(anything, anything), anything), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(session=sessions, new_status=anything | st.sampled_from(["approve", "Decline", "resubmit"]),
       comment=anything, nodes_=nodes, send_email=anything, email=anything | st.just("a@b.co"),
       lang=anything | st.just("en"))
def test_update_status_raises_only_typed_errors(ops: Any, session: Any, new_status: Any, comment: Any, nodes_: Any,
                                                send_email: Any, email: Any, lang: Any) -> None:
    try:
        ops.update_status(session, new_status, comment=comment, nodes_to_resubmit=nodes_, send_email=send_email,
                          email_address=email, email_language=lang)
    except EkycError:
        return


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(checks=anything | st.lists(st.sampled_from(["document", "liveness", "face_match", "x"]), max_size=3),
       label=anything, config=anything | st.dictionaries(st.sampled_from(["OCR", "LIVENESS", "AML"]), anything,
                                                           max_size=2),
       extra=anything, limit=anything, offset=anything,
       filters=st.dictionaries(st.sampled_from(["vendor_data", "status", "country", "workflow_id", "session_kind",
                                                "search", "date_from", "date_to", "other"]), anything, max_size=3),
       session=sessions, scenario=anything, flag=anything)
def test_other_operations_raise_only_typed_errors(ops: Any, checks: Any, label: Any, config: Any, extra: Any,
                                                  limit: Any, offset: Any, filters: dict[str, Any], session: Any,
                                                  scenario: Any, flag: Any) -> None:
    calls = [
        lambda: ops.create_workflow(checks, label=label, config=config, extra_features=extra),
        lambda: ops.list_sessions(limit=limit, offset=offset, **filters),
        lambda: ops.arm_sandbox(session, scenario),
        lambda: ops.blocklist_add(session, face=flag),
        lambda: ops.blocklist_remove(session, phone=flag),
        lambda: ops.generate_pdf(session),
        lambda: ops.approve(session, comment=scenario),
    ]
    for call in calls:
        try:
            call()
        except EkycError:
            continue
