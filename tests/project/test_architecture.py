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
