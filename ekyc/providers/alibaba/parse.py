"""Reading ``CheckResult``: the ``Ext*`` JSON strings, the identity, the evidence, and the decision.

Everything is read strictly (:mod:`ekyc._wire`): the body and each ``Ext*`` string go through
:func:`ekyc.wire.loads` (duplicate or case-variant keys, deep nesting, ``NaN``, huge numbers are refused);
``Result.*`` are strings, as the SDK model (``CheckResultResponseBodyResult``) documents them; scores are finite
JSON numbers in their documented range. A payload that breaks any of this is a :class:`~ekyc.errors.ProviderError`
naming the field.

Decision — the one evidence rule, :func:`ekyc.evidence.settle`:

- the status comes from ``Result.Passed`` and ``Result.SubCode`` (code table kinds ``passed``/``subcode``):
  ``Passed=Y`` with ``SubCode=200`` is the documented success; ``Passed=Y`` with another SubCode (Alibaba's own
  EkycVerify example pairs ``Y`` with ``205``) or none is a success with a doubt → ``REVIEW`` with the
  SubCode's reason (never ``DECLINED``: Alibaba's success is not overturned by our inference);
  ``Passed=N`` → ``DECLINED``; ``Passed=P`` → ``PENDING``; any other ``Passed`` → ``ERROR``;
- every evidence flag the payload reports (:data:`~.codes.FLAGS`, found at any depth of ``Result`` and of every
  ``Ext*`` object, in any letter case; and :data:`~.codes.SOURCE_SCORES`) is an :class:`~ekyc.evidence.Evidence`:
  the documented passing value → ``PASSED``, the failing value → ``FAILED`` with the table's reason; any other
  value, or the same flag reported differently in two places → ``UNKNOWN``; an evidence object whose fields
  disagree with each other (``spoofType`` listing a spoof next to ``spoofResult=N``) or have an undocumented
  type (``spoofType`` not a list of strings) → ``UNKNOWN`` (``contradictory``, :attr:`~.codes.Flag.details`);
- ``APPROVED`` only when the status is the documented success and every reported flag passes.

A SubCode the table does not explain next to ``Passed=N`` is the reason when nothing else explains the decline,
and a warning otherwise (the raw code is kept either way). ``EkycResult``, ``ExtBasicInfo``, ``ExtRiskInfo`` and
``ExtInfo`` have no documented meaning for Cloudauth-intl: they are validated, searched for the flags above, and
kept in ``raw``; they never approve by themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from ekyc import _wire as wire
from ekyc.countries import to_alpha3
from ekyc.evidence import Evidence, State, passed, settle
from ekyc.models import (
    Check,
    Checks,
    Decision,
    DocumentType,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    SessionRef,
    verdict,
    verdicts,
)

from .codes import CODE_TABLE, CONTRADICTORY, FLAGS, NOT_REPORTED, PASS_SUBCODE, SOURCE_SCORES, UNRECOGNIZED, Flag
from .doctypes import document_type_of

PROVIDER = "alibaba"
_SPOOF_TYPE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_SAFE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_STATUS = re.compile(r"[A-Za-z0-9=,_.-]{1,64}")
_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
#: the Ext* fields of CheckResult.Result (JSON documents serialized into strings; SDK 3.23.1)
EXT_FIELDS = ("ExtIdInfo", "ExtFaceInfo", "ExtBasicInfo", "ExtRiskInfo", "ExtInfo", "ExtSourceInfo")
_EXT_FIELD_NAMES = tuple((name, f"Result.{name}") for name in EXT_FIELDS)
#: ExtFaceInfo scores documented as 0-100 (alibaba.md §2.2)
_FACE_SCORES = ("faceComparisonScore", "faceQualityScore", "faceAttackScore", "authorityComparisonScore")
_FACE_SCORE_KEYS = tuple((key, key.casefold()) for key in _FACE_SCORES)
#: largest Ext* string accepted (IsReturnImage=Y puts Base64 images in them)
MAX_EXT = 2 * 1024 * 1024
_ABSENT = object()
#: the identity of a result that names no one (a frozen model: one instance serves every call)
NO_IDENTITY = Identity()


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
    if len(text) == 10:  # the usual yyyy-MM-dd (or / or . between), read directly: date.fromisoformat reads ten
        # characters with dashes at 4 and 7 only as "%Y-%m-%d" in ASCII digits (its other ten-character form, the
        # week date 2021-W01-1, has no dash at 7), exactly what the patterns below accept in that form
        dashed = text.replace("/", "-").replace(".", "-")
        if dashed[4] == "-" == dashed[7]:
            try:
                return date.fromisoformat(dashed)
            except ValueError:
                pass
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
    if value is _ABSENT and container:
        spelled = _shape(container).spelled.get(key.casefold())
        if spelled is not None:
            return container[spelled]
    return value


class _Shape(NamedTuple):
    """What this module reads from an object's keys (its *shape*), the same for every object with these keys."""

    #: ``(key, flag, parent)`` for each key that is an evidence flag's (:data:`_FLAG_KEYS`; ``flag`` is its name)
    #: or a flag parent's (:data:`_PARENT_KEYS`; ``parent`` is the flag's name), in the object's order
    noted: tuple[tuple[str, str | None, str | None], ...]
    #: each case-folded key → the key as written (the first one, should two differ only in case)
    spelled: Mapping[str, str]


def _shape_of(keys: tuple[str, ...]) -> _Shape:
    spelled: dict[str, str] = {}
    noted = []
    for key in keys:
        folded = key.casefold()
        spelled.setdefault(folded, key)
        flag, parent = _FLAG_KEYS.get(folded), _PARENT_KEYS.get(folded)
        if flag is not None or parent is not None:
            noted.append((key, flag.name if flag else None, parent.name if parent else None))
    return _Shape(tuple(noted), spelled)


#: shapes remembered by key list: a vendor's objects carry the same keys call after call, so each key list is
#: folded once. Only short key lists are kept (keys are a sender's input), at most :data:`_MAX_SHAPES` of them (then
#: the memory starts afresh)
_SHAPES: dict[tuple[str, ...], _Shape] = {}
_MAX_SHAPES = 256
_MAX_SHAPE_KEYS = 64
_MAX_SHAPE_TEXT = 1024


def _shape(node: Mapping[str, Any]) -> _Shape:
    """The shape of an object's keys (remembered for short key lists)."""
    keys = tuple(node)
    shape = _SHAPES.get(keys)
    if shape is None:
        shape = _shape_of(keys)
        if len(keys) <= _MAX_SHAPE_KEYS and sum(map(len, keys)) <= _MAX_SHAPE_TEXT:
            if len(_SHAPES) >= _MAX_SHAPES:
                _SHAPES.clear()
            _SHAPES[keys] = shape
    return shape


def _text(info: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` holding text (:func:`ekyc._wire.text`, at most 512 long), whitespace collapsed."""
    for key in keys:
        value = info.get(key)
        if value is None:
            continue
        if type(value) is not str or len(value) > 512:  # refused (named), or a str subclass wire.text returns
            value = wire.text(value, f"ExtIdInfo.ocrIdInfo.{key}", max_len=512)
            if value is None:
                continue
        elif value.isalnum():  # no whitespace anywhere (no whitespace character is alphanumeric): as collapsed
            return value
        words = value.split()
        if words:
            return " ".join(words)
    return None


#: the keys of each identity field in ``ocrIdInfo`` (ID-card, passport and KYC_GLOBAL styles), first one wins
_GIVEN = ("givenname", "givenName", "firstName")
_FAMILY = ("surname", "lastName")
_FULL = ("name", "englishName", "fullName")
_NUMBER = ("passportNo", "idNumber", "docNo", "documentNumber")
_PASSPORT_NUMBER = _NUMBER[:1]
_ID_NUMBER = _NUMBER[1:2]
_DOC_TYPE = ("docType",)
_COUNTRY = ("countryCode", "issuingCountry")
_NATIONALITY = ("nationality",)
_BIRTH = ("birthDate", "dateOfBirth")
_SEX = ("sex", "gender")
_ISSUE = ("issueDate",)
_EXPIRY = ("expiryDate", "dateOfExpiry")
_ADDRESS = ("address",)


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
        return NO_IDENTITY
    given = _text(info, _GIVEN)
    family = _text(info, _FAMILY)
    full = _text(info, _FULL)
    if full is None:  # the given and family names, whichever are there (each is None or text)
        full = f"{given} {family}" if given and family else given or family
    number = _text(info, _NUMBER)
    doc_code = _text(info, _DOC_TYPE) or wire.text(ext_id.get("docType"), "ExtIdInfo.docType", max_len=64)
    doc_type = document_type_of(doc_code) if doc_code else None
    if doc_type is None and number is not None:  # the number's key says which document it is
        if _text(info, _PASSPORT_NUMBER):
            doc_type = DocumentType.PASSPORT
        elif _text(info, _ID_NUMBER):
            doc_type = DocumentType.ID_CARD
    country = _text(info, _COUNTRY)
    nationality = _text(info, _NATIONALITY) or (country if doc_type is DocumentType.PASSPORT else None)
    return Identity(
        given_name=given,
        family_name=family,
        full_name=full,
        date_of_birth=parse_date(_text(info, _BIRTH)),
        sex=_sex(_text(info, _SEX)),
        nationality=to_alpha3(nationality) if nationality else None,
        document_type=doc_type,
        document_number=number,
        issuing_country=to_alpha3(country) if country else None,
        issue_date=parse_date(_text(info, _ISSUE)),
        expiry_date=parse_date(_text(info, _EXPIRY)),
        address=_text(info, _ADDRESS),
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


_FLAG_KEYS: dict[str, Flag] = {k.casefold(): f for f in FLAGS for k in f.keys}
_PARENT_KEYS: dict[str, Flag] = {f.parent.casefold(): f for f in FLAGS if f.parent is not None}


#: every value each flag has anywhere in the payload, and the objects holding each flag's parent (``spoofInfo``), by
#: flag name (a flag found nowhere has no entry)
_Found = tuple[dict[str, list[Any]], dict[str, list[Mapping[str, Any]]]]


#: what decoded JSON holds besides objects and arrays (no ABC check needed for them)
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _collect(roots: list[Any]) -> _Found:
    """Walk every object and array under ``roots`` (bounded by the strict reader's size and depth limits) and
    note each flag key, in any letter case and at any depth: a flag reported in an unexpected place still counts.

    A flag's or a flag parent's non-null value is noted; a parent that is not an object (``"spoofInfo": "Y"``)
    leaves its flag's state unknown."""
    values: dict[str, list[Any]] = {}
    parents: dict[str, list[Mapping[str, Any]]] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        node_kind = type(node)  # decoded JSON: plain dicts and lists (the ABC check is slow)
        if node_kind is dict or (node_kind is not list and isinstance(node, Mapping)):
            if not node:
                continue
            shape = _SHAPES.get(tuple(node)) or _shape(node)  # (the remembered shape read here directly: hot)
            for key, flag, parent in shape.noted:
                value = node[key]
                if value is None:
                    continue
                if flag is not None:
                    values.setdefault(flag, []).append(value)
                if parent is not None:
                    if type(value) is dict or isinstance(value, Mapping):  # dict first: the ABC check is slow
                        parents.setdefault(parent, []).append(value)
                    else:
                        values.setdefault(parent, []).append(_ABSENT)
            values_of = node.values()
            if not _LEAVES.issuperset(map(type, values_of)):  # containers (or other objects, then skipped)
                stack += [value for value in values_of if type(value) not in _LEAVES]
        elif isinstance(node, list) and not _LEAVES.issuperset(map(type, node)):
            stack += [item for item in node if type(item) not in _LEAVES]
    return values, parents


#: each flag's documented failing value (the value in its failing entry's code, ``…=Y``)
_FAILING_VALUE = {f.name: f.failing.rpartition("=")[2] for f in FLAGS}


def _flag_evidence(flag: Flag, found: _Found) -> Evidence | None:
    """The evidence one flag gives: absent → None; one documented value everywhere → PASSED/FAILED; anything
    else (an undocumented value, two different values, a parent that is not an object) → UNKNOWN."""
    seen = found[0].get(flag.name)
    if not seen:
        return None
    value = seen[0]
    if not isinstance(value, str) or (len(seen) > 1 and (any(not isinstance(v, str) for v in seen)
                                                          or len(set(seen)) != 1)):
        return _unrecognized(flag.name)
    if value != flag.passing and value != _FAILING_VALUE[flag.name]:
        return _unrecognized(flag.name)
    details = _details(flag, found[1].get(flag.name, [])) if flag.details else []
    if details is None or (details and value == flag.passing):  # mistyped, or "found X" next to "passed"
        return _unrecognized(flag.name, CONTRADICTORY)
    if value == flag.passing:
        return passed(flag.name)
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
            out.append(passed(name))
    return out


def _verdict_with(before: bool | None, state: State) -> bool | None:
    """A check's verdict after one more sub-check (``before``: the verdict so far, True before the first one):
    failed if any sub-check failed; passed if every one passed; else not known."""
    if before is False or state is State.FAILED:
        return False
    return before if state is State.PASSED else None


def _face_score(face: Mapping[str, Any]) -> float | None:
    """``ExtFaceInfo.faceComparisonScore``; every documented score (:data:`_FACE_SCORES`, any letter case) must be a
    number in 0-100 (:class:`~ekyc.wire.WireError` naming the first that is not)."""
    spelled = _shape(face).spelled if face else {}
    scores: list[float | None] = []
    for key, folded in _FACE_SCORE_KEYS:
        raw = face.get(key, _ABSENT)
        if raw is _ABSENT:  # another letter case (:func:`_get`)
            written = spelled.get(folded)
            raw = _ABSENT if written is None else face[written]
        if type(raw) is float and 0.0 <= raw <= 100.0:  # the usual case, exactly what wire.number returns
            scores.append(raw)
        else:
            scores.append(None if raw is _ABSENT else wire.number(raw, f"ExtFaceInfo.{key}", lo=0.0, hi=100.0))
    return scores[0]


def evidence(exts: Mapping[str, Mapping[str, Any]], *extra: Mapping[str, Any]) -> tuple[list[Evidence], Checks]:
    """Every sub-check the ``Ext*`` objects (and ``extra`` objects, e.g. ``Result`` itself) report, and the
    per-check results."""
    items: list[Evidence] = []
    by_check: dict[Check, bool | None] = {}  # a check with no sub-check has no verdict (None)
    found = _collect([*exts.values(), *extra])
    for flag in FLAGS:
        item = _flag_evidence(flag, found)
        if item is None and _required(flag, exts):
            item = _unrecognized(flag.name, NOT_REPORTED)
        if item is not None:
            items.append(item)
            if flag.check is not None:
                by_check[flag.check] = _verdict_with(by_check.get(flag.check, True), item.state)
    items += _source_evidence(exts.get("ExtSourceInfo", {}))
    score = _face_score(exts.get("ExtFaceInfo", {}))
    face_match = by_check.get(Check.FACE_MATCH)
    checks = verdicts(  # one shared Checks per three shared results
        verdict(by_check.get(Check.DOCUMENT)),
        verdict(by_check.get(Check.LIVENESS)),
        verdict(face_match, score),
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


def _status(passed: str, sub: str | None, items: list[Evidence]) -> tuple[Outcome, list[Reason], list[Reason],
                                                                          Reason | None]:
    """``(status, status reasons, warnings, fallback)`` from ``Passed`` and ``SubCode`` (and, for a decline the
    SubCode does not explain, whether a sub-check of ``items`` failed)."""
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
        if any(e.state is State.FAILED for e in items):
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
    exts = {name: load_ext(result.get(name), field) for name, field in _EXT_FIELD_NAMES}
    ident = identity(exts["ExtIdInfo"])
    # Result's own flags: its Ext* fields are strings or null by now (load_ext refused anything else), never
    # walked into, and none of their names is a flag's: Result is walked as it is
    items, checks = evidence(exts, result)
    status, status_reasons, warnings, fallback = _status(passed, sub, items)
    settled = settle(status, status_reasons, items, warnings, fallback)
    text = f"Passed={passed}" + (f",SubCode={sub}" if sub is not None else "")
    reasons = _one_per_code(settled.reasons) if len(settled.reasons) > 1 else settled.reasons
    return Decision(ref=ref, outcome=settled.outcome, reference=reference, reasons=reasons,
                    warnings=settled.warnings, identity=ident, checks=checks,
                    provider_status=text if _STATUS.fullmatch(text) else "Passed=?", raw=body)


__all__ = ["EXT_FIELDS", "decide", "evidence", "identity", "load_ext", "parse_date"]
