"""The package layout is the architecture: layers import only downwards, no module imports back into one
that imports it, and the heavy libraries stay in the leaves (README, "What is in it").

Every module's ``import`` statements are read with ``ast`` (at module level and inside functions):

    graph/            errors, namespace (and the public API in __init__)
      store/          the dataset, the import store, names, SPARQL, SHACL
      reasoning/      the traversal view and the answers
      readwrite/      importers and exports
      pages/          HTML pages and their templates
      surfaces/       CLI, endpoint, remote, batch, benchmarks
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "graph"
LAYERS = ("store", "reasoning", "readwrite", "pages", "surfaces")  # bottom first; the root's modules are below all
IN_FUNCTIONS_ONLY = ("followthemoney", "ijson", "openpyxl", "playwright", "pycountry", "pyshacl", "pyvis",
                     "rapidfuzz", "waitress")
TOP_LEVEL_FROM = {"networkx": "reasoning", "rich": "surfaces", "typer": "surfaces"}  # the lowest layer allowed
KNOWN_CYCLES: list[set[str]] = []  # none: a new cycle, even through an import inside a function, fails


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> int:
    """0 for the root's modules, then 1 + the index of the layer folder."""
    parts = module.split(".")
    return 1 + LAYERS.index(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else 0


def imports_of(module: str, source: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of ``graph`` modules and of other packages."""
    path = MODULES.get(module)
    package = module if path is not None and path.name == "__init__.py" else module.rpartition(".")[0]
    out = []

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for alias in child.names:
                    full = f"{target}.{alias.name}"
                    out.append((full if full in MODULES else target, child.lineno, top))
            visit(child, inner)

    visit(ast.parse(source), True)
    return out


def edges(modules=None) -> dict[str, list[tuple[str, int, bool]]]:
    """For each module of ``graph``: the ``graph`` modules it imports (the package root for ``__version__``)."""
    return {m: [(t, line, top) for t, line, top in imports_of(m, p.read_text(encoding="utf-8"))
                if t in MODULES and t != "graph"]
            for m, p in (modules or MODULES).items()}


def upward(graph_edges) -> list[str]:
    """Imports of a module in a higher layer (the public API in graph/__init__.py aside)."""
    return [f"{m}:{line} imports {t}" for m, targets in graph_edges.items() if m != "graph"
            for t, line, _ in targets if rank(t) > rank(m)]


def cycles(graph_edges) -> list[set[str]]:
    """The groups of modules that import each other (strongly connected, more than one module)."""
    index, low, on, stack, out = {}, {}, set(), [], []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w, _, _ in graph_edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(group)

    for v in sorted(graph_edges):
        if v not in index:
            connect(v)
    return out


def test_every_module_sits_in_the_root_or_a_layer_folder():
    folders = {p.relative_to(PACKAGE).parts[0] for p in PACKAGE.rglob("*.py") if len(p.relative_to(PACKAGE).parts) > 1}
    assert folders <= set(LAYERS)
    assert sorted(m for m in MODULES if rank(m) == 0) == ["graph", "graph.errors", "graph.namespace"]
    assert all((PACKAGE / layer / "__init__.py").is_file() for layer in LAYERS)


def test_the_layers_import_only_downwards():
    assert upward(edges()) == []


def test_no_module_imports_back_into_one_that_imports_it():
    assert sorted(map(sorted, cycles(edges()))) == sorted(map(sorted, KNOWN_CYCLES))


def test_no_cycle_among_the_imports_made_at_import_time():
    at_import = {m: [e for e in targets if e[2]] for m, targets in edges().items()}
    assert cycles(at_import) == []


def test_load_and_imports_no_longer_import_each_other():
    e = edges()
    assert not any(t == "graph.readwrite.imports" for t, _, _ in e["graph.store.load"])


def test_the_checks_would_catch_an_upward_import_and_a_cycle():
    made_up = {"graph.store.load": [("graph.reasoning.exposure", 3, False)],
               "graph.reasoning.exposure": [("graph.store.load", 5, True)]}
    assert upward(made_up) == ["graph.store.load:3 imports graph.reasoning.exposure"]
    assert cycles(made_up) == [{"graph.store.load", "graph.reasoning.exposure"}]
    source = "from ..errors import InputError\n\ndef f():\n    from ..reasoning import exposure\n"
    assert imports_of("graph.store.load", source) == [
        ("graph.errors", 1, True), ("graph.reasoning.exposure", 4, False)]


@pytest.mark.parametrize("module", sorted(MODULES), ids=str)
def test_heavy_libraries_are_imported_inside_functions_in_the_leaves(module):
    found = imports_of(module, MODULES[module].read_text(encoding="utf-8"))
    top_level = {name.split(".")[0] for name, _, top in found if top}
    assert sorted(top_level & set(IN_FUNCTIONS_ONLY)) == []
    for library, lowest in TOP_LEVEL_FROM.items():
        if library in top_level:
            assert rank(module) >= 1 + LAYERS.index(lowest), f"{module} imports {library} at import time"


def test_importing_the_package_and_its_eager_names_stays_light():
    code = ("import sys, graph; graph.load; graph.validate; graph.ECG; graph.EcgraphError; "
            "print(sorted(m for m in ('networkx', 'pyvis', 'waitress', 'followthemoney', 'openpyxl', 'pyshacl', "
            "'typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
