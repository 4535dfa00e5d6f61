"""**Persona-specific** operations, outside the neutral API: ``client.extension("persona")``.

Each method builds a :class:`~ekyc.provider.Prepared` request and returns ``call(build, parse)``: the value with
:class:`ekyc.Client`, a coroutine with :class:`ekyc.AsyncClient`. Arguments are checked before any I/O
(:class:`~ekyc.errors.InvalidRequest` naming the argument); errors are the neutral calls' typed errors.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from ekyc import _wire as wire
from ekyc.errors import InvalidRequest
from ekyc.models import SessionRef
from ekyc.provider import Envelope, ExtensionCall, Prepared, RetryMode, malformed


class _Adapter(Protocol):
    """What the operations need of :class:`~ekyc.providers.persona.PersonaProvider` (no import: no cycle)."""

    @property
    def name(self) -> str: ...

    def inquiry_id(self, ref: SessionRef | str) -> str: ...

    def request(self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
                idempotency_key: str | None = None) -> httpx.Request: ...

    def read(self, prepared: Prepared, response: httpx.Response) -> Envelope: ...

#: ``meta.simulate-actions[].type`` values [SPEC inquiry-status-action, create-verification-action]
STATUS_ACTIONS = frozenset({"start_inquiry", "complete_inquiry", "fail_inquiry", "expire_inquiry",
                            "mark_for_review_inquiry", "approve_inquiry", "decline_inquiry"})
VERIFICATION_ACTIONS = frozenset({"create_passed_verification", "create_failed_verification"})
MAX_LINK_SECONDS = 2**31 - 1  # int32 [SPEC generate-a-one-time-link]


@dataclass(frozen=True)
class OneTimeLink:
    """A fresh one-time link (a bearer URL: never log it)."""

    url: str
    short_url: str | None

    def __repr__(self) -> str:
        return "OneTimeLink(url='***')"


def _bad(message: str, field: str) -> InvalidRequest:
    return InvalidRequest(message, provider="persona", field=field)


class PersonaOperations:
    """One-time links, sandbox simulate actions and redaction for Persona inquiries."""

    def __init__(self, provider: _Adapter, call: ExtensionCall) -> None:
        self._p = provider
        self._call = call

    def _post(self, path: str, body: Mapping[str, Any]) -> httpx.Request:
        return self._p.request("POST", path, body=body, idempotency_key="ekyc-" + secrets.token_hex(16))

    def fresh_link(self, ref: SessionRef | str) -> Any:
        """A new one-time link to the same inquiry, as its URL (what the ledger hands a returning user)."""
        return self._one_time_link(ref, None, lambda link: link.url)

    def one_time_link(self, ref: SessionRef | str, expires_in: int | None = None) -> Any:
        """``POST /inquiries/{id}/generate-one-time-link``: a new single-use link to the same inquiry (e.g. when
        the first one expired; ``expires_in`` seconds, else the template's setting, else 24 hours)."""
        if expires_in is not None and (not isinstance(expires_in, int) or isinstance(expires_in, bool)
                                       or not 0 < expires_in <= MAX_LINK_SECONDS):
            raise _bad("expires_in is a positive number of seconds", "expires_in")
        return self._one_time_link(ref, expires_in, lambda link: link)

    def _one_time_link(self, ref: SessionRef | str, expires_in: int | None,
                       pick: Callable[[OneTimeLink], Any]) -> Any:
        iid = self._p.inquiry_id(ref)
        body: dict[str, Any] = {"meta": {"expires-in-seconds": expires_in}} if expires_in else {}
        key = "ekyc-" + secrets.token_hex(16)  # one key for every attempt of this call

        def build() -> Prepared:
            req = self._p.request("POST", f"/inquiries/{quote(iid, safe='')}/generate-one-time-link", body=body,
                                  idempotency_key=key)
            return Prepared(req, "one_time_link", RetryMode.IDEMPOTENT, {"id": iid})

        def parse(prepared: Prepared, response: httpx.Response) -> Any:
            data = self._p.read(prepared, response).body
            with malformed(self._p.name, "one-time link", http_status=response.status_code):
                doc = wire.obj(data, "body")
                if wire.code(wire.obj(doc.get("data"), "data").get("id"), "data.id") != iid:
                    raise wire.WireError("data.id", "does not match the request")
                meta = wire.obj(doc.get("meta"), "meta")
                url = wire.code(meta.get("one-time-link"), "meta.one-time-link", max_len=4096)
                if not url or urlsplit(url).scheme not in ("http", "https"):
                    raise wire.WireError("meta.one-time-link", "expected an http(s) URL")
                short = wire.code(meta.get("one-time-link-short"), "meta.one-time-link-short", max_len=4096)
                return pick(OneTimeLink(url, short))

        return self._call(build, parse)

    def simulate(self, ref: SessionRef | str, actions: Iterable[str | Mapping[str, Any]]) -> Any:
        """``POST /inquiries/{id}/perform-simulate-actions`` (sandbox only): e.g. ``["start_inquiry",
        "complete_inquiry", "approve_inquiry"]`` or ``{"type": "create_passed_verification",
        "data": {"verification-template-id": "vtmpl_…"}}``. Returns the inquiry's new ``status``."""
        iid = self._p.inquiry_id(ref)
        out: list[dict[str, Any]] = []
        for i, action in enumerate(actions if not isinstance(actions, (str, bytes)) else [actions]):
            where = f"actions[{i}]"
            if isinstance(action, str):
                if action not in STATUS_ACTIONS:
                    raise _bad(f"{where} is not a status action ({', '.join(sorted(STATUS_ACTIONS))})", where)
                out.append({"type": action})
            elif isinstance(action, Mapping):
                kind = action.get("type")
                template = (action.get("data") or {}).get("verification-template-id") \
                    if isinstance(action.get("data"), Mapping) else None
                if kind in STATUS_ACTIONS and set(action) == {"type"}:
                    out.append({"type": kind})
                elif kind in VERIFICATION_ACTIONS and isinstance(template, str) and template.startswith("vtmpl_") \
                        and set(action) == {"type", "data"}:
                    out.append({"type": kind, "data": {"verification-template-id": template}})
                else:
                    raise _bad(f"{where} is not a simulate action", where)
            else:
                raise _bad(f"{where} is not a simulate action", where)
        if not out or len(out) > 32:
            raise _bad("give 1 to 32 actions", "actions")

        def build() -> Prepared:
            req = self._post(f"/inquiries/{quote(iid, safe='')}/perform-simulate-actions",
                             {"meta": {"simulate-actions": out}})
            return Prepared(req, "simulate", RetryMode.NEVER, {"id": iid})

        def parse(prepared: Prepared, response: httpx.Response) -> str:
            data = self._p.read(prepared, response).body
            with malformed(self._p.name, "inquiry", http_status=response.status_code):
                inquiry = wire.obj(wire.obj(data, "body").get("data"), "data")
                status = wire.code(wire.obj(inquiry.get("attributes"), "data.attributes").get("status"),
                                   "data.attributes.status")
                if inquiry.get("id") != iid or status is None:
                    raise wire.WireError("data", "does not name the inquiry and its status")
                return status

        return self._call(build, parse)

    def redact(self, ref: SessionRef | str) -> Any:
        """``DELETE /inquiries/{id}``: Persona removes the inquiry's personal data (irreversible). Returns the
        ``redacted-at`` timestamp Persona reports."""
        iid = self._p.inquiry_id(ref)

        def build() -> Prepared:
            return Prepared(self._p.request("DELETE", f"/inquiries/{quote(iid, safe='')}"), "redact",
                            RetryMode.NOT_SENT, {"id": iid})

        def parse(prepared: Prepared, response: httpx.Response) -> Any:
            data = self._p.read(prepared, response).body
            with malformed(self._p.name, "inquiry", http_status=response.status_code):
                inquiry = wire.obj(wire.obj(data, "body").get("data"), "data")
                attrs = wire.obj(inquiry.get("attributes"), "data.attributes")
                if inquiry.get("id") != iid:
                    raise wire.WireError("data.id", "does not match the request")
                return wire.iso_datetime(attrs.get("redacted-at"), "data.attributes.redacted-at")

        return self._call(build, parse)


__all__ = ["OneTimeLink", "PersonaOperations"]
