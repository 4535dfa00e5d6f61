"""Fixtures of the ledger tests: an in-process sandbox whose webhooks go to a dead address (every provider then
emits them, Tencent included: its emulator registers the URL) and are read from ``sandbox.deliveries``, a
client on it, a key, and a ledger on SQLite or on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from ekyc import Client
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_client

from . import pg

pytest.importorskip("sqlalchemy", reason="the ledger extra is not installed (pip install -e '.[dev]')")

from ekyc.ledger import Ledger, Policy, generate_key

#: where the sandbox "sends" webhooks: nothing listens (the tests read them from the outbox)
DEAD_URL = "http://127.0.0.1:9/hooks"
_databases = itertools.count(1)


def make_sandbox() -> Sandbox:
    sandbox = Sandbox(webhook_url=DEAD_URL)
    sandbox.on_sent = lambda *args: None
    return sandbox


PROVIDERS = make_sandbox().providers


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Client]:
    with quick_client(sandbox) as c:
        yield c


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    if pg.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: .ci/run installs Debian's postgresql, and initdb/pg_ctl "
                        "are still absent")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are absent here; .ci/run installs Debian's "
                    "postgresql so CI runs these tests")
    with pg.cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """A fresh, empty database: an SQLite file, or a new database on the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        return str(tmp_path) + "/ledger.db"  # type: ignore[operator]
    cluster = request.getfixturevalue("postgres_cluster")
    return pg.create_database(cluster, f"ledger_{next(_databases)}")


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def ledger(database: str, client: Client, key: str, sandbox: Sandbox, policy: Policy) -> Iterator[Ledger]:
    with Ledger(database, client, key=key, clock=sandbox.clock.now, policy=policy) as led:
        led.migrate()
        yield led
