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
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ekyc.sandbox.emulator import Delivery, Emulator, read_form
from ekyc.sandbox.scenarios import EXPIRED_DOCUMENT_EXPIRY, PERSON

from . import signing
from .codes import (
    CODE_TABLE,
    DECISION_STATUSES,
    DEFAULT_LOG_TYPE,
    FEATURE_ARRAYS,
    RISK_FEATURE,
    RISKS,
    UNFINISHED_STATUSES,
)
from .parse import FEATURE_ARRAYS as ALL_ARRAYS

SANDBOX_API_KEY = "didit_sandbox_key_7d3f0c2a9b8e4f61"
SANDBOX_WORKFLOW_ID = "5a1d1d17-0e4c-4b6f-9d2a-00000000d1d1"
SANDBOX_WEBHOOK_SECRET = "didit_sandbox_whsec_4b9e2f7a1c6d"
SANDBOX_APPLICATION_ID = "0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e"
DEFAULT_WEBHOOK_URL = "https://app.example/webhooks/didit"
SESSION_TTL = 7 * 24 * 3600
FINAL = frozenset({"Approved", "Declined", "In Review", "Abandoned", "Expired", "Kyc Expired"})
PDF_STATUSES = frozenset({"Approved", "Declined", "In Review", "Kyc Expired"})
WORKFLOW_FEATURE_NAMES = frozenset(
    {"OCR", "NFC", "LIVENESS", "FACE_MATCH", "AML", "IP_ANALYSIS", "AGE_ESTIMATION", "PROOF_OF_ADDRESS",
     "PHONE_VERIFICATION", "EMAIL_VERIFICATION", "DATABASE_VALIDATION", "QUESTIONNAIRE", "FACE_SEARCH"}
)
_DECISION_FEATURE = {"OCR": "ID_VERIFICATION", "PROOF_OF_ADDRESS": "POA", "PHONE_VERIFICATION": "PHONE",
                     "EMAIL_VERIFICATION": "EMAIL"}
_RESUBMIT_ARRAYS = {"OCR": "id_verifications", "ID_VERIFICATION": "id_verifications", "OCR_BACK": "id_verifications",
                    "LIVENESS": "liveness_checks", "FACE": "liveness_checks", "FACE_MATCH": "face_matches",
                    "AML": "aml_screenings", "NFC": "nfc_verifications", "POA": "poa_verifications",
                    "PROOF_OF_ADDRESS": "poa_verifications", "PHONE": "phone_verifications",
                    "PHONE_VERIFICATION": "phone_verifications", "EMAIL": "email_verifications",
                    "EMAIL_VERIFICATION": "email_verifications", "DATABASE_VALIDATION": "database_validations",
                    "IP_ANALYSIS": "ip_analyses"}
#: workflow features besides OCR/LIVENESS/FACE_MATCH → the decision array reporting their item
_OTHER_ARRAYS = {"NFC": "nfc_verifications", "AML": "aml_screenings", "IP_ANALYSIS": "ip_analyses",
                 "PROOF_OF_ADDRESS": "poa_verifications", "PHONE_VERIFICATION": "phone_verifications",
                 "EMAIL_VERIFICATION": "email_verifications", "DATABASE_VALIDATION": "database_validations",
                 "QUESTIONNAIRE": "questionnaire_responses"}
_SEVERITY = {"Approved": 0, "In Review": 1, "Declined": 2}
_BAD_KEY = {"detail": "Authentication credentials were not provided or are invalid."}

#: catalog scenario → (status, [(risk, log_type)], render options)
PLANS: dict[str, tuple[str, list[tuple[str, str]], dict[str, Any]]] = {
    "approved": ("Approved", [], {}),
    "face_mismatch": ("Declined", [("LOW_FACE_MATCH_SIMILARITY", "error")], {"face_score": 22.5}),
    "liveness_spoof": ("Declined", [("LIVENESS_FACE_ATTACK", "error")], {"liveness_score": 8.1, "face": False}),
    "no_face": ("Declined", [("NO_FACE_DETECTED", "error")], {"liveness_score": None, "face": False}),
    "multiple_faces": ("Declined", [("MULTIPLE_FACES_DETECTED", "error")], {"liveness_score": 41.0, "face": False}),
    "poor_capture": ("Declined", [("LOW_FACE_QUALITY", "error")], {"liveness_score": 35.5, "face": False}),
    "document_expired": ("Declined", [("DOCUMENT_EXPIRED", "error")], {"expiry": EXPIRED_DOCUMENT_EXPIRY}),
    "document_tampered": ("Declined", [("PORTRAIT_MANIPULATION_DETECTED", "error")], {}),
    "document_unreadable": ("Declined", [("MRZ_NOT_DETECTED", "error")], {}),
    "data_mismatch": ("Declined", [], {"mismatch": True}),
    "timed_out": ("Abandoned", [], {"liveness": False, "face": False}),
    "session_expired": ("Expired", [], {"document": False, "liveness": False, "face": False}),
    "review": ("In Review", [("LOW_FACE_MATCH_SIMILARITY", "warning")], {"face_score": 58.0}),
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _valid_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - validates the port
    except ValueError:  # 'http://[::1/x': Didit answers 400 for an invalid URL, never 500
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class DiditEmulator(Emulator):
    """Didit's verification API v3 and hosted flow, in the sandbox."""

    name = "didit"
    title = "Didit"
    path_prefixes = ("/v3/", "/didit/")
    unsupported = {
        "retry_limit": "Didit documents no code for exhausting a workflow's max_retry_attempts (the OTP attempt "
                       "codes belong to phone/e-mail verification, not to the document and selfie flow)",
        "user_cancelled": "Didit has no 'user quit' status: a session the user leaves becomes Abandoned when its "
                          "time runs out, which is the timed_out scenario",
        "provider_error": "Didit reports no 'provider failed' session status: a sub-check that could not run shows "
                          "as In Review/Declined with a COULD_NOT_PERFORM_* warning",
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.api_key = SANDBOX_API_KEY
        self.webhook_secret = SANDBOX_WEBHOOK_SECRET
        self.webhook_url: str | None = DEFAULT_WEBHOOK_URL
        self._lock = threading.RLock()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}
        self._number = 0
        self._blocked: set[tuple[str, str]] = set()
        self._workflows: dict[str, dict[str, Any]] = {}
        self._add_workflow(SANDBOX_WORKFLOW_ID, "Sandbox KYC", ["OCR", "LIVENESS", "FACE_MATCH"])

    # -- wiring ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """Didit's API paths (trailing slashes) and the hosted page."""
        return [
            Route("/v3/session/", self.create, methods=["POST"]),
            Route("/v3/session/{sid}/decision/", self.decision, methods=["GET"]),
            Route("/v3/session/{sid}/update-status/", self.update_status, methods=["PATCH"]),
            Route("/v3/session/{sid}/generate-pdf/", self.generate_pdf, methods=["GET"]),
            Route("/v3/session/{sid}/sandbox/arm/", self.arm, methods=["POST"]),
            Route("/v3/sessions/", self.list_sessions, methods=["GET"]),
            Route("/v3/workflows/", self.workflows, methods=["GET", "POST"]),
            Route("/v3/blocklist/add/", self.blocklist_add, methods=["POST"]),
            Route("/v3/blocklist/remove/", self.blocklist_remove, methods=["POST"]),
            Route("/v3/blocklist/", self.blocklist_list, methods=["GET"]),
            Route("/v3/webhook/", self.webhook_config, methods=["GET", "PATCH"]),
            Route("/didit/session/{token}", self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials plus ``endpoint`` for an ekyc client."""
        return {"api_key": self.api_key, "workflow_id": SANDBOX_WORKFLOW_ID, "webhook_secret": self.webhook_secret,
                "endpoint": base_url}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Environment for Didit's SDKs / quick-start scripts."""
        return {"DIDIT_API_KEY": self.api_key, "DIDIT_BASE_URL": f"{base_url}/v3",
                "DIDIT_WORKFLOW_ID": SANDBOX_WORKFLOW_ID, "DIDIT_WEBHOOK_SECRET": self.webhook_secret}

    # -- helpers -----------------------------------------------------------------------------------
    def _add_workflow(self, wid: str, label: str, features: list[str], wtype: str = "kyc") -> dict[str, Any]:
        wf = {"uuid": wid, "workflow_id": wid, "workflow_label": label, "workflow_type": wtype, "is_default": False,
              "is_archived": False, "features": features, "is_simple_workflow": True, "is_editable": True,
              "total_price": "0.00", "min_price": "0.00", "max_price": "0.00",
              "workflow_url": f"{self.sandbox.base_url}/didit/workflow/{wid}", "max_retry_attempts": 3,
              "retry_window_days": 7, "special_add_on_prices": {}}
        self._workflows[wid] = wf
        return wf

    def _auth(self, request: Request) -> Response | None:
        if request.headers.get("x-api-key") != self.api_key:
            return JSONResponse(_BAD_KEY, status_code=403)
        return None

    async def _json(self, request: Request) -> tuple[Any, Response | None]:
        raw = await request.body()
        try:
            return (json.loads(raw) if raw else {}), None
        except (ValueError, UnicodeDecodeError):
            return None, JSONResponse({"detail": "JSON parse error."}, status_code=400)

    def _session(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            s = self._sessions.get(sid.lower())
            if s is not None:
                self._refresh(s)
            return s

    def _refresh(self, s: dict[str, Any]) -> None:
        """Apply the 7-day expiry on the sandbox clock."""
        if self.clock.now() < s["expires_ts"]:
            return
        if s["status"] == "Not Started":
            self._set_status(s, "Expired", {})
        elif s["status"] in ("In Progress", "Resubmitted"):
            self._set_status(s, "Abandoned", s["features"])

    def _set_status(self, s: dict[str, Any], status: str, features: dict[str, Any]) -> None:
        s["status"] = status
        s["features"] = features
        self._webhook(s)

    def _not_found(self) -> Response:
        return JSONResponse({"detail": "Not found."}, status_code=404)

    def _create_body(self, s: dict[str, Any]) -> dict[str, Any]:
        return {k: s[k] for k in ("session_id", "session_number", "session_token", "url", "vendor_data", "metadata",
                                  "status", "callback", "workflow_id", "workflow_version")}

    def decision_json(self, s: dict[str, Any]) -> dict[str, Any]:
        """The v3 decision object of a session (every feature array present; null until produced)."""
        wf = self._workflows.get(s["workflow_id"], {})
        d: dict[str, Any] = {
            "session_id": s["session_id"], "session_number": s["session_number"], "session_url": s["url"],
            "session_kind": "user", "status": s["status"], "environment": "sandbox",
            "workflow_id": s["workflow_id"],
            "features": [_DECISION_FEATURE.get(f, f) for f in wf.get("features", [])],
            "vendor_data": s["vendor_data"], "metadata": s["metadata"],
            "expected_details": s["expected_details"], "contact_details": s["contact_details"],
            "callback": s["callback"], "created_at": _iso(s["created_ts"]), "expires_at": _iso(s["expires_ts"]),
            "reviews": copy.deepcopy(s["reviews"]),
        }
        for array in ALL_ARRAYS:
            d[array] = copy.deepcopy(s["features"].get(array))
        return d

    def _webhook(self, s: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        now = int(self.clock.now())
        payload: dict[str, Any] = {
            "event_id": str(uuid.uuid4()), "webhook_type": "status.updated", "timestamp": now, "created_at": now,
            "application_id": SANDBOX_APPLICATION_ID, "environment": "sandbox", "session_id": s["session_id"],
            "status": s["status"], "workflow_id": s["workflow_id"], "workflow_version": s["workflow_version"],
        }
        if s["vendor_data"] is not None:
            payload["vendor_data"] = s["vendor_data"]
        if s["metadata"] is not None:
            payload["metadata"] = s["metadata"]
        if s["status"] in DECISION_STATUSES:
            payload["decision"] = self.decision_json(s)
        body, headers = signing.sign(payload, self.webhook_secret)
        self.deliver(Delivery("didit", "POST", self.webhook_url, headers, body, session_id=s["session_id"],
                              meta={"status": s["status"]}))

    # -- rendering results ---------------------------------------------------------------------------
    def _id_item(self, expiry: date | None) -> dict[str, Any]:
        dob: date = PERSON["date_of_birth"]
        today = datetime.fromtimestamp(self.clock.now(), tz=timezone.utc).date()
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        exp = expiry or PERSON["expiry_date"]
        return {
            "node_id": "feature_ocr", "status": "Approved", "document_type": "Passport", "document_subtype": None,
            "document_number": PERSON["document_number"], "personal_number": None,
            "date_of_birth": dob.isoformat(), "age": age, "expiration_date": exp.isoformat(),
            "date_of_issue": exp.replace(year=exp.year - 10).isoformat(), "issuing_state": PERSON["issuing_country"],
            "issuing_state_name": "United Kingdom", "first_name": PERSON["given_name"],
            "last_name": PERSON["family_name"], "full_name": PERSON["full_name"], "gender": PERSON["sex"],
            "nationality": PERSON["nationality"], "address": None, "formatted_address": None, "parsed_address": None,
            "place_of_birth": "LONDON", "marital_status": "UNKNOWN", "portrait_image": None, "front_image": None,
            "back_image": None, "front_video": None, "back_video": None, "full_front_image": None,
            "full_back_image": None, "verification_method": "document", "extra_fields": {},
            "mrz": {"surname": PERSON["family_name"], "name": PERSON["given_name"], "country": "GBR",
                    "nationality": "GBR", "birth_date": dob.strftime("%y%m%d"), "expiry_date": exp.strftime("%y%m%d"),
                    "sex": PERSON["sex"], "document_type": "P", "document_number": PERSON["document_number"],
                    "mrz_type": "TD3"},
            "warnings": [], "matches": [],
        }

    def _warning(self, risk: str, log_type: str, node_id: str) -> dict[str, Any]:
        entry = RISKS.get(risk)
        message = entry.message if entry else risk
        return {"feature": RISK_FEATURE.get(risk, "ID_VERIFICATION"), "risk": risk, "additional_data": None,
                "log_type": log_type, "short_description": message,
                "long_description": f"{message} (sandbox).", "node_id": node_id}

    def render(self, s: dict[str, Any], status: str, warns: list[tuple[str, str]], *, document: bool = True,
               liveness: bool = True, face: bool = True, liveness_score: float | None = 97.3,
               face_score: float | None = 91.5, expiry: date | None = None, mismatch: bool = False
               ) -> dict[str, Any]:
        """The feature arrays of a finished flow: each warning goes into its feature's item, whose status
        follows the warning's ``log_type`` (error → Declined, warning → In Review)."""
        features = set(self._workflows.get(s["workflow_id"], {}).get("features", ["OCR", "LIVENESS", "FACE_MATCH"]))
        feats: dict[str, Any] = {}
        if document and "OCR" in features:
            feats["id_verifications"] = [self._id_item(expiry)]
        if liveness and "LIVENESS" in features:
            feats["liveness_checks"] = [{
                "node_id": "feature_liveness", "status": "Approved", "method": "PASSIVE", "score": liveness_score,
                "reference_image": None, "video_url": None, "age_estimation": 33.0,
                "face_quality": 88.25, "face_luminance": 61.0, "matches": [], "warnings": []}]
        if face and "FACE_MATCH" in features:
            feats["face_matches"] = [{
                "node_id": "feature_face_match", "status": "Approved", "score": face_score,
                "source_image_session_id": None, "source_image": None, "target_image": None, "warnings": []}]
        if document and liveness:  # the flow ran to the end: every other workflow feature reports an item
            for name, array in _OTHER_ARRAYS.items():
                if name in features:
                    feats[array] = [{"node_id": f"feature_{name.lower()}", "status": "Approved", "warnings": []}]
        if mismatch:
            warns = [(code, "error") for code in self._mismatches(s)]
        for risk, log_type in warns:
            array = FEATURE_ARRAYS.get(RISK_FEATURE.get(risk, "ID_VERIFICATION"), "id_verifications")
            if not feats.get(array):
                feats[array] = [{"node_id": f"feature_{array}", "status": "Approved", "warnings": []}]
            item = feats[array][0]
            item["warnings"].append(self._warning(risk, log_type, item["node_id"]))
            target = {"error": "Declined", "warning": "In Review"}.get(log_type, "Approved")
            if _SEVERITY.get(target, 0) > _SEVERITY.get(item["status"], 0):
                item["status"] = target
        return feats

    def _mismatches(self, s: dict[str, Any]) -> list[str]:
        exp = s["expected_details"] or {}
        codes = []
        if (exp.get("first_name") not in (None, PERSON["given_name"])
                or exp.get("last_name") not in (None, PERSON["family_name"])):
            codes.append("FULL_NAME_MISMATCH_WITH_PROVIDED")
        if exp.get("date_of_birth") not in (None, PERSON["date_of_birth"].isoformat()):
            codes.append("DOB_MISMATCH_WITH_PROVIDED")
        if exp.get("gender") not in (None, PERSON["sex"]):
            codes.append("GENDER_MISMATCH_WITH_PROVIDED")
        return codes or ["FULL_NAME_MISMATCH_WITH_PROVIDED"]

    def plan(self, s: dict[str, Any], choice: tuple[str, str], log_type: str | None = None
             ) -> tuple[str, dict[str, Any]]:
        """The final status and feature arrays for a catalog scenario ``("scenario", name)`` or a Didit code
        ``("code", status-or-risk)``."""
        kind, value = choice
        if kind == "scenario":
            status, warns, opts = PLANS[value]
            return status, self.render(s, status, warns, **opts)
        if CODE_TABLE.get("status", value) is not None:
            if value in ("Approved", "Kyc Expired", "Declined", "In Review"):
                return value, self.render(s, value, [])
            if value == "Abandoned":
                return value, self.render(s, value, [], liveness=False, face=False)
            return value, {}
        lt = log_type or DEFAULT_LOG_TYPE[value]
        status = {"error": "Declined", "warning": "In Review"}.get(lt, "Approved")
        return status, self.render(s, status, [(value, lt)])

    def _choice(self, scenario: Any, code: Any) -> tuple[str, str] | None:
        if isinstance(scenario, str) and scenario:
            return ("scenario", scenario) if scenario in PLANS and self.supports(scenario) else None
        if isinstance(code, str) and code and (CODE_TABLE.get("status", code) is not None or code in RISKS):
            return ("code", code)
        return None

    # -- API: sessions ---------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        """``POST /v3/session/``."""
        if (denied := self._auth(request)) is not None:
            return denied
        data, bad = await self._json(request)
        if bad is not None:
            return bad
        if not isinstance(data, dict):
            return JSONResponse({"detail": "Invalid data. Expected a dictionary."}, status_code=400)
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
        if data.get("sandbox_scenario") is not None:
            armed = self._choice(data["sandbox_scenario"], None) or self._choice(None, data["sandbox_scenario"])
            if armed is None:
                errors["sandbox_scenario"] = ["Unknown sandbox scenario."]
        if errors:
            return JSONResponse(errors, status_code=400)
        wid = str(wid).lower()
        now = self.clock.now()
        with self._lock:
            if vendor is not None:
                for s in self._sessions.values():
                    self._refresh(s)
                    if s["vendor_data"] == vendor and s["workflow_id"] == wid and s["status"] in UNFINISHED_STATUSES:
                        s["callback"] = data.get("callback", s["callback"])
                        if "metadata" in data:
                            s["metadata"] = data["metadata"]
                        return JSONResponse(self._create_body(s), status_code=201)
            self._number += 1
            sid = str(uuid.uuid4())
            token = self.token(9)
            s = {
                "session_id": sid, "session_number": self._number, "session_token": token,
                "url": f"{self.sandbox.base_url}/didit/session/{token}", "vendor_data": vendor,
                "metadata": data.get("metadata"), "callback": data.get("callback"),
                "callback_method": data.get("callback_method") or "initiator", "workflow_id": wid,
                "workflow_version": 1, "status": "Not Started", "created_ts": now, "expires_ts": now + SESSION_TTL,
                "expected_details": data.get("expected_details"), "contact_details": data.get("contact_details"),
                "language": data.get("language"), "has_portrait_image": bool(data.get("portrait_image")),
                "armed": armed, "features": {}, "reviews": [],
            }
            self._sessions[sid] = s
            self.record_session(sid, vendor)
            self._tokens[token] = sid
        return JSONResponse(self._create_body(s), status_code=201)

    async def decision(self, request: Request) -> Response:
        """``GET /v3/session/{id}/decision/``."""
        if (denied := self._auth(request)) is not None:
            return denied
        s = self._session(request.path_params["sid"])
        if s is None:
            return self._not_found()
        with self._lock:
            return JSONResponse(self.decision_json(s))

    async def arm(self, request: Request) -> Response:
        """``POST /v3/session/{id}/sandbox/arm/`` ``{scenario}`` (only while Not Started)."""
        if (denied := self._auth(request)) is not None:
            return denied
        data, bad = await self._json(request)
        if bad is not None:
            return bad
        s = self._session(request.path_params["sid"])
        if s is None:
            return self._not_found()
        scenario = data.get("scenario") if isinstance(data, dict) else None
        choice = self._choice(scenario, None) or self._choice(None, scenario)
        if choice is None:
            return JSONResponse({"scenario": ["Unknown sandbox scenario."]}, status_code=400)
        with self._lock:
            if s["status"] != "Not Started":
                return JSONResponse({"detail": "A session can only be armed while it is Not Started."},
                                    status_code=400)
            s["armed"] = choice
        return JSONResponse({"session_id": s["session_id"], "scenario": scenario})

    async def update_status(self, request: Request) -> Response:
        """``PATCH /v3/session/{id}/update-status/`` → ``{"session_id"}`` and a ``status.updated`` webhook."""
        if (denied := self._auth(request)) is not None:
            return denied
        data, bad = await self._json(request)
        if bad is not None:
            return bad
        s = self._session(request.path_params["sid"])
        if s is None:
            return self._not_found()
        new = data.get("new_status") if isinstance(data, dict) else None
        if new not in ("Approved", "Declined", "Resubmitted"):
            return JSONResponse({"new_status": ["Not a valid choice."]}, status_code=400)
        with self._lock:
            allowed = ({"Declined", "In Review", "Abandoned"} if new == "Resubmitted" else
                       {"Approved", "Declined", "In Review", "Kyc Expired", "Abandoned", "Resubmitted"})
            if s["status"] not in allowed:
                return JSONResponse({"detail": "Wrong Current Status"}, status_code=400)
            features = s["features"]
            if new == "Resubmitted":
                features = copy.deepcopy(features)
                nodes = data.get("nodes_to_resubmit")
                if nodes is None:
                    targets = {a for a, v in features.items()
                               if any(i.get("status") != "Approved" for i in v or [])}
                else:
                    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
                        return JSONResponse({"nodes_to_resubmit": ["Expected a list of objects."]}, status_code=400)
                    targets = set()
                    for n in nodes:
                        array = _RESUBMIT_ARRAYS.get(str(n.get("feature")))
                        if array is None:
                            return JSONResponse({"nodes_to_resubmit": ["Not a valid feature."]}, status_code=400)
                        targets.add(array)
                for array in targets:
                    features[array] = None
            comment = data.get("comment")
            s["reviews"].append({"user": "API Client", "new_status": new,
                                 "comment": comment if isinstance(comment, str) else None,
                                 "created_at": _iso(self.clock.now())})
            if new == "Resubmitted":
                s["expires_ts"] = max(s["expires_ts"], self.clock.now() + SESSION_TTL)
            self._set_status(s, new, features)
        return JSONResponse({"session_id": s["session_id"]})

    async def generate_pdf(self, request: Request) -> Response:
        """``GET /v3/session/{id}/generate-pdf/`` → ``application/pdf`` (only for decided sessions)."""
        if (denied := self._auth(request)) is not None:
            return denied
        s = self._session(request.path_params["sid"])
        if s is None:
            return self._not_found()
        if s["status"] not in PDF_STATUSES:
            return JSONResponse({"detail": "You do not have permission to perform this action."}, status_code=403)
        text = (f"%PDF-1.4\n% Didit sandbox verification report\n1 0 obj << /Type /Catalog >> endobj\n"
                f"% session {s['session_id']} status {s['status']}\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        return Response(text.encode("ascii"), media_type="application/pdf")

    async def list_sessions(self, request: Request) -> Response:
        """``GET /v3/sessions/`` with filters → ``{count, next, previous, results}``."""
        if (denied := self._auth(request)) is not None:
            return denied
        q = request.query_params
        try:
            limit = min(max(int(q.get("limit", "20")), 1), 100)
            offset = max(int(q.get("offset", "0")), 0)
        except ValueError:
            return JSONResponse({"detail": "limit and offset are integers."}, status_code=400)
        with self._lock:
            rows = []
            for s in sorted(self._sessions.values(), key=lambda x: -x["session_number"]):
                self._refresh(s)
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
                             "workflow_id": s["workflow_id"], "created_at": _iso(s["created_ts"])})
        return JSONResponse(self._page(request, rows, limit, offset))

    def _page(self, request: Request, rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
        base = f"{self.sandbox.base_url}{request.url.path}"
        params = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}

        def link(off: int) -> str:
            return f"{base}?{urlencode({**params, 'limit': limit, 'offset': off})}"

        return {"count": len(rows),
                "next": link(offset + limit) if offset + limit < len(rows) else None,
                "previous": link(max(offset - limit, 0)) if offset > 0 else None,
                "results": rows[offset:offset + limit]}

    # -- API: workflows, blocklist, webhook configuration --------------------------------------------------
    async def workflows(self, request: Request) -> Response:
        """``GET``/``POST /v3/workflows/`` (the "features" form, or the flat toggles)."""
        if (denied := self._auth(request)) is not None:
            return denied
        if request.method == "GET":
            with self._lock:
                rows = list(self._workflows.values())
            return JSONResponse(self._page(request, rows, 100, 0))
        data, bad = await self._json(request)
        if bad is not None:
            return bad
        if not isinstance(data, dict):
            return JSONResponse({"detail": "Invalid data. Expected a dictionary."}, status_code=400)
        features: list[str] = []
        if "features" in data:
            raw = data["features"]
            if not isinstance(raw, list) or not raw or not all(isinstance(f, dict) for f in raw):
                return JSONResponse({"features": ["Expected a non-empty list of objects."]}, status_code=400)
            for f in raw:
                name = f.get("feature")
                if name not in WORKFLOW_FEATURE_NAMES or not isinstance(f.get("config", {}), dict):
                    return JSONResponse({"features": [f"Unknown feature {str(name)[:40]}."]}, status_code=400)
                if name == "QUESTIONNAIRE" and not f.get("config", {}).get("questionnaire_uuid"):
                    return JSONResponse({"features": ["QUESTIONNAIRE needs config.questionnaire_uuid."]},
                                        status_code=400)
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
        if (denied := self._auth(request)) is not None:
            return denied
        data, bad = await self._json(request)
        if bad is not None:
            return bad
        sid = data.get("session_id") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            return JSONResponse({"session_id": ["This field is required."]}, status_code=400)
        s = self._session(sid)
        if s is None:
            return self._not_found()
        prefix = "blocklist_" if add else "unblock_"
        result = {}
        with self._lock:
            for item in ("face", "document", "phone", "email"):
                flag = bool(data.get(prefix + item, False))
                if flag:
                    (self._blocked.add if add else self._blocked.discard)((s["session_id"], item))
                result[item] = (s["session_id"], item) in self._blocked
        return JSONResponse({"session_id": s["session_id"], "blocklisted": result})

    async def blocklist_add(self, request: Request) -> Response:
        """``POST /v3/blocklist/add/``."""
        return await self._blocklist_op(request, add=True)

    async def blocklist_remove(self, request: Request) -> Response:
        """``POST /v3/blocklist/remove/``."""
        return await self._blocklist_op(request, add=False)

    async def blocklist_list(self, request: Request) -> Response:
        """``GET /v3/blocklist/?item_type=…``."""
        if (denied := self._auth(request)) is not None:
            return denied
        kind = request.query_params.get("item_type")
        with self._lock:
            rows = [{"session_id": sid, "item_type": item} for sid, item in sorted(self._blocked)
                    if kind in (None, item)]
        return JSONResponse(self._page(request, rows, 100, 0))

    async def webhook_config(self, request: Request) -> Response:
        """``GET``/``PATCH /v3/webhook/`` (``webhook_url``, ``rotate_secret_key``)."""
        if (denied := self._auth(request)) is not None:
            return denied
        if request.method == "PATCH":
            data, bad = await self._json(request)
            if bad is not None:
                return bad
            if not isinstance(data, dict):
                return JSONResponse({"detail": "Invalid data. Expected a dictionary."}, status_code=400)
            if "webhook_url" in data:
                if data["webhook_url"] is not None and not _valid_url(data["webhook_url"]):
                    return JSONResponse({"webhook_url": ["Enter a valid URL."]}, status_code=400)
                self.webhook_url = data["webhook_url"]
            if data.get("rotate_secret_key"):
                self.webhook_secret = "whsec_" + self.token(32)[:37]
        return JSONResponse({"webhook_url": self.webhook_url, "webhook_version": "v3",
                             "secret_shared_key": self.webhook_secret, "capture_method": "both",
                             "data_retention_months": None})

    # -- the hosted page ---------------------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        """The verification page at the session ``url``: opening it starts the session; posting a
        ``scenario`` (or ``code`` [+ ``log_type``]) finishes it and redirects to the callback."""
        sid = self._tokens.get(request.path_params["token"])
        s = self._session(sid) if sid else None
        if s is None:
            return HTMLResponse("<!doctype html><title>Didit</title><p>Session not found.</p>", status_code=404)
        with self._lock:
            if s["status"] == "Not Started":
                self._set_status(s, "In Progress", {})
            if request.method == "GET":
                closed = None if s["status"] in ("In Progress", "Resubmitted") else \
                    f"This verification is finished ({s['status']})."
                armed = s["armed"]
                note = f"Sandbox: this session is armed with {armed[1]!r}." if armed else \
                    "Sandbox: pick what the verification returns."
                return self.page(title="Verify your identity", session_label=f"Session {s['session_number']}",
                                 action="", steps=["ID document", "Selfie", "Finish"], note=note, closed=closed)
        form = await read_form(request)
        with self._lock:
            if s["status"] not in ("In Progress", "Resubmitted"):
                return HTMLResponse("<!doctype html><title>Didit</title><p>This verification is finished.</p>",
                                    status_code=409)
            choice = s["armed"] or self._choice(form.get("scenario"), form.get("code"))
            log_type = form.get("log_type") or None
            if choice is None or (log_type is not None and log_type not in ("error", "warning", "information")):
                return HTMLResponse("<!doctype html><title>Didit</title><p>Unknown scenario or code.</p>",
                                    status_code=400)
            status, features = self.plan(s, choice, log_type)
            s["armed"] = None
            self._set_status(s, status, features)
            callback = s["callback"]
        if not callback:
            return HTMLResponse("<!doctype html><title>Didit</title><p>Verification finished. You can close this "
                                "window.</p>")
        sep = "&" if urlsplit(callback).query else "?"
        query = urlencode({"verificationSessionId": s["session_id"], "status": status})
        return RedirectResponse(f"{callback}{sep}{query}", status_code=303)


__all__ = ["SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET", "SANDBOX_WORKFLOW_ID", "DiditEmulator"]
