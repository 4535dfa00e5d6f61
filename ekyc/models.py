"""The provider-neutral vocabulary: one result enum, one reason taxonomy, and the models around them.

Every model is a frozen pydantic model. ``repr``/``str`` never show personal data (names, dates of birth,
document numbers, addresses, images, contact details) nor the provider's raw payload: those fields print
as ``<redacted>``. Invalid input raises :class:`ekyc.errors.InvalidRequest` naming the field, without
echoing the value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, Literal
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._redact import REDACTED
from .countries import to_alpha3
from .errors import InvalidRequest


class Outcome(str, Enum):
    """The one normalized result of a verification session."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    REVIEW = "REVIEW"
    EXPIRED = "EXPIRED"
    ABANDONED = "ABANDONED"
    ERROR = "ERROR"

    @property
    def is_final(self) -> bool:
        """False only for ``PENDING``."""
        return self is not Outcome.PENDING


class ReasonCode(str, Enum):
    """Why a verification did not pass: one taxonomy across providers (closed, plus ``UNKNOWN``)."""

    FACE_MISMATCH = "FACE_MISMATCH"
    LIVENESS_FAILED = "LIVENESS_FAILED"
    SPOOF_DETECTED = "SPOOF_DETECTED"
    FACE_NOT_DETECTED = "FACE_NOT_DETECTED"
    MULTIPLE_FACES = "MULTIPLE_FACES"
    CAPTURE_QUALITY = "CAPTURE_QUALITY"
    DOCUMENT_EXPIRED = "DOCUMENT_EXPIRED"
    DOCUMENT_UNREADABLE = "DOCUMENT_UNREADABLE"
    DOCUMENT_UNSUPPORTED = "DOCUMENT_UNSUPPORTED"
    DOCUMENT_TAMPERED = "DOCUMENT_TAMPERED"
    DATA_MISMATCH = "DATA_MISMATCH"
    UNDERAGE = "UNDERAGE"
    DUPLICATE_IDENTITY = "DUPLICATE_IDENTITY"
    BLOCKLISTED = "BLOCKLISTED"
    AML_MATCH = "AML_MATCH"
    RETRY_LIMIT_REACHED = "RETRY_LIMIT_REACHED"
    USER_CANCELLED = "USER_CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    APPROVAL_EXPIRED = "APPROVAL_EXPIRED"
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    #: the provider reported success, but a sub-check it reported was unfinished, undocumented or contradicted
    #: another field: the decision needs a human (see :mod:`ekyc.evidence`)
    INCONSISTENT_EVIDENCE = "INCONSISTENT_EVIDENCE"
    INVALID_REQUEST = "INVALID_REQUEST"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    UNKNOWN = "UNKNOWN"


class Check(str, Enum):
    """A check a session can run."""

    DOCUMENT = "document"
    LIVENESS = "liveness"
    FACE_MATCH = "face_match"


class DocumentType(str, Enum):
    """Normalized identity-document type."""

    PASSPORT = "PASSPORT"
    ID_CARD = "ID_CARD"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    OTHER = "OTHER"


Sex = Literal["M", "F", "X"]
ALL_CHECKS: frozenset[Check] = frozenset(Check)
_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_DATA_URI = re.compile(r"^data:[\w/+.-]*(?:;[\w=.-]+)*;base64,", re.IGNORECASE)
MAX_IMAGE_BYTES = 8 * 1024 * 1024


class _Model(BaseModel):
    """Frozen base: redacting ``repr`` and typed validation errors that never echo the input."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, defer_build=True)
    _redacted: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _invalid(type(self).__name__, exc) from None

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in self._redacted and value not in (None, (), {}, frozenset()):
                yield name, _Redacted()
            else:
                yield name, value


class _Redacted:
    def __repr__(self) -> str:
        return REDACTED


def _invalid(model: str, exc: ValidationError) -> InvalidRequest:
    first = exc.errors(include_input=False, include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    nested = re.match(r"invalid \w+\.([\w.]+): (.*)", msg, re.S)
    if nested and loc:  # an inner model already named its field: join the paths
        loc, msg = f"{loc}.{nested.group(1)}", re.sub(r" \(field=[^)]*\)$", "", nested.group(2))
    more = exc.error_count() - 1
    suffix = f" (and {more} more)" if more > 0 else ""
    where = f"{model}.{loc}" if loc else model
    return InvalidRequest(f"invalid {where}: {msg}{suffix}", field=loc or None)


# ---------------------------------------------------------------------------------------------------
# Results


class Reason(_Model):
    """One reason a verification did not pass (or a signal worth knowing)."""

    code: ReasonCode
    retryable: bool = Field(description="may the user try again in a new session")
    provider_code: str | None = Field(default=None, description="the provider's own code, as sent")
    message: str | None = Field(default=None, description="the documented meaning of the provider code")


class CheckResult(_Model):
    """The result of one check: ``passed`` is None when the check did not run or gave no verdict."""

    passed: bool | None = None
    score: float | None = Field(default=None, ge=0, le=100, description="0-100 where the provider gives one")


class Checks(_Model):
    """Per-check results."""

    document: CheckResult = CheckResult()
    liveness: CheckResult = CheckResult()
    face_match: CheckResult = CheckResult()


class Identity(_Model):
    """What the document says about the person. Every personal field is redacted in ``repr``."""

    _redacted = frozenset(
        {"given_name", "family_name", "full_name", "date_of_birth", "sex", "nationality",
         "document_number", "expiry_date", "address"}
    )

    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    nationality: str | None = Field(default=None, description="ISO 3166 alpha-3")
    document_type: DocumentType | None = None
    document_number: str | None = None
    issuing_country: str | None = Field(default=None, description="ISO 3166 alpha-3")
    expiry_date: date | None = None
    address: str | None = None

    @field_validator("nationality", "issuing_country", mode="before")
    @classmethod
    def _alpha3(cls, v: Any) -> Any:
        return to_alpha3(v) if isinstance(v, str) else v

    def is_empty(self) -> bool:
        """True when the provider gave no identity data at all."""
        return all(getattr(self, name) is None for name in type(self).model_fields)


class Attempt(_Model):
    """One attempt inside a session (providers that allow retries within a session report each)."""

    provider_code: str | None = None
    passed: bool | None = None
    liveness: CheckResult = CheckResult()
    face_match: CheckResult = CheckResult()
    reasons: tuple[Reason, ...] = ()
    at: datetime | None = None


class SessionRef(_Model):
    """Names a session at a provider, with everything needed to fetch its result later.

    Store :meth:`serialize` — one short string (``provider:id[:extra…][#reference]``, percent-encoded) that
    :meth:`parse` turns back into the same ref — in a single column next to your user. Some providers' ids
    are bearer tokens (Tencent's BizToken rebuilds the verification link), so ``ref.serialize()`` and ``repr(ref)``
    show only the provider and a fingerprint (``tencent:#3fa9c10b2e``), which is safe to log and enough to
    correlate log lines; :meth:`parse` refuses that display form.

    ``reference`` is the app's own reference, bound at create (the client fills it in), so a stored ref
    cannot be swapped for another user's session without the mismatch showing.
    """

    provider: str
    id: str = Field(min_length=1, max_length=512)
    extra: tuple[str, ...] = Field(default=(), max_length=8)
    reference: str | None = Field(default=None, min_length=1, max_length=256,
                                  description="the app's reference, bound at create")

    @field_validator("provider")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _PROVIDER_NAME.fullmatch(v):
            raise ValueError("provider names are lower-case letters, digits and underscores")
        return v

    @field_validator("id", "extra", "reference")
    @classmethod
    def _printable(cls, v: Any) -> Any:
        for part in (v,) if isinstance(v, str) else (v or ()):
            if len(part) > 512 or not part.isprintable() or part != part.strip():
                raise ValueError("must be printable text without surrounding whitespace")
        return v

    def serialize(self) -> str:
        """The full string form to store (it may be a bearer secret: never log it; log ``ref.serialize()``)."""
        text = ":".join([self.provider, *(quote(p, safe="") for p in (self.id, *self.extra))])
        return text if self.reference is None else f"{text}#{quote(self.reference, safe='')}"

    @property
    def fingerprint(self) -> str:
        """A short, stable, non-reversible name of this session, safe for logs."""
        import hashlib

        return hashlib.sha256(self.serialize().encode()).hexdigest()[:10]

    def __str__(self) -> str:
        return f"{self.provider}:#{self.fingerprint}"

    def __repr__(self) -> str:
        return f"SessionRef({self})"

    @classmethod
    def parse(cls, text: str) -> SessionRef:
        """Parse the string form made by :meth:`serialize` (:class:`InvalidRequest` naming ``ref`` otherwise)."""
        if not isinstance(text, str) or ":" not in text or len(text) > 4096:
            raise InvalidRequest("not a session reference string", field="ref")
        body, hash_, reference = text.partition("#")
        provider, *parts = body.split(":")
        if not parts[0] and hash_:
            raise InvalidRequest("this is the display form of a ref (str(ref)); store ref.serialize()", field="ref")
        try:
            return cls(provider=provider, id=unquote(parts[0], errors="strict"),
                       extra=tuple(unquote(p, errors="strict") for p in parts[1:]),
                       reference=unquote(reference, errors="strict") if hash_ else None)
        except UnicodeDecodeError:
            raise InvalidRequest("not a session reference string", field="ref") from None
        except InvalidRequest as exc:
            raise InvalidRequest(f"not a session reference string: {exc.message}", field="ref") from None


class Decision(_Model):
    """The normalized result of a session. ``raw`` keeps the provider payload for audit; it never prints."""

    ref: SessionRef
    outcome: Outcome
    reference: str | None = Field(
        default=None,
        description="the app's reference this session was started for, as the provider echoed it or as bound "
                    "into the ref at create; compare it with the signed-in user",
    )
    reasons: tuple[Reason, ...] = Field(default=(), description="why the outcome is not APPROVED")
    warnings: tuple[Reason, ...] = Field(default=(), description="signals that did not decide the outcome")
    identity: Identity = Identity()
    checks: Checks = Checks()
    attempts: tuple[Attempt, ...] = ()
    provider_status: str | None = Field(default=None, description="the provider's raw status or code")
    billable: bool | None = Field(default=None, description="whether the provider bills this result")
    completed_at: datetime | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)

    @field_validator("reasons", "warnings", mode="after")
    @classmethod
    def _unique(cls, reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
        """One entry per (code, provider code), first occurrence kept: adapters may collect a reason twice."""
        seen: set[tuple[ReasonCode, str | None]] = set()
        out = []
        for r in reasons:
            if (r.code, r.provider_code) not in seen:
                seen.add((r.code, r.provider_code))
                out.append(r)
        return tuple(out) if len(out) != len(reasons) else reasons

    @model_validator(mode="after")
    def _fail_closed(self) -> Decision:
        if self.outcome is Outcome.APPROVED and self.reasons:
            raise ValueError("an APPROVED decision cannot carry failure reasons")
        return self

    @property
    def approved(self) -> bool:
        """True only for ``APPROVED``."""
        return self.outcome is Outcome.APPROVED

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        """The normalized reason codes, in order."""
        return tuple(r.code for r in self.reasons)

    @property
    def retryable(self) -> bool:
        """May the user try again in a new session: true when every reason says so."""
        return bool(self.reasons) and all(r.retryable for r in self.reasons)


# ---------------------------------------------------------------------------------------------------
# Requests and sessions


class ExpectedIdentity(_Model):
    """Data to cross-check against the document (all of it personal, all of it redacted)."""

    _redacted = frozenset({"given_name", "family_name", "full_name", "date_of_birth", "sex", "nationality",
                           "document_number", "address"})

    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    nationality: str | None = None
    document_number: str | None = None
    address: str | None = None

    @field_validator("nationality")
    @classmethod
    def _alpha3(cls, v: str | None) -> str | None:
        if v is None:
            return None
        a3 = to_alpha3(v)
        if a3 is None:
            raise ValueError("not an ISO 3166 country code")
        return a3


class SessionRequest(_Model):
    """A provider-neutral request to start a verification session."""

    _redacted = frozenset({"reference_image", "expected", "contact_email", "client_metadata", "metadata",
                           "provider_options"})

    reference: str = Field(min_length=1, max_length=256, description="your user id")
    return_url: str | None = Field(default=None, description="where the provider sends the user back")
    checks: frozenset[Check] = ALL_CHECKS
    reference_image: str | None = Field(default=None, description="base64 face photo to match against")
    document_types: tuple[DocumentType, ...] = ()
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 or alpha-3; kept as alpha-3")
    language: str | None = None
    expected: ExpectedIdentity | None = None
    contact_email: str | None = None
    client_metadata: str | None = Field(default=None, description="Alibaba's browser MetaInfo")
    metadata: dict[str, Any] = Field(default_factory=dict)
    provider_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("return_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return v

    @field_validator("checks", mode="before")
    @classmethod
    def _checks(cls, v: Any) -> Any:
        if isinstance(v, (str, Check)):
            v = [v]
        if not v:
            raise ValueError("at least one check is needed")
        return v

    @field_validator("reference_image", mode="before")
    @classmethod
    def _image(cls, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, (bytes, bytearray)):
            raw = bytes(v)
        elif isinstance(v, str):
            text = _DATA_URI.sub("", v.strip(), count=1)
            try:
                raw = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("must be base64 (a data: URI header is allowed)") from None
        else:
            raise ValueError("must be bytes or a base64 string")
        if not raw:
            raise ValueError("is empty")
        if len(raw) > MAX_IMAGE_BYTES:
            raise ValueError(f"is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
        return base64.b64encode(raw).decode("ascii")

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is None:
            return None
        a3 = to_alpha3(v)
        if a3 is None:
            raise ValueError("not an ISO 3166 country code")
        return a3

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        if v is not None and not _LANGUAGE.match(v):
            raise ValueError("must be a language tag such as 'en' or 'zh-CN'")
        return v

    @field_validator("contact_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", v):
            raise ValueError("must be an e-mail address")
        return v

    def options_for(self, provider: str) -> dict[str, Any]:
        """The provider-specific options given for ``provider`` (an empty dict when none)."""
        return dict(self.provider_options.get(provider, {}))


class Session(_Model):
    """A started session: send the user to ``url``; keep ``ref`` (``ref.serialize()``) to fetch the result.

    ``url`` is a bearer link (whoever opens it can complete the verification), so ``repr`` hides it.
    """

    _redacted = frozenset({"url"})

    ref: SessionRef
    url: str
    expires_at: datetime | None = None
    reused: bool = Field(default=False, description="the provider returned an existing unfinished session")
    single_use: bool = Field(default=False, description="the URL works once (open it, don't prefetch it)")
    raw: Any = Field(default=None, repr=False, exclude=True)

    @property
    def provider(self) -> str:
        """The provider that holds the session."""
        return self.ref.provider


class WebhookEvent(_Model):
    """A verified notification from a provider.

    ``provider_status`` is the provider's status hint as sent; it is not a decision. ``decision`` is set
    only when the whole payload was authenticated and carried one; otherwise call ``get_result(ref)``.
    ``authenticated`` says what the verification covered: ``"payload"`` (every field), ``"envelope"``
    (only identifiers, status and timestamp) or ``"token"`` (a shared token, nothing else signed).
    """

    provider: str
    ref: SessionRef | None = Field(
        default=None, description="the session the event is about; None for a signed event that concerns no "
                                  "session (e.g. Didit's user.* and business.* events): check event_type")
    event_id: str | None = Field(default=None, description="de-duplication key")
    event_type: str | None = None
    provider_status: str | None = None
    verified_by: str
    authenticated: Literal["payload", "envelope", "token"]
    decision: Decision | None = None
    occurred_at: datetime | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


__all__ = [
    "ALL_CHECKS",
    "Attempt",
    "Check",
    "CheckResult",
    "Checks",
    "Decision",
    "DocumentType",
    "ExpectedIdentity",
    "Identity",
    "Outcome",
    "Reason",
    "ReasonCode",
    "Session",
    "SessionRef",
    "SessionRequest",
    "Sex",
    "WebhookEvent",
]
