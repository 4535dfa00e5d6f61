"""Typed errors. Every error carries the provider, HTTP status, provider error code and request id.

Messages are built by this library from codes and field names only: a provider's free text is scrubbed
(:func:`ekyc._redact.scrub_text`) and request or response bodies are never included, so no secret or
personal data reaches an exception's text. ``field`` is always a safe field path: a segment that does not
look like a field name or an index shows as ``***`` (:func:`ekyc._redact.safe_field`).
"""

from __future__ import annotations

from typing import Any

from ._redact import safe_field


class EkycError(Exception):
    """Base class of every error this library raises."""

    #: whether repeating the same call later may succeed (used by the retry loop for reads)
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        http_status: int | None = None,
        provider_code: str | None = None,
        request_id: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.http_status = http_status
        self.provider_code = provider_code
        self.request_id = request_id
        self.field = field

    @property
    def field(self) -> str | None:
        """The setting, request field or payload field at fault, as a dotted path (never a value)."""
        return self._field

    @field.setter
    def field(self, value: str | None) -> None:
        self._field = safe_field(value)

    def __str__(self) -> str:
        facts = [
            f"{name}={value}"
            for name, value in (
                ("provider", self.provider),
                ("field", self.field),
                ("http_status", self.http_status),
                ("provider_code", self.provider_code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(facts)})" if facts else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[EkycError], message: str, state: dict[str, Any]) -> EkycError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ConfigurationError(EkycError):
    """A setting is missing or wrong; ``field`` names the setting."""


class UnsupportedFeature(EkycError):
    """The provider cannot honour part of the request; raised before any network call."""


class InvalidRequest(EkycError, ValueError):
    """The request is malformed (locally, or as the provider reported it); ``field`` names the culprit."""


class AuthenticationError(EkycError):
    """The provider rejected the credentials (wrong key, bad signature, expired timestamp)."""


class PermissionDenied(EkycError):
    """The credentials are valid but not allowed to do this (not activated, suspended, not permitted)."""


class SessionNotFound(EkycError):
    """The provider does not know this session or token."""


class RateLimited(EkycError):
    """The provider is throttling; ``retry_after`` is the advised wait in seconds, when given."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProviderUnavailable(EkycError):
    """The provider could not be reached or answered 5xx; the call's outcome is unknown.

    ``sent`` is False when the request certainly never reached the provider (connection refused,
    DNS failure), which is what makes a create safe to retry or to send elsewhere.
    """

    retryable = True

    def __init__(self, message: str, *, sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.sent = sent


class ProviderError(EkycError):
    """The provider answered something this library cannot interpret (malformed or unexpected)."""


class WebhookVerificationError(EkycError):
    """A webhook, callback or return URL failed verification (signature, token, freshness, shape)."""


class SessionMismatch(WebhookVerificationError):
    """A returning browser, a webhook or a provider's answer names another session or another user than
    the one the app stored: never use it to decide about the signed-in user."""


__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "EkycError",
    "InvalidRequest",
    "PermissionDenied",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "SessionMismatch",
    "SessionNotFound",
    "UnsupportedFeature",
    "WebhookVerificationError",
]
