"""Cold-start launcher: runs each snippet in a fresh interpreter, interleaved, and prints JSON results.

It is a small process of its own because a child's peak RSS (``ru_maxrss`` from ``os.wait4``) starts at
its parent's size before ``exec``: launched from the big benchmark process every snippet would read ~85 MiB.
Per run and snippet it records the wall time, the child's CPU time (user + system, from ``os.wait4``: what the
process itself costs, far steadier than wall time on a shared machine) and its peak RSS.

Children run without ``PYTHONDONTWRITEBYTECODE``: an installed package has its bytecode compiled (pip does it at
install), and the warm-up run writes any that is missing, so no side pays for compiling its sources.
Usage: ``python bench/_cold.py RUNS '{"name": "code", ...}'``.
"""

import json
import os
import sys
import time


def main() -> None:
    runs, snippets = int(sys.argv[1]), json.loads(sys.argv[2])
    names = list(snippets)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = {k: {"wall": [], "cpu": [], "rss": []} for k in names}
    for k in names:  # warm-up: bytecode and page caches
        pid = os.posix_spawn(sys.executable, [sys.executable, "-c", snippets[k]], env)
        os.waitpid(pid, 0)
    for r in range(runs):
        for k in (names if r % 2 == 0 else names[::-1]):
            t0 = time.perf_counter()
            pid = os.posix_spawn(sys.executable, [sys.executable, "-c", snippets[k]], env)
            _, status, usage = os.wait4(pid, 0)
            out[k]["wall"].append(time.perf_counter() - t0)
            if status != 0:
                raise SystemExit(f"cold-start snippet {k!r} failed")
            out[k]["cpu"].append(usage.ru_utime + usage.ru_stime)
            out[k]["rss"].append(usage.ru_maxrss / 1024)  # KiB on Linux -> MiB
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
