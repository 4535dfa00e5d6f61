"""Import rules: the core never imports a provider; providers never import each other or a vendor SDK;
``import ekyc`` loads no vendor code, no Starlette and no uvicorn."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ekyc

ROOT = Path(ekyc.__file__).parent
VENDOR = ("tencentcloud", "alibabacloud", "darabonba", "Tea")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base]) if base else ".".join(parts)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def test_core_never_imports_a_provider() -> None:
    for path in ROOT.glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith("ekyc.providers.") and m != "ekyc.providers.BUILTIN"}
        assert not bad, f"{path.name} imports {bad}"


def test_providers_do_not_import_each_other_or_vendor_sdks() -> None:
    for folder in (p for p in (ROOT / "providers").iterdir() if p.is_dir() and p.name != "__pycache__"):
        for path in folder.rglob("*.py"):
            for module in _imports(path):
                if module.startswith("ekyc.providers."):
                    assert module.split(".")[2] == folder.name, f"{path} imports {module}"
                assert not module.startswith(VENDOR), f"{path} imports vendor SDK {module}"


def test_import_ekyc_is_light() -> None:
    code = (
        "import ekyc, sys; bad = [m for m in sys.modules if m.startswith("
        "('tencentcloud', 'alibabacloud', 'starlette', 'uvicorn', 'ekyc.providers.', 'ekyc.sandbox'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
