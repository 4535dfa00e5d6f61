"""**Stripe-specific** operations, outside the neutral API: ``client.extension("stripe")``.

Each method builds a :class:`~ekyc.provider.Prepared` request and returns ``call(build, parse)``: the value with
:class:`ekyc.Client`, a coroutine with :class:`ekyc.AsyncClient`. Errors are the same typed errors as the
neutral calls. A ref of another provider is a :class:`~ekyc.errors.ConfigurationError`, a malformed id an
:class:`~ekyc.errors.InvalidRequest` naming ``ref``, both before any I/O.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

import httpx

from ekyc.models import Decision, SessionRef
from ekyc.provider import ExtensionCall, Prepared


class _Adapter(Protocol):
    """What the operations need of :class:`~ekyc.providers.stripe.StripeProvider` (no import: no cycle)."""

    def session_id(self, ref: SessionRef | str) -> str: ...

    def build_action(self, ref: SessionRef, action: str, key: str) -> Prepared: ...

    def parse_action(self, prepared: Prepared, response: httpx.Response) -> Decision: ...

    def build_link(self, ref: SessionRef) -> Prepared: ...

    def parse_link(self, prepared: Prepared, response: httpx.Response) -> str | None: ...


class StripeOperations:
    """Cancel and redact VerificationSessions [docs.stripe.com/api/identity/verification_sessions]."""

    def __init__(self, adapter: _Adapter, call: ExtensionCall) -> None:
        self._adapter = adapter
        self._call = call

    def _post(self, ref: SessionRef, action: str) -> Any:
        adapter = self._adapter
        adapter.session_id(ref)  # before any I/O: a ref of another provider, a malformed id
        key = f"ekyc-{secrets.token_hex(16)}"  # one per call: every attempt replays the first answer
        return self._call(lambda: adapter.build_action(ref, action, key), adapter.parse_action)

    def cancel(self, ref: SessionRef) -> Any:
        """``POST …/{id}/cancel`` (only in ``requires_input``; Stripe answers 400 otherwise) → the session's
        :class:`~ekyc.Decision` (``ABANDONED``, or the last attempt's final outcome)."""
        return self._post(ref, "cancel")

    def redact(self, ref: SessionRef) -> Any:
        """``POST …/{id}/redact`` (``requires_input`` — which cancels it — or ``verified``) → the session's
        :class:`~ekyc.Decision`; its identity is empty from then on (``redaction`` is set)."""
        return self._post(ref, "redact")

    def fresh_link(self, ref: SessionRef) -> Any:
        """``GET …/{id}`` → a valid hosted-page ``url`` for the same session while it is in ``requires_input``
        (the url works once; Stripe hands out a valid one on retrieve), None once it waits for no input
        (processing, verified, canceled). A bearer URL: never log it."""
        adapter = self._adapter
        adapter.session_id(ref)
        return self._call(lambda: adapter.build_link(ref), adapter.parse_link)


__all__ = ["StripeOperations"]
