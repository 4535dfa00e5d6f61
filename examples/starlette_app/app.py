"""An app that verifies its users' identity with ekyc's Starlette integration, against the local sandbox.

One command, no credentials (needs ``pip install -e '.[starlette,sandbox]'``; ``.[dev]`` has both)::

    python examples/starlette_app/app.py                     # then open http://127.0.0.1:8000
    python examples/starlette_app/app.py --provider alibaba  # any registered provider; --port, --host

Sign in as any test user, press "Verify my identity", finish the provider's hosted page (the sandbox's emulator
of it: pick a scenario), and come back to the app, which shows the outcome from its own ledger. The sandbox is
served on a second loopback port, its webhooks point at this app's ``/kyc/webhooks/{provider}``, and the ledger
is a SQLite file in a temporary directory. For a real deployment swap the sandbox client for ``AsyncClient()``
(credentials from the environment), the file for PostgreSQL and the cookie below for your own sign-in.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import secrets
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ekyc import registry
from ekyc.cli.serve import base_url, bind, serve_in_thread
from ekyc.integrations import Config, same_origin_request, status_body
from ekyc.integrations.starlette import Verification
from ekyc.ledger import AsyncLedger, LedgerSession, generate_key
from ekyc.models import ALL_CHECKS, DocumentType
from ekyc.sandbox import Delivery, Sandbox

COOKIE = "example_user"
#: what the app asks every provider to check (the sandbox's person carries a passport from GBR)
REQUEST_FIELDS = {"checks": ALL_CHECKS, "document_types": (DocumentType.PASSPORT,), "country": "GBR"}
MESSAGES = {
    "APPROVED": "Your identity is verified.", "DECLINED": "The verification did not succeed. You may try again.",
    "ABANDONED": "The verification was not finished. You may start again.",
    "EXPIRED": "The verification link expired. You may start again.",
    "REVIEW": "Your verification is being reviewed by a person.",
    "PENDING": "Your verification is not finished yet.", "ERROR": "The provider could not decide. Try again.",
    "NONE": "You have not verified your identity yet.", "STARTING": "Your verification is being set up.",
}
ERRORS = {
    "session_mismatch": "That verification link belongs to another session: it was ignored.",
    "unrecognized_return": "That return link was not recognized: it was ignored.",
    "no_session": "You have no verification to come back to.",
    "provider_unavailable": "The provider could not be reached; the outcome will be fetched shortly.",
}


class Users:
    """A test-only sign-in: the user name in a cookie signed with a per-process secret (HttpOnly, SameSite=Lax).
    Use your app's own authentication instead."""

    def __init__(self) -> None:
        self.secret = secrets.token_bytes(32)

    def _sign(self, name: str) -> str:
        return hmac.new(self.secret, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def cookie(self, name: str) -> str:
        return f"{name}.{self._sign(name)}"

    def current(self, request: Request) -> str | None:
        value = request.cookies.get(COOKIE, "")
        name, _, mac = value.rpartition(".")
        if name and hmac.compare_digest(mac, self._sign(name)):
            return name
        return None


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
                        "<meta name=viewport content='width=device-width, initial-scale=1'></head>"
                        "<body style='font-family: sans-serif; max-width: 40em; margin: 2em auto'>"
                        f"{body}</body></html>",
                        headers={"Cache-Control": "no-store"})


def create_app(ledger: AsyncLedger, *, provider: str, users: Users | None = None) -> Starlette:
    """The example app over ``ledger`` (an :class:`AsyncLedger` on any client), verifying with ``provider``."""
    users = users or Users()
    decided: list[tuple[int, str]] = []

    def on_decision(session: LedgerSession) -> None:
        # grant access, send an e-mail, … (at least once: key it on the session id and state)
        decided.append((session.id, session.state))

    kyc = Verification(ledger, users.current, on_decision=on_decision,
                       config=Config(provider=provider, after_return="/", login_url="/",
                                     request_fields=REQUEST_FIELDS))

    async def home(request: Request) -> Response:
        user = users.current(request)
        if user is None:
            return _page("Sign in", "<h1>Example app</h1><form method=post action=/login>"
                         "<label>Sign in as a test user: <input id=name name=name value=alice required "
                         "pattern='[A-Za-z0-9_-]{1,40}'></label> <button id=login>Sign in</button></form>")
        status = status_body(await ledger.status(user), ledger.policy)
        state = str(status["state"])
        error = request.query_params.get("kyc_error")
        parts = [f"<h1>Example app</h1><p>Signed in as <b id=user>{html.escape(user)}</b>. "
                 "<form method=post action=/logout style='display:inline'><button id=logout>Sign out</button></form>"
                 f"</p><p>Identity verification: <b id=state>{html.escape(state)}</b> — "
                 f"{html.escape(MESSAGES.get(state, ''))}</p>"]
        if status["reasons"]:
            parts.append(f"<p>Reasons: <span id=reasons>{html.escape(', '.join(status['reasons']))}</span></p>")
        if error:
            parts.append(f"<p id=error role=alert>{html.escape(ERRORS.get(error, 'Something went wrong.'))}</p>")
        if status["next"] in ("start", "continue"):
            label = "Verify my identity" if status["next"] == "start" else "Continue my verification"
            parts.append(f"<p><a id=verify href='{kyc.config.path('start')}'>{label}</a></p>")
        parts.append(f"<p><small>Provider: {html.escape(provider)} (sandbox).</small></p>")
        return _page("Example app", "".join(parts))

    async def login(request: Request) -> Response:
        if not _same_site(request, kyc.config):
            return Response("cross-site request refused", status_code=403)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        name = form.get("name", "")
        if not (0 < len(name) <= 40 and all(c.isascii() and (c.isalnum() or c in "_-") for c in name)):
            return Response("a user name is 1-40 letters, digits, _ or -", status_code=400)
        answer = RedirectResponse("/", status_code=303)
        answer.set_cookie(COOKIE, users.cookie(name), httponly=True, samesite="lax", path="/")
        return answer

    async def logout(request: Request) -> Response:
        if not _same_site(request, kyc.config):
            return Response("cross-site request refused", status_code=403)
        answer = RedirectResponse("/", status_code=303)
        answer.delete_cookie(COOKIE, path="/")
        return answer

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ledger.migrate()
        yield
        await ledger.aclose()

    app = Starlette(routes=[Route("/", home), Route("/login", login, methods=["POST"]),
                            Route("/logout", logout, methods=["POST"]), *kyc.routes], lifespan=lifespan)
    app.state.decided = decided
    app.state.ledger = ledger
    return app


def _same_site(request: Request, config: Config) -> bool:
    return same_origin_request(own_origin=config.own_origin(str(request.url)), origin=request.headers.get("origin"),
                               referer=request.headers.get("referer"),
                               sec_fetch_site=request.headers.get("sec-fetch-site"))


@dataclass
class Running:
    """A running example: the app's URL, the served sandbox and the app itself."""

    url: str
    sandbox: Sandbox
    app: Starlette


@contextlib.contextmanager
def running(provider: str, *, host: str = "127.0.0.1", port: int = 0, database: str | None = None,
            quiet: bool = True, on_sent: Callable[[Delivery, int | None, str | None], None] | None = None,
            ) -> Iterator[Running]:
    """Serve the sandbox and the example app (both on loopback, in background threads) until the block ends.
    ``on_sent`` sees each webhook the sandbox sent to the app, with the app's answer (status or error name)."""
    if provider not in registry.names():
        raise SystemExit(f"unknown provider {provider!r}; registered: {', '.join(registry.names())}")
    with contextlib.ExitStack() as stack:
        sandbox = stack.enter_context(serve_in_thread(host="127.0.0.1"))
        sandbox.on_sent = on_sent if on_sent is not None else None if not quiet else (lambda *args: None)
        # the browser's own metadata, never the sandbox's stand-in: the launch page must collect it
        client = sandbox.async_client({"providers": {"alibaba": {"sandbox_meta_info": False}}}
                                      if "alibaba" in sandbox.providers else None)
        if database is None:
            database = str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "ledger.db")
        ledger = AsyncLedger(database, client, key=generate_key())
        app = create_app(ledger, provider=provider)
        sock = bind(host, port)
        url = base_url(sock)
        for name in sandbox.providers:
            sandbox.set_webhook_url(f"{url}/kyc/webhooks/{name}", name)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning" if quiet else "info", access_log=not quiet))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the example app did not start")
            threading.Event().wait(0.01)
        try:
            yield Running(url, sandbox, app)
        finally:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", default="didit", choices=registry.names())
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with running(args.provider, host=args.host, port=args.port, quiet=False) as example:
        print(f"Example app on {example.url} (provider {args.provider}; sandbox on {example.sandbox.base_url}). "
              "Ctrl-C to stop.", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
