"""The shape of the package: one-way layers, no import cycles, files and functions of a size
a newcomer can hold in their head (docs/architecture.md).

The import graph is read from the source with :mod:`ast`, imports inside functions included
(a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "escapade"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        (
            "_version",
            "constants",
            "numerics",
            "config",
            "grid",
            "grid3d",
            "species",
            "resources",
            "parallel",
            "data",
        ),
    ),
    ("physics", ("interactions", "galaxy", "nuclear", "transport", "transport3d", "leptons")),
    ("model", ("model",)),
    ("solution", ("io", "solution")),
    ("observables", ("observables", "measurements", "emission")),
    ("sky", ("sky",)),
    ("fit", ("fit", "inference")),
    ("plots", ("plots",)),
    ("workflows", ("scan", "reproduce", "workflows")),
    ("cli", ("cli",)),
    ("api", ("",)),  # the package itself: the public API re-exports every layer
]
"""From the bottom up. A module may import its own layer and the layers below it only.
Names are module paths below ``escapade`` (a package stands for everything in it)."""

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The escapade modules ``name`` imports (``from x import sub`` counts ``x.sub``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def layer_of(name: str) -> int:
    """Index in LAYERS of the longest prefix naming ``name``."""
    rel = name.removeprefix("escapade").lstrip(".")
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            hit = rel == prefix or (prefix and rel.startswith(prefix + ".")) or prefix == ""
            if hit and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    if best is None or (best_len == 0 and rel):
        raise AssertionError(f"{name} is in no layer: add it to LAYERS (and docs/architecture.md)")
    return best


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checks_see_a_cycle_and_an_upward_import():
    graph = {"escapade.a": {"escapade.b"}, "escapade.b": {"escapade.a"}, "escapade.c": set()}
    assert cycles(graph) == [["escapade.a", "escapade.b"]]
    assert layer_of("escapade.cli.main") > layer_of("escapade.fit.fit") > layer_of("escapade.grid")
    assert layer_of("escapade") == len(LAYERS) - 1
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("escapade.not_a_layer")


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_every_import_goes_down_or_stays_in_its_layer():
    graph = import_graph()
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
        for m, deps in sorted(graph.items())
        for d in sorted(deps)
        if layer_of(d) > layer_of(m)
    ]
    assert upward == []


def test_modules_and_functions_stay_small():
    big_modules = []
    long_functions = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            big_modules.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name}: {n} lines")
    assert big_modules == []
    assert long_functions == []
