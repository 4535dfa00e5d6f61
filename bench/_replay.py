"""A replay server for the async throughput section: recorded answers over HTTP/1.1 keep-alive, nothing else.

The served sandbox (uvicorn, Starlette and the emulators, which verify every signature and build every answer)
costs more CPU per request than the client it serves, so on a small machine it, not the client, sets the
throughput of both sides, and an A/A control of raw httpx against itself spreads by tens of percent. This
server answers each request with the response recorded for its ``(method, path, action)`` — the key of
``bench/_cpu.py``'s ``Recording`` — written out once as bytes: a few µs of plain asyncio per request, so the
client process is the bottleneck and the ratio measures the client.

It runs in its own process on a listening socket it inherits (``--fd``; ``bench/run.py`` binds it first, so the
recorded answers already carry the served address), reads the recording from a JSON file (``dump``), and serves
until killed. ``GET /__replay__/stats`` answers ``{"connections": opened, "closed": n, "requests": answered,
"cpu": seconds}`` (the server process's CPU time so far), so the caller can check that its pools keep their
connections alive and what the server itself spends per request.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import sys
import time
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

Key = tuple[str, str, str]
Answer = tuple[int, list[tuple[str, str]], bytes]

STATS_PATH = "/__replay__/stats"
#: headers about the connection or the encoding of the recorded exchange, not about the answer: each answer is
#: written with its own Content-Length over a kept-alive connection, its body as decoded when recorded
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"})
#: the longest request head read before the connection is refused (the benchmark's heads are ~1 KiB)
MAX_HEAD = 64 * 1024


def dump(responses: Mapping[Key, Answer], path: Path) -> None:
    """Write a recording's responses for the server (bodies base64, headers in recorded order)."""
    rows = [{"key": list(key), "status": status, "headers": headers, "body": base64.b64encode(body).decode()}
            for key, (status, headers, body) in responses.items()]
    path.write_text(json.dumps(rows), encoding="utf-8")


def load(path: Path) -> dict[Key, bytes]:
    """Each recorded answer as the exact bytes written back for its key."""
    answers = {}
    for row in json.loads(path.read_text(encoding="utf-8")):
        method, target, action = row["key"]
        answers[(method, target, action)] = encode(row["status"], row["headers"], base64.b64decode(row["body"]))
    return answers


def encode(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP/1.1 response: status line, the recorded headers minus hop-by-hop ones, Content-Length, body."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP]
    lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def key(method: str, target: str, headers: Mapping[str, str]) -> Key:
    """``bench/_cpu.py``'s key of a request: method, path and the API action (Tencent's ``X-TC-Action``
    header, else Alibaba's ``Action`` query parameter, else empty)."""
    parts = urlsplit(target)
    action = headers.get("x-tc-action") or next((v for k, v in parse_qsl(parts.query, keep_blank_values=True)
                                                 if k == "Action"), "")
    return method, unquote(parts.path), action


class Replay(asyncio.Protocol):
    """One connection: parses request heads, skips bodies (by Content-Length), writes the recorded answer."""

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed += 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self.refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
                return
            request = self.parse(self.buffer[:end])
            if request is None:
                self.refuse(HTTPStatus.BAD_REQUEST)
                return
            method, target, headers = request
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self.refuse(HTTPStatus.NOT_IMPLEMENTED)  # httpx sends a known body with Content-Length
                return
            size = end + 4 + int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < size:
                return  # the rest of the body is still coming
            self.buffer = self.buffer[size:]
            self.server.requests += 1
            self.transport.write(self.server.answer(method, target, headers))
            if headers.get("connection", "").lower() == "close":
                self.transport.close()

    @staticmethod
    def parse(head: bytes) -> tuple[str, str, dict[str, str]] | None:
        """``(method, target, headers with lower-case names)``, or None when the head is not HTTP/1.x."""
        request_line, *lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return None
        headers = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon:
                return None
            headers[name.strip().lower()] = value.strip()
        if not headers.get("content-length", "0").isdigit():
            return None
        return parts[0], parts[1], headers

    def refuse(self, status: HTTPStatus) -> None:
        assert self.transport is not None
        self.transport.write(encode(status, [("connection", "close")], b""))
        self.transport.close()


class ReplayServer:
    """The recorded answers by key, and what the server has seen."""

    def __init__(self, answers: dict[Key, bytes]) -> None:
        self.answers = answers
        self.connections = 0
        self.closed = 0
        self.requests = 0

    def answer(self, method: str, target: str, headers: Mapping[str, str]) -> bytes:
        found = self.answers.get(key(method, target, headers))
        if found is not None:
            return found
        if target == STATS_PATH:
            stats = {"connections": self.connections, "closed": self.closed, "requests": self.requests,
                     "cpu": time.process_time()}
            return encode(200, [("content-type", "application/json")], json.dumps(stats).encode())
        print(f"[replay] no recorded answer for {method} {urlsplit(target).path}", file=sys.stderr, flush=True)
        return encode(404, [("content-type", "text/plain")], b"no recorded answer for this request")

    async def serve(self, sock: socket.socket) -> None:
        server = await asyncio.get_running_loop().create_server(lambda: Replay(self), sock=sock)
        async with server:
            await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recording", type=Path, help="the JSON file written by dump()")
    parser.add_argument("--fd", type=int, required=True, help="an inherited listening TCP socket")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    asyncio.run(ReplayServer(load(args.recording)).serve(sock))


if __name__ == "__main__":
    main()
