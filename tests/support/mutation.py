"""One change at one place of a JSON document: the mutation the differential reading tests share.

Each provider's equivalence test (tests/providers/<name>/test_*_equivalence.py) reads a real answer, mutated
with :func:`mutate`, through the live reading and a frozen copy of the code it replaced, and asserts the same
decision or the same refusal. The values and keys drawn are the provider's own (its codes, field names, bad types).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st


def paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document (keys of objects, positions in arrays), the document itself first (``()``)."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += paths(value, (*path, i))
    return out


def mutate(doc: dict[str, Any], data: st.DataObject, values: Sequence[Any], keys: Sequence[str]) -> None:
    """One change at one place of ``doc``, in place: a value replaced by one of ``values``, a key removed, a key of
    ``keys`` added with one of ``values``, an array item copied or the array reversed."""
    path = data.draw(st.sampled_from(paths(doc)))
    if not path:
        return
    parent: Any = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    how = data.draw(st.sampled_from(["replace", "replace", "replace", "remove", "add", "copy", "reverse"]))
    node = parent[last]
    if how == "replace":
        parent[last] = copy.deepcopy(data.draw(st.sampled_from(values)))
    elif how == "remove" and isinstance(parent, dict):
        del parent[last]
    elif how == "add" and isinstance(node, dict):
        node[data.draw(st.sampled_from(keys))] = copy.deepcopy(data.draw(st.sampled_from(values)))
    elif how == "copy" and isinstance(node, list) and node:
        node.append(copy.deepcopy(node[data.draw(st.integers(0, len(node) - 1))]))
    elif how == "reverse" and isinstance(node, list):
        node.reverse()


def set_decisive(doc: Any, data: st.DataObject, choices: dict[str, list[Any]]) -> None:
    """One deciding field of ``doc`` — a key of ``choices``, anywhere — set to one of its own words (``choices``),
    to ``None`` or ``5`` (mistyped), or removed: most mutations at random places change nothing that decides."""
    places = [p for p in paths(doc) if p and p[-1] in choices]
    if not places:
        return
    path = data.draw(st.sampled_from(places))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    value = data.draw(st.sampled_from([*choices[path[-1]], None, "", 5]))
    if value == "":
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
