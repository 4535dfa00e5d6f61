"""The Onfido adapter (API v3.6, Studio workflow runs with a hosted link): sans-I/O request building and parsing.

A session is an applicant plus a workflow run with a ``link`` (Onfido's hosted flow for integrations without
its SDKs):

1. ``POST /applicants`` — the names (expected ones, or the placeholders Onfido's docs allow), date of birth,
   e-mail, country of residence;
2. ``POST /workflow_runs`` — ``workflow_id``, ``applicant_id``, ``customer_user_id`` (the app's reference),
   ``link`` (``completed_redirect_url`` / ``expired_redirect_url``: the return URL carrying the applicant id,
   ``expires_at``, ``language``), ``custom_data`` (document types, when the workflow takes them);
3. the user opens ``link.url``.

The session ref is ``onfido:<applicant_id>:<workflow_run_id>`` (a third part ``n`` when placeholder names were
sent): the return URL names the applicant (the run id is not known when its link is built), the run id fetches
the result. ``get_result`` reads ``GET /workflow_runs/{id}``, then — for a final decision — the applicant's
checks (``GET /checks?applicant_id=``) and each check's reports (``GET /reports?check_id=``).

Auth: ``Authorization: Token token=<api_token>``; regions EU/US/CA (``https://api.{region}.onfido.com/v3.6``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from ekyc import _wire as wire
from ekyc.errors import ConfigurationError, InvalidRequest, WebhookVerificationError
from ekyc.models import (
    ALL_CHECKS,
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
    FollowUp,
    LinkReuse,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
    SecretList,
    first_header,
    malformed,
    shape_error,
    vendor_env,
)

from . import signing
from .codes import CODE_TABLE, FINAL_RUN_STATUSES
from .result import decide

T = TypeVar("T")
API_VERSION = "v3.6"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: the query parameter the return URL carries (the applicant the session belongs to)
RETURN_PARAM = "onfido_applicant_id"
#: names sent when the request gives none: Onfido requires them, and its docs allow dummy values
PLACEHOLDER_FIRST_NAME = "Unknown"
PLACEHOLDER_LAST_NAME = "Unknown"
#: ``link.language`` values (spec ``workflow_run_link.language``) by primary language subtag
LANGUAGES = {"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "it": "it_IT", "pt": "pt_PT", "nl": "nl_NL"}
#: the Onfido document type names of the neutral types (``custom_data.document_types``)
DOCUMENT_NAMES = {
    DocumentType.PASSPORT: "passport",
    DocumentType.ID_CARD: "national_identity_card",
    DocumentType.DRIVERS_LICENSE: "driving_licence",
    DocumentType.RESIDENCE_PERMIT: "residence_permit",
}
#: ``provider_options["onfido"]`` keys understood (anything else is refused, never dropped)
OPTIONS = frozenset({"workflow_id", "tags", "link_expires_in"})
#: seconds a webhook's signed time may be ahead of this clock
FUTURE_SKEW = 300
#: at most this many checks of an applicant are read for one decision
MAX_CHECKS = 8
_REQUEST_ID_HEADERS = ("x-request-id", "request-id")
#: what an error ``type`` may look like to be kept
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: webhook resource types about a workflow run (they carry its id) and about a check or report
RUN_RESOURCES = frozenset({"workflow_run", "workflow_task", "workflow_timeline_file", "workflow_run_evidence_folder"})


class OnfidoSettings(ProviderSettings):
    """Onfido settings. Environment: ``ONFIDO_API_TOKEN``, ``ONFIDO_WORKFLOW_ID``, ``ONFIDO_REGION`` (eu, us,
    ca), ``ONFIDO_WEBHOOK_TOKEN`` (``ONFIDO_WEBHOOK_TOKENS``: comma-separated extra tokens during rotation).

    ``endpoint`` replaces ``https://api.{region}.onfido.com`` (the API version path is added)."""

    env_aliases = vendor_env("ONFIDO", "api_token", "workflow_id", "region", "webhook_token", "webhook_tokens")

    api_token: SecretStr
    workflow_id: str | None = None
    region: Literal["eu", "us", "ca"] = "eu"
    webhook_token: SecretStr | None = None
    webhook_tokens: SecretList = ()
    #: seconds a workflow-run link stays valid (None: Onfido's default)
    link_expires_in: int | None = None
    #: the workflow's custom input that restricts document types (None: the workflow does not take one)
    document_types_input: str | None = "document_types"
    #: seconds after its signed ``completed_at_iso8601`` (or ``started_at_iso8601``) a webhook is still accepted
    #: (None: any age); one dated more than 5 minutes ahead is refused too
    webhook_max_age: int | None = Field(default=12 * 3600, ge=60)

    @field_validator("workflow_id")
    @classmethod
    def _uuid(cls, v: str | None) -> str | None:
        if v is not None and not UUID_RE.fullmatch(v):
            raise ValueError("must be a workflow UUID")
        return v

    @field_validator("link_expires_in")
    @classmethod
    def _ttl(cls, v: int | None) -> int | None:
        if v is not None and not 60 <= v <= 366 * 86400:
            raise ValueError("must be between 60 seconds and a year")
        return v

    @field_validator("document_types_input")
    @classmethod
    def _input(cls, v: str | None) -> str | None:
        if v == "":
            return None  # the workflow takes no document-type input
        if v is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", v):
            raise ValueError("must be a workflow input name")
        return v

    def all_webhook_tokens(self) -> list[str]:
        """Every token a webhook may be signed with (current first)."""
        return self.secrets_in_rotation("webhook_token", "webhook_tokens")


def encode_json(body: Any) -> bytes:
    """A request body as compact JSON (:class:`InvalidRequest` for what JSON cannot carry)."""
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise InvalidRequest("the request body is not JSON-serializable", provider="onfido", field="body") from None


class _Reads(NamedTuple):
    """What every request of one adapter shares: the API root (``https://api.eu.onfido.com/v3.6``) and the
    ``Authorization`` and ``Accept`` headers (an ``httpx.Headers``: a request copies it without re-encoding)."""

    settings: OnfidoSettings
    api: str
    headers: httpx.Headers

    @classmethod
    def of(cls, provider: OnfidoProvider) -> _Reads:
        settings = provider.settings
        api = provider.base_url(f"https://api.{settings.region}.onfido.com") + f"/{API_VERSION}"
        return cls(settings, api, httpx.Headers({"Authorization": f"Token token={settings.secret('api_token')}",
                                                 "Accept": "application/json"}))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class OnfidoProvider(Provider):
    """Onfido identity verification (API v3.6, Studio workflow runs with a hosted link)."""

    name = "onfido"
    display_name = "Onfido"
    settings_model = OnfidoSettings
    capabilities = Capabilities(
        link=LinkReuse.REUSABLE,
        link_source="Onfido API v3.6 workflow_run link.url valid until link.expires_at; the docs state no single use",
        check_sets=frozenset({frozenset(ALL_CHECKS), frozenset({Check.DOCUMENT}),
                              frozenset({Check.DOCUMENT, Check.FACE_MATCH}),
                              frozenset({Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH})}),
        document_types=frozenset(DOCUMENT_NAMES),
        reference_image=False,
        expected_identity=True,
        contact_email=True,
        return_url_required=False,
        client_metadata_required=False,
        create_retry=RetryMode.NOT_SENT,
        create_calls=2,
        webhooks="HMAC-SHA256 hex of the raw body (X-SHA2-Signature), no timestamp: de-duplicate on event_id",
        notes="The checks run are those of the Studio workflow (workflow_id); a session is an applicant plus a "
              "workflow run, so a create is two calls and is never repeated once the first was processed.",
        defaults="applicant names 'Unknown' when no expected names are given (Onfido requires them; comparisons "
                 "against them never decide); link lifetime and language as the workflow's",
        unsupported="reference image; expected sex, nationality, document number and address; metadata; link "
                    "languages other than en, de, es, fr, it, pt, nl; document types when the workflow takes no "
                    "document-type input; liveness-only and face-only check sets",
    )
    code_table = CODE_TABLE
    documented_success = frozenset({("workflow_run_status", "approved")})
    emulator = "ekyc.providers.onfido.emulator:OnfidoEmulator"
    settings: OnfidoSettings
    _built: _Reads | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def _reads(self) -> _Reads:
        """The API root and the headers of every request, built once per settings object (they do not vary
        per call; rebuilt if the adapter's settings are replaced)."""
        reads = self._built
        if reads is None or reads.settings is not self.settings:
            reads = self._built = _Reads.of(self)
        return reads

    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/applicants`` → ``https://api.eu.onfido.com/v3.6/applicants``)."""
        return self._reads().api + path

    def request(self, method: str, path: str, *, body: Any = None,
                params: Mapping[str, str] | None = None) -> httpx.Request:
        """An authenticated request (``Authorization: Token token=…``)."""
        reads = self._reads()
        if body is None:
            return httpx.Request(method, reads.api + path, headers=reads.headers, params=params)
        headers = httpx.Headers(reads.headers)
        headers["Content-Type"] = "application/json"
        return httpx.Request(method, reads.api + path, headers=headers, content=encode_json(body), params=params)

    def listing(self, path: str, key: str, uuid: str) -> httpx.Request:
        """``GET {path}?{key}={uuid}``: a read of what belongs to one object (an applicant's checks, a check's
        reports). ``uuid`` is a validated lower-case UUID, which needs no escaping in a query: the URL is built
        as text once (``params=`` would build and parse it twice)."""
        reads = self._reads()
        return httpx.Request("GET", f"{reads.api}{path}?{key}={uuid}", headers=reads.headers)

    def request_id(self, response: httpx.Response) -> str | None:
        """The request id a response carries, when there is one."""
        value = first_header(response.headers, _REQUEST_ID_HEADERS)
        return value[:128] if value else None

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """Onfido reports errors by HTTP status with ``{"error": {"type", "message", "fields"}}``: the type (when
        code-like), the message (scrubbed before it is shown) and the first field it blames (never a value)."""
        if response.status_code < 300:  # a result: the request id only ever names a failed request
            return Envelope(body=data)
        rid = self.request_id(response)
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return Envelope(body=data, request_id=rid)
        kind = error.get("type")
        code = kind if isinstance(kind, str) and _CODE.fullmatch(kind) else None
        message = error.get("message")
        fields = error.get("fields")
        field = next((k for k in fields if isinstance(k, str)), None) if isinstance(fields, dict) else None
        return Envelope(body=data, code=code, message=message[:2048] if isinstance(message, str) else None,
                        request_id=rid, field=field)

    def _uuid(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not UUID_RE.fullmatch(value):
            raise InvalidRequest(f"an Onfido {field} is a UUID", provider=self.name, field="ref")
        return value.lower()

    def _ids(self, ref: SessionRef) -> tuple[str, str | None, bool]:
        """(applicant id, workflow run id or None, placeholder names) of a ref."""
        if ref.provider != self.name:
            raise ConfigurationError(f"session ref belongs to {ref.provider!r}, not onfido", field="ref")
        flags = ref.extra[1:]
        if any(f != "n" for f in flags):
            raise InvalidRequest("not an Onfido session ref", provider=self.name, field="ref")
        rid = self._uuid(ref.extra[0], "workflow run id") if ref.extra else None
        return self._uuid(ref.id, "applicant id"), rid, bool(flags)

    # -- validation --------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Refuse what an Onfido applicant and workflow run cannot carry, before any I/O."""
        super().check_request(request)
        opts = request.options_for(self.name)
        unknown = sorted(set(opts) - OPTIONS)
        if unknown:
            raise self.unsupported(f"unknown provider option {unknown[0]!r}", f"provider_options.onfido.{unknown[0]}")
        if request.metadata:
            raise self.unsupported("metadata cannot be passed through (customer_user_id carries the reference)",
                                   "metadata")
        if request.language is not None and self._language(request.language) is None:
            raise self.unsupported(f"language {request.language} is not offered by the workflow link", "language")
        if request.document_types and self.settings.document_types_input is None:
            raise self.unsupported("the workflow takes no document-type input (document_types_input)",
                                   "document_types")
        exp = request.expected
        if exp is not None:
            for name in ("sex", "nationality", "document_number", "address"):
                if getattr(exp, name) is not None:
                    raise self.unsupported(f"expected.{name} cannot be given to an Onfido applicant",
                                           f"expected.{name}")
            if (exp.given_name is None) != (exp.family_name is None) or \
                    (exp.full_name is not None and exp.given_name is None):
                raise self.unsupported("an Onfido applicant takes both first_name and last_name",
                                       "expected.given_name")
        tags = opts.get("tags")
        if tags is not None and (not isinstance(tags, list) or len(tags) > 30 or not all(
                isinstance(t, str) and 1 <= len(t) <= 128 for t in tags)):
            raise self.unsupported("tags are at most 30 strings of 1-128 characters", "provider_options.onfido.tags")
        ttl = opts.get("link_expires_in")
        if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or not 60 <= ttl <= 366 * 86400):
            raise self.unsupported("link_expires_in is 60 seconds to a year", "provider_options.onfido.link_expires_in")
        self._workflow(request)

    def _language(self, tag: str) -> str | None:
        return LANGUAGES.get(tag.replace("_", "-").split("-")[0].lower())

    def _workflow(self, request: SessionRequest) -> str:
        wf = request.options_for(self.name).get("workflow_id") or self.settings.workflow_id
        if not wf:
            raise ConfigurationError("onfido needs a workflow_id (setting ONFIDO_WORKFLOW_ID or "
                                     "provider_options['onfido']['workflow_id'])",
                                     field="providers.onfido.workflow_id")
        if not isinstance(wf, str) or not UUID_RE.fullmatch(wf):
            raise self.unsupported("workflow_id must be a workflow UUID", "provider_options.onfido.workflow_id")
        return wf.lower()

    # -- create ------------------------------------------------------------------------------------
    def applicant_body(self, request: SessionRequest) -> dict[str, Any]:
        """The body of ``POST /applicants``."""
        exp = request.expected
        given = exp.given_name if exp is not None else None
        body: dict[str, Any] = {
            "first_name": given or PLACEHOLDER_FIRST_NAME,
            "last_name": (exp.family_name if exp is not None and given else None) or PLACEHOLDER_LAST_NAME,
        }
        if exp is not None and exp.date_of_birth is not None:
            body["dob"] = exp.date_of_birth.isoformat()
        if request.contact_email:
            body["email"] = request.contact_email
        if request.country:
            body["location"] = {"country_of_residence": request.country}
        return body

    def run_body(self, request: SessionRequest, applicant_id: str) -> dict[str, Any]:
        """The body of ``POST /workflow_runs`` for the applicant just created."""
        opts = request.options_for(self.name)
        body: dict[str, Any] = {"workflow_id": self._workflow(request), "applicant_id": applicant_id,
                                "customer_user_id": request.reference}
        link: dict[str, Any] = {}
        if request.return_url:
            back = with_param(request.return_url, RETURN_PARAM, applicant_id)
            link["completed_redirect_url"] = back
            link["expired_redirect_url"] = back
        ttl = opts.get("link_expires_in") or self.settings.link_expires_in
        if ttl:
            link["expires_at"] = _iso(self.clock() + int(ttl))
        if request.language:
            link["language"] = self._language(request.language)
        if link:
            body["link"] = link
        if opts.get("tags"):
            body["tags"] = list(opts["tags"])
        if request.document_types and self.settings.document_types_input:
            body["custom_data"] = {self.settings.document_types_input:
                                   [DOCUMENT_NAMES[d] for d in request.document_types]}
        return body

    def build_create(self, request: SessionRequest) -> Prepared:
        """``POST /applicants`` (then, as a :class:`FollowUp`, ``POST /workflow_runs``); neither is repeated
        once it may have been processed (Onfido does not de-duplicate creates)."""
        return Prepared(self.request("POST", "/applicants", body=self.applicant_body(request)), CREATE_SESSION,
                        RetryMode.NOT_SENT, {"request": request, "step": "applicant"})

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session | FollowUp:
        """The applicant (→ a :class:`FollowUp` creating the workflow run), then the started session."""
        if prepared.context.get("step") == "workflow_run":
            return self._session(prepared, response)
        data = self.read(prepared, response, ok=(201,)).body
        with malformed(self.name, "applicant", http_status=response.status_code):
            applicant = wire.obj(data, "body")
            applicant_id = wire.code(applicant.get("id"), "id", max_len=64)
            if applicant_id is None or not UUID_RE.fullmatch(applicant_id):
                raise wire.WireError("id", "expected a UUID")
        request: SessionRequest = prepared.context["request"]
        aid = applicant_id.lower()
        placeholders = request.expected is None or request.expected.given_name is None

        def build() -> Prepared:
            return Prepared(self.request("POST", "/workflow_runs", body=self.run_body(request, aid)), CREATE_SESSION,
                            RetryMode.NOT_SENT, {"step": "workflow_run", "applicant_id": aid,
                                                 "placeholders": placeholders})

        return FollowUp(build, self.parse_create)

    def _session(self, prepared: Prepared, response: httpx.Response) -> Session:
        data = self.read(prepared, response, ok=(201,)).body
        with malformed(self.name, "workflow run", http_status=response.status_code):
            run = wire.obj(data, "body")
            rid = wire.code(run.get("id"), "id", max_len=64)
            if rid is None or not UUID_RE.fullmatch(rid):
                raise wire.WireError("id", "expected a UUID")
            aid = wire.code(run.get("applicant_id"), "applicant_id", max_len=64)
            if aid is None or aid.lower() != prepared.context["applicant_id"]:
                raise wire.WireError("applicant_id", "is not the applicant just created")
            link = wire.obj(run.get("link"), "link")
            url = wire.link(link.get("url"), "link.url")
            expires = wire.iso_datetime(link.get("expires_at"), "link.expires_at")
            extra = (rid.lower(), "n") if prepared.context["placeholders"] else (rid.lower(),)
            return Session(ref=SessionRef(provider=self.name, id=aid.lower(), extra=extra), url=url,
                           expires_at=expires, raw=dict(run))

    # -- result --------------------------------------------------------------------------------------
    def build_result(self, ref: SessionRef) -> Prepared:
        """``GET /workflow_runs/{id}`` (then, for a final decision, the applicant's checks and reports).

        A ref that names only the applicant (read from a return URL) lists the applicant's workflow runs
        (``GET /workflow_runs?applicant_id=``): this adapter starts one run per applicant, so exactly one must be
        there. Without the stored ref, a name comparison cannot be told from one against placeholder names, so
        it counts as evidence (never approves on it)."""
        aid, rid, placeholders = self._ids(ref)
        if rid is None:
            return Prepared(self.request("GET", "/workflow_runs", params={"applicant_id": aid}), GET_RESULT,
                            RetryMode.READ, {"placeholders": False}, ref=ref.model_copy(update={"id": aid}))
        clean = ref.model_copy(update={"id": aid, "extra": (rid, "n") if placeholders else (rid,)})
        return Prepared(self.request("GET", f"/workflow_runs/{rid}"), GET_RESULT, RetryMode.READ,
                        {"placeholders": placeholders}, ref=clean)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
        """The decision (fail closed); a final run first reads its check(s) and reports as follow-ups."""
        ref = prepared.require_ref()
        data = self.read(prepared, response).body
        if not ref.extra:  # the applicant's runs: exactly one
            with malformed(self.name, "workflow run", http_status=response.status_code):
                runs = wire.objects(data, "body")
                if len(runs) != 1:
                    raise wire.WireError("body", "expected the applicant's one workflow run")
                data = runs[0]
                found = wire.code(data.get("id"), "id", max_len=64)
                if found is None or not UUID_RE.fullmatch(found):
                    raise wire.WireError("id", "expected a UUID")
                ref = ref.model_copy(update={"extra": (found.lower(),)})
                prepared = Prepared(prepared.request, prepared.operation, prepared.retry, prepared.context, ref=ref)
        run, reports_decide = self._shaped("workflow run", response.status_code, read_run, data, ref)
        if not reports_decide:
            return self._decide(ref, run, [], [], prepared)
        return FollowUp(lambda: Prepared(self.listing("/checks", "applicant_id", ref.id),
                                         GET_RESULT, RetryMode.READ, prepared.context, ref=ref),
                        self._on_checks(ref, run, prepared))

    def _shaped(self, what: str, http_status: int | None, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)``, a shape error in it typed as :class:`ekyc.provider.malformed` types it (a ``try``
        rather than a ``with``: every step of every result enters it, and a ``try`` costs nothing until it
        catches)."""
        try:
            return read(*args)
        except Exception as exc:
            error = shape_error(exc, self.name, what, http_status)
            if error is None:
                raise
            raise error from None

    def _decide(self, ref: SessionRef, run: Mapping[str, Any], checks: list[Mapping[str, Any]],
                reports: list[Mapping[str, Any]], prepared: Prepared) -> Decision:
        placeholders = bool(prepared.context.get("placeholders"))
        return self._shaped("workflow run", None, lambda: decide(ref, run, checks, reports, now=self.clock(),
                                                                 placeholders=placeholders))

    def _on_checks(self, ref: SessionRef, run: Mapping[str, Any], first: Prepared
                   ) -> Callable[[Prepared, httpx.Response], Decision | FollowUp]:
        def parse(prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
            data = self.read(prepared, response).body
            checks = self._shaped("checks", response.status_code, read_checks, data, ref.id)
            return self._reports_step(ref, run, checks, 0, [], first)
        return parse

    def _reports_step(self, ref: SessionRef, run: Mapping[str, Any], checks: list[Mapping[str, Any]], index: int,
                      reports: list[Mapping[str, Any]], first: Prepared) -> Decision | FollowUp:
        if index >= len(checks):
            return self._decide(ref, run, checks, reports, first)
        cid = str(checks[index]["id"]).lower()

        def parse(prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
            data = self.read(prepared, response).body
            found = self._shaped("reports", response.status_code, read_reports, data, cid)
            return self._reports_step(ref, run, checks, index + 1, [*reports, *found], first)

        return FollowUp(lambda: Prepared(self.listing("/reports", "check_id", cid),
                                         GET_RESULT, RetryMode.READ, first.context, ref=ref), parse)

    # -- return URL and webhooks -------------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """The return URL (``completed_redirect_url`` / ``expired_redirect_url``) → the applicant's session.

        Raises :class:`WebhookVerificationError` (field ``url`` or ``onfido_applicant_id``) unless the URL
        carries exactly one applicant UUID. The ref it returns names the applicant only: pass the stored ref
        as ``expected`` to ``Client.parse_return_url`` and fetch the result with the stored one.
        """
        if not isinstance(url, str) or len(url) > 8192:
            raise WebhookVerificationError("not a URL", provider=self.name, field="url")
        try:
            pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True, max_num_fields=64)
        except (ValueError, TypeError):
            raise WebhookVerificationError("not a URL", provider=self.name, field="url") from None
        values = {v for k, v in pairs if k == RETURN_PARAM}
        if len(values) != 1:
            raise WebhookVerificationError(f"no single {RETURN_PARAM} in the return URL", provider=self.name,
                                           field=RETURN_PARAM)
        aid = values.pop()
        if not UUID_RE.fullmatch(aid):
            raise WebhookVerificationError(f"{RETURN_PARAM} is not a UUID", provider=self.name, field=RETURN_PARAM)
        return SessionRef(provider=self.name, id=aid.lower())

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify ``X-SHA2-Signature`` (every configured token) and read the event.

        A workflow-run event (``workflow_run.*``, ``workflow_task.*``, …) that names its applicant gives a ref
        (``onfido:<applicant>:<run>``); a check or report event, or a run event without the applicant, is
        signed but names no session (``ref=None``). ``decision`` is never set: fetch it with ``get_result``.
        ``event_id`` is a digest of the signed body (a replay has the same one); ``occurred_at`` is the
        object's ``completed_at_iso8601`` (or ``started_at_iso8601``), refused when older than
        ``webhook_max_age`` or more than 5 minutes ahead. Raises :class:`WebhookVerificationError`.
        """
        payload = signing.verify(body, headers, self.settings.all_webhook_tokens())
        try:
            inner = wire.obj(payload.get("payload"), "payload")
            rtype = wire.code(inner.get("resource_type"), "payload.resource_type")
            action = wire.code(inner.get("action"), "payload.action")
            obj = wire.obj(inner.get("object"), "payload.object")
            oid = wire.code(obj.get("id"), "payload.object.id", max_len=128)
            status = wire.code(obj.get("status"), "payload.object.status")
            when = wire.iso_datetime(obj.get("completed_at_iso8601"), "payload.object.completed_at_iso8601") or \
                wire.iso_datetime(obj.get("started_at_iso8601"), "payload.object.started_at_iso8601")
            resource = wire.opt_obj(inner.get("resource"), "payload.resource")
            aid = wire.code(resource.get("applicant_id"), "payload.resource.applicant_id", max_len=64)
            run_id = oid if rtype == "workflow_run" else (
                wire.code(resource.get("workflow_run_id"), "payload.resource.workflow_run_id", max_len=64)
                or wire.code(obj.get("workflow_run_id"), "payload.object.workflow_run_id", max_len=64))
        except wire.WireError as exc:
            raise WebhookVerificationError(f"webhook {exc.field} has an unexpected value", provider=self.name,
                                           field=exc.field) from None
        max_age = self.settings.webhook_max_age
        if when is not None and max_age is not None:
            age = self.clock() - when.timestamp()
            if age > max_age or age < -FUTURE_SKEW:
                raise WebhookVerificationError("the webhook's signed time is outside the accepted window "
                                               "(webhook_max_age)", provider=self.name, field="occurred_at")
        if rtype is None or oid is None:
            raise WebhookVerificationError("webhook names no resource", provider=self.name,
                                           field="payload.resource_type")
        ref = None
        if rtype in RUN_RESOURCES and aid is not None and run_id is not None:
            if not UUID_RE.fullmatch(aid) or not UUID_RE.fullmatch(run_id):
                raise WebhookVerificationError("webhook ids are not UUIDs", provider=self.name,
                                               field="payload.resource.applicant_id")
            ref = SessionRef(provider=self.name, id=aid.lower(), extra=(run_id.lower(),))
        return WebhookEvent(
            provider=self.name, ref=ref, event_id=signing.event_id(body), event_type=action or rtype,
            provider_status=status, verified_by=signing.HEADER, authenticated="payload", occurred_at=when,
            raw=payload,
        )


def read_run(data: Any, ref: SessionRef) -> tuple[Mapping[str, Any], bool]:
    """The workflow run ``ref`` names (its id and applicant checked), and whether its checks and reports decide:
    a final status that is not ``abandoned`` or ``error``. Raises :class:`~ekyc._wire.WireError`."""
    run = wire.obj(data, "body")
    rid = wire.code(run.get("id"), "id", max_len=64)
    if rid is None or rid.lower() != ref.extra[0]:
        raise wire.WireError("id", "does not match the request")
    aid = wire.code(run.get("applicant_id"), "applicant_id", max_len=64)
    if aid is None or aid.lower() != ref.id:
        raise wire.WireError("applicant_id", "is not the session's applicant")
    status = wire.code(run.get("status"), "status")
    return run, status in FINAL_RUN_STATUSES and status not in ("abandoned", "error")


def read_checks(data: Any, applicant: str) -> list[Mapping[str, Any]]:
    """The applicant's checks (``GET /checks?applicant_id=``): at most :data:`MAX_CHECKS`, each with a UUID and
    none of another applicant. Raises :class:`~ekyc._wire.WireError`."""
    checks = wire.objects(wire.obj(data, "body").get("checks"), "checks")
    if len(checks) > MAX_CHECKS:
        raise wire.WireError("checks", "more checks than one workflow run makes")
    for i, check in enumerate(checks):
        _owned(check, "id", None, ("checks", i), "expected a UUID")
        _owned(check, "applicant_id", applicant, ("checks", i), "is another applicant")
    return checks


def read_reports(data: Any, check: str) -> list[Mapping[str, Any]]:
    """A check's reports (``GET /reports?check_id=``), none of another check. Raises
    :class:`~ekyc._wire.WireError`."""
    reports = wire.objects(wire.obj(data, "body").get("reports"), "reports")
    for i, report in enumerate(reports):
        _owned(report, "check_id", check, ("reports", i), "is another check")
    return reports


def _owned(item: Mapping[str, Any], key: str, owner: str | None, where: tuple[str, int], problem: str) -> None:
    """Refuse ``item[key]`` (at most 64 characters) unless it names ``owner`` in any letter case (a missing one is
    allowed) — or, with ``owner`` None, unless it is a UUID (a missing one is refused). ``where`` is the item's
    list and position; the field (``checks[0].applicant_id``) is named only when refused."""
    value = item.get(key)
    if type(value) is str and len(value) <= 64 and (
            UUID_RE.fullmatch(value) if owner is None else value.lower() == owner):
        return  # the usual answer: a plain string that is what it should be
    field = f"{where[0]}[{where[1]}].{key}"
    value = wire.code(value, field, max_len=64)
    if owner is None:
        if value is None or not UUID_RE.fullmatch(value):
            raise wire.WireError(field, problem)
    elif value is not None and value.lower() != owner:
        raise wire.WireError(field, problem)


def with_param(url: str, key: str, value: str) -> str:
    """``url`` with ``key=value`` added to its query (any earlier ``key`` dropped)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


__all__ = ["OnfidoProvider", "OnfidoSettings", "with_param"]
