"""Sending a request through the connection pool's transport, without the ``httpx.Client`` layers ekyc never uses.

``httpx.Client.send`` wraps the transport in an auth flow, a redirect loop, event hooks, a log line and a cookie
jar. A provider API call uses none of them: ekyc's requests carry their own signatures and are built as
``httpx.Request`` objects (``send`` never adds the jar's cookies to those), and no provider API redirects. The jar
still extracts every response's cookies — rebuilding each response's headers into an ``email.Message`` to look
for ``Set-Cookie`` — and keeps them for the client's lifetime: pure cost, larger than all of ekyc's normalization
of a small result (tens of µs per call, measured in ``bench/_cpu.py``).

So a client that builds its own pool sends through the pool's transport directly (:func:`send`,
:func:`asend`): the same transport, the same connection pool, TLS settings, timeouts (the request's ``timeout``
extension) and exceptions (``httpx.TransportError`` subclasses). An ``http_client`` the application gives is
used as is (its hooks, auth and mounts are the application's choice), and so is an ``httpx.Client`` whose
requests go through a proxy from the environment (:func:`env_proxies`).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def env_proxies() -> bool:
    """Whether the environment names an HTTP proxy that an ``httpx.Client`` with ``trust_env`` would mount
    (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, any case; system settings where the platform has them) —
    exactly what ``httpx`` reads (``urllib.request.getproxies``). ``NO_PROXY`` alone mounts nothing."""
    found = urllib.request.getproxies()
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


def pool_transport(given: T | None, build: Callable[[], T]) -> T | None:
    """The transport a client's own pool is built on, and sent through directly: the one the application gave,
    else a fresh one (``build``: what ``httpx.Client``/``AsyncClient`` would build itself) — or None when the
    environment names a proxy (:func:`env_proxies`): httpx then builds its own and routes through the proxy."""
    if given is not None:
        return given
    return None if env_proxies() else build()


def send(transport: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
    """``request`` through ``transport``, the body read (the connection is back in the pool on return)."""
    response = transport.handle_request(request)
    try:
        response.request = request
        response.read()
    except BaseException:
        response.close()
        raise
    return response


async def asend(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    """:func:`send` for an async transport."""
    response = await transport.handle_async_request(request)
    try:
        response.request = request
        await response.aread()
    except BaseException:
        await response.aclose()
        raise
    return response
