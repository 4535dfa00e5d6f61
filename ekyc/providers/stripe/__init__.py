"""Stripe Identity (VerificationSessions): adapter, code table, webhook signing and the sandbox emulator."""

from .adapter import StripeProvider, StripeSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "StripeProvider", "StripeSettings"]
