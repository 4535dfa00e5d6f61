"""The ``routing`` settings as validated models: rules, the fallback chain, the cooldown and the split salt.

Only a client whose settings configure routing loads this module (:func:`load_routing` validates them); a
client without routing settings never builds these models (a :class:`~ekyc.routing.Router` without a
configuration routes to the default provider and builds an empty :class:`RoutingConfig` only when asked for
one). Import the names from :mod:`ekyc.routing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .countries import to_alpha3
from .errors import ConfigurationError
from .models import Check, DocumentType
from .provider import Capabilities


class Rule(BaseModel):
    """One routing rule: conditions (all that are given must hold) → a provider or a weighted split."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str | None = None
    provider: str | None = None
    split: dict[str, float] | None = Field(default=None, description="provider → weight (> 0)")
    country: tuple[str, ...] = ()
    document_types: tuple[DocumentType, ...] = ()
    checks: tuple[Check, ...] = ()
    language: tuple[str, ...] = ()
    predicate: str | None = Field(default=None, description="a name given to the client, or 'module:function'")

    @field_validator("country", "language", "document_types", "checks", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("country")
    @classmethod
    def _countries(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for c in v:
            a3 = to_alpha3(c)
            if a3 is None:
                raise ValueError(f"{c!r} is not an ISO 3166 country code")
            out.append(a3)
        return tuple(out)

    @field_validator("split")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None:
            if not v:
                raise ValueError("a split needs at least one provider")
            for name, weight in v.items():
                if not weight > 0:
                    raise ValueError(f"the weight of {name!r} must be positive")
        return v

    @model_validator(mode="after")
    def _target(self) -> Rule:
        if (self.provider is None) == (self.split is None):
            raise ValueError("a rule names exactly one of 'provider' or 'split'")
        return self

    @property
    def label(self) -> str:
        """How events and explanations name the rule."""
        return self.name or (self.provider or "split")

    def targets(self) -> tuple[str, ...]:
        """Every provider the rule can send to."""
        return (self.provider,) if self.provider else tuple(self.split or {})


class Cooldown(BaseModel):
    """Skip a provider for ``seconds`` after ``failures`` consecutive provider-side failures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    failures: int = Field(default=3, ge=1)
    seconds: float = Field(default=60.0, gt=0)


class RoutingConfig(BaseModel):
    """The ``routing`` settings."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    rules: tuple[Rule, ...] = ()
    fallback: tuple[str, ...] = Field(default=(), description="providers tried, in order, when a create fails")
    cooldown: Cooldown = Cooldown()
    salt: str = Field(default="ekyc", description="changes every split assignment when changed")

    @field_validator("fallback", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [p.strip() for p in v.split(",") if p.strip()] if isinstance(v, str) else v

    def providers(self) -> set[str]:
        """Every provider the routing names."""
        names = set(self.fallback)
        for rule in self.rules:
            names.update(rule.targets())
        return names


def load_routing(data: Mapping[str, Any], known: Sequence[str],
                 capabilities: Callable[[str], Capabilities]) -> RoutingConfig:
    """Validate routing settings: unknown providers, non-positive weights and rules that can never be
    honoured by their provider are :class:`ConfigurationError` naming the setting."""
    try:
        config = RoutingConfig(**dict(data))
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        path = ".".join(str(p) for p in ("routing", *first["loc"]))
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"setting {path}: {msg}", field=path) from None
    for i, name in enumerate(config.fallback):
        if name not in known:
            raise ConfigurationError(f"routing.fallback names unknown provider {name!r}", field=f"routing.fallback.{i}")
    for i, rule in enumerate(config.rules):
        where = f"routing.rules.{i}"
        for target in rule.targets():
            if target not in known:
                raise ConfigurationError(f"{where} ({rule.label}) names unknown provider {target!r}", field=where)
            problem = _never_honoured(rule, capabilities(target))
            if problem:
                raise ConfigurationError(f"{where} ({rule.label}) can never match {target}: {problem}", field=where)
    return config


def _never_honoured(rule: Rule, caps: Capabilities) -> str | None:
    if rule.document_types and not set(rule.document_types) & caps.document_types:
        return "it supports none of " + ", ".join(d.value for d in rule.document_types)
    if rule.checks and frozenset(rule.checks) not in caps.check_sets:
        return "it does not offer the checks " + "+".join(sorted(c.value for c in rule.checks))
    if rule.country and caps.countries is not None and not set(rule.country) & caps.countries:
        return "it serves none of " + ", ".join(rule.country)
    return None
