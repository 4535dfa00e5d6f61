"""A Stripe VerificationSession (with its expanded VerificationReport and ``verified_outputs``) → :class:`Decision`.

The status and ``last_error`` decide the status outcome (the ``requires_input`` rule is in :mod:`.codes`);
every check the report reports is one sub-check of the evidence rule (:func:`ekyc.evidence.settle`), so a
``verified`` session is ``APPROVED`` only when the report it names is there, is about this session and every
check in it is ``verified``. Identity comes from ``verified_outputs`` and the report's ``document``; nothing is
taken from a session under redaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from ekyc import _wire as wire
from ekyc.evidence import Evidence, State, passed, settle
from ekyc.models import (
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

from .codes import CHECK_STATE, CODE_TABLE, REPORT_CHECKS

#: Stripe document ``type`` → the neutral document type [SP] _verification_report.py (Document.type)
DOCUMENT_TYPES: dict[str, DocumentType] = {
    "passport": DocumentType.PASSPORT,
    "id_card": DocumentType.ID_CARD,
    "driving_license": DocumentType.DRIVERS_LICENSE,
}
_SEX = {"female": "F", "male": "M"}
#: ``sex`` values [SP] (VerifiedOutputs.sex, Document.sex)
_SEXES = frozenset({"female", "male", "unknown", "[redacted]"})
_ALPHA2 = re.compile(r"[A-Z]{2}")
REDACTED = "[redacted]"
#: the identity of a result that names no one (a frozen model: one instance serves every call)
NO_IDENTITY = Identity()
#: a report check's ``status`` → whether it passed (any other value: no verdict)
_VERDICT = {"verified": True, "unverified": False}
_UNKNOWN_STATUS = Reason(code=ReasonCode.UNKNOWN, retryable=False, message="undocumented session status")


def _reason(code: str, *, final: bool) -> Reason:
    """The reason of a ``last_error``/report error code (``UNKNOWN`` for a code the table does not know)."""
    entry = CODE_TABLE.get("last_error", code)
    if entry is None:
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=code[:256],
                      message="undocumented Stripe verification error")
    reason = entry.to_reason()
    return reason.model_copy(update={"retryable": False}) if final and reason.retryable else reason


def _date(value: Any, field: str) -> date | None:
    """A Stripe ``{day, month, year}`` object (all three set) as a date; None when absent or partial."""
    if value is None:
        return None
    d = value if type(value) is dict else wire.obj(value, field)
    day, month, year = d.get("day"), d.get("month"), d.get("year")
    if type(day) is int and type(month) is int and type(year) is int \
            and 1 <= day <= 31 and 1 <= month <= 12 and 1 <= year <= 9999:
        try:  # the usual case: three plain integers in range
            return date(year, month, day)
        except ValueError:
            raise wire.WireError(field, "is not a calendar date") from None
    # anything else (absent, null, another type, out of range): the strict readers accept it or name the field
    day = wire.integer(d.get("day"), f"{field}.day", lo=1, hi=31)
    month = wire.integer(d.get("month"), f"{field}.month", lo=1, hi=12)
    year = wire.integer(d.get("year"), f"{field}.year", lo=1, hi=9999)
    if day is None or month is None or year is None:
        return None
    return _calendar(year, month, day, field)


def _calendar(year: int, month: int, day: int, field: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise wire.WireError(field, "is not a calendar date") from None


def _name(value: Any, field: str) -> str | None:
    text = wire.text(value, field, max_len=1024)
    return None if text == REDACTED else text


def report_of(session: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The expanded ``last_verification_report`` (None when absent; a bare id is not a report)."""
    raw = session.get("last_verification_report")
    if raw is None or isinstance(raw, str):
        return None
    return wire.obj(raw, "last_verification_report")


def _checks(report: Mapping[str, Any] | None) -> Checks:
    """Per-check results: ``document`` ← the document check; ``face_match`` and ``liveness`` ← the selfie
    check (Stripe has one selfie check: face comparison and authenticity; see NOTES.md for the split)."""
    if report is None:
        return _NO_REPORT
    doc = wire.opt_obj(report.get("document"), "document")
    selfie = wire.opt_obj(report.get("selfie"), "selfie")
    document = _VERDICT.get(str(doc.get("status")))
    face: bool | None = None
    live: bool | None = None
    status = selfie.get("status")
    if status == "verified":
        face = live = True
    elif status == "unverified":
        err = wire.code(wire.opt_obj(selfie.get("error"), "selfie.error").get("code"), "selfie.error.code")
        if err == "selfie_face_mismatch":
            face, live = False, True
        elif err == "selfie_manipulated":
            live = False
        elif err == "selfie_unverified_other":
            face = False
    return _verdicts(document, face, live)


#: the :class:`Checks` of each combination of three verdicts (27 at most), built on first use
_CHECKS: dict[tuple[bool | None, bool | None, bool | None], Checks] = {}
#: the checks of a session with no verified report (cancelled, timed out, ...): nothing set, as before 5768714 (a
#: dump with ``exclude_unset`` shows ``{}`` for them, not three unset verdicts)
_NO_REPORT = Checks()


def _verdicts(document: bool | None, face: bool | None, live: bool | None) -> Checks:
    """``Checks`` of three verdicts without scores — all Stripe reports — as one shared instance per combination
    (a frozen value, as :func:`ekyc.models.verdict` shares each ``CheckResult``), not validated on every result."""
    key = (document, face, live)
    found = _CHECKS.get(key)
    if found is None:
        found = _CHECKS[key] = Checks(document=verdict(document), face_match=verdict(face), liveness=verdict(live))
    return found


#: what the adapter asked for, kept in ``SessionRef.extra[0]``: ``l`` live capture, ``s`` selfie, ``i`` ID number
REQUESTED = re.compile(r"l([01])s([01])i([01])")
_OPTION_NAMES = (("require_live_capture", 1), ("require_matching_selfie", 2), ("require_id_number", 3))
_OPTION_FIELDS = {name: f"options.document.{name}" for name, _ in _OPTION_NAMES}


def requested_token(live: bool, selfie: bool, id_number: bool) -> str:
    """The ``SessionRef.extra`` token naming the document options a create asked for."""
    return f"l{int(live)}s{int(selfie)}i{int(id_number)}"


def requested(ref: SessionRef) -> dict[str, bool] | None:
    """The document options the create asked for (None for a ref without the token)."""
    match = REQUESTED.fullmatch(ref.extra[0]) if ref.extra else None
    if match is None:
        return None
    live, selfie, id_number = match.groups()
    return {"require_live_capture": live == "1", "require_matching_selfie": selfie == "1",
            "require_id_number": id_number == "1"}


#: the ``options.document.allowed_types`` a create asked for, kept in ``SessionRef.extra`` after the options token
TYPES = "types="


def types_part(allowed_types: Iterable[str]) -> str:
    """The ``SessionRef.extra`` part naming the document types a create allowed (``types=id_card.passport``)."""
    return TYPES + ".".join(sorted(allowed_types))


def requested_types(ref: SessionRef) -> frozenset[str] | None:
    """The document types the create allowed (None: it named none, so Stripe's default, any type, applies)."""
    for part in ref.extra[1:]:
        if part.startswith(TYPES):
            return frozenset(part[len(TYPES):].split("."))
    return None


#: what a ref's ``extra`` says the create asked for (:func:`requested`, :func:`requested_types`), remembered by the
#: ``extra`` tuple: a few combinations serve every result. Only an ``extra`` of at most :data:`_MAX_ASKED_TEXT`
#: characters is kept, at most :data:`_MAX_ASKED` of them (then the memory starts afresh)
_ASKED: dict[tuple[str, ...], tuple[Mapping[str, bool] | None, frozenset[str] | None]] = {}
_MAX_ASKED = 64
_MAX_ASKED_TEXT = 256


def _asked(ref: SessionRef) -> tuple[Mapping[str, bool] | None, frozenset[str] | None]:
    """``(requested(ref), requested_types(ref))``, the options as a read-only mapping, remembered by ``ref.extra``."""
    extra = ref.extra
    found = _ASKED.get(extra)
    if found is None:
        options = requested(ref)
        found = (None if options is None else MappingProxyType(options), requested_types(ref))
        if sum(map(len, extra)) <= _MAX_ASKED_TEXT:
            if len(_ASKED) >= _MAX_ASKED:
                _ASKED.clear()
            _ASKED[extra] = found
    return found


def _document_type(options: Mapping[str, Any], report: Mapping[str, Any], asked: Mapping[str, bool] | None,
                   types: frozenset[str] | None) -> list[Evidence]:
    """The verified document's ``type`` against the types the create allowed (bound in the ref, never read from
    the payload alone): Stripe lets the user submit only an allowed type, so a session stating other allowed
    types than the ones asked for is an undocumented state (UNKNOWN), and a document of a type not asked for
    fails ``requested.document_types`` (``DOCUMENT_UNSUPPORTED``). The session's own ``allowed_types`` must
    also hold the document (a ref from before the binding, or created elsewhere)."""
    where = "options.document.allowed_types"
    raw = options.get("allowed_types")
    stated = None if raw is None else {wire.code(t, f"{where}[{i}]") for i, t in enumerate(wire.array(raw, where))}
    document = wire.opt_obj(report.get("document"), "document")
    document_type = wire.code(document.get("type"), "last_verification_report.document.type")
    items: list[Evidence] = []
    if asked is not None and stated != types:  # asked and absent, set and not asked for, or other types
        items.append(Evidence(where, State.UNKNOWN))
    if stated is not None and document_type is not None and document_type not in stated:
        items.append(Evidence("last_verification_report.document.type", State.UNKNOWN))
    if types is not None and report.get("document") is not None:
        if document_type is None:
            items.append(Evidence("last_verification_report.document.type", State.UNKNOWN))
        elif document_type not in types:
            items.append(Evidence("requested.document_types", State.FAILED, Reason(
                code=ReasonCode.DOCUMENT_UNSUPPORTED, retryable=True, provider_code=document_type[:128],
                message="the document type is not one the request allowed")))
    return items


def _contradictions(items: list[Evidence], session: Mapping[str, Any], report: Mapping[str, Any],
                    livemode: bool | None, asked: Mapping[str, bool] | None,
                    types: frozenset[str] | None) -> Mapping[str, Any]:
    """What the session and its report state about the request must agree with it: ``livemode`` is the key's
    mode, the report's ``type``/``client_reference_id``/``livemode`` are the session's, the session's
    ``options.document`` are what the create asked for (an option asked for and absent, or set and not asked
    for), the document's ``type`` is one the create allowed (:func:`_document_type`), and a session this adapter
    created (``asked`` known) is of ``type`` ``document``. A disagreement is an undocumented state (UNKNOWN), never a
    pass, added to ``items``. Returns the session's ``options.document`` (read here, once per result)."""
    if asked is not None and session.get("type") != "document":  # this adapter creates document sessions only
        items.append(Evidence("type", State.UNKNOWN))
    for where, mode in (("livemode", session.get("livemode")),
                        ("last_verification_report.livemode", report.get("livemode"))):
        value = wire.boolean(mode, where)
        if value is None or (livemode is not None and value is not livemode):
            items.append(Evidence(where, State.UNKNOWN))
    for name in ("livemode", "type", "client_reference_id"):
        if name not in report or report.get(name) != session.get(name):
            items.append(Evidence(f"last_verification_report.{name}", State.UNKNOWN))
    options = wire.opt_obj(wire.opt_obj(session.get("options"), "options").get("document"), "options.document")
    items += _document_type(options, report, asked, types)
    if asked is not None:
        for name, want in asked.items():
            where = _OPTION_FIELDS[name]
            got = wire.boolean(options.get(name), where)
            if (got is None and want) or (got is not None and got is not want):
                items.append(Evidence(where, State.UNKNOWN))
    return options


def _evidence(session: Mapping[str, Any], report: Mapping[str, Any] | None, sid: str,
              livemode: bool | None = None, asked: Mapping[str, bool] | None = None,
              types: frozenset[str] | None = None) -> list[Evidence]:
    """One sub-check per check the report reports, plus doubts about the report itself."""
    items: list[Evidence] = []
    if report is None:
        items.append(Evidence("last_verification_report", State.UNKNOWN))
        return items
    about = wire.code(report.get("verification_session"), "last_verification_report.verification_session",
                      max_len=256)
    if about != sid:
        items.append(Evidence("last_verification_report.verification_session", State.UNKNOWN))
    if report.get("object") != "identity.verification_report":
        items.append(Evidence("last_verification_report.object", State.UNKNOWN))
    document_options = _contradictions(items, session, report, livemode, asked, types)
    reported = 0
    for name in REPORT_CHECKS:
        check = report.get(name)
        if check is None:
            continue
        check = wire.obj(check, name)
        reported += 1
        where = _CHECK_STATUS[name]
        status = wire.code(check.get("status"), where)
        state = CHECK_STATE.get(str(status), State.UNKNOWN)
        if state is State.PASSED and ("error" not in check or check["error"] is not None):
            state = State.UNKNOWN  # Stripe states ``error: null`` on every check: a pass naming an error is none
        if state is State.PASSED:
            items.append(passed(where))
            continue
        reason = None
        if state is State.FAILED:
            code = wire.code(wire.opt_obj(check.get("error"), f"{name}.error").get("code"), f"{name}.error.code")
            reason = _reason(code, final=False) if code else None
        items.append(Evidence(where, state, reason))
    wanted = {"document"} if session.get("type") == "document" else {"id_number"}
    if wire.boolean(document_options.get("require_matching_selfie"), "options.document.require_matching_selfie") \
            or (asked or {}).get("require_matching_selfie"):
        wanted.add("selfie")
    if wire.boolean(document_options.get("require_id_number"), "options.document.require_id_number") \
            or (asked or {}).get("require_id_number"):
        wanted.add("id_number")
    for name in sorted(wanted):
        if report.get(name) is None:
            items.append(Evidence(f"last_verification_report.{name}", State.UNFINISHED))
    if not reported:
        items.append(Evidence("last_verification_report", State.UNFINISHED))
    return items


#: the field name of each report check's ``status``
_CHECK_STATUS = {name: f"last_verification_report.{name}.status" for name in REPORT_CHECKS}
#: the ``verified_outputs.address`` parts joined into :attr:`Identity.address`, with their field names
_ADDRESS_PARTS = tuple((key, f"verified_outputs.address.{key}")
                       for key in ("line1", "line2", "postal_code", "city", "state", "country"))


def _identity(session: Mapping[str, Any], report: Mapping[str, Any] | None) -> Identity:
    if session.get("redaction") is not None:
        return NO_IDENTITY
    out = wire.opt_obj(session.get("verified_outputs"), "verified_outputs")
    doc = wire.opt_obj(report.get("document") if report is not None else None, "document")
    given = _name(out.get("first_name"), "verified_outputs.first_name") or _name(doc.get("first_name"),
                                                                                 "document.first_name")
    family = _name(out.get("last_name"), "verified_outputs.last_name") or _name(doc.get("last_name"),
                                                                               "document.last_name")
    dob = _date(out.get("dob"), "verified_outputs.dob") or _date(doc.get("dob"), "document.dob")
    dtype = wire.code(doc.get("type"), "document.type")
    sex = wire.code(out.get("sex"), "verified_outputs.sex") or wire.code(doc.get("sex"), "document.sex")
    address = wire.opt_obj(out.get("address"), "verified_outputs.address")
    lines = [wire.text(address.get(key), where, max_len=512) for key, where in _ADDRESS_PARTS] if address else []
    kept = [line for line in lines if line and line != REDACTED]
    number = wire.code(doc.get("number"), "document.number", max_len=256)
    country = wire.code(doc.get("issuing_country"), "document.issuing_country", max_len=8)
    if country is not None and not _ALPHA2.fullmatch(country):
        raise wire.WireError("document.issuing_country", "expected an ISO 3166-1 alpha-2 code")
    if dtype is not None and dtype not in DOCUMENT_TYPES:
        raise wire.WireError("document.type", "is not a documented document type")
    if sex is not None and sex not in _SEXES:
        raise wire.WireError("sex", "is not a documented value")
    return Identity(
        given_name=given, family_name=family,
        full_name=" ".join(filter(None, (given, family))) or None,
        date_of_birth=dob,
        sex=_SEX.get(str(sex)),
        document_type=DOCUMENT_TYPES[dtype] if dtype else None,
        document_number=None if number == REDACTED else number,
        issuing_country=country,
        issue_date=_date(doc.get("issued_date"), "document.issued_date"),
        expiry_date=_date(doc.get("expiration_date"), "document.expiration_date"),
        address=", ".join(kept) or None,
    )


def decide(data: Mapping[str, Any], ref: SessionRef, livemode: bool | None = None) -> Decision:
    """The normalized decision of one VerificationSession object (read with :mod:`ekyc._wire`; shape errors
    raise :class:`~ekyc._wire.WireError`, which the adapter turns into a ``ProviderError``). ``livemode`` is
    the mode of the API key that read it (None: unknown), which the session must agree with."""
    session = wire.obj(data, "body")
    if session.get("object") != "identity.verification_session":
        raise wire.WireError("object", "is not identity.verification_session")
    sid = wire.code(session.get("id"), "id", max_len=256)
    if sid != ref.id:
        raise wire.WireError("id", "does not match the request")
    status = wire.code(session.get("status"), "status")
    last_error = wire.opt_obj(session.get("last_error"), "last_error")
    error_code = wire.code(last_error.get("code"), "last_error.code")
    report = report_of(session)
    entry = CODE_TABLE.get("status", status) if status is not None else None
    reasons: list[Reason] = []
    evidence: list[Evidence] = []
    if entry is None or entry.outcome is None:
        outcome = Outcome.ERROR
        reasons.append(_UNKNOWN_STATUS.model_copy(update={"provider_code": (status or "")[:256] or None}))
    elif status == "verified":
        outcome = Outcome.APPROVED
        evidence = _evidence(session, report, sid, livemode, *_asked(ref))
        if error_code is not None:
            evidence.append(Evidence("last_error.code", State.UNKNOWN))
    elif status in ("requires_input", "canceled") and error_code is not None:
        err = CODE_TABLE.get("last_error", error_code)
        outcome = err.outcome if err is not None and err.outcome is not None else Outcome.DECLINED
        reasons.append(_reason(error_code, final=status == "canceled"))
        if report is not None:
            evidence = _evidence(session, report, sid, livemode, *_asked(ref))
    else:
        outcome = entry.outcome
    settled = settle(outcome, reasons, evidence)
    reference = wire.text(session.get("client_reference_id"), "client_reference_id", max_len=256)
    if reference == REDACTED:  # a redacted echo is no echo: the reference bound into the ref stands
        reference = None
    return Decision(
        ref=ref, outcome=settled.outcome, reference=reference, reasons=settled.reasons,
        warnings=settled.warnings, identity=_identity(session, report), checks=_checks(report),
        provider_status=status, raw=dict(session),
    )


__all__ = ["DOCUMENT_TYPES", "decide", "report_of", "requested", "requested_token", "requested_types", "types_part"]
