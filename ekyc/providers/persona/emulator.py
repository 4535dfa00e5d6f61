"""The Persona sandbox emulator: the inquiry API (``/api/v1``, JSON:API, ``Authorization: Bearer``), the hosted
flow behind a one-time link with the scenario picker and the ``redirect-uri`` redirect, signed ``inquiry.*``
webhooks, the sandbox ``perform-simulate-actions`` and redaction (``DELETE /inquiries/{id}``).

Faithful where Persona's OpenAPI description (2025-12-08) and docs say: every response body and webhook body
validates against the spec (tests/providers/persona/test_oracle.py); errors are ``{"errors": [{"title",
"details"}]}`` with the spec's statuses and titles; ``Idempotency-Key`` replays the first result of a POST and
refuses the key with other parameters (409); ``Request-Id`` / ``Persona-Environment-Id`` /
``Persona-Organization-Id`` / ``RateLimit-*`` on every authenticated response; the redirect carries
``inquiry-id``, ``reference-id`` and ``status``; an inquiry expires 24 hours after creation (not started) or
after start (on the sandbox clock). Where the references are silent (the texts of some errors, the
sandbox's own ids) the values are ours and listed in ``NOTES.md``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox.emulator import Delivery, Emulator, Refusal, read_form, read_json
from ekyc.sandbox.scenarios import EXPIRED_DOCUMENT_EXPIRY, PERSON

from . import signing
from .adapter import API_PREFIX
from .codes import CHECKS, OPEN_STATUSES

SANDBOX_API_KEY = "persona_sandbox_3f9c2a7d5e1b4c8a"
SANDBOX_TEMPLATE_ID = "itmpl_EkycSandboxKyc1"
SANDBOX_TEMPLATE_VERSION_ID = "itmplv_EkycSandboxKyc1"
SANDBOX_WEBHOOK_SECRET = "wbhsec_sandbox_9d1e7c3b5a2f"
GOVERNMENT_ID_TEMPLATE = "vtmpl_EkycGovernmentId1"
SELFIE_TEMPLATE = "vtmpl_EkycSelfie1"
ENVIRONMENT_ID = "env_EkycSandbox"
ORGANIZATION_ID = "org_EkycSandbox"
DEFAULT_WEBHOOK_URL = "https://app.example/webhooks/persona"
#: inquiry lifetime before it is started / after it started (Persona's default: 24 hours)
EXPIRY_SECONDS = 24 * 3600
LINK_SECONDS = 24 * 3600
_BAD_JSON = Refusal("Bad Request", "Request body is not valid JSON", status=400)
#: the government-ID checks the sandbox template runs (names from the spec's examples)
GID_CHECKS = ("id_aamva_database_lookup", "id_age_inconsistency_detection", "id_barcode_detection",
              "id_blur_detection", "id_compromised_detection", "id_disallowed_country_detection",
              "id_disallowed_type_detection", "id_electronic_replica_detection", "id_expired_detection",
              "id_extracted_properties_detection", "id_fabrication_detection", "id_glare_detection",
              "id_inquiry_comparison", "id_mrz_detection", "id_portrait_detection", "id_tamper_detection",
              "id_unprocessable_submission_detection")
SELFIE_CHECKS = ("selfie_id_comparison", "selfie_liveness_detection", "selfie_multiple_faces_detection",
                 "selfie_pose_detection", "selfie_image_quality_detection", "selfie_glare_detection")
#: checks that do not gate their verification in the sandbox template
NOT_REQUIRED = frozenset({"id_aamva_database_lookup", "id_glare_detection", "selfie_glare_detection"})
#: checks that cannot run without a face (rendered not_applicable when a face is missing)
_NEEDS_FACE = ("selfie_id_comparison", "selfie_liveness_detection")

#: scenario → (status path after the user finishes, government-ID failed checks, selfie failed checks, options)
PLANS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], dict[str, Any]]] = {
    "approved": (("pending", "completed", "approved"), (), (), {}),
    "face_mismatch": (("pending", "failed", "declined"), (), ("selfie_id_comparison",), {}),
    "liveness_spoof": (("pending", "failed", "declined"), (), ("selfie_liveness_detection",), {"no_face": True}),
    "no_face": (("pending", "failed", "declined"), (), ("selfie_pose_detection",), {"no_face": True}),
    "multiple_faces": (("pending", "failed", "declined"), (), ("selfie_multiple_faces_detection",),
                       {"no_face": True}),
    "poor_capture": (("pending", "failed", "declined"), (), ("selfie_image_quality_detection",), {"no_face": True}),
    "document_expired": (("pending", "failed", "declined"), ("id_expired_detection",), (),
                         {"expiry": EXPIRED_DOCUMENT_EXPIRY}),
    "document_tampered": (("pending", "failed", "declined"), ("id_tamper_detection",), (), {}),
    "document_unreadable": (("pending", "failed", "declined"), ("id_unprocessable_submission_detection",), (),
                            {"no_data": True}),
    "data_mismatch": (("pending", "failed", "declined"), ("id_inquiry_comparison",), (), {}),
    "retry_limit": (("pending", "failed"), (), (), {"retries": True}),
    "timed_out": (("pending", "expired"), (), (), {"unfinished": True}),
    "session_expired": (("expired",), (), (), {"nothing": True}),
    "review": (("pending", "completed", "needs_review"), (), ("selfie_id_comparison",), {}),
}
#: inquiry status → (webhook event, the timestamp attribute it sets)
EVENTS: dict[str, tuple[str, str | None]] = {
    "pending": ("inquiry.started", "started-at"),
    "completed": ("inquiry.completed", "completed-at"),
    "failed": ("inquiry.failed", "failed-at"),
    "expired": ("inquiry.expired", "expired-at"),
    "needs_review": ("inquiry.marked-for-review", "marked-for-review-at"),
    "approved": ("inquiry.approved", "decisioned-at"),
    "declined": ("inquiry.declined", "decisioned-at"),
}
#: the events the sandbox's webhook subscribes to (Persona sends a webhook only its ``enabled-events``): every
#: inquiry event but ``inquiry.created`` — an app that dies between the create and storing its ref could not
#: apply a delivery about an inquiry it never heard of, and nothing is decided at creation
ENABLED_EVENTS = frozenset({*(e for e, _ in EVENTS.values()), "inquiry.redacted"})
SIMULATE_STATUS = {"start_inquiry": "pending", "complete_inquiry": "completed", "fail_inquiry": "failed",
                   "expire_inquiry": "expired", "mark_for_review_inquiry": "needs_review",
                   "approve_inquiry": "approved", "decline_inquiry": "declined"}
_CREATE_ATTRIBUTES = frozenset({"template-id", "inquiry-template-id", "inquiry-template-version-id", "reference-id",
                                "account-id", "creator-email-address", "theme-id", "theme-set-id", "redirect-uri",
                                "note", "fields", "tags", "initial-step-name"})
_CREATE_META = frozenset({"auto-create-account", "auto-create-account-type-id", "auto-create-account-reference-id",
                          "auto-create-inquiry-session", "auto-create-one-time-link",
                          "expiration-after-create-interval-seconds", "expiration-after-start-interval-seconds",
                          "expiration-after-resume-interval-seconds", "one-time-link-expiration-seconds"})


def iso(ts: float | None) -> str | None:
    """Persona's timestamp form (``2023-03-28T18:34:32.000Z``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int(ts * 1000) % 1000:03d}Z"


def _refuse(status: int, title: str, details: str = "") -> Refusal:
    """A Persona error: ``title`` and (when not empty) ``details`` of ``{"errors": [{…}]}``."""
    return Refusal(title, details, status=status)


class PersonaEmulator(Emulator):
    """Persona's inquiry API and hosted flow, in the sandbox."""

    name = "persona"
    title = "Persona"
    path_prefixes = (f"{API_PREFIX}/", "/persona/")
    link_missing = "This link is invalid or has expired."
    unsupported = {
        "user_cancelled": "Persona has no inquiry status for a user who quits: the inquiry stays pending until it "
                          "expires, which is the timed_out scenario (only the inquiry session is canceled)",
        "provider_error": "Persona reports no inquiry status for an internal failure: a verification that cannot "
                          "run asks the user to retry (requires_retry) or fails its checks",
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.api_key = SANDBOX_API_KEY
        self.webhook_secrets = [SANDBOX_WEBHOOK_SECRET]
        self.webhook_url: str | None = DEFAULT_WEBHOOK_URL
        #: the subscription's ``enabled-events`` (add ``"inquiry.created"`` to receive it too)
        self.enabled_events: set[str] = set(ENABLED_EVENTS)
        #: guards every inquiry record, link state and the idempotency keys
        self._lock = threading.RLock()
        self._idempotent: dict[str, tuple[str, int, bytes]] = {}

    # -- wiring ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """Persona's API paths and the hosted flow."""
        p, api = API_PREFIX, self.api_route
        return [
            api(f"{p}/inquiries", self.create, methods=["POST"]),
            api(f"{p}/inquiries/{{iid}}", self.inquiry, methods=["GET", "DELETE"]),
            api(f"{p}/inquiries/{{iid}}/generate-one-time-link", self.one_time_link, methods=["POST"]),
            api(f"{p}/inquiries/{{iid}}/perform-simulate-actions", self.simulate, methods=["POST"]),
            self.page_route("/persona/verify", self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials plus ``endpoint`` for an ekyc client."""
        return {"api_key": self.api_key, "inquiry_template_id": SANDBOX_TEMPLATE_ID,
                "webhook_secret": self.webhook_secrets[0], "endpoint": base_url}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Environment for Persona API clients and scripts."""
        return {"PERSONA_API_KEY": self.api_key, "PERSONA_API_BASE": f"{base_url}{API_PREFIX}",
                "PERSONA_INQUIRY_TEMPLATE_ID": SANDBOX_TEMPLATE_ID, "PERSONA_WEBHOOK_SECRET": self.webhook_secrets[0]}

    def fault_response(self, kind: str) -> Response:
        """Persona's 429 body and ``RateLimit-*`` headers; a plain 503."""
        if kind == "429":
            return JSONResponse({"errors": [{"title": "Rate limit exceeded", "details": "You have hit your rate "
                                             "limit of 300 requests / min."}]}, status_code=429,
                                headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"})
        return Response("Service Unavailable", status_code=503, media_type="text/plain")

    # -- helpers -----------------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return prefix + "_" + "".join(c for c in self.token(24) if c.isalnum())[:24]

    def _headers(self) -> dict[str, str]:
        return {"Request-Id": self._id("req"), "Persona-Environment-Id": ENVIRONMENT_ID,
                "Persona-Organization-Id": ORGANIZATION_ID, "RateLimit-Limit": "300", "RateLimit-Remaining": "299",
                "RateLimit-Reset": "60"}

    def _json(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=self._headers())

    # -- how Persona answers -----------------------------------------------------------------------
    async def authenticate(self, request: Request) -> None:
        """``Authorization: Bearer <key>``: otherwise 401 with Persona's title."""
        if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
            raise _refuse(401, "Must be authenticated to access this endpoint")

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """``{"errors": [{"title": code, "details": message}]}`` (no ``details`` when the message is empty); an
        authenticated request's answer carries Persona's response headers too."""
        item = {"title": refusal.code, "details": refusal.message} if refusal.message else {"title": refusal.code}
        headers = {**(self._headers() if (refusal.status or 400) != 401 else {}), **refusal.headers}
        return JSONResponse({"errors": [item]}, status_code=refusal.status or 400, headers=headers)

    def unknown_session(self, session_id: str) -> Refusal:
        """404 ``Record not found``."""
        return _refuse(404, "Record not found")

    async def _body(self, request: Request) -> Any:
        return await read_json(request, _BAD_JSON, empty={})

    def _replay(self, request: Request, raw: bytes) -> tuple[str | None, Response | None]:
        """An ``Idempotency-Key`` seen before: its first response (raises a 409 when the parameters differ)."""
        key = request.headers.get("idempotency-key")
        if not key:
            return None, None
        fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + raw).hexdigest()
        scoped = f"{request.url.path}|{key}"
        with self._lock:
            held = self._idempotent.get(scoped)
        if held is None:
            return scoped, None
        if held[0] != fingerprint:
            raise _refuse(409, "Conflict", "Idempotency-Key was used with different parameters")
        return None, Response(held[2], status_code=held[1], media_type="application/json", headers=self._headers())

    def _remember(self, scoped: str | None, request: Request, raw: bytes, response: Response) -> Response:
        if scoped is not None:
            fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + raw).hexdigest()
            with self._lock:
                self._idempotent[scoped] = (fingerprint, response.status_code, bytes(response.body))
        return response

    def find(self, iid: str) -> dict[str, Any]:
        """The inquiry ``iid``, its expiry applied; raises Persona's 404."""
        with self._lock:
            q: dict[str, Any] = self.session(iid)
            self._refresh(q)
            return q

    def _refresh(self, q: dict[str, Any]) -> None:
        """Expire an inquiry on the sandbox clock (24 h after creation, or after start once started)."""
        if q["status"] not in OPEN_STATUSES:
            return
        since = q["ts"].get("started-at") or q["ts"]["created-at"]
        if self.clock.now() >= since + EXPIRY_SECONDS:
            self._transition(q, "expired")

    def _transition(self, q: dict[str, Any], status: str) -> None:
        event, stamp = EVENTS[status]
        q["status"] = status
        if stamp is not None:
            q["ts"][stamp] = self.clock.now()
        q["ts"]["updated-at"] = self.clock.now()
        self._webhook(q, event)

    # -- rendering ---------------------------------------------------------------------------------
    def _field(self, value: Any, kind: str = "string") -> dict[str, Any]:
        return {"type": kind, "value": value}

    def inquiry_json(self, q: dict[str, Any]) -> dict[str, Any]:
        """The ``inquiry`` resource object."""
        ts = q["ts"]
        expires = None
        if q["status"] in OPEN_STATUSES:
            expires = (ts.get("started-at") or ts["created-at"]) + EXPIRY_SECONDS
        fields = q["fields"]
        rel_ver = [{"type": v["type"], "id": v["id"]} for v in q["verifications"]]
        return {
            "type": "inquiry",
            "id": q["id"],
            "attributes": {
                "status": q["status"], "reference-id": q["reference"], "note": q["note"], "behaviors": {},
                "tags": [], "creator": "API", "reviewer-comment": None,
                "created-at": iso(ts["created-at"]), "updated-at": iso(ts["updated-at"]),
                "started-at": iso(ts.get("started-at")), "expires-at": iso(expires),
                "completed-at": iso(ts.get("completed-at")), "failed-at": iso(ts.get("failed-at")),
                "marked-for-review-at": iso(ts.get("marked-for-review-at")),
                "decisioned-at": iso(ts.get("decisioned-at")), "expired-at": iso(ts.get("expired-at")),
                "redacted-at": iso(ts.get("redacted-at")),
                "previous-step-name": q["previous_step"], "next-step-name": q["next_step"],
                "fields": {
                    "name-first": self._field(fields.get("name-first")),
                    "name-last": self._field(fields.get("name-last")),
                    "birthdate": self._field(fields.get("birthdate"), "date"),
                    "email-address": self._field(fields.get("email-address")),
                    "identification-number": self._field(fields.get("identification-number")),
                },
            },
            "relationships": {
                "account": {"data": {"type": "account", "id": q["account"]}},
                "template": {"data": None},
                "inquiry-template": {"data": {"type": "inquiry-template", "id": SANDBOX_TEMPLATE_ID}},
                "inquiry-template-version": {"data": {"type": "inquiry-template-version",
                                                      "id": SANDBOX_TEMPLATE_VERSION_ID}},
                "reviewer": {"data": ({"type": "workflow-run", "id": q["reviewer"]} if q["reviewer"] else None)},
                "reports": {"data": []},
                "verifications": {"data": rel_ver},
                "sessions": {"data": [{"type": "inquiry-session", "id": s} for s in q["sessions"]]},
                "documents": {"data": []},
                "selfies": {"data": []},
            },
        }

    def verification_json(self, q: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
        """A ``verification/government-id`` or ``verification/selfie`` resource object."""
        redacted = q["ts"].get("redacted-at") is not None
        attrs: dict[str, Any] = {
            "status": v["status"], "created-at": iso(v["ts"]), "created-at-ts": int(v["ts"]),
            "submitted-at": iso(v["ts"]), "submitted-at-ts": int(v["ts"]),
            "completed-at": iso(v["ts"]) if v["status"] in ("passed", "failed") else None,
            "completed-at-ts": int(v["ts"]) if v["status"] in ("passed", "failed") else None,
            "redacted-at": iso(q["ts"].get("redacted-at")), "country-code": None if redacted else "GB", "tags": [],
            "checks": copy.deepcopy(v["checks"]),
        }
        is_gid = v["type"] == "verification/government-id"
        if is_gid:
            data = v.get("data") or {}
            person = {} if redacted else data
            attrs.update({
                "entity-confidence-score": 100 if v["status"] == "passed" else 0,
                "entity-confidence-reasons": [], "front-photo-url": None, "back-photo-url": None,
                "photo-urls": [], "selfie-photo": None, "selfie-photo-url": None, "video-url": None,
                "id-class": None if redacted else "pp", "capture-method": "upload",
                "name-first": person.get("name-first"), "name-middle": None, "name-last": person.get("name-last"),
                "name-suffix": None, "native-name-first": None, "native-name-middle": None,
                "native-name-last": None, "native-name-title": None, "birthdate": person.get("birthdate"),
                "issuing-authority": None, "issuing-subdivision": None, "nationality": person.get("nationality"),
                "document-number": None, "visa-status": None, "issue-date": person.get("issue-date"),
                "expiration-date": person.get("expiration-date"), "designations": [], "birthplace": None,
                "endorsements": None, "height": None, "sex": person.get("sex"), "restrictions": None,
                "vehicle-class": None, "identification-number": person.get("identification-number"),
                "from-reusable-persona": False,
                "address-street-1": None, "address-street-2": None, "address-city": None,
                "address-subdivision": None, "address-postal-code": None,
            })
            template = {"type": "verification-template/government-id", "id": GOVERNMENT_ID_TEMPLATE}
        else:
            attrs.update({"capture-method": "video", "center-photo-url": None, "left-photo-url": None,
                          "right-photo-url": None, "photo-urls": [], "entity-confidence-reasons": [],
                          "from-reusable-persona": False})
            template = {"type": "verification-template/selfie", "id": SELFIE_TEMPLATE}
        return {
            "type": v["type"], "id": v["id"], "attributes": attrs,
            "relationships": {
                "inquiry": {"data": {"type": "inquiry", "id": q["id"]}},
                "template": {"data": None},
                "inquiry-template-version": {"data": {"type": "inquiry-template-version",
                                                      "id": SANDBOX_TEMPLATE_VERSION_ID}},
                "inquiry-template": {"data": {"type": "inquiry-template", "id": SANDBOX_TEMPLATE_ID}},
                "transaction": {"data": None},
                "verification-template": {"data": template},
                "verification-template-version": {"data": None},
            },
        }

    def document(self, q: dict[str, Any], include: str | None) -> dict[str, Any]:
        """``{"data": inquiry, "included": [...]}`` with the relationships ``include`` names."""
        doc: dict[str, Any] = {"data": self.inquiry_json(q)}
        wanted = {p.strip() for p in (include or "").split(",") if p.strip()}
        if include is not None:
            doc["included"] = [self.verification_json(q, v) for v in q["verifications"]] \
                if "verifications" in wanted else []
        return doc

    def _webhook(self, q: dict[str, Any], event: str) -> None:
        if not self.webhook_url or event not in self.enabled_events:
            return
        now = int(self.clock.now())
        body = {"data": {"type": "event", "id": self._id("evt"), "attributes": {
            "name": event, "payload": {"data": self.inquiry_json(q), "included": []},
            "created-at": iso(self.clock.now())}}}
        raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = signing.sign(raw, self.webhook_secrets, now)
        self.deliver(Delivery("persona", "POST", self.webhook_url, headers, raw, session_id=q["id"],
                              meta={"event": event, "status": q["status"]}))

    # -- verifications -------------------------------------------------------------------------------
    def _checks(self, names: tuple[str, ...], failed: tuple[str, ...], no_face: bool = False, *,
                required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The ``checks`` of a verification: ``failed`` ones failed, the others passed (those that need a face
        not applicable when ``no_face``); ``required`` overrides the template's ``not_required`` ones."""
        out = []
        for name in names:
            status = "failed" if name in failed else "passed"
            reasons: list[str] = []
            if no_face and name in _NEEDS_FACE and name not in failed:
                status, reasons = "not_applicable", ["no_face"]
            requirement = "not_required" if name in NOT_REQUIRED and name not in required else "required"
            out.append({"name": name, "status": status, "reasons": reasons, "requirement": requirement,
                        "metadata": {}})
        return out

    def _add(self, q: dict[str, Any], vtype: str, status: str, checks: list[dict[str, Any]],
             data: dict[str, Any] | None = None) -> None:
        q["verifications"].append({"type": vtype, "id": self._id("ver"), "status": status, "checks": checks,
                                   "data": data, "ts": self.clock.now() + len(q["verifications"]) * 0.001})

    def _person(self, expiry: date | None = None) -> dict[str, Any]:
        exp = expiry or PERSON["expiry_date"]
        dob: date = PERSON["date_of_birth"]
        return {"name-first": PERSON["given_name"], "name-last": PERSON["family_name"], "birthdate": dob.isoformat(),
                "nationality": "GB", "sex": PERSON["sex"], "identification-number": PERSON["document_number"],
                "expiration-date": exp.isoformat(), "issue-date": exp.replace(year=exp.year - 10).isoformat()}

    def play(self, q: dict[str, Any], scenario: str) -> None:
        """Render a catalog scenario: the verifications the user produced and the status path with webhooks."""
        path, gid_failed, selfie_failed, opts = PLANS[scenario]
        if not opts.get("nothing") and not opts.get("unfinished"):
            if opts.get("retries"):
                for _ in range(3):
                    self._add(q, "verification/government-id", "requires_retry", [])
            else:
                gid_status = "failed" if gid_failed else "passed"
                data = None if opts.get("no_data") else self._person(opts.get("expiry"))
                self._add(q, "verification/government-id", gid_status, self._checks(GID_CHECKS, gid_failed), data)
                self._add(q, "verification/selfie", "failed" if selfie_failed else "passed",
                          self._checks(SELFIE_CHECKS, selfie_failed, bool(opts.get("no_face"))))
        elif opts.get("unfinished"):
            self._add(q, "verification/government-id", "initiated", [])
        for status in path:
            if status in ("approved", "declined"):
                q["reviewer"] = self._id("wfr")
            self._transition(q, status)
        q["previous_step"], q["next_step"] = ("verification_selfie", "success" if q["status"] != "failed"
                                              else "fail")

    def play_code(self, q: dict[str, Any], code: str | None, status: str | None) -> bool:
        """Render one exact code: a failed check by name (declined), or an inquiry status with passing checks."""
        if code is not None:
            entry = CHECKS.get(code)
            if entry is None:
                return False
            gid = (code,) if entry.kind == "check.government_id" else ()
            selfie = (code,) if entry.kind == "check.selfie" else ()
            self._add(q, "verification/government-id", "failed" if gid else "passed",
                      self._checks((*GID_CHECKS, *gid) if gid and code not in GID_CHECKS else GID_CHECKS, gid,
                                   required=gid), self._person())
            self._add(q, "verification/selfie", "failed" if selfie else "passed",
                      self._checks((*SELFIE_CHECKS, *selfie) if selfie and code not in SELFIE_CHECKS
                                   else SELFIE_CHECKS, selfie, required=selfie))
            for s in ("pending", "failed", "declined"):
                self._transition(q, s)
            return True
        if status is None or status not in EVENTS or status == "pending":
            return False
        self._add(q, "verification/government-id", "passed", self._checks(GID_CHECKS, ()), self._person())
        self._add(q, "verification/selfie", "passed", self._checks(SELFIE_CHECKS, ()))
        self._transition(q, "pending")
        self._transition(q, status)
        return True

    # -- API ---------------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        """``POST /api/v1/inquiries`` → 201 ``{data, meta}`` (``meta.one-time-link`` when asked for)."""
        raw = await request.body()
        scoped, replay = self._replay(request, raw)
        if replay is not None:
            return replay
        body = await self._body(request)
        self._check_create(body)
        attrs = body["data"]["attributes"]
        meta = body.get("meta") or {}
        key = next(k for k in ("inquiry-template-id", "inquiry-template-version-id", "template-id") if attrs.get(k))
        if attrs[key] not in (SANDBOX_TEMPLATE_ID, SANDBOX_TEMPLATE_VERSION_ID):
            raise _refuse(404, "Record not found", f"data.attributes.{key} is not found")
        now = self.clock.now()
        q: dict[str, Any] = {
            "id": self._id("inq"), "status": "created", "reference": attrs.get("reference-id"),
            "note": attrs.get("note"), "redirect": attrs.get("redirect-uri"),
            "fields": dict(attrs.get("fields") or {}), "ts": {"created-at": now, "updated-at": now},
            "verifications": [], "sessions": [], "account": self._id("act"), "reviewer": None,
            "previous_step": None, "next_step": "start", "links": {},
        }
        with self._lock:
            self.open_session(q["id"], q, reference=q["reference"])
            self._webhook(q, "inquiry.created")
            out_meta: dict[str, Any] = {"session-token": None, "one-time-link": None, "one-time-link-short": None}
            if meta.get("auto-create-one-time-link"):
                seconds = meta.get("one-time-link-expiration-seconds") or LINK_SECONDS
                out_meta["one-time-link"], out_meta["one-time-link-short"] = self._link(q, seconds)
            response = self._json({"data": self.inquiry_json(q), "meta": out_meta}, 201)
        return self._remember(scoped, request, raw, response)

    def _check_create(self, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise _refuse(400, "Bad Request", "data must be an object")
        attrs = body["data"].get("attributes")
        if not isinstance(attrs, dict):
            raise _refuse(400, "Bad Request", "data.attributes is missing")
        for key in attrs:
            if key not in _CREATE_ATTRIBUTES:
                raise _refuse(400, "Bad Request", f"data.attributes.{key} is not allowed")
        ids = [k for k in ("inquiry-template-id", "inquiry-template-version-id", "template-id") if attrs.get(k)]
        if len(ids) != 1:
            raise _refuse(400, "Bad Request", "data.attributes.inquiry-template-id is missing")
        for key in ("reference-id", "redirect-uri", "note", *ids):
            if attrs.get(key) is not None and not isinstance(attrs[key], str):
                raise _refuse(400, "Bad Request", f"data.attributes.{key} must be a string")
        if attrs.get("fields") is not None and not isinstance(attrs["fields"], dict):
            raise _refuse(400, "Bad Request", "data.attributes.fields must be an object")
        uri = attrs.get("redirect-uri")
        if uri is not None and not urlsplit(uri).scheme:
            raise _refuse(422, "Unprocessable entity", "Redirect uri is invalid")
        meta = body.get("meta")
        if meta is not None:
            if not isinstance(meta, dict) or any(k not in _CREATE_META for k in meta):
                raise _refuse(400, "Bad Request", "meta has an unknown key")
            seconds = meta.get("one-time-link-expiration-seconds")
            if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0):
                raise _refuse(400, "Bad Request", "meta.one-time-link-expiration-seconds must be a positive integer")

    def _link(self, q: dict[str, Any], seconds: int) -> tuple[str, str]:
        """A new one-time link to ``q`` (the link store forgets it after ``seconds`` of the sandbox clock)."""
        code = self.token(18)
        self.links.put(code, q["id"], ttl=seconds)
        q["links"][code] = "issued"
        url = f"{self.sandbox.base_url}/persona/verify?{urlencode({'code': code})}"
        return url, url

    async def inquiry(self, request: Request) -> Response:
        """``GET /api/v1/inquiries/{id}`` (``?include=verifications``) and ``DELETE`` (redaction)."""
        q = self.find(request.path_params["iid"])
        include = request.query_params.get("include")
        with self._lock:
            if request.method == "DELETE":
                if q["ts"].get("redacted-at") is not None:
                    raise _refuse(409, "Conflict", "Inquiry already redacted")
                q["ts"]["redacted-at"] = self.clock.now()
                q["fields"] = {}
                self._webhook(q, "inquiry.redacted")
            return self._json(self.document(q, include))

    async def one_time_link(self, request: Request) -> Response:
        """``POST /api/v1/inquiries/{id}/generate-one-time-link`` → ``{data, meta: {one-time-link, …-short}}``."""
        raw = await request.body()
        scoped, replay = self._replay(request, raw)
        if replay is not None:
            return replay
        body = await self._body(request)
        q = self.find(request.path_params["iid"])
        meta = body.get("meta") if isinstance(body, dict) else None
        seconds = meta.get("expires-in-seconds", LINK_SECONDS) if isinstance(meta, dict) else LINK_SECONDS
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            raise _refuse(400, "Bad Request", "meta.expires-in-seconds must be greater than 0")
        with self._lock:
            if q["status"] not in OPEN_STATUSES:
                raise _refuse(422, "Unprocessable entity", "Inquiry is not in a resumable state")
            url, short = self._link(q, seconds)
            response = self._json({"data": self.inquiry_json(q), "meta": {"one-time-link": url,
                                                                          "one-time-link-short": short}})
        return self._remember(scoped, request, raw, response)

    async def simulate(self, request: Request) -> Response:
        """``POST /api/v1/inquiries/{id}/perform-simulate-actions`` (sandbox) → the inquiry."""
        raw = await request.body()
        scoped, replay = self._replay(request, raw)
        if replay is not None:
            return replay
        body = await self._body(request)
        q = self.find(request.path_params["iid"])
        meta = body.get("meta") if isinstance(body, dict) else None
        actions = meta.get("simulate-actions") if isinstance(meta, dict) else None
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise _refuse(400, "Bad Request", "meta.simulate-actions must be an array")
        with self._lock:
            for action in actions:
                self._simulate_one(q, action)
            response = self._json(self.document(q, request.query_params.get("include")))
        return self._remember(scoped, request, raw, response)

    def _simulate_one(self, q: dict[str, Any], action: dict[str, Any]) -> None:
        kind = action.get("type")
        if kind in SIMULATE_STATUS:
            self._transition(q, SIMULATE_STATUS[kind])
            return
        if kind not in ("create_passed_verification", "create_failed_verification"):
            raise _refuse(400, "Bad Request", "meta.simulate-actions has an unknown type")
        data = action.get("data")
        template = data.get("verification-template-id") if isinstance(data, dict) else None
        passed = kind == "create_passed_verification"
        if template == GOVERNMENT_ID_TEMPLATE:
            failed: tuple[str, ...] = () if passed else ("id_unprocessable_submission_detection",)
            self._add(q, "verification/government-id", "passed" if passed else "failed",
                      self._checks(GID_CHECKS, failed), self._person() if passed else None)
        elif template == SELFIE_TEMPLATE:
            failed = () if passed else ("selfie_id_comparison",)
            self._add(q, "verification/selfie", "passed" if passed else "failed", self._checks(SELFIE_CHECKS, failed))
        else:
            raise _refuse(404, "Record not found", "data.verification-template-id is not found")

    # -- the hosted flow -------------------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        """The one-time link: opening it shows the flow (and uses the link up); posting a ``scenario`` (or
        ``code``/``status``) finishes the inquiry and redirects to ``redirect-uri`` with ``inquiry-id``,
        ``reference-id`` and ``status``."""
        code = request.query_params.get("code", "")
        q: dict[str, Any] = self.linked_session(code)
        with self._lock:
            self._refresh(q)
            state = q["links"].get(code)
            if request.method == "GET":
                # a one-time link works once: a second visit finds it used (docs.withpersona.com/
                # inquiry-one-time-links: links with a session token "will not be one-time use", unlike these;
                # resuming-inquiries: reopened elsewhere the user sees "Session expired" and needs a new one-time
                # link); the page the first visit opened still submits
                closed = None
                if q["status"] not in OPEN_STATUSES:
                    closed = f"This verification is finished ({q['status']})."
                elif state != "issued":
                    closed = "This link has already been used. Ask for a new one-time link."
                else:
                    q["links"][code] = "opened"
                    q["sessions"].append(self._id("iqse"))
                return self.page(title="Verify your identity", session_label="Inquiry", action="",
                                 steps=["Government ID", "Selfie", "Finish"],
                                 note="Sandbox: pick what the verification returns.", closed=closed)
        form = await read_form(request)
        with self._lock:
            if q["links"].get(code) != "opened" or q["status"] not in OPEN_STATUSES:
                raise Refusal("Finished", "This verification is finished.", status=409)
            scenario = form.get("scenario")
            if scenario in PLANS:
                self.play(q, scenario)
            elif not self.play_code(q, form.get("code"), form.get("status")):
                raise Refusal("Unknown", "Unknown scenario or code.", status=400)
            q["links"][code] = "used"
            redirect = q["redirect"]
        if not redirect:
            return HTMLResponse("<!doctype html><title>Persona</title><p>Verification finished. You can close this "
                                "window.</p>")
        params = {"inquiry-id": q["id"], "status": q["status"]}
        if q["reference"] is not None:
            params["reference-id"] = q["reference"]
        sep = "&" if urlsplit(redirect).query else "?"
        return RedirectResponse(f"{redirect}{sep}{urlencode(params)}", status_code=303)


__all__ = ["SANDBOX_API_KEY", "SANDBOX_TEMPLATE_ID", "SANDBOX_WEBHOOK_SECRET", "PersonaEmulator"]
