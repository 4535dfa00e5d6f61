"""``GetWebVerificationResultIntl`` response → :class:`~ekyc.models.Decision` (pure, fail-closed).

Rules (documented in docs/providers/tencent.md):

- ``ErrorCode`` absent or null → ``PENDING`` (the flow has not produced a final result).
- ``ErrorCode`` is looked up in the code table; an undocumented code → ``DECLINED`` with ``UNKNOWN``
  (Tencent documents every non-zero value as a failure), the raw code kept.
- ``ErrorCode`` 0 approves **only** when nothing contradicts it: every ``OCRResult.IsPass`` true, no
  declining ``WarnCardInfos`` code, no declining ``LivenessInfoTag`` on the last attempt, the last attempt's
  ``ErrorCode``/``LivenessErrorCode``/``CompareErrorCode`` 0 (where present) and its ``Similarity`` at or
  above the documented default threshold (70). Otherwise the decision is ``DECLINED`` with the reasons
  the evidence gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ekyc.codes import CodeEntry
from ekyc.models import (
    Attempt,
    CheckResult,
    Checks,
    Decision,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    SessionRef,
)

from .codes import CODE_TABLE
from .identity import ocr_identity

#: the documented default pass threshold of ``Similarity``
SIMILARITY_THRESHOLD = 70.0


def _int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(name)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError(name)


def _list(value: Any, name: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(name)
    return value


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(name)
    return value


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError("Similarity")
    score = float(value)
    if not 0 <= score <= 100:
        raise ValueError("Similarity")
    return score


def _at(value: Any) -> datetime | None:
    ms = _int(value, "ReqTimestamp")
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def code_reason(code: int) -> Reason:
    """The reason a non-zero result code stands for (``UNKNOWN`` when undocumented)."""
    entry = CODE_TABLE.get("result", code)
    if entry is None:
        return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=str(code),
                      message="undocumented Tencent result code")
    return entry.to_reason()


def _signals(kind: str, codes: Sequence[Any]) -> tuple[list[Reason], list[Reason]]:
    """(declining reasons, informational warnings) for warning codes or liveness tags."""
    declining: list[Reason] = []
    info: list[Reason] = []
    for raw in codes:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise TypeError(kind)
        entry: CodeEntry | None = CODE_TABLE.get(kind, raw)
        if entry is None:
            declining.append(Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=str(raw),
                                    message=f"undocumented {kind.replace('_', ' ')}"))
        elif entry.outcome is Outcome.DECLINED:
            declining.append(entry.to_reason(str(raw)))
        else:
            info.append(entry.to_reason(str(raw)))
    return declining, info



def _attempt(detail: Mapping[str, Any]) -> tuple[Attempt, list[Reason], list[Reason]]:
    code = _int(detail.get("ErrorCode"), "ErrorCode")
    live = _int(detail.get("LivenessErrorCode"), "LivenessErrorCode")
    comp = _int(detail.get("CompareErrorCode"), "CompareErrorCode")
    tags_bad, tags_info = _signals("liveness_tag", _list(detail.get("LivenessInfoTag"), "LivenessInfoTag"))
    reasons = [code_reason(code)] if code not in (None, 0) else []
    attempt = Attempt(
        provider_code=None if code is None else str(code),
        passed=None if code is None else code == 0,
        liveness=CheckResult(passed=None if live is None else live == 0),
        face_match=CheckResult(passed=None if comp is None else comp == 0, score=_score(detail.get("Similarity"))),
        reasons=tuple([*reasons, *tags_bad]),
        at=_at(detail.get("ReqTimestamp")),
    )
    return attempt, tags_bad, tags_info


def decide(ref: SessionRef, resp: Mapping[str, Any]) -> Decision:
    """The normalized decision for one ``Response`` object (shape errors raise TypeError/ValueError)."""
    code = _int(resp.get("ErrorCode"), "ErrorCode")
    details = [_mapping(d, "VerificationDetailList") for d in _list(resp.get("VerificationDetailList"),
                                                                      "VerificationDetailList")]
    ocrs = [_mapping(o, "OCRResult") for o in _list(resp.get("OCRResult"), "OCRResult")]

    parsed = [_attempt(d) for d in details]
    attempts = tuple(a for a, _, _ in parsed)
    last = details[-1] if details else None
    last_attempt = attempts[-1] if attempts else None
    tags_bad, tags_info = (parsed[-1][1], parsed[-1][2]) if parsed else ([], [])

    identity = Identity()
    warn_bad: list[Reason] = []
    warn_info: list[Reason] = []
    passes: list[bool] = []
    for ocr in ocrs:
        is_pass = ocr.get("IsPass")
        if is_pass is not None and not isinstance(is_pass, bool):
            raise TypeError("IsPass")
        passes.append(is_pass is True)
        bad, info = _signals("warn_card", _list(ocr.get("WarnCardInfos"), "WarnCardInfos"))
        warn_bad += bad
        warn_info += info
        if identity.is_empty():
            identity = ocr_identity(ocr)
    document = CheckResult(passed=(all(passes) and not warn_bad) if ocrs else None)
    liveness = last_attempt.liveness if last_attempt else CheckResult()
    face_match = last_attempt.face_match if last_attempt else CheckResult()
    checks = Checks(document=document, liveness=liveness, face_match=face_match)

    evidence = [*warn_bad, *tags_bad]
    warnings = [*warn_info, *tags_info]
    billable: bool | None = None
    if code is None:
        outcome, reasons = Outcome.PENDING, []
    else:
        entry = CODE_TABLE.get("result", code)
        if entry is None or entry.outcome is None:
            outcome, reasons = Outcome.DECLINED, [code_reason(code)]
        else:
            outcome = entry.outcome
            reasons = [entry.to_reason()] if entry.reason is not None else []
            billable = entry.billed
        if outcome is Outcome.APPROVED:
            contradictions = list(evidence)
            if ocrs and not all(passes) and not warn_bad:
                contradictions.append(Reason(code=ReasonCode.UNKNOWN, retryable=False,
                                             provider_code="OCRResult.IsPass",
                                             message="the document check did not pass"))
            if last is not None:
                for field in ("ErrorCode", "LivenessErrorCode", "CompareErrorCode"):
                    sub = _int(last.get(field), field)
                    if sub not in (None, 0):
                        contradictions.append(code_reason(sub))
                score = face_match.score
                if score is not None and score < SIMILARITY_THRESHOLD:
                    contradictions.append(Reason(code=ReasonCode.FACE_MISMATCH, retryable=True,
                                                 provider_code="Similarity",
                                                 message="similarity below the documented default threshold"))
            if contradictions:
                outcome, reasons = Outcome.DECLINED, contradictions
        elif outcome is Outcome.DECLINED:
            reasons = [*reasons, *evidence]
    completed_at = last_attempt.at if outcome.is_final and last_attempt is not None else None
    return Decision(
        ref=ref,
        outcome=outcome,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        identity=identity,
        checks=checks,
        attempts=attempts,
        provider_status=None if code is None else str(code),
        billable=billable,
        completed_at=completed_at,
        raw=dict(resp),
    )
