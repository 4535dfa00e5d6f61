"""HTTP statuses and malformed bodies map to typed errors carrying provider, status, code and request id."""

from __future__ import annotations

import pickle

import httpx
import pytest
import respx

from ekyc import Client, errors
from ekyc.provider import error_for_status, parse_retry_after


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
def test_malformed_bodies_are_typed_errors_never_approvals(response: httpx.Response, echo: str) -> None:
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


# -- provider-supplied parts of an error are made safe in the one helper (issue 11, item 5) -------------

def _response(status: int = 400) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "https://x.example/"))


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("vendor_data", "vendor_data"),
        ("portrait_image", "portrait_image"),
        ("BizToken", "BizToken"),
        ("callback", "callback"),
        ("john", "***"),  # a lower-case name is not a field name made of plain words
        ("9f8e7d6c5b4a3f2e", "***"),  # a hex id
        ("eyJhbGciOi", "***"),  # a token
        ("Canarina Secretsdottir", "***"),
        ("a" * 10_000, "***"),
    ],
)
def test_provider_field_names_are_scrubbed(field: str, shown: str) -> None:
    err = error_for_status("didit", _response(), field=field, message=f"invalid value for {field}")
    assert err.field == shown
    if shown == "***":
        assert field not in str(err) and field not in repr(err)


def test_field_set_after_construction_is_scrubbed_too() -> None:
    err = errors.InvalidRequest("bad", field="metadata.Canarina Secretsdottir")
    assert err.field == "metadata.***"
    err.field = "x" * 500
    assert err.field == "***"
    err.field = "liveness_checks[0].status"
    assert err.field == "liveness_checks[0].status"
    assert pickle.loads(pickle.dumps(err)).field == err.field


@pytest.mark.parametrize("bad", ["has space", "x" * 81, "line\nbreak", "naïve", ""])
def test_hostile_codes_and_request_ids_are_dropped(bad: str) -> None:
    err = error_for_status("tencent", _response(), code=bad, request_id=bad)
    assert err.provider_code is None and err.request_id is None


def test_meaning_is_trusted_text_and_message_is_scrubbed() -> None:
    err = error_for_status("tencent", _response(), code="FailedOperation.X", meaning="The BizToken 7 has expired",
                           message="ignored when a meaning is given")
    assert err.message == "The BizToken 7 has expired" and err.provider_code == "FailedOperation.X"
