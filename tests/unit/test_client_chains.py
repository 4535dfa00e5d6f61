"""The typed boundary keeps nothing behind an error: extension operations are inside it, and no error leaving
a client carries the exception it was raised from (a parser error holds the payload, an httpx error the
request with its credentials)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from ekyc.errors import EkycError
from ekyc.models import DocumentType
from ekyc.sandbox import Sandbox
from ekyc.testing import BROWSER_META_INFO, providers
from tests.support.chains import exception_chain

PERSONAL = "JOHN CANARYSMITH"



def test_extension_operations_raise_only_typed_errors_sync_and_async() -> None:
    sandbox = Sandbox(["didit"])
    with sandbox.client() as client:
        session = client.create_session(reference="u1", return_url="https://app.example/r")
        ext = client.extension("didit")
        with pytest.raises(EkycError) as info:
            ext.update_status(session.ref, "approve", email_language=["en"])
        assert len(exception_chain(info.value)) == 1

    async def run() -> None:
        async with sandbox.async_client() as aclient:
            aext = aclient.extension("didit")
            with pytest.raises(EkycError):
                await aext.update_status(session.ref, "approve", email_language=["en"])

            class Hostile(Mapping[str, Any]):  # an app's mapping that fails in its own way
                def __getitem__(self, key: str) -> Any:
                    raise RuntimeError(PERSONAL)

                def __iter__(self) -> Iterator[str]:
                    raise RuntimeError(PERSONAL)

                def __len__(self) -> int:
                    return 1

            with pytest.raises(EkycError) as info:
                await aext.create_workflow(["document"], config=Hostile())
            assert all(PERSONAL not in str(e) for e in exception_chain(info.value))
            assert len(exception_chain(info.value)) == 1

    asyncio.run(run())


def _bodies() -> list[bytes]:
    doc = f'{{"name": "{PERSONAL}", "status": "Approved"'.encode()
    return [doc, doc + b"\xff}", b'{"a": "' + PERSONAL.encode() + b'", "a": 1}']


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("body", _bodies())
def test_an_unreadable_result_leaves_no_payload_in_the_error_chain(provider: str, body: bytes) -> None:
    sandbox = Sandbox()
    with sandbox.client() as client:
        adapter = client.adapter(provider)
        request: dict[str, Any] = {"reference": "u1", "return_url": "https://app.example/r"}
        if adapter.capabilities.client_metadata_required:
            request["client_metadata"] = BROWSER_META_INFO
        if DocumentType.PASSPORT in adapter.capabilities.document_types:
            request["document_types"] = [DocumentType.PASSPORT]
        session = client.create_session(provider=provider, **request)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    client = sandbox.client(transport=httpx.MockTransport(answer))
    with pytest.raises(EkycError) as info:
        client.get_result(session.ref)
    client.close()
    for exc in exception_chain(info.value):
        assert PERSONAL not in str(exc) and all(PERSONAL not in repr(a) for a in exc.args)
    assert len(exception_chain(info.value)) == 1


def test_logged_request_urls_carry_no_query_values(caplog: pytest.LogCaptureFixture) -> None:
    """The client's own pool is sent through its transport (ekyc._http): httpx's client, which logs each request
    line, is not in the way, and nothing ekyc logs holds the query. An application's own http_client still logs
    through httpx: its request lines have the query values masked."""
    secret = "user-CANARY-42"
    sandbox = Sandbox(["didit"])
    with caplog.at_level(logging.DEBUG), sandbox.client() as client:
        client.extension("didit").list_sessions(vendor_data=secret)
    assert caplog.records and not any(secret in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.name.startswith("httpx") and "HTTP Request" in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.DEBUG), httpx.Client(transport=sandbox.transport()) as http, \
            sandbox.client(http_client=http) as client:
        client.extension("didit").list_sessions(vendor_data=secret)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("httpx")]
    assert any("vendor_data=***" in line for line in lines), lines
    assert not any(secret in r.getMessage() for r in caplog.records)
