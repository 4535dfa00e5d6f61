"""The sandbox served on loopback in its own process (so server CPU never shares the client's GIL).

Prints one JSON line — ``{"base_url": ..., "config": <Client.from_config mapping>, "hints": <each emulator's
settings for the vendor SDK>}`` — then serves until killed.
"""

from __future__ import annotations

import json
import sys

import uvicorn

from ekyc.cli.serve import base_url, bind
from ekyc.sandbox import Sandbox


def main() -> None:
    sock = bind("127.0.0.1", 0)  # sets TCP_NODELAY (inherited by accepted sockets)
    sandbox = Sandbox(base_url=base_url(sock))
    config = uvicorn.Config(sandbox.app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    hints = {name: emulator.sdk_hints(sandbox.base_url) for name, emulator in sandbox.emulators.items()}
    sys.stdout.write(json.dumps({"base_url": sandbox.base_url, "config": sandbox.client_config(), "hints": hints})
                     + "\n")
    sys.stdout.flush()
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
