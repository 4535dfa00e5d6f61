"""Stripe Identity's complete code table: VerificationSession statuses, every ``last_error.code``, the
VerificationReport check statuses and error codes, redaction statuses, webhook event types and the API error
types/codes, each mapped to the neutral vocabulary.

Sources (cited per row):

- [SP] stripe-python @6c6e3736 (2026-07-24), the official library, generated from Stripe's OpenAPI:
  ``stripe/identity/_verification_session.py`` (``status``, ``LastError.code``, ``Redaction.status``) and
  ``stripe/identity/_verification_report.py`` (``Document``/``Selfie``/``IdNumber``/``Email``/``Phone``
  ``status`` and ``Error.code``); ``stripe/_api_requestor.py`` (``specific_v1_api_error``: HTTP status →
  error class).
- [OA] Stripe's public OpenAPI (stripe/openapi ``openapi/spec3.json`` @e0123a38): ``gelato_session_last_error``,
  ``gelato_document_report_error``, ``gelato_selfie_report_error``, ``gelato_id_number_report_error``,
  ``api_errors.type`` (the same code lists as [SP], older).
- [HSW] docs.stripe.com/identity/how-sessions-work (statuses, retry rule, cancel, session events).
- [VS] docs.stripe.com/identity/verification-sessions (reuse the session; idempotency key per user).
- [SEL] docs.stripe.com/identity/selfie (``requires_input``: at least one of the document or selfie checks failed).
- [ERR] docs.stripe.com/error-codes and docs.stripe.com/api/errors (error object, types and codes).

**The ``requires_input`` rule.** [HSW]: a session is created in ``requires_input``; "if any of the verification
checks fail … the VerificationSession's status returns to ``requires_input``", with the explanation in
``last_error``, and the user may attempt verification again after a retrieve gives a fresh URL; ``canceled``
"invalidates the VerificationSession for future submission attempts, and can't be undone". So:
``requires_input`` without ``last_error`` is ``PENDING`` (nothing submitted yet); with ``last_error`` it is the
result of the latest attempt — the ``last_error`` row's outcome, with ``retryable`` as that row says, and the
session stays open at Stripe (a later ``get_result`` may differ after a new attempt). Only ``canceled`` makes
it final at Stripe: a canceled session with a ``last_error`` keeps that row's outcome and reason, but the
reason is never ``retryable`` in that session (the app must start a new one); without one it is ``ABANDONED``.

Stripe gives no prose per ``last_error`` code beyond the enum and "a short machine-readable string giving the
reason for the verification or user-session failure" [SP]; a row's reason is our reading of the code's name
only where the name says it exactly (``selfie_face_mismatch`` → ``FACE_MISMATCH``, ``document_expired`` →
``DOCUMENT_EXPIRED``, ``under_supported_age`` → ``UNDERAGE``); ``*_unverified_other`` and the other codes
whose name does not say why keep ``UNKNOWN`` (fail closed).
"""

from __future__ import annotations

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import (
    AuthenticationError,
    InvalidRequest,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.evidence import State
from ekyc.models import Outcome
from ekyc.models import ReasonCode as R

KINDS: dict[str, str] = {
    "status": "VerificationSession statuses (`status`)",
    "last_error": "Verification errors (`last_error.code` of the session; the same codes in a report check's "
                  "`error.code`)",
    "check": "Report check statuses (`document.status`, `selfie.status`, `id_number.status`, `email.status`, "
             "`phone.status` of the VerificationReport): one sub-check each",
    "redaction": "Redaction statuses (`redaction.status`)",
    "event": "Webhook event types (`type` of the Event)",
    "error_type": "API error types (`error.type`)",
    "api_error": "API error codes (`error.code`; a code the table does not list is typed by the HTTP status)",
}

SP_SESSION = "[SP] _verification_session.py"
SP_REPORT = "[SP] _verification_report.py"
_STATUS = f"{SP_SESSION} (status); [HSW]"
_LAST = f"{SP_SESSION} (LastError.code); [OA] gelato_session_last_error"
_DOC = f"{_LAST}; {SP_REPORT} (Document.Error.code)"
_SELFIE = f"{_LAST}; {SP_REPORT} (Selfie.Error.code)"
_IDNUM = f"{_LAST}; {SP_REPORT} (IdNumber.Error.code)"
_EMAIL = f"{SP_SESSION} (LastError.code); {SP_REPORT} (Email.Error.code)"
_PHONE = f"{SP_SESSION} (LastError.code); {SP_REPORT} (Phone.Error.code)"
_ERR = "[ERR]; [SP] _api_requestor.py (specific_v1_api_error)"


def _e(code: str, message: str, source: str, outcome: Outcome, reason: R, retryable: bool, note: str = "") -> CodeEntry:
    return CodeEntry("last_error", code, message, source, outcome=outcome, reason=reason, retryable=retryable,
                     note=note)


_NAME_ONLY = "Stripe gives no prose for this code beyond its name"
_WHY_UNSAID = "the code does not say why: reason UNKNOWN (fail closed)"

ENTRIES: list[CodeEntry] = [
    # -- session statuses -------------------------------------------------------------------------------
    CodeEntry("status", "requires_input", "Requires user input before processing can continue", _STATUS,
              outcome=Outcome.PENDING,
              note="without last_error: nothing submitted yet; with last_error: the latest attempt failed and "
                   "the last_error row decides (the session stays open for a new attempt) [HSW]"),
    CodeEntry("status", "processing", "Submitted; the verification checks are being processed", _STATUS,
              outcome=Outcome.PENDING),
    CodeEntry("status", "verified", "Processing of all the verification checks is complete and successfully "
              "verified", _STATUS, outcome=Outcome.APPROVED,
              note="APPROVED only when every check the VerificationReport reports is verified (evidence rule)"),
    CodeEntry("status", "canceled", "Invalidated for future submission attempts (cancel or redact)", _STATUS,
              outcome=Outcome.ABANDONED,
              note="with last_error: that row's outcome and reason, never retryable in this session"),
    # -- last_error codes (the closed list of [SP]) -------------------------------------------------------
    _e("abandoned", "User-session failure: the user abandoned the session", _LAST, Outcome.ABANDONED,
       R.TIMED_OUT, True, note=f"{_NAME_ONLY}; read as a flow left unfinished"),
    _e("consent_declined", "The user declined the biometric/data consent", _LAST, Outcome.ABANDONED,
       R.USER_CANCELLED, True, note=_NAME_ONLY),
    _e("country_not_supported", "The document's country is not supported", _LAST, Outcome.DECLINED,
       R.DOCUMENT_UNSUPPORTED, True, note=_NAME_ONLY),
    _e("device_not_supported", "The user's device cannot run the verification flow", _LAST, Outcome.DECLINED,
       R.UNKNOWN, True, note=f"{_NAME_ONLY}; another device may work"),
    _e("document_expired", "The identity document is expired", _DOC, Outcome.DECLINED, R.DOCUMENT_EXPIRED, False),
    _e("document_type_not_supported", "The document type is not supported (or not allowed by "
       "options.document.allowed_types)", _DOC, Outcome.DECLINED, R.DOCUMENT_UNSUPPORTED, True),
    _e("document_unverified_other", "The document could not be verified", _DOC, Outcome.DECLINED, R.UNKNOWN,
       False, note=_WHY_UNSAID),
    _e("email_unverified_other", "The e-mail address could not be verified", _EMAIL, Outcome.DECLINED, R.UNKNOWN,
       True, note=_WHY_UNSAID),
    _e("email_verification_declined", "The user declined the e-mail verification", _EMAIL, Outcome.DECLINED,
       R.UNKNOWN, True, note=_NAME_ONLY),
    _e("id_number_insufficient_document_data", "The document did not give enough data for the ID number check",
       _IDNUM, Outcome.DECLINED, R.UNKNOWN, True, note=_NAME_ONLY),
    _e("id_number_mismatch", "The ID number does not match the name and date of birth", _IDNUM, Outcome.DECLINED,
       R.DATA_MISMATCH, True),
    _e("id_number_unverified_other", "The ID number could not be verified", _IDNUM, Outcome.DECLINED, R.UNKNOWN,
       True, note=_WHY_UNSAID),
    _e("phone_unverified_other", "The phone number could not be verified", _PHONE, Outcome.DECLINED, R.UNKNOWN,
       True, note=_WHY_UNSAID),
    _e("phone_verification_declined", "The user declined the phone verification", _PHONE, Outcome.DECLINED,
       R.UNKNOWN, True, note=_NAME_ONLY),
    _e("selfie_document_missing_photo", "The document has no face photo to compare the selfie with", _SELFIE,
       Outcome.DECLINED, R.UNKNOWN, True, note=_NAME_ONLY),
    _e("selfie_face_mismatch", "The selfie does not match the face on the document", _SELFIE, Outcome.DECLINED,
       R.FACE_MISMATCH, True),
    _e("selfie_manipulated", "The selfie was manipulated", _SELFIE, Outcome.DECLINED, R.SPOOF_DETECTED, False),
    _e("selfie_unverified_other", "The selfie could not be verified", _SELFIE, Outcome.DECLINED, R.UNKNOWN, True,
       note=_WHY_UNSAID),
    _e("under_supported_age", "The user is under the supported age", _LAST, Outcome.DECLINED, R.UNDERAGE, False,
       note=_NAME_ONLY),
    # -- report check statuses --------------------------------------------------------------------------
    CodeEntry("check", "verified", "The check passed", f"{SP_REPORT} (status of each check)",
              note="sub-check PASSED"),
    CodeEntry("check", "unverified", "The check failed; its error.code says why", f"{SP_REPORT} (status of each "
              "check)", note="sub-check FAILED, with the reason of its error.code"),
    # -- redaction ----------------------------------------------------------------------------------------
    CodeEntry("redaction", "processing", "Redaction requested (may take up to four days)",
              f"{SP_SESSION} (Redaction.status); docs.stripe.com/api/identity/verification_sessions/redact",
              note="personal fields may already read [redacted]: no identity is taken from the session"),
    CodeEntry("redaction", "redacted", "Redacted: personal fields read [redacted], metadata erased",
              f"{SP_SESSION} (Redaction.status); docs.stripe.com/api/identity/verification_sessions/redact"),
    CodeEntry("redaction", "validated", "Redaction validated",
              f"{SP_SESSION} (Redaction.status)", note="meaning not documented beyond the name; treated like redacted"),
    # -- webhook events -------------------------------------------------------------------------------------
    CodeEntry("event", "identity.verification_session.created", "The session was created", "[HSW] (Session events)"),
    CodeEntry("event", "identity.verification_session.processing", "The user submitted; checks are processing",
              "[HSW] (Session events)"),
    CodeEntry("event", "identity.verification_session.verified", "Every check completed and verified",
              "[HSW] (Session events)"),
    CodeEntry("event", "identity.verification_session.requires_input", "A check failed (or input is needed)",
              "[HSW] (Session events)"),
    CodeEntry("event", "identity.verification_session.canceled", "The session was canceled", "[HSW] (Session events)"),
    CodeEntry("event", "identity.verification_session.redacted", "The session was redacted",
              "[HSW] (Session events); docs.stripe.com/api/identity/verification_sessions/redact"),
    # -- API errors ----------------------------------------------------------------------------------------
    CodeEntry("error_type", "invalid_request_error", "The request had invalid parameters (or a bad key: 401, "
              "an unknown id: 404)", f"{_ERR}; [OA] api_errors.type", error=InvalidRequest,
              note="the HTTP status decides: 401 AuthenticationError, 403 PermissionDenied, 404 SessionNotFound"),
    CodeEntry("error_type", "idempotency_error", "An Idempotency-Key was reused with other parameters",
              f"{_ERR}; [OA] api_errors.type", error=InvalidRequest),
    CodeEntry("error_type", "api_error", "Stripe failed internally", f"{_ERR}; [OA] api_errors.type",
              error=ProviderUnavailable, note="a 500 is never retried (the outcome is unknown)"),
    CodeEntry("error_type", "card_error", "A card could not be charged (not used by Identity)",
              f"{_ERR}; [OA] api_errors.type", error=ProviderError),
    CodeEntry("api_error", "resource_missing", "No such object (an unknown session id)", _ERR, error=SessionNotFound),
    CodeEntry("api_error", "parameter_missing", "A required parameter is missing", _ERR, error=InvalidRequest),
    CodeEntry("api_error", "parameter_unknown", "The request has an unknown parameter", _ERR, error=InvalidRequest),
    CodeEntry("api_error", "parameter_invalid_empty", "A parameter was given an empty value", _ERR,
              error=InvalidRequest),
    CodeEntry("api_error", "url_invalid", "A URL parameter is not a valid URL", _ERR, error=InvalidRequest),
    CodeEntry("api_error", "api_key_expired", "The API key has expired", _ERR, error=AuthenticationError),
    CodeEntry("api_error", "secret_key_required", "The call needs a secret key, not a publishable one", _ERR,
              error=AuthenticationError),
    CodeEntry("api_error", "idempotency_key_in_use", "Another request with the same Idempotency-Key is in progress",
              _ERR, error=RateLimited, retryable=True, note="HTTP 409; repeating later is safe (same key)"),
    CodeEntry("api_error", "rate_limit", "Too many requests", _ERR, error=RateLimited, retryable=True),
    CodeEntry("api_error", "lock_timeout", "The object is locked by another request", _ERR, error=RateLimited,
              retryable=True),
]

CODE_TABLE = CodeTable("stripe", ENTRIES, KINDS)

#: report check status → state of that sub-check (a value not here is UNKNOWN)
CHECK_STATE: dict[str, State] = {"verified": State.PASSED, "unverified": State.FAILED}
#: session statuses after which Stripe accepts no further submission
FINAL_STATUSES = frozenset({"verified", "canceled"})
#: the report's checks, in the order they are read (each one sub-check when reported)
REPORT_CHECKS = ("document", "selfie", "id_number", "email", "phone")
#: Stripe's ``type`` of a session and the options this adapter sends for it
SESSION_TYPES = frozenset({"document", "id_number"})

__all__ = ["CHECK_STATE", "CODE_TABLE", "FINAL_STATUSES", "KINDS", "REPORT_CHECKS", "SESSION_TYPES"]
