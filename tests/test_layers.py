"""The import graph against the layer table of docs/development.md, and the size limits.

Every import counts, those inside functions and under ``TYPE_CHECKING`` too; the package's
face (``minee/__init__.py``, lazy re-exports) is left out, as targets and as a source.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatch
from pathlib import Path

import minee

SRC = Path(minee.__file__).parent
DOC = Path(__file__).resolve().parents[1] / "docs" / "development.md"


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in SRC.rglob("*.py") if p != SRC / "__init__.py"}


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports (relative and absolute)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["minee", *filter(None, package.split("."))]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found |= {f"{target}.{a.name}" for a in node.names} | {target}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    inside = {f.removeprefix("minee.") for f in found if f.startswith("minee.")}
    return {m for m in inside if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layers() -> list[list[str]]:
    """The table's module patterns per layer, bottom layer first."""
    text = DOC.read_text()
    table = text[text.index("<!-- layers:"):].split("\n\n")[0]
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", table, re.MULTILINE)
    return [[m.strip() for m in mods.split(",")] for layer, mods in rows
            if layer.strip() != "layer" and not layer.startswith("-")][::-1]


def _layer_of(name: str, layers: list[list[str]]) -> int:
    hits = [i for i, patterns in enumerate(layers) if any(fnmatch(name, p) for p in patterns)]
    assert len(hits) == 1, f"minee.{name} is in {len(hits)} layers of {DOC.name}'s table"
    return hits[0]


def test_every_import_goes_down_or_across() -> None:
    layers = _layers()
    assert len(layers) >= 6
    upward = [f"{a} -> {b}" for a, deps in GRAPH.items() for b in deps
              if _layer_of(b, layers) > _layer_of(a, layers)]
    assert not upward, upward


def test_no_import_circles() -> None:
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        seen[name] = 1
        for dep in sorted(GRAPH[name]):
            assert seen.get(dep) != 1, " -> ".join([*path, name, dep])
            if dep not in seen:
                visit(dep, [*path, name])
        seen[name] = 2

    for name in sorted(GRAPH):
        if name not in seen:
            visit(name, [])


def test_the_checks_see_function_level_imports() -> None:
    # setting_checks imports minee.data.inputs inside a function: it must be in the graph
    assert "data.inputs" in GRAPH["setting_checks"]
    assert "estimation.summary" not in GRAPH["estimation.model"]


def test_modules_and_functions_are_short() -> None:
    long = []
    for name, path in MODULES.items():
        text = path.read_text()
        if len(text.splitlines()) > 300:
            long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if (node.end_lineno or 0) - start + 1 > 50:
                    long.append(f"{name}.{node.name}")
    assert not long, long
