"""The neutral scenario catalog: what a sandbox user can make happen, and the normalized result expected.

Each provider's emulator renders a scenario in that provider's own payloads and codes; a scenario a
provider cannot produce is declared unsupported by its emulator (with the reason). The contract suite
checks every (scenario, provider) pair against the expectation here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..models import Check, DocumentType, Outcome, ReasonCode

#: The sandbox's person, as every emulator renders it on the document.
PERSON: dict[str, Any] = {
    "given_name": "JANE",
    "family_name": "SAMPLE",
    "full_name": "JANE SAMPLE",
    "date_of_birth": date(1990, 1, 2),
    "sex": "F",
    "nationality": "GBR",
    "document_type": DocumentType.PASSPORT,
    "document_number": "X1234567",
    "issuing_country": "GBR",
    "expiry_date": date(2031, 5, 6),
}
#: The identity fields every provider reports for a read document (what the contract suite compares).
IDENTITY_FIELDS = ("full_name", "date_of_birth", "document_number", "document_type", "issuing_country")
EXPIRED_DOCUMENT_EXPIRY = date(2020, 3, 4)


@dataclass(frozen=True)
class Scenario:
    """One thing that can happen in a verification, and its normalized expectation."""

    name: str
    title: str
    outcome: Outcome
    reasons: frozenset[ReasonCode] = frozenset()
    #: identity fields expected in the Decision (None: no identity expectation)
    identity: dict[str, Any] | None = None
    #: expected ``passed`` per check; checks not listed are not compared
    checks: dict[Check, bool | None] = field(default_factory=dict)
    description: str = ""

    @property
    def retryable(self) -> bool:
        """Whether the user may try again (derived from the reasons' usual meaning)."""
        return bool(self.reasons) and not (self.reasons & _FINAL)


_FINAL = frozenset({ReasonCode.SPOOF_DETECTED, ReasonCode.DOCUMENT_TAMPERED, ReasonCode.RETRY_LIMIT_REACHED,
                    ReasonCode.DOCUMENT_EXPIRED})


def _identity(**overrides: Any) -> dict[str, Any]:
    values = {**PERSON, **overrides}
    return {k: values[k] for k in IDENTITY_FIELDS} | overrides


_OK: dict[Check, bool | None] = {Check.DOCUMENT: True, Check.LIVENESS: True, Check.FACE_MATCH: True}

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("approved", "Approved", Outcome.APPROVED, identity=_identity(), checks=_OK,
                 description="Document read, live person, same face: every check passes."),
        Scenario("face_mismatch", "Face mismatch", Outcome.DECLINED, frozenset({ReasonCode.FACE_MISMATCH}),
                 identity=_identity(), checks={Check.LIVENESS: True, Check.FACE_MATCH: False},
                 description="The selfie is a live person, but not the person on the document."),
        Scenario("liveness_spoof", "Spoof attempt", Outcome.DECLINED, frozenset({ReasonCode.SPOOF_DETECTED}),
                 checks={Check.LIVENESS: False},
                 description="A presentation attack (photo, screen or mask) is detected."),
        Scenario("no_face", "No face", Outcome.DECLINED, frozenset({ReasonCode.FACE_NOT_DETECTED}),
                 checks={Check.LIVENESS: False},
                 description="No face is found in the selfie capture."),
        Scenario("multiple_faces", "Multiple faces", Outcome.DECLINED, frozenset({ReasonCode.MULTIPLE_FACES}),
                 description="More than one face is in the selfie capture."),
        Scenario("poor_capture", "Poor capture", Outcome.DECLINED, frozenset({ReasonCode.CAPTURE_QUALITY}),
                 description="The selfie capture is too dark, blurred or badly framed."),
        Scenario("document_expired", "Expired document", Outcome.DECLINED,
                 frozenset({ReasonCode.DOCUMENT_EXPIRED}),
                 identity=_identity(expiry_date=EXPIRED_DOCUMENT_EXPIRY), checks={Check.DOCUMENT: False},
                 description="The document's expiry date has passed."),
        Scenario("document_tampered", "Tampered document", Outcome.DECLINED,
                 frozenset({ReasonCode.DOCUMENT_TAMPERED}), checks={Check.DOCUMENT: False},
                 description="The document is edited, a photocopy or a screen recapture."),
        Scenario("document_unreadable", "Unreadable document", Outcome.DECLINED,
                 frozenset({ReasonCode.DOCUMENT_UNREADABLE}), checks={Check.DOCUMENT: False},
                 description="The document cannot be read (OCR/MRZ fail)."),
        Scenario("data_mismatch", "Data mismatch", Outcome.DECLINED, frozenset({ReasonCode.DATA_MISMATCH}),
                 identity=_identity(),
                 description="Document data differs from the expected data given at create."),
        Scenario("retry_limit", "Retry limit", Outcome.DECLINED, frozenset({ReasonCode.RETRY_LIMIT_REACHED}),
                 description="The user used every attempt the session allows."),
        Scenario("user_cancelled", "User quit", Outcome.ABANDONED, frozenset({ReasonCode.USER_CANCELLED}),
                 description="The user left the flow before finishing."),
        Scenario("timed_out", "Timed out", Outcome.ABANDONED, frozenset({ReasonCode.TIMED_OUT}),
                 description="The user started but did not finish in time."),
        Scenario("session_expired", "Link expired", Outcome.EXPIRED, frozenset({ReasonCode.SESSION_EXPIRED}),
                 description="The link or token expired before the user completed the flow."),
        Scenario("review", "Manual review", Outcome.REVIEW, frozenset({ReasonCode.FACE_MISMATCH}),
                 identity=_identity(),
                 description="A borderline face match is sent to a human reviewer."),
        Scenario("provider_error", "Provider error", Outcome.ERROR, frozenset({ReasonCode.PROVIDER_ERROR}),
                 description="The provider failed internally; the outcome is unknown."),
    )
}


def get(name: str) -> Scenario:
    """The scenario called ``name`` (KeyError names the catalog when unknown)."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; the catalog has: {', '.join(SCENARIOS)}") from None
