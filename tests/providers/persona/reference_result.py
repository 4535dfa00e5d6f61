"""Persona's inquiry reading as it was before issue 15's fast paths (commit 72fa901), kept only as the reference
the differential test (``test_result_equivalence.py``) compares :func:`ekyc.providers.persona.result.decide`
with: every field read through the strict readers, its name built before each read. Not used by the library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from ekyc import _wire as wire
from ekyc.countries import to_alpha3
from ekyc.evidence import Evidence, State, settle
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
from ekyc.providers.persona.codes import CHECK_STATE, CHECKS, CODE_TABLE, DECISIONING, VERIFICATION_STATE

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

Item = Mapping[str, Any]


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


def _linked(data: Item) -> list[tuple[str, str]]:
    """``(type, id)`` of every verification the inquiry lists."""
    rel = wire.opt_obj(data.get("relationships"), "data.relationships")
    ver = wire.opt_obj(rel.get("verifications"), "data.relationships.verifications")
    out = []
    for i, ref in enumerate(wire.objects(ver.get("data"), "data.relationships.verifications.data")):
        where = f"data.relationships.verifications.data[{i}]"
        vtype = wire.code(ref.get("type"), f"{where}.type")
        vid = wire.code(ref.get("id"), f"{where}.id")
        if vtype is None or vid is None:
            raise wire.WireError(where, "needs a type and an id")
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


@dataclass
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
    checks: list[CheckRow] = field(default_factory=list)


def verifications(doc: Item, inquiry_id: str) -> list[Verification]:
    """Every verification the inquiry lists, in creation order."""
    data = wire.obj(doc.get("data"), "data")
    included = _included(doc)
    out = []
    for n, (vtype, vid) in enumerate(_linked(data)):
        where, item = included.get(vid, (f"data.relationships.verifications.data[{n}]", None))
        if item is None:
            out.append(Verification(vtype, vid, where, None, None, n))
            continue
        attrs = _attrs(item, where)
        status = wire.code(attrs.get("status"), f"{where}.attributes.status")
        ts = wire.integer(attrs.get("created-at-ts"), f"{where}.attributes.created-at-ts", lo=0)
        if wire.code(item.get("type"), f"{where}.type") != vtype:
            raise wire.WireError(f"{where}.type", "differs from the inquiry's relationship")
        rel = wire.opt_obj(item.get("relationships"), f"{where}.relationships")
        owner = wire.opt_obj(wire.opt_obj(rel.get("inquiry"), f"{where}.relationships.inquiry").get("data"),
                             f"{where}.relationships.inquiry.data")
        owner_id = wire.code(owner.get("id"), f"{where}.relationships.inquiry.data.id")
        if owner_id is not None and owner_id != inquiry_id:
            raise wire.WireError(f"{where}.relationships.inquiry", "names another inquiry")
        out.append(Verification(vtype, vid, where, item, status, ts if ts is not None else n, attrs))
    return sorted(out, key=lambda v: v.created)


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
        return State.UNFINISHED
    state = CHECK_STATE.get((status, requirement or "*"))
    return state if state is not None else CHECK_STATE.get((status, "*"), State.UNKNOWN)


def _check_evidence(v: Verification, out: list[Evidence]) -> bool:
    """One sub-check per check of an included verification, appended to ``out`` (the checks are kept in
    :attr:`Verification.checks`); whether one of them failed a requirement.

    A check of plain strings and a ``reasons`` list is taken as it is; any other (a field absent, null, of another
    type or too long) goes through the strict readers, which accept it or raise naming the field."""
    at = f"{v.where}.attributes.checks"
    failing = False
    kept: list[CheckRow] = []
    for j, c in enumerate(wire.objects(v.attrs.get("checks"), at)):
        name, status, requirement = c.get("name"), c.get("status"), c.get("requirement")
        if not (type(name) is str and type(status) is str and type(requirement) is str
                and type(c.get("reasons")) is list
                and len(name) <= CODE_LEN and len(status) <= CODE_LEN and len(requirement) <= CODE_LEN):
            name, status, requirement = _strict_check(c, f"{at}[{j}]")
        kept.append((name, status))
        state = _check_state(status, requirement)
        reason = None
        if status == "failed" and (state is State.FAILED or state is State.INFO):
            reason = check_reason(name)
            failing = failing or state is State.FAILED
        out.append(Evidence(f"{at}[{j}]:{name}", state, reason))
    v.checks = kept
    return failing


def evidence(vers: list[Verification]) -> list[Evidence]:
    """One sub-check per listed verification and per check of each included one (reading each one's checks into
    :attr:`Verification.checks`)."""
    out: list[Evidence] = []
    for v in vers:
        if v.item is None:
            out.append(Evidence(f"{v.where}:{v.vtype}", State.UNKNOWN))
            continue
        state = VERIFICATION_STATE.get(v.status or "", State.UNKNOWN)
        reused = wire.boolean(v.attrs.get("from-reusable-persona"), f"{v.where}.attributes.from-reusable-persona")
        # true: carried over from an earlier inquiry's Reusable Persona, not performed in this one; government-ID
        # and selfie verifications always state it [SPEC], so a null or missing value is a doubt as well
        if reused or (reused is None and (v.vtype == GOVERNMENT_ID or v.vtype.startswith(SELFIE_PREFIX))):
            out.append(Evidence(f"{v.where}.attributes.from-reusable-persona", State.UNKNOWN))
        failing = _check_evidence(v, out)
        name = f"{v.where}.attributes.status"
        if state is State.FAILED and not failing:
            out.append(Evidence(name, state, Reason(code=ReasonCode.UNKNOWN, retryable=False,
                                                    provider_code=v.vtype[:128],
                                                    message="verification failed without a failed check")))
        elif not (state is State.FAILED and failing):  # a failed verification is explained by its checks
            out.append(Evidence(name, state))
    return out


def _latest(vers: list[Verification], prefix: str) -> Verification | None:
    found = [v for v in vers if v.item is not None and v.vtype.startswith(prefix)]
    return found[-1] if found else None


def _verdict(status: str | None) -> bool | None:
    return True if status == "passed" else False if status == "failed" else None


def _check_verdict(v: Verification | None, name: str) -> bool | None:
    if v is None:
        return None
    for c_name, status in v.checks:
        if c_name == name:
            return _verdict(status)
    return None


def checks(vers: list[Verification]) -> Checks:
    """Document, liveness and face-match verdicts from the latest government ID and selfie."""
    gid = _latest(vers, GOVERNMENT_ID)
    selfie = _latest(vers, SELFIE_PREFIX)
    liveness = _check_verdict(selfie, "selfie_liveness_detection")
    if liveness is None and selfie is not None:
        liveness = _verdict(selfie.status)
    return Checks(
        document=CheckResult(passed=_verdict(gid.status) if gid else None),
        liveness=CheckResult(passed=liveness),
        face_match=CheckResult(passed=_check_verdict(selfie, "selfie_id_comparison")),
    )


def identity(vers: list[Verification]) -> Identity:
    """What the latest government ID with data says about the person."""
    for v in reversed([v for v in vers if v.item is not None and v.vtype == GOVERNMENT_ID]):
        a = v.attrs
        at = f"{v.where}.attributes"

        def txt(key: str, a: Mapping[str, Any] = a, at: str = at) -> str | None:
            value = a.get(key)
            return None if value is None else wire.text(value, f"{at}.{key}")

        first, middle, last = txt("name-first"), txt("name-middle"), txt("name-last")
        full = " ".join(p for p in (first, middle, last) if p) or None
        id_class = txt("id-class")
        sex = txt("sex")
        country = txt("country-code")
        ident = Identity(
            given_name=first, family_name=last, full_name=full,
            date_of_birth=wire.iso_date(a.get("birthdate"), f"{at}.birthdate"),
            sex=sex if sex in ("M", "F", "X") else None,
            nationality=txt("nationality"),
            document_type=None if id_class is None else ID_CLASSES.get(id_class.lower(), DocumentType.OTHER),
            document_number=txt("identification-number") or txt("document-number"),
            issuing_country=to_alpha3(country) if country else None,
            issue_date=wire.iso_date(a.get("issue-date"), f"{at}.issue-date"),
            expiry_date=wire.iso_date(a.get("expiration-date"), f"{at}.expiration-date"),
            address=", ".join(p for p in (txt("address-street-1"), txt("address-city"),
                                          txt("address-postal-code")) if p) or None,
        )
        if not ident.is_empty():
            return ident
    return Identity()


def _requested(vers: list[Verification], want: Requested) -> list[Evidence]:
    """The latest government ID against the requested ID classes and country."""
    if not want.id_classes and not want.country:
        return []
    gid = _latest(vers, GOVERNMENT_ID)
    if gid is None or gid.item is None:
        return []
    a = gid.attrs
    out = []
    # exact comparisons: Persona sends id-class in lower case and country-code as upper-case alpha-2
    id_class = wire.code(a.get("id-class"), f"{gid.where}.attributes.id-class")
    if want.id_classes and id_class is None:
        out.append(Evidence(f"{gid.where}.attributes.id-class", State.UNKNOWN))
    elif want.id_classes and id_class not in want.id_classes:
        out.append(Evidence("requested.document_types", State.FAILED, Reason(
            code=ReasonCode.DOCUMENT_UNSUPPORTED, retryable=True, provider_code=(id_class or "")[:128] or None,
            message="the ID class is not one the request allowed")))
    country = wire.code(a.get("country-code"), f"{gid.where}.attributes.country-code")
    if want.country and country is None:
        out.append(Evidence(f"{gid.where}.attributes.country-code", State.UNKNOWN))
    elif want.country and country != want.country:
        out.append(Evidence("requested.country", State.FAILED, Reason(
            code=ReasonCode.DOCUMENT_UNSUPPORTED, retryable=True, provider_code=(country or "")[:128] or None,
            message="the ID's country is not the one the request named")))
    return out


def reference(attrs: Mapping[str, Any]) -> str | None:
    """``reference-id`` exactly as echoed (None when null)."""
    return wire.code(attrs.get("reference-id"), "data.attributes.reference-id", max_len=MAX_REFERENCE) or None


def decide(doc: Mapping[str, Any], ref: SessionRef, decisioning: str = "workflow") -> Decision:
    """The neutral :class:`Decision` of an inquiry document.

    ``doc`` is a ``GET /inquiries/{id}`` body or a webhook's ``payload``; ``ref`` names the inquiry (its
    ``extra`` may carry :class:`Requested`). Raises :class:`~ekyc._wire.WireError` on bad shapes (callers wrap
    it in :func:`ekyc.provider.malformed`).
    """
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
    vers = verifications(doc, ref.id)
    found = evidence(vers) + _requested(vers, _asked(ref.extra))
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
        warnings=settled.warnings, identity=identity(vers), checks=checks(vers), provider_status=raw_status,
        completed_at=completed, raw=doc,
    )


def _completed_at(attrs: Mapping[str, Any]) -> datetime | None:
    for key in ("decisioned-at", "completed-at", "failed-at", "expired-at"):
        when = wire.iso_datetime(attrs.get(key), f"data.attributes.{key}")
        if when is not None:
            return when
    return None


__all__ = ["decide"]
