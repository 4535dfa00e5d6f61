"""Canaries: secrets and personal values never surface — for every registered provider.

Every provider is configured with canary credentials (every ``SecretStr`` field of its settings model) and an
endpoint carrying canary user info; requests carry canary personal values (names, date of birth, e-mail,
reference image, metadata — whatever the provider accepts, found by asking ``check_request``); results carry
canary identity values (the emulators' person is swapped for the canary person in every response body). With
every logger at DEBUG (httpx and httpcore included), no canary may appear in ``repr``/``str`` of any model,
error or settings object, in ``model_dump``/``model_dump_json`` (secrets everywhere; personal values in
everything but a Decision's identity, which is the app's data), in log records, in CLI output, or anywhere in
an exception chain (``__cause__``/``__context__``, args, attributes, the formatted traceback). Bearer session
URLs and the tokens in them count as secrets.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from ekyc import Client, EkycError, registry
from ekyc.errors import UnsupportedFeature
from ekyc.models import ExpectedIdentity, SessionRequest
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request, webhook_body
from ekyc.sandbox.scenarios import PERSON
from ekyc.settings import Settings
from ekyc.testing import providers

PROVIDERS = providers()
GIVEN, FAMILY, DOC = "Cnrygivenqx", "Cnryfamilyqx", "CNRY4242Q"
DOB = date(1911, 11, 11)
EMAIL = "cnry.mail.qx@example.org"
IMAGE = base64.b64encode(b"\xff\xd8\xff\xe0cnry-reference-image-qx" * 8).decode("ascii")
META_VALUE = "cnry-metadata-value-qx"
#: the app's own user id and the browser's metadata: personal, never logged (a stored ref and a dump may hold them)
REFERENCE, UA = "cnry-user-ref-qx", "cnry-browser-ua-qx"
LOGGED_PERSONAL = [REFERENCE, UA]
PERSONAL = [GIVEN, FAMILY, DOC, "1911-11-11", "1911/11/11", "19111111", EMAIL, IMAGE[:40], META_VALUE]
#: the emulators' person → the canary person, in every response body (JSON strings and MRZ lines alike)
_DOB: date = PERSON["date_of_birth"]
SWAP = [(PERSON["given_name"], GIVEN.upper()), (PERSON["family_name"], FAMILY.upper()),
        (PERSON["document_number"], DOC), (_DOB.isoformat(), "1911-11-11"), (_DOB.strftime("%Y/%m/%d"), "1911/11/11"),
        (_DOB.strftime("%y%m%d"), "111111")]


def secret_fields(provider: str) -> dict[str, Any]:
    """A canary for every secret field of the provider's settings model."""
    out: dict[str, Any] = {}
    for name, info in registry.load(provider).settings_model.model_fields.items():
        hint = str(info.annotation)
        if "SecretStr" in hint:
            canary = f"cnry{provider}{name.replace('_', '')}qx"
            out[name] = (canary,) if hint.startswith("tuple") else canary
    return out


def secret_values(provider: str) -> list[str]:
    return [v if isinstance(v, str) else v[0] for v in secret_fields(provider).values()]


def leaks(text: str, canaries: list[str]) -> list[str]:
    low = text.casefold()
    return [c for c in canaries if c and c.casefold() in low]


def texts_of(obj: Any, *, dumps: bool) -> Iterator[str]:
    """Every printable face of an object: repr, str, and (for models, when asked) its dumps."""
    yield repr(obj)
    yield str(obj)
    if dumps and isinstance(obj, BaseModel):
        yield repr(obj.model_dump())
        yield obj.model_dump_json()


def chain_texts(exc: BaseException) -> Iterator[str]:
    """Everything an exception chain can show: each link's repr/str/args/attributes and the traceback text."""
    yield "".join(traceback.format_exception(exc))
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield repr(e)
        yield str(e)
        yield from (repr(a) for a in e.args)
        yield from (repr(v) for v in vars(e).values())
        stack += [e.__cause__, e.__context__]


class Logs(logging.Handler):
    """Every record of every logger at DEBUG (httpx/httpcore included), formatted with its exception."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.on = False
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.on:
            self.lines.append(self.format(record) + repr(getattr(record, "__dict__", {})))


@pytest.fixture
def logs() -> Iterator[Logs]:
    handler = Logs()
    root = logging.getLogger()
    names = ["", "httpx", "httpcore", "ekyc", "ekyc.sandbox", "uvicorn", "asyncio"]
    before = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for n, level in before.items():
            logging.getLogger(n).setLevel(level)


@contextmanager
def recording(logs: Logs) -> Iterator[None]:
    logs.on = True
    try:
        yield
    finally:
        logs.on = False


class Swapping(httpx.BaseTransport):
    """The sandbox transport, with the emulators' person swapped for the canary person in every response."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        for old, new in SWAP:
            body = body.replace(old.encode(), new.encode())
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)


def canary_request(client: Client, provider: str) -> SessionRequest:
    """A request with every canary personal value the provider accepts (asked field by field)."""
    base = scenario_request(provider, "approved", reference=REFERENCE)
    fields: dict[str, Any] = {
        **{name: getattr(base, name) for name in SessionRequest.model_fields},
        "client_metadata": base.client_metadata and _with_ua(base.client_metadata),
        "expected": ExpectedIdentity(given_name=GIVEN, family_name=FAMILY, date_of_birth=DOB, document_number=DOC),
        "contact_email": EMAIL, "reference_image": IMAGE, "metadata": {"note": META_VALUE},
    }
    adapter = client.adapter(provider)
    for _ in range(len(fields)):
        request = SessionRequest(**fields)
        try:
            adapter.check_request(request)
            return request
        except UnsupportedFeature as exc:
            name = (exc.field or "").split(".")[0]
            if name not in fields or name in ("reference", "return_url"):
                if name == "checks" and "reference_image" in fields:
                    fields.pop("reference_image")
                    continue
                raise
            fields.pop(name)
    raise AssertionError("no acceptable canary request")


def _with_ua(meta: str) -> str:
    """The browser metadata with the canary user agent (when it is a JSON object with a ``ua``)."""
    try:
        data = json.loads(meta)
    except ValueError:
        return meta
    if isinstance(data, dict) and "ua" in data:
        data["ua"] = f"Mozilla/5.0 ({UA})"
        return json.dumps(data, separators=(",", ":"))
    return meta


def check(objects: list[tuple[str, Any]], errors: list[tuple[str, BaseException]], logs: Logs,
          secrets: list[str], personal: list[str]) -> None:
    problems = []
    for label, obj in objects:
        identity_holder = type(obj).__name__ in ("Decision", "WebhookEvent")
        for text in texts_of(obj, dumps=False):
            problems += [f"{label} repr/str: {c}" for c in leaks(text, secrets + personal + LOGGED_PERSONAL)]
        if isinstance(obj, BaseModel):
            for text in texts_of(obj, dumps=True):
                problems += [f"{label} dump: {c}" for c in leaks(text, secrets if identity_holder else
                                                                  secrets + personal)]
    for label, exc in errors:
        for text in chain_texts(exc):
            problems += [f"{label} exception chain: {c}" for c in leaks(text, secrets + personal + LOGGED_PERSONAL)]
    for line in logs.lines:
        problems += [f"log line {line[:90]!r}…: {c}" for c in leaks(line, secrets + personal + LOGGED_PERSONAL)]
    assert not problems, "canaries surfaced:\n  " + "\n  ".join(sorted(set(problems))[:60])


def attempt(errors: list[tuple[str, BaseException]], label: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except EkycError as exc:
        errors.append((label, exc))
        return None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_settings_never_show_credentials(provider: str) -> None:
    creds = {**secret_fields(provider), "endpoint": "https://cnryuser:cnrypassqx@api.example.test"}
    secrets = [*secret_values(provider), "cnrypassqx"]
    objects: list[tuple[str, Any]] = []
    errors: list[tuple[str, BaseException]] = []
    base = {k: v for k, v in Sandbox([provider]).client_settings(provider).items() if k not in creds}
    settings = attempt(errors, "Settings.load", lambda: Settings.load({"providers": {provider: {**base, **creds}}}))
    if settings is not None:
        objects += [("Settings", settings), ("provider settings", settings.provider_settings(provider))]
        if hasattr(settings, "describe"):
            objects.append(("Settings.describe()", settings.describe()))
    environ = {f"EKYC_{provider.upper()}_{k.upper()}": (v if isinstance(v, str) else v[0])
               for k, v in {**base, **creds}.items() if not isinstance(v, (bool, int, float)) or True}
    environ = {k: str(v) for k, v in environ.items()}
    environ["EKYC_PROVIDER"] = provider
    from_env = attempt(errors, "Settings.from_env", lambda: Settings.from_env(environ))
    if from_env is not None:
        objects.append(("Settings.from_env", from_env))
    broken = {**base, **creds, "timeout": "cnrypassqx"}
    attempt(errors, "Settings.load(invalid)", lambda: Settings.load({"providers": {provider: broken}}))
    check(objects, errors, Logs(), secrets, [])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_canary_credentials_never_surface_in_failing_calls(provider: str, logs: Logs) -> None:
    sandbox = Sandbox([provider])
    secrets = [*secret_values(provider), "cnrypassqx"]
    errors: list[tuple[str, BaseException]] = []
    objects: list[tuple[str, Any]] = []
    with sandbox.client() as good:  # a real session and delivery to aim at
        sandbox.emulators[provider].use_webhook_url("https://app.example/kyc/hooks")
        request = canary_request(good, provider)
        session = good.create_session(request, provider=provider)
        sandbox.complete(session, "approved")
        delivery = sandbox.deliveries(provider)[-1]
    config = {"providers": {provider: {**sandbox.client_settings(provider), **secret_fields(provider)}}}
    with recording(logs), sandbox.client(config) as client:
        objects.append(("Client.settings", client.settings))
        attempt(errors, "create_session", lambda: client.create_session(request, provider=provider))
        attempt(errors, "get_result", lambda: client.get_result(session.ref.serialize()))
        attempt(errors, "parse_webhook", lambda: client.parse_webhook(webhook_body(delivery), delivery.headers,
                                                                       provider))
    assert errors, "canary credentials were accepted by the sandbox"
    check(objects, errors, logs, secrets, PERSONAL)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("scenario", ["approved", "face_mismatch"])
def test_personal_values_and_bearer_tokens_never_surface_in_a_whole_flow(provider: str, scenario: str,
                                                                         logs: Logs) -> None:
    sandbox = Sandbox([provider])
    sandbox.emulators[provider].use_webhook_url("https://app.example/kyc/hooks")
    secrets = [str(v) for k, v in sandbox.client_settings(provider).items()
               if k in secret_fields(provider) and isinstance(v, str)]
    objects: list[tuple[str, Any]] = []
    errors: list[tuple[str, BaseException]] = []
    with sandbox.client(transport=Swapping(sandbox.transport())) as client:
        request = canary_request(client, provider)
        objects.append(("SessionRequest", request))
        with recording(logs):
            session = client.create_session(request, provider=provider)
        bearer = [session.url] + [part for part in httpx.URL(session.url).path.split("/") + [
            v for _, v in httpx.URL(session.url).params.multi_items()] if len(part) >= 10]
        redirect = sandbox.complete(session, scenario)
        with recording(logs):
            ref = attempt(errors, "parse_return_url", lambda: client.parse_return_url(redirect, provider))
            decision = client.get_result(session.ref.serialize())
            for delivery in sandbox.deliveries(provider):
                event = attempt(errors, "parse_webhook", lambda d=delivery: client.parse_webhook(
                    webhook_body(d), d.headers, provider))
                if event is not None:
                    objects.append(("WebhookEvent", event))
            # hostile inputs that fail: their errors must not carry the values either
            attempt(errors, "get_result(tampered)", lambda: client.get_result(session.ref.serialize() + "\n"))
            attempt(errors, "parse_webhook(tampered)", lambda: client.parse_webhook(
                webhook_body(delivery).replace(b"1", b"2"), delivery.headers, provider))
        objects += [("Session", session), ("SessionRef", session.ref), ("Decision", decision),
                    ("Decision.identity", decision.identity)]
        if ref is not None:
            objects.append(("parsed ref", ref))
    # the capture works: ekyc's own call records are in it (httpx's client, which logs each request line, is not
    # in the way of the client's own pool: ekyc._http; an application's http_client: tests/unit/test_client_chains)
    assert any(line.startswith("ekyc DEBUG call provider=") for line in logs.lines), \
        "the log capture saw no ekyc call record"
    assert decision.identity.given_name is None or GIVEN.upper() in decision.identity.given_name.upper() or \
        scenario != "approved", "the canary identity did not reach the decision"
    check(objects, errors, logs, secrets + bearer, PERSONAL)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cli_output_never_shows_credentials(provider: str) -> None:
    from ekyc.cli.app import app

    secrets = [*secret_values(provider), "cnrypassqx"]
    base = {k: v for k, v in Sandbox([provider]).client_settings(provider).items()
            if k not in secret_fields(provider) and k != "endpoint"}
    env = {f"EKYC_{provider.upper()}_{k.upper()}": str(v) for k, v in {**base, **secret_fields(provider)}.items()
           if isinstance(v, str)}
    env.update({f"EKYC_{provider.upper()}_{k.upper()}": v[0] for k, v in secret_fields(provider).items()
                if not isinstance(v, str)})
    env.update({"EKYC_PROVIDER": provider, "EKYC_ENV": "production",
                f"EKYC_{provider.upper()}_ENDPOINT": "http://cnryuser:cnrypassqx@127.0.0.1:9"})
    runner = CliRunner()
    problems = []
    for args in (["check-config"], ["create", "--reference", "canary-user"], ["result", f"{provider}:abc"],
                 ["capabilities"]):
        result = runner.invoke(app, args, env=env)
        problems += [f"ekyc {' '.join(args)}: {c}" for c in leaks(result.output, secrets)]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems += [f"ekyc {' '.join(args)} exception: {c}" for t in chain_texts(result.exception)
                         for c in leaks(t, secrets)]
    assert not problems, "\n".join(problems)
