"""Onfido (API v3.6, Studio workflow runs): adapter, code table, webhook signing and the sandbox emulator."""

from .adapter import OnfidoProvider, OnfidoSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "OnfidoProvider", "OnfidoSettings"]
