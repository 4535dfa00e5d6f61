"""In-process transports: ``httpx`` talks to the sandbox's ASGI app with no sockets.

``httpx.ASGITransport`` is async-only; :class:`SyncASGITransport` runs the app on a private event loop
in a daemon thread so the blocking :class:`ekyc.Client` can use it too. Both honour the sandbox's fault
switch for connection failures (the request never reaches the app). An emulator that fails answers HTTP 500,
as the served sandbox (and a real provider) would: its exception never reaches the client's caller untyped (the
sandbox logs it on the ``ekyc.sandbox`` logger).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx

FaultCheck = Callable[[httpx.Request], None]


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """``httpx.ASGITransport`` plus the fault switch."""

    def __init__(self, app: Any, fault_check: FaultCheck) -> None:
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._fault_check = fault_check

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._fault_check(request)
        return await self._inner.handle_async_request(request)


class SyncASGITransport(httpx.BaseTransport):
    """A blocking transport that runs an ASGI app on a background event loop."""

    def __init__(self, app: Any, fault_check: FaultCheck) -> None:
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._fault_check = fault_check
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="ekyc-sandbox", daemon=True).start()
                self._loop = loop
            return self._loop

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._fault_check(request)
        body = request.read()
        forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                                  extensions=request.extensions)
        future = asyncio.run_coroutine_threadsafe(self._handle(forwarded), self._ensure_loop())
        response = future.result()
        response.request = request
        return response

    def close(self) -> None:
        with self._lock:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None
