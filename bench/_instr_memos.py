"""Executed instructions of ``get_result`` over the raw exchange, warm and with every memory of ekyc emptied before
each call (a first answer of its kind): what docs/performance.md states under "Memories are warm here".

Usage: ``.venv/bin/python bench/_instr_memos.py [provider ...]`` (needs valgrind; one process under callgrind,
``os.getppid()`` calls mark where each count starts). Printed per provider: the warm overhead, the overhead with
every memory missed, and what emptying the memories costs by itself (subtracted from the second figure).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import subprocess
import sys
import tempfile

CALLS = 20


def clear() -> None:
    """Empty every memory ekyc keeps between calls (the reader's, the adapters', the models' interning)."""
    from ekyc import _wire, evidence, models
    from ekyc.models import CheckResult, Reason
    from ekyc.providers.alibaba import parse as alibaba
    from ekyc.providers.persona import result as persona
    from ekyc.providers.stripe import parse as stripe

    _wire._remembered_folded_apart.cache_clear()
    _wire._LOWER_KEYS.clear()
    _wire._APART_KEY_LISTS.clear()
    _wire._apart_text = 0
    _wire._lower_text = 0
    alibaba._SHAPES.clear()
    persona._CHECKS_READ.clear()
    persona._LISTS_READ.clear()
    for value in vars(persona).values():
        if isinstance(value, functools._lru_cache_wrapper):
            value.cache_clear()
    CheckResult._interned.clear()
    Reason._interned.clear()
    models._CHECKS.clear()  # verdicts(): the Checks shared per three CheckResults
    stripe._CHECKS.clear()
    stripe._ASKED.clear()
    evidence._PASSED.clear()


def child(providers: list[str]) -> None:
    sys.path.insert(0, "bench")
    from _instr import warmed

    with warmed(providers) as (rec, client, http, builds):
        for name, ref in rec.refs.items():
            for _ in range(CALLS):
                client.get_result(ref)
            os.getppid()
            for _ in range(CALLS):
                clear()
                client.get_result(ref)
            os.getppid()
            for _ in range(CALLS):
                clear()
            os.getppid()
            for _ in range(CALLS):
                for request in builds[name]():
                    json.loads(http.send(request).content)
            os.getppid()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        done = subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}",
                               sys.executable, __file__, "--child", *sys.argv[1:]], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        if done.returncode:
            print(done.stderr[-3000:])
            sys.exit(1)
        names = json.loads(done.stdout.strip().splitlines()[-1])
        counts: list[int] = []
        for path in sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1])):
            with open(path) as dump:
                counts += [int(line.split()[1]) for line in dump if line.startswith("summary:")]
    per = [c / CALLS / 1e3 for c in counts[1:]]
    for i, name in enumerate(names):
        hit, miss, cleared, raw = per[4 * i: 4 * i + 4]
        print(f"{name:8s} overhead warm {hit - raw:.0f}k  every memory missed {miss - cleared - raw:.0f}k  "
              f"(emptying them {cleared:.0f}k)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
