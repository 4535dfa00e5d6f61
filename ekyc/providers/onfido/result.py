"""A workflow run, its check(s) and their reports → one :class:`~ekyc.Decision` (:func:`decide`).

The workflow run's ``status`` is Onfido's decision (code table kind ``workflow_run_status``). The reports of
the applicant's check are the evidence (:mod:`ekyc.evidence`): every report is one sub-check, PASSED when it
is ``complete`` and ``clear`` (and, for a Document report, its ``sub_result`` agrees); a ``consider`` report
gives one FAILED sub-check per ``consider`` breakdown it explains (the deepest one the code table knows), so a
decline says *why* (``document.data_validation.document_expiration`` → ``DOCUMENT_EXPIRED``). A report that
is not complete, a result the spec does not define, or fields that contradict each other are doubts: next to
``approved`` they make the decision ``REVIEW``, never ``APPROVED``.

Comparisons against the placeholder names this adapter had to send (Onfido requires an applicant's names;
its documentation allows dummy values when they are not known) say nothing about the person: they are
informational, never a decline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ekyc import _wire as wire
from ekyc.codes import CodeEntry
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
    verdict,
)

from .codes import CODE_TABLE, DOCUMENT_REPORTS, FACE_REPORTS

#: Onfido ``document_type`` values (report ``properties.document_type``) → the neutral type
DOCUMENT_TYPES = {
    "passport": DocumentType.PASSPORT,
    "national_identity_card": DocumentType.ID_CARD,
    "driving_licence": DocumentType.DRIVERS_LICENSE,
    "residence_permit": DocumentType.RESIDENCE_PERMIT,
}
#: breakdowns compared against the applicant's names (informational when those were placeholders)
NAME_COMPARISONS = frozenset({"document.data_comparison.first_name", "document.data_comparison.last_name"})
_RESULTS = ("clear", "consider")
#: breakdown results that report nothing (read as ``wire.code`` would: a plain string, or null)
_NO_FINDING = (None, "clear")


def run_status(run: Mapping[str, Any], now: float) -> tuple[str, CodeEntry | None]:
    """The run's status as the code table reads it (``link_expired`` for an awaiting run whose link expired)."""
    status = wire.code(run.get("status"), "status")
    if status is None:
        raise wire.WireError("status", "missing")
    if status == "awaiting_input":
        link = wire.opt_obj(run.get("link"), "link")
        expires = wire.iso_datetime(link.get("expires_at"), "link.expires_at")
        if expires is not None and expires.timestamp() <= now:
            return "link_expired", CODE_TABLE.get("workflow_run_status", "link_expired")
    return status, CODE_TABLE.get("workflow_run_status", status)


def _code(item: Mapping[str, Any], key: str, where: str) -> str | None:
    """``item[key]`` read with :func:`ekyc._wire.code`; the field name (``where.key``) is built only to name a
    refusal (a plain string, the usual case, is exactly what ``wire.code`` returns)."""
    value = item.get(key)
    if value is None or (type(value) is str and len(value) <= 128):
        return value
    return wire.code(value, f"{where}.{key}")


def _family(name: str) -> str:
    return "document" if name in DOCUMENT_REPORTS else name


def _rule(entry: CodeEntry | None, where: str, fallback: str) -> Reason:
    if entry is not None and entry.reason is not None:
        return entry.to_reason(where[:128])
    return Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=where[:128], message=fallback)


def _considered(family: str, where: str, tree: Mapping[str, Any], prefix: str, placeholders: bool
                ) -> tuple[list[Evidence], list[Evidence]]:
    """The ``consider`` leaves of a breakdown tree (deepest known first) and any doubt about its values."""
    failed: list[Evidence] = []
    doubts: list[Evidence] = []
    for key, node in tree.items():
        if node is None:
            continue
        # most breakdowns are objects whose result is clear (or null): only what lies under them is read further
        if type(node) is dict and node.get("result") in _NO_FINDING:
            under = node.get("breakdown")
            if under is not None and not (type(under) is dict and _all_clear(under)):  # a clear tree names nothing
                info, contradicted = _under_clear(family, f"{where}.{key}", under, f"{prefix}.{key}", placeholders)
                failed += info
                doubts += contradicted
            continue
        path = f"{where}.{key}"
        item = wire.obj(node, path)
        result = wire.code(item.get("result"), f"{path}.result")
        if result is None or result == "clear":
            continue
        if result != "consider":
            doubts.append(Evidence(path, State.UNKNOWN))
            continue
        name = f"{prefix}.{key}"
        sub = wire.opt_obj(item.get("breakdown"), f"{path}.breakdown")
        deeper, unsure = _considered(family, f"{path}.breakdown", sub, name, placeholders) if sub else ([], [])
        doubts += unsure
        if deeper:
            failed += deeper
            continue
        if placeholders and name in NAME_COMPARISONS:
            failed.append(Evidence(path, State.INFO, Reason(
                code=ReasonCode.DATA_MISMATCH, retryable=False, provider_code=name,
                message="compared with the placeholder name sent for an applicant whose name was not given")))
            continue
        entry = CODE_TABLE.get("breakdown", name)
        failed.append(Evidence(path, State.FAILED, _rule(entry, name, "an undocumented breakdown is consider")))
    return failed, doubts


def _all_clear(tree: Mapping[str, Any]) -> bool:
    """Whether every node of a breakdown tree, at any depth, is null or an object whose result is clear or null
    and whose own breakdown, if any, is an object — the usual report: nothing to name, so no path is built (any
    other tree is read by :func:`_considered`, which names what it finds)."""
    stack = [tree]
    while stack:
        for node in stack.pop().values():
            if node is None:
                continue
            if type(node) is not dict or node.get("result") not in _NO_FINDING:
                return False
            under = node.get("breakdown")
            if under is not None:
                if type(under) is not dict:
                    return False
                stack.append(under)
    return True


def _under_clear(family: str, where: str, under: Any, prefix: str, placeholders: bool
                 ) -> tuple[list[Evidence], list[Evidence]]:
    """What lies under a breakdown whose own result is clear (or null): its sub-breakdowns must agree. A
    ``consider`` among them contradicts the clear result above it — a doubt (:attr:`State.UNKNOWN`) named by
    its path, never a pass — unless it is one of our own placeholder names (kept as the :attr:`State.INFO` it
    is); a sub-breakdown that is not an object is refused (:class:`~ekyc._wire.WireError`) like any other."""
    sub = wire.opt_obj(under, f"{where}.breakdown")
    if not sub:
        return [], []
    deeper, doubts = _considered(family, f"{where}.breakdown", sub, prefix, placeholders)
    info = [e for e in deeper if e.state is State.INFO]
    return info, doubts + [Evidence(e.name, State.UNKNOWN) for e in deeper if e.state is not State.INFO]


def report_evidence(report: Mapping[str, Any], where: str, placeholders: bool) -> list[Evidence]:
    """The sub-checks one report gives (see the module docstring)."""
    name = _code(report, "name", where) or "unknown"
    status = _code(report, "status", where)
    result = _code(report, "result", where)
    sub_result = _code(report, "sub_result", where)
    breakdown = report.get("breakdown")
    if type(breakdown) is not dict:  # named only when refused
        breakdown = wire.opt_obj(breakdown, f"{where}.breakdown")
    family = _family(name)
    label = f"{where}({name})"
    if status != "complete":
        state = State.UNKNOWN if CODE_TABLE.get("report_status", status) is None else State.UNFINISHED
        return [Evidence(f"{label}.status", state)]
    failed, doubts = ([], []) if _all_clear(breakdown) else _considered(family, f"{label}.breakdown", breakdown,
                                                                        family, placeholders)
    if result == "clear":
        out = [Evidence(label, State.PASSED)]
        if not failed and not doubts and (sub_result is None or sub_result == "clear" or family != "document"):
            return out  # the usual report: complete, clear, nothing found in its breakdown
        if [e for e in failed if e.state is not State.INFO]:
            out.append(Evidence(f"{label}.result", State.UNKNOWN))  # clear, yet a breakdown is consider
        if family == "document" and sub_result not in (None, "clear"):
            out.append(Evidence(f"{label}.sub_result", State.UNKNOWN))
        return out + doubts + [e for e in failed if e.state is State.INFO]
    if result == "consider":
        real = [e for e in failed if e.state is not State.INFO]
        if real:
            return failed + doubts
        if failed and family == "document" and sub_result in (None, "clear", "caution"):
            return [Evidence(label, State.PASSED), *failed, *doubts]  # only our own placeholders differ
        if family == "document" and sub_result not in (None, "clear"):
            entry = CODE_TABLE.get("sub_result", sub_result)
            state = State.FAILED if entry is not None else State.UNKNOWN
            return [Evidence(f"{label}.sub_result", state, _rule(entry, f"sub_result.{sub_result}",
                                                                 "an undocumented sub_result")), *failed, *doubts]
        return [Evidence(label, State.FAILED, Reason(
            code=ReasonCode.UNKNOWN, retryable=False, provider_code=f"{name}.consider"[:128],
            message="the report needs consideration and no breakdown says why")), *failed, *doubts]
    return [Evidence(f"{label}.result", State.UNKNOWN), *doubts]


def _check_evidence(checks: Sequence[Mapping[str, Any]], reports_failed: bool, reports_consider: bool
                    ) -> list[Evidence]:
    """A doubt for each check that is not complete or whose result disagrees with the reports: ``clear`` while a
    report failed, ``consider`` ("a report of the check needs consideration") while no report says consider."""
    out: list[Evidence] = []
    for i, check in enumerate(checks):
        status = check.get("status")
        result = check.get("result")
        if status == "complete" and ((result == "consider" and reports_consider)
                                     or (result == "clear" and not reports_failed)):
            continue  # the usual check: complete, its result agreeing with the reports (both read as _code would)
        where = f"checks[{i}]"
        status = _code(check, "status", where)
        result = _code(check, "result", where)
        if status != "complete":
            known = CODE_TABLE.get("check_status", status) is not None
            out.append(Evidence(f"{where}.status", State.UNFINISHED if known else State.UNKNOWN))
        elif (result not in _RESULTS or (result == "clear" and reports_failed)
              or (result == "consider" and not reports_consider)):
            out.append(Evidence(f"{where}.result", State.UNKNOWN))
    return out


def _child(node: Any, key: str) -> Mapping[str, Any]:
    """``node[key]`` when ``node`` is an object and that is an object too, else ``{}`` (no verdict, no score)."""
    found = node.get(key) if isinstance(node, dict) else None  # decoded JSON: an object is a dict (no ABC check)
    return found if isinstance(found, dict) else {}


#: a breakdown's ``result`` → whether it passed (any other value: no verdict)
_VERDICT = {"clear": True, "consider": False}


def _passed(result: Any) -> bool | None:
    return _VERDICT.get(result) if isinstance(result, str) else None


def _score(value: Any, field: str) -> float | None:
    number = wire.number(value, field, lo=0, hi=1)
    return None if number is None else round(number * 100, 2)


def _checks(reports: Sequence[Mapping[str, Any]], document_ok: bool | None) -> Checks:
    for face in reports:
        if face.get("name") in FACE_REPORTS and face.get("status") == "complete":
            break
    else:
        return Checks(document=verdict(document_ok))
    breakdown = face.get("breakdown")
    comparison = _child(breakdown, "face_comparison")
    match = _child(comparison.get("breakdown"), "face_match")
    authenticity = _child(breakdown, "visual_authenticity")
    integrity = _child(breakdown, "image_integrity")
    props = wire.opt_obj(match.get("properties"), "face_match.properties")
    face_score = _score(props.get("score"), "face_match.properties.score")
    live = _passed(authenticity.get("result"))
    if live is None and integrity.get("result") == "consider":
        live = False  # no usable capture: liveness was not established
    spoof = wire.opt_obj(face.get("properties"), "properties")
    return Checks(
        document=verdict(document_ok),
        liveness=_scored(live, _score(spoof.get("score"), "properties.score")),
        face_match=_scored(_passed(comparison.get("result")), face_score),
    )


#: a face report's result without a score: the score set, as null (what this reader has always built; a dump with
#: ``exclude_unset`` shows ``"score": null``, where :func:`verdict` without a score leaves it unset). Frozen: one each
_UNSCORED = {passed: CheckResult(passed=passed, score=None) for passed in (True, False, None)}


def _scored(passed: bool | None, score: float | None) -> CheckResult:
    """``CheckResult(passed=passed, score=score)``, shared: :func:`verdict` for a score, :data:`_UNSCORED` without."""
    return _UNSCORED[passed] if score is None else verdict(passed, score)


_SEXES = {"Male": "M", "Female": "F", "M": "M", "F": "F"}


def identity(report: Mapping[str, Any] | None) -> Identity:
    """The person as the Document report's ``properties`` read them (empty without a document report)."""
    if report is None:
        return Identity()
    props = wire.opt_obj(report.get("properties"), "properties")
    numbers = wire.objects(props.get("document_numbers"), "properties.document_numbers")
    number = None
    for item in numbers:
        if item.get("type") == "document_number":
            number = wire.code(item.get("value"), "document_numbers.value")
            break
    given = wire.text(props.get("first_name"), "properties.first_name", max_len=256)
    family = wire.text(props.get("last_name"), "properties.last_name", max_len=256)
    sex = wire.code(props.get("gender"), "properties.gender")
    doc_type = wire.code(props.get("document_type"), "properties.document_type")
    return Identity(
        given_name=given, family_name=family,
        full_name=" ".join(filter(None, (given, family))) or None,
        date_of_birth=wire.iso_date(props.get("date_of_birth"), "properties.date_of_birth"),
        sex=_SEXES.get(sex or ""),
        nationality=wire.code(props.get("nationality"), "properties.nationality", max_len=8),
        document_type=DOCUMENT_TYPES.get(doc_type or "", DocumentType.OTHER if doc_type else None),
        document_number=number,
        issuing_country=wire.code(props.get("issuing_country"), "properties.issuing_country", max_len=8),
        expiry_date=wire.iso_date(props.get("date_of_expiry"), "properties.date_of_expiry"),
    )


def decide(ref: SessionRef, run: Mapping[str, Any], checks: Sequence[Mapping[str, Any]],
           reports: Sequence[Mapping[str, Any]], *, now: float, placeholders: bool = False) -> Decision:
    """The normalized decision (shape errors raise :class:`~ekyc._wire.WireError`).

    ``run`` is a ``workflow_run``; ``checks`` and ``reports`` are the applicant's (read only for a final run).
    ``placeholders``: the applicant was created with placeholder names (no expected names were given).
    """
    status, entry = run_status(run, now)
    reference = wire.code(run.get("customer_user_id"), "customer_user_id", max_len=256)
    error = wire.opt_obj(run.get("error"), "error")
    error_type = wire.code(error.get("type"), "error.type")
    status_reasons: list[Reason] = []
    if entry is None or entry.outcome is None:
        outcome = Outcome.ERROR if entry is None else Outcome.PENDING
        status_reasons = [] if entry is not None else [Reason(
            code=ReasonCode.UNKNOWN, retryable=False, provider_code=status[:128], message="undocumented status")]
    else:
        outcome = entry.outcome
        if entry.reason is not None:
            status_reasons = [entry.to_reason(status if error_type is None else f"{status}:{error_type}"[:128])]

    evidence: list[Evidence] = []
    document_ok: bool | None = None
    document_report = None
    for i, report in enumerate(reports):
        items = report_evidence(report, f"reports[{i}]", placeholders)
        evidence += items
        if report.get("name") in DOCUMENT_REPORTS:  # (report_evidence refused any name that is not a string)
            document_report = document_report or report
            if report.get("status") == "complete":
                states = [e.state for e in items]
                failing = State.FAILED in states
                clean = states.count(State.PASSED) + states.count(State.INFO) == len(states)
                document_ok = False if failing else (True if clean else None)
    failed = State.FAILED in [e.state for e in evidence]
    evidence += _check_evidence(checks, failed, any(r.get("result") == "consider" for r in reports))
    # the fallback explains only a decline or review that nothing else explains: built only for those
    fallback = Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=status[:128],
                      message="Onfido gave no report that explains the outcome") \
        if outcome in (Outcome.DECLINED, Outcome.REVIEW) else None
    settled = settle(outcome, status_reasons, evidence, fallback=fallback)
    completed: datetime | None = None
    if settled.outcome.is_final:
        completed = wire.iso_datetime(run.get("updated_at"), "updated_at")
    return Decision(
        ref=ref,
        outcome=settled.outcome,
        reference=reference,
        reasons=settled.reasons,
        warnings=settled.warnings,
        identity=identity(document_report),
        checks=_checks(reports, document_ok),
        provider_status=status,
        completed_at=completed,
        raw={"workflow_run": _plain(run), "checks": list(map(_plain, checks)), "reports": list(map(_plain, reports))},
    )


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """An object of the payload as a plain dict for ``Decision.raw``: a decoded object (a dict already, read here
    and held by nothing else) as it is, any other mapping copied."""
    return item if type(item) is dict else dict(item)


__all__ = ["DOCUMENT_TYPES", "decide", "identity", "report_evidence", "run_status"]
