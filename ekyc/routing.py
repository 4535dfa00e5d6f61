"""Config-driven provider choice: rules, a weighted split, fallback on create, and a cooldown.

Configuration lives under ``routing`` in the same settings as everything else (arguments, mapping, TOML,
environment). Rules are tried in order; the first that matches the request *and* whose provider can honour
it wins (a rule whose provider cannot is skipped, and :meth:`Router.explain` says why). Without a match the
default provider is used. A create that fails provider-side moves once to the next provider of the fallback
chain only when no attempt of it can have started a session (every attempt was refused unprocessed or never
left), or when the provider de-duplicates creates; a provider that fails repeatedly is skipped for a cooldown
measured on the client's clock (the sandbox clock in sandbox mode).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, EkycError, ProviderUnavailable, RateLimited, UnsupportedFeature
from .models import SessionRequest
from .provider import RetryMode

if TYPE_CHECKING:  # at run time through __getattr__ below
    from ._routing_config import Cooldown as Cooldown
    from ._routing_config import RoutingConfig as RoutingConfig
    from ._routing_config import Rule as Rule
    from ._routing_config import load_routing as load_routing

Predicate = Callable[[SessionRequest], bool]
FALLBACK_STATUSES = frozenset({502, 503, 504})
#: the settings models, imported on first use (PEP 562): a client without routing settings never builds them
_CONFIG_NAMES = frozenset({"Cooldown", "Rule", "RoutingConfig", "load_routing"})


def __getattr__(name: str) -> Any:
    if name in _CONFIG_NAMES:
        from . import _routing_config

        return getattr(_routing_config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def routing_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Routing settings from ``EKYC_ROUTING_*`` variables (rules as JSON in ``EKYC_ROUTING_RULES``)."""
    out: dict[str, Any] = {}
    if env.get("EKYC_ROUTING_RULES"):
        try:
            out["rules"] = json.loads(env["EKYC_ROUTING_RULES"])
        except ValueError:
            raise ConfigurationError("EKYC_ROUTING_RULES is not valid JSON", field="routing.rules") from None
    if env.get("EKYC_ROUTING_FALLBACK"):
        out["fallback"] = env["EKYC_ROUTING_FALLBACK"]
    if env.get("EKYC_ROUTING_SPLIT"):
        split: dict[str, str] = {}
        for part in env["EKYC_ROUTING_SPLIT"].split(","):
            name, _, weight = part.partition(":")
            split[name.strip()] = weight.strip()
        out.setdefault("rules", []).append({"name": "split", "split": split})
    cooldown = {k: env[f"EKYC_ROUTING_COOLDOWN_{k.upper()}"] for k in ("failures", "seconds")
                if env.get(f"EKYC_ROUTING_COOLDOWN_{k.upper()}")}
    if cooldown:
        out["cooldown"] = cooldown
    return out


@dataclass(frozen=True)
class Route:
    """Where a request goes and why: the chosen provider, the rule (None: default or override), the ordered
    fallbacks, and every provider or rule that was skipped with the reason."""

    provider: str
    rule: str | None
    reason: str
    fallbacks: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)


def provider_side(error: EkycError) -> bool:
    """Whether ``error`` is the provider's failure (counts towards a cooldown), not the caller's or an answer."""
    return isinstance(error, (RateLimited, ProviderUnavailable))


def may_fall_back(error: EkycError, retry: RetryMode, processed: bool) -> bool:
    """Whether a failed create may be sent to another provider without leaving the user two live sessions.

    ``processed`` is whether any of the call's attempts may have been processed by the provider
    (:class:`ekyc._retry.Attempts`). Only a provider-side failure qualifies, and only when no attempt can have
    started a session (every one never left, or was refused unprocessed with 429). ``retry`` does not widen
    this: a provider that de-duplicates creates (``IDEMPOTENT``) makes a *repeat at the same provider* safe,
    but a session it may have started stays live while the fallback starts a second one elsewhere — so a
    502/503/504 or a timeout after the request left is raised, never re-routed, whatever the retry mode.
    """
    del retry  # kept in the signature: the rule is the same for every mode (see above)
    return provider_side(error) and not processed


class Router:
    """Chooses providers for creates and tracks provider health (thread-safe)."""

    def __init__(
        self,
        config: RoutingConfig | None,
        *,
        default: Callable[[], str],
        available: Sequence[str],
        check: Callable[[str, SessionRequest], None],
        clock: Callable[[], float],
        predicates: Mapping[str, Predicate] | None = None,
    ) -> None:
        self._config = config
        self._rules: tuple[Rule, ...] = config.rules if config is not None else ()
        self._fallback: tuple[str, ...] = config.fallback if config is not None else ()
        self._default = default
        self._available = tuple(available)
        self._check = check
        self._clock = clock
        self._predicates = dict(predicates or {})
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._cooling_until: dict[str, float] = {}
        for name in config.providers() if config is not None else ():
            if name not in self._available:
                raise ConfigurationError(f"routing names {name!r}, which is not configured; add a "
                                         f"[providers.{name}] section or its EKYC_{name.upper()}_* variables",
                                         field="routing")
        for rule in self._rules:
            if rule.predicate:
                self._predicate(rule.predicate)

    @property
    def config(self) -> RoutingConfig:
        """The routing settings; without any, an empty :class:`RoutingConfig` (the defaults), built on first
        use — routing to the default provider needs none of it."""
        if self._config is None:
            from ._routing_config import RoutingConfig

            self._config = RoutingConfig()
        return self._config

    # -- health ------------------------------------------------------------------------------------
    def cooling(self, provider: str) -> float | None:
        """When ``provider``'s cooldown ends, or None when it is available."""
        with self._lock:
            until = self._cooling_until.get(provider)
            if until is not None and self._clock() >= until:
                del self._cooling_until[provider]
                self._failures.pop(provider, None)
                return None
            return until

    def record(self, provider: str, error: EkycError | None) -> float | None:
        """Count a provider-side failure (or reset on success); returns the cooldown end when one starts."""
        with self._lock:
            if error is None or not provider_side(error):
                self._failures.pop(provider, None)
                return None
            count = self._failures.get(provider, 0) + 1
            self._failures[provider] = count
            if count >= self.config.cooldown.failures:
                until = self._clock() + self.config.cooldown.seconds
                self._cooling_until[provider] = until
                self._failures[provider] = 0
                return until
            return None

    # -- choice ------------------------------------------------------------------------------------
    def route(self, request: SessionRequest, override: str | None = None) -> Route:
        """The provider for ``request`` (an ``override`` bypasses rules, fallback and cooldown)."""
        if override is not None:
            self._check(override, request)
            return Route(override, None, "override")
        skipped: dict[str, str] = {}
        fields: set[str | None] = set()  # the request fields the skipped candidates objected to
        for rule in self._rules:
            if not self._matches(rule, request):
                continue
            target = rule.provider or self._split(rule, request.reference)
            problem = self._problem(target, request)
            if problem is None:
                return Route(target, rule.label, f"rule {rule.label}",
                             self._fallbacks(target, request, skipped), skipped)
            skipped[f"{target} (rule {rule.label})"] = problem.message
            fields.add(problem.field)
        default = self._default()
        problem = self._problem(default, request)
        if problem is None:
            return Route(default, None, "default", self._fallbacks(default, request, skipped), skipped)
        skipped[f"{default} (default)"] = problem.message
        fields.add(problem.field)
        for name in self._fallback:
            if name != default and self._unusable(name, request) is None:
                return Route(name, None, "fallback (default unusable)",
                             self._fallbacks(name, request, skipped), skipped)
        details = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        # one field every candidate objected to is the caller's to fix: name it (e.g. client_metadata)
        field = fields.pop() if len(fields) == 1 and None not in fields else "provider"
        raise UnsupportedFeature(f"no provider can take this request ({details})", field=field)

    def _fallbacks(self, chosen: str, request: SessionRequest, skipped: dict[str, str]) -> tuple[str, ...]:
        out = []
        for name in self._fallback:
            if name == chosen or name in out:
                continue
            why = self._unusable(name, request)
            if why is None:
                out.append(name)
            else:
                skipped.setdefault(f"{name} (fallback)", why)
        return tuple(out)

    def _unusable(self, provider: str, request: SessionRequest) -> str | None:
        problem = self._problem(provider, request)
        return None if problem is None else problem.message

    def _problem(self, provider: str, request: SessionRequest) -> EkycError | None:
        until = self.cooling(provider)
        if until is not None:
            return UnsupportedFeature(f"cooling down for {max(0.0, until - self._clock()):.0f}s after repeated "
                                      "failures", field="provider")
        try:
            self._check(provider, request)
        except (UnsupportedFeature, ConfigurationError) as exc:
            return exc
        return None

    def _matches(self, rule: Rule, request: SessionRequest) -> bool:
        if rule.country and request.country not in rule.country:
            return False
        if rule.document_types and not set(request.document_types) & set(rule.document_types):
            return False
        if rule.checks and frozenset(rule.checks) != request.checks:
            return False
        if rule.language:
            lang = (request.language or "").lower()
            if not any(lang == w.lower() or lang.split("-")[0] == w.lower() for w in rule.language):
                return False
        return not (rule.predicate and not self._predicate(rule.predicate)(request))

    def _split(self, rule: Rule, reference: str) -> str:
        weights = rule.split or {}
        total = sum(weights.values())
        digest = hashlib.sha256(f"{self.config.salt}:{rule.label}:{reference}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * total
        for name, weight in weights.items():
            if point < weight:
                return name
            point -= weight
        return next(reversed(weights))

    def _predicate(self, name: str) -> Predicate:
        if name in self._predicates:
            return self._predicates[name]
        module, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr) if attr else None
        except (ImportError, AttributeError):
            fn = None
        if not callable(fn):
            raise ConfigurationError(f"routing predicate {name!r} is neither given to the client nor importable",
                                     field="routing.rules")
        self._predicates[name] = fn
        return fn  # type: ignore[no-any-return]
