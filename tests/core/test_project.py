"""Finding a project's configuration as pytest does: checked against pytest itself.

Each layout is built in a fresh folder, and the root folder and configuration file
pytest reports ("rootdir: ..., configfile: ..." in its header, run in a subprocess) are
the expected answer: pytest's own search is the definition this module follows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_roofline.core.project import Project, find
from pytest_roofline.errors import ConfigurationError, RooflineError

LAYOUTS = {
    "the closest folder wins": {
        "pyproject.toml": "[tool.pytest.ini_options]\nxfail_strict = true\n",
        "a/pytest.ini": "[pytest]\n",
    },
    "pyproject.toml before tox.ini in one folder": {
        "a/tox.ini": "[pytest]\nxfail_strict = true\n",
        "a/pyproject.toml": "[tool.pytest.ini_options]\nxfail_strict = true\n",
    },
    "a tox.ini without [pytest] does not count": {
        "setup.cfg": "[tool:pytest]\nxfail_strict = true\n",
        "a/b/tox.ini": "[tox]\nenvlist = py\n",
    },
    "an empty pytest.ini counts": {
        "pyproject.toml": "[tool.pytest.ini_options]\n",
        "a/pytest.ini": "",
    },
    "a pyproject.toml without pytest's tables, when nothing else is found": {
        "a/pyproject.toml": "[project]\nname = 'x'\n",
        "a/b/tox.ini": "[tox]\n",
    },
    "a [tool.pytest] table": {
        "pyproject.toml": "[tool.pytest]\nxfail_strict = true\n",
        "a/b/setup.cfg": "[metadata]\nname = x\n",
    },
    "setup.py without any configuration file": {
        "a/setup.py": "",
    },
}


def build(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    start = folder / "a" / "b"
    start.mkdir(parents=True, exist_ok=True)
    return start


def pytest_says(start: Path) -> tuple[Path, Path | None]:
    """The root folder and configuration file pytest's header names, run in ``start``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    plugins = ["cacheprovider", "randomly", "xdist", "hypothesispytest", "benchmark"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", *(f"-pno:{p}" for p in plugins)],
        cwd=start,
        env=env,
        capture_output=True,
        text=True,
    )
    # "rootdir: R, configfile: F" on one line before pytest 9, on two lines since.
    root = re.search(r"^rootdir: ([^,\n]*)", done.stdout, re.M)
    assert root, done.stdout + done.stderr
    config = re.search(r"configfile: ([^,\s]*)", done.stdout)
    folder = Path(root.group(1))
    return folder, (folder / config.group(1)) if config else None


@pytest.mark.parametrize("files", LAYOUTS.values(), ids=list(LAYOUTS))
def test_the_root_and_configuration_file_are_pytests(tmp_path: Path, files: dict[str, str]) -> None:
    start = build(tmp_path / "project", files)
    found = find(start)
    assert (found.root, found.config_file) == pytest_says(start)


def test_nothing_found_is_the_starting_folder(tmp_path: Path) -> None:
    start = build(tmp_path, {})
    assert find(start) in (Project(start), find(tmp_path.parent))  # an ancestor may configure


def test_the_settings_of_each_kind_of_file(tmp_path: Path) -> None:
    text = "roofline_hardware_file = a.toml\n"
    for name, section in (("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_text(f"{section}\n{text}", encoding="utf-8")
        assert find(folder).ini == {"roofline_hardware_file": "a.toml"}
    toml = tmp_path / "toml"
    toml.mkdir()
    (toml / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\nroofline_hardware_file = ['a.toml', 'b.toml']\nx = 1\n"
    )
    assert find(toml).ini == {"roofline_hardware_file": ["a.toml", "b.toml"], "x": "1"}


def test_ini_paths_are_taken_from_the_configuration_files_folder(tmp_path: Path) -> None:
    # pytest's "paths" ini type: split as a shell splits, each from the file's folder.
    (tmp_path / "tox.ini").write_text(
        '[pytest]\nroofline_hardware_file = hw/a.toml "hw/b c.toml"\n', encoding="utf-8"
    )
    (tmp_path / "sub").mkdir()
    found = find(tmp_path / "sub")
    assert found.ini_paths("roofline_hardware_file") == [
        tmp_path / "hw" / "a.toml",
        tmp_path / "hw" / "b c.toml",
    ]
    assert found.ini_paths("absent") == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("tox.ini", "[pytest]\nkey = 1\nkey = 2\n", "tox.ini: not a valid ini file"),
        ("pytest.ini", "key = 1\n", "pytest.ini: not a valid ini file"),
        ("pyproject.toml", "[tool.pytest\n", "pyproject.toml: not valid TOML"),
        ("tox.ini", '[pytest]\nroofline_hardware_file = "a.toml\n', "No closing quotation"),
    ],
)
def test_a_configuration_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises((ConfigurationError, RooflineError)) as raised:
        find(tmp_path).ini_paths("roofline_hardware_file")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
