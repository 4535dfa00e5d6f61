"""Settings every provider shares, checked over every registered provider: credentials that could not be
sent safely, endpoints, timeouts — refused at load with the setting named and the value never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from ekyc import _wire, registry
from ekyc.errors import ConfigurationError, InvalidRequest
from ekyc.models import SessionRef
from ekyc.testing import providers

CANARY = "CANARYsecret9f3a"


def _secret_fields(name: str) -> list[str]:
    model = registry.load(name).settings_model
    return [f for f, info in model.model_fields.items() if "SecretStr" in str(info.annotation)]


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("bad", [f"{CANARY}\nX-Evil: 1", f"{CANARY} x", f"{CANARY}\x00", f"{CANARY}é", ""])
def test_a_credential_that_cannot_go_in_a_header_is_refused_at_load(provider: str, bad: str) -> None:
    model = registry.load(provider).settings_model
    fields = _secret_fields(provider)
    assert fields, f"{provider} declares no SecretStr credential"
    valid = {f: "valid-credential" for f in fields}
    model(**valid)  # the baseline loads
    for field in fields:
        if bad == "" and "tuple" in str(model.model_fields[field].annotation):
            continue  # an empty list of extra secrets is no secret at all
        with pytest.raises(ConfigurationError) as info:
            model(**{**valid, field: bad})
        assert info.value.field == field
        assert CANARY not in str(info.value) and CANARY not in repr(info.value)


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:18765;x", "http://[::1", "ftp://host", "https://",
                                      "https://host/?token=" + CANARY, "https://ho st", "http://h:99999"])
def test_an_endpoint_is_a_plain_http_url(provider: str, endpoint: str) -> None:
    fields = {f: "valid-credential" for f in _secret_fields(provider)}
    with pytest.raises(ConfigurationError) as info:
        registry.load(provider).settings_model(**fields, endpoint=endpoint)
    assert info.value.field == "endpoint" and CANARY not in str(info.value)


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("endpoint", ["http://api.vendor.com", "http://api.vendor.com:80/x",
                                      "http://10.0.0.5:8080", "http://0.0.0.0:8765", "http://example.com",
                                      "http://2130706433", "http://localhost.attacker.net", "http://test",
                                      "http://[::ffff:10.0.0.1]", "http://sandbox.ekyc.invalid.evil.com"])
def test_a_plain_http_endpoint_is_refused_unless_it_cannot_leave_the_machine(provider: str, endpoint: str) -> None:
    """A mis-set ``EKYC_<P>_ENDPOINT=http://api.vendor.com`` would send a live key in clear: refused at load,
    naming the field and never a credential."""
    fields = {f: CANARY for f in _secret_fields(provider)}
    with pytest.raises(ConfigurationError) as info:
        registry.load(provider).settings_model(**fields, endpoint=endpoint)
    assert info.value.field == "endpoint" and "https" in str(info.value)
    assert CANARY not in str(info.value) and CANARY not in repr(info.value) and info.value.__cause__ is None


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8765", "http://127.9.9.9", "http://[::1]:8765/v3",
                                      "http://localhost:8765", "http://LOCALHOST.", "http://sandbox.ekyc.invalid",
                                      "http://api.test", "http://a.b.localhost:1", "http://host.example/x",
                                      "http://[::ffff:127.0.0.1]:80", "https://api.vendor.com", "api.vendor.com"])
def test_plain_http_is_kept_for_loopback_and_reserved_names(provider: str, endpoint: str) -> None:
    fields = {f: "valid-credential" for f in _secret_fields(provider)}
    assert registry.load(provider).settings_model(**fields, endpoint=endpoint).endpoint == endpoint


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1, 601])
def test_a_timeout_is_finite_and_bounded(timeout: float) -> None:
    for name in providers():
        with pytest.raises(ConfigurationError) as info:
            registry.load(name).settings_model(timeout=timeout)
        assert info.value.field == "timeout"


def test_a_valid_credential_stays_secret() -> None:
    for name in providers():
        fields = _secret_fields(name)
        settings = registry.load(name).settings_model(**{f: CANARY for f in fields})
        for field in fields:
            assert isinstance(getattr(settings, field), SecretStr | tuple)
        assert CANARY not in repr(settings) and CANARY not in settings.model_dump_json()
        assert CANARY not in str(settings.model_dump()) and CANARY not in str(settings.describe())


def test_a_hand_edited_reference_part_is_refused() -> None:
    ref = SessionRef(provider="didit", id="abc", reference="alice")
    for edited in (ref.serialize() + "#bob", ref.serialize() + ":x", ref.serialize().replace("alice", "al#ice")):
        with pytest.raises(InvalidRequest):
            SessionRef.parse(edited)
    weird = SessionRef(provider="didit", id="a:b#c", reference="x#y:z")
    assert SessionRef.parse(weird.serialize()) == weird


@pytest.mark.parametrize("body", [b'{"name": "JOHN CANARY", "x": ', b'{"a": "\xff JOHN CANARY"}',
                                  b'{"a": 1, "a": 2}', b"[" * 100000, b'{"a": NaN}'])
def test_a_refused_payload_keeps_no_copy_of_itself_in_the_exception_chain(body: bytes) -> None:
    with pytest.raises(_wire.WireError) as info:
        _wire.loads(body)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert "CANARY" not in str(info.value)


@pytest.mark.parametrize("content", ["a = " + "[" * 100_000, "a = " + "{b = " * 50_000, "x" * (2 * 1024 * 1024),
                                     "\xff\xfe", "providers = 1\n[[[bad"])
def test_a_hostile_configuration_file_is_one_configuration_error(tmp_path: Path, content: str) -> None:
    from ekyc.settings import Settings

    path = tmp_path / "ekyc.toml"
    path.write_bytes(content.encode("latin-1") if content == "\xff\xfe" else content.encode())
    with pytest.raises(ConfigurationError) as info:
        Settings.from_file(path)
    assert info.value.__context__ is None and str(path) in str(info.value)


@pytest.mark.parametrize("where", ["/", "/dev/zero", "a\x00b", "/nonexistent/ekyc.toml"])
def test_an_unreadable_configuration_path_is_one_configuration_error(where: str) -> None:
    from ekyc import Client

    with pytest.raises(ConfigurationError):
        Client.from_file(where)


def test_the_didit_emulator_answers_a_malformed_callback_with_400_as_didit_does() -> None:
    import httpx

    from ekyc.sandbox import Sandbox

    sandbox = Sandbox(["didit"])
    cs = sandbox.client_settings("didit")
    with httpx.Client(transport=sandbox.transport()) as http:
        r = http.post(str(cs["endpoint"]).rstrip("/") + "/v3/session/", headers={"x-api-key": str(cs["api_key"])},
                      json={"workflow_id": cs.get("workflow_id"), "callback": "http://[::1/x", "vendor_data": "u"})
    assert r.status_code == 400 and "callback" in r.json()


def test_strict_json_refuses_lone_surrogates_but_reads_pairs() -> None:
    assert _wire.loads(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    for body in (b'{"a": "\\ud800"}', b'{"\\uDC00": 1}', b'["x\\udfff"]'):
        with pytest.raises(_wire.WireError):
            _wire.loads(body)


def test_the_shared_settings_shape_is_one_base_with_each_vendors_variables() -> None:
    # duplicates: the api_key/webhook_secret(s) fields, their env names and all_webhook_secrets were copied into
    # didit, stripe and persona (and the rotation read into onfido): one base, the vendors' variables unchanged
    from ekyc.provider import KeyAndWebhookSettings

    expected = {
        "didit": {"api_key": ("DIDIT_API_KEY",), "workflow_id": ("DIDIT_WORKFLOW_ID",),
                  "webhook_secret": ("DIDIT_WEBHOOK_SECRET",), "webhook_secrets": ("DIDIT_WEBHOOK_SECRETS",),
                  "environment": ("DIDIT_ENVIRONMENT",)},
        "stripe": {"api_key": ("STRIPE_API_KEY",), "webhook_secret": ("STRIPE_WEBHOOK_SECRET",),
                   "webhook_secrets": ("STRIPE_WEBHOOK_SECRETS",)},
        "persona": {"api_key": ("PERSONA_API_KEY",), "inquiry_template_id": ("PERSONA_INQUIRY_TEMPLATE_ID",),
                    "webhook_secret": ("PERSONA_WEBHOOK_SECRET",), "webhook_secrets": ("PERSONA_WEBHOOK_SECRETS",),
                    "decisioning": ("PERSONA_DECISIONING",)},
        "onfido": {"api_token": ("ONFIDO_API_TOKEN",), "workflow_id": ("ONFIDO_WORKFLOW_ID",),
                   "region": ("ONFIDO_REGION",), "webhook_token": ("ONFIDO_WEBHOOK_TOKEN",),
                   "webhook_tokens": ("ONFIDO_WEBHOOK_TOKENS",)},
    }
    for name, aliases in expected.items():
        model = registry.load(name).settings_model
        assert model.env_aliases == aliases, name
        shared = {"api_key", "webhook_secret", "webhook_secrets"} <= set(model.model_fields)
        assert issubclass(model, KeyAndWebhookSettings) == shared, name
        for field in KeyAndWebhookSettings.SHARED_FIELDS if shared else ():
            assert field not in vars(model).get("__annotations__", {}), f"{name} declares {field} again"
    didit = registry.load("didit").settings_model(api_key="k", webhook_secret="a", webhook_secrets="b, c")
    assert didit.all_webhook_secrets() == ["a", "b", "c"]
    onfido = registry.load("onfido").settings_model(api_token="t", webhook_tokens=("x", "y"))
    assert onfido.all_webhook_tokens() == ["x", "y"]  # type: ignore[attr-defined]
