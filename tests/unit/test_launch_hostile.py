"""The launch page under hostile or careless input (red team): a form action that runs script, and values of
the wrong type, are typed errors naming the argument — never a page that runs an attacker's URL, never an
AttributeError."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.errors import InvalidRequest
from ekyc.launch import FIELD, launch_page, launch_snippet
from ekyc.providers.stripe.adapter import StripeProvider, StripeSettings

ADAPTER = StripeProvider(StripeSettings(api_key="sk_test_unit"))


@pytest.mark.parametrize("action", [
    "javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "data:text/html,<script>x()</script>", "vbscript:x", "", None, 5,
])
def test_an_action_that_is_not_an_http_url_or_path_is_refused(action: Any) -> None:
    for build in (launch_snippet, launch_page):
        with pytest.raises(InvalidRequest) as err:
            build(ADAPTER, action)
        assert err.value.field == "action"


@pytest.mark.parametrize("action", ["/kyc/start", "kyc/start?a=1", "https://app.example/kyc", "//app.example/k",
                                    "http://localhost:8000/start"])
def test_paths_and_http_urls_are_actions(action: str) -> None:
    assert "<form" in launch_snippet(ADAPTER, action)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"fields": {"csrf": 123}}, "fields"), ({"fields": {1: "x"}}, "fields"), ({"fields": ["csrf"]}, "fields"),
    ({"fields": {FIELD: "forged"}}, "fields"), ({"label": None}, "label"), ({"nonce": 5}, "nonce"),
])
def test_values_of_the_wrong_kind_are_typed_errors(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        launch_snippet(ADAPTER, "/start", **kwargs)
    assert err.value.field == field


def test_a_title_of_the_wrong_kind_is_a_typed_error() -> None:
    with pytest.raises(InvalidRequest) as err:
        launch_page(ADAPTER, "/start", title=None)  # type: ignore[arg-type]
    assert err.value.field == "title"
