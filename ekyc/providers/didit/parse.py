"""Decide a Didit v3 decision object (``GET /v3/session/{id}/decision/`` or a webhook's ``decision``).

The outcome goes through the one evidence rule, :func:`ekyc.evidence.settle`:

- the session ``status`` gives the status outcome through the code table; an undocumented status is
  ``ERROR`` with reason ``UNKNOWN`` keeping the raw status (Didit: statuses are exact, case-sensitive
  strings, [DOCS:integration/verification-statuses]);
- every item of every feature array is a sub-check, by its ``status`` (``FEATURE_STATE`` in the code table):
  ``Approved`` passed; ``Declined`` / ``In Review`` failed, with the item's warnings that are not
  ``information`` as its reasons (the feature-status meaning when it has none); ``Not Finished``,
  ``Not Started``, ``Expired``, ``In Progress`` and a null or missing status unfinished; any other value —
  case variants such as ``DECLINED`` included — unknown;
- every feature the decision's ``features[]`` lists (``DECISION_FEATURES``) whose array is null or empty is an
  unfinished sub-check: it never produced a result;
- every warning object is a sub-check, by its ``log_type`` (``LOG_TYPE_STATE``): ``error`` (the workflow's
  Decline action) and ``warning`` (Review) failed, with the risk's reason; ``information`` informational
  (``Decision.warnings``); a missing or any other ``log_type`` (``ERROR``, unknown strings) unknown. Didit
  documents a ``log_type`` on every warning ([DOCS:*/warnings-id-verification],
  [DOCS:reference/database-validation-warnings]); nothing documents what a missing one means, so it never
  approves;
- ``Approved`` with every sub-check passed (or informational) is ``APPROVED``; with any other sub-check it is
  ``REVIEW`` naming the sub-check — never ``DECLINED``. ``Declined`` / ``In Review`` keep their outcome, the
  failed sub-checks being the reasons (``UNKNOWN`` keeping the status when none explains it);
- a manual approval overrides failed sub-checks only: when the status is ``Approved`` and the last
  ``reviews[]`` entry with a ``new_status`` says ``Approved``, failed sub-checks become warnings (Didit: a
  manual ``Approved`` "records a final manual decision" that can overturn a decline
  [DOCS:sessions-api/update-status], and writes the ``reviews[]`` audit row
  [DOCS:management-api/sessions/create-review]). Unfinished and unknown sub-checks still give ``REVIEW``.
  A review entry naming a ``node_id`` or ``feature`` is read as a feature-level change, not a session
  decision (fail closed);
- ``Decision.reference`` is the echoed ``vendor_data`` (the app's ``reference`` sent at create) when present;
- fields are read strictly with :mod:`ekyc._wire` (scores finite and within 0–100, ASCII dates, no coercion);
  missing arrays and nulls are tolerated, unknown fields ignored; a wrong type raises ``WireError``, which the
  adapter turns into a ``ProviderError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ekyc import _wire as wire
from ekyc.evidence import Evidence, State, passed, settle
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
    verdict,
)

from .codes import CODE_TABLE, DECISION_FEATURES, FEATURE_STATE, LOG_TYPE_STATE, RISKS

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
#: the identity of a decision that names no one (a frozen model: one instance serves every call)
NO_IDENTITY = Identity()
#: longest ``vendor_data`` read back (the adapter sends at most 256 characters)
MAX_VENDOR_DATA = 1024

Item = Mapping[str, Any]
Features = dict[str, list[Item]]


def _code(item: Item, key: str, where: str) -> str | None:
    """``item[key]`` read with :func:`ekyc._wire.code`; the field name (``where.key``) is built only to name a
    refusal (a plain string, the usual case, is exactly what ``wire.code`` returns)."""
    value = item.get(key)
    if value is None or (type(value) is str and len(value) <= 128):
        return value
    return wire.code(value, f"{where}.{key}")


def _text(item: Item, key: str, where: str) -> str | None:
    """``item[key]`` read with :func:`ekyc._wire.text` (stripped, blank → None), named only to refuse it."""
    value = item.get(key)
    if value is None:
        return None
    if type(value) is str and len(value) <= 4096:
        return value.strip() or None
    return wire.text(value, f"{where}.{key}")


def _date(item: Item, key: str, where: str) -> date | None:
    """``item[key]`` read with :func:`ekyc._wire.iso_date`; a plain ``YYYY-MM-DD`` (the usual case) is parsed
    directly. Ten characters with dashes at 4 and 7 that ``date.fromisoformat`` reads are exactly such a date
    (it reads ASCII digits only, and its other ten-character form, the week date ``2021-W01-1``, has no dash at
    7), which is what ``wire.iso_date`` returns for them; anything else goes through ``wire.iso_date``."""
    value = item.get(key)
    if value is None:
        return None
    if type(value) is str and len(value) == 10 and value[4] == "-" == value[7]:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return wire.iso_date(value, f"{where}.{key}")


def _objects(owner: Item, key: str, where: str = "") -> list[Item]:
    """``owner[key]`` read with :func:`ekyc._wire.objects` (``[]`` when absent or null), named ``where.key``
    (``key`` at the top level) only to refuse it."""
    value = owner.get(key)
    if value is None or (type(value) is list and not value):
        return []
    return wire.objects(value, f"{where}.{key}" if where else key)


def features(data: Mapping[str, Any]) -> Features:
    """The items of every feature array that has some, in :data:`FEATURE_ARRAYS` order, read once per payload
    (:func:`ekyc._wire.objects`; a list of plain dicts, the usual case, is kept as decoded): an absent, null or
    empty array has no entry."""
    out: Features = {}
    for array in FEATURE_ARRAYS:
        value = data.get(array)
        if value is None:
            continue
        if type(value) is list:  # the usual case: a list of plain dicts, kept as decoded (no copy, no call)
            for item in value:
                if type(item) is not dict:
                    break
            else:
                if value:
                    out[array] = value
                continue
        items = wire.objects(value, array)
        if items:
            out[array] = items
    return out


def warning_reason(w: Item, where: str = "warnings") -> Reason:
    """The neutral reason of one warning object (``UNKNOWN`` keeping the raw risk code)."""
    risk = _code(w, "risk", where)
    entry = RISKS.get(risk) if risk else None
    if entry is not None and risk is not None:
        return entry.to_reason(risk)
    return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=risk,
                  message="risk code not in Didit's documentation")


def _log_state(w: Item, where: str) -> State:
    log_type = _code(w, "log_type", where)
    return LOG_TYPE_STATE.get("null" if log_type is None else log_type, State.UNKNOWN)


def _warning_evidence(name: str, state: State, reason: Reason) -> Evidence:
    return Evidence(name, state, reason if state is State.FAILED or state is State.INFO else None)


#: the feature status of an item that passed (``FEATURE_STATE``: :attr:`State.PASSED`)
APPROVED = "Approved"
#: each feature array's ``status`` field name at its first :data:`_NAMED_PLACES` places, written out once (an item
#: further down has its name written per call)
_NAMED_PLACES = 4
_STATUS_NAMES = {array: tuple(f"{array}[{i}].status" for i in range(_NAMED_PLACES)) for array in FEATURE_ARRAYS}


def _item_evidence(out: list[Evidence], item: Item, array: str, i: int) -> None:
    """One feature item's sub-checks: each of its warnings, then its ``status``. An item without warnings (the
    usual case) gives its one sub-check directly, a passing one the one remembered for its name
    (:func:`ekyc.evidence.passed`)."""
    status = item.get("status")
    if status is not None and (type(status) is not str or len(status) > 128):  # else exactly what wire.code gives
        status = wire.code(status, f"{array}[{i}].status")
    state = FEATURE_STATE.get("null" if status is None else status, State.UNKNOWN)
    warnings = item.get("warnings")
    if (warnings is None or (type(warnings) is list and not warnings)) and state is not State.FAILED:
        name = _STATUS_NAMES[array][i] if i < _NAMED_PLACES else f"{array}[{i}].status"
        out.append(passed(name) if state is State.PASSED else Evidence(name, state))
        return
    where = f"{array}[{i}]"
    explained: list[Reason] = []
    for j, w in enumerate(_objects(item, "warnings", where)):
        w_where = f"{where}.warnings[{j}]"
        reason = warning_reason(w, w_where)
        w_state = _log_state(w, w_where)
        if w_state is not State.INFO:
            explained.append(reason)
        out.append(_warning_evidence(f"{w_where}.log_type", w_state, reason))
    name = f"{where}.status"
    entry = CODE_TABLE.get("feature_status", status) if state is State.FAILED else None
    if entry is not None:
        out.extend(Evidence(name, state, r) for r in explained or [entry.to_reason(status)])
    else:
        out.append(Evidence(name, state))


def _listed(data: Mapping[str, Any]) -> list[str | None]:
    """The decision's ``features[]`` names (strings, each read with :func:`ekyc._wire.code`; named only to
    refuse one)."""
    listed = wire.array(data.get("features"), "features")
    for name in listed:
        if type(name) is not str or len(name) > 128:  # else exactly what wire.code returns for it
            return [wire.code(name, f"features[{i}]") for i, name in enumerate(listed)]
    return listed


def evidence(data: Mapping[str, Any], feats: Features) -> list[Evidence]:
    """Every sub-check the decision reports: one per feature item and one per warning object. An
    :data:`APPROVED` item without warnings at one of the first places (the usual item) is read here directly."""
    out: list[Evidence] = []
    for array, entries in feats.items():
        names = _STATUS_NAMES[array]
        for i, item in enumerate(entries):
            warnings = item.get("warnings")
            if item.get("status") == APPROVED and (warnings is None or warnings == []) and i < _NAMED_PLACES:
                out.append(passed(names[i]))  # the usual item, read as _item_evidence reads it, without its call
            else:
                _item_evidence(out, item, array, i)
    for name in _listed(data):
        target = DECISION_FEATURES.get(name or "")
        if target is not None and target not in feats:  # listed, but it never produced a result
            out.append(Evidence(target, State.UNFINISHED))
    for j, w in enumerate(_objects(data, "warnings", "decision")):  # older/flat payloads: top-level warnings
        w_where = f"decision.warnings[{j}]"
        w_state = _log_state(w, w_where)
        out.append(_warning_evidence(f"{w_where}.log_type", w_state, warning_reason(w, w_where)))
    return out


def _score(item: Item, array: str, i: int) -> float | None:
    """An item's ``score``: a finite number within 0–100 (:func:`ekyc._wire.number`)."""
    value = item.get("score")
    if type(value) is float and 0 <= value <= 100:  # the usual case, exactly what wire.number returns
        return value
    return wire.number(value, f"{array}[{i}].score", lo=0, hi=100)


def _check(entries: list[Item], array: str, scored: bool) -> CheckResult:
    """One check from its feature array; the items' statuses were read (type-checked) by :func:`evidence`.

    Passed when every item is ``Approved``, failed when any is ``Declined``, else no verdict; the score (when
    ``scored``) is the lowest item ``score`` given."""
    if not entries:
        return verdict(None)
    approved = 0
    declined = False
    for item in entries:
        status = item.get("status")
        if status == "Approved":
            approved += 1
        elif status == "Declined":
            declined = True
    passed = False if declined else True if approved == len(entries) else None
    score: float | None = None
    if scored:
        for i, item in enumerate(entries):
            value = _score(item, array, i)
            if value is not None and (score is None or value < score):
                score = value
    return verdict(passed, score)


def checks(feats: Features) -> Checks:
    """Document, liveness and face-match results from the feature arrays (scores 0–100 [DIGEST]), once
    :func:`evidence` has read them."""
    return Checks(
        document=_check(feats.get("id_verifications", []), "id_verifications", scored=False),
        liveness=_check(feats.get("liveness_checks", []), "liveness_checks", scored=True),
        face_match=_check(feats.get("face_matches", []), "face_matches", scored=True),
    )


def _identity_of(item: Item, at: str) -> Identity | None:
    """The identity one ID verification item gives; None when it gives none (every field absent or blank)."""
    first, last, full = _text(item, "first_name", at), _text(item, "last_name", at), _text(item, "full_name", at)
    if full is None and (first or last):
        full = " ".join(p for p in (first, last) if p)
    raw_type = _text(item, "document_type", at)
    gender = _text(item, "gender", at)
    born = _date(item, "date_of_birth", at)
    nationality, number = _text(item, "nationality", at), _text(item, "document_number", at)
    issuing = _text(item, "issuing_state", at)
    issued, expires = _date(item, "date_of_issue", at), _date(item, "expiration_date", at)
    address = _text(item, "formatted_address", at) or _text(item, "address", at)
    if full is None and raw_type is None and gender is None and born is None and nationality is None \
            and number is None and issuing is None and issued is None and expires is None and address is None:
        return None  # (first and last are None too: full would be built from them)
    sex = gender.upper() if gender is not None else None
    return Identity(
        given_name=first, family_name=last, full_name=full,
        date_of_birth=born,
        sex=sex if sex == "M" or sex == "F" else None,
        nationality=nationality,
        document_type=None if raw_type is None else DOCUMENT_TYPES.get(raw_type.lower(), DocumentType.OTHER),
        document_number=number,
        issuing_country=issuing,
        issue_date=issued,
        expiry_date=expires,
        address=address,
    )


def identity(feats: Features) -> Identity:
    """What the first ID verification with data says about the person."""
    for i, item in enumerate(feats.get("id_verifications", [])):
        ident = _identity_of(item, f"id_verifications[{i}]")
        # a name (full_name is built from the given and family names) is kept as given: not empty
        if ident is not None and (ident.full_name is not None or not ident.is_empty()):
            return ident
    return NO_IDENTITY


def _reviews(data: Mapping[str, Any]) -> list[Item]:
    return _objects(data, "reviews")


def manually_approved(reviews: list[Item]) -> bool:
    """Whether the last review that set a status set ``Approved`` on the whole session."""
    if not reviews:
        return False
    decided = [r for i, r in enumerate(reviews) if _code(r, "new_status", f"reviews[{i}]")]
    if not decided:
        return False
    last = decided[-1]
    return last.get("new_status") == "Approved" and "node_id" not in last and "feature" not in last


def reference(data: Mapping[str, Any]) -> str | None:
    """The app's reference as Didit echoes it (``vendor_data``, exactly as stored; None when absent)."""
    return wire.code(data.get("vendor_data"), "vendor_data", max_len=MAX_VENDOR_DATA) or None


def _completed_at(reviews: list[Item]) -> datetime | None:
    if not reviews:
        return None
    stamps = [wire.iso_datetime(r.get("created_at"), f"reviews[{i}].created_at") for i, r in enumerate(reviews)]
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


#: the ``environment`` values Didit documents (docs.didit.me/integration/sandbox-testing)
ENVIRONMENTS = frozenset({"live", "sandbox"})


def environment_evidence(stated: str | None, expected: str) -> list[Evidence]:
    """The environment rule: a decision must say it comes from the environment configured. One that states
    another (a sandbox application's decision under a live configuration, or the reverse), an undocumented value,
    or none at all is doubt that no manual approval lifts — ``UNKNOWN``, so it never approves. Didit documents
    ``environment`` (``live`` | ``sandbox``) on the decision and on every webhook envelope
    (docs.didit.me/integration/sandbox-testing; Didit's own signed fixtures carry it in the envelope, which the
    webhook path passes in as ``stated``); nothing documents a decision without it, so its absence never
    approves."""
    if stated == expected:
        return []
    if stated is None:
        why, code = "the payload does not say which environment it comes from", "missing"
    elif stated in ENVIRONMENTS:
        why, code = f"a {stated} decision under a {expected} configuration", stated
    else:
        why, code = "environment not in Didit's documentation", stated[:32]
    return [Evidence("environment", State.UNKNOWN, Reason(code=ReasonCode.INCONSISTENT_EVIDENCE, retryable=False,
                                                          provider_code=code, message=why))]


def decide(data: Mapping[str, Any], ref: SessionRef, status: str | None = None, *, expected_environment: str = "live",
           environment: str | None = None) -> Decision:
    """The neutral :class:`Decision` for a decision object.

    ``expected_environment`` is the configured one (``DiditSettings.environment``); ``environment`` what the
    payload's envelope states (a webhook), else the decision's own ``environment`` is read
    (:func:`environment_evidence`).

    Raises :class:`~ekyc._wire.WireError` (or ``KeyError`` for a missing ``status``) on bad shapes; callers
    wrap this in :func:`ekyc.provider.malformed`.
    """
    data = wire.obj(data, "decision")
    raw_status = status if status is not None else wire.code(data["status"], "status")
    if raw_status is None:
        raise wire.WireError("status", "missing")
    feats = features(data)
    found = evidence(data, feats)
    stated = environment if environment is not None else wire.code(data.get("environment"), "environment")
    reviews = _reviews(data)
    entry = CODE_TABLE.get("status", raw_status)
    if entry is None or entry.outcome is None:
        settled = settle(Outcome.ERROR, [Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=raw_status,
                                                message="session status not in Didit's documentation")], found)
    else:
        if entry.outcome is Outcome.APPROVED and manually_approved(reviews):
            found = [Evidence(e.name, State.INFO, e.reason) if e.state is State.FAILED else e for e in found]
        specific = [entry.to_reason(raw_status)] if entry.reason is not None and entry.outcome not in (
            Outcome.DECLINED, Outcome.REVIEW) else []
        settled = settle(entry.outcome, specific, [*found, *environment_evidence(stated, expected_environment)],
                         fallback=entry.to_reason(raw_status))
    outcome = settled.outcome
    return Decision(
        ref=ref,
        outcome=outcome,
        reference=reference(data),
        reasons=settled.reasons,
        warnings=settled.warnings,
        identity=identity(feats),
        checks=checks(feats),
        provider_status=raw_status,
        completed_at=_completed_at(reviews) if outcome.is_final else None,
        raw=data,
    )
