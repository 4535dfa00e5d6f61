"""Alibaba test helpers (the sandbox, client and served fixtures are the shared ones in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from ekyc.models import ALL_CHECKS, DocumentType, SessionRequest
from ekyc.testing import BROWSER_META_INFO


def contract_request(**overrides: Any) -> SessionRequest:
    """The request the contract suite uses."""
    fields: dict[str, Any] = dict(reference="user-42", return_url="https://app.example/kyc/return",
                                  checks=ALL_CHECKS, document_types=(DocumentType.PASSPORT,), country="GBR",
                                  client_metadata=BROWSER_META_INFO)
    fields.update(overrides)
    return SessionRequest(**fields)
