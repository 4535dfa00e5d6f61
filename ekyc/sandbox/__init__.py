"""The local sandbox: emulators of every provider's API and hosted page, in-process or served.

Importing this package needs the ``sandbox`` extra (Starlette); ``import ekyc`` does not import it.
"""

from .clock import SandboxClock
from .emulator import Delivery, Emulator
from .scenarios import IDENTITY_FIELDS, PERSON, SCENARIOS, Scenario
from .server import IN_PROCESS_URL, Sandbox, SandboxError, backend
from .store import MemoryStore

__all__ = [
    "IDENTITY_FIELDS",
    "IN_PROCESS_URL",
    "PERSON",
    "SCENARIOS",
    "Delivery",
    "Emulator",
    "MemoryStore",
    "Sandbox",
    "SandboxClock",
    "SandboxError",
    "Scenario",
    "backend",
]
