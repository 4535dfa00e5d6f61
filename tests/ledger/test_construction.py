"""A ledger built with a wrong argument is refused at once with a ConfigurationError naming it (red team):
``Ledger(5, client)`` made an SQLite file named ``5`` in the working directory, ``Ledger("mysql://…", client)``
raised a bare ModuleNotFoundError, and ``policy={"relink_grace": 1}`` or ``clock="now"`` were taken and every
later call failed as 'the ledger failed on unexpected input (AttributeError/TypeError)'."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ekyc import Client
from ekyc.errors import ConfigurationError
from ekyc.ledger import AsyncLedger, Ledger, Policy
from ekyc.sandbox import Sandbox
from tests.support.clients import quick_async_client

CASES: list[tuple[str, dict[str, Any]]] = [
    ("database", {"database": 5}),
    ("database", {"database": None}),
    ("database", {"database": "mysql://user:secret@db.invalid/kyc"}),
    ("database", {"database": "nosuchdialect://db.invalid/kyc"}),
    ("policy", {"policy": {"relink_grace": 1}}),
    ("clock", {"clock": "now"}),
    ("worker", {"worker": 5}),
]


@pytest.mark.parametrize(("field", "kwargs"), CASES)
def test_a_wrong_ledger_argument_is_a_configuration_error(client: Client, tmp_path: Path, field: str,
                                                          kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"database": str(tmp_path / "ledger.db"), **kwargs}
    database = args.pop("database")
    with pytest.raises(ConfigurationError) as caught:
        Ledger(database, client, **args)
    assert caught.value.field == field
    assert "secret" not in str(caught.value) and caught.value.__cause__ is None
    assert not Path("5").exists()


def test_the_async_ledger_refuses_them_too(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        async with quick_async_client(sandbox) as client:
            for field, kwargs in CASES:
                args: dict[str, Any] = {"database": str(tmp_path / "ledger.db"), **kwargs}
                database = args.pop("database")
                with pytest.raises(ConfigurationError) as caught:
                    AsyncLedger(database, client, **args)
                assert caught.value.field == field

    asyncio.run(run())


def test_ordinary_arguments_still_work(client: Client, tmp_path: Path) -> None:
    with Ledger(tmp_path / "a.db", client, policy=Policy(), clock=lambda: 1.0, worker="w1") as ledger:
        assert ledger.migrate()
