"""What reaches the app from outside — return URLs and webhooks/callbacks — for every registered provider.

Each provider's real redirect and real deliveries come from its emulator (a session completed on the hosted
page); the kit then checks them generically:

- the redirect names the session, binds to the stored ref, and refuses another session's stored ref;
  mutated and random return URLs raise only typed errors and never bind to a session they do not name;
- each delivery verifies and names its session; a decision rides on an event only when the whole payload
  was authenticated;
- tampered deliveries (bytes changed across the body, headers dropped or changed) fail verification, or verify
  only as far as the provider signs (never as a fully signed payload, never with a decision, never with another
  session or status when the envelope is signed); a delivery checked with other secrets never verifies; a
  signed timestamp a day old (or ahead) is refused;
- random bodies and headers raise only typed errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from ekyc import Client, EkycError, registry
from ekyc.errors import SessionMismatch
from ekyc.models import Session, WebhookEvent
from ekyc.sandbox import Sandbox
from ekyc.sandbox.emulator import Delivery
from ekyc.sandbox.runner import scenario_request, webhook_body

HOOK_URL = "https://app.example/hooks/ekyc"
DAY = 24 * 3600.0
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass
class Finished:
    """A session completed on the hosted page: the redirect and the deliveries it caused."""

    session: Session
    redirect: str
    deliveries: list[Delivery]


def finish(client: Client, sandbox: Sandbox, provider: str, scenario: str = "approved",
           reference: str | None = None) -> Finished:
    sandbox.emulators[provider].use_webhook_url(HOOK_URL)  # providers that deliver only when asked (Tencent)
    session = client.create_session(scenario_request(provider, scenario, reference), provider=provider)
    redirect = sandbox.complete(session, scenario)
    return Finished(session, redirect, sandbox.deliveries(provider, session_id=session.ref.id))


@pytest.fixture
def done(client: Client, sandbox: Sandbox, provider: str) -> Finished:
    return finish(client, sandbox, provider)


def _verify(client: Client, provider: str, delivery: Delivery, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> WebhookEvent:
    return client.parse_webhook(webhook_body(delivery) if body is None else body,
                                dict(delivery.headers) if headers is None else headers, provider)


# ---------------------------------------------------------------------------------------------------
# Return URLs


def test_the_redirect_binds_to_the_stored_ref_only(client: Client, sandbox: Sandbox, provider: str,
                                                   done: Finished) -> None:
    stored = done.session.ref.serialize()
    assert client.parse_return_url(done.redirect, provider).id == done.session.ref.id
    assert client.parse_return_url(done.redirect, expected=stored) == done.session.ref
    other = finish(client, sandbox, provider, reference="someone-else")
    with pytest.raises(SessionMismatch):
        client.parse_return_url(done.redirect, expected=other.session.ref.serialize())
    with pytest.raises(SessionMismatch):
        client.parse_return_url(other.redirect, expected=stored)


def _mutations(url: str) -> Iterator[tuple[str, str]]:
    """Hand-made variants of a real redirect: each query parameter dropped, emptied, doubled with another
    value, its value changed; the whole query dropped; the fragment and path changed."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)

    def with_query(items: list[tuple[str, str]]) -> str:
        return urlunsplit(parts._replace(query=urlencode(items)))

    for i, (key, value) in enumerate(query):
        rest = query[:i] + query[i + 1:]
        yield f"drop {key}", with_query(rest)
        yield f"empty {key}", with_query([*rest, (key, "")])
        yield f"double {key}", with_query([*query, (key, value + "x")])
        yield f"double {key} first", with_query([(key, value[::-1] or "x"), *query])
        yield f"change {key}", with_query([*rest, (key, (value[:-1] + ("0" if value[-1:] != "0" else "1")))])
        yield f"case of {key}", with_query([*rest, (key.upper() if key != key.upper() else key.lower(), value)])
    yield "no query", urlunsplit(parts._replace(query=""))
    yield "fragment", url + "#x=1"
    yield "other path", urlunsplit(parts._replace(path=parts.path + "/../evil"))


def test_mutated_redirects_never_bind_to_the_stored_session(client: Client, provider: str,
                                                            done: Finished) -> None:
    stored = done.session.ref.serialize()
    for name, url in _mutations(done.redirect):
        try:
            ref = client.parse_return_url(url, expected=stored)
        except EkycError:
            continue
        # accepted: then it still names exactly the stored session (what the URL says is a hint only)
        assert ref == done.session.ref, f"{name}: bound {url!r} to {ref!r}"
        assert client.parse_return_url(url, provider).id == done.session.ref.id, name


@FUZZ
@given(url=st.text(max_size=200), query=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)),
                                                 max_size=4))
def test_fuzzed_return_urls_raise_only_typed_errors(client: Client, provider: str, url: str,
                                                    query: list[tuple[str, str]]) -> None:
    for text in (url, "https://app.example/back?" + url, "https://app.example/back?" + urlencode(query)):
        with contextlib.suppress(EkycError):  # typed errors are fine; anything else fails the test
            client.parse_return_url(text, provider)


# ---------------------------------------------------------------------------------------------------
# Webhooks and callbacks


def _needs_deliveries(done: Finished, provider: str) -> None:
    if not done.deliveries:
        assert registry.load(provider).capabilities.webhooks == "none", (
            f"{provider} declares webhooks ({registry.load(provider).capabilities.webhooks!r}) but its emulator "
            "delivered nothing for a finished session")
        pytest.skip(f"{provider} has no webhooks (capabilities.webhooks == 'none')")


def test_each_delivery_verifies_and_names_its_session(client: Client, provider: str, done: Finished) -> None:
    _needs_deliveries(done, provider)
    for delivery in done.deliveries:
        event = _verify(client, provider, delivery)
        assert event.provider == provider
        assert event.ref is not None and event.ref.id == done.session.ref.id
        assert event.verified_by
        if event.decision is not None:
            assert event.authenticated == "payload", "a decision rides only on a fully signed payload"
            assert event.decision.ref.id == done.session.ref.id


def _flips(body: bytes) -> Iterator[tuple[int, bytes]]:
    """One changed byte at ~40 positions spread over the body (every position of a short one)."""
    step = max(1, len(body) // 40)
    for i in range(0, len(body), step):
        old = body[i]
        new = old ^ 0x01 if chr(old).isalnum() else ord("0") if old != ord("0") else ord("1")
        yield i, body[:i] + bytes([new]) + body[i + 1:]


def test_tampered_deliveries_fail_or_carry_no_decision(client: Client, provider: str, done: Finished) -> None:
    _needs_deliveries(done, provider)
    for delivery in done.deliveries:
        genuine = _verify(client, provider, delivery)
        body = webhook_body(delivery)
        variants: list[tuple[str, bytes, dict[str, str]]] = [
            (f"byte {i} changed", flipped, dict(delivery.headers)) for i, flipped in _flips(body)]
        variants += [(f"header {name} dropped", body, {k: v for k, v in delivery.headers.items() if k != name})
                     for name in delivery.headers]
        variants += [(f"header {name} changed", body, {**delivery.headers, name: _changed(value)})
                     for name, value in delivery.headers.items()]
        variants.append(("no headers", body, {}))
        for what, tampered, headers in variants:
            try:
                event = _verify(client, provider, delivery, tampered, headers)
            except EkycError:
                continue
            if tampered == body:  # headers only: a signature the provider sends in several forms may go
                same = event.model_dump(exclude={"verified_by", "authenticated", "decision"})
                assert same == genuine.model_dump(exclude={"verified_by", "authenticated", "decision"}), what
                assert event.decision is None or event.authenticated == "payload", what
                continue
            assert event.authenticated != "payload", f"{what}: a changed payload verified as fully signed"
            assert event.decision is None, f"{what}: a tampered delivery carried a decision"
            if event.authenticated == "envelope":  # identifiers and status are signed: they cannot change
                assert event.ref == genuine.ref and event.provider_status == genuine.provider_status, what


def _changed(value: str) -> str:
    return value[:-1] + ("0" if value[-1:] != "0" else "1") if value else "x"


def _other_secrets(provider: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with every secret-valued field (keys, tokens, webhook secrets) replaced."""
    model = registry.load(provider).settings_model
    out = dict(settings)
    for name, info in model.model_fields.items():
        if name in out and SecretStr in _types(info.annotation):
            value = out[name]
            out[name] = [f"other-{v}" for v in value] if isinstance(value, (list, tuple)) else f"other-{value}"
    return out


def _types(annotation: Any) -> set[Any]:
    found = {annotation}
    for arg in getattr(annotation, "__args__", ()) or ():
        found |= _types(arg)
    return found


def test_deliveries_checked_with_other_secrets_never_verify(sandbox: Sandbox, provider: str,
                                                            done: Finished) -> None:
    _needs_deliveries(done, provider)
    forged = _other_secrets(provider, sandbox.client_settings(provider))
    with sandbox.client({"env": "sandbox", "providers": {provider: forged}}) as other:
        for delivery in done.deliveries:
            with pytest.raises(EkycError):
                _verify(other, provider, delivery)


def test_a_signed_timestamp_a_day_old_is_refused(client: Client, sandbox: Sandbox, provider: str,
                                                 done: Finished) -> None:
    _needs_deliveries(done, provider)
    events = [_verify(client, provider, d) for d in done.deliveries]
    timed = [(d, e) for d, e in zip(done.deliveries, events, strict=True)
             if e.occurred_at is not None and e.authenticated in ("payload", "envelope")]
    if not timed:
        pytest.skip(f"{provider}'s deliveries carry no signed timestamp (authenticated by "
                    f"{sorted({e.authenticated for e in events})}): staleness cannot be told")
    for shift in (DAY, -DAY):
        sandbox.clock.advance(shift)
        try:
            for delivery, _ in timed:
                with pytest.raises(EkycError):
                    _verify(client, provider, delivery)
        finally:
            sandbox.clock.advance(-shift)


@FUZZ
@given(body=st.binary(max_size=300), headers=st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=4))
def test_fuzzed_webhooks_raise_only_typed_errors(client: Client, provider: str, body: bytes,
                                                 headers: dict[str, str]) -> None:
    with contextlib.suppress(EkycError):  # typed errors are fine; anything else fails the test
        client.parse_webhook(body, headers, provider)
