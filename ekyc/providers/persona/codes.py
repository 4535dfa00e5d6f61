"""Persona's code table: inquiry statuses (per template setup), verification statuses, check statuses and
requirements, the government-ID and selfie check names, and the API errors — each mapped fail-closed.

Source keys (the full addresses are in ``NOTES.md``):

- [SPEC] Persona's OpenAPI description, version 2025-12-08 (``persona-id/persona-openapi``; the copy in
  ``shared/reference/specs/persona-openapi-2025-12-08.json``): schema descriptions and examples.
- [DOCS:model-lifecycle] docs.withpersona.com/model-lifecycle (current): ``completed`` is set "when end user
  reaches the Completed screen"; ``approved`` / ``declined`` / ``needs_review`` are set by post-inquiry
  workflows or by the organization's reviewers.
- [DOCS:2021-07-05/model-lifecycle] the same page for API version 2021-07-05: "An inquiry will be completed if
  all of the required verification checks pass. It will be failed if one or more of the required checks fail."
- [DOCS:inquiries] docs.withpersona.com/api-reference/inquiries: ``failed`` = "exceeded the allowed number of
  verification attempts on the inquiry and cannot continue"; ``expired`` = not completed in time.
- [DOCS:verifications] docs.withpersona.com/reference/verifications: initiated / submitted / passed / failed.
- [DOCS:errors] the spec's error responses (400, 401, 403, 404, 409, 422, 429).

**``completed`` is not ``approved``.** Persona's statuses mean different things in different template setups,
so the table has one status kind per setup and the adapter reads the one the settings name
(``PersonaSettings.decisioning``):

- ``workflow`` (the default): a post-inquiry workflow or a reviewer decides. Only ``approved``, ``declined``
  and ``needs_review`` are decisions; ``completed`` means "the user reached the Completed screen" and is
  ``PENDING`` (awaiting the decision), never ``APPROVED``.
- ``completion``: the template has no post-inquiry decisioning, so reaching ``completed`` is the documented
  success ("completed if all of the required verification checks pass"). Even then ``APPROVED`` needs every
  verification the inquiry lists to be included and passed (the evidence rule); a ``completed`` inquiry that
  lists no verification at all is ``REVIEW``.

Sub-checks (the evidence rule, :mod:`ekyc.evidence`): each verification the inquiry lists is one, by its
``status`` (``VERIFICATION_STATE``); each check of each verification is one, by its ``status`` and
``requirement`` (``CHECK_STATE``; a failed check that is ``not_required`` does not gate its verification and is
informational). A check name's reason is our reading of the documented name (the names come from the spec's
examples); a failing check whose name is not in the table gives ``UNKNOWN`` keeping the name.
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
    "status": "Inquiry statuses — template with post-inquiry decisioning (`decisioning=\"workflow\"`, the default)",
    "status.completion": "Inquiry statuses — template without post-inquiry decisioning "
                         "(`decisioning=\"completion\"`)",
    "verification_status": "Verification statuses (`status` of each listed verification): one sub-check each",
    "check_status": "Check statuses (`checks[].status`): one sub-check each",
    "check_requirement": "Check requirements (`checks[].requirement`)",
    "check.government_id": "Government ID checks (`verification/government-id` `checks[].name`): the reason of a "
                           "failed check",
    "check.selfie": "Selfie checks (`verification/selfie` `checks[].name`): the reason of a failed check",
    "api_error": "API errors (HTTP status; body `{\"errors\": [{\"title\", \"details\"}]}`, no error code)",
}

_SPEC_STATUS = "[SPEC inquiry.attributes.status]"
_LIFE = "[DOCS:model-lifecycle]"
_OLD = "[DOCS:2021-07-05/model-lifecycle]"
_INQ = "[DOCS:inquiries]"
_VER = "[SPEC verification-shared-attributes.status] [DOCS:verifications]"
_CHK = "[SPEC verification-shared-attributes.checks]"
_EX = "[SPEC examples] (name); reason: our reading of the name"


def _statuses(kind: str, completion: bool) -> list[CodeEntry]:
    """The eight documented inquiry statuses under one template setup."""
    decided = "a decision" if not completion else "a decision (manual review can still set it)"
    return [
        CodeEntry(kind, "created", "The inquiry exists; the user has not started", f"{_SPEC_STATUS} {_LIFE}",
                  outcome=Outcome.PENDING),
        CodeEntry(kind, "pending", "The user submitted a document or began a verification",
                  f"{_SPEC_STATUS} {_LIFE}", outcome=Outcome.PENDING),
        CodeEntry(kind, "completed", "The user reached the Completed screen", f"{_SPEC_STATUS} {_LIFE} {_OLD}",
                  outcome=Outcome.APPROVED if completion else Outcome.PENDING,
                  note=("the documented success of a template without post-inquiry decisioning: APPROVED only "
                        "when every listed verification is included and passed and every check passed; a "
                        "completed inquiry listing no verification is REVIEW") if completion else
                       ("NOT a decision: a workflow or a reviewer still decides (approved / declined / "
                        "needs_review); PENDING until then")),
        CodeEntry(kind, "failed", "The user reached the Failed screen: required checks failed and the allowed "
                  "attempts are used up", f"{_SPEC_STATUS} {_LIFE} {_INQ}", outcome=Outcome.DECLINED,
                  reason=R.RETRY_LIMIT_REACHED,
                  note="reasons: RETRY_LIMIT_REACHED and the failed checks of the listed verifications"),
        CodeEntry(kind, "expired", "Not finished in time (24 hours by default, template-configurable)",
                  f"{_SPEC_STATUS} {_LIFE} {_INQ}", outcome=Outcome.EXPIRED, reason=R.SESSION_EXPIRED,
                  retryable=True,
                  note="with `started-at` set (the user had started) it is ABANDONED / TIMED_OUT"),
        CodeEntry(kind, "needs_review", "A workflow or a reviewer marked the inquiry for manual review",
                  f"{_SPEC_STATUS} {_LIFE}", outcome=Outcome.REVIEW, reason=R.UNKNOWN,
                  note=f"{decided}; reasons: the failed checks, UNKNOWN only when none explains it"),
        CodeEntry(kind, "approved", "A workflow or a reviewer approved the inquiry", f"{_SPEC_STATUS} {_LIFE}",
                  outcome=Outcome.APPROVED,
                  note=f"{decided}; APPROVED only when every verification and check it lists passed, else REVIEW"),
        CodeEntry(kind, "declined", "A workflow or a reviewer declined the inquiry", f"{_SPEC_STATUS} {_LIFE}",
                  outcome=Outcome.DECLINED, reason=R.UNKNOWN,
                  note=f"{decided}; reasons: the failed checks, UNKNOWN only when none explains it"),
    ]


#: verification ``status`` → sub-check state (a value not here is UNKNOWN)
VERIFICATION_STATE: dict[str, State] = {}
#: (check ``status``, ``requirement``) → sub-check state; ``"*"`` stands for any requirement
CHECK_STATE: dict[tuple[str, str], State] = {}
_NOTE = {State.PASSED: "sub-check passed", State.FAILED: "sub-check failed", State.UNFINISHED: "sub-check unfinished",
         State.UNKNOWN: "sub-check unknown", State.INFO: "informational (never decides)"}


def _ver(code: str, message: str, state: State, note: str = "", source: str = _VER) -> CodeEntry:
    VERIFICATION_STATE[code] = state
    return CodeEntry("verification_status", code, message, source,
                     note=f"{_NOTE[state]}; {note}" if note else _NOTE[state])


def _chk(code: str, message: str, note: str) -> CodeEntry:
    return CodeEntry("check_status", code, message, _CHK, note=note)


_DOC = R.DOCUMENT_UNREADABLE
_FAKE = R.DOCUMENT_TAMPERED


def _gid(name: str, message: str, reason: R, retryable: bool = True) -> CodeEntry:
    return CodeEntry("check.government_id", name, message, _EX, reason=reason, retryable=retryable)


def _selfie(name: str, message: str, reason: R, retryable: bool = True) -> CodeEntry:
    return CodeEntry("check.selfie", name, message, _EX, reason=reason, retryable=retryable)


ENTRIES: tuple[CodeEntry, ...] = (
    *_statuses("status", completion=False),
    *_statuses("status.completion", completion=True),
    # -- verification statuses -------------------------------------------------------------------
    _ver("passed", "The verification passed", State.PASSED, "check passed = true"),
    _ver("failed", "The verification failed", State.FAILED,
         "reasons: its failed checks (UNKNOWN keeping the verification type when none is given)"),
    _ver("initiated", "The user started the verification", State.UNFINISHED),
    _ver("submitted", "The user submitted; Persona is processing it", State.UNFINISHED),
    _ver("requires_retry", "The user was asked to try again", State.UNFINISHED),
    _ver("tentatively_passed", "Passed pending further processing (document verifications only)", State.UNFINISHED,
         "not a final verdict"),
    _ver("tentatively_failed", "Failed pending further processing (business database verifications only)",
         State.UNFINISHED, "not a final verdict"),
    _ver("confirmed", "Contact confirmed, information not yet submitted (e-mail and phone only)",
         State.UNFINISHED),
    _ver("skipped", "The verification was skipped", State.UNFINISHED,
         "Persona lists the value without a meaning: no verdict (fail closed)", source="[SPEC] (meaning unknown)"),
    _ver("canceled", "The verification was canceled", State.UNFINISHED,
         "Persona lists the value without a meaning: no verdict (fail closed)", source="[SPEC] (meaning unknown)"),
    # -- check statuses and requirements ----------------------------------------------------------
    _chk("passed", "The check passed", "sub-check passed"),
    _chk("failed", "The check failed",
         "sub-check failed when its requirement is `required` or `requires_retry` (or missing/unknown); "
         "informational when `not_required`"),
    _chk("not_applicable", "The check did not apply (its `reasons` say why, e.g. `disabled`)",
         "informational (never decides)"),
    CodeEntry("check_requirement", "required", "The check gates its verification", _CHK),
    CodeEntry("check_requirement", "not_required", "The check does not gate its verification", _CHK,
              note="a failed not_required check is kept as a warning"),
    CodeEntry("check_requirement", "requires_retry", "A failure asks the user to retry", _CHK),
    # -- government ID checks ----------------------------------------------------------------------
    _gid("id_aamva_database_lookup", "The ID's data does not match the AAMVA database", R.DATA_MISMATCH, False),
    _gid("id_account_comparison", "The ID differs from the account's data", R.DATA_MISMATCH, False),
    _gid("id_age_comparison", "The age on the ID does not match", R.DATA_MISMATCH, False),
    _gid("id_age_inconsistency_detection", "The ID's ages are inconsistent", _FAKE, False),
    _gid("id_barcode_detection", "The ID's barcode could not be detected", _DOC),
    _gid("id_barcode_inconsistency_detection", "The barcode disagrees with the printed data", _FAKE, False),
    _gid("id_blur_detection", "The ID image is blurred", _DOC),
    _gid("id_color_inconsistency_detection", "The ID's colours are inconsistent (copy or print)", _FAKE, False),
    _gid("id_compromised_detection", "The ID image is known to be compromised", _FAKE, False),
    _gid("id_disallowed_country_detection", "The ID's country is not allowed by the template",
         R.DOCUMENT_UNSUPPORTED),
    _gid("id_disallowed_type_detection", "The ID's type is not allowed by the template", R.DOCUMENT_UNSUPPORTED),
    _gid("id_double_side_detection", "Both sides of the ID were not captured", _DOC),
    _gid("id_electronic_replica_detection", "The ID is an electronic replica (a screen)", _FAKE, False),
    _gid("id_entity_detection", "The ID's entity could not be established", R.UNKNOWN),
    _gid("id_expired_detection", "The ID is expired", R.DOCUMENT_EXPIRED, False),
    _gid("id_extracted_properties_detection", "Required data could not be extracted from the ID", _DOC),
    _gid("id_extraction_inconsistency_detection", "The extracted data is inconsistent", _FAKE, False),
    _gid("id_fabrication_detection", "The ID appears fabricated", _FAKE, False),
    _gid("id_glare_detection", "Glare covers the ID", _DOC),
    _gid("id_handwriting_detection", "Handwriting was found on the ID", _FAKE, False),
    _gid("id_inconsistent_repeat_detection", "The ID was seen before with different data", R.DUPLICATE_IDENTITY,
         False),
    _gid("id_inquiry_comparison", "The ID differs from the inquiry's data (prefilled or entered)",
         R.DATA_MISMATCH, False),
    _gid("id_mrz_detection", "The ID's MRZ could not be detected", _DOC),
    _gid("id_mrz_inconsistency_detection", "The MRZ disagrees with the printed data", _FAKE, False),
    _gid("id_number_format_inconsistency_detection", "The ID number has an invalid format", _FAKE, False),
    _gid("id_po_box_detection", "The ID's address is a PO box", R.DOCUMENT_UNSUPPORTED),
    _gid("id_portrait_clarity_detection", "The ID's portrait is not clear", _DOC),
    _gid("id_portrait_detection", "No portrait was found on the ID", _DOC),
    _gid("id_public_figure_detection", "The ID shows a public figure", _FAKE, False),
    _gid("id_real_id_detection", "The ID is not REAL ID compliant", R.DOCUMENT_UNSUPPORTED),
    _gid("id_repeat_detection", "The ID was already used", R.DUPLICATE_IDENTITY, False),
    _gid("id_selfie_comparison", "The ID portrait does not match the selfie", R.FACE_MISMATCH),
    _gid("id_tamper_detection", "The ID appears tampered with", _FAKE, False),
    _gid("id_type_detection", "The ID's type could not be detected", _DOC),
    _gid("id_unprocessable_submission_detection", "The submission could not be processed", _DOC),
    _gid("id_valid_dates_detection", "The ID's dates are not valid", _FAKE, False),
    _gid("id_nfc_expired_detection", "The chip says the ID is expired (government-id-nfc)", R.DOCUMENT_EXPIRED,
         False),
    # -- selfie checks -------------------------------------------------------------------------------
    _selfie("selfie_account_comparison", "The selfie differs from the account's face", R.FACE_MISMATCH),
    _selfie("selfie_age_comparison", "The apparent age does not match", R.DATA_MISMATCH, False),
    _selfie("selfie_face_covering_detection", "The face is covered", R.CAPTURE_QUALITY),
    _selfie("selfie_glare_detection", "Glare covers the face", R.CAPTURE_QUALITY),
    _selfie("selfie_glasses_detection", "Glasses hide the face", R.CAPTURE_QUALITY),
    _selfie("selfie_id_comparison", "The selfie does not match the ID portrait", R.FACE_MISMATCH),
    _selfie("selfie_image_quality_detection", "The selfie's image quality is too low", R.CAPTURE_QUALITY),
    _selfie("selfie_liveness_detection", "The selfie is not of a live person (presentation attack)",
            R.SPOOF_DETECTED, False),
    _selfie("selfie_multiple_faces_detection", "More than one face is in the selfie", R.MULTIPLE_FACES),
    _selfie("selfie_pose_detection", "The required face poses were not detected", R.FACE_NOT_DETECTED),
    _selfie("selfie_pose_repeat_detection", "The poses repeat a recorded capture", R.SPOOF_DETECTED, False),
    _selfie("selfie_public_figure_detection", "The selfie shows a public figure", R.SPOOF_DETECTED, False),
    _selfie("selfie_suspicious_entity_detection", "The selfie matches a suspicious entity", R.SPOOF_DETECTED,
            False),
    # -- API errors ----------------------------------------------------------------------------------
    CodeEntry("api_error", "400", "The request was unacceptable (invalid parameters)", "[SPEC responses.bad-request]",
              error=InvalidRequest,
              note="`errors[].details`, scrubbed"),
    CodeEntry("api_error", "401", "An invalid API key was provided", "[SPEC responses.unauthorized]",
              error=AuthenticationError),
    CodeEntry("api_error", "403", "The key lacks permission, the IP is not allowed or a quota is exceeded",
              "[SPEC responses.forbidden]", error=PermissionDenied),
    CodeEntry("api_error", "404", "The inquiry (or the template named at create) does not exist",
              "[SPEC responses.not-found]", error=SessionNotFound,
              note="at create, a missing template is a configuration problem: InvalidRequest naming the template"),
    CodeEntry("api_error", "409", "Conflict: a duplicate, a stale object, an inquiry already redacted, or an "
              "Idempotency-Key reused with other parameters", "[SPEC responses.conflict] [DOCS:idempotence]",
              error=InvalidRequest),
    CodeEntry("api_error", "422", "The request modifies the resource in an unacceptable way",
              "[SPEC responses.unprocessable-entity]", error=InvalidRequest),
    CodeEntry("api_error", "429", "Rate limit or quota exceeded; back off (Retry-After, else RateLimit-Reset)",
              "[SPEC responses.too-many-requests]", retryable=True, error=RateLimited),
    CodeEntry("api_error", "5xx", "Persona failed or is unavailable; the body may not be JSON", "unknown",
              retryable=True, error=ProviderUnavailable,
              note="the spec documents no 5xx body; 502/503/504 retried for reads and creates (creates carry an "
                   "Idempotency-Key), 500 is not retried"),
)

for _status, _state in (("passed", State.PASSED), ("not_applicable", State.INFO)):
    CHECK_STATE[(_status, "*")] = _state
for _req in ("required", "requires_retry", "*"):
    CHECK_STATE[("failed", _req)] = State.FAILED
CHECK_STATE[("failed", "not_required")] = State.INFO

CODE_TABLE = CodeTable("persona", ENTRIES, KINDS)

#: check name → entry (the government-ID and selfie check kinds)
CHECKS: dict[str, CodeEntry] = {e.code: e for e in ENTRIES if e.kind.startswith("check.")}
#: the inquiry statuses a session can still move on from (the hosted flow is usable)
OPEN_STATUSES = frozenset({"created", "pending"})
#: the template setups and the status kind each reads
DECISIONING: dict[str, str] = {"workflow": "status", "completion": "status.completion"}
