"""``ekyc sandbox serve``: every emulator on one loopback port, under uvicorn."""

from __future__ import annotations

import json
import shlex
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from ..provider import stays_local
from ..sandbox import Sandbox
from .output import wrap


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit this; without it small responses wait ~40 ms for delayed ACKs
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def base_url(sock: socket.socket) -> str:
    """The http base URL a bound socket answers at."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(sandbox: Sandbox, provider: str | None = None) -> str:
    """What ``serve`` prints at start: the URL, then settings that point ekyc (shell exports and TOML) and each
    vendor's SDK at it, within 80 columns. Text wraps between words only; settings to paste (``export …``, TOML)
    are whole lines, never wrapped (the ``export`` lines start at column 0 so that they fit)."""
    base = sandbox.base_url
    provider = provider or sandbox.providers[0]
    lines = [f"ekyc sandbox listening on {base} (Ctrl-C to stop)", ""]
    hooks = {name: sandbox.webhook_url(name) for name in sandbox.providers}
    if any(hooks.values()):
        lines.append(wrap("Webhooks and callbacks go to your app, whatever callback URL a session names (each "
                          "delivery is logged on stderr):", subsequent=""))
        lines += [f"  {name:8} {url}" for name, url in hooks.items() if url]
        lines.append("")
    lines += [wrap("Point ekyc at it: paste into another shell (sessions go to EKYC_PROVIDER; --provider picks "
                   "another):", subsequent=""),
              f"export EKYC_PROVIDER={provider}"]
    if not stays_local(urlsplit(base).hostname or ""):
        lines[-1:-1] = [wrap("(ekyc sends credentials over plain http only to loopback: from another machine, "
                             "reach this sandbox through an https proxy or an SSH tunnel to 127.0.0.1)",
                             subsequent="")]
    for name in sandbox.providers:
        for key, value in sandbox.client_settings(name).items():
            lines.append(f"export EKYC_{name.upper()}_{key.upper()}={shlex.quote(str(value))}")
    lines += ["then: ekyc create --reference user-1   (prints the session's ref and url)",
              "      ekyc sandbox complete URL --scenario approved",
              "      ekyc result REF", "",
              wrap("Or as TOML (--config FILE of create, result and check-config; Client.from_file):",
                   subsequent=""),
              f"  provider = {json.dumps(provider)}"]
    for name, block in sandbox.client_config()["providers"].items():
        lines.append(f"  [providers.{name}]")
        lines += [f"  {k} = {json.dumps(v)}" for k, v in block.items()]
    lines += ["", "Each vendor's own SDK:"]
    for name, emulator in sandbox.emulators.items():
        lines.append(f"  {emulator.title} ({name}), {len(emulator.supported_scenarios())} scenarios:")
        for key, value in emulator.sdk_hints(base).items():
            lines.append(wrap(str(value), initial=f"    {key}: ", subsequent="      "))
    lines += ["", f"Return page for your browser flows: {base}/_ekyc/return"]
    return "\n".join(lines)


@contextmanager
def serve_in_thread(host: str = "127.0.0.1", port: int = 0, **sandbox_kwargs: object) -> Iterator[Sandbox]:
    """Serve a fresh sandbox on loopback in a background thread (tests, the demo, benchmarks)."""
    import uvicorn

    sock = bind(host, port)
    sandbox = Sandbox(base_url=base_url(sock), **sandbox_kwargs)  # type: ignore[arg-type]
    config = uvicorn.Config(sandbox.app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        threading.Event().wait(0.01)
    try:
        yield sandbox
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
