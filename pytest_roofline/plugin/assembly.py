"""A run's catalogs, assembled when it starts: the built-in devices and models, plus
those its configuration declares (pyproject tables, hardware files, plugins' hooks),
and where measured ``local`` ceilings are kept between runs (pytest's cache).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_roofline.errors import ConfigurationError, cut
from pytest_roofline.specs import catalog as catalogs
from pytest_roofline.specs import transformer
from pytest_roofline.specs.declared import Declared, add_hardware, add_models
from pytest_roofline.specs.hardware import Catalog, Hardware, default_catalog
from pytest_roofline.specs.transformer import Transformer

if TYPE_CHECKING:
    from pytest_roofline.plugin.run import Run


class PytestCacheStore:
    """Calibrations kept in pytest's cache (``.pytest_cache``), one per machine fingerprint."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    @classmethod
    def of(cls, config: pytest.Config) -> PytestCacheStore | None:
        cache = getattr(config, "cache", None)
        return None if cache is None else cls(cache)

    def get(self, key: str) -> Hardware | None:
        text = self.cache.get(f"roofline/local/{key}", None)
        if not isinstance(text, str):
            return None
        try:
            return Hardware.model_validate_json(text)
        except ValueError:
            return None  # written by another version: measure again

    def put(self, key: str, hardware: Hardware) -> None:
        self.cache.set(f"roofline/local/{key}", hardware.model_dump_json())


def add_from_plugins(
    catalog: catalogs.Catalog[Any], answers: list[Any], hook: str, kind: type[Any]
) -> None:
    """Add what other plugins' implementations of ``hook`` returned (lists of ``kind``);
    anything else is a usage error naming the hook."""
    for found in answers:
        for entry in found or []:
            if not isinstance(entry, kind):
                raise ConfigurationError(f"{hook} returned {entry!r}, not a {kind.__name__}")
            catalog.add(entry)


def models(
    config: pytest.Config, tables: dict[str, Any], pyproject: Path
) -> transformer.ModelCatalog:
    """Built-in models, plus those of pyproject.toml and of plugins."""
    declared = Declared(pyproject=pyproject, models=tables)
    models = add_models(transformer.builtin_models(), declared)
    answers = config.hook.pytest_roofline_models(config=config)
    add_from_plugins(models, answers, "pytest_roofline_models", Transformer)
    return models


def hardware_catalog(
    run: Run,
    config: pytest.Config,
    tables: dict[str, Any],
    pyproject: Path,
    values: dict[str, Any],
) -> Catalog:
    """Built-in hardware, plus plugins', pyproject.toml's and hardware files' devices."""
    catalog = default_catalog().copy(local=run.local, auto=run.auto)
    answers = config.hook.pytest_roofline_hardware(config=config)
    add_from_plugins(catalog, answers, "pytest_roofline_hardware", Hardware)
    listed = tuple(hardware_files(config, values))
    declared = Declared(pyproject=pyproject, hardware=tables, hardware_files=listed)
    return add_hardware(catalog, declared)


def hardware_files(config: pytest.Config, values: dict[str, Any]) -> list[Path]:
    """``--roofline-hardware-file`` (from the invocation folder), else the ini's or
    pyproject's (from the root folder)."""
    given: Any = config.getoption("roofline_hardware_file")
    if given and any(not str(p).strip() for p in given):
        raise ConfigurationError(
            "--roofline-hardware-file: given an empty value (an unset variable in the"
            " command?); give a file or leave the option out"
        )
    if given:
        return [Path(config.invocation_params.dir, p) for p in given]
    ini = config.getini("roofline_hardware_file")
    listed = ini or values.get("hardware_file") or []
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list) or not all(
        isinstance(p, (str, os.PathLike)) and str(p) for p in listed
    ):
        raise ConfigurationError(
            f"[tool.pytest-roofline] hardware_file must be a path or a list of paths,"
            f" got {cut(listed)}"
        )
    return [Path(config.rootpath, os.fspath(p)) for p in listed]
