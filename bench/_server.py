"""The sandbox served on loopback in its own process (so server CPU never shares the client's GIL).

Prints one JSON line — ``{"base_url": ..., "config": <Client.from_config mapping>}`` — then serves until killed.
"""

from __future__ import annotations

import json
import socket
import sys

import uvicorn

from ekyc.cli.serve import base_url, bind
from ekyc.sandbox import Sandbox


def main() -> None:
    sock = bind("127.0.0.1", 0)
    # ``bind`` makes a socket with proto 0, so asyncio does not set TCP_NODELAY on accepted connections and
    # uvicorn's two writes per response (head, then body) meet Nagle + delayed ACK: ~40 ms per request.
    # Accepted sockets inherit the option from the listening socket on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sandbox = Sandbox(base_url=base_url(sock))
    config = uvicorn.Config(sandbox.app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    sys.stdout.write(json.dumps({"base_url": sandbox.base_url, "config": sandbox.client_config()}) + "\n")
    sys.stdout.flush()
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
