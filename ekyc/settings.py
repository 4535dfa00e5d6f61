"""Validated configuration from arguments, a mapping, the environment or a TOML file.

Every problem is a :class:`~ekyc.errors.ConfigurationError` whose ``field`` names the setting (as a
dotted path such as ``providers.didit.api_key``; for environment input the message also names the
variable). Secrets are ``SecretStr`` and never printed: ``repr``, ``str``, ``model_dump()`` and
``model_dump_json()`` show the validated provider settings, whose credentials print as ``**********`` and
whose URLs lose any embedded credentials and query (``https://***@host/path?***``).
:meth:`Settings.describe` / :meth:`ProviderSettings.describe` give the safe text view ``ekyc check-config``
prints.
"""

# No ``from __future__ import annotations`` here (as in ekyc.models): pydantic would compile and evaluate the
# text of every field annotation when the settings models are created.

import os
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SerializationInfo, ValidationError, field_serializer

from . import registry
from ._redact import REDACTED, safe_field
from .errors import ConfigurationError, EkycError
from .provider import ConfigErrors, ProviderSettings, config_error
from .routing import routing_from_env

if TYPE_CHECKING:
    from .routing import RoutingConfig

#: where each setting came from while :meth:`Settings.load` validates (for error messages)
_SOURCES: ContextVar[Mapping[str, str] | None] = ContextVar("ekyc_settings_sources", default=None)


class RetrySettings(BaseModel, metaclass=ConfigErrors):
    """The one retry loop's limits (reads; creates only where safe)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)
    _error_prefix: ClassVar[str] = "retry."

    if TYPE_CHECKING:  # at run time ConfigErrors wraps construction
        def __init__(self, **data: Any) -> None: ...

    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base: float = Field(default=0.25, gt=0, description="seconds; doubled per attempt, full jitter")
    backoff_max: float = Field(default=8.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0, description="seconds for all attempts and waits")
    max_retry_after: float = Field(default=60.0, ge=0, description="longest Retry-After honoured")


class Settings(BaseModel):
    """Everything a client needs. ``providers`` maps a provider name to its own settings."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    env: Literal["sandbox", "production"] | None = Field(
        default=None,
        description="'production' forbids the sandbox fallback; 'sandbox' sends every provider to it",
    )
    provider: str | None = Field(default=None, description="the default provider for new sessions")
    timeout: float = Field(default=15.0, gt=0, description="seconds per HTTP request")
    retry: RetrySettings = RetrySettings()
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict, repr=False)
    routing: dict[str, Any] = Field(default_factory=dict)

    _provider_settings: dict[str, ProviderSettings] = PrivateAttr(default_factory=dict)
    _routing: "RoutingConfig | None" = PrivateAttr(default=None)  # None: no routing settings (see routing_config)
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        """Validate settings given as keyword arguments (:meth:`load` does the same for a mapping)."""
        sources = dict(_SOURCES.get() or {})
        try:
            super().__init__(**data)
            error = None
        except ValidationError as exc:
            error = config_error(exc, "", sources)
        except RecursionError:
            error = ConfigurationError("settings nested too deeply")
        if error is not None:
            raise error  # outside the except block: no __context__ holding the input
        self._finish(sources)

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        yield "providers", self._provider_settings  # validated: credentials are SecretStr

    @field_serializer("providers")
    def _dump_providers(self, providers: dict[str, dict[str, Any]], info: SerializationInfo) -> dict[str, Any]:
        """Dumps show the validated provider settings (credentials masked), never the raw blocks."""
        out: dict[str, Any] = {}
        for name, block in providers.items():
            validated = self._provider_settings.get(name)
            out[name] = (validated.model_dump(mode=info.mode) if validated is not None
                         else {key: REDACTED for key in block})
        return out

    def describe(self) -> dict[str, Any]:
        """A safe text view of what these settings select (what ``ekyc check-config`` prints).

        ``{"env", "sandbox", "default provider", "providers": {name: ProviderSettings.describe()}, "routing"}``:
        credentials show as ``********``, URLs without embedded credentials or query. Never raises.
        """
        try:
            default: str | None = self.default_provider() if self._provider_settings else self.provider
        except ConfigurationError:
            default = None
        routing = self.routing_config
        return {
            "env": self.env or "unset",
            "sandbox": self.uses_sandbox,
            "default provider": default,
            "timeout": f"{self.timeout:g}s",
            "providers": {name: ps.describe() for name, ps in self._provider_settings.items()},
            "routing": f"{len(routing.rules)} rules, fallback {', '.join(routing.fallback) or 'none'}, cooldown "
                       f"{routing.cooldown.failures} failures / {routing.cooldown.seconds:g}s",
        }

    @property
    def uses_sandbox(self) -> bool:
        """True when sessions go to the local sandbox: ``env='sandbox'``, or nothing configured outside production."""
        return self.env == "sandbox" or (self.env != "production" and not self.providers)

    def provider_settings(self, name: str) -> ProviderSettings:
        """The validated settings of one configured provider."""
        found = self._provider_settings.get(name) if isinstance(name, str) else None
        if found is not None:
            return found
        shown = safe_field(name) or "***"
        raise ConfigurationError(
            f"provider {shown!r} is not configured; add a [providers.{shown}] section or its "
            f"EKYC_{shown.upper()}_* variables",
            field=f"providers.{shown}",
        )

    @property
    def routing_config(self) -> "RoutingConfig":
        """The validated routing settings (without any, the defaults: no rules, no fallback, the default
        cooldown — built on first use, so a client without routing never builds the routing models)."""
        if self._routing is None:
            from .routing import RoutingConfig

            self._routing = RoutingConfig()
        return self._routing

    @property
    def configured(self) -> tuple[str, ...]:
        """Names of the providers with settings."""
        return tuple(self._provider_settings)

    def default_provider(self) -> str:
        """The provider new sessions go to when no route says otherwise."""
        if self.provider:
            return self.provider
        if len(self._provider_settings) == 1:
            return next(iter(self._provider_settings))
        raise ConfigurationError(
            "several providers are configured and no default is set; set 'provider' (EKYC_PROVIDER)",
            field="provider",
        )

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def load(cls, data: Mapping[str, Any], *, sources: Mapping[str, str] | None = None) -> "Settings":
        """Validate a mapping (``sources`` maps setting paths to where they came from, for messages)."""
        sources = dict(sources or {})
        if not isinstance(data, Mapping):
            raise ConfigurationError("settings must be a mapping of setting names to values", field="settings")
        token = _SOURCES.set(sources)  # __init__ names each setting's source in its errors
        try:
            return cls(**{str(k): v for k, v in data.items()})
        finally:
            _SOURCES.reset(token)

    def _finish(self, sources: Mapping[str, str]) -> None:
        """Validate each provider block with its own model, then routing and the default provider."""
        settings = self
        settings._sources = dict(sources)
        for name, block in settings.providers.items():
            shown = safe_field(name) or "***"
            if not registry.known(name):
                known = ", ".join(registry.names())
                raise ConfigurationError(f"unknown provider {shown!r} in providers; known: {known}",
                                         field=f"providers.{shown}")
            model = registry.load(name).settings_model
            try:
                settings._provider_settings[name] = model(**dict(block))
                error = None
            except ConfigurationError as exc:  # ProviderSettings names the field; add where it lives
                path = f"providers.{name}.{exc.field}" if exc.field else f"providers.{name}"
                where = f" (from {sources[path]})" if path in sources else ""
                error = ConfigurationError(exc.message.replace(f"setting {exc.field}", f"setting {path}{where}", 1),
                                           field=path)
            if error is not None:
                raise error  # outside the except block: no __context__
        if settings.routing:  # none given: the defaults, built only if asked for (routing_config)
            from .routing import load_routing

            settings._routing = load_routing(settings.routing, registry.names(),
                                             lambda name: registry.load(name).capabilities)
        if settings.provider is not None:
            if not registry.known(settings.provider):
                known = ", ".join(registry.names())
                raise ConfigurationError(
                    f"unknown provider {safe_field(settings.provider) or '***'!r}; known: {known}", field="provider"
                )
            if settings.providers and settings.provider not in settings.providers and settings.env != "sandbox":
                raise ConfigurationError(
                    f"the default provider {settings.provider!r} has no settings", field="provider"
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from ``EKYC_*`` variables and the vendors' own (``DIDIT_API_KEY``, …).

        ``EKYC_CONFIG`` names a TOML file read first; variables override it.
        """
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        sources: dict[str, str] = {}
        if env.get("EKYC_CONFIG"):
            data = _read_toml(Path(env["EKYC_CONFIG"]))
        for var, path in (
            ("EKYC_ENV", "env"),
            ("EKYC_PROVIDER", "provider"),
            ("EKYC_TIMEOUT", "timeout"),
            ("EKYC_RETRY_MAX_ATTEMPTS", "retry.max_attempts"),
            ("EKYC_RETRY_TOTAL_TIMEOUT", "retry.total_timeout"),
        ):
            if env.get(var):
                _put(data, path, env[var])
                sources[path] = var
        for name in registry.names():
            try:
                model = registry.load(name).settings_model
            except (ImportError, EkycError):
                continue
            for field in model.model_fields:
                for var in (f"EKYC_{name.upper()}_{field.upper()}", *model.env_aliases.get(field, ())):
                    if env.get(var):
                        path = f"providers.{name}.{field}"
                        _put(data, path, env[var])
                        sources[path] = var
                        break
        routing = routing_from_env(env)
        if routing:
            data.setdefault("routing", {}).update(routing)
        return cls.load(data, sources=sources)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> "Settings":
        """Settings from a TOML file (top level, or an ``[ekyc]`` / ``[tool.ekyc]`` table); at most
        :data:`MAX_CONFIG_BYTES`. Raises :class:`ConfigurationError` naming the file for any problem."""
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigurationError("a configuration file is a path", field="path")
        return cls.load(_read_toml(Path(path)), sources={"": str(path)})


#: the largest configuration file read, in bytes (a real one is a few kilobytes)
MAX_CONFIG_BYTES = 1024 * 1024


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's ``ekyc`` settings; every problem (missing, not a regular file, unreadable, too large, not
    UTF-8 TOML, nested too deeply) is a :class:`ConfigurationError` naming the file, raised outside the handler
    so no chain carries the file's content."""
    if sys.version_info >= (3, 11):  # imported here: only file configuration needs it
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    problem: str | None = None
    text = ""
    try:
        if not path.exists():
            problem = "does not exist"
        elif not path.is_file():
            problem = "is not a regular file"
        else:
            with path.open("rb") as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                problem = f"is larger than {MAX_CONFIG_BYTES // 1024} KiB"
            else:
                text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problem = "is not UTF-8"
    except (OSError, ValueError):  # permissions, a NUL in the path, a name too long, ...
        problem = "cannot be read"
    data: dict[str, Any] = {}
    if problem is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problem = f"is not valid TOML: {str(exc)[:120]}"
        except RecursionError:
            problem = "is not valid TOML: nested too deeply"
    if problem is not None:
        shown = str(path)[:200]
        raise ConfigurationError(f"configuration file {shown if shown.isprintable() else repr(shown)} {problem}",
                                 field="EKYC_CONFIG")
    if "tool" in data and isinstance(data["tool"], dict) and "ekyc" in data["tool"]:
        data = data["tool"]["ekyc"]
    elif "ekyc" in data and isinstance(data["ekyc"], dict):
        data = data["ekyc"]
    return dict(data)


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
