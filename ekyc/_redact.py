"""Redaction helpers: keep secrets and personal data out of ``repr``, logs, dumps and error text."""

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

#: the plain words a provider message may keep (compared lower-case); every other word becomes ``***``
_WORDS = """
a about above access account action actions activated activating activation active after again against all
allowed already also an and another any api apis app application applications approve approved are arrears as
at attempt attempts authentication authorization authorized available bad base be because been before being
billing blacklist blocked body both but by calculation call callback calls can cannot cause changed character
characters check checked checks choice choices client cloud code codes completed configuration conflict conform
contact contains content control could country create created credential credentials credits current data date
day days declined decision deleted denied detail details device did different disabled do document documents
does done downloading dry due duplicate during each email empty encrypted encryption enough error errors
exceeded exceeds exception exist exists expected expired expires extraction face failed failure false feature
features field fields file finished first flow for forbidden format formatted found frequency from full get
given global guard has have header headers honour http https id ids identity if illegal image images in
incorrect information insufficient integer internal invalid ip is it item items its json key keys lacks
language large last least length limit limited list liveness long many match matched max maximum may me
met method mfa min minimum minutes missing mode more most must name names need needs new no nonce none not
null number object of off offline ok older on one only operate operation options or other our out over
own parameter parameters passed pending per permission permitted please policy portrait post process product
protocol provided qps quota rate reached reason received record region rejected repeated request requested
requests required requires resolution resource response result retention retry return reused review revoked
risk rule run second seconds secret security selfie service session sessions set short should signature
size skew some specified stamp standard standards status still string succeeded success successful such
supplied support supported suspended system temporarily temporary than that the their there these this
throttling time timed timeout timestamp to token too transaction true try type unable unauthorized
unavailable undefined unexpected unknown unreadable unsupported until up url use used user uses valid
validation value values verification verified verify version was webhook well were when which whitelist
will with workflow would wrong you your
aliyun aliyunantcloudauthfullaccess alibaba biz biztoken cam didit ekyc idempotency meta merchant ram
riskcontrol ruleid scene secretid tencent vendor
"""
_VOCABULARY = frozenset(_WORDS.split())

#: punctuation a kept word may carry
_PUNCT = ".,:;!?()[]{}'\"`-"
#: camelCase and snake_case parts of a field-like word
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_FIELD_SHAPE = re.compile(r"[A-Za-z][A-Za-z_]{0,63}")
#: a field-name segment: letters, ``_`` and ``-`` with at most two trailing digits (``x-signature-v2``), optional
#: ``[index]`` suffixes, or an index; random tokens and ids (digits inside) do not match
_FIELD_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z_-]{0,47}[0-9]{0,2})(?:\[[0-9]{1,6}\]){0,4}|[0-9]{1,6}")
#: longest input read; the rest is dropped before any work (keeps every call linear and cheap)
MAX_SCRUB_INPUT = 2000


def _known(word: str) -> bool:
    """A plain word, or a field name (``first_name``, ``BizToken``) made only of plain words."""
    if word.lower() in _VOCABULARY:
        return True
    if not _FIELD_SHAPE.fullmatch(word):
        return False
    parts = [p for chunk in word.split("_") for p in _PARTS.findall(chunk)]
    return bool(parts) and "".join(parts) == word.replace("_", "") and all(p.lower() in _VOCABULARY for p in parts)


def scrub_text(text: str, limit: int = 200) -> str:
    """Make a provider-supplied message safe to show: safe by construction, linear time.

    Only words from a small vocabulary of plain English and status words survive, and field names made of
    them (``first_name``, ``BizToken``); every other word — names, numbers, dates, tokens, hex ids, e-mail
    addresses, base64, in any case — becomes ``***`` (runs collapse to one). At most ``MAX_SCRUB_INPUT``
    characters are read; the result is cut to ``limit`` characters.
    """
    if not isinstance(text, str):
        return "***"
    out: list[str] = []
    quote = ""  # inside a quoted span of several words (a value, never a field name): mask all of it
    for token in text[:MAX_SCRUB_INPUT].split():
        core = token.strip(_PUNCT)
        if quote:
            if token.rstrip(".,:;!?)]}").endswith(quote):
                quote = ""
            known = False
        elif token[0] in "'\"`" and not _closes(token):
            quote, known = token[0], False
        else:
            known = bool(core) and _known(core)
        if known:
            start = token.index(core)
            out.append(token[:start] + core + token[start + len(core):])
        elif not core and not quote and len(token) <= 3:  # bare punctuation such as "-" or "..."
            out.append(token)
        elif not out or out[-1] != "***":
            out.append("***")
    result = " ".join(out)
    return result if len(result) <= limit else result[: limit - 1] + "…"


def _closes(token: str) -> bool:
    """A token that opens a quote and closes it too (``'first_name'``, ``"ok",``)."""
    body = token.rstrip(".,:;!?)]}")
    return len(body) > 1 and body.endswith(token[0])


def safe_field(name: object, *, strict: bool = False) -> str | None:
    """A field path safe to show (``None`` when there is none).

    Each dotted segment must look like a field name or an index (bounded to 50 characters), otherwise it
    becomes ``***`` (``checks[0]`` indexes are kept); the path keeps at most 8 segments. ``strict`` (for
    names a provider supplied) also requires every segment to be made of plain words, as
    :func:`scrub_text` does.
    """
    if not isinstance(name, str) or not name:
        return None
    segments = name[:600].split(".")[:8]
    shown = []
    for seg in segments:
        match = _FIELD_SEGMENT.fullmatch(seg)
        ok = match is not None and (not strict or match.group(1) is None or _known(match.group(1)))
        shown.append(seg if ok else "***")
    return ".".join(shown)
