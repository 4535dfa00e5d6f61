"""The Didit emulator's state: credentials, workflows, sessions (in the sandbox store) and their status
transitions, each announced by a ``status.updated`` webhook signed exactly as Didit signs it.

Sessions are ``dict`` records in :attr:`Emulator.store` under their ``session_id``; their hosted-page token is
the store's link. A session expires 7 days after creation on the sandbox clock (Not Started → Expired; In
Progress/Resubmitted → Abandoned), applied whenever it is read.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ekyc.sandbox.emulator import Delivery, Emulator, Refusal

from . import signing
from .codes import DECISION_STATUSES
from .emulator_render import DEFAULT_FEATURES, Choice, choice, decision_json, plan

SANDBOX_API_KEY = "didit_sandbox_key_7d3f0c2a9b8e4f61"
#: the key of a second, live-mode application of the same account (its sessions say ``environment: live`` and take
#: no sandbox scenario): Didit's sandbox is a per-application mode [DOCS:integration/sandbox-testing]
LIVE_APP_API_KEY = "didit_live_app_key_5c1e8b3f9a2d7e40"
SANDBOX_WORKFLOW_ID = "5a1d1d17-0e4c-4b6f-9d2a-00000000d1d1"
SANDBOX_WEBHOOK_SECRET = "didit_sandbox_whsec_4b9e2f7a1c6d"
SANDBOX_APPLICATION_ID = "0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e"
LIVE_APPLICATION_ID = "0b0b0b0b-2c2c-4d3d-8e4e-5f5f5f5f5f5f"
#: each application's id by its mode: live and sandbox are separate applications, so their sessions never mix
#: (one application's key cannot read, change or list the other's sessions) [DOCS:integration/sandbox-testing]
APPLICATION_IDS = {"sandbox": SANDBOX_APPLICATION_ID, "live": LIVE_APPLICATION_ID}
DEFAULT_WEBHOOK_URL = "https://app.example/webhooks/didit"
SESSION_TTL = 7 * 24 * 3600
#: Didit's answer to a missing or wrong ``x-api-key`` (HTTP 403)
BAD_KEY = "Authentication credentials were not provided or are invalid."


class DiditState(Emulator[dict[str, Any]]):
    """Didit's sessions, workflows and webhooks; errors as Didit renders them (``{"detail": …}`` or
    ``{field: [message]}``). The API (:mod:`.emulator`) and the hosted page (:mod:`.emulator_page`) build
    on it."""

    name = "didit"
    title = "Didit"
    link_missing = "Session not found."

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.api_key = SANDBOX_API_KEY
        self.live_api_key = LIVE_APP_API_KEY
        self.webhook_secret = SANDBOX_WEBHOOK_SECRET
        self.webhook_url: str | None = DEFAULT_WEBHOOK_URL
        #: guards every session record, the counter, the blocklist and the workflows
        self._lock = threading.RLock()
        self._number = 0
        self._blocked: set[tuple[str, str]] = set()
        #: (session id, resubmitted arrays) → when a backend-only resubmission last ran (the 30 s rule)
        self._backend_runs: dict[tuple[str, tuple[str, ...]], float] = {}
        self._workflows: dict[str, dict[str, Any]] = {}
        self._add_workflow(SANDBOX_WORKFLOW_ID, "Sandbox KYC", list(DEFAULT_FEATURES))

    # -- how Didit answers ---------------------------------------------------------------------------
    async def authenticate(self, request: Request) -> None:
        """``x-api-key`` must be one of the account's application keys: otherwise HTTP 403 with Didit's message."""
        if self.environment_of(request) is None:
            raise Refusal("authentication_failed", BAD_KEY, status=403)

    def environment_of(self, request: Request) -> str | None:
        """The mode of the application whose key the request carries (``sandbox`` or ``live``), None for none."""
        key = request.headers.get("x-api-key")
        if key is not None and key == self.api_key:
            return "sandbox"
        if key is not None and key == self.live_api_key:
            return "live"
        return None

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """Didit (Django REST framework) errors: ``{"detail": message}``, or ``{field: [message]}`` for a field."""
        body: dict[str, Any] = ({refusal.field: [refusal.message]} if refusal.field is not None
                                else {"detail": refusal.message})
        return JSONResponse(body, status_code=refusal.status or 400, headers=dict(refusal.headers))

    def unknown_session(self, session_id: str) -> Refusal:
        """HTTP 404 ``{"detail": "Not found."}``."""
        return Refusal("not_found", "Not found.", status=404)

    # -- sessions --------------------------------------------------------------------------------------
    def find(self, session_id: str, environment: str | None = None) -> dict[str, Any]:
        """The session ``session_id`` (any case), its expiry applied; raises Didit's 404 — also when
        ``environment`` (the mode of the calling application, :meth:`environment_of`) is not the session's:
        another application's session is not found, as for any session id the caller does not own."""
        with self._lock:
            s = self.session(session_id.lower())
            if environment is not None and s["environment"] != environment:
                raise self.unknown_session(session_id)
            self.refresh(s)
            return s

    def find_for(self, request: Request, session_id: str) -> dict[str, Any]:
        """:meth:`find` scoped to the application whose key ``request`` carries."""
        return self.find(session_id, self.environment_of(request) or "sandbox")

    def sessions_now(self) -> list[dict[str, Any]]:
        """Every session (oldest first), expiry applied. Call with the lock held."""
        rows = list(self.store.values())
        for s in rows:
            self.refresh(s)
        return rows

    def refresh(self, s: dict[str, Any]) -> None:
        """Apply the 7-day expiry on the sandbox clock."""
        if self.clock.now() < s["expires_ts"]:
            return
        if s["status"] == "Not Started":
            self.set_status(s, "Expired", {})
        elif s["status"] in ("In Progress", "Resubmitted"):
            self.set_status(s, "Abandoned", s["features"])

    def set_status(self, s: dict[str, Any], status: str, features: dict[str, Any]) -> None:
        """Move ``s`` to ``status`` with ``features`` (its feature arrays) and send ``status.updated``."""
        s["status"] = status
        s["features"] = features
        self._webhook(s)

    def next_number(self) -> int:
        """The next ``session_number`` (call with the lock held)."""
        self._number += 1
        return self._number

    # -- workflows and rendering ----------------------------------------------------------------------
    def _add_workflow(self, wid: str, label: str, features: list[str], wtype: str = "kyc") -> dict[str, Any]:
        wf = {"uuid": wid, "workflow_id": wid, "workflow_label": label, "workflow_type": wtype, "is_default": False,
              "is_archived": False, "features": features, "is_simple_workflow": True, "is_editable": True,
              "total_price": "0.00", "min_price": "0.00", "max_price": "0.00",
              "workflow_url": f"{self.sandbox.base_url}/didit/workflow/{wid}", "max_retry_attempts": 3,
              "retry_window_days": 7, "special_add_on_prices": {}}
        self._workflows[wid] = wf
        return wf

    def workflow_features(self, s: dict[str, Any]) -> list[str]:
        """The features of the workflow ``s`` runs."""
        return list(self._workflows.get(s["workflow_id"], {}).get("features", DEFAULT_FEATURES))

    def decision_json(self, s: dict[str, Any]) -> dict[str, Any]:
        """The v3 decision object of a session (every feature array present; null until produced)."""
        return decision_json(s, self.workflow_features(s))

    def choice(self, scenario: Any, code: Any) -> Choice | None:
        """A supported catalog ``scenario``, else a Didit ``code``; None when neither is valid."""
        return choice(scenario, code, self.supports)

    def plan(self, s: dict[str, Any], chosen: Choice, log_type: str | None = None) -> tuple[str, dict[str, Any]]:
        """The final status and feature arrays of ``s`` for ``chosen``."""
        today = datetime.fromtimestamp(self.clock.now(), tz=timezone.utc).date()
        return plan(s, self.workflow_features(s), today, chosen, log_type)

    # -- webhooks --------------------------------------------------------------------------------------
    def _webhook(self, s: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        now = int(self.clock.now())
        payload: dict[str, Any] = {
            "event_id": str(uuid.uuid4()), "webhook_type": "status.updated", "timestamp": now, "created_at": now,
            "application_id": APPLICATION_IDS[s["environment"]], "environment": s["environment"],
            "session_id": s["session_id"],
            "status": s["status"], "workflow_id": s["workflow_id"], "workflow_version": s["workflow_version"],
        }
        if s["vendor_data"] is not None:
            payload["vendor_data"] = s["vendor_data"]
        if s["metadata"] is not None:
            payload["metadata"] = s["metadata"]
        if s["status"] in DECISION_STATUSES:
            payload["decision"] = self.decision_json(s)
        body, headers = signing.sign(payload, self.webhook_secret)
        self.deliver(Delivery("didit", "POST", self.webhook_url, headers, body, session_id=s["session_id"],
                              meta={"status": s["status"]}))
