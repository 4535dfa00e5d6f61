"""The Onfido sandbox emulator: API v3.6 (``Authorization: Token token=…``), the workflow-run link page, the
completed/expired redirects and webhooks signed with ``X-SHA2-Signature``.

Faithful to the spec (``onfido-openapi.json`` v3.6; a test validates every response against it): paths under
``/v3.6``, ``201`` creates, the ``{"error": {"type", "message", "fields"}}`` envelope (401 for a missing or
wrong token, 404 for an unknown id, 422 for a field that fails validation), list shapes (``{"applicants": […]}``
with ``page``/``per_page`` and ``X-Total-Count``/``Link`` headers; a bare array of workflow runs), check and
report objects with their breakdown trees. A scenario picked on the link page renders onto Onfido's own
vocabulary: the run's status, one check with a Document and a Facial Similarity Photo report whose breakdowns
explain it (``NOTES.md`` lists each rendering and what is ours where the references are silent).
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox.emulator import Delivery, Emulator, Refusal, read_form, read_json
from ekyc.sandbox.scenarios import EXPIRED_DOCUMENT_EXPIRY, PERSON

from . import signing
from .adapter import API_VERSION, DOCUMENT_NAMES, UUID_RE

SANDBOX_API_TOKEN = "api_sandbox.onfido_ekyc_7f3a91c2d04b"
SANDBOX_WORKFLOW_ID = "0f1d0000-5a1d-4b0c-8e1f-00000000f1d0"
SANDBOX_WEBHOOK_TOKEN = "onfido_sandbox_webhook_token_5c2e8d"
SANDBOX_WEBHOOK_ID = "0f1d0000-5a1d-4b0c-8e1f-0000000000b1"
DEFAULT_WEBHOOK_URL = "https://app.example/webhooks/onfido"
#: the custom inputs the sandbox workflow declares
WORKFLOW_INPUTS = frozenset({"document_types"})
#: link lifetime when the run does not set ``link.expires_at`` (ours: the spec gives no default)
LINK_TTL = 7 * 24 * 3600
PREFIX = f"/{API_VERSION}"
_PATTERN_NAME = frozenset('!#$%*=<>;{}"')
_COUNTRY_LEN = 3
_RUN_FINAL = frozenset({"approved", "declined", "review", "abandoned", "error"})

#: catalog scenario → (workflow run status, document report tweaks, face report tweaks)
PLANS: dict[str, tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = {
    "approved": ("approved", {}, {}),
    "face_mismatch": ("declined", {}, {"face_comparison": ("face_match", 0.22)}),
    "liveness_spoof": ("declined", {}, {"visual_authenticity": ("spoofing_detection", 0.08)}),
    "no_face": ("declined", {}, {"image_integrity": ("face_detected", None)}),
    "document_expired": ("declined", {"data_validation": "document_expiration", "sub_result": "caution",
                                      "expiry": EXPIRED_DOCUMENT_EXPIRY}, {}),
    "document_tampered": ("declined", {"visual_authenticity": "digital_tampering", "sub_result": "suspected"}, {}),
    "document_unreadable": ("declined", {"image_integrity": "image_quality", "sub_result": "rejected",
                                         "unreadable": True}, None),
    "data_mismatch": ("declined", {"mismatch": True, "sub_result": "caution"}, {}),
    "timed_out": ("abandoned", None, None),
    "session_expired": ("awaiting_input", None, None),
    "review": ("review", {}, {"face_comparison": ("face_match", 0.58)}),
    "provider_error": ("error", None, None),
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Invalid(Refusal):
    """Onfido's 422 ``validation_error``, with the ``fields`` that failed (``{"name": ["message"]}``)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("validation_error", "There was a validation error on this request", status=422,
                         field=next(iter(fields), None))
        self.fields = fields


NOT_FOUND = Refusal("resource_not_found", "The requested resource was not found", status=404)
BAD_JSON = Refusal("bad_request", "The request body is not valid JSON", status=400)
BAD_TOKEN = Refusal("authorization_error", "Authorization error: please re-check your API token and access rights",
                    status=401)


def _http_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and len(value) == 10


def _datetime(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


class OnfidoEmulator(Emulator[dict[str, Any]]):
    """Onfido's API v3.6 (applicants, workflow runs, checks, reports, webhooks) and the workflow-run link."""

    name = "onfido"
    title = "Onfido"
    path_prefixes = (f"{PREFIX}/", "/onfido/")
    unsupported = {
        "multiple_faces": "Onfido reports several faces, no face and a poor face capture under one sub-breakdown "
                          "(image_integrity.face_detected: 'a single face of good enough quality'), which is the "
                          "no_face scenario",
        "poor_capture": "Onfido has no separate 'poor selfie' result: a capture too poor to compare is "
                        "image_integrity.face_detected, which is the no_face scenario",
        "retry_limit": "Onfido documents no 'attempts exhausted' status or breakdown for a workflow run",
        "user_cancelled": "Onfido has no 'user quit' status: a run the user leaves is abandoned when its interactive "
                          "task times out, which is the timed_out scenario",
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.api_token = SANDBOX_API_TOKEN
        self.webhook_token = SANDBOX_WEBHOOK_TOKEN
        self.webhook_url: str | None = DEFAULT_WEBHOOK_URL
        self._lock = threading.RLock()
        self._applicants: dict[str, dict[str, Any]] = {}
        #: workflow run id → applicant id (the run itself is the session record, stored under its applicant)
        self._runs: dict[str, str] = {}
        self._checks: dict[str, dict[str, Any]] = {}
        self._reports: dict[str, dict[str, Any]] = {}
        self._webhooks: dict[str, dict[str, Any]] = {}
        #: the events the app's webhook subscribes to (None: all); the sandbox's default webhook takes the one
        #: event about a session's outcome
        self.events: frozenset[str] | None = frozenset({"workflow_run.completed"})

    # -- wiring ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The API paths under ``/v3.6`` and the link page."""
        p = PREFIX
        return [
            self.api_route(f"{p}/ping", self.ping, methods=["GET"], authenticate=False),
            self.api_route(f"{p}/applicants", self.applicants, methods=["GET", "POST"]),
            self.api_route(f"{p}/applicants/{{aid}}", self.applicant, methods=["GET"]),
            self.api_route(f"{p}/workflow_runs", self.workflow_runs, methods=["GET", "POST"]),
            self.api_route(f"{p}/workflow_runs/{{rid}}", self.workflow_run, methods=["GET"]),
            self.api_route(f"{p}/checks", self.checks, methods=["GET"]),
            self.api_route(f"{p}/checks/{{cid}}", self.check, methods=["GET"]),
            self.api_route(f"{p}/reports", self.reports, methods=["GET"]),
            self.api_route(f"{p}/reports/{{rid}}", self.report, methods=["GET"]),
            self.api_route(f"{p}/webhooks", self.webhooks, methods=["GET", "POST"]),
            self.page_route("/onfido/l/{token}", self.hosted, methods=["GET", "POST"]),
        ]

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials plus ``endpoint`` for an ekyc client."""
        return {"api_token": self.api_token, "workflow_id": SANDBOX_WORKFLOW_ID,
                "webhook_token": self.webhook_token, "endpoint": base_url}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Environment for onfido-python: ``onfido.Configuration(api_token=…, host=ONFIDO_BASE_PATH)``."""
        return {"ONFIDO_API_TOKEN": self.api_token, "ONFIDO_BASE_PATH": f"{base_url}{PREFIX}",
                "ONFIDO_WORKFLOW_ID": SANDBOX_WORKFLOW_ID, "ONFIDO_WEBHOOK_TOKEN": self.webhook_token}

    def fault_response(self, kind: str) -> Response:
        """Onfido's envelope for a throttled request; a bare 503 page otherwise."""
        if kind == "429":
            return self.refuse(Refusal("rate_limit", "Rate limit exceeded", status=429,
                                       headers={"Retry-After": "1"}), None)
        return super().fault_response(kind)

    # -- answering Onfido's way ------------------------------------------------------------------------
    async def authenticate(self, request: Request) -> None:
        """``Authorization: Token token=<api token>``, else 401 ``authorization_error``."""
        if request.headers.get("authorization") != f"Token token={self.api_token}":
            raise BAD_TOKEN

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """``{"error": {"type", "message"[, "fields"]}}`` (spec ``Error`` / ``ErrorProperties``)."""
        error: dict[str, Any] = {"type": refusal.code, "message": refusal.message}
        if isinstance(refusal, Invalid):
            error["fields"] = refusal.fields
        return JSONResponse({"error": error}, status_code=refusal.status or 400, headers=dict(refusal.headers))

    def unknown_session(self, session_id: str) -> Refusal:
        return NOT_FOUND

    async def _json(self, request: Request) -> dict[str, Any]:
        data = await read_json(request, BAD_JSON)
        if not isinstance(data, dict):
            raise Invalid({"base": ["the request body must be a JSON object"]})
        return data

    def _href(self, kind: str, oid: str) -> str:
        return f"/{API_VERSION}/{kind}/{oid}"

    # -- API ---------------------------------------------------------------------------------------
    async def ping(self, request: Request) -> Response:
        """``GET /ping`` (no token needed)."""
        return PlainTextResponse("OK")

    async def applicants(self, request: Request) -> Response:
        """``POST /applicants`` (201) and ``GET /applicants`` (paginated)."""
        if request.method == "GET":
            return self._list_applicants(request)
        data = await self._json(request)
        errors: dict[str, list[str]] = {}
        for key in ("first_name", "last_name"):
            value = data.get(key)
            if not isinstance(value, str) or not value.strip():
                errors[key] = ["can't be blank"]
            elif set(value) & _PATTERN_NAME or len(value) > 255:
                errors[key] = ["is invalid"]
        if "dob" in data and not _date(data["dob"]):
            errors["dob"] = ["must be a date (YYYY-MM-DD)"]
        if "email" in data and (not isinstance(data["email"], str) or "@" not in data["email"]):
            errors["email"] = ["is invalid"]
        location = data.get("location")
        if location is not None:
            country = location.get("country_of_residence") if isinstance(location, dict) else None
            if not isinstance(location, dict) or not (country is None or (
                    isinstance(country, str) and len(country) == _COUNTRY_LEN and country.isupper())):
                errors["location"] = ["country_of_residence must be an ISO 3166 alpha-3 code"]
        for key in ("phone_number",):
            if key in data and not isinstance(data[key], str):
                errors[key] = ["is invalid"]
        known = {"first_name", "last_name", "dob", "email", "location", "address", "id_numbers", "phone_number",
                 "consents"}
        for key in data:
            if key not in known:
                errors[key] = ["is not a permitted attribute"]
        if errors:
            raise Invalid(errors)
        aid = str(uuid.uuid4())
        now = self.clock.now()
        applicant: dict[str, Any] = {
            "id": aid, "created_at": _iso(now), "href": self._href("applicants", aid), "sandbox": True,
            "first_name": data["first_name"], "last_name": data["last_name"],
        }
        for key in ("dob", "email", "phone_number"):
            if data.get(key) is not None:
                applicant[key] = data[key]
        if isinstance(location, dict) and location.get("country_of_residence"):
            applicant["location"] = {"country_of_residence": location["country_of_residence"]}
        with self._lock:
            self._applicants[aid] = applicant
        return JSONResponse(applicant, status_code=201)

    def _list_applicants(self, request: Request) -> Response:
        try:
            page = int(request.query_params.get("page", "1"))
            per_page = int(request.query_params.get("per_page", "20"))
        except ValueError:
            raise Invalid({"page": ["must be an integer"]}) from None
        if page < 1 or not 1 <= per_page <= 500:
            raise Invalid({"page": ["must be positive"], "per_page": ["must be 1-500"]})
        with self._lock:
            items = sorted(self._applicants.values(), key=lambda a: a["created_at"], reverse=True)
        total = len(items)
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {"X-Total-Count": str(total)}
        last = max(1, -(-total // per_page))
        base = f"{self.sandbox.base_url}{PREFIX}/applicants"
        links = [f'<{base}?page={last}&per_page={per_page}>; rel="last"']
        if page < last:
            links.insert(0, f'<{base}?page={page + 1}&per_page={per_page}>; rel="next"')
        headers["Link"] = ", ".join(links)
        return JSONResponse({"applicants": copy.deepcopy(chunk)}, headers=headers)

    async def applicant(self, request: Request) -> Response:
        """``GET /applicants/{id}``."""
        with self._lock:
            found = self._applicants.get(request.path_params["aid"].lower())
            return JSONResponse(copy.deepcopy(found)) if found is not None else self.refuse(NOT_FOUND, request)

    async def workflow_runs(self, request: Request) -> Response:
        """``POST /workflow_runs`` (201) and ``GET /workflow_runs`` (an array, filtered, 20 a page)."""
        if request.method == "GET":
            return self._list_runs(request)
        data = await self._json(request)
        errors: dict[str, list[str]] = {}
        wid = data.get("workflow_id")
        if not isinstance(wid, str) or wid.lower() != SANDBOX_WORKFLOW_ID:
            errors["workflow_id"] = ["can't be blank" if wid is None else "workflow not found"]
        aid = data.get("applicant_id")
        with self._lock:
            applicant = self._applicants.get(aid.lower()) if isinstance(aid, str) else None
        if applicant is None:
            errors["applicant_id"] = ["can't be blank" if aid is None else "applicant not found"]
        user = data.get("customer_user_id")
        if user is not None and (not isinstance(user, str) or len(user) > 256):
            errors["customer_user_id"] = ["is too long (maximum is 256 characters)"]
        tags = data.get("tags")
        if tags is not None and (not isinstance(tags, list) or len(tags) > 30 or not all(
                isinstance(t, str) and 1 <= len(t) <= 128 for t in tags)):
            errors["tags"] = ["is invalid"]
        link = data.get("link") if data.get("link") is not None else {}
        if not isinstance(link, dict):
            errors["link"] = ["is invalid"]
            link = {}
        for key in ("completed_redirect_url", "expired_redirect_url"):
            if link.get(key) is not None and not _http_url(link[key]):
                errors[f"link.{key}"] = ["is not a valid URL"]
        expires_ts: float | None = None
        if link.get("expires_at") is not None:
            expires_ts = _datetime(link["expires_at"])
            if expires_ts is None:
                errors["link.expires_at"] = ["must be an ISO 8601 date-time"]
        if link.get("language") is not None and link["language"] not in (
                "en_US", "de_DE", "es_ES", "fr_FR", "it_IT", "pt_PT", "nl_NL"):
            errors["link.language"] = ["is not included in the list"]
        custom = data.get("custom_data")
        if custom is not None:
            if not isinstance(custom, dict):
                errors["custom_data"] = ["is invalid"]
            else:
                for key, value in custom.items():
                    if key not in WORKFLOW_INPUTS:
                        errors[f"custom_data.{key}"] = ["is not an input of this workflow"]
                    elif not isinstance(value, list) or not value or not all(
                            v in DOCUMENT_NAMES.values() for v in value):
                        errors[f"custom_data.{key}"] = ["is invalid"]
        if errors:
            raise Invalid(errors)
        now = self.clock.now()
        rid = str(uuid.uuid4())
        token = self.token(12)
        run: dict[str, Any] = {
            "id": rid, "applicant_id": applicant["id"] if applicant else "", "workflow_id": SANDBOX_WORKFLOW_ID,
            "workflow_version_id": 1, "status": "awaiting_input", "tags": tags, "output": None, "reasons": [],
            "dashboard_url": f"https://dashboard.onfido.com/results/{rid}", "sdk_token": None,
            "created_at": _iso(now), "updated_at": _iso(now),
            "link": {
                "url": f"{self.sandbox.base_url}/onfido/l/{token}",
                "completed_redirect_url": link.get("completed_redirect_url"),
                "expired_redirect_url": link.get("expired_redirect_url"),
                "expires_at": _iso(expires_ts if expires_ts is not None else now + LINK_TTL),
                "language": link.get("language"),
            },
        }
        if user is not None:
            run["customer_user_id"] = user
        with self._lock:
            self._runs[rid] = run["applicant_id"]
            # the session is the run, kept under its applicant (the id the return URL and the ref carry)
            self.open_session(run["applicant_id"], run, reference=user, link=token)
        return JSONResponse(self._run_json(run), status_code=201)

    def _run_json(self, run: dict[str, Any]) -> dict[str, Any]:
        body = {k: copy.deepcopy(v) for k, v in run.items() if v is not None or k == "sdk_token"}
        body["link"] = {k: v for k, v in body["link"].items() if v is not None}
        return body

    def _list_runs(self, request: Request) -> Response:
        q = request.query_params
        try:
            page = int(q.get("page", "1"))
        except ValueError:
            raise Invalid({"page": ["must be an integer"]}) from None
        statuses = set(q["status"].split(",")) if q.get("status") else None
        aid = q.get("applicant_id")
        with self._lock:
            runs = [r for r in (self.store.get(a) for a in self._runs.values()) if r is not None
                    and (statuses is None or r["status"] in statuses)
                    and (aid is None or r["applicant_id"] == aid.lower())]
        runs.sort(key=lambda r: r["created_at"], reverse=q.get("sort", "desc") != "asc")
        chunk = runs[(max(page, 1) - 1) * 20: max(page, 1) * 20]
        return JSONResponse([self._run_json(r) for r in chunk])

    async def workflow_run(self, request: Request) -> Response:
        """``GET /workflow_runs/{id}``."""
        with self._lock:
            return JSONResponse(self._run_json(self._run(request.path_params["rid"])))

    async def checks(self, request: Request) -> Response:
        """``GET /checks?applicant_id=`` (``{"checks": […]}``)."""
        aid = request.query_params.get("applicant_id")
        if not aid or not UUID_RE.fullmatch(aid):
            raise Invalid({"applicant_id": ["can't be blank" if not aid else "is invalid"]})
        with self._lock:
            if aid.lower() not in self._applicants:
                raise NOT_FOUND
            found = [copy.deepcopy(c) for c in self._checks.values() if c["applicant_id"] == aid.lower()]
        return JSONResponse({"checks": found})

    async def check(self, request: Request) -> Response:
        """``GET /checks/{id}``."""
        with self._lock:
            found = self._checks.get(request.path_params["cid"].lower())
            return JSONResponse(copy.deepcopy(found)) if found is not None else self.refuse(NOT_FOUND, request)

    async def reports(self, request: Request) -> Response:
        """``GET /reports?check_id=`` (``{"reports": […]}``)."""
        cid = request.query_params.get("check_id")
        if not cid or not UUID_RE.fullmatch(cid):
            raise Invalid({"check_id": ["can't be blank" if not cid else "is invalid"]})
        with self._lock:
            check = self._checks.get(cid.lower())
            if check is None:
                raise NOT_FOUND
            found = [copy.deepcopy(self._reports[r]) for r in check["report_ids"]]
        return JSONResponse({"reports": found})

    async def report(self, request: Request) -> Response:
        """``GET /reports/{id}``."""
        with self._lock:
            found = self._reports.get(request.path_params["rid"].lower())
            return JSONResponse(copy.deepcopy(found)) if found is not None else self.refuse(NOT_FOUND, request)

    async def webhooks(self, request: Request) -> Response:
        """``POST /webhooks`` (register: the token signs every delivery) and ``GET /webhooks``."""
        if request.method == "GET":
            with self._lock:
                return JSONResponse({"webhooks": [copy.deepcopy(w) for w in self._webhooks.values()]})
        data = await self._json(request)
        if not _http_url(data.get("url")):
            raise Invalid({"url": ["is not a valid URL"]})
        wid = str(uuid.uuid4())
        hook = {"id": wid, "url": data["url"], "token": self.webhook_token, "enabled": data.get("enabled", True),
                "href": self._href("webhooks", wid), "events": data.get("events") or [],
                "environments": data.get("environments") or ["sandbox"]}
        if isinstance(data.get("name"), str):
            hook["name"] = data["name"]
        events = data.get("events")
        if events is not None and (not isinstance(events, list) or not all(isinstance(e, str) for e in events)):
            raise Invalid({"events": ["is invalid"]})
        with self._lock:
            self._webhooks[wid] = hook
            self.webhook_url = data["url"]
            self.events = frozenset(events) if events else None  # omitted: every event (spec webhook_shared)
        return JSONResponse(hook, status_code=201)

    def _run(self, rid: str) -> dict[str, Any]:
        """The workflow run ``rid`` (its applicant's session record), or 404."""
        aid = self._runs.get(rid.lower())
        return self.session(aid) if aid is not None else self.session(rid)

    # -- the link page -------------------------------------------------------------------------------

    async def hosted(self, request: Request) -> Response:
        """The workflow-run link: the capture steps and the scenario picker; finishing redirects to
        ``completed_redirect_url`` (an expired link to ``expired_redirect_url``)."""
        run = self.linked_session(request.path_params["token"])
        link = run["link"]
        expired = (_datetime(link.get("expires_at")) or 0) <= self.clock.now()
        if expired and run["status"] == "awaiting_input":
            if link.get("expired_redirect_url"):
                return RedirectResponse(link["expired_redirect_url"], status_code=303)
            return self.page(title="Identity verification", session_label=run["id"][:8], action="",
                             steps=["Expired"], closed="This link has expired.")
        if run["status"] != "awaiting_input":
            return self.page(title="Identity verification", session_label=run["id"][:8], action="",
                             steps=["Done"], closed="This verification is already complete.")
        if request.method == "GET":
            return self.page(title="Identity verification", session_label=run["id"][:8], action="",
                             steps=["Document", "Selfie", "Result"],
                             note="Onfido Studio workflow run (sandbox): pick what the workflow decides.")
        form = await read_form(request)
        scenario = form.get("scenario", "")
        if scenario not in PLANS or not self.supports(scenario):
            raise Refusal("unknown_scenario", "Unknown scenario.", status=400)
        back = self.finish(run, scenario)
        if back is None:
            return self.page(title="Identity verification", session_label=run["id"][:8], action="",
                             steps=["Done"], closed="Thank you: your verification is complete.")
        return RedirectResponse(back, status_code=303)

    # -- rendering a scenario --------------------------------------------------------------------------
    def finish(self, run: dict[str, Any], scenario: str) -> str | None:
        """Play ``scenario`` on ``run``: its check and reports, its status, the webhooks; the redirect URL."""
        status, doc, face = PLANS[scenario]
        now = self.clock.now()
        with self._lock:
            link = run["link"]
            if scenario == "session_expired":
                link["expires_at"] = _iso(now - 3600)
                run["updated_at"] = _iso(now)
                back = link.get("expired_redirect_url") or link.get("completed_redirect_url")
                return str(back) if back else None
            check = None
            if doc is not None or face is not None:
                check = self._check(run, doc, face, now)
            run["status"] = status
            run["updated_at"] = _iso(now)
            run["output"] = {"check_id": check["id"], "check_result": check["result"]} if check else {}
            if status == "error":
                run["error"] = {"type": "task_failed", "message": "A task of the workflow failed"}
            resource = self._resource(run)
            back = link.get("completed_redirect_url")
        if check is not None:
            self._send("check", "check.completed", check["id"], "complete", now,
                       {"id": check["id"], "applicant_id": run["applicant_id"]}, session=None)
        self._send("workflow_run", "workflow_run.completed", run["id"], status, now, resource,
                   session=run["applicant_id"])
        return str(back) if back else None

    def _resource(self, run: dict[str, Any]) -> dict[str, Any]:
        keep = ("id", "applicant_id", "status", "created_at", "updated_at", "dashboard_url", "workflow_id",
                "workflow_version_id", "reasons", "link", "output", "customer_user_id", "tags", "error")
        out = {k: v for k, v in self._run_json(run).items() if k in keep}
        out["workflow_run_id"] = run["id"]
        return out

    def _send(self, rtype: str, action: str, oid: str, status: str, now: float, resource: dict[str, Any],
              session: str | None) -> None:
        if not self.webhook_url or (self.events is not None and action not in self.events):
            return
        href = f"https://api.eu.onfido.com/{API_VERSION}/{rtype}s/{oid}"
        payload = {"payload": {"resource_type": rtype, "action": action,
                               "object": {"id": oid, "status": status, "completed_at_iso8601": _iso(now),
                                          "href": href},
                               "resource": resource}}
        body, headers = signing.sign(payload, self.webhook_token)
        self.deliver(Delivery("onfido", "POST", self.webhook_url, headers, body, session_id=session,
                              meta={"action": action, "status": status}))

    def _check(self, run: dict[str, Any], doc: dict[str, Any] | None, face: dict[str, Any] | None,
               now: float) -> dict[str, Any]:
        cid = str(uuid.uuid4())
        applicant = self._applicants.get(run["applicant_id"], {})
        reports: list[dict[str, Any]] = []
        document_id = str(uuid.uuid4())
        if doc is not None:
            reports.append(self._document_report(cid, document_id, applicant, doc, now))
        if face is not None:
            reports.append(self._face_report(cid, document_id, face, now))
        for r in reports:
            self._reports[r["id"]] = r
        result = "consider" if any(r["result"] == "consider" for r in reports) else "clear"
        check = {
            "id": cid, "created_at": _iso(now), "href": self._href("checks", cid), "status": "complete",
            "result": result, "applicant_id": run["applicant_id"], "applicant_provides_data": False,
            "report_ids": [r["id"] for r in reports], "tags": [], "webhook_ids": [],
            "results_uri": f"https://dashboard.onfido.com/checks/{cid}", "sandbox": True, "paused": False,
            "version": "3.6",
        }
        self._checks[cid] = check
        return check

    def _document_report(self, cid: str, document_id: str, applicant: dict[str, Any], plan: dict[str, Any],
                         now: float) -> dict[str, Any]:
        rid = str(uuid.uuid4())
        expiry: date = plan.get("expiry") or PERSON["expiry_date"]
        dob: date = PERSON["date_of_birth"]

        def leaf(value: str | None) -> dict[str, Any]:
            return {"result": value, "properties": {}}

        def tree(keys: tuple[str, ...], flagged: str | None = None, result: str | None = "clear"
                 ) -> dict[str, Any]:
            sub = {k: leaf("consider" if k == flagged else result) for k in keys}
            return {"result": "consider" if flagged else result, "breakdown": sub}

        unreadable = bool(plan.get("unreadable"))
        comparison: dict[str, str | None] = {
            "first_name": "clear" if applicant.get("first_name") == PERSON["given_name"] else "consider",
            "last_name": "clear" if applicant.get("last_name") == PERSON["family_name"] else "consider",
            "date_of_birth": None if "dob" not in applicant else (
                "clear" if applicant["dob"] == dob.isoformat() else "consider"),
        }
        if plan.get("mismatch"):
            comparison["first_name"] = comparison["last_name"] = "consider"
        breakdown: dict[str, Any]
        if unreadable:
            breakdown = {"image_integrity": tree(("image_quality", "supported_document", "colour_picture",
                                                  "conclusive_document_quality"), flagged="image_quality")}
        else:
            breakdown = {
                "data_comparison": {
                    "result": "consider" if "consider" in comparison.values() else "clear",
                    "breakdown": {k: leaf(v) for k, v in comparison.items() if v is not None},
                },
                "data_validation": tree(("gender", "date_of_birth", "document_numbers", "document_expiration",
                                         "expiry_date", "mrz"), flagged=plan.get("data_validation")),
                "image_integrity": tree(("image_quality", "supported_document", "colour_picture",
                                         "conclusive_document_quality")),
                "visual_authenticity": tree(("fonts", "picture_face_integrity", "template", "security_features",
                                             "original_document_present", "digital_tampering", "face_detection"),
                                            flagged=plan.get("visual_authenticity")),
                "data_consistency": tree(("date_of_expiry", "document_numbers", "issuing_country", "document_type",
                                          "date_of_birth", "gender", "first_name", "nationality", "last_name")),
                "police_record": {"result": "clear"},
                "compromised_document": {"result": "clear"},
            }
            if plan.get("visual_authenticity"):
                breakdown["visual_authenticity"]["breakdown"]["other"] = leaf("consider")
        consider = any(isinstance(b, dict) and b.get("result") == "consider" for b in breakdown.values())
        report: dict[str, Any] = {
            "id": rid, "created_at": _iso(now), "href": self._href("reports", rid), "status": "complete",
            "result": "consider" if consider else "clear", "check_id": cid, "name": "document",
            "documents": [{"id": document_id}], "breakdown": breakdown, "properties": {},
        }
        sub_result = plan.get("sub_result") if consider else "clear"
        if consider and sub_result is None:
            sub_result = "caution"
        report["sub_result"] = sub_result
        if not unreadable:
            report["properties"] = {
                "document_type": DOCUMENT_NAMES[PERSON["document_type"]], "first_name": PERSON["given_name"],
                "last_name": PERSON["family_name"], "date_of_birth": dob.isoformat(),
                "date_of_expiry": expiry.isoformat(), "issuing_country": PERSON["issuing_country"],
                "nationality": PERSON["nationality"], "gender": {"F": "Female", "M": "Male"}[PERSON["sex"]],
                "document_numbers": [{"type": "document_number", "value": PERSON["document_number"]}],
                "mrz_line1": "P<GBRSAMPLE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<",
            }
        return report

    def _face_report(self, cid: str, document_id: str, plan: dict[str, Any], now: float) -> dict[str, Any]:
        rid = str(uuid.uuid4())
        spoof_score = 0.97
        breakdown: dict[str, Any] = {
            "face_comparison": {"result": "clear", "breakdown": {"face_match": {"result": "clear",
                                                                                "properties": {"score": 0.91}}}},
            "image_integrity": {"result": "clear", "breakdown": {"face_detected": {"result": "clear"},
                                                                 "source_integrity": {"result": "clear"}}},
            "visual_authenticity": {"result": "clear", "breakdown": {
                "spoofing_detection": {"result": "clear", "properties": {"score": spoof_score}}}},
        }
        for top, (leaf, score) in plan.items():
            node = breakdown[top]
            node["result"] = "consider"
            node["breakdown"][leaf]["result"] = "consider"
            if score is not None:
                node["breakdown"][leaf].setdefault("properties", {})["score"] = score
                if top == "visual_authenticity":
                    spoof_score = score
            if top == "image_integrity":  # nothing usable to compare or to judge: not reported
                del breakdown["face_comparison"], breakdown["visual_authenticity"]
        consider = any(b.get("result") == "consider" for b in breakdown.values())
        return {
            "id": rid, "created_at": _iso(now), "href": self._href("reports", rid), "status": "complete",
            "result": "consider" if consider else "clear", "check_id": cid, "name": "facial_similarity_photo",
            "documents": [{"id": document_id}], "live_photos": [{"id": str(uuid.uuid4())}],
            "breakdown": breakdown, "properties": {"score": spoof_score},
        }


__all__ = ["SANDBOX_API_TOKEN", "SANDBOX_WEBHOOK_TOKEN", "SANDBOX_WORKFLOW_ID", "OnfidoEmulator"]
