"""A parse that needs one more request returns a FollowUp: the retry loop runs it with its own retries (by its
own RetryMode), with the first request's timeout, and adds what its attempts did to the call's record."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ekyc._retry import Attempts, exchange, run_sync
from ekyc.errors import ProviderUnavailable
from ekyc.provider import FollowUp, Prepared, RetryMode
from ekyc.settings import RetrySettings

SETTINGS = RetrySettings(max_attempts=3, total_timeout=30)
TIMEOUT = {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}


def _prepared(path: str, retry: RetryMode, timeout: bool = False) -> Prepared:
    request = httpx.Request("POST" if retry is not RetryMode.READ else "GET", f"https://vendor.test{path}")
    if timeout:
        request.extensions["timeout"] = TIMEOUT
    return Prepared(request, path, retry)


def _answers(script: dict[str, list[int]]) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def send(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(script[request.url.path].pop(0), request=request)

    return send, sent


def _raise_for(prepared: Prepared, response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise ProviderUnavailable(f"HTTP {response.status_code}", provider="t", http_status=response.status_code)


def _second(prepared: Prepared, response: httpx.Response) -> str:
    _raise_for(prepared, response)
    return f"done after {prepared.operation}"


def _first(then: RetryMode) -> Callable[[Prepared, httpx.Response], FollowUp]:
    def parse(prepared: Prepared, response: httpx.Response) -> FollowUp:
        _raise_for(prepared, response)
        return FollowUp(lambda: _prepared("/two", then), _second)
    return parse


def test_a_follow_up_read_is_retried_and_gets_the_first_timeout() -> None:
    send, sent = _answers({"/one": [200], "/two": [503, 200]})
    record = Attempts()
    gen = exchange("t", lambda: _prepared("/one", RetryMode.READ, timeout=True), _first(RetryMode.READ), SETTINGS,
                   record=record)
    assert run_sync(gen, send, lambda s: None) == "done after /two"
    assert [r.url.path for r in sent] == ["/one", "/two", "/two"]
    assert all(r.extensions["timeout"] == TIMEOUT for r in sent)
    assert record.count == 3 and record.sent and record.processed


def test_a_follow_up_create_is_never_repeated_once_sent() -> None:
    send, sent = _answers({"/one": [201], "/two": [502, 201]})
    record = Attempts()
    gen = exchange("t", lambda: _prepared("/one", RetryMode.NOT_SENT), _first(RetryMode.NOT_SENT), SETTINGS,
                   record=record)
    with pytest.raises(ProviderUnavailable):
        run_sync(gen, send, lambda s: None)
    assert [r.url.path for r in sent] == ["/one", "/two"]
    assert record.processed and record.sent  # the first step was processed: no fallback after this call


def test_a_failing_first_step_runs_no_follow_up() -> None:
    send, sent = _answers({"/one": [500], "/two": [200]})
    record = Attempts()
    gen = exchange("t", lambda: _prepared("/one", RetryMode.NOT_SENT), _first(RetryMode.READ), SETTINGS,
                   record=record)
    with pytest.raises(ProviderUnavailable):
        run_sync(gen, send, lambda s: None)
    assert [r.url.path for r in sent] == ["/one"] and record.count == 1
