"""HTTP statuses and malformed bodies map to typed errors carrying provider, status, code and request id."""

from __future__ import annotations

import pickle

import httpx
import pytest
import respx

from ekyc import Client, errors
from ekyc.provider import error_for_status, parse_retry_after
from ekyc.sandbox import Sandbox


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.InvalidRequest),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDenied),
        (404, errors.SessionNotFound),
        (409, errors.InvalidRequest),
        (418, errors.ProviderError),
        (429, errors.RateLimited),
        (500, errors.ProviderUnavailable),
        (502, errors.ProviderUnavailable),
        (503, errors.ProviderUnavailable),
        (504, errors.ProviderUnavailable),
    ],
)
def test_status_mapping(status: int, cls: type[errors.EkycError]) -> None:
    response = httpx.Response(status, headers={"Retry-After": "7"}, request=httpx.Request("GET", "https://x/"))
    err = error_for_status("didit", response, code="some_code", request_id="req-1")
    assert type(err) is cls
    assert (err.provider, err.http_status, err.provider_code, err.request_id) == ("didit", status, "some_code", "req-1")
    if cls is errors.RateLimited:
        assert isinstance(err, errors.RateLimited) and err.retry_after == 7.0
    assert isinstance(pickle.loads(pickle.dumps(err)), cls)


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html><body>502 Bad Gateway</body></html>"),
        httpx.Response(200, content=b""),
        httpx.Response(200, content=b'{"status": "ok"'),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"status": 12}),
    ],
    ids=["html", "empty", "truncated", "wrong-shape", "wrong-type"],
)
@respx.mock
def test_malformed_bodies_are_typed_errors_never_approvals(response: httpx.Response, echo_sandbox: Sandbox) -> None:
    respx.get("https://echo.invalid/echo/sessions/s1").mock(return_value=response)
    with Client.from_config({"providers": {"echo": {"api_key": "k"}}}) as c:
        try:
            decision = c.get_result("echo:s1")
        except errors.EkycError as exc:
            assert isinstance(exc, errors.ProviderError)
        else:
            assert not decision.approved


def test_every_error_is_an_ekyc_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.EkycError)
