"""Real result payloads from every provider's emulator, and generic ways to take them apart.

Nothing here knows a provider: a payload is captured by running the ``approved`` scenario through the
in-process :class:`~ekyc.sandbox.Sandbox` and keeping the raw bytes the adapter's ``build_result`` request got
back; paths walk any JSON, including JSON carried inside strings (Alibaba's ``Ext*`` fields).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from ekyc import EkycError, Outcome, registry
from ekyc.models import Decision
from ekyc.provider import FollowUp, Prepared, Provider
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import scenario_request

#: a path step that descends into a string holding JSON
IN_JSON = "<json>"
Step = str | int
Path = tuple[Step, ...]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Captured:
    """One provider's real result exchange: the request the adapter built and the emulator's answer."""

    provider: str
    scenario: str
    adapter: Provider
    prepared: Prepared
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: answers the follow-up requests of a result that takes several (Onfido: the run's checks and reports)
    transport: httpx.BaseTransport | None = None

    @property
    def data(self) -> Any:
        """The body as (a fresh copy of) plain JSON."""
        return json.loads(self.body)

    def response(self, content: bytes | None = None, status: int | None = None) -> httpx.Response:
        """An ``httpx.Response`` as the client would hand it to ``parse_result``."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in ("content-length", "content-encoding")]
        return httpx.Response(self.status if status is None else status, headers=headers,
                              content=self.body if content is None else content, request=self.prepared.request)

    def parse(self, content: bytes | None = None, status: int | None = None) -> Decision | EkycError:
        """``adapter.parse_result`` on a (mutated) body: the Decision, or the typed error it raised.
        Anything that is not an :class:`EkycError` propagates (the caller reports it as untyped)."""
        try:
            return follow(self.adapter.parse_result(self.prepared, self.response(content, status)), self.transport)
        except EkycError as exc:
            return exc


def follow(result: Any, transport: httpx.BaseTransport | None) -> Any:
    """A parse result with its follow-up requests answered by the sandbox (the attacked body is the first)."""
    while isinstance(result, FollowUp):
        assert transport is not None, "a follow-up request without a sandbox to answer it"
        prepared = result.build()
        response = transport.handle_request(prepared.request)
        response.read()
        result = result.parse(prepared, response)
    return result


@cache
def capture(provider: str, scenario: str = "approved") -> Captured:
    """Run ``scenario`` on ``provider`` in a fresh in-process sandbox and keep the raw result exchange."""
    sandbox = Sandbox([provider])
    with sandbox.client() as client:
        session = client.create_session(scenario_request(provider, scenario), provider=provider)
        sandbox.complete(session, scenario)
        adapter = client.adapter(provider)
        prepared = adapter.build_result(session.ref)
        response = sandbox.transport().handle_request(prepared.request)
        body = response.read()
    return Captured(provider, scenario, adapter, prepared, response.status_code,
                    tuple(response.headers.multi_items()), body, sandbox.transport())


@dataclass(frozen=True)
class CapturedCreate:
    """One provider's real create exchange."""

    adapter: Provider
    prepared: Prepared
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    transport: httpx.BaseTransport | None = None

    @property
    def data(self) -> Any:
        return json.loads(self.body)

    def parse(self, content: bytes) -> Any:
        """``adapter.parse_create`` on a (mutated) body: the Session, or the typed error it raised."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in ("content-length", "content-encoding")]
        response = httpx.Response(self.status, headers=headers, content=content, request=self.prepared.request)
        try:
            return follow(self.adapter.parse_create(self.prepared, response), self.transport)
        except EkycError as exc:
            return exc


@cache
def capture_create(provider: str) -> CapturedCreate:
    """The raw answer of ``provider``'s emulator to a real create request."""
    sandbox = Sandbox([provider])
    with sandbox.client() as client:
        adapter = client.adapter(provider)
        request = scenario_request(provider, "approved")
        adapter.check_request(request)
        prepared = adapter.build_create(request)
        response = sandbox.transport().handle_request(prepared.request)
        body = response.read()
    return CapturedCreate(adapter, prepared, response.status_code, tuple(response.headers.multi_items()), body,
                          sandbox.transport())


def supported_scenarios(provider: str) -> list[str]:
    """The catalog scenarios ``provider``'s emulator renders."""
    return [s.name for s in Sandbox([provider]).emulators[provider].supported_scenarios()]


def approved_codes(provider: str) -> set[str]:
    """Every code the provider's code table maps to APPROVED (as strings)."""
    return {e.code for e in registry.load(provider).code_table if e.outcome is Outcome.APPROVED}


def other_codes(provider: str) -> list[str]:
    """Every code of the provider's table that does not map to APPROVED (statuses, results, warnings, errors)."""
    approved = approved_codes(provider)
    return sorted({e.code for e in registry.load(provider).code_table} - approved)


# ---------------------------------------------------------------------------------------------------
# Paths through JSON (and JSON inside strings)


def _inner(value: Any) -> Any:
    """The JSON a string holds, when it holds an object or an array; else MISSING."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return MISSING
    return MISSING


def is_container(value: Any) -> bool:
    """An array or object — or a string holding one (JSON inside a string is an object to the vendor)."""
    return isinstance(value, (dict, list)) or isinstance(_inner(value), (dict, list))


def paths(data: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every node below ``data`` (objects, arrays, leaves), depth first, parents before children."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield (*prefix, i)
            yield from paths(value, (*prefix, i))
    else:
        inner = _inner(data)
        if inner is not MISSING and isinstance(inner, (dict, list)):
            yield from paths(inner, (*prefix, IN_JSON))


def get(data: Any, path: Path) -> Any:
    """The value at ``path`` (MISSING when absent)."""
    node = data
    for step in path:
        if step == IN_JSON:
            node = _inner(node)
        elif isinstance(node, dict) and isinstance(step, str):
            node = node.get(step, MISSING)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def replace(data: Any, path: Path, value: Any) -> Any:
    """A copy of ``data`` with the node at ``path`` set to ``value`` (deleted when ``value`` is MISSING)."""
    return _replace(copy.deepcopy(data), path, value)


def _replace(node: Any, path: Path, value: Any) -> Any:
    step, rest = path[0], path[1:]
    if step == IN_JSON:
        inner = _inner(node)
        return json.dumps(_replace(inner, rest, value) if rest else value)
    if not rest:
        if value is MISSING:
            if isinstance(node, dict):
                node.pop(step, None)
            else:
                del node[step]
        else:
            node[step] = value
        return node
    node[step] = _replace(node[step], rest, value)
    return node


def show(path: Path) -> str:
    """``a.b[0].<json>.c`` for messages."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + str(step)
    return out


def dumps(data: Any) -> bytes:
    """Compact JSON bytes, non-ASCII kept as is (what a vendor sends)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def verdict(result: Decision | EkycError) -> str:
    """``"APPROVED"``, another outcome's name, or ``"error:<Type>"``."""
    if isinstance(result, EkycError):
        return f"error:{type(result).__name__}"
    return result.outcome.value


def kind(value: Any) -> str:
    """The JSON type class of a value (int and float are told apart: vendors document which they send)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "missing" if value is MISSING else type(value).__name__
