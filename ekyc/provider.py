"""The provider contract: a sans-I/O adapter turns neutral requests into ``httpx.Request`` objects and
provider responses into neutral models. It never performs I/O; :class:`ekyc.Client` and
:class:`ekyc.AsyncClient` do that for every provider, with one retry loop.

A new provider is one folder under ``ekyc/providers/`` with a :class:`Provider` subclass, its
:class:`ProviderSettings`, its :class:`~ekyc.codes.CodeTable` and (for the sandbox) an emulator, plus one
registry line (or an ``ekyc.providers`` entry point for third-party packages).

Every response is read one way, :meth:`Provider.read` (:meth:`Provider.read_result` for a result): the HTTP
status says whether the body may be a result (:attr:`Provider.result_statuses`), the body goes through the
strict JSON reader, and the provider's one hook, :meth:`Provider.envelope`, says what the decoded body reports
(an :class:`Envelope`: the payload, or an error code); the code table and the HTTP status type the error.
"""

from __future__ import annotations

import ipaddress
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

import httpx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)
from pydantic._internal._model_construction import ModelMetaclass

from ._redact import safe_field, safe_url, scrub_text
from ._wire import WireError, loads
from .codes import CodeTable
from .errors import (
    AuthenticationError,
    ConfigurationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
    UnsupportedFeature,
)
from .models import Check, Decision, DocumentType, Session, SessionRef, SessionRequest, WebhookEvent

#: :attr:`Prepared.operation` of the request that starts a session (``Client.create_session``)
CREATE_SESSION = "create_session"
#: :attr:`Prepared.operation` of the request that fetches a session's result (``Client.get_result``)
GET_RESULT = "get_result"

Clock = Callable[[], float]
ExtensionCall = Callable[[Callable[[], "Prepared"], Callable[["Prepared", httpx.Response], Any]], Any]


class RetryMode(str, Enum):
    """When the client's retry loop may repeat a call."""

    #: a read: retry on 429, 502/503/504, connection errors and timeouts
    READ = "read"
    #: a create the provider de-duplicates (repeating it returns the same session): retried like a read
    IDEMPOTENT = "idempotent"
    #: a create that would start a second session: retried only when the request certainly never
    #: reached the provider (connection refused) or the provider refused it unprocessed (429)
    NOT_SENT = "not_sent"
    #: never retried
    NEVER = "never"


class LinkReuse(str, Enum):
    """Whether a session's hosted-page link works again after the user opened it (what the ledger does for a
    returning user whose session is still pending)."""

    #: the stored link opens the same session again while it is open: hand it back
    REUSABLE = "reusable"
    #: the link works once, and the provider hands out a fresh link to the same session: the extension
    #: operation ``fresh_link(ref)`` (→ the new URL) fetches it
    RENEWABLE = "renewable"
    #: the link works once and no fresh link can be had: a returning user needs a new session
    SINGLE_USE = "single-use"


@dataclass(frozen=True)
class Prepared:
    """A request an adapter built, with how it may be retried and what the parser needs to know.

    ``operation`` names the call the same way for every provider: :data:`CREATE_SESSION`, :data:`GET_RESULT`,
    or an extension's method name (``"update_status"``); the client's events and error messages show it.
    ``ref`` is the session the request is about (``build_result`` sets it; None for a create). ``context``
    holds anything else the adapter's own parser needs (never read by the core).
    """

    request: httpx.Request
    operation: str
    retry: RetryMode
    context: Mapping[str, Any] = field(default_factory=dict)
    ref: SessionRef | None = None

    def require_ref(self) -> SessionRef:
        """:attr:`ref`, for a parser that cannot work without it (``TypeError`` if the adapter set none)."""
        if self.ref is None:
            raise TypeError(f"the {self.operation} request was prepared without a ref")
        return self.ref


class Envelope(NamedTuple):
    """What a decoded response body says, as a provider's :meth:`Provider.envelope` hook reads it.

    ``body`` is the payload the parser reads (unwrapped: Tencent's ``Response`` object). ``code`` set (or
    ``error`` set) means the provider reports an error: ``code`` is its error code (looked up in the code
    table's ``api_error`` kind), ``message`` its free text (scrubbed before it is shown, and only when the
    table has no meaning for the code), ``field`` a field name it blames, ``request_id`` its request id,
    ``retry_after`` seconds it asks to wait, ``error`` a class that overrides the table and the status.

    Immutable, a named tuple rather than a frozen dataclass: every response read builds one, and a frozen
    dataclass sets each of its seven fields through ``object.__setattr__`` (issue 15).
    """

    body: Any = None
    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    field: str | None = None
    retry_after: float | None = None
    error: type[EkycError] | None = None

    @property
    def failed(self) -> bool:
        """Whether the body reports an error."""
        return self.code is not None or self.error is not None


@dataclass(frozen=True)
class BrowserMetadata:
    """What a provider needs from the user's browser before a session can start (``SessionRequest.client_metadata``):
    the launch page (:mod:`ekyc.launch`) loads ``script`` and calls ``window.<getter>()``, whose value (a JSON
    string, or an object it serializes) it posts on."""

    script: str
    getter: str


@dataclass(frozen=True)
class FollowUp:
    """What a ``parse`` returns when the answer needs one more request (Onfido: an applicant, then the workflow
    run that uses it; a workflow run, then its check and reports).

    The client's retry loop builds, sends and parses it like the first request — with its own retries by its
    own :class:`RetryMode` — and the call returns what the last ``parse`` returns. What the attempts did is
    added up over every step: once a step may have been processed, the call was (no fallback after it).
    """

    build: Callable[[], Prepared]
    parse: Callable[[Prepared, httpx.Response], Any]



def every_check_set() -> frozenset[frozenset[Check]]:
    """Every non-empty combination of :class:`Check` — for a provider whose own configuration (a workflow, a
    template) decides the checks, so any requested set can be run."""
    checks = list(Check)
    return frozenset(frozenset(c for i, c in enumerate(checks) if mask & (1 << i))
                     for mask in range(1, 2 ** len(checks)))

@dataclass(frozen=True)
class Capabilities:
    """What a provider can honour. The client checks requests against this before any I/O."""

    check_sets: frozenset[frozenset[Check]]
    document_types: frozenset[DocumentType]
    reference_image: bool
    expected_identity: bool
    contact_email: bool
    return_url_required: bool
    client_metadata_required: bool
    create_retry: RetryMode
    webhooks: str
    countries: frozenset[str] | None = None
    notes: str = ""
    #: what the library fills in when the neutral request leaves a value out (docs/comparison.md)
    defaults: str = ""
    #: what the provider genuinely cannot do: refused with UnsupportedFeature, never silently dropped
    unsupported: str = ""
    #: requests one create takes (Onfido: an applicant, then the workflow run that is the session): a create
    #: that fails on an earlier one has started no session
    create_calls: int = 1
    #: whether the hosted link can be opened again, renewed, or neither (:class:`LinkReuse`), with its source
    link: LinkReuse = LinkReuse.REUSABLE
    link_source: str = "unknown"

    def describe(self) -> dict[str, str]:
        """One row of the capability matrix, as text."""
        combos = sorted("+".join(sorted(c.value for c in s)) for s in self.check_sets)
        return {
            "check combinations": ", ".join(combos),
            "document types": ", ".join(sorted(d.value for d in self.document_types)),
            "reference image": "yes" if self.reference_image else "no",
            "expected identity": "yes" if self.expected_identity else "no",
            "contact e-mail": "yes" if self.contact_email else "no",
            "return URL": "required" if self.return_url_required else "optional",
            "client metadata": "required" if self.client_metadata_required else "not used",
            "create retried": {
                RetryMode.IDEMPOTENT: "on any transient failure (provider de-duplicates)",
                RetryMode.NOT_SENT: "only when never sent / throttled",
                RetryMode.NEVER: "never",
                RetryMode.READ: "like a read",
            }[self.create_retry],
            "webhooks": self.webhooks,
            "hosted link": {
                LinkReuse.REUSABLE: "reusable while the session is open",
                LinkReuse.RENEWABLE: "works once; a fresh link to the same session is fetched",
                LinkReuse.SINGLE_USE: "works once; a returning user gets a new session",
            }[self.link] + f" ({self.link_source})",
            "countries": "any" if self.countries is None else ", ".join(sorted(self.countries)),
            "defaults filled in": self.defaults or "—",
            "not available (UnsupportedFeature)": self.unsupported or "—",
        }


def _comma_separated(value: Any) -> Any:
    """``"a, b,,c"`` → ``("a", "b", "c")`` (the form an environment variable gives); other values unchanged."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


#: several secrets in force at once (rotation): a tuple, or one comma-separated string from the environment
SecretList = Annotated[tuple[SecretStr, ...], BeforeValidator(_comma_separated)]


class ConfigErrors(ModelMetaclass):
    """Constructing a settings model raises :class:`ConfigurationError` naming the setting, never
    ``ValidationError``, with no chained exception (``_error_prefix`` is prepended to the path)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            error = config_error(exc, getattr(cls, "_error_prefix", ""), {})
        except RecursionError:
            error = ConfigurationError("settings nested too deeply")
        raise error  # outside the except block: no __context__


class ProviderSettings(BaseModel, metaclass=ConfigErrors):
    """Settings every provider has. Subclasses add credentials (as ``SecretStr``) and options.

    ``env_aliases`` maps a field to the vendor's own environment variable names (read after the
    ``EKYC_<PROVIDER>_<FIELD>`` form).
    """

    # validators are built on first use: only the configured providers' settings ever are
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, defer_build=True)
    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {}

    endpoint: str | None = Field(default=None, max_length=2048,
                                 description="base URL override (sandbox, proxy, region): https, a host, no query; "
                                             "plain http only for loopback or *.invalid/.test/.localhost/.example")
    timeout: float | None = Field(default=None, gt=0, le=600, description="seconds per HTTP request")

    if TYPE_CHECKING:  # at run time ConfigErrors wraps construction
        def __init__(self, **data: Any) -> None: ...

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None:
            return None
        url = v if "://" in v else "https://" + v
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - validates the port
            httpx.URL(url)
        except (ValueError, httpx.InvalidURL):
            raise ValueError("must be a URL such as https://host[:port][/path]") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                or not url.isascii() or not url.isprintable() or any(c in url for c in " ;,\\"):
            raise ValueError("must be a URL such as https://host[:port][/path]")
        if parts.scheme == "http" and not stays_local(parts.hostname):
            raise ValueError("must be https: plain http (credentials in clear) only for loopback or a reserved "
                             "name (*.invalid, *.test, *.localhost, *.example)")
        return v

    @field_validator("*")
    @classmethod
    def _header_safe_secrets(cls, value: Any) -> Any:
        """Every credential is sent in a header or signed: printable ASCII without spaces, or refused at load
        (a line break would otherwise fail inside httpx with the credential in the exception)."""
        for secret in value if isinstance(value, tuple) else (value,):
            if isinstance(secret, SecretStr):
                text = secret.get_secret_value()
                if not text or len(text) > 4096 or not text.isascii() or not text.isprintable() or " " in text:
                    raise ValueError("must be printable ASCII without spaces")
        return value

    def secret(self, name: str) -> str:
        """The plain value of a ``SecretStr`` field (for signing only)."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, _mask_url(value)

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        """Dumps keep ``SecretStr`` masked and strip credentials and queries from URLs (see :func:`safe_url`)."""
        data = handler(self)
        return {k: _mask_url(v) for k, v in data.items()} if isinstance(data, dict) else data

    def describe(self) -> dict[str, str]:
        """A safe text view of the fields that are set (what ``ekyc check-config`` prints).

        Credentials (``SecretStr`` fields, and any text field named like a key, secret, token or password)
        show as ``********``; URLs as :func:`ekyc._redact.safe_url` (no ``user:password@``, no query).
        """
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None or value == ():
                continue
            if isinstance(value, tuple) and all(isinstance(v, SecretStr) for v in value):
                out[name] = f"{len(value)} set (********)"
            elif isinstance(value, SecretStr) or _SECRET_NAME.search(name):
                out[name] = "********"
            elif isinstance(value, str) and "://" in value:
                out[name] = safe_url(value)
            elif isinstance(value, Enum):
                out[name] = str(value.value)
            else:
                out[name] = str(value)[:200]
        return out

    def secrets_in_rotation(self, current: str, extra: str) -> list[str]:
        """The plain values of the secret in force (``SecretStr | None`` field ``current``) then of the extra ones
        accepted during rotation (``SecretList`` field ``extra``): every secret a webhook may be signed with."""
        first = getattr(self, current)
        return [*([first.get_secret_value()] if first else []), *(s.get_secret_value() for s in getattr(self, extra))]


#: top-level names that never resolve on the Internet (RFC 2606 section 2, RFC 6761 section 6)
_RESERVED_TLDS = frozenset({"invalid", "test", "localhost", "example"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ``::1`` (also IPv4-mapped) and ``localhost`` (any case, trailing dot allowed)."""
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def stays_local(host: str) -> bool:
    """True when a request to ``host`` cannot leave the machine or reach a real Internet host: loopback, or a
    name under a reserved top-level domain (``.invalid``, ``.test``, ``.localhost``, ``.example``; RFC 2606,
    RFC 6761) such as the in-process sandbox's ``sandbox.ekyc.invalid``. Only these may be plain http."""
    labels = host.lower().rstrip(".").split(".")
    return is_loopback(host) or (len(labels) > 1 and labels[-1] in _RESERVED_TLDS)


def vendor_env(vendor: str, *fields: str) -> dict[str, tuple[str, ...]]:
    """``env_aliases`` naming each field's vendor environment variable ``<VENDOR>_<FIELD>``
    (``vendor_env("DIDIT", "api_key")`` → ``{"api_key": ("DIDIT_API_KEY",)}``)."""
    return {name: (f"{vendor}_{name.upper()}",) for name in fields}


class KeyAndWebhookSettings(ProviderSettings):
    """The settings shape most providers share: an API key (required) and the secret their webhooks are signed
    with, plus extra secrets accepted during rotation (``webhook_secrets``: a tuple, or one comma-separated
    string from the environment). A subclass names the vendor's variables with :func:`vendor_env`
    (``<VENDOR>_API_KEY``, ``<VENDOR>_WEBHOOK_SECRET``, ``<VENDOR>_WEBHOOK_SECRETS``) and adds its options."""

    #: the fields every subclass gets, for :func:`vendor_env`
    SHARED_FIELDS: ClassVar[tuple[str, ...]] = ("api_key", "webhook_secret", "webhook_secrets")

    api_key: SecretStr
    webhook_secret: SecretStr | None = None
    webhook_secrets: SecretList = ()

    def all_webhook_secrets(self) -> list[str]:
        """Every secret a webhook may be signed with (current first)."""
        return self.secrets_in_rotation("webhook_secret", "webhook_secrets")


_SECRET_NAME = re.compile(r"key|secret|token|password|credential", re.IGNORECASE)


def _mask_url(value: Any) -> Any:
    return safe_url(value) if isinstance(value, str) and "://" in value else value


class Provider(ABC):
    """A sans-I/O adapter for one eKYC provider."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    settings_model: ClassVar[type[ProviderSettings]]
    capabilities: ClassVar[Capabilities]
    code_table: ClassVar[CodeTable]
    #: the ``(kind, code)`` entries of ``code_table`` that are the vendor's documented success: exactly these
    #: may map to ``APPROVED``, each with a real source (the conformance kit checks both)
    documented_success: ClassVar[frozenset[tuple[str, str]]] = frozenset()
    #: ``"module:Class"`` of the sandbox emulator, imported only when a sandbox is built
    emulator: ClassVar[str | None] = None
    #: HTTP statuses whose body may be a result; any other status is an error (see :meth:`read`)
    result_statuses: ClassVar[frozenset[int]] = frozenset({200})

    def __init__(self, settings: ProviderSettings, *, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock

    # -- validation ------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Raise :class:`UnsupportedFeature` for anything this provider cannot honour (no I/O).

        The default checks the request against :attr:`capabilities`; adapters extend it.
        """
        caps = self.capabilities
        if frozenset(request.checks) not in caps.check_sets:
            wanted = "+".join(sorted(c.value for c in request.checks))
            raise self.unsupported(f"the check combination {wanted} is not available", "checks")
        if request.reference_image is not None and not caps.reference_image:
            raise self.unsupported("matching against a reference image is not available", "reference_image")
        for doc in request.document_types:
            if doc not in caps.document_types:
                raise self.unsupported(f"document type {doc.value} is not supported", "document_types")
        if request.expected is not None and not caps.expected_identity:
            raise self.unsupported("cross-checking expected identity data is not available", "expected")
        if request.contact_email is not None and not caps.contact_email:
            raise self.unsupported("a contact e-mail is not used by this provider", "contact_email")
        if caps.return_url_required and request.return_url is None:
            raise self.unsupported("a return_url is required", "return_url")
        if caps.countries is not None and request.country is not None and request.country not in caps.countries:
            raise self.unsupported(f"country {request.country} is not supported", "country")

    def unsupported(self, message: str, field: str) -> UnsupportedFeature:
        """An :class:`UnsupportedFeature` naming this provider and the request field."""
        return UnsupportedFeature(f"{self.display_name}: {message}", provider=self.name, field=field)

    # -- the five sans-I/O functions -------------------------------------------------------------
    @abstractmethod
    def build_create(self, request: SessionRequest) -> Prepared:
        """The request that starts a session (``check_request`` has passed)."""

    @abstractmethod
    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session | FollowUp:
        """The started :class:`Session`, or a typed error (or a :class:`FollowUp` when starting a session takes
        one more request)."""

    @abstractmethod
    def build_result(self, ref: SessionRef) -> Prepared:
        """The request that fetches a session's result."""

    @abstractmethod
    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision | FollowUp:
        """The normalized :class:`Decision`, or a typed error. Never ``APPROVED`` unless documented success.
        A :class:`FollowUp` when the decision needs one more request."""

    @abstractmethod
    def parse_return_url(self, url: str) -> SessionRef:
        """The session the user came back from. Status hints in the URL are never trusted."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify (constant-time) and parse a webhook or callback from the raw bytes and headers."""

    # -- reading responses (one way for every provider) --------------------------------------------
    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """The per-provider hook of :meth:`read`: what a decoded response body reports.

        ``data`` is the body through the strict JSON reader; for a status outside the result statuses it is
        None when the body is empty or not JSON, and the hook must not raise (it is asked only for an error
        code; if it raises anyway, the HTTP status decides). For a result status the hook may raise
        :class:`~ekyc._wire.WireError` for a malformed envelope (a :class:`ProviderError` naming the field).
        Return ``Envelope(body=…)`` for a result, ``Envelope(body=…, code=…, …)`` for an error. The default
        reads no envelope: the body is the payload and only the HTTP status reports errors.
        """
        return Envelope(body=data)

    def request_id(self, response: httpx.Response) -> str | None:
        """The provider's id of the request ``response`` answers, from its headers (None: the provider sends none
        there). It names a failed request in its typed error: an adapter's :meth:`envelope` reads it for an
        error answer only, and :meth:`read` for an answer with an unexpected status."""
        return None

    def read(self, prepared: Prepared, response: httpx.Response, *, ok: Collection[int] | None = None,
             decode: bool = True) -> Envelope:
        """The one way to read a response: the :class:`Envelope` of a result, or the typed error.

        A status in ``ok`` (default :attr:`result_statuses`) may carry a result: its body must be JSON (else
        :class:`ProviderError`) and the :meth:`envelope` hook must report no error; with ``decode=False``
        the body is the raw bytes (a PDF) and the hook is not asked. Any other status is an error: the hook
        reads the error body when it is JSON, and :meth:`api_error` types it (a 1xx/2xx/3xx with no error
        code is a :class:`ProviderError`: not the documented answer, whatever its body says).
        """
        env, failed = self._open(prepared, response, ok, decode)
        if failed:
            raise self.api_error(response, env)
        return env

    def read_result(self, prepared: Prepared, response: httpx.Response,
                    decide: Callable[[Envelope], Decision], *, ok: Collection[int] | None = None) -> Decision:
        """:meth:`read` for a result: ``decide(envelope)`` (shape errors become :class:`ProviderError`).

        An error code whose ``api_error`` entry has an ``outcome`` is the session's state, not a failure
        (Tencent's ``BizTokenExpired`` → ``EXPIRED``, Alibaba's ``ProcessNotCompleted`` → ``PENDING``): a
        :class:`Decision` with that outcome, the entry's reason, ``provider_status`` = the code and
        ``reference`` = the ref's. Needs ``prepared.ref``.
        """
        ref = prepared.require_ref()
        env, failed = self._open(prepared, response, ok, True)
        if failed:
            entry = self.code_table.api_error(env.code)
            if entry is not None and entry.outcome is not None:
                return Decision(ref=ref, outcome=entry.outcome, reference=ref.reference,
                                reasons=(entry.to_reason(),) if entry.reason is not None else (),
                                provider_status=entry.code, raw=env.body)
            raise self.api_error(response, env)
        try:
            return decide(env)
        except Exception as exc:  # what malformed() does, without a context manager entered on every read
            error = shape_error(exc, self.name, f"{prepared.operation} response", response.status_code)
            if error is None:
                raise
            raise error from None

    def api_error(self, response: httpx.Response, env: Envelope) -> EkycError:
        """The typed error for a failed response: ``env.error`` when the hook set one, else the code table's
        (the ``api_error`` entry, then the table's prefix rules), else the HTTP status's
        (:func:`error_for_status`: 400/409/422 :class:`InvalidRequest`, 401 :class:`AuthenticationError`, 403
        :class:`PermissionDenied`, 404 :class:`SessionNotFound`, 429 :class:`RateLimited`, 5xx
        :class:`ProviderUnavailable`, anything else :class:`ProviderError`). The message is the table's
        meaning of the code, else the provider's text (scrubbed), else the code."""
        table = self.code_table
        entry = table.api_error(env.code)
        code = _code_like(env.code)
        message = env.message or (f"{self.display_name} error code {code}" if code else None)
        return error_for_status(self.name, response, code=env.code, message=message, request_id=env.request_id,
                                retry_after=env.retry_after, error=env.error or table.error_class(env.code),
                                field=env.field, meaning=entry.message if entry is not None else None)

    def _open(self, prepared: Prepared, response: httpx.Response, ok: Collection[int] | None,
              decode: bool) -> tuple[Envelope, bool]:
        """(envelope, failed): a result status's envelope, or whatever an error status's body reports."""
        status = response.status_code
        if status in (self.result_statuses if ok is None else ok):
            if not decode:
                return Envelope(body=response.content), False
            data = json_body(self.name, response)
            try:
                env = self.envelope(data, response)
            except Exception as exc:  # as in read_result
                error = shape_error(exc, self.name, f"{prepared.operation} response", status)
                if error is None:
                    raise
                raise error from None
            return env, env.failed
        try:
            data = loads(response.content) if response.content else None
        except WireError:
            data = None
        try:
            env = self.envelope(data, response)
        except (EkycError, WireError, LookupError, TypeError, ValueError, AttributeError):
            env = Envelope()  # an unreadable error body: the status speaks
        if not env.failed and status < 400:
            what = "redirect" if 300 <= status < 400 else f"HTTP {status}"
            raise ProviderError(f"unexpected {what} answering {prepared.operation} (HTTP {status})",
                                provider=self.name, http_status=status,
                                request_id=_code_like(env.request_id or self.request_id(response)))
        return env, True

    # -- optional --------------------------------------------------------------------------------
    def extension(self, call: ExtensionCall) -> Any:
        """Provider-specific operations bound to a client's ``call(build, parse)``; None when there are none.

        ``call`` runs ``build()`` → send → ``parse(prepared, response)`` through the client's retry loop and
        returns the result (a coroutine with :class:`ekyc.AsyncClient`), so one extension class serves both.
        """
        return None

    def browser_metadata(self) -> BrowserMetadata | None:
        """What the launch page must collect in the user's browser for this provider; None when nothing."""
        return None

    def base_url(self, default: str) -> str:
        """The configured endpoint (sandbox or override) or the provider's real base URL."""
        ep = self.settings.endpoint or default
        if "://" not in ep:
            ep = "https://" + ep
        return ep.rstrip("/")


# ---------------------------------------------------------------------------------------------------
# Helpers shared by adapters


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # rarely needed: kept out of import time

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_STATUS_ERRORS: dict[int, type[EkycError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: SessionNotFound,
    409: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}


def error_for_status(
    provider: str,
    response: httpx.Response,
    *,
    code: str | None = None,
    message: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
    error: type[EkycError] | None = None,
    field: str | None = None,
    meaning: str | None = None,
) -> EkycError:
    """The typed error for a failed HTTP exchange; everything the provider supplied is made safe here.

    ``message`` is the provider's free text: scrubbed (:func:`ekyc._redact.scrub_text`: only plain words and
    field names survive). ``meaning`` is this library's own text for the code (a code table's documented
    meaning): shown as is, so pass only trusted text there. ``field`` is a field name the provider reported:
    kept only when it is made of plain words (``***`` otherwise). ``code`` and ``request_id`` are kept only
    when they are short code-like strings (letters, digits, ``_.:-``; at most 80 characters).
    """
    status = response.status_code
    cls = error or _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ProviderUnavailable if status >= 500 else ProviderError
    if meaning:
        text = meaning
    elif message:
        text = scrub_text(message)
    else:
        text = f"HTTP {status}"
    kwargs: dict[str, Any] = {
        "provider": provider,
        "http_status": status,
        "provider_code": _code_like(code),
        "request_id": _code_like(request_id),
        "field": safe_field(field, strict=True),
    }
    if cls is RateLimited:
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        return RateLimited(f"rate limited: {text}", retry_after=retry_after, **kwargs)
    return cls(text, **kwargs)


_CODE_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}")


def _code_like(value: str | None) -> str | None:
    """A provider code or request id when it is a short code-like string; otherwise dropped (fail closed)."""
    if isinstance(value, str) and len(value) <= 80 and _CODE_LIKE.fullmatch(value):
        return value
    return None


def json_body(provider: str, response: httpx.Response, *, request_id: str | None = None) -> Any:
    """The response body as JSON, or :class:`ProviderError` (HTML error pages, truncation, empty bodies)."""
    try:
        return loads(response.content)
    except WireError as exc:
        raise ProviderError(
            f"response body is {exc.problem}", provider=provider, http_status=response.status_code,
            request_id=request_id,
        ) from None


class malformed:  # used as a function: ``with malformed(provider, what):``
    """Turn shape errors while reading a payload into :class:`ProviderError` (fail closed).

    A ``with`` block: an :class:`InvalidRequest` or :class:`~ekyc._wire.WireError` (naming the field), or a
    ``KeyError``/``TypeError``/``ValueError``/``AttributeError``/``IndexError``/``RecursionError``/
    ``OverflowError`` raised inside becomes a :class:`ProviderError`, the original emptied (:func:`_defuse`);
    any other :class:`EkycError` passes unchanged. A class rather than a ``@contextmanager`` generator: it is
    entered on every response read.
    """

    __slots__ = ("http_status", "provider", "what")

    def __init__(self, provider: str, what: str, *, http_status: int | None = None) -> None:
        self.provider = provider
        self.what = what
        self.http_status = http_status

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        # returns None (never swallows): an exception that is not a shape error propagates unchanged
        error = None if exc is None else self._error(exc)
        if error is not None:
            raise error from None

    def _error(self, exc: BaseException) -> ProviderError | None:
        return shape_error(exc, self.provider, self.what, self.http_status)


def shape_error(exc: BaseException, provider: str, what: str, http_status: int | None) -> ProviderError | None:
    """The :class:`ProviderError` a shape error while reading a payload becomes (see :class:`malformed`), the
    original emptied; None for an exception that is not a shape error (it propagates unchanged)."""
    if isinstance(exc, InvalidRequest):
        _defuse(exc)
        return ProviderError(f"malformed {what}: {exc.field or 'payload'} has an unexpected value",
                             provider=provider, http_status=http_status)
    if isinstance(exc, EkycError):
        return None
    if isinstance(exc, WireError):
        where = safe_field(exc.field) or "payload"
        problem = exc.problem
        _defuse(exc)
        return ProviderError(f"malformed {what}: {where} {problem}", provider=provider,
                             http_status=http_status, field=where)
    if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError,
                        OverflowError)):
        _defuse(exc)
        return ProviderError(f"malformed {what}", provider=provider, http_status=http_status)
    return None


def _defuse(exc: BaseException) -> None:
    """Empty an exception that stays reachable as ``__context__`` (a ``with`` block always chains it): its
    text may quote the payload (``KeyError('<value>')``), so it keeps only its type."""
    exc.args = ()
    if isinstance(exc, WireError):
        exc.field = safe_field(exc.field) or "payload"
    exc.__context__ = exc.__cause__ = None


def first_header(headers: httpx.Headers, names: Iterable[str]) -> str | None:
    """The first of ``names`` (lower case) with a non-empty value, as ``headers.get(name)`` gives it (repeated
    headers joined with ``", "``), reading the headers once: each ``get`` decodes and scans all of them."""
    found: dict[str, list[str]] = {}
    for key, value in headers.multi_items():
        found.setdefault(key.lower(), []).append(value)
    for name in names:
        values = found.get(name)
        if values:
            joined = ", ".join(values)
            if joined:
                return joined
    return None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name from any mapping."""
    if isinstance(headers, httpx.Headers):
        value: str | None = headers.get(name)
        return value
    lname = name.lower()
    for k, v in headers.items():
        if k.lower() == lname:
            return v
    return None


def config_error(exc: ValidationError, prefix: str, sources: Mapping[str, str]) -> ConfigurationError:
    """A :class:`ConfigurationError` naming the first invalid setting (``prefix`` + its path), never its value."""
    first = exc.errors(include_input=False, include_url=False)[0]
    raw_path = (prefix + ".".join(str(p) for p in first["loc"])).rstrip(".")
    path = safe_field(raw_path) or ""
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        msg = "is required"
    elif first["type"] == "extra_forbidden":
        msg = "is not a known setting"
    where = f" (from {sources[raw_path]})" if raw_path in sources else ""
    return ConfigurationError(f"setting {path}{where}: {msg}", field=path)
