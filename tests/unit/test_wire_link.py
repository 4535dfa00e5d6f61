"""wire.link: the one reader of a hosted-page link a vendor hands out (Stripe url, Persona one-time-link, Onfido
workflow run link.url)."""

from __future__ import annotations

import pytest

from ekyc import _wire as wire


@pytest.mark.parametrize("value, problem", [
    (None, "missing"), ("", "missing"), ("ftp://x.example/a", "expected an http(s) URL"),
    ("https:///path", "expected an http(s) URL"), ("https://x.example/a\nb", "expected an http(s) URL"),
    ("javascript:alert(1)", "expected an http(s) URL"), (5, "expected a string"),
    ("https://x.example/" + "a" * 4096, "string too long"),
])
def test_link_refuses_what_is_not_a_hosted_page_url(value: object, problem: str) -> None:
    with pytest.raises(wire.WireError) as err:
        wire.link(value, "link.url")
    assert err.value.field == "link.url" and problem in str(err.value)


def test_link_keeps_an_http_url_as_sent() -> None:
    assert wire.link("https://verify.example/s/abc?x=1", "url") == "https://verify.example/s/abc?x=1"
