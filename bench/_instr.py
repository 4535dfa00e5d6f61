"""Per-call overhead in executed instructions: ``get_result`` against the raw httpx exchange, under valgrind.

The CPU-time figures of ``bench/_cpu.py`` move by tens of percent on a shared machine; the number of
instructions a call executes does not (hash seed fixed, garbage collector paused while counting). This counts
them with valgrind's callgrind: the same recording, client and raw exchange as ``bench/_cpu.py`` (MockTransport
replaying one real ``get_result`` per provider), each side called ``--calls`` times between two markers, the
counter dumped at each marker. It is a tool for comparing two versions of the code (run it on each), not a
timing: instructions are not equally expensive, and valgrind's own overhead is not in the counts.

``python bench/_instr.py [provider ...] [--calls N]`` (needs ``valgrind`` on the PATH; takes about a minute).
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@contextmanager
def warmed(providers: list[str]) -> Iterator[tuple[Any, Any, Any, dict[str, Callable[[], list[Any]]]]]:
    """For a child under valgrind: the bench recording of ``providers``, an ekyc client and a raw httpx client on
    its replay, and each provider's raw request builder — each side called five times to warm up, the provider
    names printed (the parent reads them), the garbage collector paused and the set-up marker passed
    (``os.getppid``); what the caller counts next is its own."""
    sys.path.insert(0, str(HERE))
    import _cpu
    import httpx

    import ekyc

    rec = _cpu.record(providers or None)
    transport = rec.transport()
    with ekyc.Client.from_config(rec.config, transport=transport) as client, httpx.Client(transport=transport) as http:
        builds = {name: _cpu._raw_requests(rec, name, client.adapter(name), ref) for name, ref in rec.refs.items()}
        for name, ref in rec.refs.items():
            for _ in range(5):
                client.get_result(ref)
                for request in builds[name]():
                    json.loads(http.send(request).content)
        print(json.dumps(list(rec.refs)), flush=True)
        gc.collect()
        gc.disable()
        os.getppid()  # marker: counts so far are the set-up
        yield rec, client, http, builds


def _child(providers: list[str], calls: int) -> None:
    """Runs under valgrind: warm up, then each side ``calls`` times between markers (``os.getppid``)."""
    with warmed(providers) as (rec, client, http, builds):
        for name, ref in rec.refs.items():
            for _ in range(calls):
                client.get_result(ref)
            os.getppid()
            build = builds[name]
            for _ in range(calls):
                for request in build():
                    json.loads(http.send(request).content)
            os.getppid()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("providers", nargs="*")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.providers, args.calls)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--child", "--calls", str(args.calls), *args.providers],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        names = json.loads(done.stdout.strip().splitlines()[-1])
        counts = []
        for path in sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1])):
            with open(path, encoding="utf-8") as f:
                counts += [int(line.split()[1]) for line in f if line.startswith("summary:")]
    per_call = [c / args.calls for c in counts[1:]]  # [0] is the set-up; then ours, raw per provider
    for i, name in enumerate(names):
        ours, raw = per_call[2 * i], per_call[2 * i + 1]
        print(f"{name:10s} ours {ours / 1e3:8.1f}k raw {raw / 1e3:8.1f}k overhead {(ours - raw) / 1e3:8.1f}k "
              f"instructions per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
