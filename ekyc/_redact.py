"""Redaction helpers: keep secrets and personal data out of ``repr``, logs and error text."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"

_QUOTED = re.compile(r"""(['"])(?:(?!\1).){1,200}\1""")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_DIGITS = re.compile(r"\d[\d\s./-]{3,}\d")


def scrub_text(text: str, limit: int = 200) -> str:
    """Make a provider-supplied message safe to show: quoted values, e-mail addresses, long tokens
    (base64, keys) and digit runs (ID numbers, dates) are masked, and the text is cut to ``limit``."""
    text = _QUOTED.sub(lambda m: m.group(1) + "***" + m.group(1), text)
    text = _EMAIL.sub("***", text)
    text = _LONG_TOKEN.sub("***", text)
    text = _DIGITS.sub("***", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask_presence(value: Any) -> str:
    """``<redacted>`` when a value is set, ``None`` otherwise: says that a field is present, not what it is."""
    return "None" if value is None else REDACTED
