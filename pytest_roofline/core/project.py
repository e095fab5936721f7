"""Where a project keeps its configuration, found as pytest finds it, without pytest.

The ``roofline`` command reads the hardware and models a project declares, and its
baselines, from where a pytest run started in the same folder would read them. The
library never imports pytest, so the search is written here, after pytest's own
("Initialization: determining rootdir and configfile" in pytest's documentation;
``_pytest/config/findpaths.py``):

- in the starting folder, then in each parent, the first file of :data:`CONFIG_FILES`
  that configures pytest is the configuration file, and its folder the root folder.
  ``pytest.toml`` and ``pytest.ini`` always count; ``pyproject.toml`` with a
  ``[tool.pytest]`` or ``[tool.pytest.ini_options]`` table; ``tox.ini`` with
  ``[pytest]``; ``setup.cfg`` with ``[tool:pytest]``;
- when none does, the first ``pyproject.toml`` found is the configuration file;
- without one, the root folder is the first folder holding ``setup.py``, else the
  starting folder.

The plugin asks pytest instead (``config.rootpath``, ``config.getini``).
"""

from __future__ import annotations

import configparser
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_roofline.core import reading
from pytest_roofline.errors import ConfigurationError, clip

CONFIG_FILES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
"""The files pytest looks for in each folder, in its order of precedence."""


@dataclass(frozen=True)
class Project:
    """The folder a pytest run would take as its root, and its configuration file."""

    root: Path
    """pytest's root folder (``config.rootpath``): its ``pyproject.toml`` holds the
    ``[tool.pytest-roofline]`` table, and ``.roofline/`` the baselines."""
    config_file: Path | None = None
    ini: Mapping[str, Any] = field(default_factory=dict)
    """The configuration file's pytest settings, as ``config.getini`` reads them: text,
    or lists of text (``[tool.pytest]`` keeps TOML's own values)."""

    @property
    def pyproject(self) -> Path:
        """The ``pyproject.toml`` the plugin reads ``[tool.pytest-roofline]`` from."""
        return self.root / "pyproject.toml"

    def ini_paths(self, key: str) -> list[Path]:
        """An ini setting of paths (pytest's ``type="paths"``), each taken from the
        configuration file's folder; empty when the setting is absent."""
        value = self.ini.get(key)
        if value is None or value == "":
            return []
        folder = self.config_file.parent if self.config_file else self.root
        where = f"{self.config_file or self.root}: {key}"
        try:
            listed = shlex.split(value) if isinstance(value, str) else value
        except ValueError as error:  # an unclosed quote
            raise ConfigurationError(f"{where}: {error}") from None
        if not isinstance(listed, list) or not all(isinstance(p, str) and p for p in listed):
            raise ConfigurationError(f"{where} must be paths, got {clip(repr(value), 80)}")
        return [folder / p for p in listed]


def find(start: Path) -> Project:
    """The project a pytest run started in ``start`` would see; a one-line
    :class:`ConfigurationError` or file error for a configuration file it cannot read."""
    start = Path(os.path.abspath(start))
    first_pyproject: Path | None = None
    for folder in (start, *start.parents):
        for name in CONFIG_FILES:
            path = folder / name
            if not path.is_file():
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = path
            settings = pytest_settings(path)
            if settings is not None:
                return Project(folder, path, settings)
    if first_pyproject is not None:
        return Project(first_pyproject.parent, first_pyproject)
    for folder in (start, *start.parents):
        if (folder / "setup.py").is_file():
            return Project(folder)
    return Project(start)


def pytest_settings(path: Path) -> dict[str, Any] | None:
    """The pytest settings of one configuration file, or None when it configures
    nothing for pytest (a ``tox.ini`` without ``[pytest]``)."""
    return _READERS[path.name](path)


def _toml_pytest(path: Path) -> dict[str, Any] | None:
    """``pytest.toml``: its ``[pytest]`` table, which may be absent."""
    table = reading.read_toml(path, "pytest configuration").get("pytest", {})
    return dict(table) if isinstance(table, dict) else {}


def _pyproject(path: Path) -> dict[str, Any] | None:
    """``[tool.pytest]`` (TOML values) or ``[tool.pytest.ini_options]`` (text values)."""
    tool = reading.read_toml(path, "pyproject.toml").get("tool")
    pytest_table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(pytest_table, dict):
        return None
    native = {k: v for k, v in pytest_table.items() if k != "ini_options"}
    if native:
        return native
    ini = pytest_table.get("ini_options")
    if not isinstance(ini, dict):
        return None
    return {k: v if isinstance(v, list) else str(v) for k, v in ini.items()}


def _ini(section: str, always: bool) -> Callable[[Path], dict[str, Any] | None]:
    """A reader of ini files whose pytest settings are under ``[section]``; with
    ``always``, a file without that section still counts (``pytest.ini``)."""

    def read(path: Path) -> dict[str, Any] | None:
        parser = configparser.ConfigParser(interpolation=None, default_section="\0")
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the case
        try:
            parser.read_string(reading.read_text(path, "configuration"), str(path))
        except configparser.Error as error:
            reason = " ".join(str(error).split())
            raise ConfigurationError(f"{path}: not a valid ini file: {clip(reason, 200)}") from None
        if parser.has_section(section):
            return dict(parser.items(section))
        return {} if always else None

    return read


_READERS: dict[str, Callable[[Path], dict[str, Any] | None]] = {
    "pytest.toml": _toml_pytest,
    ".pytest.toml": _toml_pytest,
    "pytest.ini": _ini("pytest", always=True),
    ".pytest.ini": _ini("pytest", always=True),
    "pyproject.toml": _pyproject,
    "tox.ini": _ini("pytest", always=False),
    "setup.cfg": _ini("tool:pytest", always=False),
}
