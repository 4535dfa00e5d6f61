"""Onfido (API v3.6, Studio) code table: workflow-run statuses, check and report statuses and results,
document sub-results, the breakdowns that explain a decline, and API errors.

Kinds:

- ``workflow_run_status`` — ``workflow_run.status``, Onfido's decision for the run (plus ``link_expired``: a
  run still awaiting input whose ``link.expires_at`` has passed);
- ``check_status`` / ``check_result`` — ``check.status`` / ``check.result``;
- ``report_status`` / ``report_result`` / ``sub_result`` — ``report.status`` / ``report.result`` /
  ``report.sub_result`` (Document report only);
- ``breakdown`` — a breakdown or sub-breakdown of a Document or Facial Similarity (photo, video, motion)
  report, keyed ``<report family>.<breakdown>[.<sub-breakdown>]``: the reason it gives when its ``result`` is
  ``consider``;
- ``api_error`` — the ``type`` of Onfido's error envelope ``{"error": {"type", "message", "fields"}}``; the HTTP
  status types the error (onfido-python raises by status too).

The workflow run's status is the decision; reports are the evidence (:mod:`ekyc.evidence`): ``approved`` is
``APPROVED`` only when every report the run's check produced is ``complete`` and ``clear``.
"""

from __future__ import annotations

from ekyc.codes import CodeEntry, CodeTable
from ekyc.models import Outcome, ReasonCode

R = ReasonCode
O = Outcome  # noqa: E741

SPEC = "onfido-openapi.json v3.6"
RUN = f"{SPEC} workflow_run_status"
LINK = f"{SPEC} workflow_run_link.expires_at"
CHECK = f"{SPEC} check_status / check_response.result"
REPORT = f"{SPEC} report_status / report_result"
SUB = "Onfido Document report guide (sub-result table); " + f"{SPEC} report_sub_result"
STUDIO = "Onfido API reference, workflow runs ('when an interactive task times out, the workflow will be abandoned')"


def _b(key: str, message: str, reason: ReasonCode | None, source: str = SPEC, *, retryable: bool = False,
       note: str = "") -> CodeEntry:
    """A breakdown that is ``consider``: its reason (None: it explains nothing by itself)."""
    return CodeEntry("breakdown", key, message, f"{source} ({key.split('.')[0]}_breakdown)", reason=reason,
                     retryable=retryable, note=note)


_RUN = [
    CodeEntry("workflow_run_status", "processing", "The workflow run is processing", RUN, outcome=O.PENDING),
    CodeEntry("workflow_run_status", "awaiting_input", "The workflow run waits for the applicant", RUN,
              outcome=O.PENDING),
    CodeEntry("workflow_run_status", "awaiting_client_input", "The workflow run waits for the client (manual task)",
              RUN, outcome=O.PENDING),
    CodeEntry("workflow_run_status", "approved", "The workflow run reached an approved outcome", RUN,
              outcome=O.APPROVED),
    CodeEntry("workflow_run_status", "declined", "The workflow run reached a declined outcome", RUN,
              outcome=O.DECLINED),
    CodeEntry("workflow_run_status", "review", "The workflow run needs a manual review", RUN, outcome=O.REVIEW),
    CodeEntry("workflow_run_status", "abandoned", "The applicant did not finish an interactive task in time",
              STUDIO, outcome=O.ABANDONED, reason=R.TIMED_OUT, retryable=True),
    CodeEntry("workflow_run_status", "error", "The workflow run failed", RUN, outcome=O.ERROR,
              reason=R.PROVIDER_ERROR, retryable=True,
              note="workflow_run.error {type, message} says why"),
    CodeEntry("workflow_run_status", "link_expired", "The run's link expired before the applicant finished",
              LINK, outcome=O.EXPIRED, reason=R.SESSION_EXPIRED, retryable=True,
              note="derived: status awaiting_input and link.expires_at in the past"),
]

_CHECK = [
    CodeEntry("check_status", "in_progress", "The check is running", CHECK),
    CodeEntry("check_status", "awaiting_applicant", "The check waits for the applicant", CHECK),
    CodeEntry("check_status", "complete", "The check finished", CHECK),
    CodeEntry("check_status", "withdrawn", "The check was withdrawn", CHECK),
    CodeEntry("check_status", "paused", "The check is paused", CHECK),
    CodeEntry("check_status", "reopened", "The check was reopened", CHECK),
    CodeEntry("check_result", "clear", "Every report of the check is clear", CHECK),
    CodeEntry("check_result", "consider", "A report of the check needs consideration", CHECK),
]

_REPORT = [
    CodeEntry("report_status", "awaiting_data", "The report waits for data", REPORT),
    CodeEntry("report_status", "awaiting_approval", "The report waits for approval", REPORT),
    CodeEntry("report_status", "cancelled", "The report was cancelled", REPORT),
    CodeEntry("report_status", "complete", "The report finished", REPORT),
    CodeEntry("report_status", "withdrawn", "The report was withdrawn", REPORT),
    CodeEntry("report_result", "clear", "The report passed", REPORT),
    CodeEntry("report_result", "consider", "The report flagged something", REPORT),
    CodeEntry("report_result", "unidentified", "The report could not identify the applicant", "unknown",
              note="listed by the spec without a meaning: never a pass"),
    CodeEntry("sub_result", "clear", "Every underlying verification passed", SUB),
    CodeEntry("sub_result", "rejected", "The document cannot be processed further (poor image, unsupported)", SUB,
              reason=R.DOCUMENT_UNREADABLE, retryable=True),
    CodeEntry("sub_result", "suspected", "The document is suspected to be fraudulent", SUB,
              reason=R.DOCUMENT_TAMPERED),
    CodeEntry("sub_result", "caution", "Another verification failed without pointing to fraud", SUB,
              reason=R.UNKNOWN, note="the breakdowns say which"),
]

_BREAKDOWNS = [
    # Document report
    _b("document.data_comparison", "Document data differs from the applicant data", R.DATA_MISMATCH),
    *(_b(f"document.data_comparison.{f}", f"Document {f.replace('_', ' ')} differs from the applicant's",
         R.DATA_MISMATCH)
      for f in ("first_name", "last_name", "date_of_birth", "gender", "issuing_country", "document_type",
                "document_numbers", "date_of_expiry")),
    _b("document.data_validation", "An algorithmically validatable element is wrong", R.DOCUMENT_TAMPERED),
    _b("document.data_validation.document_expiration", "The document has expired", R.DOCUMENT_EXPIRED),
    _b("document.data_validation.expiry_date", "The expiry date has an incorrect format", R.DOCUMENT_TAMPERED),
    *(_b(f"document.data_validation.{f}", f"The document's {f.replace('_', ' ')} fails validation",
         R.DOCUMENT_TAMPERED) for f in ("gender", "date_of_birth", "document_numbers", "mrz", "barcode")),
    _b("document.image_integrity", "The document is not of sufficient quality to verify", R.DOCUMENT_UNREADABLE,
       retryable=True),
    _b("document.image_integrity.image_quality", "The image quality was not sufficient for processing",
       R.DOCUMENT_UNREADABLE, retryable=True),
    _b("document.image_integrity.supported_document", "The submitted document is not supported",
       R.DOCUMENT_UNSUPPORTED, retryable=True),
    _b("document.image_integrity.colour_picture", "The image was not a colour one", R.DOCUMENT_UNREADABLE,
       retryable=True),
    _b("document.image_integrity.conclusive_document_quality",
       "The document was not of enough quality for a fraud inspection", R.DOCUMENT_UNREADABLE, retryable=True),
    _b("document.visual_authenticity", "Visual elements are not correct for the document type",
       R.DOCUMENT_TAMPERED),
    *(_b(f"document.visual_authenticity.{f}", m, R.DOCUMENT_TAMPERED) for f, m in (
        ("fonts", "Fonts in the document don't match the expected ones"),
        ("picture_face_integrity", "The pictures of the person on the document show signs of tampering"),
        ("template", "The document doesn't match the expected template"),
        ("security_features", "Security features are missing or wrong"),
        ("original_document_present", "The document was not present when the photo was taken"),
        ("digital_tampering", "Indication of digital tampering in the image"),
        ("other", "Another visual-authenticity sub-breakdown is consider (backward compatibility)"),
        ("face_detection", "No face was detected on the document"),
    )),
    _b("document.data_consistency", "Data in several places on the document is inconsistent", R.DOCUMENT_TAMPERED),
    _b("document.police_record", "The document was identified as lost, stolen or compromised", R.BLOCKLISTED),
    _b("document.compromised_document", "The document image is known or was used suspiciously",
       R.DOCUMENT_TAMPERED),
    _b("document.age_validation", "The age from the document is below the minimum accepted age", R.UNDERAGE),
    _b("document.issuing_authority", "Document data does not match the issuing authority's", R.DOCUMENT_TAMPERED),
    # Facial similarity reports (photo, video, motion share the tree)
    *(e for family in ("facial_similarity_photo", "facial_similarity_photo_fully_auto", "facial_similarity_video",
                       "facial_similarity_motion") for e in (
        _b(f"{family}.face_comparison", "The face does not match the face on the document", R.FACE_MISMATCH,
           retryable=False),
        _b(f"{family}.face_comparison.face_match", "The face does not match the face on the document",
           R.FACE_MISMATCH),
        _b(f"{family}.image_integrity", "The captures were not sufficient for a face comparison",
           R.CAPTURE_QUALITY, retryable=True),
        _b(f"{family}.image_integrity.face_detected",
           "No single face of good enough quality was found in the document image and the capture",
           R.FACE_NOT_DETECTED, retryable=True,
           note="also covers several faces or a poor capture: Onfido does not tell them apart"),
        _b(f"{family}.image_integrity.source_integrity",
           "The capture is not trustworthy (digitally tampered, a fake webcam)", R.SPOOF_DETECTED),
        _b(f"{family}.visual_authenticity", "The person in the capture is not real or not live", R.SPOOF_DETECTED),
        _b(f"{family}.visual_authenticity.spoofing_detection", "The capture is a spoof", R.SPOOF_DETECTED),
        _b(f"{family}.visual_authenticity.liveness_detected",
           "The requested head movements were not executed correctly", R.LIVENESS_FAILED, retryable=True),
    )),
]

_ERRORS = [
    # the HTTP status types every error (400/409/422 InvalidRequest, 401 AuthenticationError, 403 PermissionDenied,
    # 404 SessionNotFound, 429 RateLimited, 5xx ProviderUnavailable — onfido-python's exceptions by status); the
    # envelope's ``type`` only names it
    *(CodeEntry("api_error", code, message, "unknown", note="the spec leaves the type free text: the HTTP status "
                "decides the error") for code, message in (
        ("validation_error", "A field failed validation"),
        ("authorization_error", "The API token is not accepted"),
        ("resource_not_found", "The resource does not exist"),
        ("bad_request", "The request is malformed"),
        ("rate_limit", "Too many requests"),
    )),
]

CODE_TABLE = CodeTable(
    "onfido",
    [*_RUN, *_CHECK, *_REPORT, *_BREAKDOWNS, *_ERRORS],
    {
        "workflow_run_status": "Workflow run statuses (the decision)",
        "check_status": "Check statuses",
        "check_result": "Check results",
        "report_status": "Report statuses",
        "report_result": "Report results",
        "sub_result": "Document report sub-results",
        "breakdown": "Breakdowns that explain a decline (result `consider`)",
        "api_error": "API error types (`error.type`; typed by the HTTP status)",
    },
)

#: workflow-run statuses that are final (the run's check and reports are read for them)
FINAL_RUN_STATUSES = frozenset({"approved", "declined", "review", "abandoned", "error"})
#: report families whose breakdowns this table explains
DOCUMENT_REPORTS = frozenset({"document", "document_video", "document_with_address_information",
                              "document_video_with_address_information", "document_with_driving_licence_information",
                              "document_with_driver_verification"})
FACE_REPORTS = frozenset({"facial_similarity_photo", "facial_similarity_photo_fully_auto", "facial_similarity_video",
                          "facial_similarity_motion"})

__all__ = ["CODE_TABLE", "DOCUMENT_REPORTS", "FACE_REPORTS", "FINAL_RUN_STATUSES"]
