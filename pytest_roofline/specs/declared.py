"""The hardware and models a project declares, added to the catalogs names resolve in.

A project declares devices and models without code (DESIGN.md section 4): tables under
``[tool.pytest-roofline.hardware.NAME]`` and ``[tool.pytest-roofline.models.NAME]`` in
its pyproject.toml, and TOML files of hardware named by ``--roofline-hardware-file``,
the ini key ``roofline_hardware_file`` or ``hardware_file`` in pyproject.toml, in that
order of precedence. A device is read by :mod:`.files` (``extends`` included), a model by
:meth:`Transformer.from_data`, so a declaration means the same to the plugin and to the
``roofline`` command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_roofline.core import reading
from pytest_roofline.core.project import Project
from pytest_roofline.errors import ConfigurationError, RooflineError, cut
from pytest_roofline.specs import files
from pytest_roofline.specs.hardware import Catalog, Hardware
from pytest_roofline.specs.transformer import ModelCatalog, Transformer

SECTION = "tool.pytest-roofline"
INI_HARDWARE_FILE = "roofline_hardware_file"


@dataclass(frozen=True)
class Declared:
    """What one project declares: device and model tables, and hardware files."""

    pyproject: Path
    hardware: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    hardware_files: tuple[Path, ...] = ()


def read_section(path: Path) -> dict[str, Any]:
    """The ``[tool.pytest-roofline]`` table of a pyproject.toml (empty when absent)."""
    if not path.is_file():
        return {}
    tool = reading.read_toml(path, "pyproject.toml").get("tool", {})
    section = tool.get("pytest-roofline", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: [{SECTION}] must be a table")
    return dict(section)


def read(
    project: Project, given: Sequence[str | os.PathLike[str]] = (), folder: Path = Path()
) -> Declared:
    """The declarations of ``project``; ``given`` hardware files (from the command line,
    taken from ``folder``) replace those its configuration names, as the option does."""
    path = project.pyproject
    section = read_section(path)
    hardware = section.get("hardware")
    models = section.get("models", {})
    if not isinstance(models, dict):
        raise ConfigurationError(f"{path}: [{SECTION}.models] must be a table")
    if given:
        listed = [folder / p for p in given]
    else:
        listed = project.ini_paths(INI_HARDWARE_FILE) or _pyproject_files(section, project)
    return Declared(
        pyproject=path,
        hardware=hardware if isinstance(hardware, dict) else {},
        models=models,
        hardware_files=tuple(listed),
    )


def _pyproject_files(section: dict[str, Any], project: Project) -> list[Path]:
    """``hardware_file`` of ``[tool.pytest-roofline]``: paths from the root folder."""
    listed = section.get("hardware_file") or []
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list) or not all(isinstance(p, str) and p for p in listed):
        raise ConfigurationError(
            f"[{SECTION}] hardware_file must be a path or a list of paths, got {cut(listed)}"
        )
    return [project.root / p for p in listed]


def add_hardware(catalog: Catalog, declared: Declared) -> Catalog:
    """A copy of ``catalog`` with the declared devices: the pyproject tables, then each
    hardware file (a name already in the catalog is an error naming where)."""
    if declared.hardware:
        where = f"{declared.pyproject} [{SECTION}.hardware]"
        devices = files.resolve(declared.hardware, catalog, where, Hardware.from_data)
        catalog = files.extend_catalog(catalog, devices, where)
    for path in declared.hardware_files:
        devices = files.load(path, catalog, Hardware.from_data)
        catalog = files.extend_catalog(catalog, devices, str(path))
    return catalog


def add_models(models: ModelCatalog, declared: Declared) -> ModelCatalog:
    """A copy of ``models`` with the declared models."""
    models = models.copy()
    for key, fields in declared.models.items():
        place = f"{declared.pyproject} [{SECTION}.models.{key}]"
        if not isinstance(fields, dict):
            raise ConfigurationError(f"{place}: must be a table of the model's fields")
        model = Transformer.from_data({"name": key, **fields}, place)
        try:
            models.add(model)
        except RooflineError as error:
            raise ConfigurationError(f"{place}: {error}") from None
    return models
