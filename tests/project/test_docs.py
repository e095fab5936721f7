"""The documentation stays in step with the code: every option, ini key, pyproject key,
hook, command, marker argument and fixture member is documented; the site builds with
``mkdocs build --strict``; relative links point at files that exist."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_roofline.plugin import hooks
from pytest_roofline.plugin.marker import KEYWORDS
from pytest_roofline.plugin.settings import PYPROJECT_KEYS
from pytest_roofline.verdict.recorder import Recorder

ROOT = Path(__file__).parents[2]
REFERENCE = (ROOT / "docs" / "reference.md").read_text()
INTERNAL_RECORDER_MEMBERS = {
    # Used by the plugin to reach and confirm the verdict, not by tests.
    "result",
    "record",
    "close",
    "confirm",
    "declared",
    "nodeid",
    "min_utilization",
    "max_drop",
    "measured_tokens_per_second",
    "row_without_verdict",
}


def help_text() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


@pytest.fixture(scope="module")
def pytest_help() -> str:
    return help_text()


def test_every_command_line_option_is_documented(pytest_help: str) -> None:
    options = set(re.findall(r"--roofline-[a-z-]+", pytest_help))
    assert len(options) >= 14
    missing = sorted(o for o in options if f"`{o}" not in REFERENCE)
    assert not missing, f"options missing from docs/reference.md: {missing}"


def test_every_ini_key_is_documented(pytest_help: str) -> None:
    keys = set(re.findall(r"^\s+(roofline_[a-z_]+) \(", pytest_help, re.MULTILINE))
    assert len(keys) >= 14
    missing = sorted(k for k in keys if f"`{k}`" not in REFERENCE)
    assert not missing, f"ini keys missing from docs/reference.md: {missing}"


@pytest.mark.parametrize("key", PYPROJECT_KEYS)
def test_every_pyproject_key_is_documented(key: str) -> None:
    assert f"`{key}`" in REFERENCE or f"pytest-roofline.{key}." in REFERENCE


def test_every_hook_is_documented() -> None:
    names = [n for n, f in inspect.getmembers(hooks, inspect.isfunction) if n.startswith("pytest_")]
    assert len(names) == 5
    for name in names:
        assert f"`{name}(" in REFERENCE, name


def test_every_command_is_documented() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_roofline", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    (choices,) = re.findall(r"\{([a-z,]+)\}", done.stdout)[:1]
    for command in choices.split(","):
        assert f"`roofline {command}" in REFERENCE, command


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_every_marker_argument_is_documented(keyword: str) -> None:
    marker = REFERENCE[REFERENCE.index("The marker takes") :]
    assert f"{keyword}=" in marker


def test_every_public_fixture_member_is_documented() -> None:
    # Over the class and its bases: the re-checks moved to a base class (verdict/recheck.py).
    public = {n for cls in Recorder.__mro__ for n in vars(cls) if not n.startswith("_")}
    members = public - INTERNAL_RECORDER_MEMBERS
    assert {"declare", "measure", "report", "report_engine_result", "bound"} <= members
    missing = sorted(m for m in members if f"`{m}" not in REFERENCE)
    assert not missing, f"fixture members missing from docs/reference.md: {missing}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files(page: Path) -> None:
    text = page.read_text()
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # links inside code are code
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        assert (page.parent / path).exists(), f"{page.name}: broken link {target}"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is in the test extra: pip install '.[test]'")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "index.html").exists()
    assert (tmp_path / "how-to" / "guard-a-serving-engine" / "index.html").exists()
