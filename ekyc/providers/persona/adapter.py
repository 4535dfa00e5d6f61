"""The Persona adapter (REST API ``/api/v1``, JSON:API, ``Authorization: Bearer``, ``Persona-Version``
pinned to 2025-12-08): sans-I/O request building and response parsing."""

from __future__ import annotations

import json
import re
import secrets
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import Field, field_validator

from ekyc import _wire as wire
from ekyc.countries import ALPHA3_TO_ALPHA2, to_alpha3
from ekyc.errors import ConfigurationError, InvalidRequest, SessionNotFound, WebhookVerificationError
from ekyc.models import Decision, DocumentType, Session, SessionRef, SessionRequest, WebhookEvent
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
    malformed,
    parse_retry_after,
    vendor_env,
)

from . import signing
from .codes import CODE_TABLE
from .result import CLASSES_OF, Requested, decide

DEFAULT_BASE_URL = "https://api.withpersona.com"
API_PREFIX = "/api/v1"
#: the API version every request pins (the spec this adapter and its emulator are checked against)
API_VERSION = "2025-12-08"
#: Persona ids: ``inq_`` + base-58-ish token [SPEC examples]
INQUIRY_ID = re.compile(r"inq_[A-Za-z0-9]{1,64}")
TEMPLATE_ID = re.compile(r"(itmplv|itmpl|tmpl)_[A-Za-z0-9]{1,64}")
#: the one-time link's default lifetime when neither the request nor the template sets one [SPEC
#: generate-a-one-time-link: "Default expiry is 24 hours"]
DEFAULT_LINK_SECONDS = 24 * 3600
#: webhook events about one inquiry (they carry the inquiry as ``payload.data``) [SPEC webhooks]
INQUIRY_EVENTS = frozenset({
    "inquiry.created", "inquiry.started", "inquiry.expired", "inquiry.completed", "inquiry.failed",
    "inquiry.marked-for-review", "inquiry.approved", "inquiry.declined", "inquiry.transitioned",
    "inquiry.redacted", "inquiry.reusable-persona-created", "inquiry.reusable-persona-used", "inquiry.updated-tags",
})
MAX_URL = 8192
#: a create is documented as HTTP 201 [SPEC create-an-inquiry]
CREATED = frozenset({201})


class PersonaSettings(KeyAndWebhookSettings):
    """Persona settings. Environment: ``PERSONA_API_KEY``, ``PERSONA_INQUIRY_TEMPLATE_ID``,
    ``PERSONA_WEBHOOK_SECRET`` (``PERSONA_WEBHOOK_SECRETS``: comma-separated extra secrets during rotation),
    ``PERSONA_DECISIONING``."""

    env_aliases = vendor_env("PERSONA", *KeyAndWebhookSettings.SHARED_FIELDS, "inquiry_template_id", "decisioning")

    #: itmpl_… (Dynamic Flow), itmplv_… (one version) or tmpl_… (Legacy 2.0); or per request
    #: ``provider_options["persona"]["inquiry_template_id"]``
    inquiry_template_id: str | None = None
    #: who decides: ``workflow`` — a post-inquiry workflow or a reviewer sets approved/declined/needs_review
    #: (``completed`` is not a decision); ``completion`` — the template has no post-inquiry decisioning, so
    #: ``completed`` is the success (see the code table)
    decisioning: Literal["workflow", "completion"] = "workflow"
    #: seconds the one-time link stays valid (Persona's default: the template's setting, else 24 hours)
    link_expires_in: int | None = Field(default=None, gt=0, le=30 * 24 * 3600)

    @field_validator("inquiry_template_id")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None and not TEMPLATE_ID.fullmatch(v):
            raise ValueError("must be an inquiry template id (itmpl_…, itmplv_… or tmpl_…)")
        return v



def encode_json(body: Any) -> bytes:
    """A request body as compact JSON (:class:`InvalidRequest` for what JSON cannot carry)."""
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise InvalidRequest("the request body is not JSON-serializable", provider="persona", field="body") from None


class PersonaProvider(Provider):
    """Persona inquiries (hosted flow through a one-time link)."""

    name = "persona"
    display_name = "Persona"
    settings_model = PersonaSettings
    capabilities = Capabilities(
        link=LinkReuse.RENEWABLE,
        link_source="Persona API: one-time links; POST /inquiries/{id}/generate-one-time-link",
        check_sets=every_check_set(),
        document_types=frozenset(CLASSES_OF),
        reference_image=False,
        expected_identity=True,
        contact_email=True,
        return_url_required=False,
        client_metadata_required=False,
        create_retry=RetryMode.IDEMPOTENT,
        webhooks="HMAC-SHA256 (Persona-Signature t=…,v1=…; every v1 during rotation), 300 s freshness",
        notes="The checks, ID classes and countries are the inquiry template's; requested document types and "
              "country are checked against the ID the user showed (another one never approves). Creates carry an "
              "Idempotency-Key kept across the attempts of one call, so they are retried safely.",
        defaults="the inquiry template's checks, ID classes and countries; the one-time link lives as the template "
                 "says (24 hours by default); language is the browser's",
        unsupported="reference image; expected full name (alone), sex, nationality and free-text address; metadata "
                    "(a note instead); document type OTHER",
    )
    code_table = CODE_TABLE
    #: ``approved`` in either template setup, and ``completed`` only where the template decides on completion
    documented_success = frozenset({("status", "approved"), ("status.completion", "approved"),
                                    ("status.completion", "completed")})
    emulator = "ekyc.providers.persona.emulator:PersonaEmulator"
    settings: PersonaSettings

    def __init__(self, settings: ProviderSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._keys: dict[int, tuple[weakref.ref[SessionRequest], str]] = {}
        self._keys_lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/inquiries/…`` → ``…/api/v1/inquiries/…``)."""
        return self.base_url(DEFAULT_BASE_URL) + API_PREFIX + path

    def request(self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
                idempotency_key: str | None = None) -> httpx.Request:
        """An authenticated request with the pinned ``Persona-Version``."""
        headers = {"Authorization": f"Bearer {self.settings.secret('api_key')}", "Accept": "application/json",
                   "Persona-Version": API_VERSION}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        content = None if body is None else encode_json(body)
        return httpx.Request(method, self.url(path), headers=headers, content=content, params=params)

    def inquiry_id(self, ref: SessionRef | str) -> str:
        """A Persona inquiry id from a ref or string, validated so it cannot alter the path."""
        if isinstance(ref, SessionRef) and ref.provider != self.name:
            raise ConfigurationError(f"session ref belongs to {ref.provider!r}, not persona", field="ref")
        iid = ref.id if isinstance(ref, SessionRef) else ref
        if not isinstance(iid, str) or not INQUIRY_ID.fullmatch(iid):
            raise InvalidRequest("a Persona inquiry id is inq_ followed by letters and digits", provider=self.name,
                                 field="ref")
        return iid

    def idempotency_key(self, request: SessionRequest) -> str:
        """One key per create call: every attempt of one call (the client rebuilds the request per attempt from
        the same ``SessionRequest`` object) sends the same key, so Persona returns the first attempt's result
        instead of starting a second inquiry [DOCS:idempotence]; another call gets a new key."""
        with self._keys_lock:
            held = self._keys.get(id(request))
            if held is not None and held[0]() is request:
                return held[1]
            key = "ekyc-" + secrets.token_hex(16)
            self._keys = {k: v for k, v in self._keys.items() if v[0]() is not None}
            if len(self._keys) >= 4096:
                self._keys.pop(next(iter(self._keys)))
            self._keys[id(request)] = (weakref.ref(request), key)
            return key

    def request_id(self, response: httpx.Response) -> str | None:
        """Persona's ``Request-Id`` (``req_…``)."""
        value: str | None = response.headers.get("request-id")
        return value[:128] if value else None

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """Persona reports errors by HTTP status with ``{"errors": [{"title", "details"}]}`` (no error code): the
        first error's title and details (scrubbed before they are shown), ``Request-Id``, and for a 429
        ``Retry-After`` or else ``RateLimit-Reset`` (seconds until the window resets)."""
        if response.status_code < 300:  # a result: the request id only ever names a failed request
            return Envelope(body=data)
        rid = self.request_id(response)
        message = None
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts = [errors[0].get(k) for k in ("title", "details")]
            message = " — ".join(p[:512] for p in parts if isinstance(p, str) and p) or None
        retry_after = None
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after")) \
                if response.headers.get("retry-after") else parse_retry_after(response.headers.get("ratelimit-reset"))
        return Envelope(body=data, message=message, request_id=rid, retry_after=retry_after)

    # -- validation --------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Refuse what Persona cannot honour, before any I/O."""
        super().check_request(request)
        opts = request.options_for(self.name)
        unknown = sorted(set(opts) - {"inquiry_template_id", "link_expires_in", "note"})
        if unknown:
            raise self.unsupported(f"unknown provider option {unknown[0]!r}", f"provider_options.persona.{unknown[0]}")
        self._template(request)
        if "link_expires_in" in opts:
            value = opts["link_expires_in"]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 30 * 24 * 3600:
                raise self.unsupported("link_expires_in is a number of seconds (1 to 30 days)",
                                       "provider_options.persona.link_expires_in")
        if "note" in opts and not isinstance(opts["note"], str):
            raise self.unsupported("note is text", "provider_options.persona.note")
        if DocumentType.OTHER in request.document_types:
            raise self.unsupported("document type OTHER has no Persona ID class", "document_types")
        exp = request.expected
        if exp is not None:
            for name, why in (("full_name", "Persona takes name-first and name-last"),
                              ("sex", "Persona's inquiry fields have no sex"),
                              ("nationality", "Persona's inquiry fields have no nationality"),
                              ("address", "Persona takes a structured address (address-street-1, -city, …)")):
                if getattr(exp, name) is not None:
                    raise self.unsupported(f"expected.{name}: {why}", f"expected.{name}")
        if request.metadata:
            raise self.unsupported("metadata: Persona inquiries carry no free metadata (use provider_options "
                                   "['persona']['note'])", "metadata")

    def _template(self, request: SessionRequest) -> str:
        tid = request.options_for(self.name).get("inquiry_template_id") or self.settings.inquiry_template_id
        if tid is None:
            raise ConfigurationError("persona needs an inquiry template (setting PERSONA_INQUIRY_TEMPLATE_ID or "
                                     "provider_options['persona']['inquiry_template_id'])",
                                     field="providers.persona.inquiry_template_id")
        if not isinstance(tid, str) or not TEMPLATE_ID.fullmatch(tid):
            raise self.unsupported("inquiry_template_id must be itmpl_…, itmplv_… or tmpl_…",
                                   "provider_options.persona.inquiry_template_id")
        return tid

    # -- create ------------------------------------------------------------------------------------
    def requested(self, request: SessionRequest) -> Requested:
        """The document types and country to check on the result (Persona's template decides them)."""
        classes = frozenset(c for d in request.document_types for c in CLASSES_OF.get(d, ()))
        country = None
        if request.country:
            a3 = to_alpha3(request.country)
            country = ALPHA3_TO_ALPHA2.get(a3) if a3 else None
        return Requested(classes, country)

    def create_body(self, request: SessionRequest) -> dict[str, Any]:
        """The JSON:API body of ``POST /api/v1/inquiries``."""
        opts = request.options_for(self.name)
        tid = self._template(request)
        key = {"itmplv": "inquiry-template-version-id", "itmpl": "inquiry-template-id",
               "tmpl": "template-id"}[tid.split("_", 1)[0]]
        attributes: dict[str, Any] = {key: tid, "reference-id": request.reference}
        if request.return_url:
            attributes["redirect-uri"] = request.return_url
        if opts.get("note"):
            attributes["note"] = opts["note"]
        fields: dict[str, Any] = {}
        exp = request.expected
        if exp is not None:
            if exp.given_name is not None:
                fields["name-first"] = exp.given_name
            if exp.family_name is not None:
                fields["name-last"] = exp.family_name
            if exp.date_of_birth is not None:
                fields["birthdate"] = exp.date_of_birth.isoformat()
            if exp.document_number is not None:
                fields["identification-number"] = exp.document_number
        if request.contact_email:
            fields["email-address"] = request.contact_email
        if fields:
            attributes["fields"] = fields
        meta: dict[str, Any] = {"auto-create-one-time-link": True}
        seconds = opts.get("link_expires_in") or self.settings.link_expires_in
        if seconds:
            meta["one-time-link-expiration-seconds"] = int(seconds)
        return {"data": {"attributes": attributes}, "meta": meta}

    def build_create(self, request: SessionRequest) -> Prepared:
        """``POST /api/v1/inquiries`` with ``meta.auto-create-one-time-link``; the ``Idempotency-Key`` is the same
        for every attempt of one call, so a retry returns the same inquiry (and link)."""
        req = self.request("POST", "/inquiries", body=self.create_body(request),
                           idempotency_key=self.idempotency_key(request))
        seconds = request.options_for(self.name).get("link_expires_in") or self.settings.link_expires_in
        return Prepared(req, CREATE_SESSION, RetryMode.IDEMPOTENT,
                        {"requested": self.requested(request), "link_seconds": seconds or DEFAULT_LINK_SECONDS})

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        """The started inquiry and its one-time link (single use; 24 hours unless configured)."""
        try:
            data = self.read(prepared, response, ok=CREATED).body
        except SessionNotFound as exc:  # at create, 404 names the template: a configuration problem
            error = InvalidRequest("the inquiry template was not found (check the inquiry_template_id setting)",
                                   provider=self.name, http_status=exc.http_status, request_id=exc.request_id,
                                   field="inquiry_template_id")
            raise error from None
        with malformed(self.name, "inquiry", http_status=response.status_code):
            doc = wire.obj(data, "body")
            inquiry = wire.obj(doc.get("data"), "data")
            if wire.code(inquiry.get("type"), "data.type") != "inquiry":
                raise wire.WireError("data.type", "is not inquiry")
            iid = wire.code(inquiry.get("id"), "data.id", max_len=80)
            if iid is None or not INQUIRY_ID.fullmatch(iid):
                raise wire.WireError("data.id", "is not an inquiry id")
            meta = wire.obj(doc.get("meta"), "meta")
            url = wire.link(meta.get("one-time-link"), "meta.one-time-link")
            status = wire.code(wire.obj(inquiry.get("attributes"), "data.attributes").get("status"),
                               "data.attributes.status")
            requested: Requested = prepared.context.get("requested", Requested())
            seconds = int(prepared.context.get("link_seconds", DEFAULT_LINK_SECONDS))
            expires = datetime.fromtimestamp(self.clock(), tz=timezone.utc) + timedelta(seconds=seconds)
            return Session(ref=SessionRef(provider=self.name, id=iid, extra=requested.to_extra()), url=url,
                           expires_at=expires, reused=status not in (None, "created"), single_use=True, raw=doc)

    # -- result --------------------------------------------------------------------------------------
    def build_result(self, ref: SessionRef) -> Prepared:
        """``GET /api/v1/inquiries/{id}?include=verifications``."""
        iid = self.inquiry_id(ref)
        return Prepared(self.request("GET", f"/inquiries/{quote(iid, safe='')}", params={"include": "verifications"}),
                        GET_RESULT, RetryMode.READ, ref=ref)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The normalized decision (fail closed; ``Decision.reference`` is the echoed ``reference-id``)."""
        ref = prepared.require_ref()
        return self.read_result(prepared, response, lambda env: decide(env.body, ref, self.settings.decisioning))

    # -- return URL and webhooks -------------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """``redirect-uri?inquiry-id=inq_…&reference-id=…&status=…`` → the inquiry (``status`` never trusted)."""
        if not isinstance(url, str) or len(url) > MAX_URL:
            raise WebhookVerificationError("not a URL", provider=self.name, field="url")
        try:
            query = parse_qs(urlsplit(url).query, max_num_fields=64)
        except (ValueError, TypeError):
            raise WebhookVerificationError("not a URL", provider=self.name, field="url") from None
        values = set(query.get("inquiry-id", []))
        if len(values) != 1:
            raise WebhookVerificationError("no single inquiry-id in the return URL", provider=self.name,
                                           field="inquiry-id")
        iid = values.pop()
        if not INQUIRY_ID.fullmatch(iid):
            raise WebhookVerificationError("inquiry-id is not an inquiry id", provider=self.name, field="inquiry-id")
        return SessionRef(provider=self.name, id=iid)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a ``Persona-Signature`` delivery and read its event (``data.type`` ``event``).

        ``inquiry.*`` events name the inquiry (``payload.data``); other signed events give ``ref=None``. The
        event's ``decision`` is left unset: an inquiry event carries verifications only when inclusion is
        enabled on the webhook, and the ref it names lacks what the create asked for, so call
        ``get_result(stored_ref)``. Raises :class:`WebhookVerificationError` for anything else.
        """
        payload, when = signing.verify(body, headers, self.settings.all_webhook_secrets(), self.clock())
        try:
            data = wire.obj(payload.get("data"), "data")
            if wire.code(data.get("type"), "data.type") != "event":
                raise wire.WireError("data.type", "is not event")
            event_id = wire.code(data.get("id"), "data.id", max_len=128)
            attrs = wire.obj(data.get("attributes"), "data.attributes")
            name = wire.code(attrs.get("name"), "data.attributes.name")
            if name is None:
                raise wire.WireError("data.attributes.name", "missing")
            occurred = wire.iso_datetime(attrs.get("created-at"), "data.attributes.created-at") or when
            inner = wire.opt_obj(wire.opt_obj(attrs.get("payload"), "data.attributes.payload").get("data"),
                                 "data.attributes.payload.data")
            ref = status = None
            if name in INQUIRY_EVENTS or name.startswith("inquiry."):
                if wire.code(inner.get("type"), "payload.data.type") != "inquiry":
                    raise wire.WireError("payload.data.type", "is not inquiry")
                iid = wire.code(inner.get("id"), "payload.data.id", max_len=80)
                if iid is None or not INQUIRY_ID.fullmatch(iid):
                    raise wire.WireError("payload.data.id", "is not an inquiry id")
                ref = SessionRef(provider=self.name, id=iid)
                status = wire.code(wire.opt_obj(inner.get("attributes"), "payload.data.attributes").get("status"),
                                   "payload.data.attributes.status")
        except wire.WireError as exc:
            raise WebhookVerificationError(f"webhook {exc.field} has an unexpected value", provider=self.name,
                                           field=exc.field) from None
        return WebhookEvent(provider=self.name, ref=ref, event_id=event_id, event_type=name, provider_status=status,
                            verified_by=signing.SIGNATURE_HEADER, authenticated="payload", decision=None,
                            occurred_at=occurred, raw=payload)

    # -- provider-specific operations --------------------------------------------------------------
    def extension(self, call: ExtensionCall) -> Any:
        """Persona-only operations (one-time links, sandbox simulate actions, redaction): :class:`PersonaOperations`."""
        from .extension import PersonaOperations

        return PersonaOperations(self, call)


__all__ = ["API_VERSION", "PersonaProvider", "PersonaSettings"]
