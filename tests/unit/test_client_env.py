"""No silent sandbox: ``Client()`` honours the environment exactly as ``Client.from_env()`` does, and a
provider named without its credentials is a ConfigurationError naming the setting, never the sandbox."""

from __future__ import annotations

import os

import pytest

from ekyc import AsyncClient, Client, ConfigurationError
from ekyc.sandbox import Sandbox

WORKFLOW = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment (conftest already removed every library variable)."""
    assert not [v for v in os.environ if v.startswith(("EKYC_", "DIDIT_", "TENCENTCLOUD_", "ALIBABA_"))
                and v != "EKYC_CHROMIUM"]
    return monkeypatch


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_production_in_the_environment_is_never_the_sandbox(env: pytest.MonkeyPatch, cls: type[Client]) -> None:
    env.setenv("EKYC_ENV", "production")
    for make in (cls, cls.from_env, lambda: cls(timeout=5)):
        with pytest.raises(ConfigurationError) as info:
            make()
        assert info.value.field == "providers"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_client_reads_the_environment_like_from_env(env: pytest.MonkeyPatch, cls: type[Client]) -> None:
    env.setenv("EKYC_ENV", "production")
    env.setenv("DIDIT_API_KEY", "key-from-env")
    env.setenv("EKYC_DIDIT_WORKFLOW_ID", WORKFLOW)
    env.setenv("EKYC_TIMEOUT", "7")
    plain, explicit = cls(), cls.from_env()
    for client in (plain, explicit):
        assert client.sandbox is None and client.providers == ("didit",) and client.default_provider == "didit"
        assert client.settings.timeout == 7
        assert client.adapter("didit").settings.secret("api_key") == "key-from-env"
    # keyword options are layered on top of the environment, not instead of it
    tuned = cls(timeout=3, providers={"didit": {"workflow_id": "99999999-2222-3333-4444-555555555555"}})
    assert tuned.sandbox is None and tuned.settings.timeout == 3
    assert tuned.adapter("didit").settings.secret("api_key") == "key-from-env"


def test_a_named_provider_without_credentials_names_the_setting(env: pytest.MonkeyPatch, provider: str) -> None:
    env.setenv("EKYC_PROVIDER", provider)
    for make in (Client, Client.from_env, AsyncClient):
        with pytest.raises(ConfigurationError) as info:
            make()
        assert info.value.field is not None and info.value.field.startswith(f"providers.{provider}.")
        assert "sandbox" in str(info.value)


def test_a_misspelt_credential_is_named_without_its_value(env: pytest.MonkeyPatch) -> None:
    env.setenv("EKYC_PROVIDER", "didit")
    env.setenv("DIDIT_APIKEY", "secret-value-123")
    with pytest.raises(ConfigurationError) as info:
        Client()
    text = str(info.value)
    assert info.value.field == "providers.didit.api_key"
    assert "DIDIT_API_KEY" in text and "DIDIT_APIKEY" in text and "secret-value-123" not in text


def test_partial_credentials_name_the_missing_one(env: pytest.MonkeyPatch) -> None:
    env.setenv("EKYC_PROVIDER", "tencent")
    env.setenv("TENCENTCLOUD_SECRET_ID", "AKIDxxxxxxxx")
    with pytest.raises(ConfigurationError) as info:
        Client()
    assert info.value.field == "providers.tencent.secret_key"


def test_nothing_configured_is_the_sandbox_and_env_sandbox_forces_it(env: pytest.MonkeyPatch) -> None:
    with Client() as client:
        assert client.sandbox is not None
    env.setenv("EKYC_ENV", "sandbox")
    env.setenv("EKYC_PROVIDER", "tencent")  # named, but the sandbox was asked for explicitly
    env.setenv("TENCENTCLOUD_SECRET_ID", "AKIDreal")
    env.setenv("TENCENTCLOUD_SECRET_KEY", "real-key")
    with Client() as client:
        assert client.sandbox is not None and client.default_provider == "tencent"
        # the sandbox's credentials, never the environment's
        assert client.adapter("tencent").settings.secret("secret_key") != "real-key"


def test_an_explicit_sandbox_never_reads_the_environment(env: pytest.MonkeyPatch) -> None:
    """The pytest plugin's clients: real credentials in the developer's shell must not reach the sandbox."""
    env.setenv("EKYC_ENV", "production")
    env.setenv("EKYC_PROVIDER", "didit")
    env.setenv("DIDIT_API_KEY", "real-key")
    sandbox = Sandbox()
    with sandbox.client() as client:
        assert client.sandbox is sandbox and client.settings.providers == sandbox.client_config()["providers"]
        assert client.adapter("didit").settings.secret("api_key") != "real-key"


def test_settings_of_the_wrong_type_are_typed(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError):
        Client("didit")  # type: ignore[arg-type]
