"""Didit API conventions shared by the adapter and its extension (so that neither imports the other's module
back): the id shape, the statuses a create answers with, and JSON request bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from ekyc.errors import InvalidRequest

#: a Didit UUID; always used with ``fullmatch`` (``match`` with ``$`` accepts a trailing newline)
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: the statuses a create (or another POST) may answer with
CREATED = frozenset({200, 201})


def encode_json(body: Any) -> bytes:
    """A request body as compact JSON; :class:`InvalidRequest` (field ``body``) for what JSON cannot carry
    (NaN/Infinity, sets, objects, non-string keys)."""
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise InvalidRequest("the request body is not JSON-serializable (NaN, a set, an object?)",
                             provider="didit", field="body") from None
