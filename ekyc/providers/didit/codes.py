"""Didit's complete code table: session statuses, feature statuses, every documented warning ``risk`` code
(all groups) and the API error codes, each mapped to the neutral vocabulary.

Sources are the keys of the research notes (``/work/shared/reference/didit.md``):
[DOCS:…] docs.didit.me, [SK-x …] Didit's official agent skills, [DIGEST] a field-exact digest of Didit's
OpenAPI, [PKG] the unofficial ``didit-sdk`` 0.4.0. A risk code's reason is our reading of its documented
name and group; ``retryable`` says whether a *new* session may pass.

Sub-checks: every feature item's ``status`` and every warning is one sub-check of the evidence rule
(:mod:`ekyc.evidence`). ``FEATURE_STATE`` gives the state of each feature status (the ``feature_status`` rows)
and ``LOG_TYPE_STATE`` the state of each warning ``log_type`` (the ``log_type`` rows: ``error`` = the
workflow's Decline action, ``warning`` = Review, ``information`` = neither); a value not in them is
``UNKNOWN``. The risk rows give each code's *default* action (what Didit auto-declines, or our emulator's
default for configurable codes).
"""

from __future__ import annotations

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import (
    AuthenticationError,
    InvalidRequest,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.evidence import State
from ekyc.models import Outcome
from ekyc.models import ReasonCode as R

KINDS: dict[str, str] = {
    "status": "Session statuses (`status`)",
    "feature_status": "Feature statuses (`status` of each item in a feature array): one sub-check each",
    "log_type": "Warning actions (`log_type` of each warning object): one sub-check each",
    "risk.id_verification": "Warnings — ID verification (`id_verifications[].warnings[].risk`)",
    "risk.liveness": "Warnings — liveness, biometric age estimation and face search (`liveness_checks[]`)",
    "risk.face_match": "Warnings — face match (`face_matches[]`)",
    "risk.aml": "Warnings — AML screening (`aml_screenings[]`)",
    "risk.phone": "Warnings — phone verification (`phone_verifications[]`)",
    "risk.email": "Warnings — e-mail verification (`email_verifications[]`)",
    "risk.poa": "Warnings — proof of address (`poa_verifications[]`)",
    "risk.database": "Warnings — database validation (`database_validations[]`)",
    "risk.unofficial": "Warnings seen only in the unofficial SDK's simulator (not in any official source)",
    "api_error": "API errors (HTTP status and `code`)",
}

#: kind → (Didit ``feature`` name in the warning object, the decision's feature array)
GROUPS: dict[str, tuple[str, str]] = {
    "risk.id_verification": ("ID_VERIFICATION", "id_verifications"),
    "risk.liveness": ("LIVENESS", "liveness_checks"),
    "risk.face_match": ("FACEMATCH", "face_matches"),
    "risk.aml": ("AML", "aml_screenings"),
    "risk.phone": ("PHONE", "phone_verifications"),
    "risk.email": ("EMAIL", "email_verifications"),
    "risk.poa": ("PROOF_OF_ADDRESS", "poa_verifications"),
    "risk.database": ("DATABASE_VALIDATION", "database_validations"),
}

#: the decision's ``features[]`` names → the array holding that feature's results. A listed feature whose
#: array is null or empty never produced data ("each feature array is null until that feature has produced
#: data" [DIGEST]): an unfinished sub-check. Names from [DOCS:sessions-api/retrieve-session]; others
#: (``AGE_ESTIMATION``, ``FACE_SEARCH``, …) report into arrays we cannot tell, so they are not checked.
DECISION_FEATURES: dict[str, str] = {
    "ID_VERIFICATION": "id_verifications",
    "NFC": "nfc_verifications",
    "LIVENESS": "liveness_checks",
    "FACE_MATCH": "face_matches",
    "POA": "poa_verifications",
    "PHONE": "phone_verifications",
    "EMAIL": "email_verifications",
    "DATABASE_VALIDATION": "database_validations",
    "AML": "aml_screenings",
    "IP_ANALYSIS": "ip_analyses",
}

#: Didit warning ``feature`` → the decision array holding that feature's items
FEATURE_ARRAYS: dict[str, str] = {
    "ID_VERIFICATION": "id_verifications",
    "NFC": "nfc_verifications",
    "LIVENESS": "liveness_checks",
    "FACEMATCH": "face_matches",
    "PROOF_OF_ADDRESS": "poa_verifications",
    "PHONE": "phone_verifications",
    "EMAIL": "email_verifications",
    "AML": "aml_screenings",
    "LOCATION": "ip_analyses",
    "DATABASE_VALIDATION": "database_validations",
    "QUESTIONNAIRE": "questionnaire_responses",
    "KYB_REGISTRY": "registry_checks",
    "KYB_DOCUMENTS": "document_verifications",
    "KYB_KEY_PEOPLE": "key_people_checks",
}

#: risk code → default ``log_type`` (``error`` decline, ``warning`` review, ``information``)
DEFAULT_LOG_TYPE: dict[str, str] = {}
#: risk code → the ``feature`` the emulator renders it under
RISK_FEATURE: dict[str, str] = {}

_ACTION = {"error": "decline", "warning": "review", "information": "information only"}
_ID = "[SK-x id-document-verification] [DOCS:*/warnings-id-verification]"
_OCR = "[SK-x id-document-verification] (standalone OCR API: unconditional decline)"
_LIVE = "[SK-x liveness-detection]"
_FACE = "[SK-x face-match]"
_AML = "[SK-x aml-screening]"
_PHONE = "[SK-x phone-verification]"
_EMAIL = "[SK-x email-verification]"
_POA = "[SK-x proof-of-address]"
_DB = "[SK-x database-validation]"
_STATUS = "[DOCS:integration/verification-statuses] [PKG models/enums.py]"
_INVALID_CODE = "[DOCS:reference/warnings] (Invalid Code group)"
_INCONSISTENT = "[DOCS:reference/warnings] (Data Inconsistency group)"


def _risk(kind: str, code: str, message: str, source: str, reason: R, retryable: bool, default: str = "error",
          *, note: str = "", feature: str | None = None) -> CodeEntry:
    DEFAULT_LOG_TYPE[code] = default
    RISK_FEATURE[code] = feature or GROUPS[kind][0]
    extra = f"default action: {_ACTION[default]} (`log_type` {default})"
    return CodeEntry(kind, code, message, source, reason=reason, retryable=retryable,
                     note=f"{note}; {extra}" if note else extra)


#: feature item ``status`` → sub-check state (``"null"`` stands for a null or missing status)
FEATURE_STATE: dict[str, State] = {}
#: warning ``log_type`` → sub-check state (``"null"`` stands for a null or missing log_type)
LOG_TYPE_STATE: dict[str, State] = {}
_LOG = ("[DOCS:*/warnings-id-verification] [DOCS:reference/database-validation-warnings] [DIGEST]")
_STATE_NOTE = {State.PASSED: "sub-check passed", State.FAILED: "sub-check failed",
               State.UNFINISHED: "sub-check unfinished", State.UNKNOWN: "sub-check unknown",
               State.INFO: "informational (never decides)"}


def _feature(code: str, message: str, source: str, state: State, note: str) -> CodeEntry:
    FEATURE_STATE[code] = state
    return CodeEntry("feature_status", code, message, source, note=f"{_STATE_NOTE[state]}; {note}")


def _log_type(code: str, message: str, source: str, state: State, note: str) -> CodeEntry:
    LOG_TYPE_STATE[code] = state
    return CodeEntry("log_type", code, message, source, note=f"{_STATE_NOTE[state]}; {note}")


_AUTO = "always declined in workflows"
_CONF = "configurable in the workflow"

ENTRIES: tuple[CodeEntry, ...] = (
    # -- session statuses ------------------------------------------------------------------------
    CodeEntry("status", "Not Started", "Session created; the user has not opened the link", _STATUS,
              outcome=Outcome.PENDING),
    CodeEntry("status", "In Progress", "The user is going through the flow", _STATUS, outcome=Outcome.PENDING),
    CodeEntry("status", "In Review", "Sent to manual review by the workflow", _STATUS, outcome=Outcome.REVIEW,
              reason=R.UNKNOWN,
              note="reasons come from the warnings that asked for review; UNKNOWN only when none is usable"),
    CodeEntry("status", "Approved", "Every feature of the workflow passed", _STATUS, outcome=Outcome.APPROVED,
              note="APPROVED only when every feature item and warning passed (or is `information`); any other "
                   "sub-check gives REVIEW. A manual approval (last `reviews[]` entry `new_status` Approved) "
                   "turns failed sub-checks into warnings [DOCS:sessions-api/update-status] "
                   "[DOCS:management-api/sessions/create-review]"),
    CodeEntry("status", "Declined", "The workflow (or a reviewer) declined the session", _STATUS,
              outcome=Outcome.DECLINED, reason=R.UNKNOWN,
              note="reasons come from the decline warnings; UNKNOWN only when none is usable"),
    CodeEntry("status", "Abandoned", "Started but not finished in time", _STATUS, outcome=Outcome.ABANDONED,
              reason=R.TIMED_OUT, retryable=True),
    CodeEntry("status", "Expired", "The link timed out before the user opened it (7 days by default)",
              _STATUS + " [SK-KYC]", outcome=Outcome.EXPIRED, reason=R.SESSION_EXPIRED, retryable=True),
    CodeEntry("status", "Resubmitted", "A reviewer asked the user to redo some steps", _STATUS,
              outcome=Outcome.PENDING),
    CodeEntry("status", "Kyc Expired", "An approval lapsed under the application's KYC-expiry policy", _STATUS,
              outcome=Outcome.EXPIRED, reason=R.APPROVAL_EXPIRED, retryable=True),
    CodeEntry("status", "Awaiting User", "Business verification waiting on other parties (KYB)", _STATUS,
              outcome=Outcome.PENDING),
    # -- feature statuses: each feature item is a sub-check (FEATURE_STATE) -------------------------
    _feature("Approved", "The feature passed", "[NOTES2] [DIGEST]", State.PASSED, "check passed = true"),
    _feature("Declined", "The feature failed", "[NOTES2] [DIGEST]", State.FAILED,
             "reasons: the item's warnings that are not `information`; check passed = false"),
    _feature("In Review", "The feature needs a human", "[NOTES2] [DIGEST]", State.FAILED,
             "reasons: the item's warnings that are not `information`; check passed = none"),
    _feature("Not Finished", "The feature did not complete", "[NOTES2] [DIGEST] [DOCS:sessions-api/update-status]",
             State.UNFINISHED, "check passed = none"),
    _feature("Not Started", "The feature did not start", "[DIGEST]", State.UNFINISHED, "check passed = none"),
    _feature("Expired", "The feature expired", "[DIGEST] [DOCS:sessions-api/update-status]", State.UNFINISHED,
             "check passed = none"),
    _feature("In Progress", "The feature is still running", "unknown", State.UNFINISHED,
             "not in Didit's feature-status list; read as unfinished (fail closed)"),
    _feature("null", "The item has no status (null or missing)", "unknown", State.UNFINISHED,
             "no verdict yet (fail closed)"),
    # -- warning actions: each warning is a sub-check (LOG_TYPE_STATE) --------------------------------
    _log_type("error", "The workflow's Decline action raised the warning", _LOG, State.FAILED,
              "reason: the risk code"),
    _log_type("warning", "The workflow's Review action raised the warning", _LOG, State.FAILED,
              "reason: the risk code"),
    _log_type("information", "Informational only; decides nothing", _LOG, State.INFO,
              "kept in `Decision.warnings`"),
    _log_type("null", "The warning has no log_type (null or missing)", "unknown", State.UNKNOWN,
              "Didit documents a log_type on every warning; undocumented, never approves"),
    # -- ID verification -----------------------------------------------------------------------------
    _risk("risk.id_verification", "DOCUMENT_NOT_SUPPORTED_FOR_APPLICATION",
          "The document type or country is not accepted by the workflow", _ID, R.DOCUMENT_UNSUPPORTED, True,
          note=_AUTO),
    _risk("risk.id_verification", "DOCUMENT_EXPIRED", "The document is expired", _ID, R.DOCUMENT_EXPIRED, False,
          note=_AUTO),
    _risk("risk.id_verification", "PORTRAIT_IMAGE_NOT_DETECTED", "No portrait found on the document", _ID,
          R.DOCUMENT_UNREADABLE, True, note=_AUTO),
    _risk("risk.id_verification", "ID_DOCUMENT_IN_BLOCKLIST", "The document is on the application's blocklist",
          _ID, R.BLOCKLISTED, False, note=_AUTO),
    _risk("risk.id_verification", "FRONT_CAMERA_FACE_IN_BLOCKLIST", "The user's face is on the blocklist", _ID,
          R.BLOCKLISTED, False, note=_AUTO),
    _risk("risk.id_verification", "AGE_BELOW_MINIMUM", "The person is under the workflow's minimum age",
          _ID + " [SK-x biometric-age-estimation]", R.UNDERAGE, False,
          note=_AUTO + "; also raised by biometric age estimation"),
    _risk("risk.id_verification", "AGE_NOT_DETECTED", "The age could not be determined",
          _ID + " [SK-x biometric-age-estimation]", R.CAPTURE_QUALITY, True,
          note=_AUTO + "; also raised by biometric age estimation"),
    _risk("risk.id_verification", "MINIMUM_AGE_NOT_MET", "The person is under the minimum age", _OCR, R.UNDERAGE,
          False),
    _risk("risk.id_verification", "SCREEN_CAPTURE_DETECTED", "The document was photographed from a screen", _OCR,
          R.DOCUMENT_TAMPERED, False),
    _risk("risk.id_verification", "PRINTED_COPY_DETECTED", "The document is a printed copy", _OCR,
          R.DOCUMENT_TAMPERED, False),
    _risk("risk.id_verification", "PORTRAIT_MANIPULATION_DETECTED", "The document portrait was manipulated", _OCR,
          R.DOCUMENT_TAMPERED, False),
    _risk("risk.id_verification", "PUBLIC_DOCUMENT_IMAGE_DETECTED",
          "The document image is publicly available (sample or leaked image)", _OCR, R.DOCUMENT_TAMPERED, False),
    _risk("risk.id_verification", "DOCUMENT_LIVENESS_NOT_COMPUTED", "Document liveness could not be scored", _ID,
          R.PROVIDER_ERROR, True, "warning", note="Didit sends the session to review"),
    _risk("risk.id_verification", "MRZ_NOT_DETECTED", "The machine-readable zone was not found", _ID,
          R.DOCUMENT_UNREADABLE, True, note=_CONF),
    _risk("risk.id_verification", "MRZ_VALIDATION_FAILED", "The MRZ check digits did not validate", _ID,
          R.DOCUMENT_UNREADABLE, True, note=_CONF + "; a misread or an altered MRZ"),
    _risk("risk.id_verification", "MRZ_AND_DATA_EXTRACTED_FROM_OCR_NOT_SAME",
          "The MRZ and the visual zone disagree", _ID, R.DOCUMENT_TAMPERED, False, note=_CONF),
    _risk("risk.id_verification", "NAME_NOT_DETECTED", "The name could not be read", _ID, R.DOCUMENT_UNREADABLE,
          True, note=_CONF),
    _risk("risk.id_verification", "DATE_OF_BIRTH_NOT_DETECTED", "The date of birth could not be read", _ID,
          R.DOCUMENT_UNREADABLE, True, note=_CONF),
    _risk("risk.id_verification", "DOCUMENT_NUMBER_NOT_DETECTED", "The document number could not be read", _ID,
          R.DOCUMENT_UNREADABLE, True, note=_CONF),
    _risk("risk.id_verification", "DATA_INCONSISTENT", "The data read from the document is inconsistent", _ID,
          R.DOCUMENT_TAMPERED, False, note=_CONF),
    _risk("risk.id_verification", "POSSIBLE_DUPLICATED_USER", "The person may already be verified under another "
          "user", _ID, R.DUPLICATE_IDENTITY, False, "warning", note=_CONF),
    _risk("risk.id_verification", "FULL_NAME_MISMATCH_WITH_PROVIDED", "The name differs from expected_details", _ID,
          R.DATA_MISMATCH, False, note=_CONF),
    _risk("risk.id_verification", "DOB_MISMATCH_WITH_PROVIDED", "The date of birth differs from expected_details",
          _ID, R.DATA_MISMATCH, False, note=_CONF),
    _risk("risk.id_verification", "GENDER_MISMATCH_WITH_PROVIDED", "The gender differs from expected_details", _ID,
          R.DATA_MISMATCH, False, note=_CONF),
    _risk("risk.id_verification", "DOCUMENT_COUNTRY_MISMATCH", "The document's country differs from the expected "
          "country", _ID, R.DATA_MISMATCH, True, note=_CONF),
    _risk("risk.id_verification", "LOW_FRONT_CAMERA_FACE_MATCH_SIMILARITY",
          "The selfie taken during document capture does not match the portrait", _ID, R.FACE_MISMATCH, True,
          note=_CONF),
    # the "Invalid Code" and "Data Inconsistency" groups of [DOCS:reference/warnings] (configurable: Decline,
    # Review or Approve); the meaning is our reading of the name and group, as for the MRZ codes above
    _risk("risk.id_verification", "QR_NOT_DETECTED", "The document's QR code could not be found or read",
          _INVALID_CODE, R.DOCUMENT_UNREADABLE, True, note=_CONF),
    _risk("risk.id_verification", "BARCODE_NOT_DETECTED", "The document's barcode could not be found or read",
          _INVALID_CODE, R.DOCUMENT_UNREADABLE, True, note=_CONF),
    _risk("risk.id_verification", "QR_VALIDATION_FAILED", "The document's QR code did not validate",
          _INVALID_CODE, R.DOCUMENT_UNREADABLE, True, note=_CONF + "; a misread or an altered code"),
    _risk("risk.id_verification", "BARCODE_VALIDATION_FAILED", "The document's barcode did not validate",
          _INVALID_CODE, R.DOCUMENT_UNREADABLE, True, note=_CONF + "; a misread or an altered code"),
    _risk("risk.id_verification", "DOCUMENT_NAME_DIFFERENT_FROM_OTHER_APPROVED_DOCUMENTS",
          "The name on the document differs from the user's other approved documents", _INCONSISTENT,
          R.DATA_MISMATCH, False, note=_CONF),
    _risk("risk.id_verification", "DOCUMENT_SIDES_MISMATCH",
          "The document's sides do not belong together", _INCONSISTENT, R.DOCUMENT_TAMPERED, False,
          note=_CONF + "; the stored copy of the page is cut inside this name ('DOCUMENT_SIDES_MISMAT…'): the "
          "spelling is completed from the group, not read whole"),
    # -- liveness (also age estimation and face search) ---------------------------------------------
    _risk("risk.liveness", "NO_FACE_DETECTED", "No face was found", _LIVE + " " + _FACE + " [SK-x face-search]",
          R.FACE_NOT_DETECTED, True, note=_AUTO + "; also raised by face match and face search"),
    _risk("risk.liveness", "LIVENESS_FACE_ATTACK", "A presentation attack was detected", _LIVE, R.SPOOF_DETECTED,
          False, note=_AUTO),
    _risk("risk.liveness", "FACE_IN_BLOCKLIST", "The face is on the application's blocklist",
          _LIVE + " [SK-x face-search] [SK-VM]", R.BLOCKLISTED, False, note=_AUTO + "; also raised by face search"),
    _risk("risk.liveness", "POSSIBLE_FACE_IN_BLOCKLIST", "The face may be on the blocklist", _LIVE, R.BLOCKLISTED,
          False, note=_AUTO),
    _risk("risk.liveness", "LOW_LIVENESS_SCORE", "The liveness score is below the threshold", _LIVE,
          R.LIVENESS_FAILED, True, note=_CONF),
    _risk("risk.liveness", "DUPLICATED_FACE", "The face belongs to another verified user", _LIVE,
          R.DUPLICATE_IDENTITY, False, note=_CONF),
    _risk("risk.liveness", "POSSIBLE_DUPLICATED_FACE", "The face may belong to another verified user", _LIVE,
          R.DUPLICATE_IDENTITY, False, "warning", note=_CONF),
    _risk("risk.liveness", "MULTIPLE_FACES_DETECTED", "More than one face was found",
          _LIVE + " [SK-x face-search]", R.MULTIPLE_FACES, True, note=_CONF + "; also raised by face search"),
    _risk("risk.liveness", "LOW_FACE_QUALITY", "The face image quality is too low", _LIVE, R.CAPTURE_QUALITY, True,
          note=_CONF),
    _risk("risk.liveness", "LOW_FACE_LUMINANCE", "The face is too dark", _LIVE, R.CAPTURE_QUALITY, True,
          note=_CONF),
    _risk("risk.liveness", "HIGH_FACE_LUMINANCE", "The face is too bright", _LIVE, R.CAPTURE_QUALITY, True,
          note=_CONF),
    # -- face match ----------------------------------------------------------------------------------
    _risk("risk.face_match", "NO_REFERENCE_IMAGE", "There is no reference face to compare with", _FACE,
          R.FACE_NOT_DETECTED, True, note=_AUTO),
    _risk("risk.face_match", "LOW_FACE_MATCH_SIMILARITY", "The faces are not similar enough", _FACE,
          R.FACE_MISMATCH, True, note=_CONF + " (decline and review thresholds)"),
    # -- AML -------------------------------------------------------------------------------------------
    _risk("risk.aml", "POSSIBLE_MATCH_FOUND", "A possible sanctions/PEP/adverse-media match", _AML, R.AML_MATCH,
          False, "warning"),
    _risk("risk.aml", "COULD_NOT_PERFORM_AML_SCREENING", "AML screening could not run", _AML, R.PROVIDER_ERROR,
          True, "warning"),
    # -- phone -----------------------------------------------------------------------------------------
    _risk("risk.phone", "DISPOSABLE_NUMBER_DETECTED", "The phone number is disposable", _PHONE, R.UNKNOWN, True,
          note="no neutral reason fits"),
    _risk("risk.phone", "DUPLICATED_PHONE_NUMBER", "The phone number belongs to another user", _PHONE,
          R.DUPLICATE_IDENTITY, False),
    _risk("risk.phone", "HIGH_RISK_PHONE_NUMBER", "The phone number is high risk", _PHONE, R.UNKNOWN, False,
          note="no neutral reason fits"),
    _risk("risk.phone", "PHONE_NUMBER_IN_BLOCKLIST", "The phone number is on the blocklist", _PHONE + " [SK-VM]",
          R.BLOCKLISTED, False),
    _risk("risk.phone", "VERIFICATION_CODE_ATTEMPTS_EXCEEDED", "Too many wrong phone codes", _PHONE,
          R.RETRY_LIMIT_REACHED, False),
    _risk("risk.phone", "VOIP_NUMBER_DETECTED", "The phone number is VoIP", _PHONE, R.UNKNOWN, True,
          note="no neutral reason fits"),
    # -- e-mail ----------------------------------------------------------------------------------------
    _risk("risk.email", "BREACHED_EMAIL_DETECTED", "The e-mail address appears in known breaches", _EMAIL,
          R.UNKNOWN, True, "information", note="no neutral reason fits"),
    _risk("risk.email", "DISPOSABLE_EMAIL_DETECTED", "The e-mail address is disposable", _EMAIL, R.UNKNOWN, True,
          note="no neutral reason fits"),
    _risk("risk.email", "DUPLICATED_EMAIL", "The e-mail address belongs to another user", _EMAIL,
          R.DUPLICATE_IDENTITY, False),
    _risk("risk.email", "EMAIL_CODE_ATTEMPTS_EXCEEDED", "Too many wrong e-mail codes", _EMAIL, R.RETRY_LIMIT_REACHED,
          False),
    _risk("risk.email", "EMAIL_IN_BLOCKLIST", "The e-mail address is on the blocklist", _EMAIL + " [SK-VM]",
          R.BLOCKLISTED, False),
    _risk("risk.email", "UNDELIVERABLE_EMAIL_DETECTED", "The e-mail address is undeliverable", _EMAIL, R.UNKNOWN,
          True, note="no neutral reason fits"),
    # -- proof of address ----------------------------------------------------------------------------
    _risk("risk.poa", "ADDRESS_MISMATCH_WITH_PROVIDED", "The address differs from expected_details", _POA,
          R.DATA_MISMATCH, False),
    _risk("risk.poa", "DOCUMENT_METADATA_MISMATCH", "The document's metadata is inconsistent", _POA,
          R.DOCUMENT_TAMPERED, False),
    _risk("risk.poa", "EXPIRED_DOCUMENT", "The proof of address is too old", _POA, R.DOCUMENT_EXPIRED, True),
    _risk("risk.poa", "FUTURE_ISSUE_DATE", "The issue date is in the future", _POA, R.DOCUMENT_TAMPERED, False),
    _risk("risk.poa", "INVALID_DOCUMENT_TYPE", "The document is not an accepted proof of address", _POA,
          R.DOCUMENT_UNSUPPORTED, True),
    _risk("risk.poa", "ISSUER_NOT_IDENTIFIED", "The issuer could not be identified", _POA, R.DOCUMENT_UNREADABLE,
          True),
    _risk("risk.poa", "MISSING_ADDRESS_INFORMATION", "The address is missing", _POA, R.DOCUMENT_UNREADABLE, True),
    _risk("risk.poa", "NAME_MISMATCH_ID_VERIFICATION", "The name differs from the ID document", _POA,
          R.DATA_MISMATCH, False),
    _risk("risk.poa", "NAME_MISMATCH_WITH_PROVIDED", "The name differs from expected_details", _POA,
          R.DATA_MISMATCH, False),
    _risk("risk.poa", "POA_DOCUMENT_NOT_SUPPORTED_FOR_APPLICATION", "The document is not accepted by the workflow",
          _POA, R.DOCUMENT_UNSUPPORTED, True),
    _risk("risk.poa", "POA_NAME_MISMATCH_BETWEEN_DOCUMENTS", "The names differ between the documents", _POA,
          R.DATA_MISMATCH, False),
    _risk("risk.poa", "POOR_DOCUMENT_QUALITY", "The document image quality is too low", _POA,
          R.DOCUMENT_UNREADABLE, True),
    _risk("risk.poa", "SUSPECTED_DOCUMENT_MANIPULATION", "The document appears manipulated", _POA,
          R.DOCUMENT_TAMPERED, False),
    _risk("risk.poa", "UNABLE_TO_EXTRACT_ISSUE_DATE", "The issue date could not be read", _POA,
          R.DOCUMENT_UNREADABLE, True),
    _risk("risk.poa", "UNABLE_TO_VALIDATE_DOCUMENT_AGE", "The document's age could not be validated", _POA,
          R.DOCUMENT_UNREADABLE, True),
    _risk("risk.poa", "UNPARSABLE_OR_INVALID_ADDRESS", "The address could not be parsed", _POA,
          R.DOCUMENT_UNREADABLE, True),
    _risk("risk.poa", "UNSUPPORTED_DOCUMENT_LANGUAGE", "The document's language is not supported", _POA,
          R.DOCUMENT_UNSUPPORTED, True),
    # -- database validation -------------------------------------------------------------------------
    _risk("risk.database", "COULD_NOT_PERFORM_DATABASE_VALIDATION", "The database check could not run", _DB,
          R.PROVIDER_ERROR, True, "warning"),
    _risk("risk.database", "DATABASE_VALIDATION_NO_MATCH", "No match in the government database", _DB,
          R.DATA_MISMATCH, False),
    _risk("risk.database", "DATABASE_VALIDATION_PARTIAL_MATCH", "Only a partial match in the government database",
          _DB, R.DATA_MISMATCH, False, "warning"),
    # -- unofficial (mapped fail-closed) -------------------------------------------------------------
    *(
        _risk("risk.unofficial", code, "Undocumented code (unofficial SDK simulator only)", "unknown", R.UNKNOWN,
              False, note="not in any official Didit source; mapped fail-closed", feature=feature)
        for code, feature in (
            ("AML_MATCH_CONFIRMED", "AML"),
            ("IP_ADDRESS_IN_BLOCKLIST", "LOCATION"),
            ("POA_ADDRESS_MISMATCH", "PROOF_OF_ADDRESS"),
            ("NFC_CHIP_FAILED", "NFC"),
            ("DATABASE_NO_MATCH", "DATABASE_VALIDATION"),
            ("POA_PARTIAL_MATCH", "PROOF_OF_ADDRESS"),
            ("REGISTRY_MISMATCH", "KYB_REGISTRY"),
            ("COULD_NOT_RECOGNIZE_DOCUMENT", "ID_VERIFICATION"),
        )
    ),
    # -- API errors --------------------------------------------------------------------------------------
    CodeEntry("api_error", "400", "Validation failed or not enough credits",
              "[DIGEST §1] [DOCS:integration/api-errors]", error=InvalidRequest,
              note="`detail` or field errors, scrubbed"),
    CodeEntry("api_error", "401", "Wrong, revoked or expired API key", "[DOCS:getting-started/api-authentication]",
              error=AuthenticationError),
    CodeEntry("api_error", "403", "No key, no permission or IP not allowed (Didit also uses 403 for a bad key)",
              "[DIGEST §1] [DOCS:hi/management-api/monitoring-events/create-batch]", error=PermissionDenied,
              note="AuthenticationError when `detail` says the credentials are invalid"),
    CodeEntry("api_error", "contract_billing_suspended", "Billing suspended (403 on session create)",
              "[DOCS:integration/api-errors] [DIGEST]", error=PermissionDenied),
    CodeEntry("api_error", "application_deleted", "The application was deleted; do not retry",
              "[DOCS:integration/api-errors]", error=PermissionDenied),
    CodeEntry("api_error", "404", "Unknown session", "[DIGEST]", error=SessionNotFound),
    CodeEntry("api_error", "409", "Idempotency-Key reused with a different body", "[DOCS ja api-errors] [DIGEST §7]",
              error=InvalidRequest),
    CodeEntry("api_error", "429", "Rate limited; honour Retry-After", "[DOCS:ja/integration/api-errors]",
              retryable=True, error=RateLimited),
    CodeEntry("api_error", "5xx", "Didit failed or is unavailable; the body may not be JSON",
              "[DOCS:integration/api-errors]", retryable=True, error=ProviderUnavailable,
              note="502/503/504 retried for reads and creates; 500 is not retried"),
)

CODE_TABLE = CodeTable("didit", ENTRIES, KINDS)

#: every risk code → its entry (a risk code means the same whichever feature raised it)
RISKS: dict[str, CodeEntry] = {e.code: e for e in ENTRIES if e.kind.startswith("risk.")}
#: statuses whose webhooks carry the ``decision`` object [DOCS:reference/webhooks]
DECISION_STATUSES = frozenset({"Approved", "Declined", "In Review", "Abandoned"})
#: statuses create de-duplicates on (an unfinished session is returned again) [DIGEST §2.1]
UNFINISHED_STATUSES = frozenset({"Not Started", "In Progress", "Resubmitted", "Awaiting User"})
