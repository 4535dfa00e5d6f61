"""CheckResult parsing: malformed payloads, contradictions, identity styles, API errors (fail closed)."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.errors import (
    AuthenticationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.models import DocumentType, Outcome, ReasonCode, SessionRef
from ekyc.providers.alibaba import AlibabaProvider, AlibabaSettings
from ekyc.providers.alibaba.parse import identity, parse_date

REF = SessionRef(provider="alibaba", id="tx1", extra=("biz1",))
P = AlibabaProvider(AlibabaSettings(access_key_id="AK", access_key_secret="SK"))
OK_ID = {"ocrIdInfo": {"surname": "SAMPLE", "givenname": "JANE", "passportNo": "X1"}, "ocrIdPassed": "Y",
         "spoofInfo": {"spoofResult": "N", "spoofType": []}}
OK_FACE = {"faceAttack": "N", "facePassed": "Y", "faceComparisonScore": 90}


def result(status: int = 200, body: Any = None, content: bytes | None = None,
           headers: dict[str, str] | None = None) -> Any:
    prepared = P.build_result(REF)
    raw = content if content is not None else json.dumps(body).encode()
    return P.parse_result(prepared, httpx.Response(status, content=raw, headers=headers or {}))


def ok(**res: Any) -> dict[str, Any]:
    return {"RequestId": "R", "Code": "Success", "Message": "success", "Result": res}


def j(v: Any) -> str:
    return json.dumps(v)


def test_documented_success() -> None:
    d = result(body=ok(Passed="Y", SubCode="200", ExtIdInfo=j(OK_ID), ExtFaceInfo=j(OK_FACE)))
    assert d.outcome is Outcome.APPROVED and d.checks.face_match.score == 90
    assert d.provider_status == "Passed=Y,SubCode=200"


# Alibaba's success is never declined by our inference: a failing, undocumented or contradictory flag next to
# Passed=Y/SubCode 200 is REVIEW with the flag's reason (the evidence rule, ekyc.evidence.settle).
@pytest.mark.parametrize(("ext_id", "ext_face", "reason"), [
    ({**OK_ID, "spoofInfo": {"spoofResult": "Y", "spoofType": ["SCREEN_REMARK", "bad value!"]}}, OK_FACE,
     ReasonCode.DOCUMENT_TAMPERED),
    (OK_ID, {**OK_FACE, "faceAttack": "Y"}, ReasonCode.SPOOF_DETECTED),
    (OK_ID, {**OK_FACE, "facePassed": "N"}, ReasonCode.FACE_MISMATCH),
    ({**OK_ID, "ocrIdPassed": "N"}, OK_FACE, ReasonCode.DOCUMENT_UNREADABLE),
    (OK_ID, {**OK_FACE, "faceOcclusion": "Y"}, ReasonCode.CAPTURE_QUALITY),
    (OK_ID, {**OK_FACE, "OcclusionResult": "Y"}, ReasonCode.CAPTURE_QUALITY),
    (OK_ID, {**OK_FACE, "faceAttack": "maybe"}, ReasonCode.INCONSISTENT_EVIDENCE),
    (OK_ID, {**OK_FACE, "faceAttack": "y"}, ReasonCode.INCONSISTENT_EVIDENCE),
    (OK_ID, {**OK_FACE, "faceAttack": ""}, ReasonCode.INCONSISTENT_EVIDENCE),
    (OK_ID, {**OK_FACE, "faceAttack": True}, ReasonCode.INCONSISTENT_EVIDENCE),
    (OK_ID, {**OK_FACE, "facePassed": ["Y"]}, ReasonCode.INCONSISTENT_EVIDENCE),
    ({**OK_ID, "spoofInfo": "Y"}, OK_FACE, ReasonCode.INCONSISTENT_EVIDENCE),
    ({**OK_ID, "spoofInfo": {"spoofResult": "N "}}, OK_FACE, ReasonCode.INCONSISTENT_EVIDENCE),
    ({**OK_ID, "ocrIdPassed": "Ｙ"}, OK_FACE, ReasonCode.INCONSISTENT_EVIDENCE),
])
def test_passed_y_with_contradicting_evidence_is_review(ext_id: Any, ext_face: Any, reason: ReasonCode) -> None:
    d = result(body=ok(Passed="Y", SubCode="200", ExtIdInfo=j(ext_id), ExtFaceInfo=j(ext_face)))
    assert d.outcome is Outcome.REVIEW and d.reason_codes == (reason,)
    if reason is ReasonCode.DOCUMENT_TAMPERED:
        assert d.reasons[0].provider_code == "spoofResult=Y;spoofType=SCREEN_REMARK"
        assert "SCREEN_REMARK" in (d.reasons[0].message or "")
    if reason is ReasonCode.INCONSISTENT_EVIDENCE:
        assert (d.reasons[0].provider_code or "").endswith("=?")


def test_ekyc_verify_example_is_review() -> None:
    """The published EkycVerify example: Passed=Y, SubCode 205, facePassed N, ocrIdPassed N, spoofResult Y.

    Alibaba says Passed=Y: never DECLINED by our inference; every doubt is a reason of the REVIEW."""
    d = result(body=ok(Passed="Y", SubCode="205",
                       ExtIdInfo=j({"ocrIdPassed": "N", "spoofInfo": {"spoofResult": "Y"}}),
                       ExtFaceInfo=j({"faceAttack": "N", "facePassed": "N", "faceComparisonScore": 52.57})))
    assert d.outcome is Outcome.REVIEW
    assert d.reason_codes[0] is ReasonCode.SPOOF_DETECTED and d.reasons[0].provider_code == "205"
    assert set(d.reason_codes) == {ReasonCode.DOCUMENT_TAMPERED, ReasonCode.DOCUMENT_UNREADABLE,
                                   ReasonCode.FACE_MISMATCH, ReasonCode.SPOOF_DETECTED}
    assert d.checks.face_match.passed is False and d.checks.face_match.score == 52.57
    assert d.checks.liveness.passed is True and d.checks.document.passed is False


@pytest.mark.parametrize("sub", ["205", "201", "202", "206", "299", "2OO", " 200", "200 ", "٢٠٠", "２００"])
def test_passed_y_with_another_subcode_is_review_never_declined(sub: str) -> None:
    d = result(body=ok(Passed="Y", SubCode=sub, ExtIdInfo=j(OK_ID), ExtFaceInfo=j(OK_FACE)))
    assert d.outcome is Outcome.REVIEW and len(d.reasons) == 1


@pytest.mark.parametrize(("res", "outcome", "codes"), [
    ({"Passed": "Y"}, Outcome.REVIEW, (ReasonCode.INCONSISTENT_EVIDENCE,)),
    ({"Passed": "Y", "SubCode": ""}, Outcome.REVIEW, (ReasonCode.INCONSISTENT_EVIDENCE,)),
    ({"Passed": "Y", "SubCode": "299"}, Outcome.REVIEW, (ReasonCode.UNKNOWN,)),
    ({"Passed": "Y", "SubCode": "205"}, Outcome.REVIEW, (ReasonCode.SPOOF_DETECTED,)),
    ({"Passed": "N", "SubCode": "200"}, Outcome.DECLINED, (ReasonCode.UNKNOWN,)),
    ({"Passed": "N", "SubCode": "204"}, Outcome.DECLINED, (ReasonCode.FACE_MISMATCH,)),
    ({"Passed": "N", "SubCode": "205", "ExtFaceInfo": j({"faceAttack": "Y"})}, Outcome.DECLINED,
     (ReasonCode.SPOOF_DETECTED,)),
    ({"Passed": "N", "SubCode": "205", "ExtFaceInfo": j({"faceAttack": "N"})}, Outcome.DECLINED,
     (ReasonCode.SPOOF_DETECTED,)),
    ({"Passed": "P"}, Outcome.PENDING, ()),
    ({"Passed": "X", "SubCode": "200"}, Outcome.ERROR, (ReasonCode.UNKNOWN,)),
    ({"Passed": "Y", "SubCode": "200", "ExtIdInfo": "", "ExtFaceInfo": None}, Outcome.APPROVED, ()),
])
def test_passed_and_subcode(res: dict[str, Any], outcome: Outcome, codes: tuple[ReasonCode, ...]) -> None:
    d = result(body=ok(**res))
    assert d.outcome is outcome and d.reason_codes == codes


def test_unexplained_subcode_is_a_warning_when_evidence_explains() -> None:
    d = result(body=ok(Passed="N", SubCode="206", ExtIdInfo=j({**OK_ID, "ocrIdPassed": "N"})))
    assert d.reason_codes == (ReasonCode.DOCUMENT_UNREADABLE,)
    assert [w.provider_code for w in d.warnings] == ["206"]


@pytest.mark.parametrize("res", [
    {"Passed": "Y", "SubCode": "200", "ExtIdInfo": "{not json"},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": "[1, 2]"},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": 5},
    {"Passed": "Y", "SubCode": "200", "ExtRiskInfo": "nope"},
    {"SubCode": "200"},
    {"Passed": ["Y"], "SubCode": "200"},
    {"Passed": "Y", "SubCode": 200},  # the SDK model documents SubCode as a string
    {"Passed": "N", "SubCode": 204},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": {"faceAttack": "N"}},  # Ext* are JSON strings (SDK model)
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceAttack": "N", "faceAttack": "N"}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceAttack": "N", "FaceAttack": "Y"}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": NaN}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": Infinity}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": 1e999}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": 101}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": -1}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": "90"}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceComparisonScore": true}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": '{"faceAge": ' + "9" * 30 + '}'},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": "[" * 100 + "]" * 100},
    {"Passed": "Y", "SubCode": "200", "ExtFaceInfo": "[" * 100000},
    {"Passed": "Y", "SubCode": "200", "ExtSourceInfo": '{"govId": 1.5}'},
    {"Passed": "Y", "SubCode": "200", "ExtSourceInfo": '{"govId": "1.0"}'},
    {"Passed": "Y", "SubCode": "200", "ExtIdInfo": j({"ocrIdInfo": ["x"]})},
    {"Passed": "Y", "SubCode": "200", "ExtIdInfo": j({"ocrIdInfo": {"passportNo": 12345}})},
])
def test_malformed_results_raise_provider_error(res: dict[str, Any]) -> None:
    with pytest.raises(ProviderError):
        result(body=ok(**res))


@pytest.mark.parametrize(("status", "content"), [
    (200, b""), (200, b"<html>"), (200, b'{"Code": "Success"'), (200, b"[]"), (200, b'{"Code":"Success"}'),
    (200, b'{"Code":"Success","Result":[]}'), (502, b"<html>bad gateway</html>"),
])
def test_malformed_bodies(status: int, content: bytes) -> None:
    with pytest.raises(EkycError) as exc:
        result(status, content=content)
    assert isinstance(exc.value, (ProviderError, ProviderUnavailable))


@pytest.mark.parametrize(("status", "code", "error"), [
    (400, "MissingParameter", InvalidRequest), (400, "TransactionIdInvalid", SessionNotFound),
    (404, "InvalidAccessKeyId.NotFound", AuthenticationError), (400, "SignatureDoesNotMatch", AuthenticationError),
    (400, "InvalidTimeStamp.Expired", AuthenticationError), (400, "SignatureNonceUsed", AuthenticationError),
    (403, "Forbidden.RAMUserAccessDenied", PermissionDenied), (403, "Forbidden.Whatever", PermissionDenied),
    (403, "Throttling.Api", RateLimited), (400, "Throttling.User", RateLimited),
    (401, "UnqualifiedPhoto", InvalidRequest), (401, "ToolargeImage", InvalidRequest),
    (500, "InternalError", ProviderUnavailable), (503, "ServiceUnavailable", ProviderUnavailable),
    (502, "SomethingNew", ProviderUnavailable), (400, "SomethingNew", InvalidRequest),
    (418, "SomethingNew", ProviderError), (200, "Forbidden.RAM", PermissionDenied),
    (200, "Weird", ProviderError), (200, None, ProviderError),
])
def test_api_errors(status: int, code: str | None, error: type[EkycError]) -> None:
    body = {"RequestId": "REQ-1", "HostId": "h", "Code": code, "Message": "Jane Sample X1234567 failed",
            "Recommend": "https://x"}
    with pytest.raises(error) as exc:
        result(status, body=body)
    assert exc.value.provider_code == code and exc.value.request_id == "REQ-1"
    assert "X1234567" not in str(exc.value) and "Jane" not in str(exc.value)


def test_retry_after_is_milliseconds() -> None:
    with pytest.raises(RateLimited) as exc:
        result(403, body={"Code": "Throttling.Api", "RequestId": "R"}, headers={"x-acs-retry-after": "2500"})
    assert exc.value.retry_after == 2.5
    with pytest.raises(RateLimited):  # any error with a positive x-acs-retry-after is throttling (SDK semantics)
        result(500, body={"Code": "InternalError"}, headers={"x-acs-retry-after": "100"})


def test_process_not_completed_is_pending() -> None:
    d = result(404, body={"Code": "ProcessNotCompleted", "RequestId": "R"})
    assert d.outcome is Outcome.PENDING and d.provider_status == "ProcessNotCompleted"


# -- identity -----------------------------------------------------------------------------------------------


def test_identity_styles() -> None:
    passport = identity({"ocrIdInfo": {"surname": "SAMPLE", "givenname": "JANE", "passportNo": "X1",
                                       "birthDate": "1990/01/02", "countryCode": "GBR", "sex": "F",
                                       "expiryDate": "2031-05-06"}})
    assert passport.full_name == "JANE SAMPLE" and passport.document_type is DocumentType.PASSPORT
    assert passport.date_of_birth == date(1990, 1, 2) and passport.issuing_country == "GBR"
    assert passport.nationality == "GBR"
    card = identity({"ocrIdInfo": {"name": "张三", "idNumber": "1101", "sex": "男", "birthDate": "1990-02-21",
                                   "address": "北京", "nationality": "汉"}})
    assert (card.full_name, card.sex, card.document_type, card.nationality) == ("张三", "M", DocumentType.ID_CARD,
                                                                                 None)
    glob = identity({"ocrIdInfo": {"firstName": "JANE", "lastName": "SAMPLE", "countryCode": "CN",
                                   "docType": "01000000", "dateOfBirth": "1990-01-02", "idNumber": "E1"}})
    assert glob.full_name == "JANE SAMPLE" and glob.document_type is DocumentType.PASSPORT
    assert glob.issuing_country == "CHN"
    assert identity({"ocrIdInfo": {}}).is_empty() and identity({}).is_empty()
    with pytest.raises(ValueError):  # a WireError, which the adapter turns into ProviderError
        identity({"ocrIdInfo": ["x"]})


@pytest.mark.parametrize(("text", "expected"), [
    ("1990-02-21", date(1990, 2, 21)), ("2032/02/10", date(2032, 2, 10)), ("20320210", date(2032, 2, 10)),
    ("2032.2.1", date(2032, 2, 1)), ("2032-13-01", None), ("long term", None), (None, None), (19900221, None),
    ("١٩٩٠-٠٢-٢١", None), ("１９９０-０２-２１", None), ("1990-02-21\n", date(1990, 2, 21)), ("1990-02-21x", None),
])
def test_dates(text: Any, expected: date | None) -> None:
    assert parse_date(text) == expected


# -- fuzz: never an untyped exception, never a false APPROVED ---------------------------------------------

_flag = st.one_of(st.sampled_from(["Y", "N", "", "P", "yes"]), st.none(), st.integers(), st.lists(st.text()))
_ext = st.one_of(
    st.none(), st.text(max_size=20),
    st.fixed_dictionaries({}, optional={
        "ocrIdPassed": _flag, "spoofInfo": st.one_of(_flag, st.fixed_dictionaries({}, optional={
            "spoofResult": _flag, "spoofType": st.one_of(_flag, st.lists(st.text(max_size=8)))})),
        "ocrIdInfo": st.one_of(_flag, st.dictionaries(st.sampled_from(
            ["surname", "givenname", "passportNo", "birthDate", "expiryDate", "countryCode", "sex", "name"]),
            st.one_of(st.text(max_size=12), st.integers()))),
        "faceAttack": _flag, "facePassed": _flag,
        "faceComparisonScore": st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.none())}).map(j),
)


@settings(max_examples=300, deadline=None)
@given(passed=st.one_of(st.sampled_from(["Y", "N", "P"]), st.text(max_size=4), st.none(), st.integers()),
       sub=st.one_of(st.sampled_from(["200", "204", "205", "999"]), st.none(), st.text(max_size=4)),
       ext_id=_ext, ext_face=_ext)
def test_fuzz_results(passed: Any, sub: Any, ext_id: Any, ext_face: Any) -> None:
    res = {"Passed": passed, "SubCode": sub, "ExtIdInfo": ext_id, "ExtFaceInfo": ext_face}
    try:
        d = result(body=ok(**res))
    except EkycError:
        return
    if d.outcome is Outcome.APPROVED:
        assert passed == "Y" and sub == "200"
        for ext in (ext_id, ext_face):
            if isinstance(ext, str) and ext:
                data = json.loads(ext)
                for bad in ("N",):
                    assert data.get("ocrIdPassed") != bad and data.get("facePassed") != bad
                assert data.get("faceAttack") not in ("Y",)
                spoof = data.get("spoofInfo")
                assert not (isinstance(spoof, dict) and spoof.get("spoofResult") == "Y")
                assert not (isinstance(spoof, dict) and spoof.get("spoofType") not in (None, []))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzz_return_urls_and_callbacks(text: str) -> None:
    for call in (lambda: P.parse_return_url(text), lambda: P.parse_webhook(text.encode(), {})):
        with contextlib.suppress(EkycError):
            call()


# -- an evidence object whose fields disagree, or have an undocumented type, never approves -----------------

@pytest.mark.parametrize("spoof", [
    {"spoofResult": "N", "spoofType": ["TAMPER"]},  # a spoof type found next to "no spoof": a contradiction
    {"spoofResult": "N", "spoofType": "TAMPER"},  # a string where alibaba.md §2.2 documents a list
    {"spoofResult": "N", "spoofType": [5]},
    {"spoofResult": "N", "spoofType": {"TAMPER": 1}},
    {"spoofResult": "N", "SpoofType": ["PHOTO_COPY"]},
    {"spoofResult": "Y", "spoofType": 5},  # was a ProviderError: now the sub-check is unknown (REVIEW)
    {"spoofResult": "Y", "spoofType": "TAMPER"},
])
def test_contradictory_or_mistyped_spoof_info_is_review(spoof: dict[str, Any]) -> None:
    d = result(body=ok(Passed="Y", SubCode="200", ExtIdInfo=j({**OK_ID, "spoofInfo": spoof}), ExtFaceInfo=j(OK_FACE)))
    assert d.outcome is Outcome.REVIEW
    assert [r.code for r in d.reasons] == [ReasonCode.INCONSISTENT_EVIDENCE]
    assert "ExtIdInfo.spoofInfo.spoofResult" in (d.reasons[0].provider_code or "")
    assert d.checks.document.passed is None


@pytest.mark.parametrize("spoof", [{"spoofResult": "N", "spoofType": []}, {"spoofResult": "N"},
                                   {"spoofResult": "N", "spoofType": None}])
def test_consistent_passing_spoof_info_approves(spoof: dict[str, Any]) -> None:
    d = result(body=ok(Passed="Y", SubCode="200", ExtIdInfo=j({**OK_ID, "spoofInfo": spoof}), ExtFaceInfo=j(OK_FACE)))
    assert d.outcome is Outcome.APPROVED


def test_contradictory_spoof_info_next_to_passed_n_is_a_warning() -> None:
    d = result(body=ok(Passed="N", SubCode="205", ExtIdInfo=j({**OK_ID, "spoofInfo": {"spoofResult": "N",
                                                                                     "spoofType": ["TAMPER"]}}),
                       ExtFaceInfo=j(OK_FACE)))
    assert d.outcome is Outcome.DECLINED
    assert any("spoofResult" in (w.provider_code or "") for w in d.warnings)
