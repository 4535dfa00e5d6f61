"""Nothing personal is readable in the database without the key: canary values are grepped for in the SQLite
files and in a pg_dump. Purge removes personal data and keeps the audit trail."""

from __future__ import annotations

import contextlib
import glob
import json
import re
from pathlib import Path

import pytest

from ekyc import Client
from ekyc.errors import SessionNotFound
from ekyc.ledger import Ledger
from ekyc.sandbox import PERSON, Sandbox

from . import pg
from .conftest import PROVIDERS
from .helpers import deliveries, receive, request

CANARIES = [PERSON["given_name"], PERSON["family_name"], PERSON["document_number"],
            PERSON["date_of_birth"].isoformat()]


def _run_everything(ledger: Ledger, sandbox: Sandbox) -> dict[int, list[str]]:
    """Every provider's approved flow through start, webhook and reconcile; the bearer values per session."""
    secrets = {}
    for provider in PROVIDERS:
        s = ledger.start(request=request(provider, f"user-{provider}"), provider=provider)
        assert s.url is not None and s.ref is not None
        sandbox.complete(s.url, "approved")
        for d in deliveries(sandbox, provider, s.ref.id):
            receive(ledger, d)
        secrets[s.id] = [s.url, s.ref.id, s.ref.serialize()]
    sandbox.clock.advance(86400)
    ledger.reconcile()
    return secrets


def _delete_operation(ledger: Ledger, provider: str) -> bool:
    from ekyc.ledger.ledger import DELETE_OPERATIONS

    try:
        ext = ledger.client.extension(provider)
    except Exception:  # no extension at all
        return False
    return any(callable(getattr(ext, name, None)) for name in DELETE_OPERATIONS)


#: a Fernet token (version byte 0x80, so its urlsafe base64 starts with "gAAAAA"): ciphertext, whose base64 text may
#: contain a short canary such as "JANE" by chance (a few percent per pg_dump) — cut out before grepping
_FERNET = re.compile(rb"gAAAAA[A-Za-z0-9_-]{80,}={0,2}")


def _database_bytes(ledger: Ledger, database: str) -> bytes:
    """The database's bytes (the SQLite files, or a pg_dump) with every sealed value cut out: what a reader
    without the key sees in the clear."""
    ledger.engine.dispose()
    if "://" in database:
        raw = pg.pg_dump(database)
    else:
        raw = b"".join(Path(f).read_bytes() for f in glob.glob(database + "*"))
    return _FERNET.sub(b"<sealed>", raw)


def test_sealed_values_are_cut_out_and_nothing_else() -> None:
    """The cut removes Fernet tokens only: a canary next to a token, or in plain base64, is still found."""
    from cryptography.fernet import Fernet

    token = Fernet(Fernet.generate_key()).encrypt(b"x" * 40)
    text = b'{"a": "' + token + b'", "name": "JANE", "b64": "SkFORQ==JANE"}'
    cut = _FERNET.sub(b"<sealed>", text)
    assert token not in cut and cut.count(b"JANE") == 2


def test_nothing_personal_or_secret_is_readable_without_the_key(ledger: Ledger, sandbox: Sandbox,
                                                                database: str) -> None:
    secrets = _run_everything(ledger, sandbox)
    for sid in secrets:
        kept = json.dumps(ledger.personal_data(sid))
        assert PERSON["document_number"] in kept  # stored (sealed), and readable with the key
    dump = _database_bytes(ledger, database)
    assert b"ekyc_ledger_sessions" in dump or b"SQLite format 3" in dump
    for canary in CANARIES + [v for values in secrets.values() for v in values]:
        assert canary.encode() not in dump, "a personal or bearer value is readable in the database"


def test_without_a_key_nothing_personal_is_stored(database: str, client: Client, sandbox: Sandbox,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EKYC_LEDGER_KEY", raising=False)
    with Ledger(database, client, clock=sandbox.clock.now) as ledger:
        ledger.migrate()
        secrets = _run_everything(ledger, sandbox)
        assert all(ledger.personal_data(sid) is None for sid in secrets)
        assert all(s.url is None for s in ledger.sessions())
        dump = _database_bytes(ledger, database)
    for canary in CANARIES:
        assert canary.encode() not in dump


def test_purge_removes_personal_data_and_keeps_the_audit_trail(ledger: Ledger, sandbox: Sandbox) -> None:
    secrets = _run_everything(ledger, sandbox)
    audit_before = ledger.events(limit=1000)
    assert ledger.purge(older_than=7 * 86400).sessions == 0  # nothing that old yet
    sandbox.clock.advance(8 * 86400)
    report = ledger.purge(older_than=7 * 86400)
    assert report.sessions == len(secrets)
    # the providers whose extension has a delete/redact operation (Stripe's redact, Persona's redact, Didit's
    # session delete): called, and the others counted, never faked
    with_delete = {p for p in PROVIDERS if _delete_operation(ledger, p)}
    assert "stripe" not in PROVIDERS or "stripe" in with_delete
    assert report.provider_deleted == len(with_delete) and report.provider_delete_failed == 0
    assert report.provider_delete_unavailable == len(secrets) - len(with_delete)
    client = ledger.client
    for _, _, stored in secrets.values():
        if stored.split(":", 1)[0] in with_delete:  # the provider's copy is gone too: redacted, or deleted
            with contextlib.suppress(SessionNotFound):
                assert client.get_result(stored).identity.is_empty()
    for sid in secrets:
        assert ledger.personal_data(sid) is None
        s = ledger.session(sid)
        assert s is not None and s.ref is None and s.url is None and s.state == "APPROVED"
    audit_after = ledger.events(limit=1000)
    assert audit_after[: len(audit_before)] == audit_before
    assert [e["action"] for e in audit_after[len(audit_before):]] == ["purge"] * len(secrets)
    assert ledger.status("user-didit").approved  # type: ignore[union-attr]
