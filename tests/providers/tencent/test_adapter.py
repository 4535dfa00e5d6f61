"""The sans-I/O adapter: request mapping, unsupported features, response parsing (incl. malformed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from typing import Any

import httpx
import pytest

from ekyc.errors import (
    AuthenticationError,
    ConfigurationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
    UnsupportedFeature,
    WebhookVerificationError,
)
from ekyc.models import Check, DocumentType, ExpectedIdentity, Outcome, ReasonCode, SessionRef, SessionRequest
from ekyc.providers.tencent import TencentProvider, TencentSettings, signing
from ekyc.providers.tencent.identity import card_identity, parse_date
from ekyc.settings import Settings

from .helpers import envelope_response

NOW = 1_700_000_000.0
BASE_SETTINGS: dict[str, Any] = {"secret_id": "AKIDtest", "secret_key": "secret-key",
                                 "webhook_signature_key": "hook-key"}
REF = SessionRef(provider="tencent", id="81EEF678-28EE-4759-A82E-6CBBBE6BC442")
ALL = frozenset(Check)
IMAGE = base64.b64encode(b"\xff\xd8\xff\xe0fake-jpeg").decode()


def provider(**overrides: Any) -> TencentProvider:
    return TencentProvider(TencentSettings(**{**BASE_SETTINGS, **overrides}), clock=lambda: NOW)


def req(**fields: Any) -> SessionRequest:
    base: dict[str, Any] = {"reference": "u1", "return_url": "https://app.example/back"}
    return SessionRequest(**{**base, **fields})


def body_of(p: TencentProvider, request: SessionRequest) -> dict[str, Any]:
    p.check_request(request)
    prepared = p.build_create(request)
    return json.loads(prepared.request.content)  # type: ignore[no-any-return]


# -- request mapping ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("doc", "country", "card"), [
    (DocumentType.PASSPORT, "GBR", "InternationalIDPassport"),
    (DocumentType.PASSPORT, None, "InternationalIDPassport"),
    (DocumentType.ID_CARD, "HKG", "HKIDCard"),
    (DocumentType.ID_CARD, "MY", "MLIDCard"),
    (DocumentType.ID_CARD, "IDN", "IndonesiaIDCard"),
    (DocumentType.ID_CARD, "THA", "ThailandIDCard"),
    (DocumentType.ID_CARD, "SGP", "SingaporeIDCard"),
    (DocumentType.ID_CARD, "CHN", "MainlandIDCard"),
    (DocumentType.DRIVERS_LICENSE, "PHL", "PhilippinesDrivingLicense"),
])
def test_check_mode_1_card_types(doc: DocumentType, country: str | None, card: str) -> None:
    body = body_of(provider(), req(document_types=(doc,), country=country))
    assert body == {"RedirectURL": "https://app.example/back", "Extra": "u1",
                    "Config": {"CheckMode": 1, "IDCardType": card}}


@pytest.mark.parametrize(("fields", "field"), [
    ({"document_types": (DocumentType.ID_CARD,), "country": "GBR"}, "country"),
    ({"document_types": (DocumentType.ID_CARD,)}, "country"),
    ({"document_types": (DocumentType.DRIVERS_LICENSE,), "country": "HKG"}, "country"),
    ({"document_types": (DocumentType.RESIDENCE_PERMIT,), "country": "HKG"}, "document_types"),
    ({"document_types": (DocumentType.PASSPORT, DocumentType.ID_CARD), "country": "HKG"}, "document_types"),
    ({"checks": {Check.LIVENESS, Check.FACE_MATCH}}, "reference_image"),
    ({"checks": {Check.FACE_MATCH}}, "checks"),
    ({"checks": {Check.DOCUMENT, Check.LIVENESS}}, "checks"),
    ({"checks": {Check.DOCUMENT, Check.FACE_MATCH}}, "checks"),
    ({"reference_image": IMAGE}, "reference_image"),
    ({"checks": {Check.LIVENESS}, "reference_image": IMAGE}, "reference_image"),
    ({"checks": {Check.LIVENESS}, "document_types": (DocumentType.PASSPORT,)}, "document_types"),
    ({"expected": ExpectedIdentity(full_name="JANE SAMPLE")}, "expected"),
    ({"contact_email": "a@b.example"}, "contact_email"),
    ({"metadata": {"k": "v"}}, "metadata"),
    ({"return_url": None}, "return_url"),
    ({"language": "fr"}, "language"),
    ({"language": "zh-XX"}, "language"),
    ({"provider_options": {"tencent": {"Nope": 1}}}, "provider_options"),
    ({"provider_options": {"tencent": {"CheckMode": 2}}}, "provider_options"),
    ({"provider_options": {"tencent": {"IDCardType": "MarsID"}}}, "provider_options"),
])
def test_unsupported_features_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        provider().check_request(req(**fields))
    assert info.value.field == field
    assert info.value.provider == "tencent"


def test_check_modes_2_3_4_and_reference_image() -> None:
    p = provider()
    body = body_of(p, req(checks={Check.LIVENESS, Check.FACE_MATCH},
                          reference_image="data:image/jpeg;base64," + IMAGE))
    assert body["Config"] == {"CheckMode": 2}
    assert body["CompareImageBase64"] == IMAGE  # data-URI header stripped
    assert body_of(p, req(checks={Check.LIVENESS}))["Config"] == {"CheckMode": 3}
    assert body_of(p, req(checks={Check.DOCUMENT}, document_types=(DocumentType.ID_CARD,), country="HK"))[
        "Config"] == {"CheckMode": 4, "IDCardType": "HKIDCard"}
    assert body_of(p, req())["Config"] == {"CheckMode": 1}  # no document type: Tencent's default card


@pytest.mark.parametrize(("tag", "lang"), [("en", "en"), ("en-GB", "en"), ("th-TH", "th"), ("id", "id"),
                                           ("zh-CN", "zh-cn"), ("zh-Hans", "zh-cn"), ("zh", "zh-cn"),
                                           ("zh-TW", "zh-tc"), ("zh_HK", "zh-tc")])
def test_language(tag: str, lang: str) -> None:
    assert body_of(provider(), req(language=tag))["Config"]["Language"] == lang


def test_provider_options_and_ignored_client_metadata() -> None:
    body = body_of(provider(), req(client_metadata='{"browser-marker-zq": "x"}', provider_options={"tencent": {
        "SecurityLevel": 2, "ActionList": "blink,mouth", "AutoSkip": True, "RuleId": "1", "Language": "th"}},
        language="en"))
    assert body["RuleId"] == "1"
    assert body["Config"] == {"CheckMode": 1, "SecurityLevel": 2, "ActionList": "blink,mouth", "AutoSkip": True,
                              "Language": "th"}
    assert "browser-marker-zq" not in json.dumps(body)
    with pytest.raises(InvalidRequest) as info:
        provider().check_request(req(provider_options={"tencent": {"ActionList": "blink"}}))
    assert info.value.field == "provider_options.tencent.ActionList"
    with pytest.raises(InvalidRequest):
        provider().check_request(req(provider_options={"tencent": {"SecurityLevel": True}}))


def test_signed_request_shape() -> None:
    p = provider(token="temp-token", region="ap-jakarta")
    prepared = p.build_create(req(document_types=(DocumentType.PASSPORT,)))
    r = prepared.request
    assert (r.method, str(r.url)) == ("POST", "https://faceid.intl.tencentcloudapi.com/")
    assert r.headers["host"] == "faceid.intl.tencentcloudapi.com"
    assert r.headers["x-tc-action"] == "ApplyWebVerificationBizTokenIntl"
    assert r.headers["x-tc-region"] == "ap-jakarta"
    assert r.headers["x-tc-token"] == "temp-token"
    assert r.headers["x-tc-language"] == "en-US"
    assert r.headers["x-tc-timestamp"] == str(int(NOW))
    assert r.content == json.dumps(json.loads(r.content)).encode()  # SDK-style separators
    parsed = signing.parse_authorization(r.headers["authorization"])
    assert parsed is not None and parsed.secret_id == "AKIDtest"
    assert signing.verify_request("secret-key", parsed, r.content, host=r.headers["host"], timestamp=int(NOW),
                          content_type=r.headers["content-type"])
    assert prepared.retry.value == "not_sent"
    res = p.build_result(REF).request
    assert json.loads(res.content) == {"BizToken": REF.id}
    assert res.headers["x-tc-action"] == "GetWebVerificationResultIntl"


def test_endpoint_override_host_and_port() -> None:
    p = provider(endpoint="http://127.0.0.1:8123")
    r = p.build_result(REF).request
    assert str(r.url) == "http://127.0.0.1:8123/" and r.headers["host"] == "127.0.0.1:8123"


def test_settings_validation_and_env_aliases() -> None:
    with pytest.raises(ConfigurationError) as bad_region:
        TencentSettings(secret_id="a", secret_key="b", region="ap-guangzhou")
    assert bad_region.value.field == "region"
    with pytest.raises(ConfigurationError) as bad_id:
        TencentSettings(secret_id=" a", secret_key="b")
    assert bad_id.value.field == "secret_id"
    for field, value in (("secret_id", "AKID\u2019x"), ("secret_id", "AKID x"), ("token", "t\u00e9mp"),
                         ("token", "t\n")):
        with pytest.raises(ConfigurationError) as bad:
            TencentSettings(**{"secret_id": "a", "secret_key": "b", field: value})
        assert bad.value.field == field and value not in str(bad.value)
    settings = Settings.from_env({"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "envkey",
                                  "EKYC_TENCENT_REGION": "ap-bangkok", "EKYC_PROVIDER": "tencent"})
    tc = settings.provider_settings("tencent")
    assert isinstance(tc, TencentSettings)
    assert tc.secret("secret_id") == "AKIDenv" and tc.region == "ap-bangkok"
    assert "envkey" not in repr(tc) and "AKIDenv" not in repr(tc)
    with pytest.raises(ConfigurationError) as info:
        Settings.load({"providers": {"tencent": {"secret_id": "a", "secret_key": "b", "region": "mars"}}})
    assert info.value.field == "providers.tencent.region"


# -- create responses ---------------------------------------------------------------------------------------

def test_parse_create() -> None:
    p = provider()
    prepared = p.build_create(req())
    session = p.parse_create(prepared, envelope_response({"Response": {
        "BizToken": REF.id, "VerificationURL": f"https://intl.faceid.qq.com/reflect/?token={REF.id}",
        "RequestId": "r1"}}))
    assert session.ref.id == REF.id and session.ref.extra == ("1", "all") and session.ref.reference == "u1"
    assert session.url.endswith(REF.id)
    assert session.expires_at is not None and session.expires_at.timestamp() == NOW + 600


@pytest.mark.parametrize("payload", [
    {"Response": {"RequestId": "r"}},
    {"Response": {"BizToken": 5, "VerificationURL": "https://x/", "RequestId": "r"}},
    {"Response": {"BizToken": "A B", "VerificationURL": "https://x/", "RequestId": "r"}},
    {"Response": {"BizToken": "ABC", "VerificationURL": "javascript:alert(1)", "RequestId": "r"}},
    {"NotResponse": {}}, [], b"{\"Response\": {\"BizTo", b"<html>oops</html>", b"",
])
def test_malformed_create_responses(payload: Any) -> None:
    p = provider()
    with pytest.raises(ProviderError):
        p.parse_create(p.build_create(req()), envelope_response(payload))


@pytest.mark.parametrize(("code", "cls"), [
    ("UnauthorizedOperation.Nonactivated", PermissionDenied), ("InvalidParameterValue.RuleIdNotExist", InvalidRequest),
    ("RequestLimitExceeded", RateLimited), ("InternalError", ProviderUnavailable),
    ("AuthFailure.SignatureFailure", AuthenticationError), ("FailedOperation.ImageSizeTooLarge", InvalidRequest),
])
def test_create_api_errors(code: str, cls: type[EkycError]) -> None:
    p = provider()
    with pytest.raises(cls) as info:
        p.parse_create(p.build_create(req()), envelope_response(
            {"Response": {"Error": {"Code": code, "Message": "JANE SAMPLE X1234567 secret"}, "RequestId": "rid-1"}}))
    assert info.value.provider_code == code and info.value.request_id == "rid-1"
    assert "JANE" not in str(info.value) and "X1234567" not in str(info.value)


# -- result responses ---------------------------------------------------------------------------------------

#: the ref a create in CheckMode 1 stores (the default: every document warning interrupts the flow)
REF1 = SessionRef(provider="tencent", id=REF.id, extra=("1", "all"))


def parse(resp: dict[str, Any] | bytes, status: int = 200, ref: SessionRef = REF) -> Any:
    p = provider()
    payload = resp if isinstance(resp, bytes) else {"Response": {**resp, "RequestId": "rid"}}
    return p.parse_result(p.build_result(ref), envelope_response(payload, status))


def detail(code: int = 0, live: int | None = 0, comp: int | None = 0, sim: Any = 95.0, **kw: Any) -> dict[str, Any]:
    return {"ErrorCode": code, "ErrorMsg": "x", "LivenessErrorCode": live, "CompareErrorCode": comp,
            "Similarity": sim, "ReqTimestamp": 1_700_000_000_123, "Seq": "s", **kw}


PASSPORT = {"InternationalIDPassport": {"LicenseNumber": "X1234567", "FullName": "JANE SAMPLE",
                                        "Birthday": "1990-01-02", "Sex": "F", "DateOfExpiration": "2031/05/06",
                                        "IssuingCountry": "GBR", "NationalityCode": "GBR"}}


def ocr(is_pass: Any = True, warns: list[Any] | None = None, card: Any = PASSPORT) -> dict[str, Any]:
    return {"IsPass": is_pass, "WarnCardInfos": warns or [], "NormalCardInfo": card}


def test_approved_with_everything() -> None:
    d = parse({"ErrorCode": 0, "ErrorMsg": "ok", "VerificationDetailList": [detail()], "OCRResult": [ocr()]})
    assert d.outcome is Outcome.APPROVED and d.billable is True
    assert (d.checks.document.passed, d.checks.liveness.passed, d.checks.face_match.passed) == (True, True, True)
    assert d.checks.face_match.score == 95.0
    assert d.identity.document_number == "X1234567" and d.identity.expiry_date == date(2031, 5, 6)
    assert d.identity.document_type is DocumentType.PASSPORT and d.identity.issuing_country == "GBR"
    assert d.completed_at is not None and d.completed_at.timestamp() == 1_700_000_000.123
    assert "X1234567" not in repr(d)


@pytest.mark.parametrize(("resp", "reasons", "names"), [
    ({"OCRResult": [ocr(is_pass=False)]}, {ReasonCode.INCONSISTENT_EVIDENCE}, {"OCRResult[0].IsPass"}),
    ({"OCRResult": [ocr(warns=[-9102])]}, {ReasonCode.DOCUMENT_TAMPERED}, {"-9102"}),
    ({"VerificationDetailList": [detail(live=1002)]}, {ReasonCode.SPOOF_DETECTED}, {"1002"}),
    ({"VerificationDetailList": [detail(comp=2016, sim=40.0)]}, {ReasonCode.FACE_MISMATCH},
     {"2016", "VerificationDetailList[0].Similarity"}),
    ({"VerificationDetailList": [detail(code=2012)]}, {ReasonCode.MULTIPLE_FACES}, {"2012"}),
    ({"VerificationDetailList": [detail(sim=69.99)]}, {ReasonCode.FACE_MISMATCH},
     {"VerificationDetailList[0].Similarity"}),
    ({"VerificationDetailList": [detail(LivenessInfoTag=["03"])]}, {ReasonCode.SPOOF_DETECTED}, {"03"}),
    ({"VerificationDetailList": [detail(live=777)]}, {ReasonCode.UNKNOWN}, {"777"}),
])
def test_error_code_zero_with_contradicting_evidence_is_review(resp: dict[str, Any], reasons: set[ReasonCode],
                                                               names: set[str]) -> None:
    # ErrorCode 0 is Tencent's documented success: a contradicting sub-check makes it REVIEW (never
    # APPROVED, and never DECLINED by our own inference), the reason naming the sub-check
    d = parse({"ErrorCode": 0, "VerificationDetailList": [detail()], "OCRResult": [ocr()], **resp}, ref=REF1)
    assert d.outcome is Outcome.REVIEW
    assert set(d.reason_codes) == reasons
    assert {r.provider_code for r in d.reasons} == names


def test_informational_signals_are_warnings() -> None:
    d = parse({"ErrorCode": 0, "OCRResult": [ocr(warns=[-9109])],
               "VerificationDetailList": [detail(LivenessInfoTag=["09"])]})
    assert d.outcome is Outcome.APPROVED
    assert {w.provider_code for w in d.warnings} == {"-9109", "09"}


def test_earlier_failed_attempts_do_not_block_a_final_pass() -> None:
    d = parse({"ErrorCode": 0, "VerificationDetailList": [
        detail(code=1201, live=1201, comp=None, sim=None, LivenessInfoTag=["03"]), detail()]})
    assert d.outcome is Outcome.APPROVED
    assert [a.provider_code for a in d.attempts] == ["1201", "0"]
    assert d.attempts[0].reasons[0].code is ReasonCode.CAPTURE_QUALITY
    assert d.attempts[0].liveness.passed is False and d.attempts[1].face_match.score == 95.0


@pytest.mark.parametrize("resp", [{}, {"ErrorCode": None, "ErrorMsg": None}, {"ErrorCode": -999},
                                  {"ErrorCode": 17}])
def test_pending(resp: dict[str, Any]) -> None:
    d = parse(resp)
    assert d.outcome is Outcome.PENDING and not d.approved


@pytest.mark.parametrize("value", ["1410", "0", " 0", "-0", "0 ", "\u0660", "\uff10", "0\n", 0.0, True, [0], {}])
def test_error_code_must_be_a_json_integer(value: Any) -> None:
    # the SDK documents ErrorCode as int: a string (even of digits) is malformed, never read as a code
    with pytest.raises(ProviderError) as info:
        parse({"ErrorCode": value})
    assert info.value.field == "ErrorCode"


@pytest.mark.parametrize("resp", [
    {"ErrorCode": "abc"}, {"ErrorCode": True}, {"ErrorCode": 0.0}, {"ErrorCode": 0, "VerificationDetailList": {}},
    {"ErrorCode": 0, "VerificationDetailList": ["x"]}, {"ErrorCode": 0, "OCRResult": [ocr(is_pass="yes")]},
    {"ErrorCode": 0, "VerificationDetailList": [detail(sim=150)]},
    {"ErrorCode": 0, "VerificationDetailList": [detail(sim="high")]},
    {"ErrorCode": 0, "OCRResult": [ocr(warns="-9102")]}, {"ErrorCode": 0, "OCRResult": [ocr(card=[1])]},
    {"ErrorCode": 0, "VerificationDetailList": [detail(ReqTimestamp="yesterday")]},
    {"ErrorCode": 0, "OCRResult": "none"},
])
def test_wrong_types_raise_provider_error(resp: dict[str, Any]) -> None:
    with pytest.raises(ProviderError):
        parse(resp)


@pytest.mark.parametrize("raw", [b"", b"{\"Response\": {\"ErrorCode\": 0", b"<html><body>502</body></html>",
                                 b"{}", b"[]", b"{\"Response\": []}", b"{\"Response\": \"ok\"}",
                                 b"{\"Response\": {\"Error\": \"boom\"}}",
                                 b"{\"Response\": {\"Error\": {\"Message\": \"no code\"}}}"])
def test_malformed_bodies_raise_provider_error(raw: bytes) -> None:
    with pytest.raises(ProviderError):
        parse(raw)


@pytest.mark.parametrize(("status", "cls"), [(500, ProviderUnavailable), (502, ProviderUnavailable),
                                             (503, ProviderUnavailable), (429, RateLimited),
                                             (401, AuthenticationError), (404, SessionNotFound),
                                             (302, ProviderError)])
def test_non_200_is_typed(status: int, cls: type[EkycError]) -> None:
    with pytest.raises(cls):
        parse(b'{"Response": {"ErrorCode": 0, "RequestId": "r"}}', status)


def test_result_api_errors() -> None:
    def err(code: str) -> dict[str, Any]:
        return {"Error": {"Code": code, "Message": "m"}}

    d = parse(err("InvalidParameterValue.BizTokenExpired"))
    assert d.outcome is Outcome.EXPIRED and d.reason_codes == (ReasonCode.SESSION_EXPIRED,)
    assert d.provider_status == "InvalidParameterValue.BizTokenExpired"
    with pytest.raises(SessionNotFound) as info:
        parse(err("InvalidParameterValue.BizTokenIllegal"))
    assert info.value.request_id == "rid"
    for code, cls in (("OperationDenied", PermissionDenied), ("InternalError.UnKnown", ProviderUnavailable),
                      ("RequestLimitExceeded.UinLimitExceeded", RateLimited), ("InvalidParameter", InvalidRequest)):
        with pytest.raises(cls):
            parse(err(code))


# -- identity ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1990-01-02", date(1990, 1, 2)), ("1990/01/02", date(1990, 1, 2)), ("1990.01.02", date(1990, 1, 2)),
    ("19900102", date(1990, 1, 2)), ("02/01/1990", date(1990, 1, 2)), ("02-01-1990", date(1990, 1, 2)),
    ("02 JAN 1990", date(1990, 1, 2)), ("02 January 1990", date(1990, 1, 2)), ("Jan 02, 1990", date(1990, 1, 2)),
    ("JAKARTA, 02-01-1990", date(1990, 1, 2)), ("1990年01月02日", date(1990, 1, 2)),
    ("", None), ("SEUMUR HIDUP", None), ("31/31/1990", None), (None, None), (19900102, None),
    # ten characters with a dash that date.fromisoformat reads on 3.11 but no listed format does: not a date
    ("2021-W01-1", None), ("1990-001-2", None),
])
def test_parse_date(text: Any, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("card_type", "card", "expected"), [
    ("HKIDCard", {"FullName": "CHAN, Tai Man", "ChineseName": "陳大文", "Birthday": "02-01-1990", "Sex": "男",
                  "LicenseNumber": "A123456(7)"},
     {"full_name": "CHAN, Tai Man", "sex": "M", "document_number": "A123456(7)", "issuing_country": "HKG",
      "date_of_birth": date(1990, 1, 2), "document_type": DocumentType.ID_CARD}),
    ("MLIDCard", {"FullName": "SITI", "LicenseNumber": "900102-14-5678", "Sex": "PEREMPUAN",
                  "FormattedAddress": "KL", "Birthday": "1990/01/02"},
     {"full_name": "SITI", "sex": "F", "issuing_country": "MYS", "address": "KL"}),
    ("MainlandIDCard", {"FullName": "张三", "Sex": "男", "Birthday": "1990/1/2", "LicenseNumber": "1101",
                        "ValidDate": "2010.01.01-2030.01.01"},
     {"expiry_date": date(2030, 1, 1), "issuing_country": "CHN", "date_of_birth": date(1990, 1, 2)}),
    ("ThailandIDCard", {"FullName": "Mr. Somchai", "FirstName": "Somchai", "LastName": "Jaidee",
                        "Birthday": "02 Jan. 1990", "ExpirationDate": "01 Jan 2030", "LicenseNumber": "1 2345"},
     {"given_name": "Somchai", "family_name": "Jaidee", "expiry_date": date(2030, 1, 1), "issuing_country": "THA"}),
    ("SingaporeIDCard", {"FullName": "TAN AH KOW", "LicenseNumber": "S1234567D", "Sex": "M",
                         "Nationality": "SGP", "Birthday": "02-01-1990"},
     {"nationality": "SGP", "issuing_country": "SGP", "date_of_birth": date(1990, 1, 2)}),
    ("IndonesiaIDCard", {"LicenseNumber": "3171", "FullName": "BUDI", "Birthday": "JAKARTA, 02-01-1990",
                         "Sex": "LAKI-LAKI", "DueDate": "SEUMUR HIDUP"},
     {"date_of_birth": date(1990, 1, 2), "sex": "M", "expiry_date": None, "issuing_country": "IDN"}),
    ("PhilippinesDrivingLicense", {"Name": "DELA CRUZ, JUAN", "LicenseNo": "N01-23", "ExpiresDate": "2030/01/02",
                                   "Birthday": "1990/01/02", "Sex": "M"},
     {"full_name": "DELA CRUZ, JUAN", "document_number": "N01-23", "document_type": DocumentType.DRIVERS_LICENSE,
      "issuing_country": "PHL", "expiry_date": date(2030, 1, 2)}),
    ("PhilippinesVoteID", {"VIN": "1234", "FirstName": "JUAN", "LastName": "CRUZ", "Birthday": "1990-01-02"},
     {"full_name": "JUAN CRUZ", "document_number": "1234", "issuing_country": "PHL"}),
    ("InternationalIDPassport", {"LicenseNumber": "E1", "Surname": "SAMPLE", "GivenName": "JANE",
                                 "Birthday": "02 JAN 1990", "IssuingCountry": "HK", "Sex": "Female"},
     {"full_name": "JANE SAMPLE", "issuing_country": "HKG", "sex": "F", "document_type": DocumentType.PASSPORT}),
])
def test_card_identity(card_type: str, card: dict[str, Any], expected: dict[str, Any]) -> None:
    identity = card_identity(card_type, card)
    for name, value in expected.items():
        assert getattr(identity, name) == value, name


def test_original_card_info_json() -> None:
    d = parse({"ErrorCode": 0, "OCRResult": [{"IsPass": True, "OriginalCardInfo": json.dumps(
        {"HKIDCard": {"FullName": "CHAN", "LicenseNumber": "A1"}})}]})
    assert d.identity.document_number == "A1" and d.identity.issuing_country == "HKG"


# -- return URL and webhooks --------------------------------------------------------------------------------

def test_parse_return_url() -> None:
    p = provider()
    assert p.parse_return_url(f"https://app.example/back?a=1&token={REF.id}&status=ok") == REF
    for bad in ("https://app.example/back", "https://app.example/back?token=", "https://a/?token=a&token=b",
                "https://a/?token=%3Cscript%3E", 42):
        with pytest.raises(WebhookVerificationError):
            p.parse_return_url(bad)  # type: ignore[arg-type]


def signed(body: bytes, stamp: str, key: str = "hook-key") -> dict[str, str]:
    sig = hmac.new(key.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Webhook-Signature": sig, "X-Webhook-Timestamp": stamp, "Content-Type": "application/json"}


WEBHOOK = json.dumps({"Scene": "NONDOC_VERIFICATION_RESULT", "BizToken": REF.id, "ErrorCode": 0,
                      "RequestId": "ev-1"}).encode()


def test_webhook_valid() -> None:
    event = provider().parse_webhook(WEBHOOK, signed(WEBHOOK, str(int(NOW) - 10)))
    assert event.ref == REF and event.authenticated == "payload" and event.provider_status == "0"
    assert event.event_id == "ev-1" and event.event_type == "NONDOC_VERIFICATION_RESULT"
    assert event.decision is None
    ms = provider().parse_webhook(WEBHOOK, {k.lower(): v for k, v in signed(WEBHOOK, str(int(NOW * 1000))).items()})
    assert ms.ref == REF


@pytest.mark.parametrize("case", ["tampered", "wrong_key", "stale", "future", "missing", "not_json", "no_token",
                                  "bad_stamp", "non_ascii_sig"])
def test_webhook_rejected(case: str) -> None:
    body, stamp, key = WEBHOOK, str(int(NOW)), "hook-key"
    headers = signed(body, stamp, key)
    if case == "tampered":
        body = body.replace(b'"ErrorCode": 0', b'"ErrorCode": 1')
    elif case == "wrong_key":
        headers = signed(body, stamp, "other")
    elif case == "stale":
        headers = signed(body, str(int(NOW) - 301))
    elif case == "future":
        headers = signed(body, str(int(NOW) + 301))
    elif case == "missing":
        headers.pop("X-Webhook-Signature")
    elif case == "not_json":
        body = b"not json"
        headers = signed(body, stamp)
    elif case == "no_token":
        body = b'{"ErrorCode": 0}'
        headers = signed(body, stamp)
    elif case == "bad_stamp":
        headers["X-Webhook-Timestamp"] = "12:00"
    elif case == "non_ascii_sig":
        headers["X-Webhook-Signature"] = "é" * 64
    with pytest.raises(WebhookVerificationError):
        provider().parse_webhook(body, headers)


def test_webhook_needs_a_key() -> None:
    with pytest.raises(WebhookVerificationError) as info:
        provider(webhook_signature_key=None).parse_webhook(WEBHOOK, signed(WEBHOOK, str(int(NOW))))
    assert info.value.field == "webhook_signature_key"


def test_build_result_rejects_foreign_refs() -> None:
    with pytest.raises(InvalidRequest):
        provider().build_result(SessionRef(provider="didit", id="x"))


def test_httpx_request_is_sendable() -> None:
    prepared = provider().build_create(req())
    assert isinstance(prepared.request, httpx.Request) and prepared.request.headers["content-type"] == (
        "application/json")


# SecurityLevel 5 with an ActionList (issue 13 item 5): the SDK's ActionList text allows levels 2, 4 and 5
BAD_CONFIGS = [
    ({"SecurityLevel": 6}, "SecurityLevel"), ({"SecurityLevel": 0}, "SecurityLevel"),
    ({"SecurityLevel": 3, "ActionList": "blink"}, "ActionList"),
    ({"SecurityLevel": 1, "ActionList": "nod"}, "ActionList"),
    ({"SecurityLevel": 5, "ActionList": "wink"}, "ActionList"),
    ({"SecurityLevel": 5, "ActionList": "blink,mouth,nod"}, "ActionList"),
    ({"SecurityLevel": 2, "ActionList": "blink,blink"}, "ActionList"),
    ({"SecurityLevel": 4, "ActionList": "blink, mouth"}, "ActionList"),
    ({"LivenessRetryLimit": 0}, "LivenessRetryLimit"), ({"LivenessTimeout": 601}, "LivenessTimeout"),
    ({"AutoDowngrade": 3}, "AutoDowngrade"),
]


@pytest.mark.parametrize("level", [2, 4, 5])
def test_an_action_list_goes_with_security_level_2_4_or_5(level: int) -> None:
    options = {"SecurityLevel": level, "ActionList": "nod,shake"}
    body = body_of(provider(), req(provider_options={"tencent": options}))
    assert body["Config"]["SecurityLevel"] == level and body["Config"]["ActionList"] == "nod,shake"


@pytest.mark.parametrize(("options", "field"), BAD_CONFIGS)
def test_a_config_tencent_documents_as_an_error_is_refused_before_sending(options: dict[str, object],
                                                                         field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        provider().check_request(req(provider_options={"tencent": options}))
    assert info.value.field == f"provider_options.tencent.{field}"
