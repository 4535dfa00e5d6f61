"""The Didit adapter (REST API v3, ``x-api-key``): sans-I/O request building and response parsing."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import field_validator

from ekyc import _wire as wire
from ekyc.errors import (
    AuthenticationError,
    ConfigurationError,
    EkycError,
    InvalidRequest,
    WebhookVerificationError,
)
from ekyc.models import (
    Check,
    Decision,
    DocumentType,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)
from ekyc.provider import (
    CREATE_SESSION,
    GET_RESULT,
    Capabilities,
    Envelope,
    ExtensionCall,
    KeyAndWebhookSettings,
    LinkReuse,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
    every_check_set,
    first_header,
    malformed,
    vendor_env,
)

from . import signing
from .api import CREATED, UUID_RE, encode_json
from .codes import CODE_TABLE
from .parse import decide

DEFAULT_BASE_URL = "https://verification.didit.me"
HOSTED_BASE_URL = "https://verify.didit.me"
#: ``expected_details.expected_document_types`` codes [DIGEST §2.1]
DOCUMENT_CODES = {
    DocumentType.PASSPORT: "P",
    DocumentType.ID_CARD: "ID",
    DocumentType.DRIVERS_LICENSE: "DL",
    DocumentType.RESIDENCE_PERMIT: "RP",
}
#: ``language`` values Didit accepts [DIGEST §2.1]
_LANGS = (
    "en ar bg bn bs ca cnr cs da de el es et fa fi fr he hi hr hu hy id it ja ka kk ko ky lt lv mk mn ms nl no pl "
    "pt-BR pt ro ru sk sl so sq sr sv th tr uk uz vi zh-CN zh-TW zh"
)
LANGUAGES = frozenset(_LANGS.split())
_LANG_BY_LOWER = {lang.lower(): lang for lang in LANGUAGES}
#: ``provider_options["didit"]`` keys the adapter understands (anything else is refused, never dropped)
OPTIONS = frozenset({"workflow_id", "biometric_workflow", "callback_method", "sandbox_scenario", "phone",
                     "send_notification_emails", "email_lang", "ip_address"})
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id")
_BAD_CREDENTIALS = "credentials were not provided or are invalid"
#: what an error ``code`` or a field name in an error body may look like to be repeated in an error
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
#: longest return URL read
MAX_RETURN_URL = 8192
#: webhook types about one verification session (they always carry ``session_id``) [DOCS:integration/webhooks]
SESSION_EVENTS = frozenset({"status.updated", "data.updated"})


class DiditSettings(KeyAndWebhookSettings):
    """Didit settings. Environment: ``DIDIT_API_KEY``, ``DIDIT_WORKFLOW_ID``, ``DIDIT_WEBHOOK_SECRET``
    (``DIDIT_WEBHOOK_SECRETS``: comma-separated extra secrets accepted during rotation)."""

    env_aliases = vendor_env("DIDIT", *KeyAndWebhookSettings.SHARED_FIELDS, "workflow_id", "environment")

    workflow_id: str | None = None
    callback_method: Literal["initiator", "completer", "both"] | None = None
    #: the environment of the application whose key this is: ``live``, or ``sandbox`` for a sandbox application
    #: (docs.didit.me/integration/sandbox-testing). A decision or webhook stating the other one never approves.
    environment: Literal["live", "sandbox"] = "live"
    #: the workflow is a biometric-authentication one (``portrait_image`` allowed)
    biometric_workflow: bool = False

    @field_validator("workflow_id")
    @classmethod
    def _uuid(cls, v: str | None) -> str | None:
        if v is not None and not UUID_RE.fullmatch(v):
            raise ValueError("must be a workflow UUID")
        return v



class DiditProvider(Provider):
    """Didit identity verification (REST API v3)."""

    name = "didit"
    display_name = "Didit"
    settings_model = DiditSettings
    capabilities = Capabilities(
        link=LinkReuse.REUSABLE,
        link_source="reference/didit.md: session url; the docs state no single use",
        check_sets=every_check_set(),
        document_types=frozenset(DOCUMENT_CODES),
        reference_image=True,
        expected_identity=True,
        contact_email=True,
        return_url_required=False,
        client_metadata_required=False,
        create_retry=RetryMode.IDEMPOTENT,
        webhooks="HMAC-SHA256 (X-Signature-V2, X-Signature, X-Signature-Simple), 300 s freshness",
        notes="The checks run are those of the Didit workflow (workflow_id); Didit returns the unfinished "
              "session of the same vendor_data again, so creates are retried safely.",
        defaults="the workflow of settings workflow_id decides which checks run; nothing else is filled in",
        unsupported="face_match without a document unless a reference_image is given; reference_image outside a "
                    "biometric workflow; expected.full_name (Didit takes first and last name); languages Didit "
                    "does not offer",
    )
    code_table = CODE_TABLE
    documented_success = frozenset({("status", "Approved")})
    emulator = "ekyc.providers.didit.emulator:DiditEmulator"
    settings: DiditSettings
    #: a decision is documented as HTTP 200; a create as 201 (:data:`CREATED`)
    result_statuses = frozenset({200})

    def __init__(self, settings: ProviderSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (paths keep Didit's trailing slash)."""
        return self.base_url(DEFAULT_BASE_URL) + path

    def headers(self, json_body: bool = False) -> dict[str, str]:
        """Authentication and content headers."""
        h = {"x-api-key": self.settings.secret("api_key"), "Accept": "application/json"}
        if json_body:
            h["Content-Type"] = "application/json"
        return h

    def request(self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None,
                accept: str | None = None) -> httpx.Request:
        """An authenticated request to ``path``."""
        headers = self.headers(json_body=body is not None)
        if accept:
            headers["Accept"] = accept
        content = None if body is None else encode_json(body)
        return httpx.Request(method, self.url(path), headers=headers, content=content, params=params)

    def session_id(self, ref: SessionRef | str) -> str:
        """A Didit session id (UUID) from a ref or string, validated so it cannot alter the path."""
        if isinstance(ref, SessionRef) and ref.provider != self.name:
            raise ConfigurationError(f"session ref belongs to {ref.provider!r}, not didit", field="ref")
        sid = ref.id if isinstance(ref, SessionRef) else ref
        if not isinstance(sid, str) or not UUID_RE.fullmatch(sid):
            raise InvalidRequest("a Didit session id is a UUID", provider=self.name, field="ref")
        return sid.lower()

    def request_id(self, response: httpx.Response) -> str | None:
        """The request id from the response headers, when Didit or a proxy sent one."""
        value = first_header(response.headers, _REQUEST_ID_HEADERS)
        return value[:128] if value else None

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """Didit reports errors through the HTTP status only, with a ``{"detail", "code"}`` or DRF field-error
        body: the code (when identifier-like), the ``detail`` text, or the names of the fields it blames
        (never their values)."""
        if response.status_code < 300:  # a result: the request id only ever names a failed request
            return Envelope(body=data)
        rid = self.request_id(response)
        if not isinstance(data, dict):
            return Envelope(body=data, request_id=rid)
        raw_code = data.get("code") or data.get("error")
        code = raw_code if isinstance(raw_code, str) and _NAME.fullmatch(raw_code) else None
        message: str | None = None
        field: str | None = None
        detail = data.get("detail")
        if isinstance(detail, str):
            message = detail[:2048]
        else:
            # DRF field errors: only identifier-like names are repeated (never values, never free text)
            fields = [k for k in data if k not in ("detail", "code", "error") and _NAME.fullmatch(k)]
            if fields:
                field = fields[0]
                message = f"invalid value for {', '.join(fields[:5])}"
        bad_key = response.status_code in (401, 403) and message is not None and _BAD_CREDENTIALS in message.lower()
        return Envelope(body=data, code=code, message=message, request_id=rid, field=field,
                        error=AuthenticationError if bad_key else None)

    # -- validation --------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Refuse what Didit cannot honour, before any I/O."""
        super().check_request(request)
        opts = request.options_for(self.name)
        unknown = sorted(set(opts) - OPTIONS)
        if unknown:
            raise self.unsupported(f"unknown provider option {unknown[0]!r}", f"provider_options.didit.{unknown[0]}")
        biometric = bool(opts.get("biometric_workflow", self.settings.biometric_workflow))
        if request.reference_image is not None and not biometric:
            raise self.unsupported(
                "reference_image (portrait_image) is only accepted by a biometric-authentication workflow; set "
                "provider_options['didit']['biometric_workflow']=True or the biometric_workflow setting",
                "reference_image")
        if Check.FACE_MATCH in request.checks and Check.DOCUMENT not in request.checks \
                and request.reference_image is None:
            raise self.unsupported("a face match without a document needs a reference_image", "checks")
        if request.expected is not None:
            exp = request.expected
            if exp.full_name is not None and exp.given_name is None and exp.family_name is None:
                raise self.unsupported("expected.full_name: Didit takes first_name and last_name", "expected.full_name")
            if exp.sex == "X":
                raise self.unsupported("expected.sex X: Didit's gender is M, F or null", "expected.sex")
        if request.language is not None and self._language(request.language) is None:
            raise self.unsupported(f"language {request.language} is not offered", "language")
        if "callback_method" in opts and opts["callback_method"] not in ("initiator", "completer", "both"):
            raise self.unsupported("callback_method is initiator, completer or both",
                                   "provider_options.didit.callback_method")
        self._workflow(request)

    def _language(self, tag: str) -> str | None:
        exact = _LANG_BY_LOWER.get(tag.replace("_", "-").lower())
        return exact or _LANG_BY_LOWER.get(tag.replace("_", "-").split("-")[0].lower())

    def _workflow(self, request: SessionRequest) -> str:
        wf = request.options_for(self.name).get("workflow_id") or self.settings.workflow_id
        if not wf:
            raise ConfigurationError("didit needs a workflow_id (setting DIDIT_WORKFLOW_ID or "
                                     "provider_options['didit']['workflow_id'])", field="providers.didit.workflow_id")
        if not isinstance(wf, str) or not UUID_RE.fullmatch(wf):
            raise self.unsupported("workflow_id must be a workflow UUID", "provider_options.didit.workflow_id")
        return wf

    # -- create ------------------------------------------------------------------------------------
    def create_body(self, request: SessionRequest) -> dict[str, Any]:
        """The JSON body of ``POST /v3/session/``."""
        opts = request.options_for(self.name)
        body: dict[str, Any] = {"workflow_id": self._workflow(request), "vendor_data": request.reference}
        if request.return_url:
            body["callback"] = request.return_url
        method = opts.get("callback_method") or self.settings.callback_method
        if method:
            body["callback_method"] = method
        if request.language:
            body["language"] = self._language(request.language)
        if request.metadata:
            body["metadata"] = request.metadata
        if request.reference_image is not None:
            body["portrait_image"] = request.reference_image
        if opts.get("sandbox_scenario"):
            body["sandbox_scenario"] = str(opts["sandbox_scenario"])
        contact: dict[str, Any] = {}
        if request.contact_email:
            contact["email"] = request.contact_email
        for key, target in (("phone", "phone"), ("send_notification_emails", "send_notification_emails"),
                            ("email_lang", "email_lang")):
            if key in opts:
                contact[target] = opts[key]
        if contact:
            body["contact_details"] = contact
        expected: dict[str, Any] = {}
        exp = request.expected
        if exp is not None:
            for src, dst in (("given_name", "first_name"), ("family_name", "last_name"),
                             ("nationality", "nationality"), ("document_number", "identification_number"),
                             ("address", "address"), ("sex", "gender")):
                value = getattr(exp, src)
                if value is not None:
                    expected[dst] = value
            if exp.date_of_birth is not None:
                expected["date_of_birth"] = exp.date_of_birth.isoformat()
        if request.document_types:
            expected["expected_document_types"] = [DOCUMENT_CODES[d] for d in request.document_types]
        if request.country:
            expected["country"] = request.country
            expected["id_country"] = request.country
        if "ip_address" in opts:
            expected["ip_address"] = opts["ip_address"]
        if expected:
            body["expected_details"] = expected
        return body

    def build_create(self, request: SessionRequest) -> Prepared:
        """``POST /v3/session/`` — retried safely: Didit de-duplicates on ``vendor_data``."""
        return Prepared(self.request("POST", "/v3/session/", body=self.create_body(request)), CREATE_SESSION,
                        RetryMode.IDEMPOTENT)

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        """The started session. ``reused`` is True when Didit handed back an existing unfinished session:
        its status is no longer ``Not Started``, or this adapter already saw that ``session_id`` created."""
        data = self.read(prepared, response, ok=CREATED).body
        with malformed(self.name, "session", http_status=response.status_code):
            data = dict(wire.obj(data, "body"))
            sid = wire.code(data.get("session_id"), "session_id", max_len=64)
            if sid is None or not UUID_RE.fullmatch(sid):
                raise wire.WireError("session_id", "expected a UUID")
            url = wire.code(data.get("url"), "url", max_len=4096)
            if not url:
                token = wire.code(data.get("session_token"), "session_token", max_len=512)
                if not token:
                    raise wire.WireError("session_token", "missing")
                url = f"{HOSTED_BASE_URL}/session/{quote(token, safe='')}"
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or not url.isprintable():
                raise wire.WireError("url", "expected an http(s) URL")
            status = wire.code(data.get("status"), "status")
            reused = (status is not None and status != "Not Started") or self._remember(sid.lower())
            expires_at = wire.iso_datetime(data.get("expires_at"), "expires_at")
            return Session(ref=SessionRef(provider=self.name, id=sid.lower()), url=url, expires_at=expires_at,
                           reused=reused, raw=data)

    def _remember(self, sid: str) -> bool:
        with self._seen_lock:
            if sid in self._seen:
                self._seen.move_to_end(sid)
                return True
            self._seen[sid] = None
            while len(self._seen) > 4096:
                self._seen.popitem(last=False)
            return False

    # -- result --------------------------------------------------------------------------------------
    def build_result(self, ref: SessionRef) -> Prepared:
        """``GET /v3/session/{id}/decision/``."""
        sid = self.session_id(ref)
        return Prepared(self.request("GET", f"/v3/session/{sid}/decision/"), GET_RESULT, RetryMode.READ,
                        ref=ref.model_copy(update={"id": sid}))

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The decision (fail closed; ``Decision.reference`` is the echoed ``vendor_data``)."""
        ref = prepared.require_ref()

        def decision(env: Envelope) -> Decision:
            data = wire.obj(env.body, "body")
            sid = wire.code(data.get("session_id"), "session_id", max_len=64)
            if sid is not None and sid.lower() != ref.id.lower():
                raise wire.WireError("session_id", "does not match the request")
            return decide(data, ref, expected_environment=self.settings.environment)

        return self.read_result(prepared, response, decision)

    # -- return URL and webhooks -------------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """``callback?verificationSessionId=…&status=…`` → the session (``status`` is never trusted).

        Raises :class:`WebhookVerificationError` (field ``url`` or ``verificationSessionId``) for anything
        that is not one URL carrying exactly one session UUID.
        """
        if not isinstance(url, str) or len(url) > MAX_RETURN_URL:
            raise WebhookVerificationError("not a URL", provider=self.name, field="url")
        try:
            query = parse_qs(urlsplit(url).query, max_num_fields=64)
        except (ValueError, TypeError):
            raise WebhookVerificationError("not a URL", provider=self.name, field="url") from None
        values = set(query.get("verificationSessionId", []))
        if len(values) != 1:
            raise WebhookVerificationError("no single verificationSessionId in the return URL", provider=self.name,
                                           field="verificationSessionId")
        sid = values.pop()
        if not UUID_RE.fullmatch(sid):
            raise WebhookVerificationError("verificationSessionId is not a UUID", provider=self.name,
                                           field="verificationSessionId")
        return SessionRef(provider=self.name, id=sid.lower())

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a Didit webhook (V2, then raw, then Simple; every configured secret) and parse it.

        Session events (``status.updated``, ``data.updated``) must name their ``session_id``; a signed event
        about no session (``user.*``, ``business.*``, ``transaction.*``, ``activity.created``, …) gives a
        :class:`WebhookEvent` with ``ref=None`` and its ``event_type``. ``decision`` is set only when the
        whole payload is signed (V2 or raw) and carries one whose status agrees with the envelope.
        Raises :class:`WebhookVerificationError` for anything else.
        """
        payload, scheme, when = signing.verify(body, headers, self.settings.all_webhook_secrets(), self.clock())
        full = scheme != "X-Signature-Simple"
        try:
            sid = wire.code(payload.get("session_id"), "session_id", max_len=64)
            event_type = wire.code(payload.get("webhook_type"), "webhook_type") \
                or wire.code(payload.get("event"), "event")  # the older entity-webhook envelope
            status = wire.code(payload.get("status"), "status")
            event_id = wire.code(payload.get("event_id"), "event_id", max_len=256)
        except wire.WireError as exc:
            raise WebhookVerificationError(f"webhook {exc.field} has an unexpected value", provider=self.name,
                                           field=exc.field) from None
        if sid is not None and not UUID_RE.fullmatch(sid):
            raise WebhookVerificationError("webhook session_id is not a UUID", provider=self.name,
                                           field="session_id")
        if sid is None and (event_type is None or event_type in SESSION_EVENTS):
            raise WebhookVerificationError("webhook has no session_id", provider=self.name, field="session_id")
        ref = None if sid is None else SessionRef(provider=self.name, id=sid.lower())
        decision = None
        raw_decision = payload.get("decision")
        if full and ref is not None and isinstance(raw_decision, dict):
            inner = raw_decision.get("status")
            inner_sid = raw_decision.get("session_id")
            if inner_sid is not None and (not isinstance(inner_sid, str) or inner_sid.lower() != ref.id):
                raise WebhookVerificationError("the decision is about another session", provider=self.name,
                                               field="decision.session_id")
            if inner is None or inner == status:
                try:
                    with malformed(self.name, "webhook decision"):
                        if raw_decision.get("vendor_data") is None and payload.get("vendor_data") is not None:
                            raw_decision = {**raw_decision, "vendor_data": payload["vendor_data"]}
                        decision = decide(raw_decision, ref, status=inner if inner is not None else status,
                                          expected_environment=self.settings.environment,
                                          environment=wire.code(payload.get("environment"), "environment"))
                except EkycError:
                    raise WebhookVerificationError("webhook decision has an unexpected shape",
                                                   provider=self.name, field="decision") from None
        return WebhookEvent(
            provider=self.name, ref=ref, event_id=event_id, event_type=event_type,
            provider_status=status, verified_by=scheme,
            authenticated="payload" if full else "envelope",
            decision=decision, occurred_at=when, raw=payload,
        )

    # -- provider-specific operations --------------------------------------------------------------
    def extension(self, call: ExtensionCall) -> Any:
        """Didit-only operations (workflows, manual status, PDF, blocklist, listing): see :class:`DiditOperations`."""
        from .extension import DiditOperations

        return DiditOperations(self, call)


__all__ = ["DiditProvider", "DiditSettings"]
