"""Routing: rules, weighted split, capability-aware choice, fallback on create, cooldown, switching."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ekyc import Client, ConfigurationError, DocumentType, ProviderUnavailable, RateLimited, SessionRequest, registry
from ekyc.models import ALL_CHECKS, Check
from ekyc.provider import Capabilities, RetryMode
from ekyc.sandbox import Sandbox
from tests.support.echo import make_echo

LIMITED = Capabilities(
    check_sets=frozenset({frozenset(ALL_CHECKS), frozenset({Check.LIVENESS})}),
    document_types=frozenset({DocumentType.ID_CARD}), reference_image=False, expected_identity=False,
    contact_email=False, return_url_required=False, client_metadata_required=False,
    create_retry=RetryMode.NOT_SENT, webhooks="none", countries=frozenset({"CHN", "HKG"}),
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    for name, caps in (("alpha", None), ("beta", None), ("gamma", LIMITED)):
        registry.register(name, make_echo(name, caps) if caps else make_echo(name))
    try:
        yield Sandbox(["alpha", "beta", "gamma"])
    finally:
        for name in ("alpha", "beta", "gamma"):
            registry.unregister(name)


def client(sandbox: Sandbox, routing: dict[str, Any], **kw: Any) -> Client:
    return sandbox.client({"provider": kw.pop("provider", "alpha"), "routing": routing, "env": "sandbox"},
                          **{"sleep": lambda s: None, **kw})


def test_rules_route_by_country_and_document_type(sandbox: Sandbox) -> None:
    c = client(sandbox, {"rules": [
        {"name": "china", "provider": "gamma", "country": ["CN", "HK"]},
        {"name": "licences", "provider": "beta", "document_types": ["DRIVERS_LICENSE"]},
    ]})
    assert c.create_session(reference="u1", country="CHN", document_types=["ID_CARD"]).provider == "gamma"
    assert c.create_session(reference="u2", document_types=["DRIVERS_LICENSE"]).provider == "beta"
    assert c.create_session(reference="u3", country="DEU").provider == "alpha"


def test_a_rule_never_sends_a_request_its_provider_cannot_honour(sandbox: Sandbox) -> None:
    c = client(sandbox, {"rules": [{"name": "china", "provider": "gamma", "country": "CHN"}]})
    route = c.explain_route(reference="u1", country="CHN", document_types=["PASSPORT"])
    assert route.provider == "alpha" and route.rule is None
    assert "PASSPORT" in route.skipped["gamma (rule china)"]
    ok = c.explain_route(reference="u1", country="CHN", document_types=["ID_CARD"])
    assert (ok.provider, ok.rule, ok.reason) == ("gamma", "china", "rule china")


def test_weighted_split_is_within_two_percent_and_stable(sandbox: Sandbox) -> None:
    c = client(sandbox, {"rules": [{"name": "ab", "split": {"alpha": 80, "beta": 20}}]})
    picks = {f"user-{i}": c.explain_route(reference=f"user-{i}").provider for i in range(10_000)}
    counts = Counter(picks.values())
    assert abs(counts["alpha"] / 10_000 - 0.8) <= 0.02
    assert abs(counts["beta"] / 10_000 - 0.2) <= 0.02
    again = client(sandbox, {"rules": [{"name": "ab", "split": {"alpha": 80, "beta": 20}}]})
    assert all(again.explain_route(reference=r).provider == p for r, p in list(picks.items())[:500])


@pytest.mark.parametrize("fault", ["connect", "429"])
def test_create_falls_back_when_the_provider_is_unavailable(sandbox: Sandbox, fault: str) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    c = client(sandbox, {"fallback": ["beta"]}, hooks=[lambda n, f: events.append((n, f))])
    sandbox.set_fault("alpha", fault)
    session = c.create_session(reference="u1")
    assert session.provider == "beta"
    assert ("fallback", "alpha") in [(n, f.get("provider")) for n, f in events]
    sandbox.set_fault("alpha", None)
    assert c.get_result(session.ref).outcome.value == "PENDING"


def test_cooldown_engages_and_expires_on_the_sandbox_clock(sandbox: Sandbox) -> None:
    c = client(sandbox, {"fallback": ["beta"], "cooldown": {"failures": 2, "seconds": 60}})
    sandbox.set_fault("alpha", "connect")
    for i in range(2):
        assert c.create_session(reference=f"u{i}").provider == "beta"
    route = c.explain_route(reference="u9")
    assert route.provider == "beta" and "cooling down" in route.skipped["alpha (default)"]
    sandbox.set_fault("alpha", None)
    assert c.create_session(reference="u10").provider == "beta"  # still cooling
    sandbox.clock.advance(61)
    assert c.create_session(reference="u11").provider == "alpha"  # tried again after the cooldown


def test_no_fallback_for_errors_that_may_have_created_a_session(sandbox: Sandbox) -> None:
    c = client(sandbox, {"fallback": ["beta"]})
    before = len(list(sandbox.emulators["beta"].store.values()))
    sandbox.set_fault("alpha", "503")
    # a 503 may come after the provider processed the create (alpha does not de-duplicate): never re-routed
    with pytest.raises(ProviderUnavailable) as unavailable:
        c.create_session(reference="u1")
    assert unavailable.value.http_status == 503 and unavailable.value.sent is True
    sandbox.set_fault("alpha", None)
    # a bad request is the caller's problem, not the provider's: never sent elsewhere
    c.adapter("alpha").settings = c.adapter("alpha").settings_model(api_key="wrong", endpoint=sandbox.base_url)  # type: ignore[attr-defined]
    with pytest.raises(Exception) as info:
        c.create_session(reference="u2")
    assert not isinstance(info.value, (ProviderUnavailable, RateLimited))
    assert len(list(sandbox.emulators["beta"].store.values())) == before


def test_never_falls_back_twice(sandbox: Sandbox) -> None:
    c = client(sandbox, {"fallback": ["beta", "gamma"]})
    sandbox.set_fault("alpha", "connect")
    sandbox.set_fault("beta", "connect")
    with pytest.raises(ProviderUnavailable) as info:
        c.create_session(reference="u1", document_types=["ID_CARD"], country="CHN")
    assert info.value.provider == "beta"
    assert not list(sandbox.emulators["gamma"].store.values())


def test_override_bypasses_rules(sandbox: Sandbox) -> None:
    c = client(sandbox, {"rules": [{"provider": "beta", "country": "DEU"}]})
    assert c.create_session(reference="u", country="DEU", provider="alpha").provider == "alpha"


def test_switching_default_keeps_old_sessions_resolving(sandbox: Sandbox) -> None:
    old = client(sandbox, {}, provider="alpha")
    session = old.create_session(reference="u1")
    sandbox.complete(session, "approved")
    stored = session.ref.serialize()
    new = client(sandbox, {}, provider="beta")
    assert new.create_session(reference="u2").provider == "beta"
    assert new.get_result(stored).approved  # resolved on alpha, whatever the default


def test_custom_predicate_in_code(sandbox: Sandbox) -> None:
    c = client(sandbox, {"rules": [{"name": "vip", "provider": "beta", "predicate": "vip"}]},
               predicates={"vip": lambda r: r.metadata.get("tier") == "vip"})
    assert c.create_session(reference="u", metadata={"tier": "vip"}).provider == "beta"
    assert c.create_session(reference="v").provider == "alpha"


@pytest.mark.parametrize(
    ("routing", "field"),
    [
        ({"fallback": ["nope"]}, "routing.fallback.0"),
        ({"rules": [{"provider": "nope"}]}, "routing.rules.0"),
        ({"rules": [{"split": {"alpha": 0, "beta": 1}}]}, "routing.rules.0.split"),
        ({"rules": [{"split": {"alpha": -5}}]}, "routing.rules.0.split"),
        ({"rules": [{"provider": "gamma", "document_types": ["PASSPORT"]}]}, "routing.rules.0"),
        ({"rules": [{"provider": "gamma", "country": ["DEU"]}]}, "routing.rules.0"),
        ({"rules": [{"provider": "gamma", "checks": ["document"]}]}, "routing.rules.0"),
        ({"rules": [{"provider": "alpha", "split": {"beta": 1}}]}, "routing.rules.0"),
        ({"rules": [{"provider": "alpha", "country": "Atlantis"}]}, "routing.rules.0.country"),
        ({"rules": [{"provider": "alpha", "predicate": "no.such.module:fn"}]}, "routing.rules"),
    ],
)
def test_invalid_routing_is_a_configuration_error(sandbox: Sandbox, routing: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        client(sandbox, routing)
    assert info.value.field == field


def test_routing_from_environment(sandbox: Sandbox) -> None:
    from ekyc.settings import Settings

    s = Settings.from_env({"EKYC_ENV": "sandbox", "EKYC_PROVIDER": "alpha", "EKYC_ROUTING_FALLBACK": "beta",
                           "EKYC_ROUTING_SPLIT": "alpha:3,beta:1", "EKYC_ROUTING_COOLDOWN_SECONDS": "5"})
    cfg = s.routing_config
    assert cfg.fallback == ("beta",) and cfg.cooldown.seconds == 5
    assert cfg.rules[0].split == {"alpha": 3.0, "beta": 1.0}
    c = sandbox.client(s)
    assert c.explain_route(SessionRequest(reference="x")).provider in {"alpha", "beta"}
