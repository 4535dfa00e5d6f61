"""A typed boundary: every public entry point of ``Client``/``AsyncClient`` and every provider's ``extension``
raises only :class:`ekyc.EkycError` subclasses, whatever the input — for every registered provider.

Inputs are generated (hypothesis) around real values: create fields, refs (a real serialized ref plus a hostile
tail), return URLs (a real redirect plus edits), webhook bodies and headers (a real signed delivery plus
edits), settings, and every extension method's parameters, read from its signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ekyc import Client, EkycError
from ekyc.errors import InvalidRequest, UnsupportedFeature
from ekyc.models import SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.sandbox.emulator import Delivery
from ekyc.sandbox.runner import scenario_request, webhook_body
from ekyc.testing import providers

PROVIDERS = providers()
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


class Counting(httpx.BaseTransport):
    """The sandbox transport, counting what was sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.sent = inner, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return self.inner.handle_request(request)


def typed(call: Callable[[], Any]) -> EkycError | None:
    """Run ``call``; a typed error is returned, anything else untyped fails the test."""
    try:
        result = call()
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except EkycError as exc:
        return exc
    except Exception as exc:
        pytest.fail(f"untyped {type(exc).__name__}: {str(exc)[:200]}")
    return None


class World:
    """One sandbox with a finished session and a signed delivery per provider (built once)."""

    def __init__(self) -> None:
        self.sandbox = Sandbox()
        for emulator in self.sandbox.emulators.values():
            emulator.use_webhook_url("https://app.example/kyc/hooks")
        self.refs: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.deliveries: dict[str, Delivery] = {}
        with self.sandbox.client() as client:
            for p in PROVIDERS:
                session = client.create_session(scenario_request(p, "approved"), provider=p)
                self.redirects[p] = self.sandbox.complete(session, "approved")
                self.refs[p] = session.ref.serialize()
                self.deliveries[p] = self.sandbox.deliveries(p)[-1]


_world: World | None = None


def world() -> World:
    global _world
    if _world is None:
        _world = World()
    return _world


class _LastResort(logging.Handler):
    """Records the library's last-resort conversions (an untyped failure turned into a typed error): the boundary
    holds because of them, but each one is a fault at its source."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "untyped failure" in message:
            self.seen.append(message)


@pytest.fixture(autouse=True)
def no_last_resort_conversions() -> Iterator[None]:
    handler = _LastResort()
    logger = logging.getLogger("ekyc")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.seen, "last-resort conversions (untyped failures at their source):\n" + "\n".join(
        sorted(set(handler.seen))[:20])


# ---------------------------------------------------------------------------------------------------
# Strategies

_scalar = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
           | st.binary(max_size=20))
_long = st.builds(lambda n: "a" * n, st.integers(4000, 20_000))
_odd = st.sampled_from([float("nan"), math.inf, {1}, frozenset({"a"}), date(2000, 1, 1), object(), b"\xff", "\x00",
                        "\n", "٠"])
_keys = _scalar.filter(lambda k: k is not None and not isinstance(k, float))
_any = st.recursive(_scalar | _odd | _long,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3)
                    | st.tuples(inner, inner) | st.sets(st.text(max_size=4), max_size=2),
                    max_leaves=6)
_urls = st.sampled_from(["https://app.example/back", "javascript:alert(1)", "http://[::1/?token=a", "//evil.example",
                         "https://app.example/back\n", "https://app.example/\x00", "http://a.example/" + "a" * 99,
                         "data:text/html,x", "https://user:pw@app.example/", "https://app.example/%zz", ""]) | st.text()
_fields = st.fixed_dictionaries({}, optional={
    "reference": st.text(max_size=300) | _any, "return_url": _urls | _any,
    "checks": st.sampled_from(["document", "liveness", "face_match", ["document"], {"liveness", "face_match"}, [],
                               "nope", ["document", "document"]]) | _any,
    "country": st.sampled_from(["GB", "GBR", "Narnia", "gb", "XX", "", "ＧＢ"]) | _any,
    "language": st.sampled_from(["en", "zh-CN", "e", "en\n", ""]) | _any,
    "contact_email": st.sampled_from(["a@b.co", "@", "a@b"]) | st.builds(lambda n: "a" * n + "@b.co",
                                                                          st.integers(1, 30_000)) | _any,
    "metadata": _any, "client_metadata": _any, "document_types": _any, "expected": _any, "reference_image": _any,
    "provider_options": _any, "unknown_field": _any,
})


# ---------------------------------------------------------------------------------------------------
# create_session


def _fields_of(request: SessionRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in SessionRequest.model_fields}


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(fields=_fields, explicit=st.booleans())
def test_create_session_raises_only_typed_errors(provider: str, fields: dict[str, Any], explicit: bool) -> None:
    w = world()
    with w.sandbox.client() as client:
        base = scenario_request(provider, "approved")
        if explicit:
            typed(lambda: client.create_session(base, provider=provider, **fields))
        else:
            typed(lambda: client.create_session(provider=provider, **{**_fields_of(base), **fields}))


#: the issue's examples: each is refused, typed, before anything is sent
BAD_CREATES: dict[str, dict[str, Any]] = {
    "empty reference": {"reference": ""},
    "unknown country": {"country": "Narnia"},
    "javascript return URL": {"return_url": "javascript:alert(1)"},
    "checks as a bare string of a check list": {"checks": "document,liveness"},
    "a set in metadata": {"metadata": {"x": {1}}},
    "NaN in metadata": {"metadata": {"x": float("nan")}},
    "an e-mail of 20k characters": {"contact_email": "a" * 20_000 + "@example.org"},
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", list(BAD_CREATES))
def test_bad_create_input_is_refused_typed_before_any_network_call(provider: str, case: str) -> None:
    sandbox = world().sandbox
    counting = Counting(sandbox.transport())
    with sandbox.client(transport=counting) as client:
        base = scenario_request(provider, "approved")
        for call in (lambda: client.create_session(base, provider=provider, **BAD_CREATES[case]),
                     lambda: client.create_session(provider=provider,
                                                   **{**_fields_of(base), **BAD_CREATES[case]})):
            error = typed(call)
            assert isinstance(error, (InvalidRequest, UnsupportedFeature)), f"{case}: {error!r}"
    assert counting.sent == 0, f"{case} reached the provider"


# ---------------------------------------------------------------------------------------------------
# get_result, parse_return_url, parse_webhook

_tails = st.sampled_from(["\n", "\r\n", "\x00", " ", "#", "#\n", "%", "%0a", "\u2028", ":x" * 40, "/../x", "?a=1",
                          "٠", "#" + "r" * 300, ":" * 10]) | st.text(max_size=20)


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(tail=_tails, head=st.sampled_from(["", " ", "\n", f"{'x' * 3}:", "DIDIT:"]), other=_any)
def test_get_result_raises_only_typed_errors(provider: str, tail: str, head: str, other: Any) -> None:
    w = world()
    with w.sandbox.client() as client:
        typed(lambda: client.get_result(head + w.refs[provider] + tail))
        typed(lambda: client.get_result(other))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_ref_with_a_trailing_newline_never_reaches_the_provider(provider: str) -> None:
    sandbox = world().sandbox
    counting = Counting(sandbox.transport())
    with sandbox.client(transport=counting) as client:
        for text in (world().refs[provider] + "\n", world().refs[provider].replace(":", ":\n", 1)):
            assert isinstance(typed(lambda text=text: client.get_result(text)), EkycError)
        assert isinstance(typed(lambda: client.get_result(None)), EkycError)  # type: ignore[arg-type]
    assert counting.sent == 0


def _url_edits(url: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda i, s: url[:i] + s + url[i:], st.integers(0, len(url)), _tails),
        st.builds(lambda i: url[:i], st.integers(0, len(url))),
        st.sampled_from([url.replace("https://", "http://[::1"), url + "&" + url.split("?")[-1], url.upper(),
                         url.replace("=", "=%00"), "http://[::1/?token=a"]),
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(data=st.data())
def test_parse_return_url_raises_only_typed_errors(provider: str, data: st.DataObject) -> None:
    w = world()
    url = data.draw(_url_edits(w.redirects[provider]) | st.text() | _any)
    with w.sandbox.client() as client:
        typed(lambda: client.parse_return_url(url, provider))
        typed(lambda: client.parse_return_url(url))
        params = inspect.signature(client.parse_return_url).parameters
        if "expected" in params:
            expected = data.draw(st.sampled_from(list(w.refs.values())) | _any)
            typed(lambda: client.parse_return_url(url, expected=expected))


_header_values = st.sampled_from(["17600000²", "٠", "１７６", " 1", "1 ", "-1", "1e3", "9" * 400, "", "\n", "0x10",
                                  "nan", "sha256=", "t=1,v1="]) | st.text(max_size=40) | _long


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(data=st.data())
def test_parse_webhook_raises_only_typed_errors(provider: str, data: st.DataObject) -> None:
    w = world()
    delivery = w.deliveries[provider]
    body = webhook_body(delivery)
    headers = dict(delivery.headers)
    for _ in range(data.draw(st.integers(0, 3))):
        names = st.sampled_from([*headers, "X-Timestamp", "x-signature", "Content-Type"]) | st.text(max_size=20)
        name = data.draw(names)
        headers[name] = data.draw(_header_values)
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(body)))
        body = body[:at] + data.draw(st.binary(max_size=8)) + body[at:]
    with w.sandbox.client() as client:
        typed(lambda: client.parse_webhook(body, headers, provider))
        typed(lambda: client.parse_webhook(data.draw(_any), data.draw(_any), provider))
        typed(lambda: client.parse_webhook(body, headers, data.draw(st.text(max_size=12))))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_real_delivery_verifies(provider: str) -> None:
    """The baseline of the webhook fuzz: the emulator's own delivery passes."""
    w = world()
    delivery = w.deliveries[provider]
    with w.sandbox.client() as client:
        event = client.parse_webhook(webhook_body(delivery), delivery.headers, provider)
    assert event.provider == provider


# ---------------------------------------------------------------------------------------------------
# Settings, extensions, AsyncClient, the CLI

_setting_keys = st.sampled_from(["env", "provider", "timeout", "retry", "providers", "routing", "nope"])


@FUZZ
@given(config=st.dictionaries(_setting_keys, _any, max_size=4), environ=st.dictionaries(
    st.sampled_from(["EKYC_ENV", "EKYC_PROVIDER", "EKYC_TIMEOUT", "DIDIT_API_KEY", "EKYC_DIDIT_ENDPOINT",
                     "TENCENTCLOUD_SECRET_ID", "EKYC_ROUTING_FALLBACK", "EKYC_CONFIG", "EKYC_RETRY_MAX_ATTEMPTS"]),
    st.text(max_size=30), max_size=4))
def test_configuration_raises_only_typed_errors(config: dict[str, Any], environ: dict[str, str]) -> None:
    typed(lambda: Client.from_config(config).close())
    typed(lambda: Client.from_env(environ).close())
    typed(lambda: Client(config).close())


def _strategy_for(param: inspect.Parameter, refs: list[str]) -> st.SearchStrategy[Any]:
    hint = str(param.annotation)
    values = _any | st.sampled_from(refs)
    if "Ref" in hint or param.name in ("session", "ref"):
        return st.sampled_from(refs) | st.builds(lambda r, t: r + t, st.sampled_from(refs), _tails) | _any
    if "Iterable" in hint or "list" in hint or "Mapping" in hint:
        return st.lists(_any | st.dictionaries(st.text(max_size=8), _any, max_size=2), max_size=3) | values
    return values


def _fuzz_method(method: Callable[..., Any], strategies: dict[str, st.SearchStrategy[Any]]) -> None:
    @FUZZ
    @given(args=st.fixed_dictionaries(strategies))
    def fuzz(args: dict[str, Any]) -> None:
        typed(lambda: method(**args))

    fuzz()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_extension_methods_raise_only_typed_errors(provider: str) -> None:
    sandbox = Sandbox([provider])  # its own: extensions change state (statuses, webhook secrets)
    with sandbox.client() as client:
        refs = []
        for scenario in ("approved", "face_mismatch"):
            session = client.create_session(scenario_request(provider, scenario), provider=provider)
            sandbox.complete(session, scenario)
            refs.append(session.ref.serialize())
        error = typed(lambda: client.extension(provider))
        if error is not None:
            return  # no extension: a typed ConfigurationError is the whole contract
        ext = client.extension(provider)
        methods = [(name, fn) for name, fn in inspect.getmembers(ext, callable) if not name.startswith("_")]
        assert methods, "an extension without public methods"
        for name, method in methods:
            params = [p for p in inspect.signature(method).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

            try:
                _fuzz_method(method, {p.name: _strategy_for(p, refs) for p in params})
            except BaseException as exc:
                raise AssertionError(f"{provider}.{name}: {exc}") from exc


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(tail=_tails, fields=_fields)
def test_async_client_raises_only_typed_errors(provider: str, tail: str, fields: dict[str, Any]) -> None:
    w = world()

    async def run() -> None:
        async with w.sandbox.async_client() as client:
            for call in (lambda: client.get_result(w.refs[provider] + tail),
                         lambda: client.create_session(scenario_request(provider, "approved"), provider=provider,
                                                       **fields)):
                with contextlib.suppress(EkycError):
                    await call()
            with contextlib.suppress(EkycError):
                client.parse_return_url(w.redirects[provider] + tail)

    typed(lambda: asyncio.run(run()))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_async_client_used_from_a_second_event_loop_works_or_fails_typed_before_sending(provider: str) -> None:
    sandbox = Sandbox([provider])
    sent: list[str] = []

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = sandbox.async_transport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request.method)
            return await self.inner.handle_async_request(request)

    client = sandbox.async_client(transport=Recording())
    asyncio.run(client.create_session(scenario_request(provider, "approved", reference="loop-1"), provider=provider))
    before = len(sent)
    error = typed(lambda: asyncio.run(client.create_session(
        scenario_request(provider, "approved", reference="loop-2"), provider=provider)))
    if error is not None:
        assert len(sent) == before, "failed after the provider received the request (an orphaned session)"
    typed(lambda: asyncio.run(client.aclose()))


CLI_CASES: dict[str, tuple[list[str], Mapping[str, str]]] = {
    "result of garbage": (["result", "didit:\n"], {"EKYC_ENV": "sandbox"}),
    "result of nothing": (["result", ""], {"EKYC_ENV": "sandbox"}),
    "create with an empty reference": (["create", "--reference", ""], {"EKYC_ENV": "sandbox"}),
    "create for Narnia": (["create", "--reference", "u", "--country", "Narnia"], {"EKYC_ENV": "sandbox"}),
    "create with a bad check": (["create", "--reference", "u", "--check", "nope"], {"EKYC_ENV": "sandbox"}),
    "create on an unknown provider": (["create", "--reference", "u", "--provider", "nope"], {"EKYC_ENV": "sandbox"}),
    "check-config, bad timeout": (["check-config"], {"EKYC_TIMEOUT": "never"}),
    "check-config, misspelled credentials": (["check-config"], {"EKYC_PROVIDER": "didit", "DIDIT_APIKEY": "k"}),
    "check-config, production without providers": (["check-config"], {"EKYC_ENV": "production"}),
    "check-config, missing file": (["check-config", "--config", "/nonexistent/ekyc.toml"], {}),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_fails_with_one_line_and_a_non_zero_exit_never_a_traceback(case: str) -> None:
    from ekyc.cli.app import app

    args, env = CLI_CASES[case]
    result = CliRunner().invoke(app, args, env=dict(env))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"untyped {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output
    assert result.exit_code != 0, f"{case}: exit 0 with {result.output!r}"
