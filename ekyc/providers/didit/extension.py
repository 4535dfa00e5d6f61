"""**Didit-specific** operations, outside the neutral API: ``client.extension("didit")``.

Each method builds a :class:`~ekyc.provider.Prepared` request and returns ``call(build, parse)``: the value
with :class:`ekyc.Client`, a coroutine with :class:`ekyc.AsyncClient`. Errors are the same typed errors as
the neutral calls. Code that uses these is tied to Didit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ekyc.errors import InvalidRequest, ProviderError
from ekyc.models import Check, SessionRef
from ekyc.provider import ExtensionCall, Prepared, RetryMode, malformed

if TYPE_CHECKING:
    from .adapter import DiditProvider

#: neutral check → Didit workflow feature (the "features" form of ``POST /v3/workflows/``)
WORKFLOW_FEATURES = {Check.DOCUMENT: "OCR", Check.LIVENESS: "LIVENESS", Check.FACE_MATCH: "FACE_MATCH"}
_FEATURE_ORDER = ("OCR", "LIVENESS", "FACE_MATCH")
NEW_STATUSES = {
    "approve": "Approved", "approved": "Approved",
    "decline": "Declined", "declined": "Declined",
    "resubmit": "Resubmitted", "resubmitted": "Resubmitted",
}
#: ``nodes_to_resubmit[].feature`` values [PKG models/session.py] [DIGEST]
_RESUBMIT = (
    "OCR OCR_BACK NFC AML FACE LIVENESS FACE_MATCH IP_ANALYSIS AGE_ESTIMATION PROOF_OF_ADDRESS PHONE_VERIFICATION "
    "EMAIL_VERIFICATION FACE_SEARCH DATABASE_VALIDATION QUESTIONNAIRE DOCUMENT_AI ID_VERIFICATION POA PHONE EMAIL"
)
RESUBMIT_FEATURES = frozenset(_RESUBMIT.split())
SESSION_FILTERS = ("vendor_data", "status", "country", "workflow_id", "session_kind", "search", "date_from",
                   "date_to")


class DiditOperations:
    """Didit-only operations (provider-specific; not portable to other providers)."""

    def __init__(self, provider: DiditProvider, call: ExtensionCall) -> None:
        self._p = provider
        self._call = call

    # -- internals ---------------------------------------------------------------------------------
    def _json(self, prepared: Prepared, response: httpx.Response) -> Any:
        data = self._p.body(response)
        if not isinstance(data, dict):
            raise ProviderError(f"malformed {prepared.operation} response", provider="didit",
                                http_status=response.status_code)
        return data

    def _run(self, method: str, path: str, operation: str, retry: RetryMode, *, body: Any = None,
             params: Mapping[str, Any] | None = None, accept: str | None = None,
             parse: Any = None) -> Any:
        def build() -> Prepared:
            return Prepared(self._p.request(method, path, body=body, params=params, accept=accept), operation, retry)

        return self._call(build, parse or self._json)

    # -- workflows ---------------------------------------------------------------------------------------
    def create_workflow(self, checks: Iterable[Check | str] = tuple(Check), *, label: str = "ekyc",
                        config: Mapping[str, Mapping[str, Any]] | None = None,
                        extra_features: Iterable[str] = ()) -> Any:
        """One-time setup: ``POST /v3/workflows/`` in the "features" form from neutral checks
        (document→OCR, liveness→LIVENESS, face_match→FACE_MATCH). ``config`` maps a Didit feature name to
        its config object. Returns the workflow object; use its ``uuid`` as ``workflow_id``."""
        wanted = {WORKFLOW_FEATURES[Check(c)] for c in checks}
        if not wanted:
            raise InvalidRequest("a workflow needs at least one check", provider="didit", field="checks")
        names = [f for f in _FEATURE_ORDER if f in wanted] + [str(f) for f in extra_features]
        cfg = dict(config or {})
        features = [{"feature": f, "config": dict(cfg.get(f, {}))} for f in names]
        body = {"workflow_label": label, "features": features}
        return self._run("POST", "/v3/workflows/", "create_workflow", RetryMode.NOT_SENT, body=body)

    def list_workflows(self) -> Any:
        """``GET /v3/workflows/`` → ``{count, next, previous, results}``."""
        return self._run("GET", "/v3/workflows/", "list_workflows", RetryMode.READ)

    # -- sessions ------------------------------------------------------------------------------------------
    def update_status(self, session: SessionRef | str, new_status: str, *, comment: str | None = None,
                      nodes_to_resubmit: Iterable[Mapping[str, str] | tuple[str, str]] | None = None,
                      send_email: bool | None = None, email_address: str | None = None,
                      email_language: str | None = None) -> Any:
        """``PATCH /v3/session/{id}/update-status/`` (approve / decline / resubmit). Returns the session id."""
        status = NEW_STATUSES.get(new_status.lower()) if isinstance(new_status, str) else None
        if status is None:
            raise InvalidRequest("new_status is approve, decline or resubmit", provider="didit", field="new_status")
        sid = self._p.session_id(session)
        body: dict[str, Any] = {"new_status": status}
        if comment is not None:
            body["comment"] = comment
        if nodes_to_resubmit is not None:
            if status != "Resubmitted":
                raise InvalidRequest("nodes_to_resubmit only goes with resubmit", provider="didit",
                                     field="nodes_to_resubmit")
            nodes = []
            for node in nodes_to_resubmit:
                node_id, feature = (node["node_id"], node["feature"]) if isinstance(node, Mapping) else node
                if feature not in RESUBMIT_FEATURES:
                    raise InvalidRequest(f"unknown resubmit feature {feature!r}", provider="didit",
                                         field="nodes_to_resubmit")
                nodes.append({"node_id": node_id, "feature": feature})
            body["nodes_to_resubmit"] = nodes
        for key, value in (("send_email", send_email), ("email_address", email_address),
                           ("email_language", email_language)):
            if value is not None:
                body[key] = value

        def parse(prepared: Prepared, response: httpx.Response) -> str:
            data = self._json(prepared, response)
            with malformed("didit", "update-status response", http_status=response.status_code):
                out = data["session_id"]
                if not isinstance(out, str):
                    raise TypeError("session_id")
                return out

        return self._run("PATCH", f"/v3/session/{sid}/update-status/", "update_status", RetryMode.NEVER,
                         body=body, parse=parse)

    def approve(self, session: SessionRef | str, comment: str | None = None) -> Any:
        """Manually approve (``update_status(..., "approve")``)."""
        return self.update_status(session, "approve", comment=comment)

    def decline(self, session: SessionRef | str, comment: str | None = None) -> Any:
        """Manually decline."""
        return self.update_status(session, "decline", comment=comment)

    def resubmit(self, session: SessionRef | str, nodes: Iterable[Mapping[str, str] | tuple[str, str]] | None = None,
                 comment: str | None = None) -> Any:
        """Ask the user to redo some steps (``nodes``: ``(node_id, feature)`` pairs; None lets Didit pick)."""
        return self.update_status(session, "resubmit", comment=comment, nodes_to_resubmit=nodes)

    def generate_pdf(self, session: SessionRef | str) -> Any:
        """``GET /v3/session/{id}/generate-pdf/`` (trailing slash kept: without it Didit redirects and drops
        the key). Returns the PDF bytes."""
        sid = self._p.session_id(session)

        def parse(prepared: Prepared, response: httpx.Response) -> bytes:
            self._p.raise_for_error(response)
            if not response.content.startswith(b"%PDF"):
                raise ProviderError("the report is not a PDF", provider="didit", http_status=response.status_code)
            return response.content

        return self._run("GET", f"/v3/session/{sid}/generate-pdf/", "generate_pdf", RetryMode.READ,
                         accept="application/pdf", parse=parse)

    def list_sessions(self, *, limit: int | None = None, offset: int | None = None, **filters: Any) -> Any:
        """``GET /v3/sessions/`` with filters (vendor_data, status, country, workflow_id, session_kind, search,
        date_from, date_to) → ``{count, next, previous, results}``."""
        unknown = sorted(set(filters) - set(SESSION_FILTERS))
        if unknown:
            raise InvalidRequest(f"unknown session filter {unknown[0]!r}", provider="didit", field=unknown[0])
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if limit is not None:
            params["limit"] = int(limit)
        if offset is not None:
            params["offset"] = int(offset)
        return self._run("GET", "/v3/sessions/", "list_sessions", RetryMode.READ, params=params)

    def arm_sandbox(self, session: SessionRef | str, scenario: str) -> Any:
        """Sandbox applications only: ``POST /v3/session/{id}/sandbox/arm/`` (while the session is Not Started)."""
        sid = self._p.session_id(session)
        return self._run("POST", f"/v3/session/{sid}/sandbox/arm/", "arm_sandbox", RetryMode.NEVER,
                         body={"scenario": scenario})

    # -- blocklist --------------------------------------------------------------------------------------
    def blocklist_add(self, session: SessionRef | str, *, face: bool = True, document: bool = True,
                      phone: bool = False, email: bool = False) -> Any:
        """``POST /v3/blocklist/add/``: block this session's face/document/phone/e-mail in future sessions."""
        body = {"session_id": self._p.session_id(session), "blocklist_face": face, "blocklist_document": document,
                "blocklist_phone": phone, "blocklist_email": email}
        return self._run("POST", "/v3/blocklist/add/", "blocklist_add", RetryMode.NOT_SENT, body=body)

    def blocklist_remove(self, session: SessionRef | str, *, face: bool = True, document: bool = True,
                         phone: bool = False, email: bool = False) -> Any:
        """``POST /v3/blocklist/remove/``."""
        body = {"session_id": self._p.session_id(session), "unblock_face": face, "unblock_document": document,
                "unblock_phone": phone, "unblock_email": email}
        return self._run("POST", "/v3/blocklist/remove/", "blocklist_remove", RetryMode.NOT_SENT, body=body)
