"""Walking an exception's chain: every exception reachable through ``__cause__`` and ``__context__``."""

from __future__ import annotations


def exception_chain(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and everything it was raised from or during, each once (cycles are cut)."""
    out: list[BaseException] = []
    seen: set[int] = set()
    todo = [exc] if exc is not None else []
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        out.append(e)
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
    return out
