"""Canary secrets and personal values never surface (issue 11, item 5).

Every model and settings object is built with canary values; ``repr``, ``str``, ``model_dump``,
``model_dump_json``, the messages of the errors that hostile input raises and their whole
``__cause__``/``__context__`` chains must contain none of them. The documented opt-in
(``context={"reveal": True}``) is the only way to the full values.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from ekyc import InvalidRequest, Settings, errors
from ekyc._wire import WireError
from ekyc.models import (
    Attempt,
    Decision,
    ExpectedIdentity,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)
from ekyc.provider import error_for_status, malformed
from tests.support.chains import exception_chain

KEY = "CanaryKey7f3a9Zq"
TOKEN = "cnrytok9f8e7d6c5b4a"  # lower-case hex-like bearer token
NAME = "canarina"  # a lower-case name
FAMILY = "Secretsdottir"
ID_NUMBER = "CNRY998877"
DOB = date(1901, 2, 3)
EMAIL = "canarina.secretsdottir@mail.example"
USER = "cnryuser4242"
IMAGE_BYTES = b"CANARY-IMAGE-BYTES" * 8
IMAGE = base64.b64encode(IMAGE_BYTES).decode()
CANARIES = (KEY, TOKEN, NAME, FAMILY, ID_NUMBER, "1901-02-03", "1901", EMAIL, USER, IMAGE[:16], "CANARY")


def _clean(text: str, where: str) -> None:
    low = text.lower()
    for canary in CANARIES:
        assert canary.lower() not in low, f"{canary!r} leaked through {where}: {text[:300]!r}"


def _objects() -> list[Any]:
    ref = SessionRef(provider="tencent", id=TOKEN, extra=(TOKEN,), reference=USER)
    identity = Identity(given_name=NAME, family_name=FAMILY, full_name=f"{NAME} {FAMILY}", date_of_birth=DOB,
                        sex="F", nationality="ISL", document_number=ID_NUMBER, issue_date=DOB, expiry_date=DOB,
                        address=f"1 {FAMILY} street")
    expected = ExpectedIdentity(given_name=NAME, family_name=FAMILY, full_name=NAME, date_of_birth=DOB, sex="F",
                                nationality="IS", document_number=ID_NUMBER, address=FAMILY)
    request = SessionRequest(
        reference=USER, return_url="https://app.example/back", reference_image=IMAGE_BYTES, expected=expected,
        contact_email=EMAIL, client_metadata=f'{{"ua":"{KEY}"}}', metadata={"user": USER, "k": [TOKEN]},
        provider_options={"tencent": {"Extra": TOKEN}},
    )
    raw = {"name": NAME, "id": ID_NUMBER, "token": TOKEN, "key": KEY}
    reason = Reason(code=ReasonCode.FACE_MISMATCH, retryable=True, provider_code="2016")
    decision = Decision(ref=ref, outcome=Outcome.DECLINED, reference=USER, reasons=(reason,), identity=identity,
                        attempts=(Attempt(provider_code="0", passed=False),), raw=raw)
    session = Session(ref=ref, url=f"https://verify.example/s?token={TOKEN}", raw=raw)
    event = WebhookEvent(provider="tencent", ref=ref, event_id="evt-1", verified_by="hmac",
                         authenticated="payload", decision=decision, raw=raw)
    settings = Settings.load({
        "provider": "didit",
        "providers": {
            "didit": {"api_key": KEY, "workflow_id": "8b4d5a6e-1f3c-4e2a-9b7d-0c1e2f3a4b5c",
                      "webhook_secret": KEY, "webhook_secrets": [TOKEN],
                      "endpoint": f"https://{USER}:{KEY}@didit.example/v3"},
            "tencent": {"secret_id": KEY, "secret_key": TOKEN, "token": TOKEN, "webhook_signature_key": KEY},
            "alibaba": {"access_key_id": KEY, "access_key_secret": TOKEN, "security_token": TOKEN,
                        "callback_secret": KEY, "callback_url": f"https://{KEY}@app.example/cb?t={TOKEN}"},
        },
    })
    provider_settings = [settings.provider_settings(n) for n in settings.configured]
    return [ref, identity, expected, request, reason, decision, session, event, settings, *provider_settings]


def _views(obj: Any) -> Iterator[tuple[str, str]]:
    yield "repr", repr(obj)
    yield "str", str(obj)
    yield "format", f"{obj!r} {obj!s}"
    yield "model_dump", str(obj.model_dump())
    yield "model_dump(json)", str(obj.model_dump(mode="json"))
    yield "model_dump_json", obj.model_dump_json()
    if hasattr(obj, "describe"):
        yield "describe", str(obj.describe())


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: type(o).__name__)
def test_no_canary_in_any_view_of_any_model(obj: Any) -> None:
    for where, text in _views(obj):
        _clean(text, f"{type(obj).__name__} {where}")


def test_reveal_is_the_explicit_opt_in() -> None:
    decision = next(o for o in _objects() if isinstance(o, Decision))
    full = decision.model_dump_json(context={"reveal": True})
    assert ID_NUMBER in full and NAME in full and USER in full and TOKEN in full
    assert KEY not in full  # raw is never serialized
    request = next(o for o in _objects() if isinstance(o, SessionRequest))
    assert EMAIL in request.model_dump_json(context={"reveal": True})
    assert SessionRef.parse(decision.ref.serialize()) == decision.ref  # serialize() stays the stored form



def _raises(fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except Exception as exc:
        assert isinstance(exc, errors.EkycError), f"untyped {type(exc).__name__}"
        return exc
    raise AssertionError("no error raised")


def _response(status: int = 400) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", f"https://x.example/?t={TOKEN}"))


def _malformed() -> None:
    # WireError paths are the names an adapter asked for; a token or id that reached one is masked
    with malformed("didit", "result"):
        raise WireError(f"data.{TOKEN}[0].{ID_NUMBER}.{KEY}", "expected a string")


HOSTILE: list[tuple[str, Callable[[], Any]]] = [
    ("reference newline", lambda: SessionRequest(reference=USER + "\n")),
    ("reference too long", lambda: SessionRequest(reference=USER * 100)),
    ("dob as text", lambda: SessionRequest(reference="u", expected={"date_of_birth": f"{NAME} {ID_NUMBER}"})),
    ("name with control", lambda: SessionRequest(reference="u", expected={"given_name": NAME + "\x00"})),
    ("bad email", lambda: SessionRequest(reference="u", contact_email=f"{NAME} {KEY}")),
    ("long email", lambda: SessionRequest(reference="u", contact_email=EMAIL * 20)),
    ("metadata key", lambda: SessionRequest(reference="u", metadata={f"{NAME} {ID_NUMBER}": {TOKEN}})),
    ("metadata non-str key", lambda: SessionRequest(reference="u", metadata={1: NAME})),
    ("options key", lambda: SessionRequest(reference="u", provider_options={f"{NAME} {USER}": {"k": TOKEN}})),
    ("return url creds", lambda: SessionRequest(reference="u", return_url=f"https://{USER}:{KEY}@x.example/")),
    ("return url scheme", lambda: SessionRequest(reference="u", return_url=f"javascript:{TOKEN}")),
    ("image", lambda: SessionRequest(reference="u", reference_image=f"*{IMAGE}*")),
    ("unknown field", lambda: SessionRequest(reference="u", **{f"{USER}_{ID_NUMBER}": 1})),
    ("replace", lambda: SessionRequest(reference="u").replace(country=NAME)),
    ("model_copy", lambda: SessionRequest(reference="u").model_copy(update={"contact_email": NAME})),
    ("ref id", lambda: SessionRef(provider="tencent", id=TOKEN + "\n")),
    ("ref parse", lambda: SessionRef.parse(f"tencent:{TOKEN}%0A#{USER}")),
    ("ref parse undecodable", lambda: SessionRef.parse(f"tencent:{TOKEN}%FF#{USER}")),
    ("ref parse display", lambda: SessionRef.parse(f"tencent:#{TOKEN}")),
    ("session url", lambda: Session(ref=SessionRef(provider="x", id="1"), url=f"javascript:{TOKEN}")),
    ("identity sex", lambda: Identity(sex=NAME)),
    ("settings timeout", lambda: Settings.load({"timeout": KEY})),
    ("settings unknown", lambda: Settings.load({KEY: TOKEN})),
    ("settings provider", lambda: Settings.load({"provider": KEY})),
    ("settings block", lambda: Settings.load({"providers": {"didit": {"api_key": KEY, "workflow_id": TOKEN}}})),
    ("settings block key", lambda: Settings.load({"providers": {"didit": {"api_key": KEY, TOKEN: KEY}}})),
    ("settings direct", lambda: Settings(providers={"tencent": {"secret_id": f" {KEY}", "secret_key": TOKEN}})),
    ("provider error", lambda: _raise(error_for_status(
        "didit", _response(), code=f"{NAME} {ID_NUMBER}", request_id=TOKEN + " x",
        message=f"Field '{NAME}' value {ID_NUMBER} {TOKEN} {EMAIL} invalid", field=f"{NAME}.{TOKEN}"))),
    ("provider error 5xx", lambda: _raise(error_for_status("tencent", _response(503), message=f"{KEY} down"))),
    ("malformed", _malformed),
]


def _raise(exc: BaseException) -> None:
    raise exc


@pytest.mark.parametrize(("case", "fn"), HOSTILE, ids=[c for c, _ in HOSTILE])
def test_no_canary_in_errors_or_their_chains(case: str, fn: Callable[[], Any]) -> None:
    exc = _raises(fn)
    for link in exception_chain(exc):
        _clean(str(link), f"{case}: str({type(link).__name__})")
        _clean(repr(link), f"{case}: repr({type(link).__name__})")
        _clean(" ".join(map(str, link.args)), f"{case}: args")
        if isinstance(link, errors.EkycError):
            _clean(str(link.field), f"{case}: field")
            _clean(str(link.provider_code), f"{case}: provider_code")
            _clean(str(link.request_id), f"{case}: request_id")
    assert isinstance(exc, (InvalidRequest, errors.ConfigurationError, errors.EkycError))
