"""The sans-I/O adapter: request building, refusals before I/O, response and error reading, ``decide``."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from ekyc.errors import (
    AuthenticationError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
    UnsupportedFeature,
    WebhookVerificationError,
)
from ekyc.models import DocumentType, ExpectedIdentity, Outcome, ReasonCode, SessionRef, SessionRequest
from ekyc.providers.persona.adapter import API_VERSION
from ekyc.providers.persona.result import decide

from .conftest import make_provider

REF = SessionRef(provider="persona", id="inq_Abc123")


def test_create_request_shape() -> None:
    adapter = make_provider()
    req = SessionRequest(reference="user-1", return_url="https://app.example/done", contact_email="a@b.example",
                         expected=ExpectedIdentity(given_name="Jane", family_name="Sample", date_of_birth="1990-01-02",
                                                   document_number="X1"))
    adapter.check_request(req)
    prepared = adapter.build_create(req)
    r = prepared.request
    assert (r.method, str(r.url)) == ("POST", "https://persona.test/api/v1/inquiries")
    assert r.headers["authorization"] == "Bearer test-key" and r.headers["persona-version"] == API_VERSION
    assert r.headers["idempotency-key"].startswith("ekyc-")
    body = json.loads(r.content)
    assert body == {"data": {"attributes": {
        "inquiry-template-id": "itmpl_TestTemplate1", "reference-id": "user-1", "redirect-uri": "https://app.example/done",
        "fields": {"name-first": "Jane", "name-last": "Sample", "birthdate": "1990-01-02",
                   "identification-number": "X1", "email-address": "a@b.example"}}},
        "meta": {"auto-create-one-time-link": True}}


def test_one_idempotency_key_per_call() -> None:
    adapter = make_provider()
    first, second = SessionRequest(reference="u"), SessionRequest(reference="u")
    key = adapter.build_create(first).request.headers["idempotency-key"]
    assert adapter.build_create(first).request.headers["idempotency-key"] == key  # a retry of the same call
    assert adapter.build_create(second).request.headers["idempotency-key"] != key  # another call


@pytest.mark.parametrize(("template", "key"), [("itmplv_V1", "inquiry-template-version-id"),
                                               ("tmpl_L1", "template-id")])
def test_template_kinds(template: str, key: str) -> None:
    body = json.loads(make_provider(inquiry_template_id=template).build_create(SessionRequest(reference="u"))
                      .request.content)
    assert body["data"]["attributes"][key] == template


@pytest.mark.parametrize(("fields", "field"), [
    ({"expected": ExpectedIdentity(full_name="Jane Sample")}, "expected.full_name"),
    ({"expected": ExpectedIdentity(sex="F")}, "expected.sex"),
    ({"metadata": {"a": 1}}, "metadata"),
    ({"document_types": (DocumentType.OTHER,)}, "document_types"),
    ({"provider_options": {"persona": {"nope": 1}}}, "provider_options.persona.nope"),
    ({"provider_options": {"persona": {"link_expires_in": 0}}}, "provider_options.persona.link_expires_in"),
    ({"provider_options": {"persona": {"inquiry_template_id": "blu_1"}}},
     "provider_options.persona.inquiry_template_id"),
])
def test_refused_before_io(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(UnsupportedFeature) as caught:
        make_provider().check_request(SessionRequest(reference="u", **fields))
    assert caught.value.field == field


def _created(link: Any = "https://withpersona.com/verify?code=x", iid: Any = "inq_New1", status: int = 201) -> Any:
    return httpx.Response(status, json={"data": {"type": "inquiry", "id": iid, "attributes": {"status": "created"}},
                                        "meta": {"one-time-link": link, "one-time-link-short": link,
                                                 "session-token": None}})


def test_parse_create_reads_the_link_and_keeps_the_requested_documents() -> None:
    adapter = make_provider(clock=1_000_000.0)
    req = SessionRequest(reference="u", document_types=(DocumentType.PASSPORT,), country="GB")
    session = adapter.parse_create(adapter.build_create(req), _created())
    assert session.url.startswith("https://withpersona.com/verify") and session.single_use
    assert session.ref.extra == ("classes=pp.ppc", "country=GB")
    assert session.expires_at is not None and session.expires_at.timestamp() == 1_000_000 + 24 * 3600


@pytest.mark.parametrize("response", [_created(link=None), _created(link="ftp://x"), _created(iid="inq_../x"),
                                      _created(iid=5), _created(status=200),
                                      httpx.Response(201, content=b"<html>")])
def test_parse_create_refuses_malformed(response: httpx.Response) -> None:
    adapter = make_provider()
    with pytest.raises(ProviderError):
        adapter.parse_create(adapter.build_create(SessionRequest(reference="u")), response)


@pytest.mark.parametrize(("status", "error", "headers"), [
    (400, InvalidRequest, {}), (401, AuthenticationError, {}), (403, PermissionDenied, {}),
    (404, SessionNotFound, {}), (409, InvalidRequest, {}), (422, InvalidRequest, {}),
    (429, RateLimited, {"RateLimit-Reset": "7"}), (500, ProviderUnavailable, {}), (503, ProviderUnavailable, {}),
])
def test_errors_are_typed(status: int, error: type[Exception], headers: dict[str, str]) -> None:
    adapter = make_provider()
    body = {"errors": [{"title": "Bad thing", "details": "data.attributes.name-first Jane is wrong"}]}
    response = httpx.Response(status, json=body, headers={"Request-Id": "req_Q1", **headers})
    with pytest.raises(error) as caught:
        adapter.parse_result(adapter.build_result(REF), response)
    assert "Jane" not in str(caught.value)
    assert getattr(caught.value, "request_id", None) == "req_Q1"
    if status == 429:
        assert caught.value.retry_after == 7  # type: ignore[attr-defined]


def test_a_missing_template_at_create_is_a_configuration_problem() -> None:
    adapter = make_provider()
    with pytest.raises(InvalidRequest) as caught:
        adapter.parse_create(adapter.build_create(SessionRequest(reference="u")),
                             httpx.Response(404, json={"errors": [{"title": "Record not found"}]}))
    assert caught.value.field == "inquiry_template_id"


def test_result_request() -> None:
    r = make_provider().build_result(REF).request
    assert (r.method, str(r.url)) == ("GET", "https://persona.test/api/v1/inquiries/inq_Abc123?include=verifications")
    with pytest.raises(InvalidRequest):
        make_provider().build_result(SessionRef(provider="persona", id="inq_a/../b"))


@pytest.mark.parametrize("url", ["https://a.example/done", "https://a.example/?inquiry-id=inq_1&inquiry-id=inq_2",
                                 "https://a.example/?inquiry-id=inq_1%0A", "https://a.example/?inquiry-id=ver_1",
                                 "http://[::1/?inquiry-id=inq_1"])
def test_return_urls_refused(url: str) -> None:
    with pytest.raises(WebhookVerificationError):
        make_provider().parse_return_url(url)


def test_return_url_status_is_ignored() -> None:
    ref = make_provider().parse_return_url("https://a.example/?inquiry-id=inq_X9&status=approved&reference-id=u")
    assert ref == SessionRef(provider="persona", id="inq_X9")


# -- decide ------------------------------------------------------------------------------------------


def check(name: str, status: str = "passed", requirement: str = "required") -> dict[str, Any]:
    return {"name": name, "status": status, "reasons": [], "requirement": requirement, "metadata": {}}


def doc(status: str = "approved", gid: str = "passed", selfie: str = "passed", checks: Any = None,
        include: bool = True, **attrs: Any) -> dict[str, Any]:
    verifications = [("verification/government-id", "ver_G", gid), ("verification/selfie", "ver_S", selfie)]
    included = []
    for vtype, vid, vstatus in verifications:
        a: dict[str, Any] = {"status": vstatus, "checks": (checks or {}).get(vid, [check("id_tamper_detection")]),
                             "from-reusable-persona": False}
        if vtype.endswith("government-id"):
            a.update({"name-first": "JANE", "name-last": "SAMPLE", "id-class": "pp", "country-code": "GB",
                      "birthdate": "1990-01-02", "identification-number": "X1"})
        included.append({"type": vtype, "id": vid, "attributes": a,
                         "relationships": {"inquiry": {"data": {"type": "inquiry", "id": REF.id}}}})
    return {"data": {"type": "inquiry", "id": REF.id,
                     "attributes": {"status": status, "reference-id": "user-1", **attrs},
                     "relationships": {"verifications": {"data": [{"type": t, "id": i} for t, i, _ in verifications]}}},
            "included": included if include else []}


def test_approved_with_everything_passed() -> None:
    d = decide(doc(), REF)
    assert d.outcome is Outcome.APPROVED and d.reference == "user-1"
    assert d.identity.full_name == "JANE SAMPLE" and d.identity.issuing_country == "GBR"
    assert d.identity.document_type is DocumentType.PASSPORT


@pytest.mark.parametrize("status", ["completed", "created", "pending"])
def test_workflow_setup_pending_statuses(status: str) -> None:
    assert decide(doc(status), REF).outcome is Outcome.PENDING


def test_completion_setup() -> None:
    assert decide(doc("completed"), REF, "completion").outcome is Outcome.APPROVED
    empty = doc("completed")
    empty["data"]["relationships"]["verifications"]["data"] = []
    empty["included"] = []
    assert decide(empty, REF, "completion").outcome is Outcome.REVIEW


def test_unknown_status_is_error() -> None:
    d = decide(doc("Approved"), REF)
    assert d.outcome is Outcome.ERROR and d.reasons[0].code is ReasonCode.UNKNOWN


def test_a_listed_verification_not_included_never_approves() -> None:
    d = decide(doc(include=False), REF)
    assert d.outcome is Outcome.REVIEW and set(d.reason_codes) == {ReasonCode.INCONSISTENT_EVIDENCE}


def test_a_failed_not_required_check_is_a_warning() -> None:
    d = decide(doc(checks={"ver_G": [check("id_glare_detection", "failed", "not_required")]}), REF)
    assert d.outcome is Outcome.APPROVED and [w.provider_code for w in d.warnings] == ["id_glare_detection"]


def test_a_failed_required_check_under_approved_is_review() -> None:
    d = decide(doc(checks={"ver_S": [check("selfie_id_comparison", "failed")]}), REF)
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (ReasonCode.FACE_MISMATCH,)


def test_an_unknown_failing_check_keeps_its_name() -> None:
    d = decide(doc("declined", gid="failed", checks={"ver_G": [check("id_brand_new_detection", "failed")]}), REF)
    assert d.outcome is Outcome.DECLINED
    assert [(r.code, r.provider_code) for r in d.reasons] == [(ReasonCode.UNKNOWN, "id_brand_new_detection")]


def test_expired_after_start_is_abandoned() -> None:
    d = decide(doc("expired", **{"started-at": "2025-01-01T00:00:00.000Z"}), REF)
    assert d.outcome is Outcome.ABANDONED and d.reason_codes == (ReasonCode.TIMED_OUT,)
    assert decide(doc("expired"), REF).outcome is Outcome.EXPIRED


def test_requested_class_and_country_are_enforced() -> None:
    ref = REF.model_copy(update={"extra": ("classes=dl", "country=GB")})
    assert decide(doc(), ref).outcome is Outcome.REVIEW
    ref = REF.model_copy(update={"extra": ("classes=pp.ppc", "country=US")})
    assert decide(doc(), ref).reason_codes == (ReasonCode.DOCUMENT_UNSUPPORTED,)
    ref = REF.model_copy(update={"extra": ("classes=pp.ppc", "country=GB")})
    assert decide(doc(), ref).outcome is Outcome.APPROVED


@pytest.mark.parametrize("mutate", [
    lambda d: d["data"].__setitem__("id", "inq_Other"),
    lambda d: d["included"][0]["relationships"]["inquiry"]["data"].__setitem__("id", "inq_Other"),
    lambda d: d["included"][0].__setitem__("type", "verification/selfie"),
    lambda d: d["included"].append(copy.deepcopy(d["included"][0])),
    lambda d: d["included"].append({}),
    lambda d: d["data"]["attributes"].__setitem__("status", 1),
])
def test_contradictions_are_malformed(mutate: Any) -> None:
    adapter = make_provider()
    body = doc()
    mutate(body)
    with pytest.raises(ProviderError):
        adapter.parse_result(adapter.build_result(REF), httpx.Response(200, json=body))


def test_a_missing_template_is_a_configuration_error_before_io() -> None:
    from ekyc.errors import ConfigurationError

    adapter = make_provider(inquiry_template_id=None)
    with pytest.raises(ConfigurationError) as caught:
        adapter.check_request(SessionRequest(reference="u"))
    assert caught.value.field == "providers.persona.inquiry_template_id"
    adapter.check_request(SessionRequest(reference="u", provider_options={"persona": {
        "inquiry_template_id": "itmpl_PerRequest1"}}))
