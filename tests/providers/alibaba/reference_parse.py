"""Alibaba's ``CheckResult`` reading as it was before this round of issue 15 (``ekyc/providers/alibaba/parse.py`` at
commit 3957c77), kept only as the reference the differential test (``test_decide_equivalence.py``) compares
:func:`ekyc.providers.alibaba.parse.decide` with. Not used by the library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ekyc import _wire as wire
from ekyc.countries import to_alpha3
from ekyc.evidence import Evidence, State, settle
from ekyc.models import (
    Check,
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
from ekyc.providers.alibaba.codes import (
    CODE_TABLE,
    CONTRADICTORY,
    FLAGS,
    NOT_REPORTED,
    PASS_SUBCODE,
    SOURCE_SCORES,
    UNRECOGNIZED,
    Flag,
)
from ekyc.providers.alibaba.doctypes import document_type_of

PROVIDER = "alibaba"
_SPOOF_TYPE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_SAFE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_STATUS = re.compile(r"[A-Za-z0-9=,_.-]{1,64}")
_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
#: the Ext* fields of CheckResult.Result (JSON documents serialized into strings; SDK 3.23.1)
EXT_FIELDS = ("ExtIdInfo", "ExtFaceInfo", "ExtBasicInfo", "ExtRiskInfo", "ExtInfo", "ExtSourceInfo")
#: ExtFaceInfo scores documented as 0-100 (alibaba.md §2.2)
_FACE_SCORES = ("faceComparisonScore", "faceQualityScore", "faceAttackScore", "authorityComparisonScore")
#: largest Ext* string accepted (IsReturnImage=Y puts Base64 images in them)
MAX_EXT = 2 * 1024 * 1024
_ABSENT = object()


def load_ext(value: Any, name: str) -> Mapping[str, Any]:
    """An ``Ext*`` field: absent, ``""`` or JSON ``null`` → ``{}``; a JSON object string → the object.

    Anything else (invalid JSON, a JSON array or number, a non-string) is a :class:`~ekyc.wire.WireError`
    naming the field.
    """
    if value is None or value == "" or value == "{}":
        return {}
    if not isinstance(value, str):
        raise wire.WireError(name, "expected a JSON object string")
    try:
        loaded = wire.loads(value, max_size=MAX_EXT)
    except wire.WireError as exc:
        raise wire.WireError(name, exc.problem) from None
    return wire.opt_obj(loaded, name)


def parse_date(value: Any) -> date | None:
    """``yyyy-MM-dd``, ``yyyy/MM/dd``, ``yyyy.MM.dd`` or ``yyyyMMdd`` in ASCII digits; None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) == 10:  # the usual yyyy-MM-dd (or / or . between): read directly when it reads back identically
        dashed = text.replace("/", "-").replace(".", "-")
        try:
            parsed: date | None = date.fromisoformat(dashed)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.isoformat() == dashed:
            return parsed
    m = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not m:
        return None
    year, month, day = m.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _get(container: Mapping[str, Any], key: str) -> Any:
    """``container[key]`` matched case-insensitively, else absent (``loads`` refused keys that differ only in
    case: at most one key matches, and when the exact spelling is present it is that one)."""
    value = container.get(key, _ABSENT)
    if value is _ABSENT:
        folded = key.casefold()
        for name, candidate in container.items():
            if name.casefold() == folded:
                return candidate
    return value


def _text(info: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` holding text (:func:`ekyc._wire.text`, at most 512 long), whitespace collapsed."""
    for key in keys:
        value = info.get(key)
        if value is None:
            continue
        if type(value) is not str or len(value) > 512:  # refused (named), or a str subclass wire.text returns
            value = wire.text(value, f"ExtIdInfo.ocrIdInfo.{key}", max_len=512)
        words = value.split() if value is not None else None
        if words:
            return " ".join(words)
    return None


_SEXES = {"M": "M", "MALE": "M", "男": "M", "F": "F", "FEMALE": "F", "女": "F", "X": "X"}


def _sex(value: str | None) -> str | None:
    return None if value is None else _SEXES.get(value.upper())


def identity(ext_id: Mapping[str, Any]) -> Identity:
    """The :class:`Identity` in ``ExtIdInfo.ocrIdInfo`` (ID-card, passport and KYC_GLOBAL field styles).

    User edits (``ocrIdEditInfo``) are not applied: the OCR reading is what the document says. Fields are
    strings (anything else is a :class:`~ekyc.wire.WireError`); dates in other formats are left empty.
    """
    info = wire.opt_obj(ext_id.get("ocrIdInfo"), "ExtIdInfo.ocrIdInfo")
    if not info:
        return Identity()
    given = _text(info, "givenname", "givenName", "firstName")
    family = _text(info, "surname", "lastName")
    full = _text(info, "name", "englishName", "fullName")
    if full is None and (given or family):
        full = " ".join(p for p in (given, family) if p)
    number = _text(info, "passportNo", "idNumber", "docNo", "documentNumber")
    doc_code = _text(info, "docType") or wire.text(ext_id.get("docType"), "ExtIdInfo.docType", max_len=64)
    doc_type = document_type_of(doc_code) if doc_code else None
    if doc_type is None:
        if _text(info, "passportNo"):
            doc_type = DocumentType.PASSPORT
        elif _text(info, "idNumber"):
            doc_type = DocumentType.ID_CARD
    country = _text(info, "countryCode", "issuingCountry")
    nationality = _text(info, "nationality") or (country if doc_type is DocumentType.PASSPORT else None)
    return Identity(
        given_name=given,
        family_name=family,
        full_name=full,
        date_of_birth=parse_date(_text(info, "birthDate", "dateOfBirth")),
        sex=_sex(_text(info, "sex", "gender")),
        nationality=to_alpha3(nationality) if nationality else None,
        document_type=doc_type,
        document_number=number,
        issuing_country=to_alpha3(country) if country else None,
        issue_date=parse_date(_text(info, "issueDate")),
        expiry_date=parse_date(_text(info, "expiryDate", "dateOfExpiry")),
        address=_text(info, "address"),
    )


# ---------------------------------------------------------------------------------------------------
# Evidence


def _unrecognized(name: str, code: str = UNRECOGNIZED) -> Evidence:
    entry = CODE_TABLE.get("evidence", code)
    assert entry is not None
    return Evidence(name, State.UNKNOWN, entry.to_reason(f"{name}=?"[:128]))


def _required(flag: Flag, exts: Mapping[str, Mapping[str, Any]]) -> bool:
    """Does the payload's own shape say this flag's check ran (:attr:`Flag.required_when`)?"""
    if flag.required_when is None:
        return False
    where, _, key = flag.required_when.partition(".")
    obj = exts.get(where, {})
    if not key:
        return bool(obj)
    return _get(obj, key) not in (_ABSENT, None)


def _failing(flag_code: str, provider_code: str, extra: str = "") -> Reason:
    entry = CODE_TABLE.get("evidence", flag_code)
    assert entry is not None
    reason = entry.to_reason(provider_code)
    return Reason(code=reason.code, retryable=reason.retryable, provider_code=provider_code,
                  message=entry.message + extra)


def _details(flag: Flag, holders: list[Mapping[str, Any]]) -> list[str] | None:
    """Every item of the flag's detail lists (:attr:`Flag.details`, e.g. ``spoofInfo.spoofType``) in every
    ``parent`` object; None when one is not the documented type (a JSON array of strings). Absent or null
    lists count as empty."""
    out: list[str] = []
    for holder in holders:
        for key in flag.details:
            raw = _get(holder, key)
            if raw is _ABSENT or raw is None:
                continue
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                return None
            out += raw
    return out


_CHECKS = tuple(Check)
_FLAG_KEYS: dict[str, Flag] = {k.casefold(): f for f in FLAGS for k in f.keys}
_PARENT_KEYS: dict[str, Flag] = {f.parent.casefold(): f for f in FLAGS if f.parent is not None}
#: every case-folded key :func:`_collect` notes (a flag's or a parent's)
_NOTED = frozenset({*_FLAG_KEYS, *_PARENT_KEYS})


class _Found:
    """Every value each flag has anywhere in the payload, and the objects holding ``spoofInfo`` (by flag name; a
    flag found nowhere has no entry)."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.parents: dict[str, list[Mapping[str, Any]]] = {}


#: what decoded JSON holds besides objects and arrays (no ABC check needed for them)
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _note(found: _Found, folded: str, value: Any) -> None:
    """Note a flag's (or a flag parent's) non-null value."""
    flag = _FLAG_KEYS.get(folded)
    if flag is not None:
        found.values.setdefault(flag.name, []).append(value)
    parent = _PARENT_KEYS.get(folded)
    if parent is not None:
        if type(value) is dict or isinstance(value, Mapping):  # dict first: the ABC check is slow
            found.parents.setdefault(parent.name, []).append(value)
        else:  # e.g. "spoofInfo": "Y": the flag's state is unknown
            found.values.setdefault(parent.name, []).append(_ABSENT)


def _collect(roots: list[Any]) -> _Found:
    """Walk every object and array under ``roots`` (bounded by the strict reader's size and depth limits) and
    note each flag key, in any letter case and at any depth: a flag reported in an unexpected place still counts."""
    found = _Found()
    stack = list(roots)
    while stack:
        node = stack.pop()
        node_kind = type(node)  # decoded JSON: plain dicts and lists (the ABC check is slow)
        if node_kind is dict or (node_kind is not list and isinstance(node, Mapping)):
            for key, value in node.items():
                folded = key.casefold()
                if folded in _NOTED and value is not None:
                    _note(found, folded, value)
                kind = type(value)
                if kind is dict or kind is list or (kind not in _LEAVES and isinstance(value, (Mapping, list))):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, (Mapping, list)))
    return found


def _flag_evidence(flag: Flag, found: _Found) -> Evidence | None:
    """The evidence one flag gives: absent → None; one documented value everywhere → PASSED/FAILED; anything
    else (an undocumented value, two different values, a parent that is not an object) → UNKNOWN."""
    seen = found.values.get(flag.name)
    if not seen:
        return None
    value = seen[0]
    if not isinstance(value, str) or (len(seen) > 1 and (any(not isinstance(v, str) for v in seen)
                                                          or len(set(seen)) != 1)):
        return _unrecognized(flag.name)
    if value != flag.passing and value != flag.failing.rpartition("=")[2]:
        return _unrecognized(flag.name)
    details = _details(flag, found.parents.get(flag.name, [])) if flag.details else []
    if details is None or (details and value == flag.passing):  # mistyped, or "found X" next to "passed"
        return _unrecognized(flag.name, CONTRADICTORY)
    if value == flag.passing:
        return Evidence(flag.name, State.PASSED)
    code = f"{flag.name.rpartition('.')[2]}={value}"
    extra = ""
    types = list(dict.fromkeys(t for t in details if _SPOOF_TYPE.fullmatch(t)))[:8]
    if types:
        code += f";spoofType={','.join(types)}"
        extra = f" ({', '.join(types)})"
    return Evidence(flag.name, State.FAILED, _failing(flag.failing, code[:128], extra))


_SOURCES = {s.key: s for s in SOURCE_SCORES}


def _source_evidence(source: Mapping[str, Any]) -> list[Evidence]:
    out: list[Evidence] = []
    if not source:
        return out
    if len(source) > 64:
        raise wire.WireError("Result.ExtSourceInfo", "too many entries")
    for key, raw in source.items():
        name = f"ExtSourceInfo.{key if _SAFE_KEY.fullmatch(key) else '?'}"  # a vendor key is shown only if plain
        spec = _SOURCES.get(key)
        if spec is None:
            out.append(_unrecognized(name))  # a sub-check whose meaning no source gives
            continue
        value = wire.number(raw, name, lo=0.0, hi=1.0)
        if value is None:
            continue
        if spec.fails(value):
            out.append(Evidence(name, State.FAILED, _failing(spec.failing, f"{key}={value:g}")))
        else:
            out.append(Evidence(name, State.PASSED))
    return out


def _check(items: list[Evidence], score: float | None = None) -> CheckResult:
    """Failed if any sub-check failed; passed if every one passed (and there is one); else not known."""
    passed: bool | None = True if items else None
    for e in items:
        if e.state is State.FAILED:
            passed = False
            break
        if e.state is not State.PASSED:
            passed = None
    return verdict(passed) if score is None else CheckResult(passed=passed, score=score)


def evidence(exts: Mapping[str, Mapping[str, Any]], *extra: Mapping[str, Any]) -> tuple[list[Evidence], Checks]:
    """Every sub-check the ``Ext*`` objects (and ``extra`` objects, e.g. ``Result`` itself) report, and the
    per-check results."""
    items: list[Evidence] = []
    by_check: dict[Check, list[Evidence]] = {c: [] for c in _CHECKS}
    found = _collect([*exts.values(), *extra])
    for flag in FLAGS:
        item = _flag_evidence(flag, found)
        if item is None and _required(flag, exts):
            item = _unrecognized(flag.name, NOT_REPORTED)
        if item is not None:
            items.append(item)
            if flag.check is not None:
                by_check[flag.check].append(item)
    items += _source_evidence(exts.get("ExtSourceInfo", {}))
    face = exts.get("ExtFaceInfo", {})
    scores: dict[str, float | None] = {}
    for key in _FACE_SCORES:
        raw = _get(face, key)
        if type(raw) is float and 0.0 <= raw <= 100.0:  # the usual case, exactly what wire.number returns
            scores[key] = raw
        else:
            scores[key] = None if raw is _ABSENT else wire.number(raw, f"ExtFaceInfo.{key}", lo=0.0, hi=100.0)
    checks = Checks(
        document=_check(by_check[Check.DOCUMENT]),
        liveness=_check(by_check[Check.LIVENESS]),
        face_match=_check(by_check[Check.FACE_MATCH], scores["faceComparisonScore"]),
    )
    return items, checks


# ---------------------------------------------------------------------------------------------------
# Decision


def _subcode_reason(sub: str | None) -> tuple[Reason, bool]:
    """The SubCode's reason and whether the table explains it (a known entry naming a reason)."""
    if sub is None:
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=None,
                      message="no SubCode in the result"), False
    entry = CODE_TABLE.get("subcode", sub)
    if entry is None:
        safe = sub if _SAFE_CODE.fullmatch(sub) else "?"
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=safe,
                      message="SubCode not in the code table"), False
    return entry.to_reason(sub), entry.reason is not None


def _status(passed: str, sub: str | None, failed: bool) -> tuple[Outcome, list[Reason], list[Reason],
                                                                  Reason | None]:
    """``(status, status reasons, warnings, fallback)`` from ``Passed`` and ``SubCode``."""
    if passed == "P":
        return Outcome.PENDING, [], [], None
    if passed == "Y":
        if sub == PASS_SUBCODE:
            return Outcome.APPROVED, [], [], None
        if sub is None:
            return Outcome.APPROVED, [Reason(code=ReasonCode.INCONSISTENT_EVIDENCE, retryable=False,
                                             provider_code="SubCode", message="Passed=Y without a SubCode")], [], None
        return Outcome.APPROVED, [_subcode_reason(sub)[0]], [], None
    if passed == "N":
        if sub == PASS_SUBCODE:
            return Outcome.DECLINED, [Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=sub,
                                             message="Passed=N with the pass SubCode 200 (contradictory)")], [], None
        reason, explained = _subcode_reason(sub)
        if explained:
            return Outcome.DECLINED, [reason], [], None
        if failed:
            return Outcome.DECLINED, [], [reason], None
        entry = CODE_TABLE.get("passed", "N")
        assert entry is not None
        return Outcome.DECLINED, [], [], reason if sub is not None else entry.to_reason()
    safe = passed if re.fullmatch(r"[A-Za-z0-9]{1,8}", passed) else "?"
    return Outcome.ERROR, [Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=safe,
                                  message="Passed value not in the code table")], [], None


def _one_per_code(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """Evidence and SubCode often say the same thing (facePassed=N and SubCode 204): keep the first reason
    per normalized code; ``UNKNOWN`` and ``INCONSISTENT_EVIDENCE`` reasons stay apart per raw code (exact
    duplicates are dropped by :class:`~ekyc.models.Decision` itself)."""
    apart = (ReasonCode.UNKNOWN, ReasonCode.INCONSISTENT_EVIDENCE)
    out: list[Reason] = []
    for r in reasons:
        if r.code in apart or all(o.code is not r.code for o in out):
            out.append(r)
    return tuple(out)


def decide(ref: SessionRef, body: Mapping[str, Any], *, reference: str | None = None) -> Decision:
    """The :class:`Decision` of a successful ``CheckResult`` body (``Code == "Success"``); ``reference`` is the
    app's reference the adapter verified against the ref's ``MerchantBizId`` (Alibaba echoes none).

    Raises :class:`~ekyc.wire.WireError` (a ``ValueError`` naming the field) for a malformed payload.
    """
    result = wire.obj(body.get("Result"), "Result")
    passed = wire.code(result.get("Passed"), "Result.Passed", max_len=16)
    if not passed:
        raise wire.WireError("Result.Passed", "missing")
    sub = wire.code(result.get("SubCode"), "Result.SubCode", max_len=64) or None
    wire.code(result.get("EkycResult"), "Result.EkycResult", max_len=256)
    exts = {name: load_ext(result.get(name), f"Result.{name}") for name in EXT_FIELDS}
    ident = identity(exts["ExtIdInfo"])
    items, checks = evidence(exts, {k: v for k, v in result.items() if k not in EXT_FIELDS})
    status, status_reasons, warnings, fallback = _status(passed, sub, any(e.state is State.FAILED for e in items))
    settled = settle(status, status_reasons, items, warnings, fallback)
    text = f"Passed={passed}" + (f",SubCode={sub}" if sub is not None else "")
    return Decision(ref=ref, outcome=settled.outcome, reference=reference, reasons=_one_per_code(settled.reasons),
                    warnings=settled.warnings, identity=ident, checks=checks,
                    provider_status=text if _STATUS.fullmatch(text) else "Passed=?", raw=body)


__all__ = ["EXT_FIELDS", "decide", "evidence", "identity", "load_ext", "parse_date"]
