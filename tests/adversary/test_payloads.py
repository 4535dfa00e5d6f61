"""Hostile result payloads never approve, for every registered provider, with no per-provider edits.

Each provider's real APPROVED result body comes from its emulator (:func:`payloads.capture`); it is then
attacked generically and fed to ``adapter.parse_result``:

- lexical attacks (duplicate and case-variant duplicate keys, deep nesting, NaN/Infinity, numbers out of
  range, truncation, wrong content, wrong statuses): never APPROVED;
- a sensitivity oracle: every node gets a battery of values. A node *matters* when some value turns the
  outcome away from APPROVED; then null, missing and wrong-type values of it must not approve (for arrays and
  objects, empty/null/missing may be equivalent), and for a code-like string (one where another string is
  refused or changes the outcome) case variants, padded and look-alike values must not approve either;
- every node holding a code the provider's code table maps to APPROVED, replaced by any other code of the
  table, and every Y/N flag or boolean flipped: never APPROVED;
- random mutations (hypothesis) under the same rules.

Every exception raised must be an :class:`ekyc.EkycError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import EkycError
from ekyc.models import Session
from ekyc.testing import providers

from .attacks import classify, flipped, is_flag, lexical, variants
from .payloads import (
    MISSING,
    Captured,
    Path,
    approved_codes,
    capture,
    capture_create,
    dumps,
    get,
    is_container,
    kind,
    other_codes,
    paths,
    replace,
    show,
    verdict,
)

PROVIDERS = providers()
FAIL_CLOSED_IF_MATTERS = {"null", "missing", "wrong-type"}
FAIL_CLOSED_IF_CODE = {"case", "padded", "look-alike"}
_TOKEN = re.compile(r"[A-Za-z]+(?:[ _-][A-Za-z]+)*|[0-9]{1,4}")


def judge(cap: Captured, body: bytes, status: int | None = None) -> str:
    """The verdict on one hostile body; an untyped exception becomes ``UNTYPED <Type>: <message>``."""
    try:
        return verdict(cap.parse(body, status))
    except Exception as exc:  # the point of the suite: report it, do not crash on it
        return f"UNTYPED {type(exc).__name__}: {str(exc)[:80]}"


def report(problems: list[str], what: str) -> None:
    shown = "\n  ".join(problems[:60])
    more = f"\n  … and {len(problems) - 60} more" if len(problems) > 60 else ""
    assert not problems, f"{len(problems)} {what}:\n  {shown}{more}"


def test_the_captured_payloads_approve() -> None:
    """The baseline every attack starts from: each emulator's approved result really is APPROVED."""
    for provider in PROVIDERS:
        cap = capture(provider)
        assert judge(cap, cap.body) == "APPROVED", provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_lexical_attacks_never_approve_and_raise_only_typed_errors(provider: str) -> None:
    cap = capture(provider)
    problems = []
    for attack in lexical(cap):
        got = judge(cap, attack.body, attack.status)
        if got == "APPROVED" or got.startswith("UNTYPED"):
            problems.append(f"{attack.name}: {got}")
    report(problems, f"lexical attacks on {provider} approved or raised untyped errors")


# ---------------------------------------------------------------------------------------------------
# The sensitivity oracle


@dataclass
class Node:
    """What the battery found out about one node of the approved payload."""

    path: Path
    original: Any
    results: list[tuple[str, Any, str]] = field(default_factory=list)  # (class, value, verdict)

    @property
    def matters(self) -> bool:
        """Some value turns the outcome away from APPROVED (a decision, not an error)."""
        return any(v not in ("APPROVED",) and not v.startswith(("error:", "UNTYPED")) for _, _, v in self.results)

    @property
    def code_like(self) -> bool:
        """A status or code (a word, words, or a short number as a string) where another string is refused or
        changes the outcome. Names, dates and identifiers are not codes: their spelling is not a verdict."""
        return isinstance(self.original, str) and _TOKEN.fullmatch(self.original) is not None and any(
            v != "APPROVED" and isinstance(value, str) and cls == "other" for cls, value, v in self.results)


@cache
def oracle(provider: str) -> tuple[Node, ...]:
    cap = capture(provider)
    data = cap.data
    nodes = []
    for path in paths(data):
        original = get(data, path)
        node = Node(path, original)
        for cls, value in variants(original):
            node.results.append((cls, value, judge(cap, dumps(replace(data, path, value)))))
        nodes.append(node)
    return tuple(nodes)


def _value(value: Any) -> str:
    return "<missing>" if value is MISSING else json.dumps(value, ensure_ascii=True)[:60]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sensitivity_oracle(provider: str) -> None:
    problems = []
    for node in oracle(provider):
        container = is_container(node.original)
        for cls, value, got in node.results:
            if got.startswith("UNTYPED"):
                problems.append(f"{show(node.path)} = {_value(value)}: {got}")
                continue
            if got != "APPROVED":
                continue
            if node.matters and cls in FAIL_CLOSED_IF_MATTERS and not (container and cls in ("null", "missing")):
                problems.append(f"{show(node.path)} = {_value(value)} ({cls}) approves, yet the node matters")
            elif node.matters and cls == "unknown-item":
                problems.append(f"{show(node.path)} = {_value(value)} (an item with no verdict) approves")
            elif node.code_like and cls in FAIL_CLOSED_IF_CODE:
                problems.append(f"{show(node.path)} = {_value(value)} ({cls}) approves a code-like field")
    report(problems, f"values of {provider}'s approved payload approve or raise untyped errors")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_approved_code_replaced_by_any_other_documented_code_never_approves(provider: str) -> None:
    cap = capture(provider)
    data = cap.data
    approved, others = approved_codes(provider), other_codes(provider)
    problems = []
    for path in paths(data):
        original = get(data, path)
        if isinstance(original, bool) or not isinstance(original, (str, int)) or str(original) not in approved:
            continue
        for code in others:
            value: Any = code
            if isinstance(original, int):
                try:
                    value = int(code)
                except ValueError:
                    continue
            got = judge(cap, dumps(replace(data, path, value)))
            if got == "APPROVED" or got.startswith("UNTYPED"):
                problems.append(f"{show(path)} = {_value(value)}: {got}")
    report(problems, f"documented non-approving codes in {provider}'s approved payload approve")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_flipped_flag_never_approves(provider: str) -> None:
    cap = capture(provider)
    data = cap.data
    problems = []
    for path in paths(data):
        original = get(data, path)
        if is_flag(original):
            got = judge(cap, dumps(replace(data, path, flipped(original))))
            if got == "APPROVED" or got.startswith("UNTYPED"):
                problems.append(f"{show(path)}: {_value(original)} → {_value(flipped(original))}: {got}")
    report(problems, f"flipped verdict flags in {provider}'s approved payload approve")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_create_responses_raise_only_typed_errors_and_never_hand_out_a_non_http_url(provider: str) -> None:
    """The create answer is attacked the same way (lexical attacks, the value battery at every node): only typed
    errors, and a Session handed out always has an absolute http(s) URL with no credentials in it."""
    cap = capture_create(provider)
    assert isinstance(cap.parse(cap.body), Session), "the captured create answer does not parse"
    data = cap.data
    bodies = [(a.name, a.body) for a in lexical(cap)]  # type: ignore[arg-type]
    for path in paths(data):
        for cls, value in variants(get(data, path)):
            bodies.append((f"{show(path)} = {_value(value)} ({cls})", dumps(replace(data, path, value))))
        for url in ("javascript:alert(1)", "data:text/html,x", "//evil.example/x", "https://u:p@evil.example/",
                    "http://[::1/x", " https://evil.example", "file:///etc/passwd"):
            bodies.append((f"{show(path)} = {url!r}", dumps(replace(data, path, url))))
    problems = []
    for name, body in bodies:
        try:
            got = cap.parse(body)
        except Exception as exc:
            problems.append(f"{name}: UNTYPED {type(exc).__name__}: {str(exc)[:80]}")
            continue
        if isinstance(got, Session):
            url = httpx.URL(got.url)
            if url.scheme not in ("http", "https") or not url.host or url.userinfo:
                problems.append(f"{name}: a Session with the URL scheme {url.scheme!r}")
    report(problems, f"hostile create answers of {provider} raised untyped errors or gave a bad URL")


# ---------------------------------------------------------------------------------------------------
# Random mutations

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["Approved", "Declined", "Not Finished", "Y", "N", "0", "200", " 0"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _forbidden(provider: str, path: Path, value: Any) -> str | None:
    """Why setting ``path`` to ``value`` must not approve, per the oracle and the code rules (or None)."""
    nodes = {n.path: n for n in oracle(provider)}
    node = nodes.get(path)
    if node is None:
        return None
    original = node.original
    cls = classify(original, value)
    container = is_container(original)
    if node.matters and cls in FAIL_CLOSED_IF_MATTERS and not (container and cls in ("null", "missing")):
        return f"{cls} value of a node that matters"
    if node.code_like and cls in FAIL_CLOSED_IF_CODE:
        return f"{cls} value of a code-like node"
    if node.matters and cls == "unknown-item":
        return "an item with no verdict"
    if isinstance(original, (str, int)) and not isinstance(original, bool) and \
            str(original) in approved_codes(provider) and not (kind(value) == kind(original) and value == original):
        return "an approved code replaced"
    if is_flag(original) and value == flipped(original) and kind(value) == kind(original):
        return "a flipped flag"
    return None


def _mutations(provider: str) -> st.SearchStrategy[list[tuple[Path, Any]]]:
    all_paths = [n.path for n in oracle(provider)]
    one = st.tuples(st.sampled_from(all_paths), st.one_of(_json, st.just(MISSING)))
    return st.lists(one, min_size=1, max_size=3)


def _apply(data: Any, mutations: list[tuple[Path, Any]]) -> Any:
    for path, value in mutations:
        if get(data, path) is not MISSING or (len(path) > 1 and get(data, path[:-1]) is not MISSING):
            try:
                data = replace(data, path, value)
            except (KeyError, IndexError, TypeError):
                continue
    return data


def _random_mutation_test(provider: str) -> Callable[..., None]:
    cap = capture(provider)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(mutations=_mutations(provider))
    def run(mutations: list[tuple[Path, Any]]) -> None:
        data = _apply(cap.data, mutations)
        got = judge(cap, dumps(data))
        assert not got.startswith("UNTYPED"), got
        if got == "APPROVED":
            for path, value in mutations:
                actual = get(data, path)
                if value is MISSING:  # only the node itself is gone: its parent is still there
                    landed = actual is MISSING and (len(path) == 1 or get(data, path[:-1]) is not MISSING)
                else:
                    landed = kind(actual) == kind(value) and actual == value
                why = _forbidden(provider, path, value) if landed else None
                assert why is None, f"{show(path)} = {_value(value)} approves: {why}"

    return run


@pytest.mark.parametrize("provider", PROVIDERS)
def test_random_mutations_never_approve_what_the_rules_forbid(provider: str) -> None:
    _random_mutation_test(provider)()


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_random_bytes_edits_raise_only_typed_errors(provider: str, data: st.DataObject) -> None:
    cap = capture(provider)
    raw = bytearray(cap.body)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if op == "flip":
            raw[at] = byte
        elif op == "insert":
            raw.insert(at, byte)
        elif len(raw) > 1:
            del raw[at]
    got = judge(cap, bytes(raw))
    assert not got.startswith("UNTYPED"), got


def _renamed(data: Any, path: Path, new_key: str) -> Any:
    """``data`` with the key at ``path`` renamed (its value kept)."""
    parent, key = path[:-1], path[-1]
    node = get(data, parent) if parent else data
    if not isinstance(node, dict) or not isinstance(key, str):
        return None
    renamed = {new_key if k == key else k: v for k, v in node.items()}
    return replace(data, parent, renamed) if parent else renamed


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_text_never_reaches_an_error(provider: str) -> None:
    """A canary in any key or (as a phrase or an e-mail) any string value of the answer never appears in a raised
    error's chain (message, args, field, cause, context, traceback): provider text is scrubbed before it becomes
    an exception."""
    canary = "Cnryleakqx"
    problems = []
    for cap in (capture(provider), capture_create(provider)):
        problems += _text_leaks(cap, canary)
    report(sorted(set(problems)), f"errors from {provider}'s answers carry provider text")


def _text_leaks(cap: Any, canary: str) -> list[str]:
    from .test_canaries import chain_texts

    data = cap.data
    problems = []
    for path in paths(data):
        original = get(data, path)
        candidates = [_renamed(data, path, canary + "Key")]
        if isinstance(original, str) and not is_container(original):
            # not code-like (a single word may be a real code, which errors do name): a phrase, an e-mail
            candidates += [replace(data, path, f"{canary} value"), replace(data, path, f"{canary}@example.org")]
        for mutated in candidates:
            if mutated is None:
                continue
            got = cap.parse(dumps(mutated))
            if isinstance(got, EkycError):
                for text in chain_texts(got):
                    if canary.casefold() in text.casefold():
                        problems.append(f"{show(path)}: {type(got).__name__} shows provider text")
                        break
    return problems
