"""``ekyc check-config``: load the configuration as a client would, and find every problem a create would hit.

A problem is one line. Nothing printed holds a credential: the view is :meth:`Settings.describe` (secret
settings masked), and every value passes :func:`safe_url` once more, so URLs — with a scheme or without —
lose their user-info and query (``user:secret@host/x?token=…`` shows as ``***@host/x?***``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import registry
from ..errors import ConfigurationError, EkycError
from ..settings import Settings
from .exits import describe

if TYPE_CHECKING:
    from ..client import Client

MASK = "***"


@dataclass
class ConfigReport:
    """What ``check-config`` found: where the settings came from, what they select, and every problem."""

    source: str
    loaded: bool = False
    #: :meth:`Settings.describe` (credentials masked), URLs checked once more by :func:`safe_url`
    view: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--format json``)."""
        return {"ok": self.ok, "source": self.source, "loaded": self.loaded, **self.view, "problems": self.problems}


def load_settings(config: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``--config FILE`` or the environment; errors name the file as the user gave it."""
    try:
        return Settings.from_file(config) if config is not None else Settings.from_env(environ)
    except ConfigurationError as exc:
        if config is not None and exc.field == "EKYC_CONFIG":  # the file came from --config, not the variable
            raise ConfigurationError(exc.message.replace("configuration file", "--config", 1)) from None
        raise


def check(config: Path | None, environ: Mapping[str, str] | None = None) -> ConfigReport:
    """Every problem a client built from this configuration would hit on its first create.

    The client is built exactly as ``create`` and ``result`` build it (``Client(settings)``), so whatever it
    refuses — a named provider without its settings, production without a provider — is refused here in the
    same words, and where sessions go is where the client sends them.
    """
    from ..client import Client

    report = ConfigReport(source=f"file {config}" if config is not None else "environment")
    try:
        settings = load_settings(config, environ)
    except ConfigurationError as exc:
        report.problems.append(describe(exc)[0])
        return report
    report.loaded = True
    view = settings.describe()
    view["providers"] = {name: {k: safe_url(v) for k, v in values.items()}
                         for name, values in view.get("providers", {}).items()}
    report.view = view
    try:
        client = Client(settings)
    except ConfigurationError as exc:
        view["sandbox"] = None  # no client: sessions go nowhere
        report.problems.append(describe(exc)[0])
        return report
    with client:
        view["sandbox"] = client.sandbox is not None
        if client.sandbox is not None:
            return report
        try:
            client.default_provider  # noqa: B018 - a property that raises when several providers have no default
        except ConfigurationError as exc:
            report.problems.append(describe(exc)[0])
        routing = settings.routing_config
        for name in sorted(routing.providers()):
            if name not in client.providers:
                report.problems.append(f"routing sends sessions to {name!r}, which is not configured; add a "
                                       f"[providers.{name}] section or its EKYC_{name.upper()}_* variables")
        for name in client.providers:
            display = registry.load(name).display_name.lower()
            report.problems += [problem if problem.lower().startswith((name, display)) else f"{name}: {problem}"
                                for problem in create_problems(client, name)]
    return report


def create_problems(client: Client, name: str) -> list[str]:
    """What stops provider ``name`` of ``client`` from building a create (no network call).

    The client's own adapter is asked: a typical request goes through ``check_request`` and ``build_create``,
    so whatever a provider needs at create time (e.g. Didit's ``workflow_id``) is found without a rule here.
    """
    from ..sandbox.runner import scenario_request  # the request every provider's sandbox flow accepts

    request = scenario_request(name, "approved", reference="check-config")
    try:
        adapter = client.adapter(name)
        adapter.check_request(request)
    except ConfigurationError as exc:
        return [describe(exc)[0]]
    except EkycError:  # the sample request does not suit this provider: nothing to say about the settings
        return []
    try:
        adapter.build_create(request)
    except EkycError as exc:
        return [describe(exc)[0]]
    return []


def safe_url(value: str) -> str:
    """``value`` without URL credentials or query string (other text is returned as it is); also for URLs
    without a scheme (``user:secret@host``), which an endpoint setting may be."""
    if "@" not in value and "?" not in value and "#" not in value:
        return value
    try:
        parts = urlsplit(value if "://" in value else "//" + value)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if ":" in host:
        host = f"[{host}]"
    userinfo = f"{MASK}@" if "@" in parts.netloc else ""
    scheme = f"{parts.scheme}://" if "://" in value else ""
    query = f"?{MASK}" if parts.query or parts.fragment else ""
    return f"{scheme}{userinfo}{host}{port}{parts.path}{query}"
