"""Tencent Cloud eKYC (H5) code table: every documented result code, warning, liveness tag and API error.

Kinds:

- ``result`` — ``GetWebVerificationResultIntl.ErrorCode`` (and ``VerificationDetail.ErrorCode`` /
  ``LivenessErrorCode`` / ``CompareErrorCode``, same numbering);
- ``warn_card`` — ``OCRResult.WarnCardInfos`` document warnings;
- ``liveness_tag`` — ``VerificationDetail.LivenessInfoTag`` (PLUS version);
- ``sub_check`` — how each sub-check the result reports counts next to ``ErrorCode`` 0 (the evidence rule,
  :mod:`ekyc.evidence`), each with the Tencent material it is settled from;
- ``api_error`` — ``Response.Error.Code`` of any call.

Warnings and tags with an outcome of ``DECLINED`` are evidence against the person or the document: next
to ``ErrorCode`` 0 they make the decision ``REVIEW`` (Tencent's documented success is never declined by
our own inference, and never approved on doubtful evidence). Those without an outcome are informational
and land in ``Decision.warnings``.
"""

from __future__ import annotations

from dataclasses import replace

from ekyc.codes import CodeEntry, CodeTable
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
from ekyc.models import Outcome, ReasonCode

R = ReasonCode
O = Outcome  # noqa: E741

# Source labels (see /docs/providers/tencent.md for the full references)
H5 = "1061/55390 (H5 codes)"
H5_OLD = "intlcloud-documents 错误码_intl_en (older H5 edition)"
ANN = "announcement 100989 (2026-03-10)"
APP = "SDK CompareResult / GetFaceIdResultIntl docstring (App SDK)"
OCR = "SDK WebVerificationConfigIntl.SelectedWarningCodes / OCRResult.WarnCardInfos"
TAG = "SDK VerificationDetail.LivenessInfoTag"
COMMON = "common error codes (1122/43829)"
EKYC = "eKYC common error codes (1061/37075)"
ERR = "tencentcloud-sdk-python-intl-en 3.1.193 faceid/v20180301/errorcodes.py"
GO = "tencentcloud-sdk-go-intl-en faceid client.go"
CFG = "SDK WebVerificationConfigIntl.SelectedWarningCodes / DisableCheckOcrWarnings"
MODE = "SDK WebVerificationConfigIntl.CheckMode"
DETAIL = "SDK VerificationDetail (ErrorCode / LivenessErrorCode / CompareErrorCode: 0 = success)"
FINAL = "SDK GetWebVerificationResultIntlResponse.ErrorCode / VerificationDetailList"


def _r(code: int, message: str, outcome: Outcome | None, reason: ReasonCode | None, retryable: bool,
       billed: bool | None, source: str, note: str = "") -> CodeEntry:
    return CodeEntry("result", str(code), message, source, outcome=outcome, reason=reason,
                     retryable=retryable, billed=billed, note=note)


_RESULTS = [
    _r(0, "Success", O.APPROVED, None, False, True, H5,
       "approves only when every reported sub-check passes (see the sub-check table); otherwise REVIEW"),
    _r(1, "Invalid parameter", O.ERROR, R.INVALID_REQUEST, False, False, H5),
    _r(2, "Incorrect parameter value", O.ERROR, R.INVALID_REQUEST, False, False, H5),
    _r(3, "Bad request", O.ERROR, R.INVALID_REQUEST, False, False, H5),
    _r(4, "Internal service error", O.ERROR, R.PROVIDER_ERROR, True, False, H5),
    _r(8, "Internal service error", O.ERROR, R.PROVIDER_ERROR, True, False, H5,
       "older edition: failed to store the file"),
    _r(9, "Internal service error", O.ERROR, R.PROVIDER_ERROR, True, False, H5,
       "older edition: invalid file format"),
    _r(10, "Internal service error", O.ERROR, R.PROVIDER_ERROR, True, False, H5,
       "older edition: file system error"),
    _r(11, "Internal service error", O.ERROR, R.PROVIDER_ERROR, True, False, H5,
       "older edition: file system timeout"),
    _r(14, "Verification has been completed", O.ERROR, R.ALREADY_COMPLETED, False, False, H5),
    _r(15, "Token expired", O.EXPIRED, R.SESSION_EXPIRED, True, False, H5),
    _r(16, "Retry limit has been reached", O.DECLINED, R.RETRY_LIMIT_REACHED, False, False, H5),
    _r(17, "The process wasn't finished", O.PENDING, None, False, None, H5_OLD,
       "only in the older edition; read as not finished"),
    _r(202, "Failed to get video", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1001, "Failed to call the liveness engine", O.ERROR, R.PROVIDER_ERROR, True, False, H5),
    _r(1002, "Suspected spoofed recording", O.DECLINED, R.SPOOF_DETECTED, False, False, H5),
    _r(1003, "Real person detection failed", O.DECLINED, R.LIVENESS_FAILED, True, False, H5),
    _r(1004, "Face detection failed", O.DECLINED, R.FACE_NOT_DETECTED, True, False, H5),
    _r(1005, "Liveness detection failed", O.DECLINED, R.LIVENESS_FAILED, True, False, H5),
    _r(1101, "No sound is detected", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1102, "The face is not fully exposed", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1103, "Speech recognition failed", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1104, "The video format is incorrect", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1105, "Failed to pull the video. Please try again", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1106, "The volume of the video is too low", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1107, "The video is empty or its size is inappropriate", O.DECLINED, R.CAPTURE_QUALITY, True, False,
       H5),
    _r(1108, "The video definition is too low", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1109, "The lip movement range is too small", O.DECLINED, R.LIVENESS_FAILED, True, False, H5),
    _r(1201, "The lighting is too dim", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5),
    _r(1202, "The lighting is too strong", O.DECLINED, R.CAPTURE_QUALITY, True, False, H5,
       "current page cut at 'The lig'; text from the older edition"),
    _r(1203, "The face is too close to the screen", O.DECLINED, R.CAPTURE_QUALITY, True, None, H5_OLD),
    _r(1204, "The face is too far right from the screen", O.DECLINED, R.CAPTURE_QUALITY, True, None, H5_OLD),
    _r(1205, "The face is too far from the screen", O.DECLINED, R.CAPTURE_QUALITY, True, None, H5_OLD),
    _r(1206, "The face is too far left from the screen", O.DECLINED, R.CAPTURE_QUALITY, True, None, H5_OLD),
    _r(1207, "No eye closing motions were detected", O.DECLINED, R.LIVENESS_FAILED, True, None, H5_OLD),
    _r(1208, "The first motion was not detected", O.DECLINED, R.LIVENESS_FAILED, True, None, H5_OLD),
    _r(1209, "No mouth opening motions were detected", O.DECLINED, R.LIVENESS_FAILED, True, None, H5_OLD),
    _r(1210, "No full face was detected", O.DECLINED, R.FACE_NOT_DETECTED, True, None, H5_OLD),
    _r(1301, "Real person detection failed", O.DECLINED, R.LIVENESS_FAILED, True, None, H5_OLD),
    _r(1302, "Real person detection did not reach the passing standard", O.DECLINED, R.LIVENESS_FAILED, True,
       None, H5_OLD),
    _r(1303, "The video is too short (record more than 2 s)", O.DECLINED, R.CAPTURE_QUALITY, True, None,
       H5_OLD),
    _r(1401, "Reflection-based liveness detection failed", O.DECLINED, R.LIVENESS_FAILED, True, None, H5_OLD),
    _r(1409, "Verification process timed out", O.ABANDONED, R.TIMED_OUT, True, False, ANN),
    _r(1410, "User exited voluntarily", O.ABANDONED, R.USER_CANCELLED, True, False, ANN),
    _r(2001, "An error occurred while calling the comparison engine", O.ERROR, R.PROVIDER_ERROR, True, None,
       H5_OLD),
    _r(2004, "The image passed in is too large or too small", O.ERROR, R.INVALID_REQUEST, False, None, H5_OLD,
       "the comparison image given at create"),
    _r(2009, "The image passed in has too low a resolution", O.ERROR, R.INVALID_REQUEST, False, None, H5_OLD,
       "the comparison image given at create"),
    _r(2010, "Face detection failed; no photo could be extracted for comparison", O.DECLINED,
       R.FACE_NOT_DETECTED, True, None, H5_OLD),
    _r(2011, "Real person comparison failed", O.DECLINED, R.FACE_MISMATCH, True, None, H5_OLD),
    _r(2012, "Multiple faces detected", O.DECLINED, R.MULTIPLE_FACES, True, False, ANN),
    _r(2013, "No full face was detected", O.DECLINED, R.FACE_NOT_DETECTED, True, None, H5_OLD),
    _r(2014, "The image resolution is too low", O.DECLINED, R.CAPTURE_QUALITY, True, None, H5_OLD),
    _r(2015, "Comparison failed", O.DECLINED, R.FACE_MISMATCH, True, None, H5_OLD),
    _r(2016, "The similarity did not reach the passing standard", O.DECLINED, R.FACE_MISMATCH, True, None,
       H5_OLD),
    _r(2017, "Facial occlusion detected", O.DECLINED, R.CAPTURE_QUALITY, True, None, APP,
       "App SDK list only; not in any H5 table found"),
    _r(-999, "The verification process wasn't finished", O.PENDING, None, False, None, APP,
       "App SDK sibling API; read as not finished"),
]


#: where each H5 result code after 1202 comes from, and how sure we are: the stored copies of the current H5 page
#: (1061/55390) are cut after 1202, so none of these is read from it (reference: tencent.md §4.1 and §10)
_OLD = "older intl H5 edition"
_SDK_ACTION = "same message as the SDK's FailedOperation.Action* code"
_CHINA = "also in the China FaceID lists (same numbering)"
_COMPARE = "also in the SDK's App-SDK CompareResult list (same numbering)"
_AFTER_1202: dict[int, tuple[str, str]] = {
    **{code: ("likely", f"{_OLD}; {_SDK_ACTION}") for code in range(1203, 1211)},
    1301: ("likely", f"{_OLD}; {_CHINA}"),
    1302: ("likely", f"{_OLD}; {_CHINA}"),
    1303: ("likely", f"{_OLD}; {_CHINA}"),
    1401: ("unconfirmed", f"{_OLD} only"),
    1409: ("confirmed", "Tencent's announcement 100989 (2026-03-10)"),
    1410: ("confirmed", "Tencent's announcement 100989 (2026-03-10)"),
    2001: ("likely", f"{_OLD}; {_CHINA}"),
    2004: ("likely", f"{_OLD}; {_COMPARE}"),
    2009: ("unconfirmed", f"{_OLD} only"),
    2010: ("unconfirmed", f"{_OLD} only"),
    2011: ("likely", f"{_OLD}; {_CHINA}"),
    2012: ("confirmed", "Tencent's announcement 100989 (2026-03-10); also in the App-SDK CompareResult list"),
    2013: ("likely", f"{_OLD}; {_COMPARE}"),
    2014: ("likely", f"{_OLD}; {_COMPARE}"),
    2015: ("likely", f"{_OLD}; {_COMPARE}"),
    2016: ("likely", f"{_OLD}; {_COMPARE}"),
    2017: ("unconfirmed for H5", "App-SDK CompareResult / GetFaceIdResultIntl lists only"),
    -999: ("unconfirmed for H5", "App-SDK GetFaceIdResultIntl only"),
}


def _provenance(entry: CodeEntry) -> CodeEntry:
    found = _AFTER_1202.get(int(entry.code))
    if found is None:
        return entry
    sure, where = found
    note = f"after the current page's cut at 1202: {where} ({sure})"
    return replace(entry, note=f"{note}; {entry.note}" if entry.note else note)


_RESULTS = [_provenance(e) for e in _RESULTS]


def _w(code: int, message: str, outcome: Outcome | None, reason: ReasonCode | None, retryable: bool,
       note: str = "") -> CodeEntry:
    return CodeEntry("warn_card", str(code), message, OCR, outcome=outcome, reason=reason,
                     retryable=retryable, note=note)


_WARNINGS = [
    _w(-9101, "Incomplete border (document covered)", O.DECLINED, R.DOCUMENT_UNREADABLE, True),
    _w(-9102, "Photocopy", O.DECLINED, R.DOCUMENT_TAMPERED, False),
    _w(-9103, "Re-photographed (screen capture)", O.DECLINED, R.DOCUMENT_TAMPERED, False),
    _w(-9104, "Edited (PS)", O.DECLINED, R.DOCUMENT_TAMPERED, False),
    _w(-9107, "Reflective", O.DECLINED, R.DOCUMENT_UNREADABLE, True),
    _w(-9108, "Blurry", O.DECLINED, R.DOCUMENT_UNREADABLE, True),
    _w(-9109, "Warning capability not enabled", None, None, False,
       "says the check did not run; reported as a warning"),
]


def _t(code: str, message: str, outcome: Outcome | None, reason: ReasonCode, retryable: bool) -> CodeEntry:
    return CodeEntry("liveness_tag", code, message, TAG, outcome=outcome, reason=reason, retryable=retryable)


_TAGS = [
    _t("01", "Eyes closed throughout", O.DECLINED, R.LIVENESS_FAILED, True),
    _t("02", "Did not complete the action", O.DECLINED, R.LIVENESS_FAILED, True),
    _t("03", "Suspected re-photography attack", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("04", "Suspected synthesis attack", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("05", "Suspected fraud template", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("06", "Suspected watermark", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("07", "Reflection validation failed", O.DECLINED, R.LIVENESS_FAILED, True),
    _t("08", "Suspected person change midway", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("09", "Poor face quality", None, R.CAPTURE_QUALITY, True),
    _t("10", "Distance check failed", O.DECLINED, R.LIVENESS_FAILED, True),
    _t("11", "Suspected adversarial sample", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("12", "Mouth-area attack traces", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("13", "Eye-area attack traces", O.DECLINED, R.SPOOF_DETECTED, False),
    _t("14", "Eye or mouth covered", None, R.CAPTURE_QUALITY, True),
]


def _s(code: str, message: str, outcome: Outcome | None, reason: ReasonCode | None, source: str,
       note: str = "") -> CodeEntry:
    return CodeEntry("sub_check", code, message, source, outcome=outcome, reason=reason, note=note)


#: how each reported sub-check counts next to ``ErrorCode`` 0; ``outcome`` is what it makes of that success
#: (— = it does not stand in the way). The keys are looked up by :mod:`.result`.
_SUB_CHECKS = [
    _s("IsPass:true", "The document check passed", None, None, "SDK OCRResult.IsPass"),
    _s("IsPass:not-true", "The document check did not pass, or its verdict is missing", O.REVIEW,
       R.INCONSISTENT_EVIDENCE, "SDK OCRResult.IsPass",
       "reason: the reported warning's own, else this one"),
    _s("WarnCardInfos:interrupting", "A document warning selected to interrupt the flow", O.REVIEW, None, CFG,
       "DisableCheckOcrWarnings false and the code in SelectedWarningCodes (empty = all, the default; also "
       "assumed when the ref does not carry the create's Config); reason: the warning's own"),
    _s("WarnCardInfos:not-selected", "A document warning the app chose not to interrupt on, IsPass true", None,
       None, CFG, "informational (\"select OCR alarms that require attention\"): kept in Decision.warnings"),
    _s("WarnCardInfos:undocumented", "An undocumented document warning", O.REVIEW, R.UNKNOWN, OCR),
    _s("attempt:code-not-zero", "The last attempt's ErrorCode, LivenessErrorCode or CompareErrorCode is not 0",
       O.REVIEW, None, DETAIL, "reason: the code's own (UNKNOWN when undocumented)"),
    _s("attempt:not-reported", "The last attempt does not report a sub-check its CheckMode runs", O.REVIEW,
       R.INCONSISTENT_EVIDENCE, DETAIL, "ErrorCode always; LivenessErrorCode in CheckMode 1-3 (or unknown); "
       "CompareErrorCode and Similarity in CheckMode 1 and 2"),
    _s("LivenessInfoTag:declining", "A declining liveness tag on the last attempt", O.REVIEW, None, TAG,
       "reason: the tag's own; tags 09 and 14 are informational"),
    _s("Similarity:below-70", "Similarity below 70 in CheckMode 1 or 2", O.REVIEW, R.FACE_MISMATCH,
       "SDK VerificationDetail.Similarity (same person when at least 70, by default)"),
    _s("Similarity:not-compared", "Similarity in CheckMode 3 or 4", None, None, MODE,
       "not applicable (3 = liveness, 4 = OCR compare no faces): 0.0 is not a failure; face_match left None"),
    _s("Similarity:mode-unknown", "Similarity below 70 and the CheckMode unknown", O.REVIEW,
       R.INCONSISTENT_EVIDENCE, MODE, "a ref without the create's Config (e.g. rebuilt from a return URL) "
       "cannot tell a low score from no comparison: get_result(the stored ref) knows"),
    _s("VerificationDetailList:missing", "No attempt reported in CheckMode 1, 2 or 3", O.REVIEW,
       R.INCONSISTENT_EVIDENCE, MODE),
    _s("OCRResult:missing", "No document result reported in CheckMode 1 or 4", O.REVIEW,
       R.INCONSISTENT_EVIDENCE, MODE),
    _s("attempt:after-failure", "The last attempt's codes next to a final failure", None, None, FINAL,
       "the final ErrorCode decides and explains (\"final result of this process\"); the attempt's failing "
       "codes are kept in Decision.warnings and attempts"),
]


def _e(code: str, message: str, error: type[EkycError] | None, source: str, *,
       outcome: Outcome | None = None, reason: ReasonCode | None = None, note: str = "") -> CodeEntry:
    retryable = error is not None and error.retryable
    return CodeEntry("api_error", code, message, source, outcome=outcome, reason=reason, retryable=retryable,
                     billed=False if source == EKYC else None, error=error, note=note)


_API_ERRORS = [
    _e("AuthFailure.InvalidAuthorization", "Authorization header not to standard", AuthenticationError,
       COMMON),
    _e("AuthFailure.InvalidSecretId", "Invalid SecretId", AuthenticationError, COMMON),
    _e("AuthFailure.MFAFailure", "MFA failure", AuthenticationError, COMMON),
    _e("AuthFailure.SecretIdNotFound", "SecretId not found or disabled", AuthenticationError, COMMON),
    _e("AuthFailure.SignatureExpire", "Signature expired (timestamp more than 5 min off)", AuthenticationError,
       COMMON),
    _e("AuthFailure.SignatureFailure", "Signature verification failed", AuthenticationError, COMMON),
    _e("AuthFailure.TokenFailure", "Temporary credential token invalid", AuthenticationError, COMMON),
    _e("AuthFailure.UnauthorizedOperation", "Request not authorized (CAM)", AuthenticationError, COMMON),
    _e("UnauthorizedOperation", "Unauthorized operation", PermissionDenied, EKYC),
    _e("UnauthorizedOperation.ActivateError", "Service activation exception", PermissionDenied, EKYC),
    _e("UnauthorizedOperation.Activating", "Activating the service", PermissionDenied, EKYC),
    _e("UnauthorizedOperation.Arrears", "The account is in arrears", PermissionDenied, EKYC),
    _e("UnauthorizedOperation.ChargeStatusException", "The billing status is abnormal", PermissionDenied, ERR),
    _e("UnauthorizedOperation.NonAuthorize", "Identity verification has not been completed for the account",
       PermissionDenied, EKYC),
    _e("UnauthorizedOperation.Nonactivated", "The service has not been activated", PermissionDenied, EKYC),
    _e("OperationDenied", "Operation denied", PermissionDenied, EKYC),
    _e("IpInBlacklist", "IP in blacklist", PermissionDenied, COMMON),
    _e("IpNotInWhitelist", "IP not in whitelist", PermissionDenied, COMMON),
    _e("LimitExceeded", "Quota limit exceeded", PermissionDenied, COMMON),
    _e("RequestLimitExceeded", "Number of requests exceeds the frequency limit", RateLimited, COMMON),
    _e("RequestLimitExceeded.IPLimitExceeded", "IP frequency limit exceeded", RateLimited, COMMON),
    _e("RequestLimitExceeded.UinLimitExceeded", "Account frequency limit exceeded", RateLimited, COMMON),
    _e("RequestLimitExceeded.GlobalRegionUinLimitExceeded", "Account frequency limit exceeded (global)",
       RateLimited, "SDK retry.py"),
    _e("FailedOperation.RequestLimitExceeded", "Request frequency limit exceeded", RateLimited, ERR),
    _e("InternalError", "Internal error", ProviderUnavailable, EKYC),
    _e("InternalError.UnKnown", "Unknown internal error", ProviderUnavailable, ERR),
    _e("InternalError.EncryptSystemError", "Encryption system error", ProviderUnavailable, ERR),
    _e("ServiceUnavailable", "Service unavailable", ProviderUnavailable, COMMON),
    _e("ResourceUnavailable", "Resource unavailable", ProviderUnavailable, COMMON),
    _e("ResourceInsufficient", "Resource insufficient", ProviderUnavailable, COMMON),
    _e("InvalidParameter", "Invalid parameter", InvalidRequest, EKYC),
    _e("InvalidParameter.UnsupportEncryptField", "Unsupported encrypted field", InvalidRequest, ERR),
    _e("InvalidParameterValue", "Invalid parameter value", InvalidRequest, GO),
    _e("InvalidParameterValue.RuleIdNotExist", "RuleId does not exist", InvalidRequest, ERR),
    _e("InvalidParameterValue.EKYCFieldValidation", "eKYC field validation failed", InvalidRequest, ERR),
    _e("InvalidParameterValue.BizTokenIllegal", "BizToken is invalid", SessionNotFound, EKYC),
    _e("InvalidParameterValue.BizTokenExpired", "BizToken expired", None, EKYC, outcome=O.EXPIRED,
       reason=R.SESSION_EXPIRED, note="a result call answers with an EXPIRED decision"),
    _e("FailedOperation.InvalidTokenParameter", "Token not found", SessionNotFound, ERR),
    _e("FailedOperation.ImageSizeTooLarge", "Image size too large", InvalidRequest, EKYC),
    _e("FailedOperation", "Operation failed", ProviderError, COMMON),
    _e("FailedOperation.UnKnown", "Unknown failure", ProviderError, ERR),
    _e("MissingParameter", "A required parameter is missing", InvalidRequest, COMMON),
    _e("UnknownParameter", "An undefined parameter was passed", InvalidRequest, COMMON),
    _e("InvalidAction", "The action does not exist", InvalidRequest, COMMON),
    _e("InvalidRequest", "Bad multipart request", InvalidRequest, COMMON),
    _e("NoSuchProduct", "The product does not exist", InvalidRequest, COMMON),
    _e("NoSuchVersion", "The API version does not exist", InvalidRequest, COMMON),
    _e("ActionOffline", "The action is offline", InvalidRequest, COMMON),
    _e("DryRunOperation", "Dry run: the request would have succeeded", InvalidRequest, COMMON),
    _e("RequestSizeLimitExceeded", "The request is too large", InvalidRequest, COMMON),
    _e("ResponseSizeLimitExceeded", "The response is too large", ProviderError, COMMON),
    _e("ResourceInUse", "Resource in use", InvalidRequest, COMMON),
    _e("ResourceNotFound", "Resource not found", SessionNotFound, COMMON),
    _e("UnsupportedOperation", "Unsupported operation", InvalidRequest, COMMON),
    _e("UnsupportedProtocol", "Unsupported protocol (only GET/POST)", InvalidRequest, COMMON),
    _e("UnsupportedRegion", "The region is not supported", InvalidRequest, COMMON),
    # -- the rest of the SDK's faceid errorcodes.py (messages as the SDK gives them). These codes belong to
    # the pure-API actions (liveness/compare/OCR on uploaded media, China-ID checks, AML, webhooks), not to the
    # H5 calls this adapter makes; each raises the error its documented meaning calls for, never a decision.
    # ``reason`` names the neutral meaning where the message gives one; ``note`` the H5 result code with the
    # same message, where there is one.
    *[_e(code, message, error, ERR, reason=reason, note=note) for code, message, error, reason, note in [
        ("FailedOperation.ActionCloseEye", "No motions of eye closing are detected", ProviderError,
         R.LIVENESS_FAILED, "H5 counterpart: 1207"),
        ("FailedOperation.ActionFaceClose", "The face is too close to the screen", ProviderError,
         R.CAPTURE_QUALITY, "H5 counterpart: 1203"),
        ("FailedOperation.ActionFaceFar", "The face is too far from the screen", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1205"),
        ("FailedOperation.ActionFaceLeft", "The face is too far left from the screen", ProviderError,
         R.CAPTURE_QUALITY, "H5 counterpart: 1206"),
        ("FailedOperation.ActionFaceRight", "The face is too far right from the screen", ProviderError,
         R.CAPTURE_QUALITY, "H5 counterpart: 1204"),
        ("FailedOperation.ActionFirstAction", "No movement is detected", ProviderError, R.LIVENESS_FAILED,
         "H5 counterpart: 1208"),
        ("FailedOperation.ActionLightDark", "The lighting is too dim", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1201"),
        ("FailedOperation.ActionLightStrong", "The lighting is too strong", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1202"),
        ("FailedOperation.ActionNodetectFace", "Failed to detect a full face", ProviderError,
         R.FACE_NOT_DETECTED, "H5 counterpart: 1210"),
        ("FailedOperation.ActionOpenMouth", "No motions of mouth opening are detected", ProviderError,
         R.LIVENESS_FAILED, "H5 counterpart: 1209"),
        ("FailedOperation.CompareFail", "Comparison failed", ProviderError, R.FACE_MISMATCH,
         "H5 counterpart: 2015"),
        ("FailedOperation.CompareLowSimilarity", "The similarity does not reach the pass threshold", ProviderError,
         R.FACE_MISMATCH, "H5 counterpart: 2016"),
        ("FailedOperation.CompareSystemError", "Error calling the comparison engine API", ProviderUnavailable,
         R.PROVIDER_ERROR, "H5 counterpart: 2001"),
        ("FailedOperation.CompareLibServiceUnavailable",
         "Comparison library source maintaining, temporarily unavailable", ProviderUnavailable, R.PROVIDER_ERROR,
         ""),
        ("FailedOperation.CompressVideoError",
         "The video compression failed; try again or reduce the size of the input video", InvalidRequest,
         R.INVALID_REQUEST, ""),
        ("FailedOperation.CoveredFace", "The face in the picture is blocked", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 2017"),
        ("FailedOperation.DecryptSystemError", "Decryption failed", ProviderError, R.PROVIDER_ERROR, ""),
        ("FailedOperation.DetectEngineSystemError", "The service engine call failed, please try again",
         ProviderUnavailable, R.PROVIDER_ERROR, ""),
        ("FailedOperation.DownLoadError", "File download failed", ProviderError, R.PROVIDER_ERROR,
         "Tencent fetching a media URL the request gave"),
        ("FailedOperation.DownLoadTimeoutError", "File download timed out", ProviderError, R.PROVIDER_ERROR,
         "Tencent fetching a media URL the request gave"),
        ("FailedOperation.EmptyImageError", "Image content is empty", InvalidRequest, R.INVALID_REQUEST, ""),
        ("FailedOperation.EncryptSystemError", "Encryption failed", ProviderError, R.PROVIDER_ERROR, ""),
        ("FailedOperation.FileSaveError", "Failed to store file. Please retry later", ProviderUnavailable,
         R.PROVIDER_ERROR, "H5 counterpart: 8 (older edition)"),
        ("FailedOperation.IdFormatError", "Input identity card number error", InvalidRequest, R.INVALID_REQUEST,
         "China-ID check"),
        ("FailedOperation.IdNameMisMatch", "Name and ID card number mismatch", ProviderError, R.DATA_MISMATCH,
         "China-ID check"),
        ("FailedOperation.IdNoExistSystem", "The number is not found in the database", ProviderError,
         R.DATA_MISMATCH, "China-ID check"),
        ("FailedOperation.IdPhotoNoExist", "The photo of this number is not found in the database", ProviderError,
         R.DATA_MISMATCH, "China-ID check"),
        ("FailedOperation.IdPhotoPoorQuality", "Document image is of poor quality", ProviderError,
         R.DOCUMENT_UNREADABLE, "China-ID check"),
        ("FailedOperation.IdPhotoSystemNoanswer",
         "The customer database, self-built database, or authentication center failed to return the photo. "
         "Try again later", ProviderUnavailable, R.PROVIDER_ERROR, "China-ID check"),
        ("FailedOperation.IdentityAuthLimitExceeded",
         "Name/ID card number authentication attempts exceed the daily limit. Please retry the next day",
         PermissionDenied, R.RETRY_LIMIT_REACHED, "a daily quota, like LimitExceeded: not retried"),
        ("FailedOperation.ImageBlur", "The image is blurry", ProviderError, R.CAPTURE_QUALITY, ""),
        ("FailedOperation.ImageDecodeFailed", "Image decoding failed", InvalidRequest, R.INVALID_REQUEST, ""),
        ("FailedOperation.ImageNoIdCard", "No ID card is detected in the image", ProviderError,
         R.DOCUMENT_UNREADABLE, ""),
        ("FailedOperation.IncompleteFace", "No complete face was detected", ProviderError, R.FACE_NOT_DETECTED,
         "H5 counterpart: 2013"),
        ("FailedOperation.LifePhotoDetectFaces", "Multiple faces detected", ProviderError, R.MULTIPLE_FACES,
         "H5 counterpart: 2012"),
        ("FailedOperation.LifePhotoDetectFake", "Real person comparison failed", ProviderError, R.SPOOF_DETECTED,
         "H5 counterpart: 2011 (read there as a face mismatch); here named a fake"),
        ("FailedOperation.LifePhotoDetectNoFaces", "Full face not detected", ProviderError, R.FACE_NOT_DETECTED,
         "H5 counterpart: 2013"),
        ("FailedOperation.LifePhotoPoorQuality", "The uploaded image resolution is too low", InvalidRequest,
         R.INVALID_REQUEST, "the image the request gave; H5 counterpart: 2009"),
        ("FailedOperation.LifePhotoSizeError", "Uploaded image too large or too small", InvalidRequest,
         R.INVALID_REQUEST, "the image the request gave; H5 counterpart: 2004"),
        ("FailedOperation.LipFaceIncomplete", "The face is not fully exposed", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1102"),
        ("FailedOperation.LipMoveSmall", "The lip movement range is too small", ProviderError, R.LIVENESS_FAILED,
         "H5 counterpart: 1109"),
        ("FailedOperation.LipNetFailed", "Failed to pull the video. Please try again", ProviderError,
         R.CAPTURE_QUALITY, "H5 counterpart: 1105"),
        ("FailedOperation.LipSizeError", "The video is empty or its size is inappropriate", InvalidRequest,
         R.INVALID_REQUEST, "the video the request gave; H5 counterpart: 1107"),
        ("FailedOperation.LipVideoInvalid", "The video format is incorrect", InvalidRequest, R.INVALID_REQUEST,
         "the video the request gave; H5 counterpart: 1104"),
        ("FailedOperation.LipVideoQuaility", "The video definition is too low", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1108"),
        ("FailedOperation.LipVoiceDetect", "No sound is detected", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1101"),
        ("FailedOperation.LipVoiceLow", "The volume of the video is too low", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1106"),
        ("FailedOperation.LipVoiceRecognize", "Speech recognition failed", ProviderError, R.CAPTURE_QUALITY,
         "H5 counterpart: 1103"),
        ("FailedOperation.LivessBestFrameError",
         "Face detection failed. Unable to extract the photo for comparison", ProviderError, R.FACE_NOT_DETECTED,
         "H5 counterpart: 2010"),
        ("FailedOperation.LivessDetectFail", "Liveness detection failed", ProviderError, R.LIVENESS_FAILED,
         "H5 counterpart: 1005"),
        ("FailedOperation.LivessDetectFake", "Suspected spoofed recording", ProviderError, R.SPOOF_DETECTED,
         "H5 counterpart: 1002"),
        ("FailedOperation.LivessSystemError", "Error calling the liveness engine API", ProviderUnavailable,
         R.PROVIDER_ERROR, "H5 counterpart: 1001"),
        ("FailedOperation.LivessUnknownError", "Video-based real person detection failed", ProviderError,
         R.LIVENESS_FAILED, "H5 counterpart: 1003"),
        ("FailedOperation.NameFormatError", "Input name error", InvalidRequest, R.INVALID_REQUEST,
         "China-ID check"),
        ("FailedOperation.OcrFailed", "Ocr recognition failed", ProviderError, R.DOCUMENT_UNREADABLE, ""),
        ("FailedOperation.PoorImageQuality", "The image quality is too poor", ProviderError, R.CAPTURE_QUALITY,
         ""),
        ("FailedOperation.SilentDetectFail", "Real person detection failed", ProviderError, R.LIVENESS_FAILED,
         "H5 counterpart: 1301"),
        ("FailedOperation.SilentEyeLiveFail", "Eye detection failed", ProviderError, R.LIVENESS_FAILED, ""),
        ("FailedOperation.SilentFaceDetectFail", "No face is detected in the video", ProviderError,
         R.FACE_NOT_DETECTED, ""),
        ("FailedOperation.SilentFaceQualityFail", "Low face quality", ProviderError, R.CAPTURE_QUALITY, ""),
        ("FailedOperation.SilentFaceWithMaskFail", "A face mask is detected", ProviderError, R.CAPTURE_QUALITY,
         ""),
        ("FailedOperation.SilentMouthLiveFail", "Mouth detection failed", ProviderError, R.LIVENESS_FAILED, ""),
        ("FailedOperation.SilentMultiFaceFail", "Multiple faces are detected in the video", ProviderError,
         R.MULTIPLE_FACES, ""),
        ("FailedOperation.SilentPictureLiveFail", "The video might be spoofed", ProviderError, R.SPOOF_DETECTED,
         ""),
        ("FailedOperation.SilentThreshold", "Real person detection did not reach the passing standard",
         ProviderError, R.LIVENESS_FAILED, "H5 counterpart: 1302"),
        ("FailedOperation.SilentTooShort", "The video is too short (capture more than 2 s)", ProviderError,
         R.CAPTURE_QUALITY, "H5 counterpart: 1303"),
        ("FailedOperation.StsUnAuthErrError", "STS unauthorized", PermissionDenied, None,
         "STS = Tencent's temporary-credential service"),
        ("FailedOperation.VideoDecodeFailed", "Video decoding abnormality", InvalidRequest, R.INVALID_REQUEST,
         ""),
        ("FailedOperation.VideoDurationExceeded", "The video duration is too long (at most 20 s)",
         InvalidRequest, R.INVALID_REQUEST, ""),
        ("InternalError.ActionLightDark", "The lighting is too dim", ProviderError, R.CAPTURE_QUALITY,
         "filed under InternalError; the message is a capture result, so not retried as an outage"),
        ("InternalError.ActionLightStrong", "The lighting is too strong", ProviderError, R.CAPTURE_QUALITY,
         "filed under InternalError; the message is a capture result, so not retried as an outage"),
        ("InternalError.ActionNodetectFace", "Failed to detect a full face", ProviderError, R.FACE_NOT_DETECTED,
         "filed under InternalError; the message is a capture result, so not retried as an outage"),
        ("InternalError.CompareLowSimilarity", "The similarity did not reach the passing standard",
         ProviderError, R.FACE_MISMATCH,
         "filed under InternalError; the message is a comparison result, so not retried as an outage"),
        ("InternalError.LifePhotoPoorQuality", "The resolution of the image passed in is too low",
         InvalidRequest, R.INVALID_REQUEST, "the image the request gave"),
        ("InternalError.LifePhotoSizeError", "The image passed in is too large or too small", InvalidRequest,
         R.INVALID_REQUEST, "the image the request gave"),
        # AML screening and webhook configuration (actions this library does not call)
        ("FailedOperation.AMLDBError", "AML database operation error", ProviderError, R.PROVIDER_ERROR, "AML"),
        ("FailedOperation.AMLInternalError", "AML service internal error", ProviderError, R.PROVIDER_ERROR,
         "AML"),
        ("FailedOperation.AMLOngoingScreeningAlreadyEnabled",
         "Ongoing screening is already enabled for this customer. No action needed", InvalidRequest, None,
         "AML"),
        ("FailedOperation.AMLOngoingScreeningSetupIncomplete",
         "Ongoing screening setup is incomplete; retry the screening request or contact support", ProviderError,
         R.PROVIDER_ERROR, "AML"),
        ("FailedOperation.AMLWebhookDuplicate", "A webhook for this scene already exists", InvalidRequest, None,
         "AML"),
        ("FailedOperation.CustomerNotFound",
         "Customer not found; check the UniqueCustomerID or call RunAMLNameScreening first", InvalidRequest,
         None, "AML"),
        ("FailedOperation.EKYCWebhookDuplicate", "A webhook for this scene already exists", InvalidRequest, None,
         "webhook configuration"),
        ("InvalidParameterValue.AMLFieldValidation", "Field validation failed", InvalidRequest, None, "AML"),
        ("InvalidParameterValue.EntityType", "EntityType must be PERSON or COMPANY", InvalidRequest, None, "AML"),
        ("InvalidParameterValue.EntityTypeMismatch", "EntityType does not match the existing customer record",
         InvalidRequest, None, "AML"),
        ("InvalidParameterValue.MissingCompany", "Company data is required when EntityType is COMPANY",
         InvalidRequest, None, "AML"),
        ("InvalidParameterValue.MissingCompanyName", "Company CompanyName is required", InvalidRequest, None,
         "AML"),
        ("InvalidParameterValue.MissingPerson", "Person data is required when EntityType is PERSON",
         InvalidRequest, None, "AML"),
        ("InvalidParameterValue.MissingPersonName", "Person FullName or LastName is required", InvalidRequest,
         None, "AML"),
        ("InvalidParameterValue.MissingPersonOrCompany",
         "Person or Company data is required for first-time screening", InvalidRequest, None, "AML"),
        ("InvalidParameterValue.MissingScene", "Scene is required", InvalidRequest, None, "AML / webhooks"),
        ("InvalidParameterValue.MissingUniqueCustomerID", "UniqueCustomerID is required", InvalidRequest, None,
         "AML"),
        ("InvalidParameterValue.MissingWebhookName", "WebhookName is required", InvalidRequest, None,
         "webhook configuration"),
        ("InvalidParameterValue.OngoingScreeningMismatch", "EnableOngoingScreening does not match the current "
         "status; use UpdateAMLOngoingScreeningStatus", InvalidRequest, None, "AML"),
        ("InvalidParameterValue.PersonNameConflict",
         "When FullName is set, FirstName, MiddleName and LastName must not be set", InvalidRequest, None, "AML"),
        ("InvalidParameterValue.WebhookURL", "Webhook URL must be a valid HTTPS URL", InvalidRequest, None,
         "webhook configuration"),
        ("ResourceNotFound.AMLWebhookConfig", "Webhook configuration not found", InvalidRequest, None,
         "AML webhook configuration; not a session"),
        ("ResourceNotFound.EKYCWebhookConfig", "Webhook configuration not found", InvalidRequest, None,
         "eKYC webhook configuration; not a session"),
    ]],
]

#: prefix → error class for API error codes the table does not list (``AuthFailure.*``,
#: ``InvalidParameter*`` …), checked in order
API_ERROR_PREFIXES: tuple[tuple[str, type[EkycError]], ...] = (
    ("AuthFailure.", AuthenticationError),
    ("UnauthorizedOperation.", PermissionDenied),
    ("OperationDenied.", PermissionDenied),
    ("RequestLimitExceeded", RateLimited),
    ("InternalError", ProviderUnavailable),
    ("InvalidParameter", InvalidRequest),
    ("MissingParameter.", InvalidRequest),
    ("UnknownParameter.", InvalidRequest),
)

CODE_TABLE = CodeTable(
    "tencent",
    [*_RESULTS, *_WARNINGS, *_TAGS, *_SUB_CHECKS, *_API_ERRORS],
    {
        "result": "H5 result codes (GetWebVerificationResultIntl.ErrorCode)",
        "warn_card": "Document warnings (OCRResult.WarnCardInfos)",
        "liveness_tag": "Liveness info tags (VerificationDetail.LivenessInfoTag, PLUS)",
        "sub_check": "Sub-checks next to ErrorCode 0 (the evidence rule: each reported sub-check must pass)",
        "api_error": "API errors (Response.Error.Code)",
    },
    error_prefixes=API_ERROR_PREFIXES,
)
