"""A canary secret, ID number, name, date of birth and image never reach repr, str, logs or error text."""

from __future__ import annotations

import base64
import logging
from datetime import date

import httpx
import pytest
import respx

from ekyc import (
    Check,
    Client,
    Decision,
    ExpectedIdentity,
    Identity,
    Outcome,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
    errors,
)
from ekyc.provider import error_for_status

SECRET = "CANARY-SECRET-7f3a9"
ID_NUMBER = "CANARYID998877"
NAME = "Canarina Secretsdottir"
DOB = date(1901, 2, 3)
IMAGE = base64.b64encode(b"CANARY-IMAGE-BYTES" * 10).decode()
CANARIES = (SECRET, ID_NUMBER, NAME, "Canarina", "1901-02-03", "1901", IMAGE[:16], "CANARY")


def _assert_clean(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary!r} leaked into {text[:200]!r}"


def _models() -> list[object]:
    ref = SessionRef(provider="didit", id="abc")
    identity = Identity(given_name=NAME, family_name=NAME, full_name=NAME, date_of_birth=DOB, sex="F",
                        nationality="GBR", document_number=ID_NUMBER, issue_date=DOB, expiry_date=DOB,
                        address=NAME)
    request = SessionRequest(
        reference="user-1", return_url="https://app.example/back", checks={Check.LIVENESS, Check.FACE_MATCH},
        reference_image=IMAGE,
        expected=ExpectedIdentity(given_name=NAME, family_name=NAME, date_of_birth=DOB, document_number=ID_NUMBER,
                                  address=NAME),
        contact_email="canary.person@example.com", client_metadata=f'{{"ua":"{SECRET}"}}',
        metadata={"national_id": ID_NUMBER}, provider_options={"didit": {"portrait": IMAGE, "k": SECRET}},
    )
    raw = {"name": NAME, "id": ID_NUMBER, "image": IMAGE, "key": SECRET}
    decision = Decision(ref=ref, outcome=Outcome.APPROVED, identity=identity, raw=raw)
    return [
        identity, request, request.expected, decision,
        Session(ref=ref, url="https://verify.example/s/1", raw=raw),
        WebhookEvent(provider="didit", ref=ref, verified_by="x-signature-v2", authenticated="payload",
                     decision=decision, raw=raw),
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: type(m).__name__)
def test_models_redact_personal_data(model: object) -> None:
    _assert_clean(repr(model))
    _assert_clean(str(model))
    _assert_clean(f"{model!r} {model!s}")


def test_session_url_is_a_bearer_link_and_never_printed() -> None:
    session = Session(ref=SessionRef(provider="didit", id="abc"), url=f"https://verify.example/s/{SECRET}")
    _assert_clean(repr(session))
    assert session.url.endswith(SECRET)


def test_model_dump_hides_personal_data_unless_revealed_and_never_dumps_raw() -> None:
    decision = next(m for m in _models() if isinstance(m, Decision))
    _assert_clean(decision.model_dump_json())  # safe by default
    _assert_clean(str(decision.model_dump()))
    revealed = decision.model_dump_json(context={"reveal": True})
    assert ID_NUMBER in revealed  # the documented opt-in gives the app its data
    assert SECRET not in revealed  # raw payload is never serialized
    again = Decision.model_validate(decision.model_dump(context={"reveal": True}))
    assert again.identity == decision.identity


ERROR_CLASSES = [getattr(errors, n) for n in errors.__all__]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_errors_built_from_provider_text_are_scrubbed(cls: type[errors.EkycError]) -> None:
    response = httpx.Response(400, request=httpx.Request("GET", "https://x.example/"))
    message = f"Field 'first_name' value '{NAME}' invalid; id {ID_NUMBER}; key {SECRET}; dob 1901-02-03; {IMAGE}"
    err = error_for_status("didit", response, message=message, error=cls)
    assert isinstance(err, cls)
    _assert_clean(str(err))
    _assert_clean(repr(err))
    _assert_clean(" ".join(str(a) for a in err.args))


def test_invalid_input_errors_do_not_echo_values() -> None:
    with pytest.raises(errors.InvalidRequest) as info:
        SessionRequest(reference="u", expected={"date_of_birth": f"{NAME} {ID_NUMBER}"})
    _assert_clean(str(info.value))
    with pytest.raises(errors.InvalidRequest) as info2:
        SessionRequest(reference="u", contact_email=f"{NAME} {SECRET}")
    _assert_clean(str(info2.value))


@respx.mock
def test_log_output_and_errors_of_a_failing_call_stay_clean(caplog: pytest.LogCaptureFixture,
                                                            echo: str) -> None:
    respx.post("https://echo.invalid/echo/sessions").mock(
        return_value=httpx.Response(400, json={"detail": f"bad {NAME} {ID_NUMBER} {SECRET}"})
    )
    client = Client.from_config({"providers": {"echo": {"api_key": SECRET}}})
    caplog.set_level(logging.DEBUG, logger="ekyc")
    with pytest.raises(errors.InvalidRequest) as info:
        client.create_session(reference="u1", reference_image=None)
    _assert_clean(str(info.value))
    _assert_clean(caplog.text)
    _assert_clean(repr(client.settings))
    _assert_clean(str(client.adapter("echo").settings))


# -- scrub_text: safe by construction, linear (issue 11, item 5) --------------------------------------

from ekyc._redact import MAX_SCRUB_INPUT, scrub_text  # noqa: E402


@pytest.mark.parametrize(
    "secret",
    ["john", "smith", "deadbeefcafe", "3fa9c10b2e", "eyjhbgcioijiuzi1nij9", "a1b2c3d4", "canarina",
     "x9", "user@example.com", "1990-01-02", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "s3cr3t", "base64+/=="],
)
def test_scrub_text_drops_every_word_outside_the_vocabulary(secret: str) -> None:
    text = scrub_text(f"Invalid value {secret} for first_name: {secret}.")
    assert secret not in text
    assert text.startswith("Invalid value *** for first_name:")


def test_scrub_text_keeps_plain_messages_readable() -> None:
    assert scrub_text("Session not found.") == "Session not found."
    assert scrub_text("The BizToken has expired, please create a new session.") == \
        "The BizToken has expired, please create a new session."
    assert scrub_text("Field 'first_name' value 'Jo Do' is invalid") == "Field 'first_name' value *** is invalid"


def test_scrub_text_is_bounded() -> None:
    hostile = "a" * 20_000 + " '" + "x' " * 20_000 + "é" * 20_000
    assert len(scrub_text(hostile)) <= 200
    words = "session " * 10_000
    assert len(scrub_text(words, limit=100_000)) <= MAX_SCRUB_INPUT
