"""A small thread-safe in-memory store with expiry on the sandbox clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class MemoryStore(Generic[V]):
    """Key → value with an optional time-to-live measured on ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[V, float | None]] = {}

    def put(self, key: str, value: V, ttl: float | None = None) -> None:
        """Store ``value``; it disappears ``ttl`` seconds from now (never when None)."""
        with self._lock:
            self._items[key] = (value, None if ttl is None else self._clock() + ttl)

    def get(self, key: str) -> V | None:
        """The live value, or None when absent or expired."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, expires = item
            if expires is not None and self._clock() >= expires:
                del self._items[key]
                return None
            return value

    def pop(self, key: str) -> V | None:
        """Remove and return a live value."""
        value = self.get(key)
        with self._lock:
            self._items.pop(key, None)
        return value

    def values(self) -> Iterator[V]:
        """Every live value (a snapshot)."""
        with self._lock:
            keys = list(self._items)
        for key in keys:
            value = self.get(key)
            if value is not None:
                yield value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None
