"""One user is never approved by another user's verification, and one create never leaves two live sessions —
for every registered provider, asked of the sandbox's own records."""

from __future__ import annotations

import pytest

from ekyc import EkycError, Outcome, registry
from ekyc.errors import SessionMismatch
from ekyc.models import SessionRef
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import run_scenario, scenario_request, webhook_body
from ekyc.testing import providers

PROVIDERS = providers()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_another_users_approved_session_never_approves_the_signed_in_user(provider: str) -> None:
    sandbox = Sandbox([provider])
    with sandbox.client() as client:
        alice = client.create_session(scenario_request(provider, "approved", reference="alice"), provider=provider)
        bob = client.create_session(scenario_request(provider, "approved", reference="bob"), provider=provider)
        alice_back = sandbox.complete(alice, "approved")
        stored_alice, stored_bob = alice.ref.serialize(), bob.ref.serialize()

        # the safe path: the stored ref decides; the return URL only says "go and look"
        decision = client.get_result(stored_alice)
        assert decision.outcome is Outcome.APPROVED and decision.reference == "alice"
        assert client.parse_return_url(alice_back, expected=stored_alice).serialize() == stored_alice

        # Bob's browser comes back with Alice's approved session id
        with pytest.raises(SessionMismatch):
            client.parse_return_url(alice_back, expected=stored_bob)
        assert client.get_result(stored_bob).outcome is not Outcome.APPROVED

        # a ref string forged with Alice's session and Bob's reference never approves Bob
        forged = SessionRef(provider=provider, id=alice.ref.id, extra=alice.ref.extra, reference="bob").serialize()
        try:
            swapped = client.get_result(forged)
        except EkycError:
            pass
        else:
            assert swapped.outcome is not Outcome.APPROVED or swapped.reference != "bob", \
                "a forged ref approved Bob with Alice's verification"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", ["processed-502", "processed-504"])
def test_a_create_processed_then_failed_is_never_followed_by_a_second_session_anywhere(provider: str,
                                                                                       kind: str) -> None:
    """Routing with a fallback: the primary starts the session and answers a gateway error. The client may
    not repeat the create (unless the provider de-duplicates it) nor fall back to another provider."""
    sandbox = Sandbox()
    others = [p for p in sandbox.providers if p != provider]
    sandbox.set_fault(provider, kind, times=1)
    config = {"provider": provider, "routing": {"fallback": others}}
    with sandbox.client(config, sleep=lambda seconds: None) as client:
        try:
            session = client.create_session(scenario_request(provider, "approved", reference="one-user"))
        except EkycError:
            session = None
    started = [r for r in sandbox.sessions() if r.reference is not None and "one-user" in r.reference]
    where = [(r.provider, r.session_id) for r in started]
    # a create of several calls fails on its first, which starts no session: then none anywhere (no fallback)
    expected = 1 if registry.load(provider).capabilities.create_calls == 1 else 0
    assert len(started) == expected, f"one create left {len(started)} sessions: {where}"
    assert all(r.provider == provider for r in started)
    if session is not None:
        assert started and session.ref.id == started[0].session_id
    assert sandbox.duplicate_sessions() == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_webhook_decision_never_says_more_than_the_result(provider: str) -> None:
    """Where a verified webhook carries a decision, it is the decision ``get_result`` gives (a second parser of
    the same result must not approve what the first one does not), for every scenario the emulator renders."""
    sandbox = Sandbox([provider])
    sandbox.emulators[provider].use_webhook_url("https://app.example/kyc/hooks")
    problems = []
    with sandbox.client() as client:
        for scenario in sandbox.emulators[provider].supported_scenarios():
            run = run_scenario(client, sandbox, provider, scenario.name)
            assert run.decision is not None
            for delivery in sandbox.deliveries(provider):
                try:
                    event = client.parse_webhook(webhook_body(delivery), delivery.headers, provider)
                except EkycError:
                    continue
                if event.decision is None or event.ref is None or event.ref.id != run.decision.ref.id:
                    continue
                if event.decision.outcome is Outcome.APPROVED and run.decision.outcome is not Outcome.APPROVED:
                    problems.append(f"{scenario.name}: the webhook approves, get_result says {run.decision.outcome}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_result_answer_about_another_session_never_approves_the_asked_one(provider: str) -> None:
    """A response swapped in transit (a caching proxy, a confused gateway): asking about Bob's session and reading
    Alice's approved result must not approve Bob — wherever the provider's answer names its session or reference
    at all (one that echoes neither cannot be checked, and is skipped saying so)."""
    sandbox = Sandbox([provider])
    with sandbox.client() as client:
        refs = {}
        for user in ("alice", "bob"):
            session = client.create_session(scenario_request(provider, "approved", reference=user), provider=provider)
            sandbox.complete(session, "face_mismatch" if user == "bob" else "approved")
            refs[user] = SessionRef.parse(session.ref.serialize())
        adapter = client.adapter(provider)
        alice_answer = sandbox.transport().handle_request(adapter.build_result(refs["alice"]).request)
        body = alice_answer.read().decode("utf-8", "replace")
        if refs["alice"].id not in body and "alice" not in body:
            pytest.skip(f"{provider}'s result answer names neither its session nor the reference")
        asked_bob = adapter.build_result(refs["bob"])
        try:
            decision = adapter.parse_result(asked_bob, alice_answer)
        except EkycError:
            return
    assert not (decision.outcome is Outcome.APPROVED and decision.reference in ("bob", None)), \
        "Alice's approved answer approved Bob's session"
