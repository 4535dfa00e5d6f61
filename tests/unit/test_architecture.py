"""The import graph of ``ekyc``, read from source: every ``import`` statement of every module, including those
inside functions and under ``if TYPE_CHECKING:`` (a lazy or typing-only import is still a dependency).

Layers (docs/architecture.md), each importing only what its row allows:

- core — ``ekyc/*.py`` and the registry's name list ``ekyc/providers/__init__.py``: the core only, and of
  third-party code only :data:`CORE_DEPENDENCIES`;
- provider — ``ekyc/providers/<name>/`` except its emulator modules: the core and its own folder; never
  Starlette/uvicorn, the CLI or test tools, a vendor SDK, the sandbox or any emulator;
- emulator — ``ekyc/providers/<name>/emulator*``: the core, the sandbox and its own folder;
- sandbox — ``ekyc/sandbox/``: the core and itself (emulators are loaded from ``"module:Class"`` strings);
- feature — any other package (``ekyc/ledger/``): the core and itself;
- integration — ``ekyc/integrations/``: the core, the feature packages (the ledger) and itself — never the
  sandbox; the only layer besides the sandbox and the top that may import a web framework (Starlette, Django);
- top — ``ekyc/cli/``, ``ekyc/docs/``, ``ekyc/testing/``: anything.

No module imports a module that (directly or through others) imports it back, and no package does either.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ekyc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(ekyc.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"
#: the official vendor SDKs (test oracles only): top-level module names
VENDOR_SDKS = frozenset({"tencentcloud", "alibabacloud_cloudauth_intl20220809", "alibabacloud_tea_openapi",
                         "alibabacloud_tea_util", "alibabacloud_credentials", "darabonba", "Tea", "onfido",
                         "stripe", "persona"})
#: what serves HTTP or runs a command line or tests: never below the sandbox / top layer
SERVING = frozenset({"starlette", "uvicorn", "typer", "rich", "click", "pytest", "pytest_asyncio"})
#: the third-party packages the core may import: the distribution's required dependencies (as import names)
CORE_DEPENDENCIES = frozenset(
    re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("-", "_")
    for requirement in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"])
TOP = frozenset({"cli", "docs", "testing"})
#: which layers each layer may import (``own`` = its own package or provider folder; top imports anything)
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "provider": frozenset({"core", "own"}),
    "emulator": frozenset({"core", "sandbox", "own"}),
    "sandbox": frozenset({"core", "own"}),
    "feature": frozenset({"core", "own"}),
    "integration": frozenset({"core", "feature", "own"}),
}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and how it runs."""

    target: str
    line: int
    lazy: bool  # inside a function
    typing_only: bool  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        how = " (in a function)" if self.lazy else " (TYPE_CHECKING)" if self.typing_only else ""
        return f"line {self.line}{how}"


@dataclass
class Graph:
    """Modules of a package (dotted name → file), their imports of each other and of other packages."""

    root: Path
    modules: dict[str, Path] = field(default_factory=dict)
    internal: dict[str, list[Import]] = field(default_factory=dict)
    external: dict[str, list[Import]] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path) -> Graph:
        graph = cls(root)
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            if "__pycache__" not in parts:
                graph.modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
        for name, path in graph.modules.items():
            found = list(_imports(name, path, graph.modules))
            graph.internal[name] = [i for i in found if i.target in graph.modules and i.target != name]
            graph.external[name] = [i for i in found if i.target.partition(".")[0] != root.name]
        return graph

    def layer(self, module: str) -> str:
        parts = module.split(".")
        if len(parts) == 1 or module == f"{parts[0]}.providers" or self.modules[module].parent == self.root:
            return "core"
        if parts[1] == "providers":
            return "emulator" if any(p.startswith("emulator") for p in parts[3:]) else "provider"
        if parts[1] == "sandbox":
            return "sandbox"
        if parts[1] == "integrations":
            return "integration"
        return "top" if parts[1] in TOP else "feature"

    def unit(self, module: str) -> str:
        """The package ``module`` belongs to: the core, one provider folder, or one subpackage."""
        parts = module.split(".")
        if self.layer(module) == "core":
            return f"{parts[0]} (core)"
        return ".".join(parts[:3] if parts[1] == "providers" else parts[:2])


def _imports(module: str, path: Path, modules: Iterable[str]) -> Iterator[Import]:
    """Every import of ``module`` as absolute module names (``from x import y`` is ``x.y`` when that is a
    module, else ``x``)."""
    known = set(modules)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lazy: set[int] = set()
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lazy.update(id(n) for n in ast.walk(node) if n is not node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*base_parts, node.module] if node.module else base_parts)
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            while target not in known and "." in target and target.partition(".")[0] == path_root(module):
                target = target.rpartition(".")[0]  # ekyc.models.Decision → ekyc.models
            yield Import(target, node.lineno, id(node) in lazy, id(node) in typing_only)


def path_root(module: str) -> str:
    return module.partition(".")[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


# -- the rules, as functions of a graph (so that they are tested on a graph that breaks them) ------------------

def layering_problems(graph: Graph) -> list[str]:
    problems = []
    for module, imports in graph.internal.items():
        layer = graph.layer(module)
        if layer == "top":
            continue
        for imp in imports:
            target_layer = graph.layer(imp.target)
            # within its own package or provider folder a module imports its own layer; an emulator also the
            # adapter side of its folder (codes, signing)
            own = graph.unit(imp.target) == graph.unit(module) and "own" in ALLOWED[layer] and (
                target_layer == layer or (layer, target_layer) == ("emulator", "provider"))
            if not (target_layer in ALLOWED[layer] or own):
                problems.append(f"{module} ({layer}) imports {imp.target} ({target_layer}), {imp}")
    return problems


def external_problems(graph: Graph) -> list[str]:
    stdlib = sys.stdlib_module_names
    problems = []
    for module, imports in graph.external.items():
        layer = graph.layer(module)
        for imp in imports:
            top = imp.target.partition(".")[0]
            if top in stdlib or top == "__future__":
                continue
            if layer == "core" and top not in CORE_DEPENDENCIES:
                problems.append(f"{module} (core) imports {imp.target}, not a core dependency, {imp}")
            if layer in ("provider", "emulator") and top in VENDOR_SDKS:
                problems.append(f"{module} imports the vendor SDK {imp.target}, {imp}")
            if layer in ("provider", "feature") and top in SERVING:
                problems.append(f"{module} ({layer}) imports {imp.target}, {imp}")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def module_cycles(graph: Graph) -> list[list[str]]:
    return cycles({m: {i.target for i in imports} for m, imports in graph.internal.items()})


def package_cycles(graph: Graph) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for module, imports in graph.internal.items():
        unit = graph.unit(module)
        edges.setdefault(unit, set()).update(graph.unit(i.target) for i in imports if graph.unit(i.target) != unit)
    return cycles(edges)


# -- the real package -------------------------------------------------------------------------------------

GRAPH = Graph.read(ROOT)


def test_the_graph_is_read_whole() -> None:
    """The reader sees what it must: lazy and typing-only imports, and every layer."""
    assert {"ekyc.client", "ekyc.sandbox.server", "ekyc.cli.app", "ekyc.providers.didit.adapter"} <= set(GRAPH.modules)
    assert any(i.lazy for imports in GRAPH.internal.values() for i in imports)
    assert any(i.typing_only for imports in GRAPH.internal.values() for i in imports)
    assert {GRAPH.layer(m) for m in GRAPH.modules} >= {"core", "provider", "emulator", "sandbox", "top"}


def test_each_layer_imports_only_the_layers_below_it() -> None:
    assert layering_problems(GRAPH) == []


def test_the_core_never_imports_the_sandbox_or_the_cli_even_lazily() -> None:
    for module, imports in GRAPH.internal.items():
        if GRAPH.layer(module) == "core":
            bad = [f"{i.target} ({i})" for i in imports
                   if i.target.partition(".")[2].partition(".")[0] in ("sandbox", "cli")]
            assert not bad, f"{module} imports {bad}"


def test_third_party_imports_stay_in_their_layer() -> None:
    """The core imports only its declared dependencies; adapters never Starlette/uvicorn; no provider module
    (adapter or emulator) imports a vendor SDK."""
    assert external_problems(GRAPH) == []


def test_no_module_imports_itself_through_others() -> None:
    assert module_cycles(GRAPH) == []


def test_no_package_imports_itself_through_others() -> None:
    assert package_cycles(GRAPH) == []


def test_import_ekyc_is_light() -> None:
    code = (
        "import ekyc, sys; bad = [m for m in sys.modules if m.startswith("
        "('tencentcloud', 'alibabacloud', 'starlette', 'uvicorn', 'ekyc.providers.', 'ekyc.sandbox'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the rules fail on a package that breaks them ----------------------------------------------------------

BROKEN = {
    "__init__.py": "",
    "client.py": "def make():\n    from .sandbox import Sandbox\n    return Sandbox()\n",
    "models.py": "import starlette\n",
    "providers/__init__.py": "",
    "providers/one/__init__.py": "",
    "providers/one/adapter.py": "from starlette.requests import Request\nfrom . import emulator\n"
                                "from ..two import codes\nimport tencentcloud\n",
    "providers/one/emulator.py": "from ...sandbox import server\n",
    "providers/two/__init__.py": "",
    "providers/two/codes.py": "",
    "sandbox/__init__.py": "",
    "sandbox/server.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .emulator import Base\n",
    "sandbox/emulator.py": "from .server import app\n",
    "ledger/__init__.py": "from ..cli import main\n",
    "cli/__init__.py": "from ..ledger import x\n",
    "integrations/__init__.py": "from ..ledger import Ledger\nfrom ..sandbox import server\nimport starlette\n",
}


def test_the_rules_catch_a_package_that_breaks_them(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    for name, text in BROKEN.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    graph = Graph.read(root)
    layering = "\n".join(layering_problems(graph))
    assert "pkg.client (core) imports pkg.sandbox (sandbox), line 2 (in a function)" in layering
    assert "pkg.providers.one.adapter (provider) imports pkg.providers.one.emulator (emulator)" in layering
    assert "pkg.providers.one.adapter (provider) imports pkg.providers.two.codes (provider)" in layering
    assert "pkg.ledger (feature) imports pkg.cli (top)" in layering
    assert "pkg.integrations (integration) imports pkg.sandbox.server (sandbox)" in layering
    assert "pkg.integrations (integration) imports pkg.ledger " not in layering  # the ledger is below it
    assert "pkg.providers.one.emulator (emulator) imports" not in layering  # an emulator may use the sandbox
    external = "\n".join(external_problems(graph))
    assert "pkg.models (core) imports starlette" in external
    assert "pkg.providers.one.adapter (provider) imports starlette.requests" in external
    assert "pkg.providers.one.adapter imports the vendor SDK tencentcloud" in external
    assert "pkg.integrations (integration) imports starlette" not in external  # it serves HTTP
    assert ["pkg.sandbox.emulator", "pkg.sandbox.server"] in module_cycles(graph)  # one side typing-only
    assert ["pkg.cli", "pkg.ledger"] in package_cycles(graph)
