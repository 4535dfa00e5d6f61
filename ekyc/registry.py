"""The provider registry: built-in providers plus the ``ekyc.providers`` entry-point group.

Providers are named by ``"module:Class"`` strings and imported on first use, so ``import ekyc`` loads
no provider (and no vendor code). A name is looked up in the run-time registrations, then the built-in
providers, then the entry points: a built-in name never scans the installed packages' metadata (about a
millisecond of a cold start), and an installed package cannot take over a built-in provider's name.
"""

from __future__ import annotations

import importlib
from functools import cache, lru_cache

from .errors import ConfigurationError
from .provider import Provider
from .providers import BUILTIN

ENTRY_POINT_GROUP = "ekyc.providers"
_extra: dict[str, str | type[Provider]] = {}


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def register(name: str, provider: str | type[Provider]) -> None:
    """Register a provider class (or ``"module:Class"``) under ``name`` at run time."""
    _extra[name] = provider
    load.cache_clear()


def unregister(name: str) -> None:
    """Remove a run-time registration (built-in and entry-point providers stay)."""
    _extra.pop(name, None)
    load.cache_clear()


def names() -> tuple[str, ...]:
    """Every registered provider name: built-in first, then entry points and run-time registrations."""
    seen = dict.fromkeys([*BUILTIN, *_entry_points(), *_extra])
    return tuple(seen)


def known(name: str) -> bool:
    """Whether a provider is registered as ``name`` (:func:`names` holds it), scanning the installed packages'
    entry points only for a name that is neither registered at run time nor built in."""
    return name in _extra or name in BUILTIN or name in _entry_points()


@cache
def load(name: str) -> type[Provider]:
    """The provider class registered as ``name`` (imported now)."""
    target = _extra.get(name) or BUILTIN.get(name) or _entry_points().get(name)
    if target is None:
        raise ConfigurationError(
            f"unknown provider {name!r}; known: {', '.join(names())}", field="provider"
        )
    if isinstance(target, type):
        return target
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"provider {name!r} ({target}) cannot be loaded: {exc}", field="provider") from exc
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigurationError(f"{target} is not an ekyc Provider", field="provider")
    if cls.name != name:
        raise ConfigurationError(f"{target} is registered as {name!r} but names itself {cls.name!r}")
    return cls
