"""The Stripe Identity sandbox emulator: ``/v1/identity/verification_sessions`` and ``…/verification_reports``
as stripe-python calls them (form-encoded bodies, ``expand[]``, Bearer or Basic secret key, ``Idempotency-Key``
replay, ``{"error": {type, code, message, param}}`` envelopes, ``Request-Id`` headers), the hosted page at the
session ``url`` with the scenario picker, the ``return_url`` redirect, and Event webhooks signed with
``Stripe-Signature``.

Faithful where the sources say (stripe-python @6c6e3736 and Stripe's API reference, see ``codes.py``); where
they are silent the choices are ours and listed in ``NOTES.md`` (error messages, the sandbox's own page).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox.emulator import Delivery, Emulator, Refusal, read_form
from ekyc.sandbox.scenarios import EXPIRED_DOCUMENT_EXPIRY, PERSON

from . import signing
from .adapter import RETURN_TEMPLATE, SESSION_ID, SESSIONS_PATH
from .codes import CODE_TABLE

SANDBOX_SECRET_KEY = "sk_test_ekycSandbox51Stripe0000000000000000000000"
#: a restricted key with access to the sensitive verification results (what the ekyc client uses)
SANDBOX_RESTRICTED_KEY = "rk_test_ekycSandbox51Stripe0000000000000000000000"
SANDBOX_WEBHOOK_SECRET = "whsec_ekycSandboxStripe000000000000000000"
DEFAULT_WEBHOOK_URL = "https://app.example/webhooks/stripe"
API_VERSION = "2025-06-30.basil"
REPORTS_PATH = "/v1/identity/verification_reports"
ENABLED_EVENTS = frozenset(f"identity.verification_session.{kind}"
                           for kind in ("processing", "verified", "requires_input", "canceled", "redacted"))
#: how long a saved idempotent answer is replayed [docs.stripe.com/api/idempotent_requests: 24 hours]
IDEMPOTENCY_TTL = 24 * 3600
CREATE_PARAMS = frozenset({"client_reference_id", "expand", "metadata", "options", "provided_details",
                           "related_customer", "related_customer_account", "related_person", "return_url", "type",
                           "verification_flow"})
DOCUMENT_OPTIONS = frozenset({"allowed_types", "require_id_number", "require_live_capture",
                              "require_matching_selfie"})
ALLOWED_TYPES = ("driving_license", "id_card", "passport")
SESSION_EXPANDABLE = frozenset({"last_verification_report", "verified_outputs", "verified_outputs.dob",
                                "verified_outputs.id_number", "last_verification_report.document.number",
                                "last_verification_report.document.dob",
                                "last_verification_report.document.expiration_date",
                                "last_verification_report.id_number.dob",
                                "last_verification_report.id_number.id_number"})
#: catalog scenario → (status, last_error code); the report follows from the code (see :meth:`_report`)
PLANS: dict[str, tuple[str, str | None]] = {
    "approved": ("verified", None),
    "face_mismatch": ("requires_input", "selfie_face_mismatch"),
    "liveness_spoof": ("requires_input", "selfie_manipulated"),
    "document_expired": ("requires_input", "document_expired"),
    "user_cancelled": ("requires_input", "consent_declined"),
    "timed_out": ("requires_input", "abandoned"),
}
#: a ``last_error`` code → the report check that carries it (codes of no check leave every check verified)
CHECK_OF = {"document_expired": "document", "document_type_not_supported": "document",
            "document_unverified_other": "document", "selfie_document_missing_photo": "selfie",
            "selfie_face_mismatch": "selfie", "selfie_manipulated": "selfie", "selfie_unverified_other": "selfie",
            "id_number_insufficient_document_data": "id_number", "id_number_mismatch": "id_number",
            "id_number_unverified_other": "id_number"}
#: codes the user gets before any check runs (no report)
NO_REPORT = frozenset({"abandoned", "consent_declined", "country_not_supported", "device_not_supported"})
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's nested form keys (``a[b][0]=v``, ``expand[]=v``) → nested dicts and lists.

    Raises ``ValueError`` naming the key for a shape that cannot be read (a key both a value and an object).
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        base, _, rest = key.partition("[")
        parts = [base, *_BRACKETS.findall("[" + rest)] if rest else [base]
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if part != "":
                    raise ValueError(key)
                if last:
                    node.append(value)
                    break
                node.append({})
                node = node[-1]
                continue
            if not isinstance(node, dict):
                raise ValueError(key)
            if last:
                if part in node and not isinstance(node[part], str):
                    raise ValueError(key)
                node[part] = value
            else:
                nxt = parts[i + 1]
                default: Any = [] if nxt == "" else {}
                node = node.setdefault(part, default)
    out = _lists(root)
    if not isinstance(out, dict):
        raise ValueError("body")
    return out


def _lists(value: Any) -> Any:
    """Objects whose keys are all decimal indices become lists (``a[0]``, ``a[1]``)."""
    if isinstance(value, list):
        return [_lists(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _lists(v) for k, v in value.items()}
    if out and all(k.isdigit() and k.isascii() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def _dmy(d: date | None) -> dict[str, int | None]:
    return {"day": d.day, "month": d.month, "year": d.year} if d else {"day": None, "month": None, "year": None}


class StripeRefusal(Refusal):
    """A Stripe API error, answered as ``{"error": {type, code, message, param}}`` with its HTTP status
    (:meth:`StripeEmulator.refuse`); ``code`` is Stripe's error code when it sends one."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(code or kind, message, status=status, field=param)
        self.kind = kind
        self.wire_code = code


class StripeEmulator(Emulator):
    """Stripe Identity's VerificationSession API, hosted flow and webhooks, in the sandbox."""

    name = "stripe"
    title = "Stripe Identity"
    path_prefixes = ("/v1/identity/", "/stripe/")
    link_missing = "This verification link has expired or was already used."
    unsupported = {
        "no_face": "Stripe Identity has no 'no face' code: its hosted flow makes the user retake the selfie",
        "multiple_faces": "Stripe Identity has no 'multiple faces' code: its hosted flow makes the user retake it",
        "poor_capture": "Stripe Identity has no capture-quality code: its hosted flow makes the user retake it",
        "document_tampered": "Stripe reports a document it cannot verify as document_unverified_other, which does "
                             "not say why (reason UNKNOWN), never as tampered",
        "document_unreadable": "Stripe reports a document it cannot verify as document_unverified_other, which "
                               "does not say why (reason UNKNOWN), never as unreadable",
        "data_mismatch": "a VerificationSession takes no expected name or date of birth to compare with the "
                         "document (only an ID number check, id_number_mismatch)",
        "retry_limit": "a VerificationSession has no attempt limit: after a failure it returns to requires_input "
                       "and accepts a new attempt",
        "session_expired": "a VerificationSession does not expire: only its url and client_secret do, and a "
                           "retrieve in requires_input gives fresh ones",
        "review": "Stripe Identity's API has no review status (verified, requires_input, processing, canceled)",
        "provider_error": "Stripe Identity reports no 'processing failed' status for a session",
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.api_keys = {SANDBOX_SECRET_KEY, SANDBOX_RESTRICTED_KEY}
        self.webhook_secrets = [SANDBOX_WEBHOOK_SECRET]
        self.webhook_url: str | None = DEFAULT_WEBHOOK_URL
        #: the sandbox endpoint's ``enabled_events``: Stripe sends an endpoint only the event types it enabled;
        #: the default is the outcome events an integration listens to ([HSW], handle-verification-outcomes);
        #: add ``identity.verification_session.created`` to get that one too
        self.enabled_events: set[str] = set(ENABLED_EVENTS)
        self._lock = threading.RLock()
        self._reports: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[tuple[str, str], tuple[float, str, int, bytes]] = {}

    # -- wiring ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """Stripe's paths and the hosted page."""
        s = SESSIONS_PATH
        return [
            self._api(s, self._create, "POST"),
            self._api(s, self._list, "GET"),
            self._api(f"{s}/{{sid}}", self._retrieve, "GET"),
            self._api(f"{s}/{{sid}}", self._update, "POST"),
            self._api(f"{s}/{{sid}}/cancel", self._cancel, "POST"),
            self._api(f"{s}/{{sid}}/redact", self._redact, "POST"),
            self._api(f"{REPORTS_PATH}/{{rid}}", self._report_get, "GET"),
            self.api_route("/v1/identity/{rest:path}", self.unknown_url,
                           methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
            self.page_route("/stripe/start/{token}", self.hosted, methods=["GET", "POST"]),
        ]

    def _api(self, path: str, handler: Any, method: str) -> BaseRoute:
        """An API route: authenticated (:meth:`authenticate`), the form (or query) decoded, refusals in Stripe's
        envelope."""

        async def run(request: Request) -> Response:
            params = await self._params(request)
            return await handler(request, request.state.stripe_key, params)  # type: ignore[no-any-return]

        return self.api_route(path, run, methods=[method])

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials (a restricted key with access to sensitive results) plus ``endpoint``."""
        return {"api_key": SANDBOX_RESTRICTED_KEY, "webhook_secret": self.webhook_secrets[0], "endpoint": base_url}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """Settings for stripe-python: ``stripe.api_key``, ``stripe.api_base`` (or
        ``StripeClient(api_key, base_addresses={"api": …})``) and the webhook secret for ``construct_event``.

        The key is the restricted one ekyc itself is given (:meth:`client_settings`): Stripe serves the sensitive
        results (date of birth, document number, expiry) to restricted keys only (docs.stripe.com/identity/
        access-verification-results), so the key printed for the SDK is the one that can read them too."""
        return {"stripe.api_key": SANDBOX_RESTRICTED_KEY, "stripe.api_base": base_url,
                "construct_event secret": self.webhook_secrets[0]}

    def fault_response(self, kind: str) -> Response:
        """Stripe's envelope for a throttled or unavailable API."""
        if kind == "429":
            return self.refuse(StripeRefusal(429, "Too many requests hit the API too quickly.", code="rate_limit"),
                               None)
        return self.refuse(StripeRefusal(503, "Stripe is temporarily unavailable.", kind="api_error"), None)

    # -- helpers -----------------------------------------------------------------------------------------
    def _request_id(self) -> str:
        return "req_" + self.token(10).replace("-", "x").replace("_", "y")

    def _object_id(self, prefix: str) -> str:
        return prefix + "_" + self.token(18).replace("-", "").replace("_", "")[:24]

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
        h = {"Request-Id": self._request_id(), "Stripe-Version": API_VERSION, **(headers or {})}
        return JSONResponse(data, status_code=status, headers=h)

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """Stripe's error envelope ``{"error": {type, code, message, param, doc_url}}`` with its status (a refusal
        of the shared base — e.g. its throttling — is rendered the same way)."""
        if not isinstance(refusal, StripeRefusal):
            status = refusal.status or 400
            refusal = StripeRefusal(status, refusal.message, kind="api_error" if status >= 500 else
                                    "invalid_request_error", code="rate_limit" if status == 429 else None)
        body: dict[str, Any] = {"type": refusal.kind, "message": refusal.message}
        if refusal.wire_code:
            body["code"] = refusal.wire_code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{refusal.wire_code.replace('_', '-')}"
        if refusal.field:
            body["param"] = refusal.field
        return self._json({"error": body}, refusal.status or 400, dict(refusal.headers))

    def unknown_session(self, session_id: str) -> Refusal:
        """Stripe's 404 for an unknown VerificationSession id."""
        return StripeRefusal(404, f"No such verification session: '{session_id[:100]}'", code="resource_missing",
                             param="id")

    async def authenticate(self, request: Request) -> None:
        """The API key (Bearer, or Basic with the key as user name); Stripe's 401 otherwise."""
        request.state.stripe_key = self._auth(request)

    def _auth(self, request: Request) -> str:
        """The API key of the request (Bearer, or Basic with the key as user name); 401 otherwise."""
        raw = request.headers.get("authorization", "")
        key = ""
        if raw.startswith("Bearer "):
            key = raw[7:].strip()
        elif raw.startswith("Basic "):
            import base64
            import binascii

            try:
                key = base64.b64decode(raw[6:], validate=True).decode("utf-8").split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError, ValueError):
                key = ""
        if not key:
            raise StripeRefusal(401, "You did not provide an API key. You need to provide your API key in the "
                              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        if key not in self.api_keys:
            shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
            raise StripeRefusal(401, f"Invalid API Key provided: {shown}")
        return key

    async def _params(self, request: Request) -> dict[str, Any]:
        """The form body of a POST (or the query of a GET), decoded."""
        if request.method == "GET":
            pairs = list(request.query_params.multi_items())
        else:
            raw = await request.body()
            try:
                pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
            except (UnicodeDecodeError, ValueError):
                raise StripeRefusal(400, "Invalid request body: expected application/x-www-form-urlencoded.") from None
        try:
            return decode_form(pairs)
        except ValueError as exc:
            raise StripeRefusal(400, "Invalid array or object in the request.", param=str(exc)[:200]) from None

    def _expand(self, params: dict[str, Any], allowed: frozenset[str]) -> set[str]:
        raw = params.pop("expand", [])
        items = raw if isinstance(raw, list) else [raw]
        out = set()
        for item in items:
            if not isinstance(item, str) or item not in allowed:
                raise StripeRefusal(400, f"This property cannot be expanded ({str(item)[:100]}).", param="expand")
            out.add(item)
        return out

    def _session(self, sid: str) -> dict[str, Any]:
        s: dict[str, Any] = self.session(sid)
        self._settle_redaction(s)
        return s

    # -- rendering objects -----------------------------------------------------------------------------------
    def _url(self, s: dict[str, Any]) -> str:
        return f"{self.sandbox.base_url}/stripe/start/{s['token']}"

    def render_session(self, s: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        """The VerificationSession object as Stripe returns it (``expand`` as asked)."""
        open_ = s["status"] == "requires_input"
        out: dict[str, Any] = {
            "id": s["id"], "object": "identity.verification_session",
            "client_reference_id": s["client_reference_id"],
            "client_secret": f"{s['id']}_secret_{s['token']}" if open_ else None,
            "created": s["created"], "last_error": copy.deepcopy(s["last_error"]),
            "last_verification_report": s["report"], "livemode": False, "metadata": dict(s["metadata"]),
            "options": copy.deepcopy(s["options"]), "provided_details": copy.deepcopy(s["provided_details"]),
            "redaction": copy.deepcopy(s["redaction"]), "related_customer": None, "related_customer_account": None,
            "related_person": None, "status": s["status"], "type": s["type"],
            "url": self._url(s) if open_ else None, "verification_flow": None,
        }
        if "verified_outputs" in expand or any(e.startswith("verified_outputs.") for e in expand):
            out["verified_outputs"] = self._outputs(s, expand)
        if s["report"] and "last_verification_report" in expand:
            sub = {e.removeprefix("last_verification_report.") for e in expand
                   if e.startswith("last_verification_report.")}
            out["last_verification_report"] = self.render_report(self._reports[s["report"]], sub)
        return out

    def _outputs(self, s: dict[str, Any], expand: set[str]) -> dict[str, Any] | None:
        out = s["outputs"]
        if out is None:
            return None
        shown: dict[str, Any] = copy.deepcopy(out)
        if "verified_outputs.dob" not in expand:
            shown["dob"] = None
        if "verified_outputs.id_number" not in expand:
            shown["id_number"] = None
        return shown

    def render_report(self, r: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        """The VerificationReport; the sensitive document fields only when expanded."""
        out = copy.deepcopy(r)
        doc = out.get("document")
        if doc is not None:
            for name in ("number", "dob", "expiration_date"):
                if f"document.{name}" not in expand:
                    doc[name] = None
        idn = out.get("id_number")
        if idn is not None:
            for name in ("dob", "id_number"):
                if f"id_number.{name}" not in expand:
                    idn[name] = None
        return out

    # -- webhooks ------------------------------------------------------------------------------------------
    def _event(self, s: dict[str, Any], kind: str) -> None:
        if not self.webhook_url or f"identity.verification_session.{kind}" not in self.enabled_events:
            return
        now = int(self.clock.now())
        event = {
            "id": self._object_id("evt"), "object": "event", "api_version": API_VERSION, "created": now,
            "data": {"object": self.render_session(s, set())}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": f"identity.verification_session.{kind}",
        }
        body = json.dumps(event, indent=2).encode("utf-8")
        headers = signing.sign(body, self.webhook_secrets, now)
        self.deliver(Delivery(self.name, "POST", self.webhook_url, headers, body, session_id=s["id"],
                              meta={"status": s["status"], "type": event["type"]}))

    # -- API ----------------------------------------------------------------------------------------------
    async def unknown_url(self, request: Request) -> Response:
        """Any other path under ``/v1/identity/``: Stripe's 404 envelope."""
        raise StripeRefusal(404, f"Unrecognized request URL ({request.method}: {request.url.path[:200]}).")

    async def _create(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        idem = request.headers.get("idempotency-key")
        fingerprint = json.dumps(params, sort_keys=True)
        if idem:
            with self._lock:
                saved = self._idempotent.get((key, idem))
                if saved is not None and self.clock.now() - saved[0] < IDEMPOTENCY_TTL:
                    if saved[1] != fingerprint:
                        raise StripeRefusal(
                            400, "Keys for idempotent requests can only be used with the same parameters they were "
                                 f"first used with. Try using a key other than '{idem[:64]}' if you meant to execute "
                                 "a different request.", kind="idempotency_error")
                    return Response(saved[3], status_code=saved[2], media_type="application/json",
                                    headers={"Request-Id": self._request_id(), "Stripe-Version": API_VERSION,
                                             "Idempotent-Replayed": "true", "Idempotency-Key": idem})
        expand = self._expand(params, SESSION_EXPANDABLE)
        s = self._new_session(params)
        response = self._json(self.render_session(s, expand), 200,
                              {"Idempotency-Key": idem} if idem else None)
        if idem:
            with self._lock:
                self._idempotent[(key, idem)] = (self.clock.now(), fingerprint, 200, bytes(response.body))
        self._event(s, "created")
        return response

    def _new_session(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - CREATE_PARAMS)
        if unknown:
            raise StripeRefusal(400, f"Received unknown parameter: {unknown[0][:100]}", code="parameter_unknown",
                         param=unknown[0][:100])
        kind = params.get("type")
        if kind is None and params.get("verification_flow") is None:
            raise StripeRefusal(400, "Missing required param: type.", code="parameter_missing", param="type")
        if kind not in (None, "document", "id_number"):
            raise StripeRefusal(400, "Invalid type: must be one of document or id_number", param="type")
        options = params.get("options") or {}
        if not isinstance(options, dict) or set(options) - {"document", "id_number", "email", "phone", "matching"}:
            raise StripeRefusal(400, "Received unknown parameter: options", code="parameter_unknown", param="options")
        document = options.get("document") or {}
        if not isinstance(document, dict):
            raise StripeRefusal(400, "Invalid object", param="options[document]")
        for name in sorted(set(document) - DOCUMENT_OPTIONS):
            raise StripeRefusal(400, f"Received unknown parameter: options[document][{name[:60]}]",
                                code="parameter_unknown", param=f"options[document][{name[:60]}]")
        flags: dict[str, Any] = {}
        for name in ("require_id_number", "require_live_capture", "require_matching_selfie"):
            if name in document:
                if document[name] not in ("true", "false"):
                    raise StripeRefusal(400, "Invalid boolean: must be one of true or false",
                                 param=f"options[document][{name}]")
                flags[name] = document[name] == "true"
        if "allowed_types" in document:
            allowed = document["allowed_types"]
            if not isinstance(allowed, list) or not allowed or any(t not in ALLOWED_TYPES for t in allowed):
                raise StripeRefusal(400, "Invalid array: allowed_types is driving_license, id_card or passport",
                             param="options[document][allowed_types]")
            flags["allowed_types"] = list(allowed)
        ret = params.get("return_url")
        if ret is not None:
            parts = urlsplit(ret) if isinstance(ret, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise StripeRefusal(400, "Not a valid URL", code="url_invalid", param="return_url")
        metadata = params.get("metadata") or {}
        if not isinstance(metadata, dict) or any(not isinstance(v, str) for v in metadata.values()):
            raise StripeRefusal(400, "Invalid metadata: must be an object of strings", param="metadata")
        provided = params.get("provided_details")
        if provided is not None and (not isinstance(provided, dict) or set(provided) - {"email", "phone"}):
            raise StripeRefusal(400, "Received unknown parameter: provided_details", code="parameter_unknown",
                         param="provided_details")
        ref = params.get("client_reference_id")
        if ref is not None and (not isinstance(ref, str) or len(ref) > 5000):
            raise StripeRefusal(400, "Invalid string: client_reference_id", param="client_reference_id")
        with self._lock:
            sid = self._object_id("vs")
            s: dict[str, Any] = {
                "id": sid, "client_reference_id": ref, "created": int(self.clock.now()),
                "last_error": None, "report": None, "metadata": {k: v for k, v in metadata.items() if v != ""},
                "options": {"document": flags} if (kind or "document") == "document" else {"id_number": {}},
                "provided_details": provided, "redaction": None, "status": "requires_input",
                "type": kind or "document", "return_url": ret, "token": self.token(18), "outputs": None,
                "redact_pending": False, "opened": [],
            }
            self.open_session(sid, s, reference=ref, link=s["token"])
        return s

    async def _list(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = {e.removeprefix("data.") for e in self._expand(
            params, frozenset({"data." + e for e in SESSION_EXPANDABLE}))}
        ref = params.get("client_reference_id")
        status = params.get("status")
        with self._lock:
            rows = [self.render_session(s, expand) for s in reversed(list(self.store.values()))
                    if (ref is None or s["client_reference_id"] == ref) and (status is None or s["status"] == status)]
        try:
            limit = min(max(int(params.get("limit", 10)), 1), 100)
        except (TypeError, ValueError):
            raise StripeRefusal(400, "Invalid integer: limit", code="parameter_invalid_integer",
                                param="limit") from None
        return self._json({"object": "list", "url": SESSIONS_PATH, "has_more": len(rows) > limit,
                           "data": rows[:limit]})

    async def _retrieve(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = self._expand(params, SESSION_EXPANDABLE)
        with self._lock:
            s = self._session(request.path_params["sid"])
            if s["status"] == "requires_input" and s["token"] in s["opened"]:
                # "When the session status is requires_input, you can use this method to retrieve a valid
                # client_secret or url to allow re-submission" (stripe-python VerificationSession.retrieve, from
                # Stripe's API reference): the url handed out was used, so a new one
                self._new_link(s)
            return self._json(self.render_session(s, expand))

    async def _update(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = self._expand(params, SESSION_EXPANDABLE)
        with self._lock:
            s = self._session(request.path_params["sid"])
            unknown = sorted(set(params) - {"metadata", "options", "provided_details", "type"})
            if unknown:
                raise StripeRefusal(400, f"Received unknown parameter: {unknown[0][:100]}", code="parameter_unknown",
                             param=unknown[0][:100])
            if s["status"] != "requires_input":
                raise StripeRefusal(400, "You can only update a VerificationSession in requires_input status.")
            metadata = params.get("metadata")
            if isinstance(metadata, dict):
                for k, v in metadata.items():
                    if v == "":
                        s["metadata"].pop(k, None)
                    elif isinstance(v, str):
                        s["metadata"][k] = v
            elif metadata == "":
                s["metadata"] = {}
            return self._json(self.render_session(s, expand))

    async def _cancel(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = self._expand(params, SESSION_EXPANDABLE)
        with self._lock:
            s = self._session(request.path_params["sid"])
            if s["status"] != "requires_input":
                raise StripeRefusal(400, f"This VerificationSession has a status of {s['status']}; only a "
                                         "VerificationSession in requires_input status can be canceled.")
            self._close(s, "canceled")
            body = self.render_session(s, expand)
        self._event(s, "canceled")
        return self._json(body)

    async def _redact(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = self._expand(params, SESSION_EXPANDABLE)
        with self._lock:
            s = self._session(request.path_params["sid"])
            if s["status"] not in ("requires_input", "verified") and s["redaction"] is None:
                raise StripeRefusal(400, f"This VerificationSession has a status of {s['status']}; only a "
                                         "VerificationSession in requires_input or verified status can be redacted.")
            canceled = s["status"] == "requires_input"
            if canceled:
                self._close(s, "canceled")
            if s["redaction"] is None:
                s["redaction"] = {"status": "processing"}
                s["redact_pending"] = True
            body = self.render_session(s, expand)
        if canceled:
            self._event(s, "canceled")
        return self._json(body)

    def _settle_redaction(self, s: dict[str, Any]) -> None:
        """A redaction requested earlier completes at the next read (Stripe: up to four days)."""
        if not s["redact_pending"]:
            return
        s["redact_pending"] = False
        s["redaction"] = {"status": "redacted"}
        s["metadata"] = {}
        if s["outputs"] is not None:
            s["outputs"] = {k: (None if k in ("dob", "address") or v is None else "[redacted]")
                            for k, v in s["outputs"].items()}
        report = self._reports.get(s["report"] or "")
        doc = report.get("document") if report else None
        if doc:
            for k in ("first_name", "last_name", "number", "unparsed_place_of_birth", "unparsed_sex"):
                if doc.get(k) is not None:
                    doc[k] = "[redacted]"
            doc["dob"] = _dmy(None)
            doc["address"] = None
        self._event(s, "redacted")

    async def _report_get(self, request: Request, key: str, params: dict[str, Any]) -> Response:
        expand = self._expand(params, frozenset({"document.number", "document.dob", "document.expiration_date",
                                                 "id_number.dob", "id_number.id_number"}))
        with self._lock:
            r = self._reports.get(request.path_params["rid"])
            if r is None:
                raise StripeRefusal(404, f"No such verification report: '{request.path_params['rid'][:100]}'",
                             code="resource_missing", param="id")
            return self._json(self.render_report(r, expand))

    def _close(self, s: dict[str, Any], status: str) -> None:
        s["status"] = status
        self._drop_links(s)

    # -- the session's links -------------------------------------------------------------------------------
    # The url "can only be used once" and "expires after 48 hours" (the VerificationSession object's ``url``,
    # stripe-python @6c6e3736 identity/_verification_session.py, generated from Stripe's API reference): opening
    # it uses it up (a second visit shows "expired or already used"); the page it opened still submits.
    def _new_link(self, s: dict[str, Any]) -> None:
        """A fresh url for a session in ``requires_input`` (the pages opened before may still submit)."""
        s["token"] = self.token(18)
        self.links.put(s["token"], s["id"])

    def _drop_links(self, s: dict[str, Any]) -> None:
        """Every url of the session stops working (it left ``requires_input``)."""
        for token in {s["token"], *s["opened"]}:
            self.links.pop(token)
        s["opened"] = []

    # -- finishing a flow ----------------------------------------------------------------------------------
    def _report(self, s: dict[str, Any], error_code: str | None) -> dict[str, Any]:
        """A VerificationReport for one attempt: every check the session asked for, ``verified`` except the one
        ``error_code`` belongs to."""
        failing = CHECK_OF.get(error_code or "")
        flags = s["options"].get("document", {})
        expiry = EXPIRED_DOCUMENT_EXPIRY if error_code == "document_expired" else PERSON["expiry_date"]
        entry = CODE_TABLE.get("last_error", error_code or "")
        error = {"code": error_code, "reason": entry.message if entry else None}

        def status(check: str) -> dict[str, Any]:
            return {"status": "unverified", "error": error} if failing == check else \
                {"status": "verified", "error": None}

        rid = self._object_id("vr")
        report: dict[str, Any] = {
            "id": rid, "object": "identity.verification_report", "client_reference_id": s["client_reference_id"],
            "created": int(self.clock.now()), "livemode": False, "type": s["type"], "verification_flow": None,
            "verification_session": s["id"],
            "options": {"document": {}, "id_number": {}},
        }
        if s["type"] == "document":
            doc_type = "passport" if "passport" in flags.get("allowed_types", ["passport"]) \
                else flags["allowed_types"][0]
            report["document"] = {
                **status("document"), "address": None, "dob": _dmy(PERSON["date_of_birth"]),
                "expiration_date": _dmy(expiry), "files": [self._object_id("file"), self._object_id("file")],
                "first_name": PERSON["given_name"], "issued_date": _dmy(expiry.replace(year=expiry.year - 10)),
                "issuing_country": "GB", "last_name": PERSON["family_name"], "number": PERSON["document_number"],
                "sex": "female", "type": doc_type, "unparsed_place_of_birth": "LONDON", "unparsed_sex": "F",
            }
            if flags.get("require_matching_selfie"):
                report["selfie"] = {**status("selfie"), "document": self._object_id("file"),
                                    "selfie": self._object_id("file")}
        if s["type"] == "id_number" or flags.get("require_id_number"):
            report["id_number"] = {**status("id_number"), "dob": _dmy(PERSON["date_of_birth"]),
                                   "first_name": PERSON["given_name"], "last_name": PERSON["family_name"],
                                   "id_number": "1234", "id_number_type": "us_ssn"}
        self._reports[rid] = report
        return report

    def finish(self, s: dict[str, Any], status: str, error_code: str | None) -> None:
        """Move a submitted session to its result: ``processing`` then ``verified`` / ``requires_input`` (with
        ``last_error`` and a fresh url) — one webhook per status change, as Stripe sends them."""
        self._drop_links(s)
        s["status"] = "processing"
        s["last_error"] = None
        self._event(s, "processing")
        if status == "processing":
            return
        if error_code in NO_REPORT:
            s["report"] = None
        else:
            s["report"] = self._report(s, error_code)["id"]
        if status == "verified":
            s["status"] = "verified"
            s["outputs"] = {
                "address": None, "dob": _dmy(PERSON["date_of_birth"]), "email": None,
                "first_name": PERSON["given_name"],
                "id_number": None, "id_number_type": None, "last_name": PERSON["family_name"], "phone": None,
                "sex": "female", "unparsed_place_of_birth": "LONDON", "unparsed_sex": "F",
            }
            self._event(s, "verified")
            return
        entry = CODE_TABLE.get("last_error", error_code or "")
        s["status"] = "requires_input"
        s["last_error"] = {"code": error_code, "reason": entry.message if entry else None}
        self._new_link(s)
        self._event(s, "requires_input")

    def _plan(self, form: dict[str, str]) -> tuple[str, str | None] | None:
        scenario = form.get("scenario")
        if scenario:
            return PLANS[scenario] if scenario in PLANS and self.supports(scenario) else None
        code = form.get("code")
        if code in ("verified", "processing"):
            return code, None
        if code and CODE_TABLE.get("last_error", code) is not None:
            return "requires_input", code
        return None

    # -- the hosted page -------------------------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        """The verification page at the session ``url`` (single use: the first visit uses it up, a second one
        shows "expired or already used"): posting a ``scenario`` (or a Stripe ``code``: a ``last_error`` code,
        ``verified`` or ``processing``) from the opened page submits the attempt and redirects to the
        ``return_url`` with ``{VERIFICATION_SESSION_ID}`` filled in."""
        token = request.path_params["token"]
        with self._lock:
            s: dict[str, Any] = self.linked_session(token)
            if s["status"] != "requires_input":
                raise Refusal("LinkUsed", self.link_missing, status=404)
            if request.method == "GET":
                if token in s["opened"]:
                    return self.page(title="Verify your identity", session_label=s["id"], action="",
                                     steps=["Done"], closed=self.link_missing)
                s["opened"].append(token)
                steps = ["ID document", *(["Selfie"] if s["options"].get("document", {}).get(
                    "require_matching_selfie") else []), "Finish"]
                return self.page(title="Verify your identity", session_label=s["id"], action="", steps=steps,
                                 note="Sandbox: pick what the verification returns (test mode).")
        form = await read_form(request)
        with self._lock:
            if (s["status"] != "requires_input" or self.links.get(token) != s["id"]
                    or token not in s["opened"]):
                raise Refusal("LinkUsed", "This verification link was already used.", status=409)
            plan = self._plan(form)
            if plan is None:
                raise Refusal("UnknownScenario", "Unknown scenario or code.", status=400)
            self.finish(s, *plan)
            ret = s["return_url"]
        if not ret:
            return HTMLResponse("<!doctype html><title>Stripe</title><p>Verification submitted. You can close this "
                                "window.</p>")
        return RedirectResponse(ret.replace(RETURN_TEMPLATE, s["id"]), status_code=303)


def is_session_id(value: str) -> bool:
    """Whether ``value`` is a VerificationSession id (for tests)."""
    return bool(SESSION_ID.fullmatch(value))


__all__ = ["SANDBOX_RESTRICTED_KEY", "SANDBOX_SECRET_KEY", "SANDBOX_WEBHOOK_SECRET", "StripeEmulator"]
