"""Onfido answers that contradict themselves or are malformed never approve (found by the red team of issue 15's
fourth round; the reading before it approved all three): a breakdown whose own result is clear was skipped without
reading its sub-breakdowns (a ``consider`` or a malformed one under it went unseen), and a ``consider`` check was
accepted whatever its reports said. Each test takes the sandbox's real ``approved`` answers and changes one thing:
a contradiction is a doubt (REVIEW, the evidence rule's answer to a documented success with a sub-check in doubt),
a malformed breakdown a typed error naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ekyc import Outcome
from ekyc.errors import ProviderError
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request

Edit = Callable[[dict[str, Any]], None]


def _decide(path_suffix: str, edit: Edit) -> Outcome:
    sandbox = Sandbox(["onfido"])
    inner = sandbox.transport()

    class Editing(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            body = response.read()
            if request.method == "GET" and request.url.path.endswith(path_suffix):
                doc = json.loads(body)
                edit(doc)
                body = json.dumps(doc).encode()
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding")]
            return httpx.Response(response.status_code, headers=headers, content=body)

    with sandbox.client(transport=Editing()) as client:
        session = client.create_session(scenario_request("onfido", "approved"), provider="onfido")
        sandbox.complete(session, "approved")
        return client.get_result(session.ref).outcome


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in doc["reports"] if r["name"] == "document")


def _tampered_under_clear(doc: dict[str, Any]) -> None:
    # visual_authenticity says clear, its digital_tampering child says consider: a contradiction
    _document(doc)["breakdown"]["visual_authenticity"]["breakdown"]["digital_tampering"]["result"] = "consider"


def _malformed_under_clear(doc: dict[str, Any]) -> None:
    _document(doc)["breakdown"]["image_integrity"]["breakdown"] = 1  # not an object


def _consider_check(doc: dict[str, Any]) -> None:
    doc["checks"][0]["result"] = "consider"  # every report clear, the check that aggregates them consider


@pytest.mark.parametrize(("suffix", "edit"), [
    ("/reports", _tampered_under_clear),
    ("/checks", _consider_check),
])
def test_contradictions_are_doubts(suffix: str, edit: Edit) -> None:
    assert _decide("/v3.6" + suffix, edit) is Outcome.REVIEW


def test_a_malformed_breakdown_under_a_clear_one_is_refused() -> None:
    with pytest.raises(ProviderError) as caught:
        _decide("/v3.6/reports", _malformed_under_clear)
    assert caught.value.field is not None and caught.value.field.endswith("image_integrity.breakdown")


def test_unedited_answers_approve() -> None:
    assert _decide("/nothing", lambda doc: None) is Outcome.APPROVED
