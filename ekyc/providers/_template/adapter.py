"""The template adapter: sans-I/O request building and response parsing for a small REST vendor.

The template vendor's API (replace it with the real vendor's, citing its documentation):

- ``POST {endpoint}/template/sessions`` with ``x-key: <api key>`` and ``{"reference", "return_url"}`` →
  ``201 {"id", "url"}``; the user is sent to ``url``, and comes back to ``return_url?template_session=<id>``;
- ``GET {endpoint}/template/sessions/{id}`` → ``200 {"id", "status", "reference", "checks", "reasons",
  "document"}`` where ``checks`` maps ``document`` / ``liveness`` / ``face_match`` to a sub-check state;
- errors: ``{"code", "message"}`` with an HTTP status (read by :meth:`TemplateProvider.envelope`);
- webhooks: ``POST`` ``{"event_id", "session_id", "status", "timestamp"}`` signed as :mod:`.signing` says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import SecretStr

from ekyc import _wire as wire
from ekyc.countries import ALPHA3_TO_ALPHA2
from ekyc.errors import WebhookVerificationError
from ekyc.evidence import Evidence, State, settle
from ekyc.models import (
    ALL_CHECKS,
    Check,
    CheckResult,
    Checks,
    Decision,
    DocumentType,
    Identity,
    Outcome,
    Reason,
    ReasonCode,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)
from ekyc.provider import (
    CREATE_SESSION,
    GET_RESULT,
    Capabilities,
    Envelope,
    LinkReuse,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
    malformed,
)

from . import signing
from .codes import CODE_TABLE

#: sub-check state → evidence state (the code table's ``check`` kind)
STATES = {"passed": State.PASSED, "failed": State.FAILED, "skipped": State.UNFINISHED}
#: the vendor's document types
DOCUMENT_TYPES = {"passport": DocumentType.PASSPORT, "id_card": DocumentType.ID_CARD,
                  "drivers_license": DocumentType.DRIVERS_LICENSE}


class TemplateSettings(ProviderSettings):
    """Template settings. Environment: ``TEMPLATE_API_KEY``, ``TEMPLATE_WEBHOOK_SECRET``."""

    env_aliases = {"api_key": ("TEMPLATE_API_KEY",), "webhook_secret": ("TEMPLATE_WEBHOOK_SECRET",)}

    api_key: SecretStr
    webhook_secret: SecretStr | None = None


class TemplateProvider(Provider):
    """The template vendor (see the module docstring for its API)."""

    name = "template"
    display_name = "Template"
    settings_model = TemplateSettings
    settings: TemplateSettings
    capabilities = Capabilities(
        link=LinkReuse.REUSABLE,
        link_source="unknown",
        check_sets=frozenset({ALL_CHECKS}), document_types=frozenset(DOCUMENT_TYPES.values()),
        reference_image=False, expected_identity=False, contact_email=False, return_url_required=False,
        client_metadata_required=False, create_retry=RetryMode.NOT_SENT,
        webhooks=f"HMAC-SHA256 over timestamp and body ({signing.HEADER}), {signing.TOLERANCE_SECONDS} s freshness",
    )
    code_table = CODE_TABLE
    documented_success = frozenset({("status", "ok")})
    emulator = "ekyc.providers._template.emulator:TemplateEmulator"

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.base_url(f"https://{self.name}.invalid") + f"/{self.name}{path}"

    def _headers(self) -> dict[str, str]:
        return {"x-key": self.settings.secret("api_key"), "accept": "application/json"}

    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """The one per-provider hook of :meth:`~ekyc.provider.Provider.read`: an error status carries
        ``{"code", "message"}`` (typed by the code table's ``api_error`` kind, else by the HTTP status); a
        result status carries the payload itself."""
        if response.status_code < 300 or not isinstance(data, dict):
            return Envelope(body=data)
        code = data.get("code")
        message = data.get("message")
        return Envelope(body=data, code=code if isinstance(code, str) else None,
                        message=message if isinstance(message, str) else None)

    # -- create ------------------------------------------------------------------------------------
    def build_create(self, request: SessionRequest) -> Prepared:
        self.check_request(request)
        body = {"reference": request.reference, "return_url": request.return_url}
        headers = {**self._headers(), "content-type": "application/json"}
        return Prepared(httpx.Request("POST", self.url("/sessions"), headers=headers,
                                      content=json.dumps(body).encode()), CREATE_SESSION, RetryMode.NOT_SENT)

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        env = self.read(prepared, response, ok={201})  # the documented answer of a create is 201, nothing else
        with malformed(self.name, "session", http_status=response.status_code):
            created = wire.obj(env.body, "session")
            sid, url = wire.code(created.get("id"), "id", max_len=64), wire.text(created.get("url"), "url")
            if not sid or not url:
                raise wire.WireError("id" if not sid else "url", "is missing")
            return Session(ref=SessionRef(provider=self.name, id=sid), url=url)

    # -- result ------------------------------------------------------------------------------------
    def build_result(self, ref: SessionRef) -> Prepared:
        url = self.url(f"/sessions/{quote(ref.id, safe='')}")
        return Prepared(httpx.Request("GET", url, headers=self._headers()), GET_RESULT, RetryMode.READ, ref=ref)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        ref = prepared.require_ref()
        return self.read_result(prepared, response, lambda env: self.decide(wire.obj(env.body, "result"), ref))

    def decide(self, data: Mapping[str, Any], ref: SessionRef) -> Decision:
        """A result payload → :class:`Decision` through the code table and :func:`ekyc.evidence.settle`.

        ``status`` gives the outcome and ``reasons`` explain it. A status the table does not know is ``ERROR``.
        A success needs every sub-check reported as passed: one that failed, did not run, is missing or in an
        undocumented state, or a reason next to the success, makes it ``REVIEW`` (the evidence rule).
        Raises :class:`ekyc._wire.WireError` for a field of the wrong type.
        """
        status = wire.code(data.get("status"), "status")
        entry = CODE_TABLE.get("status", status) if status else None
        outcome = entry.outcome if entry is not None and entry.outcome is not None else Outcome.ERROR
        status_reasons = [entry.to_reason(status)] if entry is not None and entry.reason is not None else []
        if entry is None:
            status_reasons = [Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=status,
                                     message="undocumented status")]
        for i, raw in enumerate(wire.array(data.get("reasons", []), "reasons")):
            code = wire.code(raw, f"reasons[{i}]")
            known = CODE_TABLE.get("reason", code) if code else None
            status_reasons.append(known.to_reason(code) if known is not None else Reason(
                code=ReasonCode.UNKNOWN, retryable=False, provider_code=code, message="undocumented reason"))
        checks = wire.opt_obj(data.get("checks"), "checks")
        evidence, results = [], {}
        for check in (Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH):
            state_code = wire.code(checks.get(check.value), f"checks.{check.value}")
            state = STATES.get(state_code or "", State.UNKNOWN)  # not reported, or undocumented: unknown
            evidence.append(Evidence(f"checks.{check.value}", state))
            results[check.value] = CheckResult(passed={State.PASSED: True, State.FAILED: False}.get(state))
        # a success must be backed by every sub-check; otherwise the status and its reasons decide
        settled = settle(outcome, status_reasons, evidence if outcome is Outcome.APPROVED else ())
        return Decision(
            ref=ref, outcome=settled.outcome, reasons=settled.reasons, warnings=settled.warnings,
            reference=wire.code(data.get("reference"), "reference", max_len=256),
            identity=self._identity(wire.opt_obj(data.get("document"), "document")),
            checks=Checks(**results), provider_status=status, billable=entry.billed if entry else None, raw=data,
        )

    @staticmethod
    def _identity(doc: Mapping[str, Any]) -> Identity:
        kind = wire.code(doc.get("type"), "document.type")
        country = wire.code(doc.get("country"), "document.country", max_len=3)
        if country is not None and country not in ALPHA3_TO_ALPHA2:  # exactly as sent: no case folding
            raise wire.WireError("document.country", "is not an ISO 3166 alpha-3 code")
        return Identity(
            full_name=wire.text(doc.get("full_name"), "document.full_name", max_len=256),
            date_of_birth=wire.iso_date(doc.get("date_of_birth"), "document.date_of_birth"),
            document_number=wire.code(doc.get("number"), "document.number", max_len=64),
            document_type=DOCUMENT_TYPES.get(kind, DocumentType.OTHER) if kind else None,
            issuing_country=country,
            expiry_date=wire.iso_date(doc.get("expiry_date"), "document.expiry_date"),
        )

    # -- what comes back to the app ------------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """The session named by ``?template_session=<id>`` (exactly one, a plain id); a hint, never a result."""
        values = parse_qs(urlsplit(url).query).get(f"{self.name}_session", [])
        if len(values) != 1 or not values[0].isalnum() or len(values[0]) > 64:
            raise WebhookVerificationError("not a return URL of this provider", provider=self.name, field="url")
        return SessionRef(provider=self.name, id=values[0])

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature (every configured secret, signed timestamp within the freshness window) and
        read the event. The event carries the status hint only: call ``get_result`` for the decision."""
        secret = self.settings.webhook_secret
        timestamp = signing.verify(self.name, body, headers, [secret.get_secret_value()] if secret else [],
                                   self.clock())
        try:
            data = wire.obj(wire.loads(body), "body")
            sid = wire.code(data.get("session_id"), "session_id", max_len=64)
            event_id = wire.code(data.get("event_id"), "event_id", max_len=128)
            status = wire.code(data.get("status"), "status")
            sent = wire.integer(data.get("timestamp"), "timestamp")
        except wire.WireError as exc:
            raise WebhookVerificationError("webhook body has an unexpected shape", provider=self.name,
                                           field=exc.field) from None
        if not sid or sent != timestamp:
            raise WebhookVerificationError("webhook names no session or another time", provider=self.name,
                                           field="session_id" if not sid else "timestamp")
        return WebhookEvent(provider=self.name, ref=SessionRef(provider=self.name, id=sid), event_id=event_id,
                            event_type="session.updated", provider_status=status, verified_by=signing.HEADER,
                            authenticated="payload", occurred_at=datetime.fromtimestamp(timestamp, timezone.utc),
                            raw=data)
