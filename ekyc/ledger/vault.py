"""Encryption at rest for what the ledger keeps about a person: Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package), with key rotation through several keys (the first encrypts, every one decrypts).

Without a key nothing personal is stored at all: :meth:`Vault.seal` returns None for personal data and raw
payloads. The session ref (needed to fetch results) is then kept as ``plain:<ref>`` — the same string the
README tells apps to store next to their user.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from ..errors import ConfigurationError

SEALED = "fernet:"
PLAIN = "plain:"
#: the environment variable the CLI and :meth:`Vault.from_env` read (comma-separated keys, newest first)
KEY_ENV = "EKYC_LEDGER_KEY"


def generate_key() -> str:
    """A new random key (urlsafe base64 of 32 bytes) for ``EKYC_LEDGER_KEY``."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class Vault:
    """Seals and opens values with the configured keys (none: nothing personal is stored)."""

    def __init__(self, keys: str | bytes | Sequence[str | bytes] | None = None) -> None:
        if isinstance(keys, (str, bytes)):
            keys = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else [keys]) if k.strip()]
        self._fernet = None
        if keys:
            from cryptography.fernet import Fernet, MultiFernet

            try:
                self._fernet = MultiFernet([Fernet(k) for k in keys])
            except (ValueError, TypeError):
                raise ConfigurationError("a ledger key must be 32 bytes in urlsafe base64 "
                                         "(ekyc.ledger.generate_key())", field="key") from None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Vault:
        """The vault of ``EKYC_LEDGER_KEY`` (none set: no key)."""
        env = os.environ if environ is None else environ
        return cls(env.get(KEY_ENV) or None)

    @property
    def enabled(self) -> bool:
        """Whether a key is configured."""
        return self._fernet is not None

    def seal(self, data: bytes) -> str | None:
        """``data`` encrypted (``fernet:<token>``), or None without a key (not stored)."""
        if self._fernet is None:
            return None
        return SEALED + self._fernet.encrypt(data).decode("ascii")

    def seal_ref(self, ref: str) -> str:
        """A serialized session ref as stored: sealed with a key, else ``plain:<ref>``."""
        sealed = self.seal(ref.encode("utf-8"))
        return sealed if sealed is not None else PLAIN + ref

    def open(self, stored: str) -> bytes:
        """The clear value of something :meth:`seal` or :meth:`seal_ref` stored."""
        if stored.startswith(PLAIN):
            return stored[len(PLAIN):].encode("utf-8")
        if not stored.startswith(SEALED):
            raise ConfigurationError("a stored ledger value has an unknown form", field="key")
        if self._fernet is None:
            raise ConfigurationError("the ledger holds encrypted values: configure its key (EKYC_LEDGER_KEY)",
                                     field="key")
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored[len(SEALED):].encode("ascii"))
        except InvalidToken:
            raise ConfigurationError("a stored ledger value does not open with the configured keys",
                                     field="key") from None

    def __repr__(self) -> str:
        return f"Vault(enabled={self.enabled})"


def session_key(provider: str, session_id: str) -> str:
    """The lookup key of a provider session: SHA-256 of ``provider:id`` (Tencent's id is a bearer token, so the
    id itself is never stored in clear; a 128-bit-plus random token is not recoverable from its digest)."""
    return hashlib.sha256(f"{provider}:{session_id}".encode("utf-8", "surrogatepass")).hexdigest()


def event_digest(event_id: str) -> str:
    """The de-duplication key of a delivery with a provider event id (its SHA-256)."""
    return "event:" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def body_digest(body: bytes) -> str:
    """The de-duplication key of a delivery without a provider event id."""
    return "body:" + hashlib.sha256(body).hexdigest()
