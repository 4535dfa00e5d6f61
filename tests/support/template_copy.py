"""A copy of the provider template under another name, installed the way a third-party provider is: a package
plus an ``ekyc.providers`` entry point (a ``*.dist-info`` folder), both in a temporary folder that only
subprocesses see (``PYTHONPATH``). Nothing is written to the repository and nothing is registered in the
calling process: deleting the folder removes the provider.

This is what ``docs/adding-a-provider.md`` tells a provider author to do, automated: copy the folder, rename
the provider, add one registry line (here the entry point) and one docs page.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "ekyc" / "providers" / "_template"


@dataclass(frozen=True)
class Copy:
    """The installed copy: its provider name, package folder, docs folder (a copy of the repository's with the
    new page) and the environment a subprocess needs to see it."""

    name: str
    package: Path
    dist: Path
    docs: Path
    env: dict[str, str]

    @property
    def page(self) -> Path:
        """The provider's docs page in :attr:`docs`."""
        return self.docs / "providers" / f"{self.name}.md"

    def remove(self) -> None:
        """Remove the provider the way the docs say: its folder, its registry line (the entry point) and its
        docs page (then regenerate the docs)."""
        shutil.rmtree(self.package)
        shutil.rmtree(self.dist)
        self.page.unlink()


def install_copy(where: Path, name: str) -> Copy:
    """Copy the template to ``where/<name>_provider`` as provider ``name``, register it by entry point, and
    copy the docs with ``docs/providers/<name>.md`` written from the template's page."""
    module = f"{name}_provider"
    where.mkdir(parents=True, exist_ok=True)
    package = where / module
    shutil.copytree(TEMPLATE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in package.iterdir():
        text = path.read_text(encoding="utf-8")
        text = text.replace("ekyc.providers._template", module).replace("ekyc/providers/_template", module)
        text = text.replace("template", name).replace("Template", name.title()).replace("TEMPLATE", name.upper())
        path.write_text(text, encoding="utf-8")
    dist = where / f"{module}-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        f"[ekyc.providers]\n{name} = {module}:{name.title()}Provider\n", encoding="utf-8")
    docs = where / "docs"
    shutil.copytree(ROOT / "docs", docs)
    shutil.move(package / "PAGE.md", docs / "providers" / f"{name}.md")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)]), "KIT_DOCS_DIR": str(docs)}
    return Copy(name, package, dist, docs, env)
