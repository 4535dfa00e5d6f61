"""ekyc — one API over several eKYC providers (Didit, Tencent Cloud eKYC, Alibaba Cloud ID Verification).

Write the KYC flow once, switch or route providers by configuration, and get one result enum
(:class:`Outcome`) and one reason taxonomy (:class:`ReasonCode`), fail-closed::

    from ekyc import Client

    with Client() as kyc:                      # nothing configured: the local sandbox
        session = kyc.create_session(reference="user-42", return_url="https://app.example/kyc/done")
        ...                                    # send the user to session.url
        decision = kyc.get_result(session.ref)
"""

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
    "SessionNotFound",
    "SessionRef",
    "SessionRequest",
    "Settings",
    "UnsupportedFeature",
    "WebhookEvent",
    "WebhookVerificationError",
]
