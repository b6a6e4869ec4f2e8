"""The package's layout rules, read off the source: stages, public faces, no cycles.

Each stage of the data flow is one folder, and a stage imports only stages before it
in :data:`STAGES` (the order of ``docs/architecture.md``), only through their
``__init__``. Imports inside a function count too: a lazy import is still a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import fairlead as fl

SOURCE = Path(fl.__file__).parent

#: The stages, upstream first: a package may import only packages listed before it.
STAGES = (
    "core",
    "records",
    "scoring",
    "policy",
    "formulation",
    "diagnose",
    "solvers",
    "plan",
    "router",
    "kpi",
    "datasets",
    "sim",
    "connectors",
    "service",
    "app",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every ``fairlead`` module ``path`` imports (at any depth), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((target, node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "fairlead"]


MODULES = {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_folder_is_a_known_stage() -> None:
    folders = {p.name for p in SOURCE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(STAGES)


def test_the_root_holds_at_most_three_modules_besides_init() -> None:
    modules = sorted(p.name for p in SOURCE.glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= 3, modules


def test_no_module_imports_another_packages_private_names() -> None:
    offences = []
    for module, path in MODULES.items():
        own = stage_of(module)
        for target, line in imports_of(path):
            parts = target.split(".")
            private = any(part.startswith("_") for part in parts[1:])
            if private and stage_of(target) != own:
                offences.append(f"{path.relative_to(SOURCE)}:{line} imports {target}")
    assert offences == []


def test_a_stage_imports_only_earlier_stages() -> None:
    offences = []
    for module, path in MODULES.items():
        own = stage_of(module)
        if own is None:
            continue
        for target, line in imports_of(path):
            other = stage_of(target)
            if target == "fairlead":
                # the command line reads the public API as callers do
                if own != "app":
                    offences.append(f"{path.relative_to(SOURCE)}:{line} imports fairlead")
            elif other is not None and other != own and STAGES.index(other) > STAGES.index(own):
                offences.append(f"{path.relative_to(SOURCE)}:{line}: {own} imports {other}")
    assert offences == []


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _ in imports_of(path):
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]  # `from pkg import name` -> pkg
            if target != module and target in MODULES:
                graph[module].add(target)
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for module in sorted(MODULES):
        visit(module, [])
    assert cycles == []


@pytest.mark.parametrize("name", ["solvers", "scoring", "sim", "datasets", "router", "core"])
def test_sub_packages_are_attributes_after_import_fairlead(name: str) -> None:
    probe = f"import fairlead as fl\nprint(fl.{name}.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == f"fairlead.{name}"


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'scorin'"):
        _ = fl.scorin  # type: ignore[attr-defined]
    assert {"scoring", "sim", "datasets"} <= set(dir(fl))
