"""The signed request is built as httpx builds it from ``content=`` — byte for byte — only cheaper (issue 15)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from ekyc.providers.alibaba.adapter import post_request
from ekyc.providers.alibaba.signing import _canonical_unique, canonical_headers, form_body

_names = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
_values = st.from_regex(r"[ -~]{0,24}", fullmatch=True)


def _same(a: httpx.Request, b: httpx.Request) -> None:
    assert (a.method, str(a.url), a.headers.raw, a.content, type(a.stream), a.extensions) == \
        (b.method, str(b.url), b.headers.raw, b.content, type(b.stream), b.extensions)
    assert a.read() == b.read() and list(a.stream) == list(b.stream)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(headers=st.dictionaries(_names, _values, max_size=8), body=st.binary(max_size=64),
       url=st.sampled_from(["https://cloudauth-intl.ap-southeast-1.aliyuncs.com/", "http://127.0.0.1:8080/"]))
def test_post_request_is_the_request_httpx_builds_from_content(headers: dict[str, str], body: bytes,
                                                               url: str) -> None:
    headers = {"host": httpx.URL(url).netloc.decode(), **headers}
    _same(post_request(httpx.URL(url), headers, body), httpx.Request("POST", httpx.URL(url), headers=headers,
                                                                     content=body))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_names, st.one_of(_values, st.text(max_size=8)), max_size=10))
def test_unique_lower_case_headers_canonicalize_as_the_general_form(headers: dict[str, str]) -> None:
    assert _canonical_unique(headers) == canonical_headers(headers)


_form_text = st.one_of(st.from_regex(r"[A-Za-z0-9_.~-]{0,12}", fullmatch=True), st.text(max_size=12),
                       st.sampled_from(["a b", "a+b", "~x~", "%20", "=&?", "ü€", ""]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_form_text, st.one_of(st.none(), _form_text), max_size=6))
def test_form_body_is_urlencode_of_the_sorted_parameters(params: dict[str, str | None]) -> None:
    expected = urlencode(sorted((k, v) for k, v in params.items() if v is not None)).encode("utf-8")
    assert form_body(params) == expected
