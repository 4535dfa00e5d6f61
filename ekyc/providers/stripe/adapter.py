"""The Stripe Identity adapter (``/v1/identity/verification_sessions``, secret key as Bearer, form-encoded
requests): sans-I/O request building and response parsing.

Wire facts and their sources are in :mod:`.codes` and ``NOTES.md``; the official library (stripe-python) is the
test oracle of the emulator, never imported here.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import field_validator

from ekyc import _wire as wire
from ekyc.errors import (
    ConfigurationError,
    InvalidRequest,
    WebhookVerificationError,
)
from ekyc.models import Check, Decision, DocumentType, Session, SessionRef, SessionRequest, WebhookEvent
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
    malformed,
    vendor_env,
)

from . import signing
from .codes import CODE_TABLE
from .parse import decide, requested_token, types_part

DEFAULT_BASE_URL = "https://api.stripe.com"
SESSIONS_PATH = "/v1/identity/verification_sessions"
#: a VerificationSession id; always used with ``fullmatch``
SESSION_ID = re.compile(r"vs_[A-Za-z0-9]{1,250}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{1,250}")
#: the return-URL query parameter this adapter adds; Stripe fills ``{VERIFICATION_SESSION_ID}`` in on redirect
RETURN_PARAM = "verification_session"
RETURN_TEMPLATE = "{VERIFICATION_SESSION_ID}"
#: ``options.document.allowed_types`` values [SP] params/identity/_verification_session_create_params.py
DOCUMENT_CODES: dict[DocumentType, str] = {
    DocumentType.PASSPORT: "passport",
    DocumentType.ID_CARD: "id_card",
    DocumentType.DRIVERS_LICENSE: "driving_license",
}
#: what a result read expands: the report and the verified outputs
#: [docs.stripe.com/identity/access-verification-results]
EXPAND = ("last_verification_report", "verified_outputs")
#: sensitive fields, expanded only with ``sensitive_results`` (they need a restricted key with access to them)
SENSITIVE_EXPAND = ("verified_outputs.dob", "last_verification_report.document.number",
                    "last_verification_report.document.dob", "last_verification_report.document.expiration_date")
#: ``provider_options["stripe"]`` keys the adapter understands (anything else is refused, never dropped)
OPTIONS = frozenset({"require_live_capture", "require_id_number", "idempotency_key", "phone"})
#: Stripe metadata limits [docs.stripe.com/api/metadata]: 50 keys, keys ≤ 40 characters, values ≤ 500
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY = 40
MAX_METADATA_VALUE = 500
MAX_URL = 8192
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,255}")
_SESSION_EVENTS = "identity.verification_session."

_CHECKS_DOCUMENT = frozenset({Check.DOCUMENT})
_CHECKS_SELFIE = frozenset({Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH})


class StripeSettings(KeyAndWebhookSettings):
    """Stripe Identity settings. Environment: ``STRIPE_API_KEY`` (a secret ``sk_…`` or restricted ``rk_…``
    key), ``STRIPE_WEBHOOK_SECRET`` (``whsec_…``; ``STRIPE_WEBHOOK_SECRETS``: comma-separated extra secrets
    accepted during rotation)."""

    env_aliases = vendor_env("STRIPE", *KeyAndWebhookSettings.SHARED_FIELDS)

    #: ``Stripe-Version`` to pin (the account's default version when unset)
    api_version: str | None = None
    #: expand the sensitive results (date of birth, document number and expiry), which needs a restricted key
    #: with access to them [docs.stripe.com/identity/access-verification-results]; unset: only with a
    #: restricted key (``rk_…``)
    sensitive_results: bool | None = None
    #: ``options.document.require_live_capture`` (Stripe's default is false)
    require_live_capture: bool = True

    @field_validator("api_version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\.[a-z]+)?", v):
            raise ValueError("must be a Stripe API version such as 2024-06-20")
        return v


def encode_form(params: Mapping[str, Any]) -> bytes:
    """Stripe's form encoding: nested objects as ``a[b][c]=v``, lists as ``a[0]=v``, booleans ``true``/``false``,
    ``None`` left out (what stripe-python's ``_api_encode`` sends)."""
    pairs: list[tuple[str, str]] = []
    _form_pairs("", params, pairs)
    return urlencode(pairs).encode("ascii")


def _form_pairs(key: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    """Append ``value``'s form pairs under ``key`` to ``pairs`` (a module function, not a closure that calls
    itself: that closure and its cell form a reference cycle on every call, left to the garbage collector)."""
    if value is None:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _form_pairs(f"{key}[{k}]" if key else str(k), v, pairs)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _form_pairs(f"{key}[{i}]", v, pairs)
    elif isinstance(value, bool):
        pairs.append((key, "true" if value else "false"))
    else:
        pairs.append((key, str(value)))


def with_return_param(url: str) -> str:
    """``url`` with ``verification_session={VERIFICATION_SESSION_ID}`` added (kept when already there)."""
    parts = urlsplit(url)
    if RETURN_TEMPLATE in parts.query:
        return url
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}{RETURN_PARAM}={RETURN_TEMPLATE}"))


def _key_mode(key: str) -> bool | None:
    """The mode of an API key (``sk_live_``/``rk_live_`` → True, ``…_test_`` → False, else None)."""
    for prefix, live in (("sk_live_", True), ("rk_live_", True), ("sk_test_", False), ("rk_test_", False)):
        if key.startswith(prefix):
            return live
    return None


class StripeProvider(Provider):
    """Stripe Identity (VerificationSessions)."""

    name = "stripe"
    display_name = "Stripe Identity"
    settings_model = StripeSettings
    capabilities = Capabilities(
        link=LinkReuse.RENEWABLE,
        link_source=(
            "docs.stripe.com/api/identity/verification_sessions: url can only be used once; retrieve returns "
            "a valid url while requires_input"),
        check_sets=frozenset({_CHECKS_DOCUMENT, _CHECKS_SELFIE}),
        document_types=frozenset(DOCUMENT_CODES),
        reference_image=False,
        expected_identity=False,
        contact_email=True,
        return_url_required=False,
        client_metadata_required=False,
        create_retry=RetryMode.IDEMPOTENT,
        webhooks="HMAC-SHA256 Stripe-Signature (t=…,v1=…; one v1 per secret during rotation), 300 s tolerance",
        notes="Creates carry an Idempotency-Key (one per create_session call, or provider_options['stripe']"
              "['idempotency_key']), so Stripe replays the first answer to a repeat: creates are retried safely. "
              "The selfie check (require_matching_selfie) is Stripe's face match and liveness at once.",
    )
    code_table = CODE_TABLE
    documented_success = frozenset({("status", "verified")})
    emulator = "ekyc.providers.stripe.emulator:StripeEmulator"
    settings: StripeSettings

    def __init__(self, settings: ProviderSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._keys: OrderedDict[int, tuple[SessionRequest, str]] = OrderedDict()
        self._keys_lock = threading.Lock()
        #: the settings :meth:`livemode` last read and what it found (settings are frozen: a new mode is a new object)
        self._mode: tuple[ProviderSettings, bool | None] | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path."""
        return self.base_url(DEFAULT_BASE_URL) + path

    def headers(self, form: bool = False) -> dict[str, str]:
        """Authentication (Bearer secret key) and content headers."""
        h = {"Authorization": f"Bearer {self.settings.secret('api_key')}", "Accept": "application/json"}
        if self.settings.api_version:
            h["Stripe-Version"] = self.settings.api_version
        if form:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        return h

    def request(self, method: str, path: str, *, form: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Request:
        """An authenticated request; ``form`` is the body of a POST or the query of a GET."""
        h = self.headers(form=form is not None and method == "POST")
        h.update(headers or {})
        url = self.url(path)
        if method == "POST":
            return httpx.Request(method, url, headers=h, content=encode_form(form or {}))
        query = encode_form(form or {}).decode("ascii")
        return httpx.Request(method, f"{url}?{query}" if query else url, headers=h)

    def session_id(self, ref: SessionRef | str) -> str:
        """A VerificationSession id from a ref or string, validated so it cannot alter the path."""
        if isinstance(ref, SessionRef) and ref.provider != self.name:
            raise ConfigurationError(f"session ref belongs to {ref.provider!r}, not stripe", field="ref")
        sid = ref.id if isinstance(ref, SessionRef) else ref
        if not isinstance(sid, str) or not SESSION_ID.fullmatch(sid):
            raise InvalidRequest("a Stripe VerificationSession id is vs_ followed by letters and digits",
                                 provider=self.name, field="ref")
        return sid

    @staticmethod
    def request_id(response: httpx.Response) -> str | None:
        """Stripe's ``Request-Id`` header."""
        value: str | None = response.headers.get("request-id")
        return value[:128] if value else None

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """The hook of the shared reader (:meth:`~ekyc.provider.Provider.read`): a 200 body is the object;
        an error body is Stripe's ``{"error": {type, code, message, param}}`` — its ``code`` (looked up in the
        table's ``api_error`` kind, else the HTTP status types it: 401 AuthenticationError, 404
        SessionNotFound…), ``message`` (scrubbed), ``param`` and the ``Request-Id`` header."""
        if response.status_code == 200:  # the object: the request id only ever names a failed request
            return Envelope(body=data)
        rid = self.request_id(response)
        if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
            return Envelope(body=data, request_id=rid)
        err = data["error"]
        code, text, param = err.get("code"), err.get("message"), err.get("param")
        return Envelope(body=data, code=code if isinstance(code, str) and code else None,
                        message=text[:2048] if isinstance(text, str) else None, request_id=rid,
                        field=param if isinstance(param, str) else None)

    # -- validation --------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Refuse what Stripe cannot take, before any I/O."""
        super().check_request(request)
        opts = request.options_for(self.name)
        unknown = sorted(set(opts) - OPTIONS)
        if unknown:
            raise self.unsupported(f"unknown provider option {unknown[0]!r}", f"provider_options.stripe.{unknown[0]}")
        for flag in ("require_live_capture", "require_id_number"):
            if flag in opts and not isinstance(opts[flag], bool):
                raise self.unsupported(f"{flag} is true or false", f"provider_options.stripe.{flag}")
        key = opts.get("idempotency_key")
        if key is not None and (not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key)):
            raise self.unsupported("idempotency_key is 1-255 letters, digits or _.:-",
                                   "provider_options.stripe.idempotency_key")
        phone = opts.get("phone")
        if phone is not None and (not isinstance(phone, str) or not re.fullmatch(r"\+[1-9][0-9]{6,14}", phone)):
            raise self.unsupported("phone is an E.164 number (+ and digits)", "provider_options.stripe.phone")
        if len(request.metadata) > MAX_METADATA_KEYS:
            raise self.unsupported(f"Stripe metadata holds at most {MAX_METADATA_KEYS} keys", "metadata")
        for k, v in request.metadata.items():
            if not k or len(k) > MAX_METADATA_KEY or "[" in k or "]" in k:
                raise self.unsupported(f"Stripe metadata keys are 1-{MAX_METADATA_KEY} characters without "
                                       "brackets", "metadata")
            if isinstance(v, (dict, list)) or v is None:
                raise self.unsupported("Stripe metadata values are strings, numbers or booleans", "metadata")
            if len(self._metadata_value(v)) > MAX_METADATA_VALUE:
                raise self.unsupported(f"Stripe metadata values are at most {MAX_METADATA_VALUE} characters",
                                       "metadata")
        if request.return_url is not None and len(with_return_param(request.return_url)) > MAX_URL:
            raise self.unsupported("the return_url is too long", "return_url")

    @staticmethod
    def _metadata_value(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    # -- create ------------------------------------------------------------------------------------
    def create_params(self, request: SessionRequest) -> dict[str, Any]:
        """The form parameters of ``POST /v1/identity/verification_sessions``."""
        opts = request.options_for(self.name)
        document: dict[str, Any] = {
            "require_live_capture": bool(opts.get("require_live_capture", self.settings.require_live_capture)),
            "require_matching_selfie": Check.FACE_MATCH in request.checks,
        }
        if request.document_types:
            document["allowed_types"] = [DOCUMENT_CODES[d] for d in request.document_types]
        if opts.get("require_id_number"):
            document["require_id_number"] = True
        params: dict[str, Any] = {"type": "document", "client_reference_id": request.reference,
                                  "options": {"document": document}}
        if request.return_url:
            params["return_url"] = with_return_param(request.return_url)
        if request.metadata:
            params["metadata"] = {k: self._metadata_value(v) for k, v in request.metadata.items()}
        provided: dict[str, str] = {}
        if request.contact_email:
            provided["email"] = request.contact_email
        if opts.get("phone"):
            provided["phone"] = str(opts["phone"])
        if provided:
            params["provided_details"] = provided
        return params

    def _idempotency_key(self, request: SessionRequest) -> str:
        """One key per create call: every attempt of the call (the retry loop rebuilds the request with the
        same ``SessionRequest`` object) sends the same key, so Stripe replays instead of creating twice."""
        given = request.options_for(self.name).get("idempotency_key")
        if isinstance(given, str):
            return given
        with self._keys_lock:
            held = self._keys.get(id(request))
            if held is not None and held[0] is request:
                self._keys.move_to_end(id(request))
                return held[1]
            key = f"ekyc-{secrets.token_hex(16)}"
            self._keys[id(request)] = (request, key)
            while len(self._keys) > 256:
                self._keys.popitem(last=False)
            return key

    def _forget(self, key: str | None) -> None:
        """Drop the remembered request of a create Stripe answered (its attempts are over: no request object
        is kept longer than needed)."""
        with self._keys_lock:
            for rid, (_, held) in list(self._keys.items()):
                if held == key:
                    del self._keys[rid]

    def build_create(self, request: SessionRequest) -> Prepared:
        """``POST /v1/identity/verification_sessions`` with an ``Idempotency-Key`` — retried safely."""
        req = self.request("POST", SESSIONS_PATH, form=self.create_params(request),
                           headers={"Idempotency-Key": self._idempotency_key(request)})
        document = self.create_params(request)["options"]["document"]
        token = requested_token(document["require_live_capture"], document["require_matching_selfie"],
                                bool(document.get("require_id_number")))
        requested = (token, *((types_part(document["allowed_types"]),) if "allowed_types" in document else ()))
        return Prepared(req, CREATE_SESSION, RetryMode.IDEMPOTENT, {"reference": request.reference,
                                                                    "requested": requested})

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        """The started session; ``reused`` when Stripe replayed an earlier answer (``Idempotent-Replayed``)."""
        data = self.read(prepared, response).body
        self._forget(prepared.request.headers.get("idempotency-key"))
        with malformed(self.name, "session", http_status=response.status_code):
            data = dict(wire.obj(data, "body"))
            if data.get("object") != "identity.verification_session":
                raise wire.WireError("object", "is not identity.verification_session")
            sid = wire.code(data.get("id"), "id", max_len=256)
            if sid is None or not SESSION_ID.fullmatch(sid):
                raise wire.WireError("id", "expected a VerificationSession id")
            url = _hosted_url(data)
            replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
            # what the create asked for (options token, allowed types), checked against every result read
            requested = prepared.context.get("requested")
            extra = tuple(requested) if isinstance(requested, tuple) else ()
            return Session(ref=SessionRef(provider=self.name, id=sid, extra=extra), url=url, reused=replayed,
                           single_use=True, raw=data)

    def build_link(self, ref: SessionRef) -> Prepared:
        """``GET /v1/identity/verification_sessions/{id}`` without expansions: while the session is in
        ``requires_input`` Stripe returns a valid ``url`` again ("When the session status is requires_input, you
        can use this method to retrieve a valid client_secret or url to allow re-submission", API reference)."""
        sid = self.session_id(ref)
        return Prepared(self.request("GET", f"{SESSIONS_PATH}/{sid}"), "fresh_link", RetryMode.READ, ref=ref)

    def parse_link(self, prepared: Prepared, response: httpx.Response) -> str | None:
        """The session's valid ``url`` (a bearer URL: never log it) while it is ``requires_input``; None when it no
        longer waits for input (``processing``, ``verified``, ``canceled``: Stripe returns ``url: null`` then —
        there is no page to send the user to); :class:`ProviderError` for anything else."""
        data = self.read(prepared, response).body
        with malformed(self.name, "session", http_status=response.status_code):
            data = wire.obj(data, "body")
            if wire.code(data.get("id"), "id", max_len=256) != prepared.require_ref().id:
                raise wire.WireError("id", "does not match the request")
            status = wire.code(data.get("status"), "status")
            if status in _NO_INPUT and data.get("url") is None:
                return None
            return _hosted_url(data)

    # -- result --------------------------------------------------------------------------------------
    def livemode(self) -> bool | None:
        """The mode of the API key (``sk_live_``/``rk_live_`` → True, ``…_test_`` → False, else None), read once per
        settings object (frozen: settings replaced on the adapter are read afresh; one tuple, set in one step)."""
        settings, known = self.settings, self._mode
        if known is not None and known[0] is settings:
            return known[1]
        mode = _key_mode(settings.secret("api_key"))
        self._mode = (settings, mode)
        return mode

    def expand(self) -> list[str]:
        """The ``expand[]`` list of a result read."""
        sensitive = self.settings.sensitive_results
        if sensitive is None:
            sensitive = self.settings.secret("api_key").startswith("rk_")
        return [*EXPAND, *(SENSITIVE_EXPAND if sensitive else ())]

    def build_result(self, ref: SessionRef) -> Prepared:
        """``GET /v1/identity/verification_sessions/{id}`` expanding the report and the verified outputs."""
        sid = self.session_id(ref)
        return Prepared(self.request("GET", f"{SESSIONS_PATH}/{sid}", form={"expand": self.expand()}), GET_RESULT,
                        RetryMode.READ, ref=ref)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The normalized decision (fail closed; ``Decision.reference`` is the echoed ``client_reference_id``)."""
        ref = prepared.require_ref()
        return self.read_result(prepared, response, lambda env: decide(env.body, ref, self.livemode()))

    def build_action(self, ref: SessionRef, action: str, key: str) -> Prepared:
        """``POST …/{id}/{action}`` (``cancel``, ``redact``) with the call's ``Idempotency-Key`` (every attempt
        replays the first answer), expanding what a result read expands."""
        sid = self.session_id(ref)
        req = self.request("POST", f"{SESSIONS_PATH}/{sid}/{action}", form={"expand": self.expand()},
                           headers={"Idempotency-Key": key})
        return Prepared(req, action, RetryMode.IDEMPOTENT, ref=ref)

    def parse_action(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The session after a cancel or redact, as a :class:`Decision`."""
        return self.parse_result(prepared, response)

    # -- return URL and webhooks -------------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """``return_url?…&verification_session=vs_…`` → the session (anything else in the URL is ignored).

        The adapter adds ``verification_session={VERIFICATION_SESSION_ID}`` to the return URL at create; see
        NOTES.md for the source of the template. Raises :class:`WebhookVerificationError` for a URL that
        carries no single session id.
        """
        if not isinstance(url, str) or len(url) > MAX_URL:
            raise WebhookVerificationError("not a URL", provider=self.name, field="url")
        try:
            query = parse_qs(urlsplit(url).query, max_num_fields=64)
        except (ValueError, TypeError):
            raise WebhookVerificationError("not a URL", provider=self.name, field="url") from None
        values = set(query.get(RETURN_PARAM, []))
        if len(values) != 1:
            raise WebhookVerificationError(f"no single {RETURN_PARAM} in the return URL", provider=self.name,
                                           field=RETURN_PARAM)
        sid = values.pop()
        if not SESSION_ID.fullmatch(sid):
            raise WebhookVerificationError(f"{RETURN_PARAM} is not a VerificationSession id", provider=self.name,
                                           field=RETURN_PARAM)
        return SessionRef(provider=self.name, id=sid)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a Stripe webhook (``Stripe-Signature``, every configured secret, 300 s) and read its Event.

        ``identity.verification_session.*`` events must carry the session in ``data.object``; a signed event
        of another type gives ``ref=None``. The whole body is signed (``authenticated="payload"``), but the
        event's session is not expanded (no report), so ``decision`` stays None: call ``get_result(ref)``.
        """
        event, _ = signing.verify(body, headers, self.settings.all_webhook_secrets(), self.clock())
        try:
            if event.get("object") != "event":
                raise wire.WireError("object", "is not event")
            event_id = wire.code(event.get("id"), "id", max_len=256)
            if event_id is None or not EVENT_ID.fullmatch(event_id):
                raise wire.WireError("id", "expected an Event id")
            event_type = wire.code(event.get("type"), "type", max_len=128)
            if not event_type:
                raise wire.WireError("type", "missing")
            created = wire.epoch(event.get("created"), "created")
            data = wire.obj(event.get("data"), "data")
            obj = wire.obj(data.get("object"), "data.object")
            ref = None
            status = None
            if event_type.startswith(_SESSION_EVENTS):
                if obj.get("object") != "identity.verification_session":
                    raise wire.WireError("data.object.object", "is not identity.verification_session")
                sid = wire.code(obj.get("id"), "data.object.id", max_len=256)
                if sid is None or not SESSION_ID.fullmatch(sid):
                    raise wire.WireError("data.object.id", "expected a VerificationSession id")
                status = wire.code(obj.get("status"), "data.object.status")
                ref = SessionRef(provider=self.name, id=sid)
        except wire.WireError as exc:
            raise WebhookVerificationError(f"webhook {exc.field} has an unexpected value", provider=self.name,
                                           field=exc.field) from None
        return WebhookEvent(
            provider=self.name, ref=ref, event_id=event_id, event_type=event_type, provider_status=status,
            verified_by=signing.HEADER, authenticated="payload", decision=None,
            occurred_at=created, raw=event,
        )

    # -- provider-specific operations --------------------------------------------------------------
    def extension(self, call: ExtensionCall) -> Any:
        """Stripe-only operations (cancel, redact): see :class:`StripeOperations`."""
        from .extension import StripeOperations

        return StripeOperations(self, call)



#: the VerificationSession statuses that wait for no user input, so its ``url`` is null
#: (docs.stripe.com/api/identity/verification_sessions/object: url "only set while requires_input")
_NO_INPUT = frozenset({"processing", "verified", "canceled"})


def _hosted_url(data: Any) -> str:
    """A VerificationSession's ``url`` (an http(s) URL), or WireError: missing when it is not waiting for input."""
    return wire.link(data.get("url"), "url", missing="missing (the session is not waiting for input)")


__all__ = ["StripeProvider", "StripeSettings", "encode_form", "with_return_param"]
