"""Tencent test helpers (the sandbox, client and served fixtures are the shared ones in tests/conftest.py)."""

from __future__ import annotations

from ekyc.models import Check, DocumentType, SessionRequest
from ekyc.testing import BROWSER_META_INFO

CONTRACT_REQUEST = SessionRequest(
    reference="user-42",
    return_url="https://app.example/kyc/return",
    checks=frozenset({Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH}),
    document_types=(DocumentType.PASSPORT,),
    country="GBR",
    client_metadata=BROWSER_META_INFO,
)
