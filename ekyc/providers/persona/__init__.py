"""Persona (inquiries, REST API ``/api/v1``, version 2025-12-08): adapter, code table, webhook signing and the
sandbox emulator."""

from .adapter import PersonaProvider, PersonaSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "PersonaProvider", "PersonaSettings"]
