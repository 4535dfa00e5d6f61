"""``GetWebVerificationResultIntl`` response → :class:`~ekyc.models.Decision` (pure, strict, fail-closed).

Rules (documented in docs/providers/tencent.md, each sub-check rule with its source in the code table's
``sub_check`` kind):

- ``ErrorCode`` absent or null → ``PENDING`` (the flow has not produced a final result).
- ``ErrorCode`` is a JSON integer (the SDK documents ``int``; ``"0"``, ``0.0``, ``true`` are refused as
  malformed) looked up in the code table; an undocumented code → ``DECLINED`` with ``UNKNOWN`` (Tencent
  documents every non-zero value as a failure), the raw code kept.
- Every sub-check the payload reports becomes an :class:`~ekyc.evidence.Evidence` — each
  ``OCRResult.IsPass``, each ``WarnCardInfos`` code, the last attempt's ``ErrorCode`` /
  ``LivenessErrorCode`` / ``CompareErrorCode``, its ``LivenessInfoTag`` codes and its ``Similarity`` — read
  against what the create asked for (:class:`~.requested.Requested`: CheckMode and interrupting warnings),
  and :func:`ekyc.evidence.settle` applies the one rule: ``ErrorCode`` 0 approves only when every one of
  them passes; any doubt makes it ``REVIEW``, never ``DECLINED``.
- Next to a final failure the final code decides and explains; the last attempt's failing codes are kept
  as warnings (and in ``attempts``), the document's failing checks as reasons.
- ``Decision.reference`` is ``Extra`` as Tencent echoes it (else the reference bound into the ref); an echo
  that differs from the reference bound into the ref raises :class:`~ekyc.errors.SessionMismatch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

from ekyc import _wire as wire
from ekyc.errors import SessionMismatch
from ekyc.evidence import Evidence, State, passed, settle
from ekyc.models import (
    Attempt,
    CheckResult,
    Decision,
    Outcome,
    Reason,
    ReasonCode,
    SessionRef,
    verdict,
    verdicts,
)

from .codes import CODE_TABLE
from .identity import NO_IDENTITY, ocr_identity
from .requested import LIVENESS_MODES, OCR_MODES, Requested

_MIN_INT = -wire.MAX_INT - 1
#: the timestamps :func:`ekyc._wire.epoch` accepts end before 2200-01-01 (7,258,118,400 s), here in milliseconds
_MAX_EPOCH_MS = 7_258_118_400_000
#: the documented default pass threshold of ``Similarity``
SIMILARITY_THRESHOLD = 70.0
#: ``Extra`` is at most 1,000 characters (ApplyWebVerificationBizTokenIntl)
MAX_EXTRA = 1000
#: the longest app reference (``SessionRequest.reference``)
MAX_REFERENCE = 256


def code_reason(code: int) -> Reason:
    """The reason a non-zero result code stands for (``UNKNOWN`` when undocumented)."""
    entry = CODE_TABLE.get("result", code)
    if entry is None or entry.reason is None:
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=str(code),
                      message="undocumented Tencent result code" if entry is None else entry.message)
    return entry.to_reason()


def _rule(key: str, where: str, reason: Reason | None = None) -> Reason:
    """The reason of a ``sub_check`` rule of the code table, naming where in the payload it applies."""
    entry = CODE_TABLE.get("sub_check", key)
    assert entry is not None, key
    if reason is not None:
        return reason
    return Reason(code=entry.reason or ReasonCode.INCONSISTENT_EVIDENCE, retryable=False,
                  provider_code=where[:128], message=entry.message)


def _verdict(name: str, value: int) -> Evidence:
    """A reported result code (0 = success) as evidence."""
    if value == 0:
        return passed(name)
    entry = CODE_TABLE.get("result", value)
    if entry is None:
        return Evidence(name, State.UNKNOWN, _rule("attempt:code-not-zero", name, code_reason(value)))
    if entry.outcome in (Outcome.PENDING, Outcome.EXPIRED, Outcome.ABANDONED):
        return Evidence(name, State.UNFINISHED, entry.to_reason() if entry.reason else None)
    return Evidence(name, State.FAILED, _rule("attempt:code-not-zero", name, code_reason(value)))


def _tag(name: str, raw: Any) -> Evidence:
    tag = wire.code(raw, name, max_len=16)
    if tag is None:
        raise wire.WireError(name, "expected a string")
    entry = CODE_TABLE.get("liveness_tag", tag)
    if entry is None:
        return Evidence(name, State.UNKNOWN, Reason(code=ReasonCode.UNKNOWN, retryable=False,
                                                    provider_code=str(tag)[:128],
                                                    message="undocumented liveness info tag"))
    if entry.outcome is None:
        return Evidence(name, State.INFO, entry.to_reason())
    return Evidence(name, State.FAILED, _rule("LivenessInfoTag:declining", name, entry.to_reason()))


class _Detail(NamedTuple):
    """One ``VerificationDetail`` read strictly (immutable; a named tuple: a frozen dataclass sets each field
    through ``object.__setattr__``, on every result read — issue 15)."""

    code: int | None
    liveness: int | None
    compare: int | None
    similarity: float | None
    tags: tuple[Any, ...]
    attempt: Attempt


def _integer(detail: Mapping[str, Any], key: str, where: str) -> int | None:
    """``detail[key]`` read with :func:`ekyc._wire.integer`; the field name is built only to name a refusal (a
    plain int in range, the usual case, is exactly what ``wire.integer`` returns)."""
    value = detail.get(key)
    if value is None or (type(value) is int and _MIN_INT <= value <= wire.MAX_INT):
        return value
    return wire.integer(value, f"{where}.{key}")


def _detail(detail: Mapping[str, Any], where: str, compares: bool | None) -> _Detail:
    code = _integer(detail, "ErrorCode", where)
    live = _integer(detail, "LivenessErrorCode", where)
    comp = _integer(detail, "CompareErrorCode", where)
    sim = detail.get("Similarity")
    if type(sim) is not float or not 0.0 <= sim <= 100.0:  # else exactly what wire.number returns
        sim = wire.number(sim, f"{where}.Similarity", lo=0.0, hi=100.0)
    raw_tags = detail.get("LivenessInfoTag")
    tags = () if raw_tags is None else tuple(wire.array(raw_tags, f"{where}.LivenessInfoTag"))
    stamp = detail.get("ReqTimestamp")
    if type(stamp) is int and 0 <= stamp < _MAX_EPOCH_MS:  # exactly what wire.epoch returns for it
        at: datetime | None = datetime.fromtimestamp(stamp / 1000, tz=timezone.utc)
    else:
        at = None if stamp is None else wire.epoch(stamp, f"{where}.ReqTimestamp", millis=True)
    seq = detail.get("Seq")
    if seq is not None and (type(seq) is not str or len(seq) > 256):
        wire.text(seq, f"{where}.Seq", max_len=256)
    tag_reasons = []
    for i, raw in enumerate(tags):
        ev = _tag(f"{where}.LivenessInfoTag[{i}]", raw)
        if ev.state is not State.INFO and ev.reason is not None:
            tag_reasons.append(ev.reason)
    attempt = Attempt(
        provider_code=None if code is None else str(code),
        passed=None if code is None else code == 0,
        liveness=verdict(None if live is None else live == 0),
        face_match=_face_match(compares, comp, sim),
        reasons=(code_reason(code), *tag_reasons) if code is not None and code != 0 else tuple(tag_reasons),
        at=at,
    )
    return _Detail(code, live, comp, sim, tags, attempt)


def _face_match(compares: bool | None, comp: int | None, sim: float | None) -> CheckResult:
    """An attempt's face match: no verdict where the CheckMode compares no face; else passed when ``CompareErrorCode``
    is 0, with the ``Similarity`` score (one shared result per scored value, :func:`ekyc.models.verdict`; without a
    score it is built as before, its score set to None)."""
    if compares is False:
        return verdict(None)
    passed = None if comp is None else comp == 0
    return CheckResult(passed=passed, score=None) if sim is None else verdict(passed, sim)


def _attempt_evidence(last: _Detail | None, where: str, requested: Requested) -> list[Evidence]:
    """The last attempt's sub-checks (and its absence where the CheckMode runs liveness)."""
    if last is None:
        if requested.check_mode in LIVENESS_MODES:
            return [Evidence("VerificationDetailList", State.UNKNOWN,
                             _rule("VerificationDetailList:missing", "VerificationDetailList"))]
        return []
    out: list[Evidence] = []
    mode, compares = requested.check_mode, requested.compares
    codes = (("ErrorCode", last.code), ("LivenessErrorCode", last.liveness), ("CompareErrorCode", last.compare))
    needed = (True, mode is None or mode in LIVENESS_MODES, compares is True)
    for (field, value), required in zip(codes, needed, strict=True):
        if required and value is None:
            out.append(Evidence(f"{where}.{field}", State.UNKNOWN, _rule("attempt:not-reported", f"{where}.{field}")))
    if compares is True and last.similarity is None:
        out.append(Evidence(f"{where}.Similarity", State.UNKNOWN,
                            _rule("attempt:not-reported", f"{where}.Similarity")))
    for field, value in codes:
        if value is not None:
            out.append(_verdict(f"{where}.{field}", value))
    for i, raw in enumerate(last.tags):
        out.append(_tag(f"{where}.LivenessInfoTag[{i}]", raw))
    if last.similarity is not None and compares is not False:
        name = f"{where}.Similarity"
        if last.similarity >= SIMILARITY_THRESHOLD:
            out.append(passed(name))
        elif compares:
            out.append(Evidence(name, State.FAILED, _rule("Similarity:below-70", name)))
        else:
            out.append(Evidence(name, State.UNKNOWN, _rule("Similarity:mode-unknown", name)))
    return out


def _document_evidence(ocrs: list[Mapping[str, Any]], requested: Requested) -> list[Evidence]:
    """Each ``OCRResult``'s ``IsPass`` and ``WarnCardInfos`` (and their absence where the CheckMode reads one)."""
    if not ocrs:
        if requested.check_mode in OCR_MODES:
            return [Evidence("OCRResult", State.UNKNOWN, _rule("OCRResult:missing", "OCRResult"))]
        return []
    out: list[Evidence] = []
    for n, ocr in enumerate(ocrs):
        where = f"OCRResult[{n}]"
        is_pass = wire.boolean(ocr.get("IsPass"), f"{where}.IsPass")
        warned: list[Evidence] = []
        for i, raw in enumerate(wire.array(ocr.get("WarnCardInfos"), f"{where}.WarnCardInfos")):
            name = f"{where}.WarnCardInfos[{i}]"
            code = wire.integer(raw, name)
            if code is None:
                raise wire.WireError(name, "expected an integer")
            entry = CODE_TABLE.get("warn_card", code)
            if entry is None:
                warned.append(Evidence(name, State.UNKNOWN, _rule(
                    "WarnCardInfos:undocumented", name, Reason(
                        code=ReasonCode.UNKNOWN, retryable=False, provider_code=str(code),
                        message="undocumented document warning"))))
            elif entry.outcome is None:
                warned.append(Evidence(name, State.INFO, entry.to_reason()))
            elif is_pass is True and not requested.interrupts(code):
                warned.append(Evidence(name, State.INFO, _rule("WarnCardInfos:not-selected", name,
                                                               entry.to_reason())))
            else:
                warned.append(Evidence(name, State.FAILED, _rule("WarnCardInfos:interrupting", name,
                                                                 entry.to_reason())))
        if is_pass is True:
            out.append(passed(f"{where}.IsPass"))
        else:
            explained = next((e.reason for e in warned if e.state is not State.INFO), None)
            out.append(Evidence(f"{where}.IsPass", State.FAILED if is_pass is False else State.UNKNOWN,
                                _rule("IsPass:not-true", f"{where}.IsPass", explained)))
        out += warned
    return out


def _document_verdict(evidence: list[Evidence]) -> bool | None:
    """The document's verdict from its sub-checks: failed when any failed, passed when each passed or is
    informational, else none (also when there are none)."""
    if not evidence:
        return None
    passed: bool | None = True
    for e in evidence:
        state = e.state
        if state is State.FAILED:
            return False
        if state is not State.PASSED and state is not State.INFO:
            passed = None
    return passed


def decide(ref: SessionRef, resp: Mapping[str, Any], requested: Requested) -> Decision:
    """The normalized decision for one ``Response`` object (shape errors raise :class:`~ekyc._wire.WireError`)."""
    code = wire.integer(resp.get("ErrorCode"), "ErrorCode")
    wire.text(resp.get("ErrorMsg"), "ErrorMsg")
    extra = wire.code(resp.get("Extra"), "Extra", max_len=MAX_EXTRA) or None
    if extra is not None and ref.reference is not None and extra != ref.reference:
        raise SessionMismatch("the result's Extra is not the reference bound to this session", provider="tencent",
                              field="Extra")
    # a reference is at most 256 characters (SessionRequest.reference): a longer Extra was not set by us
    echoed = extra if extra is not None and len(extra) <= MAX_REFERENCE else None
    raw_details = wire.objects(resp.get("VerificationDetailList"), "VerificationDetailList")
    ocrs = wire.objects(resp.get("OCRResult"), "OCRResult")

    details = [_detail(d, f"VerificationDetailList[{i}]", requested.compares) for i, d in enumerate(raw_details)]
    attempts = tuple(d.attempt for d in details)
    last = details[-1] if details else None
    attempt_ev = _attempt_evidence(last, f"VerificationDetailList[{len(details) - 1}]", requested)
    document_ev = _document_evidence(ocrs, requested)

    identity = NO_IDENTITY  # the first OCR result that names the person, else the last one read
    for i, ocr in enumerate(ocrs):
        identity = ocr_identity(ocr, f"OCRResult[{i}]")
        if identity.full_name is not None or not identity.is_empty():  # a name is kept as given: not empty
            break

    billable: bool | None = None
    status_reasons: list[Reason] = []
    if code is None:
        status = Outcome.PENDING
    else:
        entry = CODE_TABLE.get("result", code)
        if entry is None or entry.outcome is None:
            status, status_reasons = Outcome.DECLINED, [code_reason(code)]
        else:
            status, billable = entry.outcome, entry.billed
            status_reasons = [entry.to_reason()] if entry.reason is not None else []
    if status is Outcome.APPROVED:
        settled = settle(status, status_reasons, [*document_ev, *attempt_ev])
    else:  # the final code decides: the last attempt's codes only say how that attempt went
        context = [e.as_reason() for e in attempt_ev
                   if e.state is not State.PASSED and (e.state is not State.INFO or e.reason is not None)]
        settled = settle(status, status_reasons, document_ev, context)

    liveness = last.attempt.liveness if last else verdict(None)
    face_match = last.attempt.face_match if last else verdict(None)
    checks = verdicts(verdict(_document_verdict(document_ev)) if ocrs else verdict(None), liveness, face_match)
    completed_at = last.attempt.at if settled.outcome.is_final and last is not None else None
    return Decision(
        ref=ref,
        outcome=settled.outcome,
        reference=echoed if echoed is not None else ref.reference,
        reasons=settled.reasons,
        warnings=settled.warnings,
        identity=identity,
        checks=checks,
        attempts=attempts,
        provider_status=None if code is None else str(code),
        billable=billable,
        completed_at=completed_at,
        raw=dict(resp),
    )
