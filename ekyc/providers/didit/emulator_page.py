"""The Didit hosted verification page at the session ``url`` (``/didit/session/<token>``): opening it starts
the session (Not Started → In Progress); posting a ``scenario`` (or a ``code`` [+ ``log_type``]) finishes it and
redirects to the session's ``callback`` with ``verificationSessionId`` and ``status`` added."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ekyc.sandbox.emulator import Refusal, read_form

from .emulator_state import DiditState

PAGE_PATH = "/didit/session/{token}"


class DiditHostedPage(DiditState):
    """:class:`DiditState` plus the hosted page."""

    async def hosted(self, request: Request) -> Response:
        """``GET`` shows the flow (and starts the session); ``POST`` finishes it and redirects to the callback."""
        with self._lock:
            s = self.linked_session(request.path_params["token"])
            self.refresh(s)
            if s["status"] == "Not Started":
                self.set_status(s, "In Progress", {})
            if request.method == "GET":
                closed = None if s["status"] in ("In Progress", "Resubmitted") else \
                    f"This verification is finished ({s['status']})."
                armed = s["armed"]
                note = f"Sandbox: this session is armed with {armed[1]!r}." if armed else \
                    "Sandbox: pick what the verification returns."
                return self.page(title="Verify your identity", session_label=f"Session {s['session_number']}",
                                 action="", steps=["ID document", "Selfie", "Finish"], note=note, closed=closed)
        form = await read_form(request)
        with self._lock:
            if s["status"] not in ("In Progress", "Resubmitted"):
                raise Refusal("finished", "This verification is finished.", status=409)
            chosen = s["armed"] or self.choice(form.get("scenario"), form.get("code"))
            log_type = form.get("log_type") or None
            if chosen is None or (log_type is not None and log_type not in ("error", "warning", "information")):
                raise Refusal("unknown_choice", "Unknown scenario or code.", status=400)
            status, features = self.plan(s, chosen, log_type)
            s["armed"] = None
            self.set_status(s, status, features)
            callback = s["callback"]
        if not callback:
            return HTMLResponse("<!doctype html><title>Didit</title><p>Verification finished. You can close this "
                                "window.</p>")
        sep = "&" if urlsplit(callback).query else "?"
        query = urlencode({"verificationSessionId": s["session_id"], "status": status})
        return RedirectResponse(f"{callback}{sep}{query}", status_code=303)
