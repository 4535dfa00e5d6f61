"""The typed boundary: every public entry point of Client/AsyncClient raises only EkycError, whatever the
input, for every registered provider — and never through the last-resort conversion of an untyped failure
(which would hide a bug: it is logged, and these tests fail on it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import EkycError, InvalidRequest, SessionRef, WebhookVerificationError
from ekyc.client import MAX_URL_CHARS, MAX_WEBHOOK_BYTES
from ekyc.sandbox import Sandbox
from ekyc.testing import providers

PROVIDERS = providers()
_SANDBOX = Sandbox()
_CLIENT = _SANDBOX.client(sleep=lambda s: None)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class _Untyped(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "untyped failure" in record.getMessage():
            self.seen.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_untyped_failures() -> Iterator[None]:
    """Fails a test in which any input reached the last-resort conversion instead of a deliberate check."""
    handler = _Untyped()
    logger = logging.getLogger("ekyc")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.seen, handler.seen


def typed(call: Callable[[], Any]) -> EkycError | None:
    """Run ``call``; an EkycError is returned, anything else but a result fails the test."""
    try:
        call()
    except EkycError as exc:
        return exc
    return None


JUNK = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.binary(max_size=40),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
                 st.just(object()), st.just(SessionRef), st.just(b"\xff\xfe"))
REF_TEXT = st.one_of(
    st.text(max_size=80),
    st.builds(lambda p, rest: f"{p}:{rest}", st.sampled_from([*PROVIDERS, "nope", "", "DIDIT"]), st.text(max_size=80)),
    st.sampled_from([f"{p}:{s}" for p in PROVIDERS for s in (
        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n", "x#", "x#%ff", "%zz", "a:b:c:d:e:f:g:h:i:j", "x" * 600,
        "x#" + "r" * 300, ":", "a%00b", "#user")]),
)
URLS = st.one_of(
    st.text(max_size=200),
    st.builds(lambda q: "https://app.example/back?" + q, st.text(max_size=200)),
    st.sampled_from(["http://[::1/?token=a", "https://app.example:99999/back?token=a", "https://[zz]/",
                     "https://app.example/back?verificationSessionId=" + "a" * 5000, "\x00", " https://a/",
                     "https://app.example/back?token=%ff%fe&ekyc_biz=%00", "javascript:alert(1)"]),
)
HEADERS = st.one_of(
    st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=4),
    st.dictionaries(st.sampled_from(["X-Signature", "x-signature", "X-Timestamp", "X-Webhook-Timestamp",
                                     "X-Webhook-Signature", "X-Signature-V2", "X-Signature-Simple"]),
                    st.one_of(st.text(max_size=30), st.sampled_from(["17600000²", "٠", "１７", "-1", "1e9", ""])),
                    max_size=4),
    st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=2),
    JUNK,
)


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(ref=st.one_of(JUNK, REF_TEXT))
def test_get_result_on_any_ref_is_typed(provider: str, ref: Any) -> None:
    typed(lambda: _CLIENT.get_result(ref))


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(url=st.one_of(URLS, JUNK), expected=st.one_of(st.none(), REF_TEXT, JUNK))
def test_parse_return_url_on_any_url_is_typed(provider: str, url: Any, expected: Any) -> None:
    typed(lambda: _CLIENT.parse_return_url(url, provider))
    typed(lambda: _CLIENT.parse_return_url(url))
    typed(lambda: _CLIENT.parse_return_url(url, expected=expected))


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(body=st.one_of(st.binary(max_size=400), st.text(max_size=40), JUNK), headers=HEADERS)
def test_parse_webhook_on_any_body_and_headers_is_typed(provider: str, body: Any, headers: Any) -> None:
    typed(lambda: _CLIENT.parse_webhook(body, headers, provider))


@FUZZ
@given(name=st.one_of(JUNK, st.text(max_size=20)))
def test_provider_names_are_typed(name: Any) -> None:
    typed(lambda: _CLIENT.adapter(name))
    typed(lambda: _CLIENT.extension(name))
    typed(lambda: _CLIENT.parse_webhook(b"{}", {}, name))
    typed(lambda: _CLIENT.parse_return_url("https://app.example/back?token=a", name))
    typed(lambda: _CLIENT.explain_route(reference="u1", provider=name))
    typed(lambda: _CLIENT.create_session(reference="u1", provider=name))


@FUZZ
@given(request=JUNK, fields=st.dictionaries(st.sampled_from(["reference", "checks", "country", "return_url",
                                                              "metadata", "language", "nope"]),
                                             st.one_of(JUNK, st.text(max_size=20)), max_size=3))
def test_create_and_explain_route_on_any_request_are_typed(request: Any, fields: dict[str, Any]) -> None:
    typed(lambda: _CLIENT.explain_route(request, **fields))
    typed(lambda: _CLIENT.explain_route(**fields))
    typed(lambda: _CLIENT.create_session(request, **fields))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_examples_of_the_issue(provider: str) -> None:
    none = typed(lambda: _CLIENT.get_result(None))  # type: ignore[arg-type]
    assert isinstance(none, InvalidRequest) and none.field == "ref"
    bad_ipv6 = typed(lambda: _CLIENT.parse_return_url("http://[::1/?token=a", provider))
    assert isinstance(bad_ipv6, WebhookVerificationError) and bad_ipv6.field == "url"
    newline = typed(lambda: _CLIENT.get_result(f"{provider}:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n"))
    assert isinstance(newline, InvalidRequest) and newline.field == "ref"
    headers = typed(lambda: _CLIENT.parse_webhook(b"{}", [("X-Signature", "a")], provider))  # type: ignore[arg-type]
    assert isinstance(headers, InvalidRequest) and headers.field == "headers"
    text_body = typed(lambda: _CLIENT.parse_webhook("{}", {}, provider))  # type: ignore[arg-type]
    assert isinstance(text_body, InvalidRequest) and text_body.field == "body"
    twice = typed(lambda: _CLIENT.parse_webhook(b"{}", {"X-Signature": "a", "x-signature": "b"}, provider))
    assert isinstance(twice, WebhookVerificationError) and twice.field == "headers"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_size_cap_for_every_providers_webhooks_and_return_urls(provider: str, monkeypatch: Any) -> None:
    seen: list[int] = []
    adapter = _CLIENT.adapter(provider)
    monkeypatch.setattr(adapter, "parse_webhook", lambda body, headers: seen.append(len(body)))
    huge = typed(lambda: _CLIENT.parse_webhook(b" " * (MAX_WEBHOOK_BYTES + 1), {}, provider))
    assert isinstance(huge, WebhookVerificationError) and huge.field == "body" and not seen
    long_url = "https://app.example/back?token=" + "a" * MAX_URL_CHARS
    too_long = typed(lambda: _CLIENT.parse_return_url(long_url, provider))
    assert isinstance(too_long, WebhookVerificationError) and too_long.field == "url"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_async_entry_points_are_typed_the_same_way(provider: str) -> None:
    async def run() -> list[EkycError | None]:
        async with _SANDBOX.async_client() as client:
            out: list[EkycError | None] = []
            for call in (lambda: client.get_result(None), lambda: client.get_result(42),  # type: ignore[arg-type]
                         lambda: client.create_session("u1"),  # type: ignore[arg-type]
                         lambda: client.create_session(reference="u1", provider=["x"])):  # type: ignore[arg-type]
                try:
                    await call()
                except EkycError as exc:
                    out.append(exc)
                else:
                    out.append(None)
            return out

    assert all(isinstance(e, EkycError) for e in asyncio.run(run()))
