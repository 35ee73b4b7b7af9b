"""The import rules of docs/architecture.md ("Layers"), checked on the source.

Every first-party module's imports are read with `ast` — at the top, inside functions and under
TYPE_CHECKING alike: an import moved into a function still makes its module depend on the other.
Each module gets its layer from the machine-readable list in the docs (the ```layers block). The
test fails on a module no pattern places, on an import of a module of a higher layer, and on any
import cycle between modules.
"""

import ast
import re
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# Imports from a lower layer to a higher one that are known and accepted, each with its reason.
# (importer, imported): reason. Keep it empty if you can; never add a ticket-core -> features one.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


def _layers() -> list[tuple[str, list[str]]]:
    block = re.search(r"```layers\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block, "docs/architecture.md has no ```layers block"
    layers: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":") or ": " in line:
            name, _, patterns = line.partition(":")
            layers.append((name.strip(), patterns.split()))
        else:  # a continuation line: more patterns of the same layer
            layers[-1][1].extend(line.split())
    return layers


def _packages() -> list[str]:
    """The first-party packages: the include list of pyproject.toml (without the `*`)."""
    text = (ROOT / "pyproject.toml").read_text()
    include = re.search(r"\[tool\.setuptools\.packages\.find\]\s*include = \[(.*?)\]", text, re.S)
    assert include
    return [name.rstrip("*") for name in re.findall(r'"([^"]+)"', include.group(1))]


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in _packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _parse(path: Path) -> ast.Module:
    """The module's tree, parsed in a thread of its own, twice if need be. In a full run
    CPython 3.11.7's parser once raised "SystemError: AST constructor recursion depth mismatch"
    here for a file it parses fine on its own: its recursion bookkeeping is per thread, and other
    tests of the same worker change the recursion limit (hypothesis) or hit it on purpose
    (deeply nested hostile input)."""
    for attempt in (1, 2):
        with ThreadPoolExecutor(max_workers=1) as fresh:
            try:
                return fresh.submit(ast.parse, path.read_text(), str(path)).result()
            except SystemError:
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The first-party modules `name` imports, wherever the import statement is."""

    def module_of(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {module for target in targets if (module := module_of(target))}
    found.discard(name)
    return found


def _layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """The most specific pattern decides: an exact name, then a role pattern (`*.views`), then
    an app pattern (`sla.*`); among patterns of the same kind the longer one."""
    best: tuple[int, int] | None = None
    layer = None
    for level, (_name, patterns) in enumerate(layers):
        for pattern in patterns:
            if fnmatchcase(module, pattern):
                kind = 3 if "*" not in pattern else 2 if pattern.startswith("*.") else 1
                if best is None or (kind, len(pattern)) > best:
                    best, layer = (kind, len(pattern)), level
    return layer


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
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


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_every_module_has_a_layer(graph):
    layers = _layers()
    assert [module for module in sorted(graph) if _layer_of(module, layers) is None] == []


def test_no_module_imports_a_higher_layer(graph):
    layers = _layers()
    upward = [
        f"{module} ({layers[low][0]}) imports {imported} ({layers[high][0]})"
        for module, imports in sorted(graph.items())
        for imported in sorted(imports)
        if (low := _layer_of(module, layers)) is not None
        and (high := _layer_of(imported, layers)) is not None
        and high > low
        and (module, imported) not in ALLOWED_UPWARD
    ]
    assert upward == []


def test_no_import_cycle(graph):
    assert _cycles(graph) == []


def test_the_checker_sees_a_cycle_and_a_lazy_import(tmp_path):
    """The walker itself: an import inside a function counts, and a loop is found."""
    (tmp_path / "a.py").write_text("def f():\n    from b import g\n")
    (tmp_path / "b.py").write_text("import a\n")
    modules = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph == {"a": {"b"}, "b": {"a"}}
    assert _cycles(graph) == [["a", "b"]]
