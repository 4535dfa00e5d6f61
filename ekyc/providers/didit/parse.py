"""Normalize a Didit v3 decision object (``GET /v3/session/{id}/decision/`` or a webhook's ``decision``).

Rules (fail closed):

- the session ``status`` decides the outcome through the code table; an unknown status is ``ERROR`` with
  reason ``UNKNOWN`` keeping the raw status;
- a warning is a *reason* when its ``log_type`` is ``error`` (the workflow's Decline action) or ``warning``
  (Review); ``information`` is only a signal (``Decision.warnings``); without a ``log_type`` the warning is
  a reason when the feature item that carries it is ``Declined`` or ``In Review``;
- ``Declined`` / ``In Review`` with no usable warning get one reason ``UNKNOWN`` keeping the status;
- ``Approved`` while a feature is Declined/In Review or a decline/review warning is present is a
  contradiction and gives ``REVIEW`` — unless ``reviews[]`` shows a manual approval (the last review's
  ``new_status`` is ``Approved``), in which case the warnings become signals;
- missing arrays and nulls are tolerated, unknown fields ignored; wrong types raise ``ProviderError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

from ekyc.models import (
    CheckResult,
    Checks,
    Decision,
    DocumentType,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    SessionRef,
)

from .codes import CODE_TABLE, RISKS

#: every feature array of a v3 decision (KYC and KYB) that may carry ``warnings[]``
FEATURE_ARRAYS = (
    "id_verifications", "nfc_verifications", "liveness_checks", "face_matches", "aml_screenings",
    "phone_verifications", "email_verifications", "poa_verifications", "ip_analyses", "database_validations",
    "questionnaire_responses", "document_ai_documents", "registry_checks", "key_people_checks",
    "document_verifications",
)
DOCUMENT_TYPES: dict[str, DocumentType] = {
    "passport": DocumentType.PASSPORT,
    "identity card": DocumentType.ID_CARD,
    "id card": DocumentType.ID_CARD,
    "driver's license": DocumentType.DRIVERS_LICENSE,
    "drivers license": DocumentType.DRIVERS_LICENSE,
    "residence permit": DocumentType.RESIDENCE_PERMIT,
}
_DECISIVE_ITEM = frozenset({"Declined", "In Review"})


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value.strip() or None


def _date(value: Any) -> date | None:
    text = _str(value)
    return None if text is None else date.fromisoformat(text[:10])


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("expected a number")
    return float(value)


def items(data: dict[str, Any], array: str) -> list[dict[str, Any]]:
    """The items of one feature array (``[]`` when absent or null)."""
    return [_dict(i) for i in _list(data.get(array))]


Features = dict[str, list[dict[str, Any]]]


def features(data: dict[str, Any]) -> Features:
    """Every feature array's items, read once per payload."""
    return {array: items(data, array) for array in FEATURE_ARRAYS}


def _warnings(data: dict[str, Any], feats: Features) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every warning object with the status of the item that carries it."""
    for array in FEATURE_ARRAYS:
        for item in feats[array]:
            status = _str(item.get("status"))
            for w in _list(item.get("warnings")):
                yield _dict(w), status
    for w in _list(data.get("warnings")):  # older/flat payloads carry warnings at the top level
        yield _dict(w), None


def warning_reason(w: dict[str, Any]) -> Reason:
    """The neutral reason of one warning object (``UNKNOWN`` keeping the raw risk code)."""
    risk = _str(w.get("risk"))
    entry = RISKS.get(risk) if risk else None
    if entry is not None:
        return entry.to_reason(risk)
    return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=risk,
                  message="risk code not in Didit's documentation")


def is_decisive(w: dict[str, Any], item_status: str | None) -> bool:
    """Whether a warning asked for decline or review (else it is information only)."""
    log_type = w.get("log_type")
    if log_type in ("error", "warning"):
        return True
    if log_type == "information":
        return False
    return item_status in _DECISIVE_ITEM



def _check(entries: list[dict[str, Any]], scored: bool) -> CheckResult:
    verdicts = []
    scores = []
    for item in entries:
        status = _str(item.get("status"))
        verdicts.append(True if status == "Approved" else False if status == "Declined" else None)
        if scored:
            s = _score(item.get("score"))
            if s is not None:
                scores.append(s)
    passed: bool | None = None
    if verdicts:
        if any(v is False for v in verdicts):
            passed = False
        elif all(v is True for v in verdicts):
            passed = True
    return CheckResult(passed=passed, score=min(scores) if scores else None)


def checks(feats: Features) -> Checks:
    """Document, liveness and face-match results from the feature arrays."""
    return Checks(
        document=_check(feats["id_verifications"], scored=False),
        liveness=_check(feats["liveness_checks"], scored=True),
        face_match=_check(feats["face_matches"], scored=True),
    )


def identity(feats: Features) -> Identity:
    """What the first ID verification with data says about the person."""
    for item in feats["id_verifications"]:
        first, last, full = _str(item.get("first_name")), _str(item.get("last_name")), _str(item.get("full_name"))
        if full is None and (first or last):
            full = " ".join(p for p in (first, last) if p)
        raw_type = _str(item.get("document_type"))
        doc_type = None if raw_type is None else DOCUMENT_TYPES.get(raw_type.lower(), DocumentType.OTHER)
        gender = _str(item.get("gender"))
        ident = Identity(
            given_name=first, family_name=last, full_name=full,
            date_of_birth=_date(item.get("date_of_birth")),
            sex=gender.upper() if gender and gender.upper() in ("M", "F") else None,
            nationality=_str(item.get("nationality")),
            document_type=doc_type,
            document_number=_str(item.get("document_number")),
            issuing_country=_str(item.get("issuing_state")),
            expiry_date=_date(item.get("expiration_date")),
            address=_str(item.get("formatted_address")) or _str(item.get("address")),
        )
        if not ident.is_empty():
            return ident
    return Identity()


def _timestamp(value: Any) -> datetime | None:
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if isinstance(value, str) and value:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _manually_approved(reviews: list[Any]) -> bool:
    last = [r for r in reviews if isinstance(r, dict) and r.get("new_status")]
    return bool(last) and last[-1].get("new_status") == "Approved"


def normalize(data: dict[str, Any], ref: SessionRef, status: str | None = None) -> Decision:
    """The neutral :class:`Decision` for a decision object (raises TypeError/KeyError/ValueError on bad shapes;
    callers wrap this in :func:`ekyc.provider.malformed`)."""
    raw_status = status if status is not None else data["status"]
    if not isinstance(raw_status, str):
        raise TypeError("status is not a string")
    entry = CODE_TABLE.get("status", raw_status)
    reasons: list[Reason] = []
    signals: list[Reason] = []
    decisive: list[Reason] = []
    feats = features(data)
    for w, item_status in _warnings(data, feats):
        reason = warning_reason(w)
        if is_decisive(w, item_status):
            decisive.append(reason)
        else:
            signals.append(reason)
    contradiction = any(_str(i.get("status")) in _DECISIVE_ITEM for found in feats.values() for i in found)
    reviews = _list(data.get("reviews"))

    if entry is None or entry.outcome is None:
        outcome = Outcome.ERROR
        reasons.append(Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=raw_status,
                              message="session status not in Didit's documentation"))
        signals.extend(decisive)
    elif entry.outcome is Outcome.APPROVED:
        if (decisive or contradiction) and not _manually_approved(reviews):
            outcome = Outcome.REVIEW
            reasons.extend(decisive or [Reason(
                code=ReasonCode.UNKNOWN, retryable=False, provider_code=raw_status,
                message="Approved while a feature was declined or sent to review")])
        else:
            outcome = Outcome.APPROVED
            signals = decisive + signals
    elif entry.outcome in (Outcome.DECLINED, Outcome.REVIEW):
        outcome = entry.outcome
        reasons.extend(decisive or [entry.to_reason(raw_status)])
    else:
        outcome = entry.outcome
        if entry.reason is not None:
            reasons.append(entry.to_reason(raw_status))
        signals = decisive + signals

    completed_at = None
    if outcome.is_final:
        stamps = [_timestamp(r.get("created_at")) for r in reviews if isinstance(r, dict)]
        stamps += [_timestamp(data.get(k)) for k in ("completed_at", "decided_at", "updated_at")]
        found = [s for s in stamps if s is not None]
        completed_at = max(found) if found else None
    return Decision(
        ref=ref,
        outcome=outcome,
        reasons=tuple(reasons),
        warnings=tuple(signals),
        identity=identity(feats),
        checks=checks(feats),
        provider_status=raw_status,
        completed_at=completed_at,
        raw=data,
    )
