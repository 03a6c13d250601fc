"""Move ecgraph's modules into their layer folders and rewrite every import to match (see RESHAPE.md).

Usage (from the repository root)::

    python tools/relayer.py                  # git mv flat modules, rewrite imports and names
    python tools/relayer.py --check          # change nothing; exit 1 if anything would change
    python tools/relayer.py --only store     # move only the modules of these layers (one commit per layer)
    python tools/relayer.py FILE...          # rewrite only these files

The mapping is the table of RESHAPE.md (module -> path). Rewriting is idempotent: a relative import
that already resolves to a module of the new layout is left alone, so the script can run again after
``main`` (with others' edits to the flat modules) is merged in.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`([\w]+)`\s*\|\s*`(graph/[\w/]+\.py)`\s*\|\s*$")
TEXT_FILES = ("README.md", ".ci/run", "pyproject.toml", "RESHAPE.md")
PUBLIC = {"load", "validate"}  # names of graph/__init__.py's API that are also module names
DATA_SUFFIX = r"(?!\.(?:json|ttl|nt|nq|csv|tsv|html|xlsx|trig|rq)\b)"


def mapping(table: Path = ROOT / "RESHAPE.md") -> dict[str, str]:
    """Module name -> dotted path in the new layout, from RESHAPE.md's table."""
    out = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            dotted = m.group(2).removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            out[m.group(1)] = dotted
    return out


def package_of(path: Path) -> str:
    """The dotted package a file under ROOT belongs to (``graph/store/load.py`` -> ``graph.store``)."""
    rel = path.resolve().relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1])


def relative(package: str, target: str) -> tuple[int, str]:
    """(level, module) of ``from <dots><module>`` naming ``target`` from inside ``package``."""
    p, t = package.split("."), target.split(".")
    common = 0
    while common < min(len(p), len(t)) and p[common] == t[common]:
        common += 1
    return len(p) - common + 1, ".".join(t[common:])


def known_modules(new: dict[str, str]) -> set[str]:
    """Every dotted module and package of the new layout."""
    out = set(new.values())
    for dotted in new.values():
        parts = dotted.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return out


def resolve(package: str, level: int, module: str) -> str:
    base = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join(base + ([module] if module else []))


def rewrite_relative(path: Path, text: str, new: dict[str, str], problems: list[str]) -> str:
    """The text of a module under graph/ with its relative imports pointing at the new layout."""
    package = package_of(path)
    known = known_modules(new)
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    edits = []  # (line index, col, end line index, end col, replacement)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        target = resolve(package, node.level, node.module or "")
        if node.module:
            if target in known:
                continue
            flat = node.module.split(".")[0]
            before = resolve("graph", node.level, node.module) if node.level == 1 else ""
            if before in known:  # written for the module's flat place, graph/m.py, before it moved
                level, module = relative(package, before)
                line = lines[node.lineno - 1]
                m = re.compile(r"from\s+\.+[\w.]*\s+import\s+").match(line, node.col_offset)
                edits.append((node.lineno - 1, node.col_offset, m.end() - node.col_offset,
                              f"from {'.' * level}{module} import "))
                continue
            if flat not in new:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {'.' * node.level}{node.module}: "
                                f"module {flat!r} is not in RESHAPE.md's table")
                continue
            dest = ".".join([new[flat], *node.module.split(".")[1:]])
            level, module = relative(package, dest)
            stmt = f"from {'.' * level}{module} import "
            line = lines[node.lineno - 1]
            m = re.compile(r"from\s+\.+[\w.]*\s+import\s+").match(line, node.col_offset)
            edits.append((node.lineno - 1, node.col_offset, m.end() - node.col_offset, stmt))
            continue
        # from <dots> import a, b: each name a module (or __version__ of the root)
        groups: dict[str, list[str]] = {}
        changed = False
        for alias in node.names:
            full = f"{target}.{alias.name}" if target else alias.name
            if alias.name == "__version__":
                dest_pkg = "graph"
            elif full in known:
                dest_pkg = target
            elif alias.name in new:
                dest_pkg = new[alias.name].rsplit(".", 1)[0]
            elif target in known:  # a name the package itself defines (graph.pages.fill)
                dest_pkg = target
            else:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {'.' * node.level} import {alias.name}: "
                                f"not in RESHAPE.md's table")
                dest_pkg = target
            changed |= dest_pkg != target
            as_ = f" as {alias.asname}" if alias.asname else ""
            groups.setdefault(dest_pkg, []).append(alias.name + as_)
        if not changed:
            continue
        indent = " " * node.col_offset
        stmts = []
        for dest_pkg, names in groups.items():
            level, module = relative(package, dest_pkg)
            stmts.append(f"from {'.' * level}{module} import {', '.join(names)}")
        replacement = ("\n" + indent).join(stmts)
        start = node.col_offset
        end_line, end_col = node.end_lineno - 1, node.end_col_offset
        edits.append((node.lineno - 1, start, None, (end_line, end_col, replacement)))
    for edit in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        i, col, length, stmt = edit
        if length is not None:
            lines[i] = lines[i][:col] + stmt + lines[i][col + length:]
        else:
            end_line, end_col, replacement = stmt
            head, tail = lines[i][:col], lines[end_line][end_col:]
            lines[i:end_line + 1] = [head + replacement + tail]
    return "".join(lines)


def rewrite_from_graph(path: Path, text: str, new: dict[str, str]) -> str:
    """``from graph import sparql`` (a moved module) -> ``from graph.store import sparql``, in any Python file."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    lines = text.splitlines(keepends=True)
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "graph"):
            continue
        groups: dict[str, list[str]] = {}
        for alias in node.names:
            dest = new[alias.name].rsplit(".", 1)[0] if alias.name in new and alias.name != "__init__" else "graph"
            groups.setdefault(dest, []).append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
        if set(groups) == {"graph"}:
            continue
        indent = "\n" + " " * node.col_offset
        replacement = indent.join(f"from {dest} import {', '.join(names)}" for dest, names in groups.items())
        edits.append((node.lineno - 1, node.col_offset, node.end_lineno - 1, node.end_col_offset, replacement))
    for i, col, end_line, end_col, replacement in sorted(edits, reverse=True):
        lines[i:end_line + 1] = [lines[i][:col] + replacement + lines[end_line][end_col:]]
    return "".join(lines)


def rewrite_names(text: str, new: dict[str, str]) -> str:
    """Absolute names (``graph.load``, ``graph/load.py``) moved to their layer."""
    moved = {m: d for m, d in new.items() if d != f"graph.{m}" and m != "__init__"}
    if not moved:
        return text
    alt = "|".join(sorted(moved, key=len, reverse=True))
    dotted = re.compile(rf"(?<![\w./-])graph\.({alt})\b{DATA_SUFFIX}")
    slashed = re.compile(rf"(?<![\w./-])graph/({alt})\.py\b")

    def module(m: re.Match) -> str:
        # graph.load and graph.validate are also the public functions: a module only when followed by
        # an attribute (graph.load.data_dir) or imported (from graph.load import ..., import graph.load)
        if m.group(1) in PUBLIC and not (text.startswith(".", m.end()) and text[m.end() + 1:m.end() + 2].isidentifier()):
            before = text[max(0, m.start() - 7):m.start()]
            if not before.endswith(("from ", "import ")):
                return m.group(0)
        return moved[m.group(1)]

    text = dotted.sub(module, text)
    return slashed.sub(lambda m: moved[m.group(1)].replace(".", "/") + ".py", text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything would change")
    ap.add_argument("--only", nargs="*", help="move only the modules of these layers")
    args = ap.parse_args(argv)
    new = mapping()
    if args.only is not None:
        new = {m: d for m, d in new.items() if d.count(".") < 2 or d.split(".")[1] in args.only}
        # modules not yet moved keep their flat place, so their imports resolve as before
        new.update({m: f"graph.{m}" for m in mapping() if m not in new})
    problems, changes = [], []
    pkg = ROOT / "graph"
    if not args.files:
        for flat in sorted(pkg.glob("*.py")):
            stem = flat.stem
            if stem == "__init__":
                continue
            if stem not in new:
                problems.append(f"graph/{flat.name}: not in RESHAPE.md's table (add a row)")
                continue
            dest = ROOT / (new[stem].replace(".", "/") + ".py")
            if dest != flat:
                changes.append(f"move graph/{flat.name} -> {dest.relative_to(ROOT)}")
                if not args.check:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    init = dest.parent / "__init__.py"
                    subprocess.run(["git", "mv", str(flat), str(dest)], cwd=ROOT, check=True)
                    if not init.exists():
                        layer = dest.parent.name
                        init.write_text(f'"""The {layer} layer of ecgraph (see RESHAPE.md)."""\n', encoding="utf-8")
                        subprocess.run(["git", "add", str(init)], cwd=ROOT, check=True)
    files = args.files or [*sorted(pkg.rglob("*.py")), *sorted((ROOT / "tests").rglob("*.py")),
                           *[ROOT / f for f in TEXT_FILES if (ROOT / f).is_file()],
                           *sorted(ROOT.glob("notes/**/*.md")), *sorted(ROOT.glob("docs/**/*.md"))]
    for path in files:
        path = path.resolve()
        if args.check and not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        out = text
        if path.suffix == ".py" and pkg in path.parents:
            out = rewrite_relative(path, out, new, problems)
        if path.suffix == ".py":
            out = rewrite_from_graph(path, out, new)
        if path.name != "RESHAPE.md":
            out = rewrite_names(out, new)
        if out != text:
            changes.append(f"rewrite {path.relative_to(ROOT)}")
            if not args.check:
                path.write_text(out, encoding="utf-8")
    for line in changes:
        print(line)
    for line in problems:
        print(f"problem: {line}", file=sys.stderr)
    return 1 if problems or (args.check and changes) else 0


if __name__ == "__main__":
    sys.exit(main())
