"""The app's settings (``settings.EKYC``) and the one ledger per process built from them.

``settings.EKYC`` is a dict; every key is optional::

    EKYC = {
        "DATABASE": "default",            # the DATABASES alias that holds the ledger's tables (SQLite or PostgreSQL)
        "LEDGER_KEY": os.environ["EKYC_LEDGER_KEY"],  # Fernet key(s), newest first; None: EKYC_LEDGER_KEY is read
        "CLIENT": None,                   # None: ekyc.Client() reads EKYC_* like Client.from_env(); a mapping:
                                          # Client.from_config(mapping); a callable or "module.attr" returning a Client
        "POLICY": None,                   # an ekyc.ledger.Policy (None: the default rules)
        "REFERENCE": None,                # a callable or "module.attr" user -> reference (None: str(user.pk))
        # ekyc.integrations.Config's fields (the framework-neutral core; its prefix is where you include the urls):
        "PROVIDER": None,                 # the provider start uses (None: the client's default provider)
        "AFTER_RETURN": "/",              # where the user lands once back, with ?kyc=<STATE>
        "REQUEST_FIELDS": {"checks": ["document", "liveness", "face_match"]},  # more SessionRequest fields
        "PUBLIC_ORIGIN": None,            # "https://app.example" behind a proxy that rewrites Host
        "ALLOWED_ORIGINS": (),            # your other origins allowed as redirect targets / start POST origins
        "LOGIN_URL": None,                # where anonymous users go (None: settings.LOGIN_URL); "" answers 401
        "OUTCOME_PARAM": "kyc",
    }

Values are never echoed: errors name the key (``EKYC["LEDGER_KEY"]``), never its value.

The ledger lives in a Django database (``EKYC["DATABASE"]``): its SQLAlchemy URL is made from that alias's
``DATABASES`` entry at use (so Django's test databases are followed too). SQLite needs a file (an in-memory
database is not shared between Django's connection and the ledger's engine).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections
from django.shortcuts import resolve_url
from django.urls import reverse
from sqlalchemy.engine import URL

from ...client import Client
from ...errors import ConfigurationError, EkycError
from ...ledger import Ledger, LedgerError, Policy
from ...ledger.engine import current_revision, make_engine, upgrade
from .. import PATHS, Config, user_reference

SETTING = "EKYC"
#: ``EKYC`` keys that are :class:`ekyc.integrations.Config` fields (lower-cased)
CONFIG_KEYS = frozenset({"PROVIDER", "AFTER_RETURN", "REQUEST_FIELDS", "PUBLIC_ORIGIN", "ALLOWED_ORIGINS",
                         "LOGIN_URL", "OUTCOME_PARAM"})
KEYS = frozenset({"DATABASE", "LEDGER_KEY", "CLIENT", "POLICY", "REFERENCE"}) | CONFIG_KEYS


def options() -> Mapping[str, Any]:
    """``settings.EKYC`` checked: a mapping of known keys (an unknown key is a ConfigurationError naming it)."""
    value = getattr(settings, SETTING, None) or {}
    if not isinstance(value, Mapping):
        raise ConfigurationError("settings.EKYC must be a dict", field=SETTING)
    unknown = sorted(str(k) for k in value if k not in KEYS)
    if unknown:
        raise ConfigurationError(f"settings.EKYC has unknown keys {unknown} (known: {sorted(KEYS)})", field=SETTING)
    return value


def option(key: str, default: Any = None) -> Any:
    value = options().get(key)
    return default if value is None else value


def database_alias() -> str:
    """The ``DATABASES`` alias of the ledger (``EKYC["DATABASE"]``, default ``"default"``)."""
    alias = option("DATABASE", "default")
    if not isinstance(alias, str) or alias not in settings.DATABASES:
        raise ConfigurationError('EKYC["DATABASE"] must name an entry of settings.DATABASES',
                                 field="EKYC.DATABASE")
    return alias


def ledger_url(alias: str | None = None) -> str:
    """The ledger's database (an SQLite file path or a PostgreSQL URL) behind Django's database ``alias`` as its
    connection sees it now (its test database during tests). SQLite (a file) and PostgreSQL only: the ledger's
    engines support those two."""
    alias = alias or database_alias()
    return database_of(connections[alias].settings_dict, alias)


def database_of(db: Mapping[str, Any], alias: str) -> str:
    """:func:`ledger_url` of one ``DATABASES`` entry."""
    engine = str(db.get("ENGINE", ""))
    name = str(db.get("NAME") or "")
    field = f"DATABASES.{alias}"
    if engine.endswith("sqlite3"):
        if not name or name == ":memory:" or "mode=memory" in name:
            raise ConfigurationError(f"the ledger needs an SQLite file, not an in-memory database: set {field} "
                                     "NAME (and TEST NAME for tests) to a file", field=field)
        return name  # a path: the ledger makes it absolute and picks its SQLite driver
    if "postgresql" in engine:
        port = db.get("PORT")
        url = URL.create("postgresql", username=db.get("USER") or None, password=db.get("PASSWORD") or None,
                         host=db.get("HOST") or None, port=int(port) if port else None, database=name or None)
        return str(url.render_as_string(hide_password=False))
    raise ConfigurationError(f"the ledger runs on SQLite or PostgreSQL; {field} uses another engine", field=field)


def _dotted(value: Any, key: str) -> Any:
    if isinstance(value, str):
        module, _, attr = value.rpartition(".")
        try:
            return getattr(import_module(module), attr)
        except (ImportError, AttributeError, ValueError):
            raise ConfigurationError(f'EKYC["{key}"] names nothing importable', field=f"EKYC.{key}") from None
    return value


def make_client() -> Client:
    """The client ``EKYC["CLIENT"]`` describes (see the module docstring)."""
    spec = _dotted(option("CLIENT"), "CLIENT")
    if spec is None:
        return Client()
    if isinstance(spec, Mapping):
        return Client.from_config(spec)
    if callable(spec):
        client = spec()
        if isinstance(client, Client):
            return client
    raise ConfigurationError('EKYC["CLIENT"] must be None, a mapping, or a callable returning an ekyc.Client',
                             field="EKYC.CLIENT")


def reference_of(user: Any) -> str | None:
    """The ledger reference of the request's ``user``: None when anonymous, else ``EKYC["REFERENCE"](user)`` or
    ``str(user.pk)``, checked by :func:`ekyc.integrations.user_reference` (1-256 printable characters)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    fn: Callable[[Any], Any] | None = _dotted(option("REFERENCE"), "REFERENCE")
    return user_reference(str(user.pk) if fn is None else fn(user))


def config() -> Config:
    """The framework-neutral :class:`ekyc.integrations.Config` of ``settings.EKYC``; its ``prefix`` is where the
    app's URLs are included (``path("kyc/", include("ekyc.integrations.django.urls"))`` → ``/kyc``)."""
    status = reverse("ekyc:status")
    prefix = status[: -len(PATHS["status"])] if status.endswith(PATHS["status"]) else None
    if prefix is None:  # pragma: no cover - urls.py names the paths after PATHS
        raise ConfigurationError("the ekyc URLs must be included as a whole", field="urls")
    fields = {key.lower(): options()[key] for key in CONFIG_KEYS if options().get(key) is not None}
    if "login_url" not in fields:
        login = resolve_url(settings.LOGIN_URL) if settings.LOGIN_URL else None
        fields["login_url"] = login if isinstance(login, str) and login.startswith("/") else None
    elif fields["login_url"] == "":
        fields["login_url"] = None
    if isinstance(fields.get("allowed_origins"), list):
        fields["allowed_origins"] = tuple(fields["allowed_origins"])
    try:
        return Config(prefix=prefix, **fields)
    except ConfigurationError as exc:
        raise ConfigurationError(f'settings.EKYC: {exc}', field=f"EKYC.{(exc.field or '').upper()}") from None


class _Holder:
    """One ledger (and its client) per process and database URL, built on first use under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ledger: Ledger | None = None
        self.client: Client | None = None
        self.url: str | None = None

    def get(self) -> Ledger:
        url = ledger_url()
        with self.lock:
            if self.ledger is None or self.url != url:
                self._close()
                policy = option("POLICY")
                if policy is not None and not isinstance(policy, Policy):
                    raise ConfigurationError('EKYC["POLICY"] must be an ekyc.ledger.Policy', field="EKYC.POLICY")
                client = make_client()
                try:
                    self.ledger = Ledger(url, client, key=option("LEDGER_KEY"), policy=policy)
                except Exception:
                    client.close()
                    raise
                self.client, self.url = client, url
            return self.ledger

    def _close(self) -> None:
        if self.ledger is not None:
            self.ledger.close()
        if self.client is not None:
            self.client.close()
        self.ledger, self.client, self.url = None, None, None

    def reset(self) -> None:
        with self.lock:
            self._close()


_holder = _Holder()


def get_ledger() -> Ledger:
    """The process's :class:`~ekyc.ledger.Ledger` on ``EKYC["DATABASE"]`` with ``EKYC["CLIENT"]``'s client (sync:
    the app's views are sync views over the blocking ledger, which is thread-safe)."""
    return _holder.get()


def reset(**kwargs: Any) -> None:
    """Forget the ledger (closing it): the next :func:`get_ledger` builds a new one. Called when ``EKYC`` or
    ``DATABASES`` change (``override_settings`` in tests)."""
    if kwargs.get("setting") in (None, SETTING, "DATABASES"):
        _holder.reset()


setting_changed.connect(reset, dispatch_uid="ekyc.integrations.django.conf.reset")


def migrate_ledger(alias: str) -> str | None:
    """Create or upgrade the ledger's tables (its own Alembic migrations) on Django database ``alias`` when it is
    the ledger's (``EKYC["DATABASE"]``); returns the revision now in force, None for another alias. Needs no
    provider settings and no key."""
    if alias != database_alias():
        return None
    engine = make_engine(ledger_url(alias))
    try:
        with engine.begin() as conn:
            upgrade(conn)
            return current_revision(conn) or ""
    except EkycError:
        raise
    except Exception as exc:
        raise LedgerError(f"migrating the ledger's tables failed ({type(exc).__name__})") from None
    finally:
        engine.dispose()
