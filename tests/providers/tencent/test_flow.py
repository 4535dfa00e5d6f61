"""Full flows through the in-process sandbox: every supported scenario (sync and async), the emulator's
signature checks, token lifetimes, redirects, faults and webhooks."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ekyc import AsyncClient, Client
from ekyc.errors import AuthenticationError, ProviderUnavailable, SessionMismatch, SessionNotFound
from ekyc.models import Check, Decision, DocumentType, Outcome, ReasonCode, SessionRef, SessionRequest
from ekyc.providers.tencent import signing
from ekyc.providers.tencent.emulator import SANDBOX_SECRET_ID, SANDBOX_SECRET_KEY, TencentEmulator, with_token
from ekyc.sandbox import SCENARIOS, Sandbox, Scenario

from .conftest import CONTRACT_REQUEST
from .helpers import complete_with
from .test_adapter import BAD_CONFIGS

SUPPORTED = [s for s in SCENARIOS.values() if s.name not in TencentEmulator.unsupported]


def _matches(decision: Decision, scenario: Scenario) -> None:
    assert decision.outcome is scenario.outcome
    assert set(decision.reason_codes) == scenario.reasons
    for name, value in (scenario.identity or {}).items():
        assert getattr(decision.identity, name) == value, name
    for check, passed in scenario.checks.items():
        assert getattr(decision.checks, check.value).passed is passed, check


def test_unsupported_scenarios_are_declared() -> None:
    assert set(TencentEmulator.unsupported) == {"review", "document_expired", "data_mismatch", "document_tampered",
                                                "document_unreadable"}
    assert all(reason for reason in TencentEmulator.unsupported.values())


@pytest.mark.parametrize("scenario", SUPPORTED, ids=lambda s: s.name)
def test_scenario_sync(client: Client, sandbox: Sandbox, scenario: Scenario) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    assert client.get_result(session.ref).outcome is Outcome.PENDING
    back = sandbox.complete(session, scenario.name)
    assert back.startswith("https://app.example/kyc/return?token=")
    ref = client.parse_return_url(back)
    assert ref.id == session.ref.id  # the return URL names the session; the stored ref carries the Config
    assert client.parse_return_url(back, expected=session.ref) == session.ref  # the stored ref, checked
    _matches(client.get_result(session.ref), scenario)
    _matches(client.get_result(ref), scenario)


@pytest.mark.parametrize("scenario", SUPPORTED, ids=lambda s: s.name)
async def test_scenario_async(aclient: AsyncClient, sandbox: Sandbox, scenario: Scenario) -> None:
    session = await aclient.create_session(CONTRACT_REQUEST, provider="tencent")
    back = sandbox.complete(session, scenario.name)
    _matches(await aclient.get_result(aclient.parse_return_url(back)), scenario)


def test_unsupported_scenario_is_refused_by_the_page(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.post(session.url, data={"scenario": "review"}).status_code == 400
        assert http.post(session.url, data={"code": "x"}).status_code == 400
        assert http.post(session.url, data={"code": "1", "kind": "other"}).status_code == 400


def test_redirect_keeps_an_existing_query_and_fragment(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST.model_copy(
        update={"return_url": "https://app.example/back?step=kyc#done"}), provider="tencent")
    back = sandbox.complete(session, "approved")
    assert back == f"https://app.example/back?step=kyc&token={session.ref.id}#done"
    assert with_token("https://a.example/", "T") == "https://a.example/?token=T"


def test_page_shows_steps_and_closes_after_completion(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    with httpx.Client(transport=sandbox.transport()) as http:
        page = http.get(session.url)
        assert page.status_code == 200 and "Document" in page.text and "Selfie" in page.text
        assert http.post(session.url, data={"scenario": "approved"}).status_code == 303
        assert "completed" in http.get(session.url).text
        assert http.post(session.url, data={"scenario": "approved"}).status_code == 409
        assert http.get(session.url.replace("token=", "token=X")).status_code == 404


def test_token_lifetimes(client: Client, sandbox: Sandbox) -> None:
    # never completed: PENDING for 10 minutes, then ErrorCode 15
    idle = client.create_session(CONTRACT_REQUEST, provider="tencent")
    done = client.create_session(CONTRACT_REQUEST, provider="tencent")
    sandbox.complete(done, "approved")
    assert idle.expires_at is not None
    sandbox.clock.advance(601)
    d = client.get_result(idle.ref)
    assert (d.outcome, d.reason_codes, d.provider_status) == (Outcome.EXPIRED, (ReasonCode.SESSION_EXPIRED,), "15")
    with httpx.Client(transport=sandbox.transport()) as http:
        assert "completed" in http.get(idle.url).text or "expired" in http.get(idle.url).text.lower()
    # results are kept for 3 days, then BizTokenExpired
    sandbox.clock.advance(259_200 - 700)
    assert client.get_result(done.ref).outcome is Outcome.APPROVED
    sandbox.clock.advance(200)
    gone = client.get_result(done.ref)
    assert gone.outcome is Outcome.EXPIRED
    assert gone.provider_status == "InvalidParameterValue.BizTokenExpired"


def test_expired_link_cannot_be_completed(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    sandbox.clock.advance(601)
    with httpx.Client(transport=sandbox.transport()) as http:
        assert "expired" in http.get(session.url).text.lower()
        assert http.post(session.url, data={"scenario": "approved"}).status_code == 409


def test_unknown_token_is_session_not_found(client: Client) -> None:
    with pytest.raises(SessionNotFound) as info:
        client.get_result("tencent:00000000-0000-0000-0000-000000000000")
    assert info.value.provider_code == "InvalidParameterValue.BizTokenIllegal" and info.value.request_id


def test_check_modes_2_3_4(client: Client, sandbox: Sandbox) -> None:
    image = base64.b64encode(b"\xff\xd8\xff" + b"\0" * 64).decode()
    s2 = client.create_session(reference="u", return_url="https://a.example/", provider="tencent",
                                  checks={Check.LIVENESS, Check.FACE_MATCH}, reference_image=image)
    d2 = client.get_result(client.parse_return_url(sandbox.complete(s2, "approved")))
    assert d2.outcome is Outcome.APPROVED and d2.checks.document.passed is None
    assert d2.checks.face_match.passed is True and d2.checks.face_match.score is not None
    s3 = client.create_session(reference="u", return_url="https://a.example/", provider="tencent",
                                  checks={Check.LIVENESS})
    d3 = client.get_result(client.parse_return_url(sandbox.complete(s3, "liveness_spoof")))
    assert d3.reason_codes == (ReasonCode.SPOOF_DETECTED,) and d3.checks.face_match.passed is None
    s4 = client.create_session(reference="u", return_url="https://a.example/", provider="tencent",
                                  checks={Check.DOCUMENT}, document_types=(DocumentType.ID_CARD,), country="HKG")
    d4 = client.get_result(client.parse_return_url(sandbox.complete(s4, "approved")))
    assert d4.outcome is Outcome.APPROVED and d4.identity.document_number == "X1234567"
    assert d4.identity.issuing_country == "HKG" and d4.attempts == ()


def test_retry_limit_reports_every_attempt(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    d = client.get_result(client.parse_return_url(sandbox.complete(session, "retry_limit")))
    assert len(d.attempts) == 3 and all(a.passed is False for a in d.attempts)
    assert d.attempts[0].at is not None and d.completed_at == d.attempts[-1].at


def test_unsupported_request_never_reaches_the_emulator(client: Client, sandbox: Sandbox) -> None:
    emulator = sandbox.emulators["tencent"]
    assert isinstance(emulator, TencentEmulator)
    with pytest.raises(Exception, match="reference_image"):
        client.create_session(reference="u", return_url="https://a.example/", provider="tencent",
                                 checks={Check.LIVENESS, Check.FACE_MATCH})
    assert list(emulator.store.values()) == []


# -- the emulator's API checks -------------------------------------------------------------------------------

def _client_with(sandbox: Sandbox, **overrides: object) -> Client:
    return sandbox.client({"providers": {"tencent": overrides}}, sleep=lambda s: None)


@pytest.mark.parametrize(("overrides", "code"), [
    ({"secret_key": "wrong"}, "AuthFailure.SignatureFailure"),
    ({"secret_id": "AKIDunknown"}, "AuthFailure.SecretIdNotFound"),
])
def test_emulator_rejects_bad_credentials(sandbox: Sandbox, overrides: dict[str, str], code: str) -> None:
    with _client_with(sandbox, **overrides) as client, pytest.raises(AuthenticationError) as info:
        client.create_session(CONTRACT_REQUEST, provider="tencent")
    assert info.value.provider_code == code and info.value.request_id


def test_emulator_rejects_clock_skew(sandbox: Sandbox) -> None:
    client = sandbox.client(clock=lambda: sandbox.clock.now() - 301)  # signs 301 s in the past
    with client, pytest.raises(AuthenticationError) as info:
        client.create_session(CONTRACT_REQUEST, provider="tencent")
    assert info.value.provider_code == "AuthFailure.SignatureExpire"


def _raw(sandbox: Sandbox, headers: dict[str, str], body: bytes = b"{}") -> httpx.Response:
    with httpx.Client(transport=sandbox.transport()) as http:
        return http.post("http://sandbox.ekyc.invalid/", headers=headers, content=body)


def _signed(sandbox: Sandbox, action: str, body: bytes, **extra: str) -> dict[str, str]:
    headers = signing.sign_headers(secret_id=SANDBOX_SECRET_ID, secret_key=SANDBOX_SECRET_KEY, action=action,
                                   body=body, host="sandbox.ekyc.invalid", timestamp=int(sandbox.clock.now()),
                                   region=extra.pop("region", "ap-singapore"))
    return {**headers, **extra}


def _error_code(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()["Response"]
    assert data["RequestId"]
    return str(data["Error"]["Code"])


def test_emulator_envelopes(sandbox: Sandbox) -> None:
    assert _error_code(_raw(sandbox, {"X-TC-Action": "GetWebVerificationResultIntl",
                                         "Authorization": "garbage"})) == "AuthFailure.InvalidAuthorization"
    body = b'{"BizToken": "NOPE"}'
    assert _error_code(_raw(sandbox, _signed(sandbox, "DescribeNothing", body), body)) == "InvalidAction"
    assert _error_code(_raw(sandbox, _signed(sandbox, "GetWebVerificationResultIntl", body,
                                                region="ap-guangzhou"), body)) == "UnsupportedRegion"
    assert _error_code(_raw(sandbox, _signed(sandbox, "GetWebVerificationResultIntl", body), body)) == (
        "InvalidParameterValue.BizTokenIllegal")
    tampered = _signed(sandbox, "GetWebVerificationResultIntl", body)
    assert _error_code(_raw(sandbox, tampered, b'{"BizToken": "NOPF"}')) == "AuthFailure.SignatureFailure"
    for params, code in (({}, "MissingParameter"), ({"RedirectURL": "ftp://x"}, "InvalidParameterValue"),
                         ({"RedirectURL": "https://a/", "Bogus": 1}, "UnknownParameter"),
                         ({"RedirectURL": "https://a/"}, "InvalidParameter"),
                         ({"RedirectURL": "https://a/", "RuleId": "9", "Config": {"CheckMode": 3}},
                          "InvalidParameterValue.RuleIdNotExist"),
                         ({"RedirectURL": "https://a/", "Config": {"CheckMode": 3, "ActionList": "blink"}},
                          "InvalidParameterValue"),
                         ({"RedirectURL": "https://a/", "CompareImageBase64": "data:image/png;base64,AAAA"},
                          "InvalidParameterValue"),
                         ({"RedirectURL": "https://a/", "Extra": "x" * 1001, "Config": {"CheckMode": 3}},
                          "InvalidParameterValue")):
        raw = json.dumps(params).encode()
        signed = _signed(sandbox, "ApplyWebVerificationBizTokenIntl", raw)
        assert _error_code(_raw(sandbox, signed, raw)) == code, params


@pytest.mark.parametrize(("config", "field"), BAD_CONFIGS)
def test_the_emulator_refuses_the_configs_the_adapter_refuses(sandbox: Sandbox, config: dict[str, object],
                                                              field: str) -> None:
    raw = json.dumps({"RedirectURL": "https://a/", "Config": {"CheckMode": 3, **config}}).encode()
    response = _raw(sandbox, _signed(sandbox, "ApplyWebVerificationBizTokenIntl", raw), raw)
    assert _error_code(response) == "InvalidParameterValue" and f"Config.{field}" in response.text


def test_security_level_5_with_actions_runs_end_to_end(client: Client, sandbox: Sandbox) -> None:
    request = CONTRACT_REQUEST.replace(provider_options={"tencent": {"SecurityLevel": 5, "ActionList": "blink,nod"}})
    session = client.create_session(request, provider="tencent")
    token = session.ref.id
    assert sandbox.emulators["tencent"].session(token).config["ActionList"] == "blink,nod"
    sandbox.complete(session, "approved")
    assert client.get_result(session.ref).outcome is Outcome.APPROVED


def test_success_content_type_is_exact(sandbox: Sandbox) -> None:
    raw = json.dumps({"RedirectURL": "https://a/", "Config": {"CheckMode": 3}}).encode()
    response = _raw(sandbox, _signed(sandbox, "ApplyWebVerificationBizTokenIntl", raw), raw)
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()["Response"]) == {"BizToken", "VerificationURL", "RequestId"}


# -- faults ----------------------------------------------------------------------------------------------------

def test_throttling_the_tencent_way(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_fault("tencent", "429", times=1)
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")  # retried: refused unprocessed
    sandbox.set_fault("tencent", "429", times=1)
    assert client.get_result(session.ref).outcome is Outcome.PENDING  # a read: retried
    sandbox.set_fault("tencent", "503", times=1)
    with pytest.raises(ProviderUnavailable):
        client.create_session(CONTRACT_REQUEST, provider="tencent")  # may have been processed: not retried
    sandbox.set_fault("tencent", "connect", times=1)
    assert client.create_session(CONTRACT_REQUEST, provider="tencent").url  # never sent: retried


def test_fault_429_envelope(sandbox: Sandbox) -> None:
    sandbox.set_fault("tencent", "429", times=1)
    response = _raw(sandbox, {"X-TC-Action": "GetWebVerificationResultIntl"})
    assert _error_code(response) == "RequestLimitExceeded"


# -- webhooks ----------------------------------------------------------------------------------------------------

def test_no_webhook_unless_configured(client: Client, sandbox: Sandbox) -> None:
    sandbox.complete(client.create_session(CONTRACT_REQUEST, provider="tencent"), "approved")
    assert sandbox.deliveries("tencent") == []


async def test_webhook_delivery_verifies(client: Client, aclient: AsyncClient, sandbox: Sandbox) -> None:
    emulator = sandbox.emulators["tencent"]
    assert isinstance(emulator, TencentEmulator)
    emulator.configure_webhook("https://app.example/hooks/tencent")
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    sandbox.complete(session, "face_mismatch")
    (delivery,) = sandbox.deliveries("tencent", session.ref.id)
    assert delivery.url == "https://app.example/hooks/tencent" and delivery.method == "POST"
    for parser in (client, aclient):
        event = parser.parse_webhook(delivery.body, delivery.headers, provider="tencent")
        assert event.ref is not None and event.ref.id == session.ref.id and event.provider_status == "2016"
        assert event.ref.reference == session.ref.reference == CONTRACT_REQUEST.reference
        assert event.authenticated == "payload"
    with pytest.raises(Exception, match="signature"):
        client.parse_webhook(delivery.body + b" ", delivery.headers, provider="tencent")


def test_sdk_hints_and_settings(sandbox: Sandbox) -> None:
    emulator = sandbox.emulators["tencent"]
    hints = emulator.sdk_hints("http://127.0.0.1:8123")
    assert hints["endpoint"] == "127.0.0.1:8123" and hints["protocol"] == "http"
    settings = emulator.client_settings("http://127.0.0.1:8123")
    assert settings["endpoint"] == "http://127.0.0.1:8123" and settings["region"] == "ap-singapore"
    assert emulator.claims("POST", "/", {"x-tc-action": "X"}) and not emulator.claims("POST", "/", {})
    assert emulator.claims("GET", "/tencent/reflect/", {})


def test_contract_request_is_accepted() -> None:
    assert isinstance(CONTRACT_REQUEST, SessionRequest)


# -- the create's Config against the result (through the emulator) --------------------------------------------

@pytest.mark.parametrize(("options", "stored", "returned"), [
    ({}, Outcome.REVIEW, Outcome.REVIEW),                                        # default: -9103 interrupts
    ({"SelectedWarningCodes": "-9101,-9108"}, Outcome.APPROVED, Outcome.REVIEW),  # -9103 not selected
    ({"DisableCheckOcrWarnings": True}, Outcome.APPROVED, Outcome.REVIEW),      # nothing interrupts
])
def test_unselected_warnings_are_informational_with_the_stored_ref(
        client: Client, sandbox: Sandbox, options: dict[str, object], stored: Outcome,
        returned: Outcome) -> None:
    request = CONTRACT_REQUEST.model_copy(update={"provider_options": {"tencent": options}})
    session = client.create_session(request, provider="tencent")
    back = complete_with(sandbox, session, code="-9103", kind="warn_card")
    decision = client.get_result(session.ref)
    assert decision.outcome is stored
    if stored is Outcome.APPROVED:
        assert [w.provider_code for w in decision.warnings] == ["-9103"]
        assert decision.warnings[0].code is ReasonCode.DOCUMENT_TAMPERED
    else:
        assert decision.reason_codes == (ReasonCode.DOCUMENT_TAMPERED,)
    # the safe path: the URL checked against the stored ref, which carries the Config
    assert client.get_result(client.parse_return_url(back, expected=session.ref)).outcome is stored
    # the return URL's ref alone does not know the Config: the strictest reading, never APPROVED
    assert client.get_result(client.parse_return_url(back)).outcome is returned


def test_another_users_return_url_is_a_session_mismatch(client: Client, sandbox: Sandbox) -> None:
    alice = client.create_session(CONTRACT_REQUEST.model_copy(update={"reference": "alice"}), provider="tencent")
    bob = client.create_session(CONTRACT_REQUEST.model_copy(update={"reference": "bob"}), provider="tencent")
    back = sandbox.complete(alice, "approved")
    with pytest.raises(SessionMismatch):
        client.parse_return_url(back, expected=bob.ref)
    forged = SessionRef(provider="tencent", id=alice.ref.id, extra=alice.ref.extra, reference="bob")
    with pytest.raises(SessionMismatch):  # Tencent echoes Extra: alice's session cannot pass as bob's
        client.get_result(forged)


def test_extra_is_echoed_and_bound(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    assert session.ref.reference == CONTRACT_REQUEST.reference
    assert client.get_result(session.ref).reference == CONTRACT_REQUEST.reference  # pending: echoed already
    back = sandbox.complete(session, "approved")
    assert client.get_result(session.ref).reference == CONTRACT_REQUEST.reference
    assert client.get_result(client.parse_return_url(back)).reference == CONTRACT_REQUEST.reference
    stored = SessionRef.parse(session.ref.serialize())
    assert stored == session.ref and client.get_result(stored).outcome is Outcome.APPROVED


def test_a_face_mismatch_is_a_reason_once_not_also_a_warning() -> None:
    # newcomer papercut (`ekyc result`): FACE_MISMATCH was the reason (2016) and a warning (Similarity below 70)
    sandbox = Sandbox()
    with sandbox.client() as client:
        session = client.create_session(reference="user-1", return_url="https://app.example/done",
                                        provider="tencent")
        sandbox.complete(session, "face_mismatch")
        decision = client.get_result(session.ref)
    assert set(decision.reason_codes) == {ReasonCode.FACE_MISMATCH}
    assert ReasonCode.FACE_MISMATCH not in {w.code for w in decision.warnings}
