"""The framework-neutral core of the web integrations: redirects, origins, the outcome JSON, the answers."""

from __future__ import annotations

import json

import pytest

from ekyc import SessionRef, registry
from ekyc.errors import (
    ConfigurationError,
    InvalidRequest,
    ProviderError,
    ProviderUnavailable,
    SessionMismatch,
    WebhookVerificationError,
)
from ekyc.integrations import (
    EVENTS_PAGE,
    MAX_WAITS,
    NONE,
    RETRY_AFTER,
    Answer,
    BodyTooLarge,
    Config,
    adecisions,
    body_too_large,
    busy,
    changed_sessions,
    check_length,
    decisions,
    failure,
    launch_providers,
    launch_sources,
    login_location,
    needs_launch_page,
    origin_of,
    return_location,
    rounds_waited,
    safe_redirect,
    same_origin_request,
    start_arguments,
    start_provider,
    start_target,
    status_body,
    user_reference,
    wants_html,
    webhook_answer,
    webhook_body,
)
from ekyc.launch import launch_page
from ekyc.ledger import LedgerBusy, LedgerError, LedgerSession, NoSession, Receipt
from ekyc.sandbox import Sandbox

APP = "https://app.example"


def _session(state: str, **kw: object) -> LedgerSession:
    values: dict[str, object] = dict(
        id=7, reference="jane.sample@example.com", state=state, provider="didit", provider_status="Approved",
        reasons=("FACE_MISMATCH",), created_at=1.0, updated_at=2.0, decided_at=None,
        ref=SessionRef(provider="didit", id="secret-session-id", reference="jane.sample@example.com"),
        url="https://verify.example/secret-token")
    values.update(kw)
    return LedgerSession(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("url", "origin"), [
    ("https://App.Example/path?q=1", "https://app.example"), ("https://app.example:443/", "https://app.example"),
    ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000"), ("http://[::1]:80", "http://[::1]"),
    ("null", None), ("/path", None), ("javascript:alert(1)", None), ("https://u:p@app.example", None),
    ("https://app.example:99999", None), ("", None), (None, None), ("https://app.example\n", None),
])
def test_origin_of(url: str | None, origin: str | None) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("target", ["/", "/done?x=1", "https://app.example/done", "https://other.example/ok"])
def test_safe_redirects(target: str) -> None:
    assert safe_redirect(target, own_origin=APP, allowed_origins=("https://other.example",)) == target


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "data:text/html,x",
    " /done", "/do\nne", "https://app.example.evil.example/", "http://app.example/", "evil.example", "", None, 3,
    "https://app.example\\@evil.example/",
])
def test_open_redirects_are_refused(target: object) -> None:
    assert safe_redirect(target, own_origin=APP) is None


def test_the_start_post_must_come_from_the_app() -> None:
    ok = dict(own_origin=APP, allowed_origins=("https://www.app.example",))
    assert same_origin_request(origin=APP, referer=None, **ok)  # type: ignore[arg-type]
    assert same_origin_request(origin="https://www.app.example", referer=None, **ok)  # type: ignore[arg-type]
    assert same_origin_request(origin=None, referer=APP + "/kyc/start", **ok)  # type: ignore[arg-type]
    assert same_origin_request(origin=APP, referer=None, sec_fetch_site="same-origin", **ok)  # type: ignore[arg-type]
    for origin, referer, site in [("https://evil.example", None, None), ("null", APP + "/", None),
                                  (None, None, None), (None, "https://evil.example/", None),
                                  (APP, None, "cross-site"), ("http://app.example", None, None)]:
        assert not same_origin_request(origin=origin, referer=referer, sec_fetch_site=site, **ok)  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "value"), [
    ("prefix", "kyc"), ("prefix", "/kyc/"), ("prefix", "//kyc"), ("after_return", "https://evil.example/"),
    ("after_return", "//evil.example"), ("allowed_origins", ("https://app.example/path",)),
    ("public_origin", "app.example"), ("login_url", "https://evil.example/login"), ("provider", ""),
    ("request_fields", {"reference": "x"}), ("outcome_param", "a b"),
])
def test_config_names_the_bad_field(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as bad:
        Config(**{field: value})  # type: ignore[arg-type]
    assert bad.value.field == field


def test_config_paths_and_urls() -> None:
    config = Config(public_origin="https://App.Example", after_return="https://app.example/account")
    assert config.public_origin == APP
    assert config.path("return", "didit") == "/kyc/return/didit" and config.path("status") == "/kyc/status"
    assert config.own_origin("http://internal:8000/kyc/start") == APP
    assert config.return_url("didit", APP) == APP + "/kyc/return/didit"
    assert Config(prefix="").path("start") == "/start"
    assert Config().own_origin("http://127.0.0.1:8000/kyc/start") == "http://127.0.0.1:8000"


def test_status_body_carries_states_and_reasons_only() -> None:
    for state, nxt in [("APPROVED", "none"), ("DECLINED", "start"), ("PENDING", "continue"), ("REVIEW", "wait"),
                       ("STARTING", "wait"), ("ERROR", "start"), ("ABANDONED", "start"), ("EXPIRED", "start")]:
        body = status_body(_session(state))
        text = json.dumps(body)
        assert body["state"] == state and body["next"] == nxt and body["approved"] == (state == "APPROVED")
        assert "jane" not in text and "secret" not in text and "verify.example" not in text
        assert set(body) == {"state", "approved", "final", "reasons", "provider", "next"}
    assert status_body(None) == {"state": NONE, "approved": False, "final": False, "reasons": [], "provider": None,
                                 "next": "start"}


def test_return_location() -> None:
    config = Config(after_return="/account?tab=kyc")
    assert return_location(config, _session("APPROVED")) == "/account?tab=kyc&kyc=APPROVED"
    assert return_location(config, None, error="session_mismatch") == \
        "/account?tab=kyc&kyc=NONE&kyc_error=session_mismatch"
    assert return_location(config, _session("PENDING"), error="<script>") == \
        "/account?tab=kyc&kyc=PENDING&kyc_error=unavailable"
    assert return_location(Config(after_return="/a#top"), _session("DECLINED")) == "/a?kyc=DECLINED#top"


def test_login_location() -> None:
    assert login_location(Config(), "/kyc/start") is None
    assert login_location(Config(login_url="/login"), "/kyc/start") == "/login?next=%2Fkyc%2Fstart"
    assert login_location(Config(login_url="/login"), "//evil.example") == "/login"


def test_start_arguments() -> None:
    config = Config(provider="alibaba", request_fields={"country": "GBR"})
    args = start_arguments(config, return_url=APP + "/kyc/return/alibaba", metadata='{"a":1}')
    assert args == {"country": "GBR", "return_url": APP + "/kyc/return/alibaba", "provider": "alibaba",
                    "client_metadata": '{"a":1}'}
    assert "client_metadata" not in start_arguments(config, return_url="x", metadata=None)


def test_the_start_provider_is_the_configured_one_else_the_clients_default() -> None:
    with Sandbox().client() as client:
        assert start_provider(Config(provider="tencent"), client) == "tencent"
        assert start_provider(Config(), client) == client.default_provider


def test_the_launch_page_is_needed_where_a_provider_collects_browser_metadata() -> None:
    sandbox = Sandbox()
    with sandbox.client() as client:
        for name in registry.names():
            if name in client.providers:
                wanted = client.adapter(name).browser_metadata() is not None
                assert needs_launch_page(client, name) is wanted
        assert client.default_provider == "didit" and client.router.config.providers() == set()
        assert not needs_launch_page(client, None)  # routing can only pick the default: Didit needs nothing


@pytest.mark.parametrize(("routing", "provider", "expected"), [
    ({}, None, ("didit",)),
    ({}, "alibaba", ("alibaba",)),
    ({"rules": [{"country": ["CHN"], "provider": "alibaba"}]}, None, ("didit", "alibaba")),
    ({"rules": [{"country": ["CHN"], "provider": "alibaba"}]}, "tencent", ("tencent",)),  # pinned: no routing
    ({"rules": [{"split": {"stripe": 1, "alibaba": 1}}]}, None, ("didit", "alibaba", "stripe")),
    ({"fallback": ["alibaba"]}, None, ("didit", "alibaba")),
])
def test_the_launch_page_collects_only_for_providers_a_start_may_route_to(
        routing: dict[str, object], provider: str | None, expected: tuple[str, ...]) -> None:
    """Alibaba's browser-metadata script is loaded only when a start may create the session there: the provider
    the app's Config pins (an override: routing bypassed), else the client's default and every provider its
    routing names (rules, splits, fallbacks)."""
    with Sandbox().client({"provider": "didit", "routing": routing}) as client:
        assert launch_providers(client, provider) == expected
        assert needs_launch_page(client, provider) is ("alibaba" in expected)
        page = launch_page(launch_sources(client, provider), "/kyc/start")
        assert ("jsvm_all.js" in page) is ("alibaba" in expected)


def test_webhook_answers() -> None:
    assert webhook_answer(Receipt(200, "applied", 1, verified=True)).status == 200
    assert webhook_answer(Receipt(200, "orphan", 1, verified=True, duplicate=True)).body == b'{"received":true}'
    rejected = webhook_answer(Receipt(401, "rejected", 2, verified=False))
    assert (rejected.status, rejected.body) == (401, b'{"error":"rejected"}')
    assert webhook_body("GET", "https://app.example/kyc/webhooks/alibaba?a=1", b"") == \
        b"https://app.example/kyc/webhooks/alibaba?a=1"
    assert webhook_body("POST", "https://x", b"{}") == b"{}"


@pytest.mark.parametrize("declared", ["11", " 11 ", "99999999999999999999999"])
def test_a_declared_length_over_the_limit_is_refused_before_reading(declared: str) -> None:
    with pytest.raises(BodyTooLarge):
        check_length(declared, 10)


@pytest.mark.parametrize("declared", [None, "", "10", "0", "-5", "1e9", "١١"])
def test_a_length_within_the_limit_or_unreadable_is_left_to_the_reader(declared: str | None) -> None:
    check_length(declared, 10)


@pytest.mark.parametrize(("exc", "status", "code"), [
    (LedgerError("db", http_status=503), 503, "unavailable"), (LedgerBusy("busy"), 503, "busy"),
    (NoSession("none", http_status=404), 404, "no_session"), (SessionMismatch("x"), 403, "session_mismatch"),
    (WebhookVerificationError("x"), 400, "unrecognized_return"),
    (ProviderUnavailable("x"), 503, "provider_unavailable"),
    (InvalidRequest("x", field="client_metadata"), 400, "invalid_request"), (ProviderError("x"), 502, "provider_error"),
    (ConfigurationError("x"), 500, "configuration"), (RuntimeError("jane"), 503, "unavailable"),
    (body_too_large(10), 413, "too_large"), (InvalidRequest("x", field="body"), 400, "invalid_request"),
])
def test_failures_are_neutral(exc: BaseException, status: int, code: str) -> None:
    answer = failure(exc)
    assert (answer.status, json.loads(answer.body)) == (status, {"error": code})
    unknown = failure(InvalidRequest("unknown provider", field="provider"), webhook=True)
    assert (unknown.status, json.loads(unknown.body)) == (404, {"error": "unknown_provider"})


def test_user_reference() -> None:
    assert user_reference(None) is None and user_reference(42) == "42" and user_reference("u-1") == "u-1"
    for bad in ("", "a\nb", "x" * 257, True, 4.2, object()):
        with pytest.raises(ConfigurationError):
            user_reference(bad)


def test_changed_sessions_reads_the_changes_a_call_made() -> None:
    events = [
        {"id": 5, "action": "claim", "session_id": 1, "actor": "start@h:1", "delivery_id": None},
        {"id": 6, "action": "advance", "session_id": 1, "actor": "webhook@h:1", "delivery_id": 9},
        {"id": 7, "action": "ignore", "session_id": 1, "actor": "refresh@h:1", "delivery_id": None},
        {"id": 8, "action": "lapse", "session_id": 2, "actor": "refresh@h:2", "delivery_id": None},
        {"id": 9, "action": "expire", "session_id": 3, "actor": "reconcile@h:1", "delivery_id": None},
        {"id": 10, "action": "advance", "session_id": None, "actor": "refresh@h:1", "delivery_id": None},
    ]
    assert changed_sessions(events) == [1, 2, 3]
    assert changed_sessions(events, delivery_id=9) == [1]
    assert changed_sessions(events, delivery_id=10) == []
    assert changed_sessions(events, actors=("refresh",)) == [2]
    assert changed_sessions(events, actors=("refreshed",)) == []


class _FakeLedger:
    """The two reads :func:`decisions` makes, over an audit trail in memory (``events`` pages like the ledger's)."""

    def __init__(self, events: list[dict[str, object]], states: dict[int, str]) -> None:
        self.rows, self.states, self.reads = events, states, 0

    def events(self, session_id: int | None = None, after: int = 0, limit: int = 100) -> list[dict[str, object]]:
        self.reads += 1
        rows = [r for r in self.rows if int(r["id"]) > after  # type: ignore[call-overload]
                and (session_id is None or r["session_id"] == session_id)]
        return rows[:limit]

    def session(self, session_id: int) -> LedgerSession | None:
        state = self.states.get(session_id)
        return None if state is None else _session(state, id=session_id)


class _AsyncFake(_FakeLedger):
    async def events(self, *args: object, **kwargs: object) -> list[dict[str, object]]:  # type: ignore[override]
        return super().events(*args, **kwargs)  # type: ignore[arg-type]

    async def session(self, session_id: int) -> LedgerSession | None:  # type: ignore[override]
        return super().session(session_id)


def _trail(n: int) -> list[dict[str, object]]:
    """``n`` audit rows: a claim per session, and every third session advanced (by a webhook) to a state."""
    rows: list[dict[str, object]] = []
    for i in range(1, n + 1):
        action = "advance" if i % 3 == 0 else "claim"
        rows.append({"id": i, "action": action, "session_id": i, "actor": "webhook@h:1", "delivery_id": i})
    return rows


def test_decisions_is_the_one_rule_read_through_the_ledger() -> None:
    """The sessions whose state a row after the cursor changed, once each, in the order of their first change,
    only those now decided; pages of :data:`EVENTS_PAGE` rows are followed to the end."""
    rows = _trail(2 * EVENTS_PAGE + 7)
    states = {i: ("APPROVED" if i % 2 else "PENDING") for i in range(1, len(rows) + 1)}
    ledger = _FakeLedger(rows, states)
    found = decisions(ledger, 0)  # type: ignore[arg-type]
    assert [s.id for s in found] == [i for i in range(3, len(rows) + 1, 3) if i % 2]
    assert all(s.state == "APPROVED" for s in found)
    assert ledger.reads == 3
    tail = [i for i in range(2 * EVENTS_PAGE + 1, len(rows) + 1) if i % 3 == 0 and i % 2]
    assert tail and [s.id for s in decisions(ledger, 2 * EVENTS_PAGE)] == tail  # type: ignore[arg-type]
    assert decisions(ledger, 0, delivery_id=3, session_id=3) == [  # type: ignore[arg-type]
        _session("APPROVED", id=3)]
    assert decisions(ledger, 0, delivery_id=4) == []  # type: ignore[arg-type]
    assert decisions(ledger, 0, actors=("refresh",)) == []  # type: ignore[arg-type]
    assert decisions(ledger, len(rows)) == []  # type: ignore[arg-type]


async def test_adecisions_is_the_same_rule_over_an_async_ledger() -> None:
    rows = _trail(EVENTS_PAGE + 1)
    states = {i: "DECLINED" for i in range(1, len(rows) + 1)}
    expected = [s.id for s in decisions(_FakeLedger(rows, states), 0)]  # type: ignore[arg-type]
    assert [s.id for s in await adecisions(_AsyncFake(rows, states), 0)] == expected  # type: ignore[arg-type]
    assert expected == list(range(3, EVENTS_PAGE + 2, 3))


@pytest.mark.parametrize(("value", "rounds"), [
    (None, 0), ("", 0), ("1", 1), (str(MAX_WAITS), MAX_WAITS), (str(MAX_WAITS + 1), 0), ("0", 0), ("-1", 0),
    ("01", 1), ("1.0", 0), ("١", 0), ("9" * 30, 0)])
def test_rounds_waited_come_from_the_url_so_only_a_small_count_counts(value: str | None, rounds: int) -> None:
    assert rounds_waited(value) == rounds


def test_busy_sends_a_browser_round_again_then_to_the_apps_page() -> None:
    config = Config(prefix="/id", after_return="/account")
    first = busy(config, None, 0, html=True)
    assert isinstance(first, Answer) and first.status == 503 and first.media_type.startswith("text/html")
    assert ("Retry-After", str(RETRY_AFTER)) in first.headers and ("X-Frame-Options", "DENY") in first.headers
    assert f'content="{RETRY_AFTER}; url=/id/start?waited=1"' in first.body.decode()
    assert start_target(config) == "/id/start" and start_target(config, 2) == "/id/start?waited=2"
    assert 'url=/id/start?waited=3"' in busy(config, None, 2, html=True).body.decode()  # type: ignore[union-attr]
    assert busy(config, _session("STARTING"), MAX_WAITS, html=True) == "/account?kyc=STARTING&kyc_error=busy"
    api = busy(config, None, 0, html=False)
    assert api == Answer(503, b'{"error":"busy"}', headers=(("Retry-After", str(RETRY_AFTER)),))
    assert wants_html("text/html,application/xhtml+xml") and not wants_html("application/json")
    assert not wants_html(None)
