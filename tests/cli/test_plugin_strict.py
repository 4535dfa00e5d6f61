"""The pytest plugin as an app uses it: its documented examples in a scratch project, in pytest-asyncio's
default strict mode, and a clear message when the sandbox extra is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import ekyc.testing

PRELUDE = '''\
import pytest

from ekyc import Outcome
from ekyc.testing import BROWSER_META_INFO as META
from ekyc.testing import complete, providers
'''

APP_TESTS = '''
@pytest.mark.parametrize("ekyc_provider", providers(), indirect=True)
def test_every_provider_declines_a_mismatch(ekyc_client, ekyc_sandbox, ekyc_provider):
    session = ekyc_client.create_session(reference="u1", return_url="https://app.test/back",
                                         provider=ekyc_provider, client_metadata=META,
                                         document_types=["PASSPORT"])
    complete(ekyc_sandbox, session, "face_mismatch")
    assert ekyc_client.get_result(session.ref.serialize()).outcome is Outcome.DECLINED


@pytest.mark.asyncio
async def test_async_client_in_strict_mode(ekyc_async_client, ekyc_sandbox):
    session = await ekyc_async_client.create_session(reference="u2", return_url="https://app.test/back",
                                                     provider="tencent")
    complete(ekyc_sandbox, session, "approved")
    assert (await ekyc_async_client.get_result(session.ref)).outcome is Outcome.APPROVED
'''


def documented_examples() -> list[str]:
    """The literal blocks (``::``) of the plugin's docstring that define tests."""
    doc = ekyc.testing.__doc__ or ""
    blocks = re.findall(r"::\n\n((?:[ \t]+.*\n|\n)+)", doc + "\n")
    return [textwrap.dedent(b) for b in blocks if "def test_" in b]


def run_pytest(project: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "EKYC_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def test_documented_examples_pass_in_strict_mode(tmp_path: Path) -> None:
    examples = documented_examples()
    assert examples, "the plugin's docstring shows no example test"
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (tmp_path / "test_app.py").write_text(PRELUDE + "\n\n".join(["", *examples, APP_TESTS]))
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.search(r"(\d+) passed", run.stdout)
    # an example parametrized over ekyc_provider runs once per provider
    per_example = [len(ekyc.testing.providers()) if "ekyc_provider" in e else 1 for e in examples]
    assert passed and int(passed.group(1)) == sum(per_example) + len(ekyc.testing.providers()) + 1, run.stdout


def test_without_the_sandbox_extra_the_fixture_names_it(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text("import sys\n\nsys.modules['starlette'] = None  # as if not installed\n")
    (tmp_path / "test_app.py").write_text("def test_uses_the_client(ekyc_client):\n    pass\n")
    run = run_pytest(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "pip install 'ekyc-bridge[sandbox]'" in run.stdout and "starlette" in run.stdout
    assert "Traceback" not in run.stdout and "ModuleNotFoundError" not in run.stdout
