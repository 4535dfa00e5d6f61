"""X-SHA2-Signature: Onfido's own test vector (onfido-python tests/test_studio_webhook_event_verification.py),
rotation, and every way a delivery can be wrong."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ekyc.errors import WebhookVerificationError
from ekyc.providers.onfido import signing

from .conftest import make_provider

# onfido-python's vector: the raw body, the webhook token and the signature Onfido sent for it
RAW_EVENT = (
    '{"payload":{"resource_type":"workflow_task","action":"workflow_task.started",'
    '"object":{"id":"profile_1eb92","task_spec_id":"profile_1eb92",'
    '"task_def_id":"profile_data","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19"'
    ',"status":"started","started_at_iso8601":"2024-07-10T12:49:09Z",'
    '"href":"https://api.eu.onfido.com/v3.6/workflow_runs/'
    'bc77c6e5-753a-4580-96a6-aaed3e5a8d19/tasks/profile_1eb92"},'
    '"resource":{"created_at":"2024-07-10T12:49:09Z","id":"profile_1eb92",'
    '"workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","updated_at":"2024-07-10T12:49:09Z"'
    ',"input":{},"task_def_version":null,"task_def_id":"profile_data","output":null}}}'
)
TOKEN = "YKOC6mkBxi6yK2zlUIrLMvsJMFEZObP5"
SIGNATURE = "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfa"


def test_onfidos_vector() -> None:
    assert signing.signature(TOKEN, RAW_EVENT.encode()) == SIGNATURE
    payload = signing.verify(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE}, [TOKEN])
    assert payload["payload"]["action"] == "workflow_task.started"


STARTED = 1720615749.0  # 2024-07-10T12:49:09Z, the vector's started_at_iso8601


def test_the_adapter_reads_onfidos_vector() -> None:
    provider = make_provider(clock=STARTED + 60, webhook_token=TOKEN)
    event = provider.parse_webhook(RAW_EVENT.encode(), {"x-sha2-signature": SIGNATURE})
    assert event.verified_by == "X-SHA2-Signature" and event.authenticated == "payload"
    assert event.event_type == "workflow_task.started" and event.provider_status == "started"
    assert event.ref is None  # the task event does not name its applicant
    assert event.event_id == signing.event_id(RAW_EVENT.encode())


@pytest.mark.parametrize(("offset", "ok"), [(-301, False), (-299, True), (12 * 3600, True), (12 * 3600 + 1, False)])
def test_the_signed_time_bounds_replay(offset: float, ok: bool) -> None:
    provider = make_provider(clock=STARTED + offset, webhook_token=TOKEN)
    if ok:
        assert provider.parse_webhook(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE}).occurred_at
    else:
        with pytest.raises(WebhookVerificationError) as err:
            provider.parse_webhook(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE})
        assert err.value.field == "occurred_at"
    lax = make_provider(clock=STARTED + 10 * 365 * 86400, webhook_token=TOKEN, webhook_max_age=None)
    assert lax.parse_webhook(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE}).ref is None


def test_rotation_accepts_every_configured_token() -> None:
    body = b'{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"x","status":"complete"}}}'
    for token in ("old-token", "new-token"):
        sig = signing.signature(token, body)
        assert signing.verify(body, {"X-SHA2-Signature": sig}, ["new-token", "old-token"])
    provider = make_provider(webhook_token="new-token", webhook_tokens="old-token, older-token")
    assert provider.parse_webhook(body, {"X-SHA2-Signature": signing.signature("older-token", body)}).ref is None


@pytest.mark.parametrize(("headers", "field"), [
    ({}, "signature"),
    ({"X-SHA2-Signature": "zz" * 32}, "signature"),
    ({"X-SHA2-Signature": "ab" * 31}, "signature"),
    ({"X-SHA2-Signature": "00" * 32}, "signature"),
    ({"X-SHA2-Signature": hmac.new(TOKEN.encode(), RAW_EVENT.encode(), hashlib.sha1).hexdigest()},
     "signature"),
])
def test_a_wrong_signature_is_refused(headers: dict[str, str], field: str) -> None:
    with pytest.raises(WebhookVerificationError) as err:
        signing.verify(RAW_EVENT.encode(), headers, [TOKEN])
    assert err.value.field == field


def test_an_altered_body_or_another_token_is_refused() -> None:
    with pytest.raises(WebhookVerificationError):
        signing.verify(RAW_EVENT.replace("started", "completed", 1).encode(), {"X-SHA2-Signature": SIGNATURE},
                       [TOKEN])
    with pytest.raises(WebhookVerificationError):
        signing.verify(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE}, ["another"])
    with pytest.raises(WebhookVerificationError) as err:
        signing.verify(RAW_EVENT.encode(), {"X-SHA2-Signature": SIGNATURE}, [])
    assert err.value.field == "webhook_token"


def test_a_signed_body_that_is_not_a_json_object_is_refused() -> None:
    for body in (b"[1,2]", b'{"a":1,"a":2}', b"not json"):
        with pytest.raises(WebhookVerificationError) as err:
            signing.verify(body, {"X-SHA2-Signature": signing.signature(TOKEN, body)}, [TOKEN])
        assert err.value.field == "body"


def test_the_token_never_appears_in_errors() -> None:
    with pytest.raises(WebhookVerificationError) as err:
        signing.verify(b"{}", {"X-SHA2-Signature": "00" * 32}, [TOKEN])
    assert TOKEN not in str(err.value) and TOKEN not in repr(err.value)


def test_sign_round_trips() -> None:
    body, headers = signing.sign({"payload": {"resource_type": "check", "object": {"id": "é"}}}, TOKEN)
    assert signing.verify(body, headers, [TOKEN])["payload"]["object"]["id"] == "é"
