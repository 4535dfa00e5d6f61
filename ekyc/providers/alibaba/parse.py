"""Reading ``CheckResult``: the ``Ext*`` JSON strings, the identity, the evidence, and the decision rule.

Decision rule (fail closed):

- ``Passed=P`` → ``PENDING``.
- ``Passed=Y`` → ``APPROVED`` only when ``SubCode`` is ``200`` **and** no evidence contradicts it
  (``spoofInfo.spoofResult=Y``, ``faceAttack=Y``, ``facePassed=N``, ``ocrIdPassed=N``, or an evidence flag
  with a value other than ``Y``/``N``). Otherwise ``DECLINED`` with the evidence reasons and, when the
  SubCode is not ``200``, the SubCode's reason (``UNKNOWN`` with the raw code when the table has none).
- ``Passed=N`` → ``DECLINED``. Reasons: the evidence, plus the SubCode's reason when the table names one.
  A SubCode the table does not explain (unknown, or known without a reason) is a reason ``UNKNOWN`` when
  nothing else explains the decline, and a warning otherwise (the raw code is kept either way).
- any other ``Passed`` → ``ERROR`` with reason ``UNKNOWN``; a missing ``Passed`` is a malformed payload.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from ...countries import to_alpha3
from ...errors import ProviderError
from ...models import (
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
from .codes import CODE_TABLE, PASS_SUBCODE
from .doctypes import document_type_of

PROVIDER = "alibaba"
_SPOOF_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_EXT_FIELDS = ("ExtIdInfo", "ExtFaceInfo", "ExtBasicInfo", "ExtRiskInfo", "ExtInfo")


def load_ext(value: Any, name: str) -> dict[str, Any]:
    """An ``Ext*`` field as a dict: absent/empty → ``{}``; a JSON object string (or an object) → dict.

    Anything else (invalid JSON, a JSON array, a number) is a :class:`ProviderError` (fail closed).
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            raise ProviderError(f"malformed result: {name} is not valid JSON", provider=PROVIDER) from None
        if loaded is None:
            return {}
        if isinstance(loaded, dict):
            return loaded
    raise ProviderError(f"malformed result: {name} is not a JSON object", provider=PROVIDER)


def parse_date(value: Any) -> date | None:
    """``yyyy-MM-dd``, ``yyyy/MM/dd``, ``yyyy.MM.dd`` or ``yyyyMMdd``; None for anything else."""
    if not isinstance(value, str):
        return None
    m = _DATE.match(value) or _COMPACT_DATE.match(value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _sex(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return {"M": "M", "MALE": "M", "男": "M", "F": "F", "FEMALE": "F", "女": "F", "X": "X"}.get(text.upper())


def _score(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if 0 <= score <= 100 else None


def identity(ext_id: dict[str, Any]) -> Identity:
    """The :class:`Identity` in ``ExtIdInfo.ocrIdInfo`` (ID-card, passport and KYC_GLOBAL field styles).

    User edits (``ocrIdEditInfo``) are not applied: the OCR reading is what the document says.
    """
    info = ext_id.get("ocrIdInfo")
    if not isinstance(info, dict):
        return Identity()
    given = _text(info.get("givenname")) or _text(info.get("givenName")) or _text(info.get("firstName"))
    family = _text(info.get("surname")) or _text(info.get("lastName"))
    full = _text(info.get("name")) or _text(info.get("englishName")) or _text(info.get("fullName"))
    if full is None and (given or family):
        full = " ".join(p for p in (given, family) if p)
    number = (_text(info.get("passportNo")) or _text(info.get("idNumber")) or _text(info.get("docNo"))
              or _text(info.get("documentNumber")))
    doc_code = _text(info.get("docType")) or _text(ext_id.get("docType"))
    doc_type = document_type_of(doc_code) if doc_code else None
    if doc_type is None:
        if info.get("passportNo"):
            doc_type = DocumentType.PASSPORT
        elif info.get("idNumber"):
            doc_type = DocumentType.ID_CARD
    country = _text(info.get("countryCode")) or _text(info.get("issuingCountry"))
    nationality = _text(info.get("nationality")) or (country if doc_type is DocumentType.PASSPORT else None)
    return Identity(
        given_name=given,
        family_name=family,
        full_name=full,
        date_of_birth=parse_date(info.get("birthDate") or info.get("dateOfBirth")),
        sex=_sex(info.get("sex") or info.get("gender")),
        nationality=to_alpha3(nationality) if nationality else None,
        document_type=doc_type,
        document_number=number,
        issuing_country=to_alpha3(country) if country else None,
        expiry_date=parse_date(info.get("expiryDate") or info.get("dateOfExpiry")),
        address=_text(info.get("address")),
    )


def _flag(container: dict[str, Any], *names: str) -> tuple[str | None, bool]:
    """The Y/N value of the first present flag: ``(value, recognized)``."""
    for name in names:
        if name in container and container[name] not in (None, ""):
            value = container[name]
            if value in ("Y", "N"):
                return value, True
            return None, False
    return None, True


def evidence(ext_id: dict[str, Any], ext_face: dict[str, Any]) -> tuple[list[Reason], Checks]:
    """The failure reasons the ``Ext*`` evidence shows, and the per-check results."""
    reasons: list[Reason] = []
    unrecognized: list[str] = []

    spoof = ext_id.get("spoofInfo")
    spoof_result: str | None = None
    if spoof is not None and not isinstance(spoof, dict):
        unrecognized.append("spoofInfo")
    elif isinstance(spoof, dict):
        spoof_result, ok = _flag(spoof, "spoofResult")
        if not ok:
            unrecognized.append("spoofResult")
    if spoof_result == "Y":
        entry = CODE_TABLE.get("evidence", "ExtIdInfo.spoofInfo.spoofResult=Y")
        assert entry is not None
        raw_types = spoof.get("spoofType") if isinstance(spoof, dict) else None
        if isinstance(raw_types, str):
            raw_types = [raw_types]
        types = [t for t in raw_types if isinstance(t, str) and _SPOOF_TYPE.match(t)] if isinstance(
            raw_types, list) else []
        code = "spoofResult=Y" + (f";spoofType={','.join(types)}" if types else "")
        message = entry.message + (f" ({', '.join(types)})" if types else "")
        reasons.append(Reason(code=ReasonCode.DOCUMENT_TAMPERED, retryable=entry.retryable,
                              provider_code=code, message=message))

    ocr_passed, ok = _flag(ext_id, "ocrIdPassed")
    if not ok:
        unrecognized.append("ocrIdPassed")
    if ocr_passed == "N":
        reasons.append(_reason("ExtIdInfo.ocrIdPassed=N", "ocrIdPassed=N"))

    face_attack, ok = _flag(ext_face, "faceAttack", "FaceAttack")
    if not ok:
        unrecognized.append("faceAttack")
    if face_attack == "Y":
        reasons.append(_reason("ExtFaceInfo.faceAttack=Y", "faceAttack=Y"))

    face_passed, ok = _flag(ext_face, "facePassed", "FacePassed")
    if not ok:
        unrecognized.append("facePassed")
    if face_passed == "N":
        reasons.append(_reason("ExtFaceInfo.facePassed=N", "facePassed=N"))

    for name in unrecognized:
        reasons.append(_reason("unrecognized", f"{name}=?"))

    document: bool | None = None
    if spoof_result == "Y" or ocr_passed == "N":
        document = False
    elif ocr_passed == "Y" and spoof_result in (None, "N"):
        document = True
    checks = Checks(
        document=CheckResult(passed=document),
        liveness=CheckResult(passed=None if face_attack is None else face_attack == "N",
                             score=None),
        face_match=CheckResult(passed=None if face_passed is None else face_passed == "Y",
                               score=_score(ext_face.get("faceComparisonScore",
                                                         ext_face.get("FaceComparisonScore")))),
    )
    return reasons, checks


def _reason(code: str, provider_code: str) -> Reason:
    entry = CODE_TABLE.get("evidence", code)
    assert entry is not None
    return entry.to_reason(provider_code)


def _one_per_code(reasons: list[Reason]) -> tuple[Reason, ...]:
    """Evidence and SubCode often say the same thing (facePassed=N and SubCode 204): keep the first reason
    per normalized code; ``UNKNOWN`` reasons stay apart per raw code. (Exact duplicates are dropped by
    :class:`~ekyc.models.Decision` itself.)"""
    out: list[Reason] = []
    for r in reasons:
        if r.code is ReasonCode.UNKNOWN or all(o.code is not r.code for o in out):
            out.append(r)
    return tuple(out)

def _subcode_reason(sub: str | None) -> tuple[Reason, bool]:
    """The SubCode's reason and whether the table explains it (a known entry naming a reason)."""
    if sub is None:
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=None,
                      message="no SubCode in the result"), False
    entry = CODE_TABLE.get("subcode", sub)
    if entry is None:
        safe = sub if re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", sub) else "?"
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=safe,
                      message="SubCode not in the code table"), False
    return entry.to_reason(sub), entry.reason is not None


def decide(ref: SessionRef, body: dict[str, Any]) -> Decision:
    """The :class:`Decision` of a successful ``CheckResult`` body (``Code == "Success"``)."""
    result = body.get("Result")
    if not isinstance(result, dict):
        raise ProviderError("malformed result: Result is missing", provider=PROVIDER)
    passed = result.get("Passed")
    if not isinstance(passed, str) or not passed:
        raise ProviderError("malformed result: Result.Passed is missing", provider=PROVIDER)
    sub_raw = result.get("SubCode")
    sub = str(sub_raw) if isinstance(sub_raw, (str, int)) and not isinstance(sub_raw, bool) and str(sub_raw) \
        else None
    ext_id = load_ext(result.get("ExtIdInfo"), "ExtIdInfo")
    ext_face = load_ext(result.get("ExtFaceInfo"), "ExtFaceInfo")
    for name in _EXT_FIELDS[2:]:
        load_ext(result.get(name), name)  # validated, kept in raw only
    status = f"Passed={passed}" + (f",SubCode={sub}" if sub is not None else "")
    if not re.fullmatch(r"[A-Za-z0-9=,_.-]{1,64}", status):
        status = "Passed=?"
    ident = identity(ext_id)
    ev_reasons, checks = evidence(ext_id, ext_face)
    warnings: list[Reason] = []

    if passed == "P":
        entry = CODE_TABLE.get("passed", "P")
        assert entry is not None
        return Decision(ref=ref, outcome=Outcome.PENDING, identity=ident, checks=checks,
                        provider_status=status, raw=body)
    if passed == "Y":
        if sub == PASS_SUBCODE and not ev_reasons:
            return Decision(ref=ref, outcome=Outcome.APPROVED, identity=ident, checks=checks,
                            provider_status=status, raw=body)
        reasons = list(ev_reasons)
        if sub != PASS_SUBCODE:
            reasons.append(_subcode_reason(sub)[0])
        return Decision(ref=ref, outcome=Outcome.DECLINED, reasons=_one_per_code(reasons), identity=ident,
                        checks=checks, provider_status=status, raw=body)
    if passed == "N":
        reasons = list(ev_reasons)
        if sub == PASS_SUBCODE:
            sub_reason = Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=sub,
                                message="Passed=N with the pass SubCode 200 (contradictory)")
            explained = False
        else:
            sub_reason, explained = _subcode_reason(sub)
        if explained:
            reasons.append(sub_reason)
        elif reasons:
            warnings.append(sub_reason)
        else:
            entry = CODE_TABLE.get("passed", "N")
            assert entry is not None
            reasons.append(sub_reason if sub is not None else entry.to_reason())
        return Decision(ref=ref, outcome=Outcome.DECLINED, reasons=_one_per_code(reasons), warnings=tuple(warnings),
                        identity=ident, checks=checks, provider_status=status, raw=body)
    reason = Reason(code=ReasonCode.UNKNOWN, retryable=False,
                    provider_code=passed if re.fullmatch(r"[A-Za-z0-9]{1,8}", passed) else "?",
                    message="Passed value not in the code table")
    return Decision(ref=ref, outcome=Outcome.ERROR, reasons=(reason, *ev_reasons), identity=ident,
                    checks=checks, provider_status="Passed=?", raw=body)


__all__ = ["decide", "evidence", "identity", "load_ext", "parse_date"]
