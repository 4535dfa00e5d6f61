"""Didit (REST API v3): adapter, code table, webhook signing and the sandbox emulator."""

from .adapter import DiditProvider, DiditSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "DiditProvider", "DiditSettings"]
