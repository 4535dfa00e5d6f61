"""Configuration: every wrong or missing setting is a ConfigurationError naming it; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekyc import Client, ConfigurationError, Settings
from ekyc.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("echo")  # registers the test-only "echo" provider


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"providers": {"echo": {}}}, "providers.echo.api_key"),
        ({"providers": {"echo": {"api_key": "k", "colour": "red"}}}, "providers.echo.colour"),
        ({"providers": {"nope": {}}}, "providers.nope"),
        ({"provider": "nope"}, "provider"),
        ({"provider": "didit", "providers": {"echo": {"api_key": "k"}}}, "provider"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"env": "staging"}, "env"),
        ({"retry": {"max_attempts": 0}}, "retry.max_attempts"),
        ({"retry": {"total_timeout": 0}}, "retry.total_timeout"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_each_bad_setting_is_named(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.load(data)
    assert info.value.field == field
    assert field in str(info.value)


def test_env_variables_are_named_in_errors() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env({"EKYC_TIMEOUT": "never"})
    assert info.value.field == "timeout" and "EKYC_TIMEOUT" in str(info.value)


def test_env_loading_and_secret_handling() -> None:
    settings = Settings.from_env({"EKYC_ECHO_API_KEY": "s3cr3t-key", "EKYC_PROVIDER": "echo",
                                  "EKYC_RETRY_MAX_ATTEMPTS": "5"})
    assert settings.provider == "echo" and settings.retry.max_attempts == 5
    echo = settings.provider_settings("echo")
    assert echo.secret("api_key") == "s3cr3t-key"
    assert "s3cr3t-key" not in repr(settings) and "s3cr3t-key" not in str(echo)


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "ekyc.toml"
    path.write_text('[ekyc]\nprovider = "echo"\ntimeout = 3\n[ekyc.providers.echo]\napi_key = "k"\n')
    client = Client.from_file(path)
    assert client.default_provider == "echo" and client.settings.timeout == 3
    bad = tmp_path / "bad.toml"
    bad.write_text("provider = \n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        Settings.from_file(bad)
    with pytest.raises(ConfigurationError, match="does not exist"):
        Settings.from_file(tmp_path / "missing.toml")


def test_config_file_named_by_env(tmp_path: Path) -> None:
    path = tmp_path / "ekyc.toml"
    path.write_text('[providers.echo]\napi_key = "from-file"\n')
    settings = Settings.from_env({"EKYC_CONFIG": str(path), "EKYC_ECHO_API_KEY": "from-env"})
    assert settings.provider_settings("echo").secret("api_key") == "from-env"


def test_production_never_falls_back_to_the_sandbox() -> None:
    with pytest.raises(ConfigurationError) as info:
        Client.from_env({"EKYC_ENV": "production"})
    assert info.value.field == "providers"


def test_unconfigured_provider_is_named() -> None:
    client = Client.from_config({"providers": {"echo": {"api_key": "k"}}})
    with pytest.raises(ConfigurationError) as info:
        client.adapter("didit")
    assert info.value.field == "providers.didit"


@pytest.mark.parametrize("provider", ["echo"], indirect=True)
def test_nothing_configured_means_the_sandbox(sandbox: Sandbox) -> None:
    client = sandbox.client()
    assert client.sandbox is sandbox and client.default_provider == "echo"
    assert client.settings.uses_sandbox


@pytest.mark.parametrize("provider", ["echo"], indirect=True)
def test_settings_layer_over_a_sandbox_only_when_the_sandbox_is_given(sandbox: Sandbox) -> None:
    given = sandbox.client({"env": "sandbox", "providers": {"echo": {"api_key": "echo-key", "timeout": 3}}})
    assert given.adapter("echo").settings.timeout == 3
    from ekyc import registry

    assert "echo" in registry.names()


def test_third_party_providers_load_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from ekyc import registry

    fake = [EntryPoint(name="acme", value="tests.support.echo:AcmeProvider", group=registry.ENTRY_POINT_GROUP)]
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group: fake if group == registry.ENTRY_POINT_GROUP else [])
    registry._entry_points.cache_clear()
    registry.load.cache_clear()
    try:
        import tests.support.echo as echo

        echo.AcmeProvider = echo.make_echo("acme")  # type: ignore[attr-defined]
        assert "acme" in registry.names()
        assert registry.load("acme").name == "acme"
    finally:
        registry._entry_points.cache_clear()
        registry.load.cache_clear()


def test_built_in_names_do_not_scan_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """A built-in provider is found without reading the installed packages' metadata (a cold start's
    millisecond), and an entry point of the same name does not take it over; other names still scan."""
    from importlib.metadata import EntryPoint

    from ekyc import registry

    scans: list[str] = []
    fake = [EntryPoint(name="tencent", value="tests.support.echo:AcmeProvider", group=registry.ENTRY_POINT_GROUP)]

    def entry_points(group: str) -> list[EntryPoint]:
        scans.append(group)
        return fake if group == registry.ENTRY_POINT_GROUP else []

    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    registry._entry_points.cache_clear()
    registry.load.cache_clear()
    try:
        Settings.load({"providers": {"tencent": {"secret_id": "AKID" + "x" * 32, "secret_key": "k" * 32}},
                       "provider": "tencent"})
        assert registry.known("tencent") and registry.load("tencent").__module__.startswith("ekyc.providers.")
        assert scans == []
        assert not registry.known("acme")
        assert scans == [registry.ENTRY_POINT_GROUP]
    finally:
        registry._entry_points.cache_clear()
        registry.load.cache_clear()


# -- secrets in dumps and descriptions (issue 11, item 5) ---------------------------------------------

CANARY_KEYS = ("CANARY-KEY-1", "CANARY-PW-2", "CANARY-TOK-3", "CANARY-SID-4", "CANARY-SK-5", "CANARY-ALI-6")


def _loaded() -> Settings:
    return Settings.load({
        "provider": "didit",
        "providers": {
            "didit": {"api_key": CANARY_KEYS[0], "workflow_id": "8b4d5a6e-1f3c-4e2a-9b7d-0c1e2f3a4b5c",
                      "endpoint": f"https://user:{CANARY_KEYS[1]}@host.example:8443/v3",
                      "webhook_secret": CANARY_KEYS[0], "webhook_secrets": [CANARY_KEYS[1]]},
            "tencent": {"secret_id": CANARY_KEYS[3], "secret_key": CANARY_KEYS[4], "token": CANARY_KEYS[2]},
            "alibaba": {"access_key_id": CANARY_KEYS[5], "access_key_secret": CANARY_KEYS[4],
                        "callback_url": f"https://{CANARY_KEYS[1]}@app.example/cb?t={CANARY_KEYS[2]}"},
        },
    })


def test_settings_dumps_mask_every_credential() -> None:
    settings = _loaded()
    shown = [repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json(),
             str(settings.describe())]
    for name in settings.configured:
        ps = settings.provider_settings(name)
        shown += [repr(ps), str(ps), str(ps.model_dump()), ps.model_dump_json(), str(ps.describe())]
    for text in shown:
        for canary in CANARY_KEYS:
            assert canary not in text, (canary, text[:300])
    dumped = settings.model_dump(mode="json")
    assert dumped["providers"]["didit"]["api_key"] == "**********"
    assert dumped["providers"]["didit"]["endpoint"] == "https://***@host.example:8443/v3"
    # the values stay usable where they are needed
    assert settings.provider_settings("didit").secret("api_key") == CANARY_KEYS[0]
    assert CANARY_KEYS[1] in settings.provider_settings("didit").endpoint  # type: ignore[operator]


def test_describe_is_the_safe_check_config_view() -> None:
    view = _loaded().describe()
    assert view["default provider"] == "didit" and view["sandbox"] is False
    didit = view["providers"]["didit"]
    assert didit["api_key"] == "********" and didit["webhook_secrets"] == "1 set (********)"
    assert didit["endpoint"] == "https://***@host.example:8443/v3"  # (an endpoint with a query is refused)
    assert view["providers"]["alibaba"]["callback_url"] == "https://***@app.example/cb?***"
    assert view["providers"]["tencent"]["region"] == "ap-singapore"
    assert Settings.load({}).describe()["sandbox"] is True


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://host.example/v3", "https://host.example/v3"),
        ("https://u:p@host.example", "https://***@host.example"),
        ("http://[::1]:8765/x?k=v#frag", "http://[::1]:8765/x?***"),
        ("http://[::1/?token=a", "***"),
        ("not a url", "***"),
    ],
)
def test_safe_url(url: str, shown: str) -> None:
    from ekyc._redact import safe_url

    assert safe_url(url) == shown


def test_direct_construction_is_validated_and_typed() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(timeout="soon")
    assert info.value.field == "timeout"
    with pytest.raises(ConfigurationError) as info:
        Settings(providers={"echo": {}})
    assert info.value.field == "providers.echo.api_key"
    with pytest.raises(ConfigurationError):
        Settings.load(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert Settings(providers={"echo": {"api_key": "k"}}).configured == ("echo",)
