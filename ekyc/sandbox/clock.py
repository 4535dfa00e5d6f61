"""An injectable clock: real time plus an offset that tests (and the demo) can move forward."""

from __future__ import annotations

import threading
import time


class SandboxClock:
    """Wall-clock time shifted by an adjustable offset (seconds since the epoch)."""

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        """The sandbox's current time."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (token expiry, result retention, cooldowns)."""
        with self._lock:
            self._offset += seconds

    def set(self, when: float) -> None:
        """Jump to an absolute time."""
        with self._lock:
            self._offset = when - time.time()
