"""The provider-neutral vocabulary: one result enum, one reason taxonomy, and the models around them.

Every model is a frozen pydantic model whose text fields are bounded. Invalid input — of any type — raises
:class:`ekyc.errors.InvalidRequest` naming the field, without echoing the value (never ``TypeError``,
``ValueError`` or ``RecursionError``).

**Personal data and bearer secrets stay hidden by default.** ``repr``, ``str``, ``model_dump()`` and
``model_dump_json()`` show ``<redacted>`` instead of personal values (names, dates of birth, document
numbers, addresses, images, contact details, metadata, the app's reference) and bearer secrets
(``Session.url``, ``SessionRef.id``/``extra``/``reference``); the provider's raw payload (``raw``) is never
serialized. Attribute access always gives the real value. To serialize the full values — e.g. to store a
decision in your own database — opt in explicitly::

    decision.model_dump(context={"reveal": True})
    decision.model_dump_json(context={"reveal": True})

To store a session reference use :meth:`SessionRef.serialize` (and :meth:`SessionRef.parse` to read it back).

**Changed copies are validated.** :meth:`SessionRequest.replace` (any model: ``model.replace(**changes)``,
and ``model_copy(update=...)``, which does the same) re-validates the whole model, so a copy can never hold
a value the constructor would refuse.
"""

# No ``from __future__ import annotations`` in this module: with it, pydantic compiles and evaluates the text of
# every field annotation when each model class is created (about 10 million instructions of a cold start).

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar
from urllib.parse import quote, unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import SchemaValidator
from typing_extensions import Self

from ._redact import REDACTED, safe_field
from .countries import ALPHA3_TO_ALPHA2, to_alpha3
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
_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
#: patterns only a create (a request's language) or a refusal (an error's field path) needs: compiled on first use
#: by ``re.fullmatch`` (kept in re's cache), not when the module is imported
_LANGUAGE = r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,6}"
_LOC_PART = r"[A-Za-z_][A-Za-z0-9_]{0,63}"
MAX_IMAGE_BYTES = 8 * 1024 * 1024
#: longest accepted ``return_url`` / provider link (browsers and providers cut far shorter URLs)
MAX_URL = 2048
#: longest e-mail address (RFC 5321 path limit)
MAX_EMAIL = 254
#: ``metadata``: at most this many characters of JSON, nested at most ``MAX_JSON_DEPTH`` deep
MAX_METADATA = 16 * 1024
#: ``provider_options`` may carry images (base64): a larger budget
MAX_OPTIONS = 16 * 1024 * 1024
MAX_JSON_DEPTH = 8
_INT64 = 2**63


# ---------------------------------------------------------------------------------------------------
# Bounded text


def _one_line(v: str) -> str:
    """Printable text on one line without surrounding whitespace (no control, format or surrogate characters)."""
    if not v.isprintable() or v != v.strip():
        raise ValueError("must be printable text on one line, without surrounding whitespace")
    return v


def _plain_text(v: str) -> str:
    """Printable text; line breaks and tabs allowed."""
    if not v.translate(_BREAKS).isprintable():
        raise ValueError("must be printable text (no control characters)")
    return v


_BREAKS = {ord("\n"): None, ord("\r"): None, ord("\t"): None}


#: request text (what the app sends): one printable line
_Name = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_one_line)]
_Code = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_one_line)]
_Address = Annotated[str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_plain_text)]
#: text a provider reported (bounded; kept as sent). A length-constrained ``str`` is checked by pydantic-core, which
#: refuses text that is not valid Unicode (a lone surrogate from a JSON ``\ud800`` escape) — no Python validator
#: per field is needed for it (tests/unit/test_models.py pins the refusal)
_ProvidedName = Annotated[str, StringConstraints(max_length=1024)]
_ProvidedCode = Annotated[str, StringConstraints(max_length=256)]
_ProvidedText = Annotated[str, StringConstraints(max_length=4096)]


def http_url(v: str, what: str = "URL") -> str:
    """Validate an absolute ``http(s)`` URL with a host (linear time; ``ValueError`` naming the problem).

    Refused: other schemes (``javascript:``, ``data:``), no host, credentials (``user:pass@``), whitespace,
    control characters or backslashes anywhere, an invalid port, more than :data:`MAX_URL` characters.
    """
    if len(v) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    if not v.isprintable() or " " in v or "\\" in v:
        raise ValueError(f"must be a {what} without whitespace, backslashes or control characters")
    try:
        parts = urlsplit(v)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        raise ValueError(f"must be an absolute http(s) {what}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValueError(f"must be an absolute http(s) {what} with a host")
    if "@" in parts.netloc:
        raise ValueError(f"must not carry credentials (user:password@host) in the {what}")
    if not all(c.isalnum() or c in ".-_:" for c in host):
        raise ValueError(f"must be an absolute http(s) {what} with a valid host")
    return v


def _email_address(v: str) -> str:
    """A plausible e-mail address, checked in linear time (at most 254 characters, RFC 5321)."""
    if len(v) > MAX_EMAIL:
        raise ValueError(f"must be an e-mail address of at most {MAX_EMAIL} characters")
    local, _, domain = v.rpartition("@")
    labels = domain.split(".")
    if (not v.isprintable() or " " in v or "@" in local or not 1 <= len(local) <= 64 or len(labels) < 2
            or not all(0 < len(label) <= 63 for label in labels)):
        raise ValueError("must be an e-mail address")
    return v


def _json_safe(value: Any, budget: int) -> Any:
    """A plain-JSON copy of ``value``: str keys, finite numbers, int64, printable-encodable strings, bounded.

    Raises ``ValueError`` naming the problem (never the value). Work is bounded by ``budget`` characters
    and :data:`MAX_JSON_DEPTH` levels, so cyclic or hostile structures fail fast.
    """
    return _json_copy(value, 0, [budget], budget)


def _spend(left: list[int], n: int, budget: int) -> None:
    left[0] -= n
    if left[0] < 0:
        raise ValueError(f"is larger than {budget} characters of JSON")


def _json_copy(v: Any, depth: int, left: list[int], budget: int) -> Any:
    """:func:`_json_safe`'s walk; ``left`` holds the characters of the budget still unspent (module functions, not
    closures that call themselves: those form a reference cycle on every call, left to the garbage collector)."""
    _spend(left, 2, budget)
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        if not -_INT64 < v < _INT64:
            raise ValueError("holds an integer outside the 64-bit range")
        _spend(left, 20, budget)
        return int.__int__(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("holds NaN or Infinity, which JSON cannot carry")
        _spend(left, 24, budget)
        return float.__float__(v)
    if isinstance(v, str):
        _spend(left, len(v), budget)
        _encodable_strict(v)
        return str.__str__(v)
    if depth >= MAX_JSON_DEPTH:
        raise ValueError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(v, (list, tuple)):
        return [_json_copy(item, depth + 1, left, budget) for item in v]
    if isinstance(v, Mapping):
        out: dict[str, Any] = {}
        for k, item in v.items():
            if not isinstance(k, str):
                raise ValueError("keys must be strings")
            _spend(left, len(k) + 1, budget)
            _encodable_strict(k)
            out[str.__str__(k)] = _json_copy(item, depth + 1, left, budget)
        return out
    raise ValueError(f"must be plain JSON (str, number, bool, None, list, dict), "
                     f"not {type(v).__name__}")


def _encodable_strict(v: str) -> None:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds text that is not valid Unicode (a lone surrogate)") from None


T = TypeVar("T")


def _typed(model: str, build: Callable[[], T]) -> T:
    """Run a pydantic construction; any failure becomes :class:`InvalidRequest` with no chained exception."""
    try:
        return build()
    except ValidationError as exc:
        error = _invalid(model, exc)
    except RecursionError:
        error = InvalidRequest(f"invalid {model}: nested too deeply")
    raise error  # outside the except block: no __context__ holding the input


#: the most instances one interned model class keeps (then it simply builds new ones)
_MAX_INTERNED = 1024


class _Plan(NamedTuple):
    """What a keyword construction of one model class needs, kept where reading it costs one dict lookup."""

    #: the class's built pydantic-core validator (what ``BaseModel.__init__`` runs)
    validator: SchemaValidator
    #: the class's ``_interned`` table (one instance per distinct value), None for a class that keeps none
    interned: dict[Any, Any] | None


#: per model class, once its validator is built: pydantic's ``ModelMetaclass`` defines ``__getattr__``, so every
#: attribute read off a model class goes through CPython's slow attribute hook (about four times a plain class's
#: read), and a construction read two per call (``_interned`` and ``__pydantic_validator__``)
_PLANS: dict[type, _Plan] = {}


class _TypedErrors(ModelMetaclass):
    """Constructing a model raises :class:`InvalidRequest` naming the field, never ``ValidationError``."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        plan = _PLANS.get(cls)
        if plan is None or args:
            return cls._first_or_positional(args, kwargs)
        interned = plan.interned
        key: Any = None
        if interned is not None:  # a small immutable value model: one instance per distinct value
            key = (tuple(kwargs.items()), tuple(map(type, kwargs.values())))  # True and 1: different keys
            try:
                found = interned.get(key)
            except TypeError:  # an unhashable argument: validation will name it
                found = key = None
            if found is not None and found.__class__ is cls:  # (a subclass inherits the table: never its parent's)
                return found
        # _typed inlined (no closure per construction: results build several models per call). Keyword
        # construction goes straight to the model's own validator — exactly what ``BaseModel.__init__`` runs (no
        # _Model defines ``__init__``), without its Python frames: every field and model validator still runs
        try:
            made = plan.validator.validate_python(kwargs)
            if key is not None and len(interned) < _MAX_INTERNED:  # type: ignore[arg-type]
                interned[key] = made  # type: ignore[index]
            return made
        except ValidationError as exc:
            error = _invalid(cls.__name__, exc)
        except RecursionError:
            error = InvalidRequest(f"invalid {cls.__name__}: nested too deeply")
        raise error  # outside the except block: no __context__ holding the input

    def _first_or_positional(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A construction with positional arguments (pydantic's own, which refuses them), or a keyword
        construction before the class's validator is built (``defer_build``: the first one builds it), after
        which the class's :class:`_Plan` is kept."""
        try:
            made = super().__call__(*args, **kwargs)
        except ValidationError as exc:
            error = _invalid(cls.__name__, exc)
        except RecursionError:
            error = InvalidRequest(f"invalid {cls.__name__}: nested too deeply")
        else:
            validator = cls.__pydantic_validator__  # type: ignore[attr-defined]
            if isinstance(validator, SchemaValidator):  # built (not pydantic's stand-in for a deferred build)
                _PLANS[cls] = _Plan(validator, cls._interned)  # type: ignore[attr-defined]
            return made
        raise error  # outside the except block: no __context__ holding the input


class _Model(BaseModel, metaclass=_TypedErrors):
    """Frozen base: redacting ``repr``/``str``/dumps, validated copies and typed errors that never echo input.

    Fields named in ``_redacted`` print and serialize as ``<redacted>`` unless the dump is called with
    ``context={"reveal": True}``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, defer_build=True)
    _redacted: ClassVar[frozenset[str]] = frozenset()
    #: a class that sets this to a dict keeps one instance per distinct keyword construction (see ``CheckResult``)
    _interned: ClassVar[dict[Any, Any] | None] = None

    if TYPE_CHECKING:  # at run time the metaclass wraps construction (a custom __init__ would be used for
        # nested models too, where ``Model(**{1: 2})`` is a TypeError before any validation)
        def __init__(self, **data: Any) -> None: ...

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a mapping or model; :class:`InvalidRequest` naming the field on any problem."""
        return _typed(cls.__name__, lambda: super(_Model, cls).model_validate(obj, **kwargs))

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate JSON text; :class:`InvalidRequest` naming the field on any problem."""
        return _typed(cls.__name__, lambda: super(_Model, cls).model_validate_json(json_data, **kwargs))

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied, validated like a new model (:class:`InvalidRequest` naming the field).

        ``request.replace(return_url=url)`` is the way to derive a changed request; unknown field names are
        refused too.
        """
        return self._changed(changes)

    __replace__ = replace  # copy.replace() (Python 3.13)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update`` it is validated like :meth:`replace` (pydantic's own copy skips validation)."""
        if update:
            if not isinstance(update, Mapping) or not all(isinstance(k, str) for k in update):
                raise InvalidRequest(f"invalid {type(self).__name__}: update must map field names to values")
            return self._changed(update)
        return super().model_copy(deep=deep)

    def _changed(self, changes: Mapping[str, Any]) -> Self:
        """This model's fields (a pydantic model's ``__dict__`` holds exactly them) with ``changes``, validated."""
        return type(self)(**{**self.__dict__, **changes})

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in self._redacted and value not in (None, (), {}, frozenset()):
                yield name, _Redacted()
            else:
                yield name, value

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if not self._redacted or not isinstance(data, dict) or reveal(info):
            return data
        return {k: REDACTED if k in self._redacted and v not in (None, (), [], {}) else v for k, v in data.items()}


def reveal(info: SerializationInfo) -> bool:
    """True when a dump was called with ``context={"reveal": True}`` (the documented opt-in to full values)."""
    context = info.context
    return isinstance(context, Mapping) and context.get("reveal") is True


class _Redacted:
    def __repr__(self) -> str:
        return REDACTED


def _invalid(model: str, exc: ValidationError) -> InvalidRequest:
    """The typed error for a failed validation: the first problem, its field path and never the input."""
    first = exc.errors(include_input=False, include_url=False)[0]
    loc = safe_field(_loc(first["loc"])) or ""
    msg = first["msg"].removeprefix("Value error, ")
    inner = (first.get("ctx") or {}).get("error")
    if isinstance(inner, InvalidRequest):  # an inner model already named its field: join the paths
        msg = inner.message
        if inner.field:
            loc = f"{loc}.{inner.field}" if loc else inner.field
            msg = msg.split(": ", 1)[-1] if msg.startswith("invalid ") else msg
    more = exc.error_count() - 1
    suffix = f" (and {more} more)" if more > 0 else ""
    where = f"{model}.{loc}" if loc else model
    return InvalidRequest(f"invalid {where}: {msg}{suffix}", field=loc or None)


def _loc(parts: tuple[int | str, ...]) -> str:
    """The field path of an error, cut at the first part that is not a field name or index (a dict key)."""
    kept: list[str] = []
    for part in parts:
        if isinstance(part, int) or re.fullmatch(_LOC_PART, part):
            kept.append(str(part))
        else:
            break
    return ".".join(kept)


# ---------------------------------------------------------------------------------------------------
# Results


class Reason(_Model):
    """One reason a verification did not pass (or a signal worth knowing)."""

    #: frozen and made of a code, a flag and two bounded texts: the reasons of a code table or an evidence rule
    #: are the same few values on every call, so equal ones share one instance (built and validated once)
    _interned: ClassVar[dict[Any, Any]] = {}
    #: built with the class, unlike the other models: Attempt and Decision both hold reasons, and a Reason not yet
    #: built on its own would have its schema generated again inside each of theirs on a process's first result
    model_config = ConfigDict(defer_build=False)

    code: ReasonCode
    retryable: bool = Field(description="may the user try again in a new session")
    provider_code: _ProvidedCode | None = Field(default=None, description="the provider's own code, as sent")
    message: _ProvidedText | None = Field(default=None, description="the documented meaning of the provider code")


class CheckResult(_Model):
    """The result of one check: ``passed`` is None when the check did not run or gave no verdict."""

    #: frozen and made of a bool and a float: every result builds three, so equal ones share one instance
    _interned: ClassVar[dict[Any, Any]] = {}

    passed: bool | None = None
    score: float | None = Field(default=None, ge=0, le=100, description="0-100 where the provider gives one")

    @field_validator("score", mode="after")
    @classmethod
    def _unsigned_zero(cls, score: float | None) -> float | None:
        """A score of ``-0.0`` is ``0.0``: equal results are shared (interned by value, and ``-0.0 == 0.0``), so
        without this a result's dump would depend on which zero was built first."""
        return 0.0 if score == 0 else score


def verdict(passed: bool | None, score: float | None = None) -> CheckResult:
    """``CheckResult(passed=passed, score=score)`` as one shared instance per value: the same frozen value a
    construction gives (validated the first time), without its cost on every result — a keyword construction's
    call alone costs about as much as validating the two fields, building the interning key as much again.

    A score that is not a plain ``float`` or ``int``, a zero (``-0.0 == 0.0``: each is built as given) and a
    ``passed`` other than ``True``/``False``/``None`` are constructed (and validated) every time; so is any value
    once :data:`_MAX_INTERNED` scored results are kept. Raises :class:`InvalidRequest` naming the field for a score
    outside 0-100 (or not finite) or a ``passed`` that is not a boolean. Without a score, the score stays unset
    (as in ``CheckResult(passed=passed)``).
    """
    if score is None:
        try:
            return _VERDICTS[passed]
        except (KeyError, TypeError):  # not True, False or None (nor equal to one): validated or refused as given
            return CheckResult(passed=passed)
    if not score or type(score) not in (float, int) or not (passed is None or type(passed) is bool):
        return CheckResult(passed=passed, score=score)
    key = (passed, score)  # a 2-tuple: never equal to a keyword construction's key (two tuples) in the same table
    interned = _CHECK_RESULTS
    found: CheckResult | None = interned.get(key)
    if found is None:
        found = CheckResult(passed=passed, score=score)
        if len(interned) < _MAX_INTERNED:
            interned[key] = found
    return found


class Checks(_Model):
    """Per-check results."""

    document: CheckResult = CheckResult()
    liveness: CheckResult = CheckResult()
    face_match: CheckResult = CheckResult()


_VERDICTS: dict[bool | None, CheckResult] = {passed: CheckResult(passed=passed) for passed in (True, False, None)}
#: CheckResult's interning table, read without the model metaclass's attribute hook (``verdict`` keeps scored
#: results in it too, so emptying it empties both)
_CHECK_RESULTS: dict[Any, Any] = CheckResult._interned


def verdicts(document: CheckResult, liveness: CheckResult, face_match: CheckResult) -> Checks:
    """``Checks(document=document, liveness=liveness, face_match=face_match)`` as one shared instance per three
    CheckResult instances (the shared ones :func:`verdict` gives: a result builds its checks from the same few call
    after call), built (and validated) the first time; all three fields are set, as in that construction.

    Kept by the identity of the three instances, and only while the kept Checks holds exactly them (so they stay
    alive and no other object can take their identity); at most :data:`_MAX_INTERNED` are kept, then each call
    builds a new one.
    """
    key = (id(document), id(liveness), id(face_match))
    found = _CHECKS.get(key)
    if found is not None and _holds(found, document, liveness, face_match):
        return found
    made = Checks(document=document, liveness=liveness, face_match=face_match)
    if len(_CHECKS) < _MAX_INTERNED and _holds(made, document, liveness, face_match):
        _CHECKS[key] = made
    return made


def _holds(checks: Checks, document: CheckResult, liveness: CheckResult, face_match: CheckResult) -> bool:
    """Whether ``checks`` holds these very instances (not equal copies)."""
    return checks.document is document and checks.liveness is liveness and checks.face_match is face_match


#: :func:`verdicts`' shared Checks, by the identity of the three CheckResults each holds
_CHECKS: dict[tuple[int, int, int], Checks] = {}


class Identity(_Model):
    """What the document says about the person. Every personal field is redacted in ``repr``."""

    _redacted = frozenset(
        {"given_name", "family_name", "full_name", "date_of_birth", "sex", "nationality",
         "document_number", "issue_date", "expiry_date", "address"}
    )

    given_name: _ProvidedName | None = None
    family_name: _ProvidedName | None = None
    full_name: _ProvidedName | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    nationality: str | None = Field(default=None, description="ISO 3166 alpha-3")
    document_type: DocumentType | None = None
    document_number: _ProvidedCode | None = None
    issuing_country: str | None = Field(default=None, description="ISO 3166 alpha-3")
    issue_date: date | None = Field(default=None, description="the document's date of issue, as printed")
    expiry_date: date | None = None
    address: _ProvidedText | None = None

    @field_validator("nationality", "issuing_country", mode="before")
    @classmethod
    def _alpha3(cls, v: Any) -> Any:
        if type(v) is str and v in ALPHA3_TO_ALPHA2:  # already a known alpha-3 code (what to_alpha3 keeps as is)
            return v
        return to_alpha3(v) if isinstance(v, str) else v  # an unknown code is dropped, not guessed

    def is_empty(self) -> bool:
        """True when the provider gave no identity data at all."""
        return all(value is None for value in self.__dict__.values())  # a model's __dict__ is its fields


class Attempt(_Model):
    """One attempt inside a session (providers that allow retries within a session report each)."""

    provider_code: _ProvidedCode | None = None
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

    _redacted = frozenset({"id", "extra", "reference"})

    provider: str
    id: str = Field(min_length=1, max_length=512)
    extra: tuple[str, ...] = Field(default=(), max_length=8)
    reference: str | None = Field(default=None, min_length=1, max_length=256,
                                  description="the app's reference, bound at create")

    @field_validator("provider")
    @classmethod
    def _name(cls, v: str) -> str:
        if len(v) > 32 or not _PROVIDER_NAME.fullmatch(v):
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
    def parse(cls, text: str) -> "SessionRef":
        """Parse the string form made by :meth:`serialize` (:class:`InvalidRequest` naming ``ref`` otherwise)."""
        if not isinstance(text, str) or ":" not in text or len(text) > 4096:
            raise InvalidRequest("not a session reference string", field="ref")
        body, hash_, reference = text.partition("#")
        if ":" not in body:
            raise InvalidRequest("not a session reference string", field="ref")
        provider, *parts = body.split(":")
        if not parts[0] and hash_:
            raise InvalidRequest("this is the display form of a ref (str(ref)); store ref.serialize()", field="ref")
        if "#" in reference or ":" in reference:  # serialize() percent-encodes both: this was edited by hand
            raise InvalidRequest("not a session reference string: the reference part is not percent-encoded",
                                 field="ref")
        try:
            return cls(provider=provider, id=unquote(parts[0], errors="strict"),
                       extra=tuple(unquote(p, errors="strict") for p in parts[1:]),
                       reference=unquote(reference, errors="strict") if hash_ else None)
        except UnicodeDecodeError:
            error = InvalidRequest("not a session reference string", field="ref")
        except InvalidRequest as exc:
            error = InvalidRequest(f"not a session reference string: {exc.message}", field="ref")
        raise error  # outside the except block: no __context__ holding the text


class Decision(_Model):
    """The normalized result of a session. ``raw`` keeps the provider payload for audit; it never prints."""

    _redacted = frozenset({"reference"})

    ref: SessionRef
    outcome: Outcome
    reference: _ProvidedCode | None = Field(
        default=None,
        description="the app's reference this session was started for, as the provider echoed it or as bound "
                    "into the ref at create; compare it with the signed-in user",
    )
    reasons: tuple[Reason, ...] = Field(default=(), description="why the outcome is not APPROVED")
    warnings: tuple[Reason, ...] = Field(default=(), description="signals that did not decide the outcome")
    identity: Identity = Identity()
    checks: Checks = Checks()
    attempts: tuple[Attempt, ...] = ()
    provider_status: _ProvidedCode | None = Field(default=None, description="the provider's raw status or code")
    billable: bool | None = Field(default=None, description="whether the provider bills this result")
    completed_at: datetime | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)

    @field_validator("reasons", "warnings", mode="after")
    @classmethod
    def _unique(cls, reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
        """One entry per (code, provider code), first occurrence kept: adapters may collect a reason twice."""
        if len(reasons) < 2:
            return reasons
        seen: set[tuple[ReasonCode, str | None]] = set()
        out = []
        for r in reasons:
            if (r.code, r.provider_code) not in seen:
                seen.add((r.code, r.provider_code))
                out.append(r)
        return tuple(out) if len(out) != len(reasons) else reasons

    @model_validator(mode="after")
    def _fail_closed(self) -> "Decision":
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

    given_name: _Name | None = None
    family_name: _Name | None = None
    full_name: _Name | None = None
    date_of_birth: date | None = None
    sex: Sex | None = None
    nationality: str | None = Field(default=None, max_length=8)
    document_number: _Code | None = None
    address: _Address | None = None

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
    """A provider-neutral request to start a verification session.

    Every field is checked here, before any network call: text is bounded and printable, ``return_url`` is an
    absolute http(s) URL with a host, ``metadata`` and ``provider_options`` are plain JSON (string keys,
    finite numbers, bounded size and depth). Derive a changed request with :meth:`replace`, which validates.
    """

    _redacted = frozenset({"reference", "reference_image", "expected", "contact_email", "client_metadata",
                           "metadata", "provider_options"})

    reference: _Name = Field(description="your user id (1-256 printable characters on one line)")
    return_url: str | None = Field(default=None, description="where the provider sends the user back (http(s))")
    checks: frozenset[Check] = ALL_CHECKS
    reference_image: str | None = Field(default=None, description="base64 face photo to match against")
    document_types: tuple[DocumentType, ...] = Field(default=(), max_length=len(DocumentType))
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 or alpha-3; kept as alpha-3")
    language: str | None = Field(default=None, max_length=35, description="a language tag such as 'en', 'zh-CN'")
    expected: ExpectedIdentity | None = None
    contact_email: str | None = Field(default=None, description=f"at most {MAX_EMAIL} characters")
    client_metadata: str | None = Field(default=None, max_length=8192, description="Alibaba's browser MetaInfo")
    metadata: dict[str, Any] = Field(default_factory=dict, description=f"plain JSON, at most {MAX_METADATA} "
                                                                        f"characters, {MAX_JSON_DEPTH} levels")
    provider_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("return_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else http_url(v)

    @field_validator("checks", mode="before")
    @classmethod
    def _checks(cls, v: Any) -> Any:
        if isinstance(v, (str, Check)):
            v = [v]
        if isinstance(v, (list, tuple, set, frozenset)) and not v:
            raise ValueError("at least one check is needed")
        return v

    @field_validator("reference_image", mode="before")
    @classmethod
    def _image(cls, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, (bytes, bytearray, memoryview)):
            raw = bytes(v)
        elif isinstance(v, str):
            text = v.strip()
            if text[:5].lower() == "data:":  # a data: URI header (data:image/png;base64,...)
                header, comma, text = text.partition(",")
                if not comma or not header.lower().endswith(";base64") or len(header) > 128:
                    raise ValueError("must be base64 (a data: URI header is allowed)")
            if len(text) > (MAX_IMAGE_BYTES // 3 + 1) * 4:
                raise ValueError(f"is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
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
        if v is not None and not re.fullmatch(_LANGUAGE, v):
            raise ValueError("must be a language tag such as 'en' or 'zh-CN'")
        return v

    @field_validator("contact_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return None if v is None else _email_address(v)

    @field_validator("client_metadata")
    @classmethod
    def _client_metadata(cls, v: str | None) -> str | None:
        return None if v is None else _one_line(v)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, v: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = _json_safe(v, MAX_METADATA)
        return out

    @field_validator("provider_options")
    @classmethod
    def _options(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name in v:
            if len(name) > 32 or not _PROVIDER_NAME.fullmatch(name):
                raise ValueError("keys are provider names (lower-case letters, digits and underscores)")
        out: dict[str, dict[str, Any]] = _json_safe(v, MAX_OPTIONS)
        return out

    def options_for(self, provider: str) -> dict[str, Any]:
        """The provider-specific options given for ``provider`` (an empty dict when none)."""
        return dict(self.provider_options.get(provider, {}))


class Session(_Model):
    """A started session: send the user to ``url``; keep ``ref`` (``ref.serialize()``) to fetch the result.

    ``url`` is a bearer link (whoever opens it can complete the verification), so ``repr`` hides it.
    """

    _redacted = frozenset({"url"})

    ref: SessionRef
    url: str = Field(description="the http(s) link to send the user to (a bearer link)")
    expires_at: datetime | None = None
    reused: bool = Field(default=False, description="the provider returned an existing unfinished session")
    single_use: bool = Field(default=False, description="the URL works once (open it, don't prefetch it)")
    raw: Any = Field(default=None, repr=False, exclude=True)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return http_url(v, "link")

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

    provider: str = Field(max_length=32)
    ref: SessionRef | None = Field(
        default=None, description="the session the event is about; None for a signed event that concerns no "
                                  "session (e.g. Didit's user.* and business.* events): check event_type")
    event_id: _ProvidedCode | None = Field(default=None, description="de-duplication key")
    event_type: _ProvidedCode | None = None
    provider_status: _ProvidedCode | None = None
    verified_by: str = Field(max_length=64)
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
    "verdict",
    "verdicts",
]
