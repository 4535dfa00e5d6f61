"""The acceptance check of issue 12: a provider added as one folder plus one registry line (and its docs page)
is picked up with no other edit — by the docs generator, ``ekyc compare``, every shared test (this kit, the
adversary suite, the browser test) — and removing it leaves nothing behind.

The provider is a copy of the template under another name, installed in a temporary folder with an
``ekyc.providers`` entry point (``tests/support/template_copy.py``); only subprocesses see it. The benchmark's
pickup is checked the same way by ``tests/bench/test_bench_smoke.py``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ekyc import registry
from ekyc.codes import extract_table
from tests.browser.test_hosted_pages import CHROMIUM
from tests.support.template_copy import ROOT, install_copy

NAME = "zeta"


def _tree_digest(root: Path) -> str:
    """A digest of the files git sees in the repository (tracked and untracked, not ignored), with contents."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                            check=True).stdout.split(b"\0")
    digest = hashlib.sha256()
    for name in sorted(n for n in listed if n):
        path = root / name.decode()
        digest.update(name + b"\0" + (path.read_bytes() if path.is_file() else b"<gone>"))
    return digest.hexdigest()


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def test_a_copy_of_the_template_is_picked_up_everywhere_and_leaves_nothing_behind(tmp_path: Path) -> None:
    before = _tree_digest(ROOT)
    baseline = tmp_path / "baseline"  # the docs as the generator writes them with no copy installed
    shutil.copytree(ROOT / "docs", baseline / "docs")
    assert _run([sys.executable, "-m", "ekyc.docs"], dict(os.environ), cwd=baseline).returncode == 0
    copy = install_copy(tmp_path / "copy", NAME)
    title = NAME.title()

    # the docs generator fills the new page's code table and adds the provider to the catalog and comparison
    done = _run([sys.executable, "-m", "ekyc.docs"], copy.env, cwd=copy.docs.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    page = (copy.docs / "providers" / f"{NAME}.md").read_text(encoding="utf-8")
    assert "`ok`" in extract_table(page), "the generator did not fill the new page's code table"
    assert title in (copy.docs / "sandbox.md").read_text(encoding="utf-8")
    assert NAME in (copy.docs / "comparison.md").read_text(encoding="utf-8")

    # ekyc compare runs every scenario on it
    done = _run([sys.executable, "-c", "from ekyc.cli import main; main(['compare'])"], copy.env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert NAME in done.stdout or title in done.stdout, done.stdout[-2000:]

    # every shared test runs for it and passes: this kit, the adversary suite, the browser test and the core tests
    # parametrized by provider (the docs drift checks read the generated docs folder, whose catalog and
    # comparison include it)
    done = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "tests/conformance",
                 "tests/adversary", "tests/browser", "tests/unit", "-k", f"{NAME} or catalog or comparison_page",
                 "--deselect", "tests/conformance/test_template.py"], copy.env)
    out = done.stdout
    assert done.returncode == 0, out[-4000:]
    passed = [line for line in out.splitlines() if line.startswith("PASSED") and NAME in line.split("[", 1)[-1]]
    for suite in ("tests/conformance/test_scenarios.py", "tests/conformance/test_faults.py",
                  "tests/conformance/test_inbound.py", "tests/conformance/test_code_tables.py",
                  "tests/conformance/test_served.py",
                  "tests/conformance/test_docs.py", "tests/adversary/test_payloads.py",
                  "tests/adversary/test_boundary.py", "tests/adversary/test_canaries.py",
                  "tests/adversary/test_binding.py", "tests/unit/test_client_binding.py",
                  "tests/unit/test_client_env.py"):
        assert any(line.split()[1].startswith(suite) for line in passed), f"{suite} did not run for {NAME}"
    if CHROMIUM is not None:
        assert any(line.split()[1].startswith("tests/browser/") for line in passed), "the browser test did not run"

    # removing it (folder, entry point, page) and regenerating the docs leaves the docs as they were without it
    copy.remove()
    done = _run([sys.executable, "-m", "ekyc.docs"], copy.env, cwd=copy.docs.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    pages = sorted(p.relative_to(baseline / "docs") for p in (baseline / "docs").rglob("*"))
    assert sorted(p.relative_to(copy.docs) for p in copy.docs.rglob("*")) == pages
    for rel in pages:
        if (baseline / "docs" / rel).is_file():
            ours, theirs = ((d / rel).read_text(encoding="utf-8") for d in (baseline / "docs", copy.docs))
            cut = "## Latency"  # the comparison's timings differ run to run; everything above them must not
            assert ours.split(cut)[0] == theirs.split(cut)[0], f"docs/{rel} keeps a trace of the removed provider"

    # and nothing was ever written to the repository or registered here
    assert _tree_digest(ROOT) == before
    assert NAME not in registry.names()
