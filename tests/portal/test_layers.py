"""The layers point one way (docs/architecture.md, "Layers"): a module imports only from its
own layer or below, and the modules of one app import each other without a cycle.

Every project module's imports are read with ``ast``, at module level and inside functions alike (an
import deferred into a function is still a dependency); imports under ``if TYPE_CHECKING:`` are not
dependencies at run time and are skipped. ``ALLOWED`` lists the upward imports still in the tree, each
with why and where it goes; it may only shrink: an entry that no longer occurs fails too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A package belongs to the layer of its longest listed prefix. importers and supervision
# share a level but are separate: neither imports the other (the data flow runs through the
# tasklist and agencies models between them).
LAYERS: dict[str, tuple[int, str]] = {
    "core": (0, "core"),
    "accounts": (1, "accounts"),
    "agencies": (2, "agencies"),
    "tasklist": (3, "tasklist"),
    # The trail names the task and the agency whose work changed, so it sits on tasklist; accounts
    # sends its account events to it as a signal (accounts/auth_audit.py).
    "audit": (4, "audit"),
    "importers": (5, "importers"),
    "supervision": (5, "supervision"),
    "portal.api": (6, "api"),
    "portal": (7, "portal"),
}
# tests/ and bench/ stand outside the layering: they drive the whole portal from above.

# (importing file, imported module) → why it is still here. Only shrinks (test_allowed_entries_still_exist).
ALLOWED: dict[tuple[str, str], str] = {}


# Module-level import cycles inside one app still in the tree, each with why; only shrinks too.
KNOWN_CYCLES: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the project root, "/"-separated
    line: int
    target: str  # the imported module, resolved to a project module where it is one
    module_level: bool


def _project_files() -> Iterator[Path]:
    for top in sorted({prefix.split(".")[0] for prefix in LAYERS}):
        yield from sorted((ROOT / top).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in _project_files()}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, name: str | None) -> str:
    """``from module import name``: the submodule when ``name`` is one, else the module."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _imports(path: Path, source: str | None = None) -> Iterator[Import]:
    relative = path.relative_to(ROOT).as_posix()
    this = _module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    if source is None:
        source = path.read_text(encoding="utf-8")

    def visit(node: ast.AST, module_level: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from visit(other, module_level)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(relative, child.lineno, alias.name, module_level)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                for alias in child.names:
                    yield Import(relative, child.lineno, _resolve(module, alias.name), module_level)
            else:
                # A function's imports run when it is called; a class body's run at import time.
                deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from visit(child, module_level and not deferred)

    yield from visit(ast.parse(source, filename=relative), True)


def _layer(module: str) -> tuple[int, str] | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def _all_imports() -> list[Import]:
    return [found for path in MODULES.values() for found in _imports(path)]


def _violations() -> list[tuple[Import, str]]:
    """Every import of a project module from a higher layer, or from the other app of the same level."""
    found = []
    for imported in _all_imports():
        source = _layer(_module_name(ROOT / imported.path))
        target = _layer(imported.target)
        if source is None or target is None or source[1] == target[1]:
            continue
        if target[0] > source[0] or (target[0] == source[0]):
            found.append((imported, f"{source[1]} imports {target[1]}"))
    return found


def test_every_project_module_has_a_layer():
    assert MODULES, "no project module found"
    assert all(_layer(module) for module in MODULES), [module for module in MODULES if not _layer(module)]


def test_no_module_imports_from_a_higher_layer():
    upward = sorted(
        {
            f"{imported.path}:{imported.line}: {how} ({imported.target})"
            for imported, how in _violations()
            if (imported.path, imported.target) not in ALLOWED
        }
    )
    why = "imports from a higher layer (docs/architecture.md, Layers: move the code down or send a signal):\n"
    assert not upward, why + "\n".join(upward)


def test_allowed_entries_still_exist():
    """ALLOWED only shrinks: an upward import that was fixed leaves the list with its fix."""
    present = {(imported.path, imported.target) for imported, _how in _violations()}
    gone = sorted(f"{path} → {target}" for path, target in ALLOWED if (path, target) not in present)
    assert not gone, "fixed, so take these out of ALLOWED:\n" + "\n".join(gone)


def test_every_allowed_entry_says_why_and_where():
    assert all("issue 14" in reason for reason in [*ALLOWED.values(), *KNOWN_CYCLES.values()])


def test_core_holds_no_django_model():
    """core is pure: numerals, signals, pagination; no table, so any layer may import it."""
    touching = [
        f"{imported.path}:{imported.line}: {imported.target}"
        for path in MODULES.values()
        if _module_name(path).split(".")[0] == "core"
        for imported in _imports(path)
        if imported.target.startswith(("django.db", "django.contrib"))
    ]
    assert not touching


def _cycles() -> list[list[str]]:
    """Strongly connected components (Tarjan) of module-level imports between modules of one app."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for imported in _all_imports():
        source = _module_name(ROOT / imported.path)
        inside = imported.target in MODULES and imported.target.split(".")[0] == source.split(".")[0]
        if imported.module_level and inside and imported.target != source:
            graph[source].add(imported.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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
            connect(node)
    return components


def test_no_import_cycle_inside_an_app():
    cycles = [tuple(cycle) for cycle in _cycles()]
    new = [cycle for cycle in cycles if cycle not in KNOWN_CYCLES]
    assert not new, "module-level import cycles (import inside the function, or move the shared part):\n" + "\n".join(
        " ↔ ".join(cycle) for cycle in new
    )
    gone = [cycle for cycle in KNOWN_CYCLES if cycle not in cycles]
    assert not gone, f"no longer a cycle, so take these out of KNOWN_CYCLES: {gone}"


# --- the checker itself --------------------------------------------------------------------------


def test_the_checker_reads_function_imports_and_skips_type_checking():
    found = _imports(
        ROOT / "tasklist" / "probe.py",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from supervision.models import Reminder\n"
        "def f():\n"
        "    from supervision import rules\n"
        "from . import models\n",
    )
    found = list(found)
    targets = {(imported.target, imported.module_level) for imported in found}
    assert ("supervision.rules", False) in targets
    assert ("tasklist.models", True) in targets
    assert not any(imported.target == "supervision.models" for imported in found)


def test_the_layer_map():
    assert _layer("portal.api.views")[1] == "api"
    assert _layer("portal.settings")[1] == "portal"
    assert _layer("core.numerals") < _layer("accounts.roles") < _layer("agencies.models") < _layer("tasklist.models")
    assert _layer("importers.loader")[0] == _layer("supervision.models")[0]
