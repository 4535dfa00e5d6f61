"""The Didit sandbox emulator: API v3 (``x-api-key``), the hosted page, the callback redirect and webhooks
signed exactly as Didit signs them.

Faithful to the wire where the references say so: trailing-slash paths, ``{"detail": …}`` errors, 403 for a
bad or missing key, 201 on create (also when the unfinished session of the same ``vendor_data`` is handed
back), plural feature arrays with warning objects keyed by ``risk``, status transitions
(Not Started → In Progress when the page is opened → final; 7-day expiry on the sandbox clock),
``status.updated`` webhooks (decision included for Approved/Declined/In Review/Abandoned) with
``X-Signature``, ``X-Signature-V2``, ``X-Signature-Simple``, ``X-Timestamp`` and Didit's User-Agent.
Where the references are silent (blocklist responses, the sandbox scenario names) the shapes are ours and
listed in ``NOTES.md``.

This module is the API; the state and webhooks are in :mod:`.emulator_state`, the hosted page in
:mod:`.emulator_page`, the decision payloads in :mod:`.emulator_render`.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox.emulator import Refusal, read_json
from ekyc.sandbox.scenarios import SCENARIOS

from .codes import UNFINISHED_STATUSES
from .emulator_page import PAGE_PATH, DiditHostedPage
from .emulator_render import PLANS, iso
from .emulator_state import (
    LIVE_APP_API_KEY,
    SANDBOX_API_KEY,
    SANDBOX_WEBHOOK_SECRET,
    SANDBOX_WORKFLOW_ID,
    SESSION_TTL,
)

PDF_STATUSES = frozenset({"Approved", "Declined", "In Review", "Kyc Expired"})
BLOCKLIST_ITEMS = ("face", "document", "phone", "email")
#: the refusal of a sandbox feature on a live-mode application (Didit documents sandbox scenarios for sandbox
#: applications only; what a live application answers is not documented — source unknown, refused here)
LIVE_APP_SCENARIO = "Sandbox scenarios are available to sandbox applications only."
#: current statuses update-status accepts [DOCS:sessions-api/update-status]
UPDATABLE = frozenset({"Approved", "Declined", "In Review", "Kyc Expired", "Abandoned", "Resubmitted"})
#: features whose resubmission runs with no user step [DOCS:sessions-api/update-status]
BACKEND_FEATURES = frozenset({"AML", "DATABASE_VALIDATION", "IP_ANALYSIS"})
#: seconds within which the same backend-only resubmission is refused with 429 [DOCS:sessions-api/update-status]
BACKEND_RESUBMIT_WINDOW = 30
WORKFLOW_FEATURE_NAMES = frozenset(
    {"OCR", "NFC", "LIVENESS", "FACE_MATCH", "AML", "IP_ANALYSIS", "AGE_ESTIMATION", "PROOF_OF_ADDRESS",
     "PHONE_VERIFICATION", "EMAIL_VERIFICATION", "DATABASE_VALIDATION", "QUESTIONNAIRE", "FACE_SEARCH"}
)
_RESUBMIT_ARRAYS = {"OCR": "id_verifications", "ID_VERIFICATION": "id_verifications", "OCR_BACK": "id_verifications",
                    "LIVENESS": "liveness_checks", "FACE": "liveness_checks", "FACE_MATCH": "face_matches",
                    "AML": "aml_screenings", "NFC": "nfc_verifications", "POA": "poa_verifications",
                    "PROOF_OF_ADDRESS": "poa_verifications", "PHONE": "phone_verifications",
                    "PHONE_VERIFICATION": "phone_verifications", "EMAIL": "email_verifications",
                    "EMAIL_VERIFICATION": "email_verifications", "DATABASE_VALIDATION": "database_validations",
                    "IP_ANALYSIS": "ip_analyses"}
_NOT_A_DICT = "Invalid data. Expected a dictionary."


def _valid_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - validates the port
    except ValueError:  # 'http://[::1/x': Didit answers 400 for an invalid URL, never 500
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def _json(request: Request) -> Any:
    """The JSON body (``{}`` when empty); HTTP 400 ``JSON parse error.`` otherwise."""
    return await read_json(request, Refusal("parse_error", "JSON parse error.", status=400), empty={})


async def _object(request: Request) -> dict[str, Any]:
    """The JSON body, which must be an object."""
    data = await _json(request)
    if not isinstance(data, dict):
        raise Refusal("invalid", _NOT_A_DICT)
    return data


class DiditEmulator(DiditHostedPage):
    """Didit's verification API v3 and hosted flow, in the sandbox."""

    path_prefixes = ("/v3/", "/v1/sandbox/", "/didit/")
    unsupported = {
        "retry_limit": "Didit documents no code for exhausting a workflow's max_retry_attempts (the OTP attempt "
                       "codes belong to phone/e-mail verification, not to the document and selfie flow)",
        "user_cancelled": "Didit has no 'user quit' status: a session the user leaves becomes Abandoned when its "
                          "time runs out, which is the timed_out scenario",
        "provider_error": "Didit reports no 'provider failed' session status: a sub-check that could not run shows "
                          "as In Review/Declined with a COULD_NOT_PERFORM_* warning",
    }

    # -- wiring ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """Didit's API paths (trailing slashes, every one behind ``x-api-key``) and the hosted page."""
        api = self.api_route
        return [
            api("/v3/session/", self.create, methods=["POST"]),
            api("/v3/session/{sid}/decision/", self.decision, methods=["GET"]),
            api("/v3/session/{sid}/update-status/", self.update_status, methods=["PATCH"]),
            api("/v3/session/{sid}/generate-pdf/", self.generate_pdf, methods=["GET"]),
            api("/v3/session/{sid}/sandbox/arm/", self.arm, methods=["POST"]),
            api("/v3/session/{sid}/delete/", self.delete_session, methods=["DELETE"]),
            api("/v1/sandbox/scenarios/", self.scenario_catalog, methods=["GET"]),
            api("/v3/sessions/", self.list_sessions, methods=["GET"]),
            api("/v3/workflows/", self.workflows, methods=["GET", "POST"]),
            api("/v3/blocklist/add/", self.blocklist_add, methods=["POST"]),
            api("/v3/blocklist/remove/", self.blocklist_remove, methods=["POST"]),
            api("/v3/blocklist/", self.blocklist_list, methods=["GET"]),
            api("/v3/webhook/", self.webhook_config, methods=["GET", "PATCH"]),
            self.page_route(PAGE_PATH, self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials plus ``endpoint`` for an ekyc client."""
        return {"api_key": self.api_key, "workflow_id": SANDBOX_WORKFLOW_ID, "webhook_secret": self.webhook_secret,
                "endpoint": base_url, "environment": "sandbox"}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Environment for Didit's SDKs / quick-start scripts."""
        return {"DIDIT_API_KEY": self.api_key, "DIDIT_BASE_URL": f"{base_url}/v3",
                "DIDIT_WORKFLOW_ID": SANDBOX_WORKFLOW_ID, "DIDIT_WEBHOOK_SECRET": self.webhook_secret}

    @staticmethod
    def _create_body(s: dict[str, Any]) -> dict[str, Any]:
        return {k: s[k] for k in ("session_id", "session_number", "session_token", "url", "vendor_data", "metadata",
                                  "status", "callback", "workflow_id", "workflow_version")}

    def _page(self, request: Request, rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
        base = f"{self.sandbox.base_url}{request.url.path}"
        params = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}

        def link(off: int) -> str:
            return f"{base}?{urlencode({**params, 'limit': limit, 'offset': off})}"

        return {"count": len(rows),
                "next": link(offset + limit) if offset + limit < len(rows) else None,
                "previous": link(max(offset - limit, 0)) if offset > 0 else None,
                "results": rows[offset:offset + limit]}

    # -- API: sessions ---------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        """``POST /v3/session/``."""
        data = await _object(request)
        errors: dict[str, list[str]] = {}
        wid = data.get("workflow_id")
        if not wid:
            errors["workflow_id"] = ["This field is required."]
        elif not isinstance(wid, str) or wid.lower() not in self._workflows:
            errors["workflow_id"] = ["Workflow not found."]
        vendor = data.get("vendor_data")
        if vendor is not None and not isinstance(vendor, str):
            errors["vendor_data"] = ["Not a valid string."]
        if data.get("callback") is not None and not _valid_url(data["callback"]):
            errors["callback"] = ["Enter a valid URL."]
        if data.get("callback_method") not in (None, "initiator", "completer", "both"):
            errors["callback_method"] = ["Not a valid choice."]
        for key in ("expected_details", "contact_details"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                errors[key] = ["Expected a dictionary."]
        armed = None
        environment = self.environment_of(request) or "sandbox"
        if data.get("sandbox_scenario") is not None:
            armed = self.scenario(data["sandbox_scenario"])
            if environment != "sandbox":
                errors["sandbox_scenario"] = [LIVE_APP_SCENARIO]
            elif armed is None:
                errors["sandbox_scenario"] = ["Unknown sandbox scenario."]
        if errors:
            return JSONResponse(errors, status_code=400)
        wid = str(wid).lower()
        now = self.clock.now()
        with self._lock:
            if vendor is not None:
                for s in self.sessions_now():
                    if (s["vendor_data"] == vendor and s["workflow_id"] == wid and s["environment"] == environment
                            and s["status"] in UNFINISHED_STATUSES):
                        s["callback"] = data.get("callback", s["callback"])
                        if "metadata" in data:
                            s["metadata"] = data["metadata"]
                        return JSONResponse(self._create_body(s), status_code=201)
            sid = str(uuid.uuid4())
            token = self.token(9)
            s = {
                "session_id": sid, "session_number": self.next_number(), "session_token": token,
                "url": f"{self.sandbox.base_url}/didit/session/{token}", "vendor_data": vendor,
                "metadata": data.get("metadata"), "callback": data.get("callback"),
                "callback_method": data.get("callback_method") or "initiator", "workflow_id": wid,
                "workflow_version": 1, "status": "Not Started", "created_ts": now, "expires_ts": now + SESSION_TTL,
                "expected_details": data.get("expected_details"), "contact_details": data.get("contact_details"),
                "language": data.get("language"), "has_portrait_image": bool(data.get("portrait_image")),
                "armed": armed, "features": {}, "reviews": [], "environment": environment,
            }
            self.open_session(sid, s, reference=vendor, link=token)
        return JSONResponse(self._create_body(s), status_code=201)

    async def decision(self, request: Request) -> Response:
        """``GET /v3/session/{id}/decision/``."""
        s = self.find_for(request, request.path_params["sid"])
        with self._lock:
            return JSONResponse(self.decision_json(s))

    async def arm(self, request: Request) -> Response:
        """``POST /v3/session/{id}/sandbox/arm/`` ``{scenario}`` (only while Not Started)."""
        data = await _json(request)
        s = self.find_for(request, request.path_params["sid"])
        scenario = data.get("scenario") if isinstance(data, dict) else None
        if s["environment"] != "sandbox":
            raise Refusal("invalid", LIVE_APP_SCENARIO)
        chosen = self.scenario(scenario)
        if chosen is None:
            raise Refusal("invalid", "Unknown sandbox scenario.", field="scenario")
        with self._lock:
            if s["status"] != "Not Started":
                raise Refusal("invalid", "A session can only be armed while it is Not Started.")
            s["armed"] = chosen
        return JSONResponse({"session_id": s["session_id"], "scenario": scenario})

    def scenario(self, name: Any) -> Any:
        """What a ``sandbox_scenario`` / arm ``scenario`` names: an ekyc catalog name (an alias kept for every
        provider's sandbox) or a Didit status or risk code; None for anything else. Didit's own scenario names
        are not in our sources (NOTES.md), so none is invented."""
        return self.choice(name, None) or self.choice(None, name)

    async def scenario_catalog(self, request: Request) -> Response:
        """``GET /v1/sandbox/scenarios/`` (authenticated like any call) [DOCS:integration/sandbox-testing]: what
        ``sandbox_scenario`` and the arm endpoint accept here. Didit documents the endpoint, not its body: this
        shape is ours (NOTES.md)."""
        if self.environment_of(request) != "sandbox":
            raise Refusal("invalid", LIVE_APP_SCENARIO)
        rows = []
        for name, (status, warns, _) in PLANS.items():
            if self.supports(name):
                rows.append({"scenario": name, "status": status, "risks": [r for r, _ in warns],
                             "description": SCENARIOS[name].description})
        return JSONResponse({"environment": "sandbox", "scenarios": rows,
                             "codes": "any Didit session status or risk code is also accepted as a scenario"})

    async def update_status(self, request: Request) -> Response:
        """``PATCH /v3/session/{id}/update-status/`` → ``{"session_id"}`` and a ``status.updated`` webhook.

        As documented [DOCS:sessions-api/update-status]: ``new_status`` is Approved, Declined or Resubmitted
        (anything else, In Review included, 400); the current status must be one of :data:`UPDATABLE` (else
        400 ``Wrong Current Status``); Approved/Declined on a session already in that status is a no-op (200,
        nothing changes, no webhook); Resubmitted on a Resubmitted session is 400; ``nodes_to_resubmit`` is
        required with Resubmitted; a resubmission of backend-only features (AML, DATABASE_VALIDATION,
        IP_ANALYSIS) runs at once and the session goes back to a decided status with no user step, and the
        same one again within 30 s is 429 with ``Retry-After``."""
        data = await _json(request)
        s = self.find_for(request, request.path_params["sid"])
        new = data.get("new_status") if isinstance(data, dict) else None
        if new not in ("Approved", "Declined", "Resubmitted"):
            raise Refusal("invalid", "Not a valid choice.", field="new_status")
        with self._lock:
            if s["status"] not in UPDATABLE:
                raise Refusal("invalid", "Wrong Current Status")
            if new == s["status"]:
                if new == "Resubmitted":
                    raise Refusal("invalid", "The new status is the same as the current status.")
                return JSONResponse({"session_id": s["session_id"]})  # documented no-op: no webhook, no e-mail
            features = s["features"]
            arrays: set[str] = set()
            if new == "Resubmitted":
                arrays, backend_only = self._resubmit_targets(data.get("nodes_to_resubmit"))
                if backend_only:
                    return self._backend_resubmit(s, arrays, data)
                features = copy.deepcopy(features)
                for array in arrays:
                    features[array] = None
            self._review(s, new, data.get("comment"))
            if new == "Resubmitted":
                s["expires_ts"] = max(s["expires_ts"], self.clock.now() + SESSION_TTL)
            self.set_status(s, new, features)
        return JSONResponse({"session_id": s["session_id"]})

    def _review(self, s: dict[str, Any], new: str, comment: Any) -> None:
        s["reviews"].append({"user": "API Client", "new_status": new,
                             "comment": comment if isinstance(comment, str) else None,
                             "created_at": iso(self.clock.now())})

    def _backend_resubmit(self, s: dict[str, Any], arrays: set[str], data: dict[str, Any]) -> Response:
        """A resubmission of backend-only features: re-run at once (the sandbox's mocks give the same result), so
        the session is Resubmitted and then back to its decided status; the same request within 30 s is 429."""
        key = (s["session_id"], tuple(sorted(arrays)))
        now = self.clock.now()
        last = self._backend_runs.get(key)
        if last is not None and now - last < BACKEND_RESUBMIT_WINDOW:
            wait = str(int(BACKEND_RESUBMIT_WINDOW - (now - last)) + 1)
            raise Refusal("throttled", "Request was throttled.", status=429, headers={"Retry-After": wait})
        self._backend_runs[key] = now
        decided, features = s["status"], s["features"]
        self._review(s, "Resubmitted", data.get("comment"))
        self.set_status(s, "Resubmitted", features)
        self.set_status(s, decided, features)
        return JSONResponse({"session_id": s["session_id"]})

    @staticmethod
    def _resubmit_targets(nodes: Any) -> tuple[set[str], bool]:
        """The feature arrays ``nodes_to_resubmit`` clears (required with Resubmitted; the KYB-only nodes are
        refused), and whether they are backend-only features."""
        if nodes is None or nodes == []:
            raise Refusal("invalid", "This field is required when new_status is Resubmitted.",
                          field="nodes_to_resubmit")
        if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
            raise Refusal("invalid", "Expected a list of objects.", field="nodes_to_resubmit")
        targets = set()
        for n in nodes:
            array = _RESUBMIT_ARRAYS.get(str(n.get("feature")))
            if array is None or not isinstance(n.get("node_id"), str):
                raise Refusal("invalid", "Not a valid feature.", field="nodes_to_resubmit")
            targets.add(array)
        backend_only = all(str(n.get("feature")) in BACKEND_FEATURES for n in nodes)
        return targets, backend_only

    async def delete_session(self, request: Request) -> Response:
        """``DELETE /v3/session/{id}/delete/``: the session, its decision, its link and its blocklist entries
        are gone (404 after), no webhook fires; 200 with the documented body [DOCS:sessions-api/delete-session]
        (the emulator keeps no face embeddings: ``face_retention_outcome`` is always ``deleted``)."""
        s = self.find_for(request, request.path_params["sid"])
        with self._lock:
            self.store.pop(s["session_id"])
            self.links.pop(s["session_token"])
            self._blocked = {(sid, item) for sid, item in self._blocked if sid != s["session_id"]}
        return JSONResponse({"session_id": s["session_id"], "session_number": s["session_number"],
                             "face_retention_outcome": "deleted", "biometric_template_uuid": None,
                             "biometric_template_expires_at": None, "deleted_child_verifications": 0})

    async def generate_pdf(self, request: Request) -> Response:
        """``GET /v3/session/{id}/generate-pdf/`` → ``application/pdf`` (only for decided sessions)."""
        s = self.find_for(request, request.path_params["sid"])
        if s["status"] not in PDF_STATUSES:
            raise Refusal("permission_denied", "You do not have permission to perform this action.", status=403)
        text = (f"%PDF-1.4\n% Didit sandbox verification report\n1 0 obj << /Type /Catalog >> endobj\n"
                f"% session {s['session_id']} status {s['status']}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        return Response(text.encode("ascii"), media_type="application/pdf")

    async def list_sessions(self, request: Request) -> Response:
        """``GET /v3/sessions/`` with filters → ``{count, next, previous, results}``."""
        q = request.query_params
        try:
            limit = min(max(int(q.get("limit", "20")), 1), 100)
            offset = max(int(q.get("offset", "0")), 0)
        except ValueError:
            raise Refusal("invalid", "limit and offset are integers.") from None
        environment = self.environment_of(request) or "sandbox"
        with self._lock:
            rows = []
            for s in sorted(self.sessions_now(), key=lambda x: -x["session_number"]):
                if s["environment"] != environment:
                    continue  # the other application's sessions
                if q.get("vendor_data") and s["vendor_data"] != q["vendor_data"]:
                    continue
                if q.get("status") and s["status"] != q["status"]:
                    continue
                if q.get("workflow_id") and s["workflow_id"] != q["workflow_id"].lower():
                    continue
                if q.get("country") and (s["expected_details"] or {}).get("country") != q["country"]:
                    continue
                rows.append({"session_id": s["session_id"], "session_number": s["session_number"],
                             "status": s["status"], "vendor_data": s["vendor_data"],
                             "workflow_id": s["workflow_id"], "created_at": iso(s["created_ts"])})
        return JSONResponse(self._page(request, rows, limit, offset))

    # -- API: workflows, blocklist, webhook configuration --------------------------------------------------
    async def workflows(self, request: Request) -> Response:
        """``GET``/``POST /v3/workflows/`` (the "features" form, or the flat toggles)."""
        if request.method == "GET":
            with self._lock:
                rows = list(self._workflows.values())
            return JSONResponse(self._page(request, rows, 100, 0))
        data = await _object(request)
        features: list[str] = []
        if "features" in data:
            raw = data["features"]
            if not isinstance(raw, list) or not raw or not all(isinstance(f, dict) for f in raw):
                raise Refusal("invalid", "Expected a non-empty list of objects.", field="features")
            for f in raw:
                name = f.get("feature")
                if name not in WORKFLOW_FEATURE_NAMES or not isinstance(f.get("config", {}), dict):
                    raise Refusal("invalid", f"Unknown feature {str(name)[:40]}.", field="features")
                if name == "QUESTIONNAIRE" and not f.get("config", {}).get("questionnaire_uuid"):
                    raise Refusal("invalid", "QUESTIONNAIRE needs config.questionnaire_uuid.", field="features")
                features.append(name)
        else:
            features = ["OCR"]
            for flag, name in (("is_liveness_enabled", "LIVENESS"), ("is_face_match_enabled", "FACE_MATCH"),
                               ("is_aml_enabled", "AML"), ("is_nfc_enabled", "NFC")):
                if data.get(flag):
                    features.append(name)
        label = str(data.get("workflow_label") or "Untitled workflow")
        wtype = str(data.get("workflow_type") or "kyc")
        with self._lock:
            wf = self._add_workflow(str(uuid.uuid4()), label, features, wtype)
        return JSONResponse(wf, status_code=201)

    async def _blocklist_op(self, request: Request, add: bool) -> Response:
        """Add or remove: ``{"message"}`` (the documented response key [DOCS:management-api/blocklist/add];
        its wording and any other key are not documented — ours)."""
        data = await _json(request)
        sid = data.get("session_id") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            raise Refusal("invalid", "This field is required.", field="session_id")
        s = self.find_for(request, sid)
        prefix = "blocklist_" if add else "unblock_"
        changed = []
        with self._lock:
            for item in BLOCKLIST_ITEMS:
                if data.get(prefix + item, False) is True:
                    (self._blocked.add if add else self._blocked.discard)((s["session_id"], item))
                    changed.append(item)
        verb = "added to" if add else "removed from"
        what = ", ".join(changed) or "nothing"
        return JSONResponse({"message": f"Session {s['session_number']}: {what} {verb} the blocklist."})

    async def blocklist_add(self, request: Request) -> Response:
        """``POST /v3/blocklist/add/``."""
        return await self._blocklist_op(request, add=True)

    async def blocklist_remove(self, request: Request) -> Response:
        """``POST /v3/blocklist/remove/``."""
        return await self._blocklist_op(request, add=False)

    async def blocklist_list(self, request: Request) -> Response:
        """``GET /v3/blocklist/?item_type=…`` → ``{count, next, previous, results}``; each entry
        ``{type, session_id, session_number}`` plus ``document_type`` / ``document_number`` for a document
        [DOCS:management-api/blocklist/list]."""
        kind = request.query_params.get("item_type")
        environment = self.environment_of(request) or "sandbox"
        with self._lock:
            rows = []
            for sid, item in sorted(self._blocked):
                s = self.store.get(sid)
                if kind not in (None, item) or s is None or s["environment"] != environment:
                    continue
                row: dict[str, Any] = {"type": item, "session_id": sid, "session_number": s.get("session_number")}
                if item == "document":
                    doc = ((s.get("features") or {}).get("id_verifications") or [{}])[0]
                    row["document_type"] = doc.get("document_type")
                    row["document_number"] = doc.get("document_number")
                rows.append(row)
        return JSONResponse(self._page(request, rows, 100, 0))

    async def webhook_config(self, request: Request) -> Response:
        """``GET``/``PATCH /v3/webhook/`` (``webhook_url``, ``rotate_secret_key``)."""
        if request.method == "PATCH":
            data = await _object(request)
            if "webhook_url" in data:
                if data["webhook_url"] is not None and not _valid_url(data["webhook_url"]):
                    raise Refusal("invalid", "Enter a valid URL.", field="webhook_url")
                self.webhook_url = data["webhook_url"]
            if data.get("rotate_secret_key"):
                self.webhook_secret = "whsec_" + self.token(32)[:37]
        return JSONResponse({"webhook_url": self.webhook_url, "webhook_version": "v3",
                             "secret_shared_key": self.webhook_secret, "capture_method": "both",
                             "data_retention_months": None})


__all__ = ["LIVE_APP_API_KEY", "SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET", "SANDBOX_WORKFLOW_ID", "DiditEmulator"]
