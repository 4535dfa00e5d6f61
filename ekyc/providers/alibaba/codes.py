"""Every Alibaba Cloud ID Verification (Cloudauth-intl 2022-08-09) code this library knows, as data.

Kinds:

- ``passed`` — ``CheckResult`` ``Result.Passed``;
- ``subcode`` — ``Result.SubCode``. Only ``200`` is confirmed for Cloudauth-intl. ``201``–``206`` are the
  China-site (cloudauth 2019-03-07 ``DescribeFaceVerify``) table, *unconfirmed for Cloudauth-intl*: they are
  kept because ``205`` is the intl example SubCode next to ``FaceAttack=Y``; none of them ever approves
  (``Passed=N`` → ``DECLINED``; ``Passed=Y`` → ``REVIEW``), and where the meaning does not name a clear reason
  the reason is ``UNKNOWN``;
- ``evidence`` — the sub-checks the ``Ext*`` JSON strings report (:data:`FLAGS`, :data:`SOURCE_SCORES`), by the
  entry of their failing value; an undocumented value or two places disagreeing is ``unrecognized``;
- ``api_error`` — the ``Code`` of an error body (or of an HTTP 200 body that is not ``Success``), with the
  typed error it raises. ``ProcessNotCompleted`` is the exception: it is a session state (``PENDING``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import (
    AuthenticationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.models import Check, Outcome, ReasonCode

META = "Cloudauth-intl OpenAPI metadata (acs-metadata b3c749cc) / SDK 3.23.1"
HTTP_CODES = "DOCS http-status-code-returned-by-the-server"
POP = "Alibaba OpenAPI gateway common codes (help.aliyun.com 434846; status not verified for cloudauth-intl)"
CHINA = "China-site cloudauth 2019-03-07 DescribeFaceVerify SubCode (unconfirmed for Cloudauth-intl)"
EXT = "CheckResult ExtIdInfo/ExtFaceInfo (META EkycVerify/DocOcr examples; alibaba.md §2.2)"
OCCLUSION = "META FaceLiveness example (OcclusionResult) and ExtFaceInfo fields (faceOcclusion); alibaba.md §2.2"
SOURCE = ("SDK 3.23.1 CheckResultResponseBodyResult.ext_source_info docstring (thresholds of the Indonesian "
          "data source example)")
_NOT_200 = "next to Passed=Y (any SubCode but 200) the outcome is REVIEW with this reason"
_FLAG_NOTE = "Next to Passed=N it is a reason of the decline"
_SCORE_NOTE = "A score in [0, 1]; next to Passed=N it is a reason of the decline"

SUCCESS_CODE = "Success"
PASS_SUBCODE = "200"

#: HTTP status the (emulated) service answers each API error with.
API_ERROR_STATUS: dict[str, int] = {
    "MissingParameter": 400,
    "InvalidParameter": 400,
    "TransactionIdInvalid": 400,
    "Forbidden.ExceptionRepeatedInvoke": 401,
    "UnqualifiedPhoto": 401,
    "DataDuplication": 401,
    "ToolargeImage": 401,
    "DownloadTimeout": 401,
    "NoFaceDetected": 401,
    "Forbidden.RAMUserAccessDenied": 403,
    "Forbidden.AccountAccessDenied": 403,
    "Throttling.Api": 403,
    "ProcessNotCompleted": 404,
    "SuspiciousActivity": 429,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "InvalidAccessKeyId.NotFound": 404,
    "InvalidAccessKeyId.Inactive": 400,
    "SignatureDoesNotMatch": 400,
    "IncompleteSignature": 400,
    "InvalidTimeStamp.Format": 400,
    "InvalidTimeStamp.Expired": 400,
    "SignatureNonceUsed": 400,
    "InvalidApi.NotFound": 404,
    "InvalidVersion": 400,
    "Throttling": 400,
    "Throttling.User": 400,
    "Forbidden.RAM": 403,
    "Forbidden.RiskControl": 403,
}


def _api(code: str, message: str, error: type[EkycError] | None, source: str = HTTP_CODES, *,
         outcome: Outcome | None = None, retryable: bool = False, note: str = "") -> CodeEntry:
    status = API_ERROR_STATUS.get(code)
    prefix = f"HTTP {status}: " if status else ""
    return CodeEntry("api_error", code, prefix + message, source, outcome=outcome, error=error,
                     retryable=retryable, note=note)


ENTRIES: tuple[CodeEntry, ...] = (
    # -- Result.Passed ---------------------------------------------------------------------------------
    CodeEntry("passed", "Y", "Passed", META, outcome=Outcome.APPROVED,
              note="APPROVED only with SubCode 200 and every reported evidence flag passing; with any other SubCode "
                   "(or none), or any failing, undocumented or contradictory flag: REVIEW with the SubCode's and the "
                   "flags' reasons (Alibaba's success is never declined by our inference)"),
    CodeEntry("passed", "N", "Not passed", META, outcome=Outcome.DECLINED,
              note="reasons come from the SubCode and the failing Ext* evidence; UNKNOWN when neither names one"),
    CodeEntry("passed", "P", "Pending; later updated to Y or N (query again after the callback)",
              "DOCS gsz1q5nkto9u0acn (eKYC CheckResult, 2024-01)", outcome=Outcome.PENDING),
    # -- Result.SubCode --------------------------------------------------------------------------------
    CodeEntry("subcode", PASS_SUBCODE, "Authentication passed", META, outcome=Outcome.APPROVED,
              note="with Passed=Y only"),
    CodeEntry("subcode", "201", "Name and ID card do not match", CHINA, outcome=Outcome.DECLINED,
              reason=ReasonCode.DATA_MISMATCH, retryable=True, note=_NOT_200),
    CodeEntry("subcode", "202", "Unable to find identity information", CHINA, outcome=Outcome.DECLINED,
              note="authority lookup found no record; no neutral reason fits, kept UNKNOWN; " + _NOT_200),
    CodeEntry("subcode", "203", "Unable to find photo or photo unavailable", CHINA, outcome=Outcome.DECLINED,
              note="authority photo unavailable; kept UNKNOWN; " + _NOT_200),
    CodeEntry("subcode", "204", "Face comparison mismatch", CHINA, outcome=Outcome.DECLINED,
              reason=ReasonCode.FACE_MISMATCH, retryable=True, note=_NOT_200),
    CodeEntry("subcode", "205", "Risk detected in live detection (possible attack; the China-site table advises "
              "manual review, and a real person may retry)", CHINA, outcome=Outcome.DECLINED,
              reason=ReasonCode.SPOOF_DETECTED,
              note="the intl meaning is not published: 205 is the example SubCode of FaceLiveness (Passed=N, "
                   "FaceAttack=Y) and of EkycVerify (Passed=Y next to facePassed=N, ocrIdPassed=N, spoofResult=Y); "
                   + _NOT_200),
    CodeEntry("subcode", "206", "Business policy restricted", CHINA, outcome=Outcome.DECLINED,
              note="possible abnormal risky operation; kept UNKNOWN; " + _NOT_200),
    # -- Ext* evidence (each flag is one sub-check; see FLAGS / SOURCE_SCORES) ---------------------------
    CodeEntry("evidence", "ExtIdInfo.spoofInfo.spoofResult=Y",
              "The document failed the authenticity check (screen recapture, photocopy or tampering)", EXT,
              outcome=Outcome.REVIEW, reason=ReasonCode.DOCUMENT_TAMPERED,
              note="N passes; spoofType goes into the reason's provider_code. " + _FLAG_NOTE),
    CodeEntry("evidence", "ExtIdInfo.ocrIdPassed=N", "The document OCR check did not pass", EXT,
              outcome=Outcome.REVIEW, reason=ReasonCode.DOCUMENT_UNREADABLE, retryable=True,
              note="Y passes. " + _FLAG_NOTE),
    CodeEntry("evidence", "ExtFaceInfo.faceAttack=Y", "A presentation attack was detected", EXT,
              outcome=Outcome.REVIEW, reason=ReasonCode.SPOOF_DETECTED, note="N passes. " + _FLAG_NOTE),
    CodeEntry("evidence", "ExtFaceInfo.facePassed=N", "The face comparison did not pass", EXT,
              outcome=Outcome.REVIEW, reason=ReasonCode.FACE_MISMATCH, retryable=True,
              note="Y passes. " + _FLAG_NOTE),
    CodeEntry("evidence", "ExtFaceInfo.faceOcclusion=Y", "The face is occluded", OCCLUSION,
              outcome=Outcome.REVIEW, reason=ReasonCode.CAPTURE_QUALITY, retryable=True,
              note="N passes; also read as OcclusionResult (the FaceLiveness spelling). " + _FLAG_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.govId<1.0", "The ID number does not match the authoritative source",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.DATA_MISMATCH, note="1.0 passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.fullName<1.0", "The name does not match the authoritative source",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.DATA_MISMATCH, note="1.0 passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.dob<1.0", "The date of birth does not match the authoritative source",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.DATA_MISMATCH, note="1.0 passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.selfiePhoto<=0.8", "The selfie does not match the authoritative photo",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.FACE_MISMATCH,
              note="above 0.8 passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.liveness>0.95", "Liveness risk reported by the authoritative source",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.SPOOF_DETECTED,
              note="0.95 or below passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "ExtSourceInfo.imgManipulationScore>0.95", "Image tampering risk",
              SOURCE, outcome=Outcome.REVIEW, reason=ReasonCode.DOCUMENT_TAMPERED,
              note="0.95 or below passes. " + _SCORE_NOTE),
    CodeEntry("evidence", "not-reported",
              "A check that ran did not report its verdict (ocrIdPassed missing or null in a non-empty ExtIdInfo, "
              "spoofResult in a spoofInfo, faceAttack in a non-empty ExtFaceInfo, facePassed next to a "
              "faceComparisonScore)", "unknown", outcome=Outcome.REVIEW, reason=ReasonCode.INCONSISTENT_EVIDENCE,
              note="fail closed: never approves (REVIEW next to Passed=Y, a warning next to Passed=N); the "
                   "reason's provider_code names the flag"),
    CodeEntry("evidence", "unrecognized",
              "An evidence flag has an undocumented value, or two places of the payload report it differently",
              "unknown", outcome=Outcome.REVIEW, reason=ReasonCode.INCONSISTENT_EVIDENCE,
              note="fail closed: never approves (REVIEW next to Passed=Y, a warning next to Passed=N); the "
                   "reason's provider_code names the flag; also any ExtSourceInfo key this table does not know"),
    CodeEntry("evidence", "contradictory",
              "An evidence object's fields disagree with each other (a spoofType listed next to spoofResult=N) "
              "or one has an undocumented type (a spoofType that is not a list of strings)", EXT,
              outcome=Outcome.REVIEW, reason=ReasonCode.INCONSISTENT_EVIDENCE,
              note="alibaba.md §2.2 documents spoofType as the list of what a failed check found; fail closed: "
                   "never approves (REVIEW next to Passed=Y, a warning next to Passed=N); the reason's "
                   "provider_code names the sub-check"),
    # -- API error codes -------------------------------------------------------------------------------
    _api(SUCCESS_CODE, "OK", None, note="HTTP 200; any other Code in an HTTP 200 body raises its error or "
                                         "ProviderError"),
    _api("MissingParameter", "Required parameter empty", InvalidRequest),
    _api("InvalidParameter", "Illegal parameter", InvalidRequest),
    _api("TransactionIdInvalid", "Invalid transaction id (unknown, or older than the 30-day retention)",
         SessionNotFound),
    _api("Forbidden.ExceptionRepeatedInvoke", "Too many repeated abnormal calls", PermissionDenied),
    _api("UnqualifiedPhoto", "Image unreadable or resolution not met", InvalidRequest),
    _api("DataDuplication", "Image passed as both Base64 and URL", InvalidRequest),
    _api("ToolargeImage", "Image too large", InvalidRequest),
    _api("DownloadTimeout", "Timed out downloading the image URL", InvalidRequest),
    _api("NoFaceDetected", "Face feature extraction failed (of the supplied image)", InvalidRequest),
    _api("Forbidden.RAMUserAccessDenied", "RAM user lacks AliyunAntCloudAuthFullAccess", PermissionDenied),
    _api("Forbidden.AccountAccessDenied", "Service not activated or account in arrears", PermissionDenied),
    _api("Throttling.Api", "API QPS limit exceeded", RateLimited, retryable=True,
         note="x-acs-retry-after (milliseconds) becomes retry_after in seconds"),
    _api("ProcessNotCompleted", "Verification flow not finished", None, outcome=Outcome.PENDING,
         note="CheckResult before the user finished: a PENDING decision, not an error"),
    _api("SuspiciousActivity", "Security policy limit (device-guard APIs)", PermissionDenied,
         note="a security-policy refusal, not throttling: not retried"),
    _api("InternalError", "Internal error", ProviderUnavailable, retryable=True),
    _api("ServiceUnavailable", "Service unavailable", ProviderUnavailable, retryable=True),
    _api("InvalidAccessKeyId.NotFound", "Specified access key is not found", AuthenticationError, POP),
    _api("InvalidAccessKeyId.Inactive", "Specified access key is disabled", AuthenticationError, POP),
    _api("SignatureDoesNotMatch", "Specified signature is not matched with our calculation",
         AuthenticationError, POP),
    _api("IncompleteSignature", "The request signature does not conform to Alibaba Cloud standards",
         AuthenticationError, POP),
    _api("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted",
         AuthenticationError, POP),
    _api("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired (over 15 minutes skew)",
         AuthenticationError, POP),
    _api("SignatureNonceUsed", "Specified signature nonce was used already", AuthenticationError, POP),
    _api("InvalidApi.NotFound", "Specified api is not found", InvalidRequest, POP),
    _api("InvalidVersion", "Specified parameter Version is not valid", InvalidRequest,
         "unknown (inference: generic POP gateway code)"),
    _api("Throttling", "Request was denied due to request throttling", RateLimited, POP, retryable=True),
    _api("Throttling.User", "Request was denied due to user flow control", RateLimited, POP, retryable=True),
    _api("Forbidden.RAM", "User not authorized to operate on the specified resource", PermissionDenied, POP),
    _api("Forbidden.RiskControl", "This operation is forbidden by Aliyun RiskControl system", PermissionDenied,
         POP),
)

#: prefix → error class for API error codes the table does not list, checked in order
API_ERROR_PREFIXES: tuple[tuple[str, type[EkycError]], ...] = (
    ("Throttling", RateLimited),
    ("InvalidAccessKeyId", AuthenticationError),
    ("InvalidTimeStamp", AuthenticationError),
    ("Signature", AuthenticationError),
    ("InvalidSecurityToken", AuthenticationError),
    ("Forbidden", PermissionDenied),
    ("Missing", InvalidRequest),
    ("Invalid", InvalidRequest),
)

CODE_TABLE = CodeTable(
    "alibaba",
    ENTRIES,
    {
        "passed": "Result.Passed (CheckResult)",
        "subcode": "Result.SubCode (CheckResult and the callback's subCode)",
        "evidence": "Evidence in ExtIdInfo / ExtFaceInfo / ExtSourceInfo (each flag is one sub-check)",
        "api_error": "API error codes (error body Code; HTTP 200 with a non-Success Code)",
    },
    error_prefixes=API_ERROR_PREFIXES,
)


@dataclass(frozen=True)
class Flag:
    """A ``Y``/``N`` evidence flag of the ``Ext*`` JSON strings: one sub-check.

    ``keys`` are its documented spellings (matched case-insensitively, in every ``Ext*`` object, inside
    ``parent`` when given); ``failing`` is the code-table entry of its failing value.
    """

    name: str
    keys: tuple[str, ...]
    passing: str
    failing: str
    parent: str | None = None
    check: Check | None = None
    #: keys of ``parent`` that list what a failing check found (documented as a JSON array of strings): absent,
    #: null or ``[]`` when the check passes; a non-empty list next to the passing value (a contradiction) or any
    #: other type makes the sub-check ``contradictory`` (never approves)
    details: tuple[str, ...] = ()
    #: the flag must be reported when this part of the payload is (``"ExtFaceInfo"``: that object is not empty;
    #: ``"ExtFaceInfo.faceComparisonScore"``: that key is set): a check that ran reports its verdict
    required_when: str | None = None


#: every evidence flag the code table documents (the table's ``evidence`` entries give the reasons)
FLAGS: tuple[Flag, ...] = (
    Flag("ExtIdInfo.spoofInfo.spoofResult", ("spoofResult",), "N", "ExtIdInfo.spoofInfo.spoofResult=Y",
         parent="spoofInfo", check=Check.DOCUMENT, details=("spoofType",), required_when="ExtIdInfo.spoofInfo"),
    Flag("ExtIdInfo.ocrIdPassed", ("ocrIdPassed",), "Y", "ExtIdInfo.ocrIdPassed=N", check=Check.DOCUMENT,
         required_when="ExtIdInfo"),
    Flag("ExtFaceInfo.faceAttack", ("faceAttack",), "N", "ExtFaceInfo.faceAttack=Y", check=Check.LIVENESS,
         required_when="ExtFaceInfo"),
    Flag("ExtFaceInfo.facePassed", ("facePassed",), "Y", "ExtFaceInfo.facePassed=N", check=Check.FACE_MATCH,
         required_when="ExtFaceInfo.faceComparisonScore"),
    Flag("ExtFaceInfo.faceOcclusion", ("faceOcclusion", "OcclusionResult"), "N", "ExtFaceInfo.faceOcclusion=Y"),
)


@dataclass(frozen=True)
class SourceScore:
    """A documented ``ExtSourceInfo`` score in [0, 1] and the comparison that makes it fail."""

    key: str
    fails: Callable[[float], bool]
    failing: str


#: the documented ``ExtSourceInfo`` scores (SDK 3.23.1 docstring); any other key is an undocumented sub-check
SOURCE_SCORES: tuple[SourceScore, ...] = (
    SourceScore("govId", lambda v: v < 1.0, "ExtSourceInfo.govId<1.0"),
    SourceScore("fullName", lambda v: v < 1.0, "ExtSourceInfo.fullName<1.0"),
    SourceScore("dob", lambda v: v < 1.0, "ExtSourceInfo.dob<1.0"),
    SourceScore("selfiePhoto", lambda v: v <= 0.8, "ExtSourceInfo.selfiePhoto<=0.8"),
    SourceScore("liveness", lambda v: v > 0.95, "ExtSourceInfo.liveness>0.95"),
    SourceScore("imgManipulationScore", lambda v: v > 0.95, "ExtSourceInfo.imgManipulationScore>0.95"),
)
UNRECOGNIZED = "unrecognized"
CONTRADICTORY = "contradictory"
NOT_REPORTED = "not-reported"
