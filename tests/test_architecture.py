"""The import rules of docs/architecture.md, checked on the source (ast, no imports run).

- The apps depend one way: `accounts` ← `escalations` ← `notifications`, `analytics` (an arrow
  points at what is imported). `escalations` (the domain) imports neither `notifications` nor
  `analytics`; `accounts` imports none of the three. `resolutionflow` (the project: settings,
  the outbound HTTP client, metrics) is below them all for the domain code.
- No import cycle between files of the project's own packages.

Every import counts, also one inside a function (a late import is still a dependency) and one
under `if TYPE_CHECKING:`. `from package import name` is an edge to `package/name.py` when that
file exists, else to `package/__init__.py`. Importing a submodule is not counted as importing its
package's `__init__.py` (Python runs it, but that is not a dependency anyone wrote).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "escalations", "notifications", "analytics", "resolutionflow")

# What each app may not import (its own subpackages and `resolutionflow` are always fine).
FORBIDDEN = {
    "accounts": ("escalations", "notifications", "analytics"),
    "escalations": ("notifications", "analytics"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every .py of the project's packages (migrations included: they are imported too)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(project module, line) for every import in `path`, anywhere in the file.
    `from a.b import c` is an edge to a/b/c.py when that file exists (c is a module), else to the
    module a.b (c is a name in it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(resolve(alias.name, modules), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(name, path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.append((submodule if submodule in modules else resolve(module, modules), node.lineno))
    return [(target, line) for target, line in found if target is not None and target != name]


def resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The project module `target` names: itself, else the closest enclosing package."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], int]]:
    """{module: the project modules it imports} and the line of each edge's first import."""
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    lines: dict[tuple[str, str], int] = {}
    for name, path in modules.items():
        for target, line in imported_modules(name, path, modules):
            graph[name].add(target)
            lines[(name, target)] = min(line, lines.get((name, target), line))
    return graph, lines


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one file (Tarjan): each is a tangle of
    files that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _a_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A concrete cycle inside a strongly connected component, for the failure message."""
    start = min(component)
    path, seen = [start], {start}
    parents = {start: None}
    queue = [start]
    while queue:  # breadth-first back to start gives the shortest cycle through it
        node = queue.pop(0)
        for succ in sorted(graph[node] & component):
            if succ == start:
                cycle = [node]
                while parents[cycle[-1]] is not None:
                    cycle.append(parents[cycle[-1]])
                return [*reversed(cycle), start]
            if succ not in seen:
                seen.add(succ)
                parents[succ] = node
                queue.append(succ)
    return path


def test_the_graph_sees_function_level_imports():
    graph, _ = import_graph()
    # escalations/assessment/__init__.py imports its providers inside get_provider().
    assert "escalations.assessment.builtin" in graph["escalations.assessment"]


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert _a_cycle(graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


def test_no_import_cycle_between_files():
    graph, lines = import_graph()
    described = []
    for component in find_cycles(graph):
        # Every file of the tangle, and one cycle through it spelled out edge by edge.
        cycle = _a_cycle(graph, set(component))
        steps = [f"{a} (line {lines[(a, b)]}) -> {b}" for a, b in zip(cycle, cycle[1:], strict=False)]
        described.append(f"files in a cycle: {', '.join(component)}\n    " + "\n    ".join(steps))
    assert not described, "import cycles between files:\n  " + "\n  ".join(described)


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_does_not_import_the_apps_that_depend_on_it(app):
    graph, lines = import_graph()
    wrong = [
        f"{source} (line {lines[(source, target)]}) imports {target}"
        for source in sorted(graph) if source == app or source.startswith(f"{app}.")
        for target in sorted(graph[source]) if target.split(".")[0] in FORBIDDEN[app]
    ]
    assert not wrong, f"{app} must not import {', '.join(FORBIDDEN[app])}:\n  " + "\n  ".join(wrong)
