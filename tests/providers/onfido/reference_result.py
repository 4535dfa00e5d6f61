"""Onfido's result reading as it was before this round of issue 15 (``ekyc/providers/onfido/result.py`` at commit
f89decb), kept only as the reference the differential test (``test_result_equivalence.py``) compares the live reading
with. Not used by the library. One change since: the red team's three fail-opens are fixed here as in the live
reading (a clear breakdown's sub-breakdowns are read — ``_under_clear`` —, a ``consider`` check needs a report that
says consider), so the test keeps comparing everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

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
from ekyc.provider import GET_RESULT, FollowUp, Prepared, RetryMode, malformed
from ekyc.providers.onfido.adapter import API_VERSION, MAX_CHECKS, UUID_RE, OnfidoProvider, encode_json
from ekyc.providers.onfido.codes import CODE_TABLE, DOCUMENT_REPORTS, FACE_REPORTS, FINAL_RUN_STATUSES

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
        if type(node) is dict and node.get("result") in _NO_FINDING:
            if node.get("breakdown") is not None:
                info, unsure = _under_clear(family, f"{where}.{key}", node.get("breakdown"), f"{prefix}.{key}",
                                            placeholders)
                failed += info
                doubts += unsure
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


def _under_clear(family: str, where: str, under: Any, prefix: str, placeholders: bool
                 ) -> tuple[list[Evidence], list[Evidence]]:
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
    failed, doubts = _considered(family, f"{label}.breakdown", breakdown, family, placeholders)
    if result == "clear":
        out = [Evidence(label, State.PASSED)]
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
    out: list[Evidence] = []
    for i, check in enumerate(checks):
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


def _leaf(report: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = report.get("breakdown")
    for key in path:
        if not isinstance(node, dict):  # decoded JSON: an object is a dict (no ABC check)
            return {}
        node = node.get(key)
        if key != path[-1] and isinstance(node, dict):
            node = node.get("breakdown")
    return node if isinstance(node, dict) else {}


#: a breakdown's ``result`` → whether it passed (any other value: no verdict)
_VERDICT = {"clear": True, "consider": False}


def _passed(result: Any) -> bool | None:
    return _VERDICT.get(result) if isinstance(result, str) else None


def _score(value: Any, field: str) -> float | None:
    number = wire.number(value, field, lo=0, hi=1)
    return None if number is None else round(number * 100, 2)


def _checks(reports: Sequence[Mapping[str, Any]], document_ok: bool | None) -> Checks:
    face = next((r for r in reports if r.get("name") in FACE_REPORTS and r.get("status") == "complete"), None)
    if face is None:
        return Checks(document=verdict(document_ok))
    comparison = _leaf(face, "face_comparison")
    match = _leaf(face, "face_comparison", "face_match")
    authenticity = _leaf(face, "visual_authenticity")
    integrity = _leaf(face, "image_integrity")
    props = wire.opt_obj(match.get("properties"), "face_match.properties")
    face_score = _score(props.get("score"), "face_match.properties.score")
    live = _passed(authenticity.get("result"))
    if live is None and integrity.get("result") == "consider":
        live = False  # no usable capture: liveness was not established
    spoof = wire.opt_obj(face.get("properties"), "properties")
    return Checks(
        document=verdict(document_ok),
        liveness=CheckResult(passed=live, score=_score(spoof.get("score"), "properties.score")),
        face_match=CheckResult(passed=_passed(comparison.get("result")), score=face_score),
    )


_SEXES = {"Male": "M", "Female": "F", "M": "M", "F": "F"}


def identity(report: Mapping[str, Any] | None) -> Identity:
    """The person as the Document report's ``properties`` read them (empty without a document report)."""
    if report is None:
        return Identity()
    props = wire.opt_obj(report.get("properties"), "properties")
    numbers = wire.objects(props.get("document_numbers"), "properties.document_numbers")
    number = next((wire.code(n.get("value"), "document_numbers.value") for n in numbers
                   if n.get("type") == "document_number"), None)
    given = wire.text(props.get("first_name"), "properties.first_name", max_len=256)
    family = wire.text(props.get("last_name"), "properties.last_name", max_len=256)
    sex = wire.code(props.get("gender"), "properties.gender")
    doc_type = wire.code(props.get("document_type"), "properties.document_type")
    return Identity(
        given_name=given, family_name=family,
        full_name=" ".join(p for p in (given, family) if p) or None,
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
        if _family(str(report.get("name"))) == "document":
            document_report = document_report or report
            if report.get("status") == "complete":
                failing = any(e.state is State.FAILED for e in items)
                clean = all(e.state in (State.PASSED, State.INFO) for e in items)
                document_ok = False if failing else (True if clean else None)
    failed = any(e.state is State.FAILED for e in evidence)
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
        raw={"workflow_run": dict(run), "checks": [dict(c) for c in checks], "reports": [dict(r) for r in reports]},
    )


__all__ = ["DOCUMENT_TYPES", "decide", "identity", "report_evidence", "run_status"]


class ReferenceOnfido(OnfidoProvider):
    """The adapter's result requests and their reading at commit f89decb (``ekyc/providers/onfido/adapter.py``):
    its URL and header building, the workflow run, checks and reports steps, and :func:`decide` above."""

    def url(self, path: str) -> str:
        return self.base_url(f"https://api.{self.settings.region}.onfido.com") + f"/{API_VERSION}{path}"

    def request(self, method: str, path: str, *, body: Any = None,
                params: Mapping[str, str] | None = None) -> httpx.Request:
        headers = {"Authorization": f"Token token={self.settings.secret('api_token')}",
                   "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        content = None if body is None else encode_json(body)
        return httpx.Request(method, self.url(path), headers=headers, content=content, params=params)

    def listing(self, path: str, key: str, uuid: str) -> httpx.Request:
        return httpx.Request("GET", f"{self.url(path)}?{key}={uuid}", headers={
            "Authorization": f"Token token={self.settings.secret('api_token')}", "Accept": "application/json"})

    def build_result(self, ref: SessionRef) -> Prepared:
        aid, rid, placeholders = self._ids(ref)
        if rid is None:
            return Prepared(self.request("GET", "/workflow_runs", params={"applicant_id": aid}), GET_RESULT,
                            RetryMode.READ, {"placeholders": False}, ref=ref.model_copy(update={"id": aid}))
        clean = ref.model_copy(update={"id": aid, "extra": (rid, "n") if placeholders else (rid,)})
        return Prepared(self.request("GET", f"/workflow_runs/{rid}"), GET_RESULT, RetryMode.READ,
                        {"placeholders": placeholders}, ref=clean)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
        ref = prepared.require_ref()
        data = self.read(prepared, response).body
        with malformed(self.name, "workflow run", http_status=response.status_code):
            if not ref.extra:  # the applicant's runs: exactly one
                runs = wire.objects(data, "body")
                if len(runs) != 1:
                    raise wire.WireError("body", "expected the applicant's one workflow run")
                data = runs[0]
                found = wire.code(data.get("id"), "id", max_len=64)
                if found is None or not UUID_RE.fullmatch(found):
                    raise wire.WireError("id", "expected a UUID")
                ref = ref.model_copy(update={"extra": (found.lower(),)})
                prepared = Prepared(prepared.request, prepared.operation, prepared.retry, prepared.context, ref=ref)
            run = wire.obj(data, "body")
            rid = wire.code(run.get("id"), "id", max_len=64)
            if rid is None or rid.lower() != ref.extra[0]:
                raise wire.WireError("id", "does not match the request")
            aid = wire.code(run.get("applicant_id"), "applicant_id", max_len=64)
            if aid is None or aid.lower() != ref.id:
                raise wire.WireError("applicant_id", "is not the session's applicant")
            status = wire.code(run.get("status"), "status")
            if status not in FINAL_RUN_STATUSES or status in ("abandoned", "error"):
                return self._decide(ref, run, [], [], prepared)
        return FollowUp(lambda: Prepared(self.listing("/checks", "applicant_id", ref.id),
                                         GET_RESULT, RetryMode.READ, prepared.context, ref=ref),
                        self._on_checks(ref, run, prepared))

    def _decide(self, ref: SessionRef, run: Mapping[str, Any], checks: list[Mapping[str, Any]],
                reports: list[Mapping[str, Any]], prepared: Prepared) -> Decision:
        with malformed(self.name, "workflow run"):
            return decide(ref, run, checks, reports, now=self.clock(),
                          placeholders=bool(prepared.context.get("placeholders")))

    def _on_checks(self, ref: SessionRef, run: Mapping[str, Any], first: Prepared
                   ) -> Callable[[Prepared, httpx.Response], Decision | FollowUp]:
        def parse(prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
            data = self.read(prepared, response).body
            with malformed(self.name, "checks", http_status=response.status_code):
                checks = wire.objects(wire.obj(data, "body").get("checks"), "checks")
                if len(checks) > MAX_CHECKS:
                    raise wire.WireError("checks", "more checks than one workflow run makes")
                for i, check in enumerate(checks):
                    cid = wire.code(check.get("id"), f"checks[{i}].id", max_len=64)
                    if cid is None or not UUID_RE.fullmatch(cid):
                        raise wire.WireError(f"checks[{i}].id", "expected a UUID")
                    owner = wire.code(check.get("applicant_id"), f"checks[{i}].applicant_id", max_len=64)
                    if owner is not None and owner.lower() != ref.id:
                        raise wire.WireError(f"checks[{i}].applicant_id", "is another applicant")
            return self._reports_step(ref, run, checks, 0, [], first)
        return parse

    def _reports_step(self, ref: SessionRef, run: Mapping[str, Any], checks: list[Mapping[str, Any]], index: int,
                      reports: list[Mapping[str, Any]], first: Prepared) -> Decision | FollowUp:
        if index >= len(checks):
            return self._decide(ref, run, checks, reports, first)
        cid = str(checks[index]["id"]).lower()

        def parse(prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
            data = self.read(prepared, response).body
            with malformed(self.name, "reports", http_status=response.status_code):
                found = wire.objects(wire.obj(data, "body").get("reports"), "reports")
                for i, report in enumerate(found):
                    owner = wire.code(report.get("check_id"), f"reports[{i}].check_id", max_len=64)
                    if owner is not None and owner.lower() != cid:
                        raise wire.WireError(f"reports[{i}].check_id", "is another check")
            return self._reports_step(ref, run, checks, index + 1, [*reports, *found], first)

        return FollowUp(lambda: Prepared(self.listing("/reports", "check_id", cid),
                                         GET_RESULT, RetryMode.READ, first.context, ref=ref), parse)
