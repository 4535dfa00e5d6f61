"""The verification ledger: sessions, a webhook inbox and reconciliation on a real database.

Needs the ``ledger`` extra (``pip install 'ekyc-bridge[ledger]'``: SQLAlchemy 2, Alembic, cryptography,
aiosqlite, psycopg 3). It sits above the core — it uses only the public :class:`ekyc.Client` /
:class:`ekyc.AsyncClient` — and the core never imports it. See ``docs/ledger.md``::

    from ekyc import Client
    from ekyc.ledger import Ledger

    with Client() as kyc, Ledger("ledger.db", kyc) as ledger:
        ledger.migrate()
        session = ledger.start("user-42", return_url="https://app.example/kyc/done")
        ...                                                  # send the user to session.url
        receipt = ledger.receive("didit", raw_body, headers)  # in the webhook endpoint
        ledger.refresh("user-42", return_url=str(request.url))  # the user came back: check the URL, fetch now
        ledger.reconcile()                                    # from cron / Celery beat / arq
        ledger.status("user-42").state                        # "APPROVED", "PENDING", ...
"""

from .ledger import AsyncLedger, Ledger
from .model import (
    LedgerBusy,
    LedgerError,
    LedgerSession,
    NoSession,
    Policy,
    PurgeReport,
    Receipt,
    ReconcileReport,
)
from .vault import KEY_ENV, Vault, generate_key

__all__ = [
    "KEY_ENV",
    "AsyncLedger",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "LedgerSession",
    "NoSession",
    "Policy",
    "PurgeReport",
    "Receipt",
    "ReconcileReport",
    "Vault",
    "generate_key",
]
