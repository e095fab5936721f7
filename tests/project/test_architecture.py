"""The layout's rules (DESIGN.md section 3) that import-linter cannot check.

Rules 1 and 2 (imports go down the layers; only the plugin imports pytest) are
import-linter contracts in pyproject.toml, run by CI as ``lint-imports``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "pytest_roofline"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 420
"""Rule 6: a module over about 400 lines is a sign it holds two ideas."""


def _imports_in_functions(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                name = "." * node.level + (node.module or "")
                if node.level or name.startswith("pytest_roofline"):
                    found.append((node.lineno, name))
            elif isinstance(node, ast.Import):
                found += [
                    (node.lineno, a.name)
                    for a in node.names
                    if a.name.startswith("pytest_roofline")
                ]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_of_ours_is_imported_inside_a_function(path: Path) -> None:
    """Rule 3: an import inside a function is for an optional third-party package."""
    assert _imports_in_functions(ast.parse(path.read_text())) == []


def test_the_import_check_sees_an_import_inside_a_function() -> None:
    source = "def f():\n    from pytest_roofline.core import units\n    import numpy\n"
    assert _imports_in_functions(ast.parse(source)) == [(2, "pytest_roofline.core")]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_holds_two_ideas(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_loading_the_plugin_loads_no_model_catalog_or_numpy() -> None:
    """pytest imports the plugin in every run where it is installed: only a run that
    uses it may load pydantic, the catalogs or numpy."""
    code = (
        "import sys, pytest_roofline.plugin;"
        "heavy = [m for m in ('pydantic', 'numpy', 'pytest_roofline.specs.hardware')"
        " if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _imports_of_ours(path: Path) -> set[str]:
    """The modules of ours ``path`` imports, those for type checking included."""
    found: set[str] = set()
    known = {_module_name(p) for p in MODULES}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytest_roofline"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pytest_roofline")}
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_not_even_for_type_checking() -> None:
    """import-linter leaves out imports made for type checking; a cycle among them still
    ties modules together for a reader, so none is allowed either."""
    graph = {_module_name(p): _imports_of_ours(p) for p in MODULES}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            for nxt in graph.get(name, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    cycles = [name for name in graph if reaches(name, name)]
    assert cycles == []
