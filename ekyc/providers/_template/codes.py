"""The template vendor's codes: what each means in the neutral vocabulary, and where that meaning comes from.

Replace ``SOURCE`` with the vendor's documentation (a URL or a file under ``../shared/reference/``) entry by
entry. A code no source explains is written with ``source="unknown"`` and maps fail-closed (never
``APPROVED``). The table is rendered into ``docs/providers/<name>.md`` by ``python -m ekyc.docs``.
"""

from __future__ import annotations

from ekyc.codes import CodeEntry, CodeTable
from ekyc.errors import AuthenticationError, InvalidRequest, RateLimited, SessionNotFound
from ekyc.models import Outcome, ReasonCode

#: the template's own wire format (this file); a real provider cites the vendor's documentation per entry
SOURCE = "template wire format (ekyc/providers/_template)"

CODE_TABLE = CodeTable("template", [
    # the session status: the outcome
    CodeEntry("status", "ok", "Verified", SOURCE, outcome=Outcome.APPROVED, billed=True),
    CodeEntry("status", "wait", "Waiting for the user", SOURCE, outcome=Outcome.PENDING),
    CodeEntry("status", "declined", "Declined", SOURCE, outcome=Outcome.DECLINED, billed=True),
    CodeEntry("status", "review", "Sent to manual review", SOURCE, outcome=Outcome.REVIEW),
    CodeEntry("status", "expired", "The link expired unused", SOURCE, outcome=Outcome.EXPIRED,
              reason=ReasonCode.SESSION_EXPIRED),
    # the state of one sub-check (checks.document / checks.liveness / checks.face_match)
    CodeEntry("check", "passed", "The check passed", SOURCE),
    CodeEntry("check", "failed", "The check failed", SOURCE),
    CodeEntry("check", "skipped", "The check did not run", SOURCE),
    # why a session was declined or sent to review
    CodeEntry("reason", "face_mismatch", "The selfie is not the person on the document", SOURCE,
              reason=ReasonCode.FACE_MISMATCH, retryable=True),
    CodeEntry("reason", "spoof", "A presentation attack was detected", SOURCE, reason=ReasonCode.SPOOF_DETECTED),
    CodeEntry("reason", "no_face", "No face in the selfie", SOURCE, reason=ReasonCode.FACE_NOT_DETECTED,
              retryable=True),
    CodeEntry("reason", "document_expired", "The document has expired", SOURCE,
              reason=ReasonCode.DOCUMENT_EXPIRED),
    CodeEntry("reason", "document_unreadable", "The document could not be read", SOURCE,
              reason=ReasonCode.DOCUMENT_UNREADABLE, retryable=True),
    # API errors: {"code", "message"} with an HTTP status
    CodeEntry("api_error", "unauthorized", "The API key is missing or wrong", SOURCE, error=AuthenticationError),
    CodeEntry("api_error", "not_found", "No such session", SOURCE, error=SessionNotFound),
    CodeEntry("api_error", "invalid_request", "The request body is invalid", SOURCE, error=InvalidRequest),
    CodeEntry("api_error", "rate_limited", "Too many requests", SOURCE, error=RateLimited, retryable=True),
], {"status": "Session statuses", "check": "Sub-check states", "reason": "Decline and review reasons",
    "api_error": "API error codes"})
