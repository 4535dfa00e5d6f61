"""A Persona inquiry document (``{"data": inquiry, "included": [...]}``) → :class:`~ekyc.models.Decision`.

Rules (the code table says where each comes from):

- ``data.attributes.status`` is read in the status kind of the configured template setup
  (:data:`~.codes.DECISIONING`): with post-inquiry decisioning (the default) ``completed`` is ``PENDING``; only
  ``approved`` / ``declined`` / ``needs_review`` decide. An undocumented status is ``ERROR`` with ``UNKNOWN``
  keeping the raw value. ``expired`` with ``started-at`` set is ``ABANDONED`` / ``TIMED_OUT``.
- Every verification ``data.relationships.verifications`` lists is a sub-check: included with a documented
  status (``VERIFICATION_STATE``), or ``UNKNOWN`` when it is not in ``included`` (a webhook without inclusion)
  or its type or inquiry disagrees. Every check of an included verification is a sub-check by its status and
  requirement (``CHECK_STATE``); a failed check gives its name's reason. A verification marked
  ``from-reusable-persona`` (carried over from an earlier inquiry, not performed in this one) is a doubt.
  :func:`ekyc.evidence.settle` decides.
- With ``decisioning="completion"`` a ``completed`` inquiry that lists no verification is ``REVIEW``.
- The requested document types and country (kept in the session ref, since Persona's template and not the
  request decides them) are compared with the latest government ID: another ID class or country is a failed
  sub-check (``DOCUMENT_UNSUPPORTED``), so it never approves.
- ``Decision.reference`` is ``reference-id`` as Persona echoes it. Identity comes from the latest government-ID
  verification that carries data; ``document``, ``liveness`` and ``face_match`` from the latest government ID,
  the latest selfie's ``selfie_liveness_detection`` (else the selfie's status) and ``selfie_id_comparison``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeGuard

from ekyc import _wire as wire
from ekyc.countries import ALPHA2_TO_ALPHA3, to_alpha3
from ekyc.evidence import Evidence, State, settle
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

from .codes import CHECK_STATE, CHECKS, CODE_TABLE, DECISIONING, VERIFICATION_STATE

GOVERNMENT_ID = "verification/government-id"
SELFIE_PREFIX = "verification/selfie"
#: Persona ``id-class`` → neutral document type [DOCS:government-id-verifications]
ID_CLASSES: dict[str, DocumentType] = {
    "pp": DocumentType.PASSPORT,
    "ppc": DocumentType.PASSPORT,
    "id": DocumentType.ID_CARD,
    "dl": DocumentType.DRIVERS_LICENSE,
    "rp": DocumentType.RESIDENCE_PERMIT,
    "pr": DocumentType.RESIDENCE_PERMIT,
}
#: neutral document type → the Persona ``id-class`` values it accepts
CLASSES_OF: dict[DocumentType, frozenset[str]] = {
    t: frozenset(c for c, d in ID_CLASSES.items() if d is t) for t in set(ID_CLASSES.values())
}
MAX_REFERENCE = 1024
#: the longest status, code or name string read (``wire.code``'s bound)
CODE_LEN = 128
#: the longest text field read (``wire.text``'s bound)
TEXT_LEN = 4096
#: the sub-check states, looked up once (reading a member through the ``State`` class costs a descriptor call)
PASSED, FAILED, UNFINISHED, UNKNOWN, INFO = State.PASSED, State.FAILED, State.UNFINISHED, State.UNKNOWN, State.INFO

Item = Mapping[str, Any]
#: the identity of an inquiry without a government ID that carries data (an Identity is immutable)
NO_IDENTITY = Identity()


@dataclass(frozen=True)
class Requested:
    """What the create asked for that Persona's template (not the request) decides: checked on the result."""

    id_classes: frozenset[str] = frozenset()
    country: str | None = None  # alpha-2

    @classmethod
    def from_extra(cls, extra: Sequence[str]) -> Requested:
        """From ``SessionRef.extra`` (``("classes=pp.ppc", "country=GB")``); unknown parts are ignored."""
        classes: frozenset[str] = frozenset()
        country = None
        for part in extra:
            key, _, value = part.partition("=")
            if key == "classes" and value:
                classes = frozenset(value.split("."))
            elif key == "country" and value:
                country = value
        return cls(classes, country)

    def to_extra(self) -> tuple[str, ...]:
        """The ``SessionRef.extra`` parts (empty when nothing was asked)."""
        out = []
        if self.id_classes:
            out.append("classes=" + ".".join(sorted(self.id_classes)))
        if self.country:
            out.append(f"country={self.country}")
        return tuple(out)


@lru_cache(maxsize=256)
def _asked(extra: tuple[str, ...]) -> Requested:
    """:meth:`Requested.from_extra`, parsed once per distinct ref ``extra`` (a :class:`Requested` is immutable)."""
    return Requested.from_extra(extra)


def _attrs(item: Item, where: str) -> Mapping[str, Any]:
    return wire.obj(item.get("attributes"), f"{where}.attributes")


def _is_code(value: Any) -> TypeGuard[str]:
    """A plain string ``wire.code`` would return as it is: read without building the field's name (the strict
    reader, given the name, handles everything else — None, another type, a string too long)."""
    return type(value) is str and len(value) <= CODE_LEN


def _strict_link(ref: Item, where: str) -> tuple[str, str]:
    """A listed verification's ``(type, id)`` read by the strict readers (a missing one is refused)."""
    vtype = wire.code(ref.get("type"), f"{where}.type")
    vid = wire.code(ref.get("id"), f"{where}.id")
    if vtype is None or vid is None:
        raise wire.WireError(where, "needs a type and an id")
    return vtype, vid


def _linked(data: Item) -> list[tuple[str, str]]:
    """``(type, id)`` of every verification the inquiry lists."""
    rel = wire.opt_obj(data.get("relationships"), "data.relationships")
    ver = wire.opt_obj(rel.get("verifications"), "data.relationships.verifications")
    out = []
    for i, ref in enumerate(wire.objects(ver.get("data"), "data.relationships.verifications.data")):
        vtype, vid = ref.get("type"), ref.get("id")
        if not (type(vtype) is str and type(vid) is str and len(vtype) <= CODE_LEN and len(vid) <= CODE_LEN):
            vtype, vid = _strict_link(ref, f"data.relationships.verifications.data[{i}]")
        out.append((vtype, vid))
    return out


def _included(doc: Item) -> dict[str, tuple[str, Item]]:
    """Included verifications by id (other included objects are not read)."""
    out: dict[str, tuple[str, Item]] = {}
    for i, item in enumerate(wire.objects(doc.get("included"), "included")):
        itype, iid = item.get("type"), item.get("id")
        if not (type(itype) is str and type(iid) is str and len(itype) <= CODE_LEN and len(iid) <= CODE_LEN):
            itype = wire.code(itype, f"included[{i}].type", max_len=CODE_LEN)  # the strict readers name the field
            iid = wire.code(iid, f"included[{i}].id", max_len=CODE_LEN)
        if not itype or not iid:  # every JSON:API resource object has both
            raise wire.WireError(f"included[{i}]", "has no type or id")
        if itype.startswith("verification/"):
            if iid in out:
                raise wire.WireError(f"included[{i}].id", "appears twice")
            out[iid] = (f"included[{i}]", item)
    return out


#: one check of a verification as read: ``(name, status)`` (the verdicts look checks up by name)
CheckRow = tuple[str, str | None]


@dataclass(slots=True)
class Verification:
    """One listed verification as read (``item`` None when it was not included); ``checks`` is filled when
    :func:`evidence` reads them (the evidence and both verdicts use them)."""

    vtype: str
    vid: str
    where: str
    item: Item | None
    status: str | None
    created: int
    attrs: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[CheckRow, ...] = ()


def _strict_owner_id(item: Item, where: str) -> str | None:
    """``relationships.inquiry.data.id`` of an included verification by the strict readers (None when absent)."""
    rel = wire.opt_obj(item.get("relationships"), f"{where}.relationships")
    owner = wire.opt_obj(wire.opt_obj(rel.get("inquiry"), f"{where}.relationships.inquiry").get("data"),
                         f"{where}.relationships.inquiry.data")
    return wire.code(owner.get("id"), f"{where}.relationships.inquiry.data.id")


def _read_verification(vtype: str, vid: str, where: str, item: Item, inquiry_id: str, n: int) -> Verification:
    """A listed verification that ``included`` carries (at ``where``, listed ``n``-th): its status and creation
    time, its type checked against the inquiry's listing and its inquiry against ``inquiry_id``."""
    attrs = item.get("attributes")
    if type(attrs) is not dict:
        attrs = wire.obj(attrs, f"{where}.attributes")
    status = attrs.get("status")
    if status is not None and not (type(status) is str and len(status) <= CODE_LEN):
        status = wire.code(status, f"{where}.attributes.status")
    ts = attrs.get("created-at-ts")
    if ts is not None and not (type(ts) is int and 0 <= ts <= wire.MAX_INT):
        ts = wire.integer(ts, f"{where}.attributes.created-at-ts", lo=0)
    if item.get("type") != vtype:  # the type was read as a code by _included
        raise wire.WireError(f"{where}.type", "differs from the inquiry's relationship")
    # relationships.inquiry.data.id: plain objects down to a plain id are read directly, anything else (absent,
    # null, another type) by the strict readers
    rel = item.get("relationships")
    inquiry = rel.get("inquiry") if type(rel) is dict else None
    data = inquiry.get("data") if type(inquiry) is dict else None
    owner_id = data.get("id") if type(data) is dict else None
    if not (type(owner_id) is str and len(owner_id) <= CODE_LEN):
        owner_id = _strict_owner_id(item, where)
    if owner_id is not None and owner_id != inquiry_id:
        raise wire.WireError(f"{where}.relationships.inquiry", "names another inquiry")
    return Verification(vtype, vid, where, item, status, ts if ts is not None else n, attrs)


#: a verification's creation time, the order :func:`verifications` returns them in
_CREATED = attrgetter("created")


def verifications(doc: Item, inquiry_id: str) -> list[Verification]:
    """Every verification the inquiry lists, in creation order."""
    data = wire.obj(doc.get("data"), "data")
    included = _included(doc)
    out = []
    for n, (vtype, vid) in enumerate(_linked(data)):
        found = included.get(vid)
        if found is None:
            out.append(Verification(vtype, vid, f"data.relationships.verifications.data[{n}]", None, None, n))
        else:
            out.append(_read_verification(vtype, vid, *found, inquiry_id, n))
    out.sort(key=_CREATED)  # stable: listing order among equal times
    return out


def _strict_check(c: Item, at: str) -> tuple[str, str | None, str | None]:
    name = wire.code(c.get("name"), f"{at}.name", max_len=CODE_LEN)
    if name is None:
        raise wire.WireError(f"{at}.name", "missing")
    wire.array(c.get("reasons"), f"{at}.reasons")
    return (name, wire.code(c.get("status"), f"{at}.status", max_len=CODE_LEN),
            wire.code(c.get("requirement"), f"{at}.requirement", max_len=CODE_LEN))


def check_reason(name: str) -> Reason:
    """The reason a failed check gives (``UNKNOWN`` keeping the name when the table does not know it)."""
    entry = CHECKS.get(name)
    if entry is not None:
        return entry.to_reason(name)
    return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=name[:128],
                  message="check not in Persona's documentation")


@lru_cache(maxsize=64)
def _check_state(status: str | None, requirement: str | None) -> State:
    """A check's sub-check state: the row for its requirement, else the row for any requirement (``"*"``)."""
    if status is None:
        return UNFINISHED
    state = CHECK_STATE.get((status, requirement or "*"))
    return state if state is not None else CHECK_STATE.get((status, "*"), UNKNOWN)


#: one check as read: its sub-check, its row for the verdicts, and whether it fails a requirement
CheckRead = tuple[Evidence, CheckRow, bool]


def _read_check(at: str, j: int, name: str, status: str | None, requirement: str | None) -> CheckRead:
    """Check ``j`` of the checks at ``at``: a sub-check by its status and requirement, a failed one with its
    name's reason."""
    state = _check_state(status, requirement)
    reason = check_reason(name) if status == "failed" and (state is FAILED or state is INFO) else None
    return Evidence(f"{at}[{j}]:{name}", state, reason), (name, status), status == "failed" and state is FAILED


#: checks already read, by ``(at, j, name, status, requirement)``: a template's checks are the same few names,
#: statuses and requirements in the same places on every inquiry, and what they read as is immutable, so each
#: is built once. Only plain strings of at most ``CODE_LEN`` are kept, so a key equal to a kept one is a check
#: of those plain values. Bounded: once full it is emptied and starts again (never stuck full: red team).
_CHECKS_READ: dict[tuple[str, int, Any, Any, Any], CheckRead] = {}
MAX_CHECKS_READ = 4096


def _check_evidence(v: Verification, out: list[Evidence]) -> bool:
    """One sub-check per check of an included verification, appended to ``out`` (the checks are kept in
    :attr:`Verification.checks`); whether one of them failed a requirement.

    A list of checks equal to one already read at the same place is taken as it was read (:data:`_LISTS_READ`);
    any other is read check by check (:func:`_read_checks`) and remembered when :func:`_keepable`."""
    checks = v.attrs.get("checks")
    read = None
    seen = _LISTS_READ.get(v.where)
    if seen is not None and type(checks) is list:
        for kept, kept_read in seen:
            if checks == kept:
                read = kept_read
                break
    if read is None:
        read = _read_checks(v.where, checks)
        if _keepable(checks):
            _remember(v.where, checks, read)
    sub_checks, v.checks, failing = read
    out.extend(sub_checks)
    return failing


#: a list of checks as read: its sub-checks in order, its rows for the verdicts, whether one failed a requirement
ChecksRead = tuple[tuple[Evidence, ...], tuple[CheckRow, ...], bool]
#: lists of checks already read, by place (``included[i]``): a copy of each list and what it read as, the most
#: recent first. A template's verification lists the same checks with the same statuses on most inquiries, in the
#: same place of the document, and reading a list is a function of its place and content (no error: a list that
#: raises is never kept), so a list equal to a kept one reads as it did: ``==`` compares plain dicts, strings and
#: lists in C, ~2× faster than reading the checks' fields one by one. Equal here means the same reading: a kept
#: list's names, statuses and requirements are strings or None, its reasons None or lists of strings (only a
#: string, None or a list equals them: ``True == 1`` cannot arise), its metadata falsy (never read). Bounded: a
#: few lists per place, and emptied when it has too many places.
_LISTS_READ: dict[str, list[tuple[list[Any], ChecksRead]]] = {}
LISTS_PER_PLACE = 4
MAX_PLACES = 16
#: the most checks, and reasons per check, of a list kept (a template's verification has a few dozen checks)
MAX_KEPT_CHECKS = 64
MAX_KEPT_REASONS = 16
#: the fields a check has [SPEC: verification checks]; a check with any other is not kept
CHECK_FIELDS = frozenset({"name", "status", "reasons", "requirement", "metadata"})


def _keepable(checks: Any) -> TypeGuard[list[Any]]:
    """A list of checks that :data:`_LISTS_READ` may keep a copy of: at most ``MAX_KEPT_CHECKS`` plain dicts of the
    documented fields only, with string or null codes, at most ``MAX_KEPT_REASONS`` reason codes that are strings of
    at most ``CODE_LEN``, and no metadata (free-form, so never kept) — what is kept stays small whatever a body
    holds (the names, statuses and requirements of a list that read are at most ``CODE_LEN`` long)."""
    return type(checks) is list and len(checks) <= MAX_KEPT_CHECKS and all(
        type(c) is dict and c.keys() <= CHECK_FIELDS and not c.get("metadata")
        and all(type(c.get(k)) in (str, type(None)) for k in ("name", "status", "requirement"))
        and (c.get("reasons") is None or _keepable_reasons(c["reasons"]))
        for c in checks)


def _keepable_reasons(reasons: Any) -> bool:
    """A check's ``reasons`` that :func:`_keepable` accepts: a short list of short strings."""
    return type(reasons) is list and len(reasons) <= MAX_KEPT_REASONS and all(
        type(r) is str and len(r) <= CODE_LEN for r in reasons)


def _remember(where: str, checks: list[Any], read: ChecksRead) -> None:
    """Keep a copy of ``checks`` (a :func:`_keepable` list that read as ``read`` at ``where``)."""
    if where not in _LISTS_READ and len(_LISTS_READ) >= MAX_PLACES:  # full: start again, never stay full
        _LISTS_READ.clear()
    seen = _LISTS_READ.setdefault(where, [])
    seen.insert(0, (copy.deepcopy(checks), read))
    del seen[LISTS_PER_PLACE:]


def _read_checks(where: str, checks: Any) -> ChecksRead:
    """A verification's ``checks`` (at ``where``) read check by check: a check equal to one already read (the
    key holds only plain strings of at most ``CODE_LEN``) with a ``reasons`` list is taken as it was read; a new
    one of plain strings is read and remembered; any other (a field absent, null, of another type or too long)
    goes through the strict readers, which accept it or raise naming the field."""
    at = f"{where}.attributes.checks"
    failing = False
    sub_checks: list[Evidence] = []
    rows: list[CheckRow] = []
    for j, c in enumerate(wire.objects(checks, at)):
        key = (at, j, c.get("name"), c.get("status"), c.get("requirement"))
        try:
            read = _CHECKS_READ.get(key)
        except TypeError:  # an array or object where a string belongs: not a plain check
            read = None
        if read is None or type(c.get("reasons")) is not list:
            read = _new_check(c, key)
        sub_check, row, fails = read
        sub_checks.append(sub_check)
        rows.append(row)
        failing = failing or fails
    return tuple(sub_checks), tuple(rows), failing


def _new_check(c: Item, key: tuple[str, int, Any, Any, Any]) -> CheckRead:
    """A check not read before (``key`` is ``(at, j, name, status, requirement)``): read and remembered when it
    is made of plain strings and a ``reasons`` list, else read by the strict readers."""
    at, j, name, status, requirement = key
    if (type(name) is str and type(status) is str and type(requirement) is str
            and type(c.get("reasons")) is list
            and len(name) <= CODE_LEN and len(status) <= CODE_LEN and len(requirement) <= CODE_LEN):
        read = _read_check(at, j, name, status, requirement)
        if len(_CHECKS_READ) >= MAX_CHECKS_READ:  # full (thousands of distinct checks): start again, never stay full
            _CHECKS_READ.clear()
        _CHECKS_READ[key] = read
        return read
    return _read_check(at, j, *_strict_check(c, f"{at}[{j}]"))


def evidence(vers: list[Verification]) -> list[Evidence]:
    """One sub-check per listed verification and per check of each included one (reading each one's checks into
    :attr:`Verification.checks`)."""
    out: list[Evidence] = []
    for v in vers:
        if v.item is None:
            out.append(Evidence(f"{v.where}:{v.vtype}", UNKNOWN))
            continue
        state = VERIFICATION_STATE.get(v.status or "", UNKNOWN)
        reused = v.attrs.get("from-reusable-persona")
        if type(reused) is not bool:
            reused = wire.boolean(reused, f"{v.where}.attributes.from-reusable-persona")
        # true: carried over from an earlier inquiry's Reusable Persona, not performed in this one; government-ID
        # and selfie verifications always state it [SPEC], so a null or missing value is a doubt as well
        if reused or (reused is None and (v.vtype == GOVERNMENT_ID or v.vtype.startswith(SELFIE_PREFIX))):
            out.append(Evidence(f"{v.where}.attributes.from-reusable-persona", UNKNOWN))
        failing = _check_evidence(v, out)
        if state is FAILED and not failing:
            out.append(Evidence(f"{v.where}.attributes.status", state, Reason(
                code=ReasonCode.UNKNOWN, retryable=False, provider_code=v.vtype[:128],
                message="verification failed without a failed check")))
        elif not (state is FAILED and failing):  # a failed verification is explained by its checks
            out.append(_status_evidence(v.where, state))
    return out


@lru_cache(maxsize=256)
def _status_evidence(where: str, state: State) -> Evidence:
    """The sub-check of the verification at ``where`` by its own status (built once per place and state)."""
    return Evidence(f"{where}.attributes.status", state)


def _latest(vers: list[Verification]) -> tuple[Verification | None, Verification | None]:
    """The latest included government ID and the latest included selfie (``vers`` is in creation order)."""
    gid = selfie = None
    for v in vers:
        if v.item is not None:
            if v.vtype.startswith(GOVERNMENT_ID):
                gid = v
            elif v.vtype.startswith(SELFIE_PREFIX):
                selfie = v
    return gid, selfie


def _verdict(status: str | None) -> bool | None:
    return True if status == "passed" else False if status == "failed" else None


def _check_verdict(v: Verification | None, name: str) -> bool | None:
    if v is None:
        return None
    for c_name, status in v.checks:
        if c_name == name:
            return _verdict(status)
    return None


@lru_cache(maxsize=32)
def _checks(document: bool | None, liveness: bool | None, face_match: bool | None) -> Checks:
    """The :class:`Checks` of three verdicts, built once per combination (there are 27; a Checks is immutable)."""
    return Checks(document=verdict(document), liveness=verdict(liveness), face_match=verdict(face_match))


def checks(gid: Verification | None, selfie: Verification | None) -> Checks:
    """Document, liveness and face-match verdicts from the latest government ID and selfie."""
    liveness = _check_verdict(selfie, "selfie_liveness_detection")
    if liveness is None and selfie is not None:
        liveness = _verdict(selfie.status)
    return _checks(_verdict(gid.status) if gid else None, liveness, _check_verdict(selfie, "selfie_id_comparison"))


def _text(a: Mapping[str, Any], key: str, at: str) -> str | None:
    """Text field ``key`` of the attributes at ``at`` (``wire.text``; a plain string is read without building
    the field's name)."""
    value = a.get(key)
    if type(value) is str and len(value) <= TEXT_LEN:
        return value.strip() or None
    return None if value is None else wire.text(value, f"{at}.{key}")


def _date(a: Mapping[str, Any], key: str, at: str) -> date | None:
    """Date field ``key`` of the attributes at ``at`` (``wire.iso_date``)."""
    value = a.get(key)
    return None if value is None else wire.iso_date(value, f"{at}.{key}")


#: the text fields of a government ID's attributes an :class:`Identity` is read from, in the order they are read
IDENTITY_TEXTS = ("name-first", "name-middle", "name-last", "id-class", "sex", "country-code", "nationality",
                  "identification-number", "document-number", "address-street-1", "address-city",
                  "address-postal-code")
SEXES = frozenset({"M", "F", "X"})


def _plain_texts(a: Mapping[str, Any]) -> list[str | None] | None:
    """The :data:`IDENTITY_TEXTS` of the attributes ``a`` as ``wire.text`` reads them, when every one is null or a
    plain string of at most ``TEXT_LEN`` (the usual case: nothing to refuse, no field name needed); None otherwise."""
    out: list[str | None] = []
    for value in map(a.get, IDENTITY_TEXTS):
        if value is None:
            out.append(None)
        elif type(value) is str and len(value) <= TEXT_LEN:
            out.append(value.strip() or None)
        else:
            return None
    return out


def _identity(a: Mapping[str, Any], at: str) -> Identity:
    """What one government-ID verification's attributes (at ``at``) say about the person.

    Text fields that are all plain (:func:`_plain_texts`) are taken as read; otherwise :func:`_strict_identity`
    reads them one by one and names the first one refused. Either way the dates are read in the same order, and
    nothing else can be refused before them, so the same field is named."""
    texts = _plain_texts(a)
    if texts is None:
        return _strict_identity(a, at)
    first, middle, last, id_class, sex, country, nationality, number, other_number, street, city, postal = texts
    return Identity(
        given_name=first, family_name=last, full_name=" ".join(filter(None, (first, middle, last))) or None,
        date_of_birth=_date(a, "birthdate", at),
        sex=sex if sex in SEXES else None,
        # a known alpha-2 code given as its alpha-3 (what the model's validator would turn it into; it keeps a known
        # alpha-3 as it is); any other code as read, for the validator
        nationality=ALPHA2_TO_ALPHA3.get(nationality, nationality) if nationality else None,
        document_type=None if id_class is None else ID_CLASSES.get(id_class.lower(), DocumentType.OTHER),
        document_number=number or other_number,
        issuing_country=(ALPHA2_TO_ALPHA3.get(country) or to_alpha3(country)) if country else None,
        issue_date=_date(a, "issue-date", at),
        expiry_date=_date(a, "expiration-date", at),
        address=", ".join(filter(None, (street, city, postal))) or None,
    )


def _strict_identity(a: Mapping[str, Any], at: str) -> Identity:
    """:func:`_identity` field by field, each text through ``wire.text`` naming the field it refuses."""
    first, middle, last = _text(a, "name-first", at), _text(a, "name-middle", at), _text(a, "name-last", at)
    full = " ".join(filter(None, (first, middle, last))) or None
    id_class = _text(a, "id-class", at)
    sex = _text(a, "sex", at)
    country = _text(a, "country-code", at)
    return Identity(
        given_name=first, family_name=last, full_name=full,
        date_of_birth=_date(a, "birthdate", at),
        sex=sex if sex in ("M", "F", "X") else None,
        nationality=_text(a, "nationality", at),
        document_type=None if id_class is None else ID_CLASSES.get(id_class.lower(), DocumentType.OTHER),
        document_number=_text(a, "identification-number", at) or _text(a, "document-number", at),
        issuing_country=to_alpha3(country) if country else None,
        issue_date=_date(a, "issue-date", at),
        expiry_date=_date(a, "expiration-date", at),
        address=", ".join(filter(None, (_text(a, "address-street-1", at), _text(a, "address-city", at),
                                        _text(a, "address-postal-code", at)))) or None,
    )


def identity(vers: list[Verification]) -> Identity:
    """What the latest government ID with data says about the person."""
    for v in reversed(vers):
        if v.item is not None and v.vtype == GOVERNMENT_ID:
            ident = _identity(v.attrs, f"{v.where}.attributes")
            if ident.given_name is not None or not ident.is_empty():  # a given name: data, without asking each field
                return ident
    return NO_IDENTITY


def _code_of(a: Mapping[str, Any], key: str, at: str) -> str | None:
    """Code field ``key`` of the attributes at ``at`` (``wire.code``; a plain string is read without building
    the field's name)."""
    value = a.get(key)
    return value if value is None or _is_code(value) else wire.code(value, f"{at}.{key}")


def _requested(gid: Verification | None, want: Requested) -> list[Evidence]:
    """The latest government ID (``gid``) against the requested ID classes and country."""
    if not want.id_classes and not want.country:
        return []
    if gid is None or gid.item is None:
        return []
    a = gid.attrs
    at = f"{gid.where}.attributes"
    out = []
    # exact comparisons: Persona sends id-class in lower case and country-code as upper-case alpha-2
    id_class = _code_of(a, "id-class", at)
    if want.id_classes and id_class is None:
        out.append(Evidence(f"{at}.id-class", UNKNOWN))
    elif want.id_classes and id_class not in want.id_classes:
        out.append(Evidence("requested.document_types", FAILED, Reason(
            code=ReasonCode.DOCUMENT_UNSUPPORTED, retryable=True, provider_code=(id_class or "")[:128] or None,
            message="the ID class is not one the request allowed")))
    country = _code_of(a, "country-code", at)
    if want.country and country is None:
        out.append(Evidence(f"{at}.country-code", UNKNOWN))
    elif want.country and country != want.country:
        out.append(Evidence("requested.country", FAILED, Reason(
            code=ReasonCode.DOCUMENT_UNSUPPORTED, retryable=True, provider_code=(country or "")[:128] or None,
            message="the ID's country is not the one the request named")))
    return out


def reference(attrs: Mapping[str, Any]) -> str | None:
    """``reference-id`` exactly as echoed (None when null)."""
    return wire.code(attrs.get("reference-id"), "data.attributes.reference-id", max_len=MAX_REFERENCE) or None


def _inquiry(doc: Mapping[str, Any], ref: SessionRef) -> tuple[Mapping[str, Any], str]:
    """The attributes and the status of the inquiry ``doc`` carries (``data``), once its type and id are checked.

    Plain objects down to a plain type, id and status (the usual case) are read directly; anything else through
    the strict readers, in the same order, which name the field they refuse."""
    data = doc.get("data") if type(doc) is dict else None
    if type(data) is dict:
        attrs = data.get("attributes")
        if type(attrs) is dict:
            kind, iid, status = data.get("type"), data.get("id"), attrs.get("status")
            if kind == "inquiry" and type(kind) is str and iid == ref.id and _is_code(iid) and _is_code(status):
                return attrs, status
    return _strict_inquiry(doc, ref)


def _strict_inquiry(doc: Mapping[str, Any], ref: SessionRef) -> tuple[Mapping[str, Any], str]:
    """:func:`_inquiry` through the strict readers."""
    doc = wire.obj(doc, "body")
    data = wire.obj(doc.get("data"), "data")
    if wire.code(data.get("type"), "data.type") != "inquiry":
        raise wire.WireError("data.type", "is not inquiry")
    if wire.code(data.get("id"), "data.id") != ref.id:
        raise wire.WireError("data.id", "does not match the request")
    attrs = _attrs(data, "data")
    raw_status = wire.code(attrs.get("status"), "data.attributes.status")
    if raw_status is None:
        raise wire.WireError("data.attributes.status", "missing")
    return attrs, raw_status


def decide(doc: Mapping[str, Any], ref: SessionRef, decisioning: str = "workflow") -> Decision:
    """The neutral :class:`Decision` of an inquiry document.

    ``doc`` is a ``GET /inquiries/{id}`` body or a webhook's ``payload``; ``ref`` names the inquiry (its
    ``extra`` may carry :class:`Requested`). Raises :class:`~ekyc._wire.WireError` on bad shapes (callers wrap
    it in :func:`ekyc.provider.malformed`).
    """
    attrs, raw_status = _inquiry(doc, ref)
    vers = verifications(doc, ref.id)
    gid, selfie = _latest(vers)
    found = evidence(vers)
    if ref.extra:  # what the create asked for (nothing to compare when it asked for nothing)
        found += _requested(gid, _asked(ref.extra))
    started = wire.iso_datetime(attrs.get("started-at"), "data.attributes.started-at")
    entry = CODE_TABLE.get(DECISIONING[decisioning], raw_status)
    if entry is None or entry.outcome is None:
        settled = settle(Outcome.ERROR, [Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=raw_status,
                                                message="inquiry status not in Persona's documentation")], found)
    elif raw_status == "expired" and started is not None:
        settled = settle(Outcome.ABANDONED, [Reason(code=ReasonCode.TIMED_OUT, retryable=True,
                                                    provider_code=raw_status,
                                                    message="started but not finished in time")], found)
    else:
        status_reasons = [entry.to_reason(raw_status)] if (entry.reason is not None and entry.outcome not in (
            Outcome.DECLINED, Outcome.REVIEW)) or raw_status == "failed" else []
        if entry.outcome is Outcome.APPROVED and raw_status == "completed" and not vers:
            found.append(Evidence("data.relationships.verifications", State.UNKNOWN))
        settled = settle(entry.outcome, status_reasons, found, fallback=entry.to_reason(raw_status))
    completed = _completed_at(attrs) if settled.outcome.is_final else None
    return Decision(
        ref=ref, outcome=settled.outcome, reference=reference(attrs), reasons=settled.reasons,
        warnings=settled.warnings, identity=identity(vers), checks=checks(gid, selfie), provider_status=raw_status,
        completed_at=completed, raw=doc,
    )


#: the times an inquiry's completion is read from, first found first, with their fields' names
COMPLETION_TIMES = tuple((key, f"data.attributes.{key}")
                         for key in ("decisioned-at", "completed-at", "failed-at", "expired-at"))


def _completed_at(attrs: Mapping[str, Any]) -> datetime | None:
    for key, where in COMPLETION_TIMES:
        when = wire.iso_datetime(attrs.get(key), where)
        if when is not None:
            return when
    return None


__all__ = ["CLASSES_OF", "ID_CLASSES", "Requested", "decide"]
