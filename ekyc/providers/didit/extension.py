"""**Didit-specific** operations, outside the neutral API: ``client.extension("didit")``.

Each method builds a :class:`~ekyc.provider.Prepared` request and returns ``call(build, parse)``: the value
with :class:`ekyc.Client`, a coroutine with :class:`ekyc.AsyncClient`. Errors are the same typed errors as
the neutral calls. Code that uses these is tied to Didit.

Every argument is checked before any I/O: a wrong value raises :class:`~ekyc.errors.InvalidRequest` naming
the argument (``field``), a ref of another provider :class:`~ekyc.errors.ConfigurationError`; nothing else
escapes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

import httpx

from ekyc import _wire as wire
from ekyc.errors import InvalidRequest, ProviderError
from ekyc.models import Check, SessionRef
from ekyc.provider import Envelope, ExtensionCall, Prepared, RetryMode, malformed

from .api import CREATED, UUID_RE, encode_json
from .codes import CODE_TABLE


class _Adapter(Protocol):
    """What the operations use of :class:`~ekyc.providers.didit.DiditProvider` (a protocol: the adapter builds
    the operations, so this module does not import it back)."""

    def read(self, prepared: Prepared, response: httpx.Response, *, ok: Collection[int] | None = None,
             decode: bool = True) -> Envelope: ...

    def request(self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None,
                accept: str | None = None) -> httpx.Request: ...

    def session_id(self, ref: SessionRef | str) -> str: ...

#: neutral check → Didit workflow feature (the "features" form of ``POST /v3/workflows/``)
WORKFLOW_FEATURES = {Check.DOCUMENT: "OCR", Check.LIVENESS: "LIVENESS", Check.FACE_MATCH: "FACE_MATCH"}
_FEATURE_ORDER = ("OCR", "LIVENESS", "FACE_MATCH")
NEW_STATUSES = {
    "approve": "Approved", "approved": "Approved",
    "decline": "Declined", "declined": "Declined",
    "resubmit": "Resubmitted", "resubmitted": "Resubmitted",
}
#: ``nodes_to_resubmit[].feature`` values [PKG models/session.py] [DIGEST]
_RESUBMIT = (
    "OCR OCR_BACK NFC AML FACE LIVENESS FACE_MATCH IP_ANALYSIS AGE_ESTIMATION PROOF_OF_ADDRESS PHONE_VERIFICATION "
    "EMAIL_VERIFICATION FACE_SEARCH DATABASE_VALIDATION QUESTIONNAIRE DOCUMENT_AI ID_VERIFICATION POA PHONE EMAIL"
)
RESUBMIT_FEATURES = frozenset(_RESUBMIT.split())
SESSION_FILTERS = ("vendor_data", "status", "country", "workflow_id", "session_kind", "search", "date_from",
                   "date_to")
#: ``email_language`` values of update-status [DOCS:sessions-api/update-status]
_EMAIL_LANGS = (
    "en es fr de pt it ar bg bn ca cs da el et fa fi he hi hr hu hy id ja ka ko lt lv mk ms nl no pl pt-BR ro ru "
    "sk sl so sr sv th tr uk uz vi zh zh-CN zh-TW"
)
EMAIL_LANGUAGES = frozenset(_EMAIL_LANGS.split())
#: ``comment`` limit (the reviews endpoint documents 10,000 characters [DOCS:management-api/sessions/create-review])
MAX_COMMENT = 10_000
#: a workflow feature name as Didit spells them (``OCR``, ``FACE_MATCH``, ``PROOF_OF_ADDRESS``, …)
_FEATURE_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{1,63}")
_ALPHA3 = re.compile(r"[A-Z]{3}")
_WHITESPACE = str.maketrans("\n\r\t", "   ")


def _bad(message: str, field: str) -> InvalidRequest:
    return InvalidRequest(message, provider="didit", field=field)


def _text(value: Any, field: str, *, max_len: int = 256, optional: bool = False) -> str | None:
    """A printable, non-blank string of at most ``max_len`` characters (None allowed when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise _bad(f"{field} is a non-empty string of at most {max_len} characters", field)
    if not value.translate(_WHITESPACE).isprintable():
        raise _bad(f"{field} has control characters", field)
    return value


def _flag(value: Any, field: str, *, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise _bad(f"{field} is True or False", field)
    return value


def _count(value: Any, field: str, lo: int, hi: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(f"{field} is an integer from {lo} to {hi}", field)
    return value


def _items(value: Any, field: str) -> list[Any]:
    """The items of a collection argument (a string or a mapping is not a collection of items here)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise _bad(f"{field} is a list", field)
    try:
        out = list(value)
    except Exception:  # a user's iterable may raise anything
        raise _bad(f"{field} could not be read", field) from None
    if len(out) > 64:
        raise _bad(f"{field} has more than 64 items", field)
    return out


class DiditOperations:
    """Didit-only operations (provider-specific; not portable to other providers)."""

    def __init__(self, provider: _Adapter, call: ExtensionCall) -> None:
        self._p = provider
        self._call = call

    # -- internals ---------------------------------------------------------------------------------
    def _json(self, prepared: Prepared, response: httpx.Response) -> Any:
        data = self._p.read(prepared, response, ok=CREATED).body
        if not isinstance(data, dict):
            raise ProviderError(f"malformed {prepared.operation} response", provider="didit",
                                http_status=response.status_code)
        return data

    def _run(self, method: str, path: str, operation: str, retry: RetryMode, *, body: Any = None,
             params: Mapping[str, Any] | None = None, accept: str | None = None,
             parse: Any = None) -> Any:
        if body is not None:
            encode_json(body)  # refuse what JSON cannot carry before anything is sent

        def build() -> Prepared:
            return Prepared(self._p.request(method, path, body=body, params=params, accept=accept), operation, retry)

        return self._call(build, parse or self._json)

    def _sid(self, session: Any) -> str:
        if not isinstance(session, (SessionRef, str)):
            raise _bad("session is a SessionRef or a Didit session id", "session")
        return self._p.session_id(session)

    # -- workflows ---------------------------------------------------------------------------------------
    def create_workflow(self, checks: Iterable[Check | str] = tuple(Check), *, label: str = "ekyc",
                        config: Mapping[str, Mapping[str, Any]] | None = None,
                        extra_features: Iterable[str] = ()) -> Any:
        """One-time setup: ``POST /v3/workflows/`` in the "features" form from neutral checks
        (document→OCR, liveness→LIVENESS, face_match→FACE_MATCH). ``config`` maps a Didit feature name of
        this workflow to its config object (JSON values); ``extra_features`` adds Didit feature names
        (``AML``, ``IP_ANALYSIS``, …). Returns the workflow object; use its ``uuid`` as ``workflow_id``."""
        wanted = set()
        for c in _items(checks, "checks"):
            try:
                wanted.add(WORKFLOW_FEATURES[Check(c)])
            except (ValueError, TypeError, KeyError):
                raise _bad("checks are document, liveness or face_match", "checks") from None
        if not wanted:
            raise _bad("a workflow needs at least one check", "checks")
        label = _text(label, "label") or "ekyc"
        extra = []
        for f in _items(extra_features, "extra_features"):
            if not isinstance(f, str) or not _FEATURE_NAME.fullmatch(f):
                raise _bad("extra_features are Didit feature names such as AML", "extra_features")
            extra.append(f)
        names = [f for f in _FEATURE_ORDER if f in wanted] + extra
        if len(set(names)) != len(names):
            raise _bad("a feature is listed twice", "extra_features")
        if config is not None and not isinstance(config, Mapping):
            raise _bad("config maps feature names to config objects", "config")
        cfg = dict(config or {})
        for key, value in cfg.items():
            if key not in names:
                raise _bad("config names a feature the workflow does not have", "config")
            if not isinstance(value, Mapping):
                raise _bad("each config value is an object", f"config.{key}")
        features = [{"feature": f, "config": dict(cfg.get(f, {}))} for f in names]
        body = {"workflow_label": label, "features": features}
        return self._run("POST", "/v3/workflows/", "create_workflow", RetryMode.NOT_SENT, body=body)

    def list_workflows(self) -> Any:
        """``GET /v3/workflows/`` → ``{count, next, previous, results}``."""
        return self._run("GET", "/v3/workflows/", "list_workflows", RetryMode.READ)

    # -- sessions ------------------------------------------------------------------------------------------
    def _nodes(self, nodes_to_resubmit: Any) -> list[dict[str, str]]:
        nodes = []
        for i, node in enumerate(_items(nodes_to_resubmit, "nodes_to_resubmit")):
            field = f"nodes_to_resubmit[{i}]"
            if isinstance(node, Mapping):
                node_id, feature = node.get("node_id"), node.get("feature")
            elif isinstance(node, tuple) and len(node) == 2:
                node_id, feature = node
            else:
                raise _bad("each node is {'node_id', 'feature'} or a (node_id, feature) pair", field)
            node = _text(node_id, f"{field}.node_id", max_len=128) or ""
            if not isinstance(feature, str) or feature not in RESUBMIT_FEATURES:
                raise _bad("feature is one of Didit's resubmit features (OCR, LIVENESS, …)", f"{field}.feature")
            nodes.append({"node_id": node, "feature": feature})
        return nodes

    def update_status(self, session: SessionRef | str, new_status: str, *, comment: str | None = None,
                      nodes_to_resubmit: Iterable[Mapping[str, str] | tuple[str, str]] | None = None,
                      send_email: bool | None = None, email_address: str | None = None,
                      email_language: str | None = None) -> Any:
        """``PATCH /v3/session/{id}/update-status/`` (approve / decline / resubmit). Returns the session id.

        ``nodes_to_resubmit`` (required with resubmit, refused otherwise): ``{"node_id", "feature"}`` mappings
        or ``(node_id, feature)`` pairs; ``send_email=True`` needs ``email_address``
        [DOCS:sessions-api/update-status].

        Didit's rules [DOCS:sessions-api/update-status]: the session must be Approved, Declined, In Review,
        Kyc Expired, Abandoned or Resubmitted (else ``InvalidRequest``, 400 ``Wrong Current Status``); approve /
        decline of a session already in that status changes nothing and sends no webhook (the session id is
        returned all the same); resubmit of a Resubmitted session is refused; a resubmission of backend-only
        features (AML, DATABASE_VALIDATION, IP_ANALYSIS) runs at once, and repeating it within 30 s is
        ``RateLimited``.
        """
        status = NEW_STATUSES.get(new_status.lower()) if isinstance(new_status, str) else None
        if status is None:
            raise _bad("new_status is approve, decline or resubmit", "new_status")
        sid = self._sid(session)
        body: dict[str, Any] = {"new_status": status}
        if comment is not None:
            body["comment"] = _text(comment, "comment", max_len=MAX_COMMENT)
        if nodes_to_resubmit is not None:
            if status != "Resubmitted":
                raise _bad("nodes_to_resubmit only goes with resubmit", "nodes_to_resubmit")
            body["nodes_to_resubmit"] = self._nodes(nodes_to_resubmit)
        if status == "Resubmitted" and not body.get("nodes_to_resubmit"):
            raise _bad("resubmit needs nodes_to_resubmit: the steps the user must redo", "nodes_to_resubmit")
        if send_email is not None:
            body["send_email"] = _flag(send_email, "send_email")
        if email_address is not None:
            if not isinstance(email_address, str) or not _EMAIL.fullmatch(email_address):
                raise _bad("email_address is an e-mail address", "email_address")
            body["email_address"] = email_address
        if send_email and email_address is None:
            raise _bad("send_email needs email_address", "email_address")
        if email_language is not None:
            if not isinstance(email_language, str) or email_language not in EMAIL_LANGUAGES:
                raise _bad("email_language is one of Didit's e-mail languages", "email_language")
            body["email_language"] = email_language

        def parse(prepared: Prepared, response: httpx.Response) -> str:
            data = self._json(prepared, response)
            with malformed("didit", "update-status response", http_status=response.status_code):
                out = wire.code(data.get("session_id"), "session_id", max_len=64)
                if out is None:
                    raise wire.WireError("session_id", "missing")
                return out

        return self._run("PATCH", f"/v3/session/{sid}/update-status/", "update_status", RetryMode.NEVER,
                         body=body, parse=parse)

    def approve(self, session: SessionRef | str, comment: str | None = None) -> Any:
        """Manually approve (``update_status(..., "approve")``)."""
        return self.update_status(session, "approve", comment=comment)

    def decline(self, session: SessionRef | str, comment: str | None = None) -> Any:
        """Manually decline."""
        return self.update_status(session, "decline", comment=comment)

    def resubmit(self, session: SessionRef | str, nodes: Iterable[Mapping[str, str] | tuple[str, str]],
                 comment: str | None = None) -> Any:
        """Ask the user to redo some steps (``nodes``: ``(node_id, feature)`` pairs, at least one — Didit
        requires ``nodes_to_resubmit`` with Resubmitted)."""
        return self.update_status(session, "resubmit", comment=comment, nodes_to_resubmit=nodes)

    def delete_session(self, session: SessionRef | str) -> Any:
        """``DELETE /v3/session/{id}/delete/``: Didit deletes the session and everything in it — decision,
        extracted data, media, feature records — for good; no webhook fires [DOCS:sessions-api/delete-session].
        Returns Didit's answer ``{session_id, session_number, face_retention_outcome, biometric_template_uuid,
        biometric_template_expires_at, deleted_child_verifications}``. Retried on 429/502/503/504 (Didit: "503
        on delete: repeat until 200"); a session already gone is ``SessionNotFound``. This is the provider
        delete :meth:`ekyc.ledger.Ledger.purge` calls."""
        sid = self._sid(session)

        def parse(prepared: Prepared, response: httpx.Response) -> dict[str, Any]:
            data: dict[str, Any] = self._json(prepared, response)
            with malformed("didit", "delete response", http_status=response.status_code):
                if wire.code(data.get("session_id"), "session_id", max_len=64) != sid:
                    raise wire.WireError("session_id", "does not match the request")
            return data

        return self._run("DELETE", f"/v3/session/{sid}/delete/", "delete_session", RetryMode.READ, parse=parse)

    def generate_pdf(self, session: SessionRef | str) -> Any:
        """``GET /v3/session/{id}/generate-pdf/`` (trailing slash kept: without it Didit redirects and drops
        the key). Returns the PDF bytes."""
        sid = self._sid(session)

        def parse(prepared: Prepared, response: httpx.Response) -> bytes:
            content: bytes = self._p.read(prepared, response, ok=CREATED, decode=False).body
            if not content.startswith(b"%PDF"):
                raise ProviderError("the report is not a PDF", provider="didit", http_status=response.status_code)
            return content

        return self._run("GET", f"/v3/session/{sid}/generate-pdf/", "generate_pdf", RetryMode.READ,
                         accept="application/pdf", parse=parse)

    def list_sessions(self, *, limit: int | None = None, offset: int | None = None, **filters: Any) -> Any:
        """``GET /v3/sessions/`` with filters → ``{count, next, previous, results}``.

        Filters: ``vendor_data``, ``search`` (text), ``status`` (a session status), ``country`` (alpha-3),
        ``workflow_id`` (UUID), ``session_kind`` (``user``, ``business``, ``all``), ``date_from`` / ``date_to``
        (``YYYY-MM-DD``); ``limit`` 1–1000, ``offset`` ≥ 0.
        """
        unknown = sorted(set(filters) - set(SESSION_FILTERS))
        if unknown:
            raise _bad(f"unknown session filter {unknown[0][:40]!r}", "filters")
        params: dict[str, Any] = {}
        for key, value in filters.items():
            if value is None:
                continue
            params[key] = _text(value, key)
            if key == "status" and CODE_TABLE.get("status", value) is None:
                raise _bad("status is one of Didit's session statuses", key)
            if key == "country" and not _ALPHA3.fullmatch(value):
                raise _bad("country is an ISO 3166 alpha-3 code", key)
            if key == "session_kind" and value not in ("user", "business", "all"):
                raise _bad("session_kind is user, business or all", key)
            if key == "workflow_id" and not UUID_RE.fullmatch(value):
                raise _bad("workflow_id is a UUID", key)
            if key in ("date_from", "date_to"):
                try:
                    if len(value) != 10 or wire.iso_date(value, key) is None:
                        raise wire.WireError(key, "not a date")
                except wire.WireError:
                    raise _bad(f"{key} is a YYYY-MM-DD date", key) from None
        if (n := _count(limit, "limit", 1, 1000)) is not None:
            params["limit"] = n
        if (n := _count(offset, "offset", 0, 2**31 - 1)) is not None:
            params["offset"] = n
        return self._run("GET", "/v3/sessions/", "list_sessions", RetryMode.READ, params=params)

    def arm_sandbox(self, session: SessionRef | str, scenario: str) -> Any:
        """Sandbox applications only: ``POST /v3/session/{id}/sandbox/arm/`` (while the session is Not Started)."""
        sid = self._sid(session)
        scenario = _text(scenario, "scenario", max_len=128) or ""
        return self._run("POST", f"/v3/session/{sid}/sandbox/arm/", "arm_sandbox", RetryMode.NEVER,
                         body={"scenario": scenario})

    # -- blocklist --------------------------------------------------------------------------------------
    def _blocklist(self, session: Any, prefix: str, flags: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"session_id": self._sid(session)}
        for item, value in flags.items():
            body[f"{prefix}_{item}"] = _flag(value, item)
        return body

    def blocklist_add(self, session: SessionRef | str, *, face: bool = True, document: bool = True,
                      phone: bool = False, email: bool = False) -> Any:
        """``POST /v3/blocklist/add/``: block this session's face/document/phone/e-mail in future sessions."""
        body = self._blocklist(session, "blocklist", {"face": face, "document": document, "phone": phone,
                                                      "email": email})
        return self._run("POST", "/v3/blocklist/add/", "blocklist_add", RetryMode.NOT_SENT, body=body)

    def blocklist_remove(self, session: SessionRef | str, *, face: bool = True, document: bool = True,
                         phone: bool = False, email: bool = False) -> Any:
        """``POST /v3/blocklist/remove/``."""
        body = self._blocklist(session, "unblock", {"face": face, "document": document, "phone": phone,
                                                    "email": email})
        return self._run("POST", "/v3/blocklist/remove/", "blocklist_remove", RetryMode.NOT_SENT, body=body)
