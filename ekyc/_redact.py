"""Redaction helpers: keep secrets and personal data out of ``repr``, logs and error text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

REDACTED = "<redacted>"


def safe_url(url: str) -> str:
    """A URL safe to print: credentials (``user:password@``) become ``***@``, a query ``?***``, no fragment.

    ``https://user:secret@host:8443/path?token=x#y`` → ``https://***@host:8443/path?***``. Text that does not
    parse as a URL becomes ``***``. Bounded: paths longer than 200 characters are cut.
    """
    try:
        parts = urlsplit(url[:2048])
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    netloc = ("***@" if "@" in parts.netloc else "") + (f"[{host}]" if ":" in host else host)
    netloc += f":{port}" if port is not None else ""
    path = parts.path if len(parts.path) <= 200 else parts.path[:199] + "…"
    return f"{parts.scheme}://{netloc}{path}" + ("?***" if parts.query else "")

_QUOTED = re.compile(r"""(['"])(?:(?!\1).){1,200}\1""")
_WORD = re.compile(r"^([^\w]*)(.*?)([^\w]*)$")
_PLAIN = re.compile(r"[a-z_][a-z_.]*")
_SENTENCE_START = re.compile(r"[A-Z][a-z]+")


def scrub_text(text: str, limit: int = 200) -> str:
    """Make a provider-supplied message safe to show.

    Only plain words survive: lower-case words and field names (``first_name``), and a capitalized word
    that starts a sentence. Quoted values, anything with a digit, upper-case letters inside a word or a
    capital mid-sentence (names, ID numbers, dates, keys, base64, e-mail addresses) become ``***``; the
    result is cut to ``limit`` characters.
    """
    text = _QUOTED.sub(lambda m: m.group(1) + "***" + m.group(1), text)
    out: list[str] = []
    sentence_start = True
    for token in text.split():
        lead, core, trail = _WORD.match(token).groups()  # type: ignore[union-attr]
        keep = core == "***" or _PLAIN.fullmatch(core) or (sentence_start and _SENTENCE_START.fullmatch(core))
        out.append(token if keep or not core else f"{lead}***{trail}")
        sentence_start = token.endswith((".", ":", ";", "!", "?"))
    text = " ".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"
