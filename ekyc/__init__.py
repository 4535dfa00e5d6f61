"""ekyc — one API over several eKYC providers (Didit, Tencent Cloud eKYC, Alibaba Cloud ID Verification).

Write the KYC flow once, switch or route providers by configuration, and get one result enum
(:class:`Outcome`) and one reason taxonomy (:class:`ReasonCode`), fail-closed::

    from ekyc import Client

    with Client() as kyc:                      # nothing configured: the local sandbox
        session = kyc.create_session(reference="user-42", return_url="https://app.example/kyc/done")
        ...                                    # send the user to session.url
        decision = kyc.get_result(session.ref)
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .errors import (
        AuthenticationError,
        ConfigurationError,
        EkycError,
        InvalidRequest,
        PermissionDenied,
        ProviderError,
        ProviderUnavailable,
        RateLimited,
        SessionMismatch,
        SessionNotFound,
        UnsupportedFeature,
        WebhookVerificationError,
    )
    from .models import (
        Attempt,
        Check,
        CheckResult,
        Checks,
        Decision,
        DocumentType,
        ExpectedIdentity,
        Identity,
        Outcome,
        Reason,
        ReasonCode,
        Session,
        SessionRef,
        SessionRequest,
        WebhookEvent,
    )
    from .settings import Settings

# Public names are imported on first access (PEP 562): ``import ekyc`` itself loads nothing heavy, and
# ``from ekyc import Outcome`` loads the models without the clients.
_LAZY: dict[str, str] = {
    "AsyncClient": "client", "Client": "client",
    "AuthenticationError": "errors", "ConfigurationError": "errors", "EkycError": "errors",
    "InvalidRequest": "errors", "PermissionDenied": "errors", "ProviderError": "errors",
    "ProviderUnavailable": "errors", "RateLimited": "errors", "SessionMismatch": "errors", "SessionNotFound": "errors",
    "UnsupportedFeature": "errors", "WebhookVerificationError": "errors",
    "Attempt": "models", "Check": "models", "CheckResult": "models", "Checks": "models",
    "Decision": "models", "DocumentType": "models", "ExpectedIdentity": "models", "Identity": "models",
    "Outcome": "models", "Reason": "models", "ReasonCode": "models", "Session": "models",
    "SessionRef": "models", "SessionRequest": "models", "WebhookEvent": "models",
    "Settings": "settings",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:  # submodules (``ekyc.models``, ``ekyc.testing``, ...) stay reachable as attributes
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "Attempt",
    "AuthenticationError",
    "Check",
    "CheckResult",
    "Checks",
    "Client",
    "ConfigurationError",
    "Decision",
    "DocumentType",
    "EkycError",
    "ExpectedIdentity",
    "Identity",
    "InvalidRequest",
    "Outcome",
    "PermissionDenied",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "Reason",
    "ReasonCode",
    "Session",
    "SessionMismatch",
    "SessionNotFound",
    "SessionRef",
    "SessionRequest",
    "Settings",
    "UnsupportedFeature",
    "WebhookEvent",
    "WebhookVerificationError",
]
