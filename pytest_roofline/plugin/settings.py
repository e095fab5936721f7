"""Settings from the command line, ini files and ``[tool.pytest-roofline]``.

Each setting is looked up in that order, the first one given wins: command-line options
have ``default=None`` so that an ini value is never shadowed by an option's default.
Bad values are a usage error when the run starts, naming where the value came from.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from pytest_roofline.core.units import SECONDS, parse
from pytest_roofline.errors import (
    ConfigurationError,
    FileError,
    RooflineError,
    cut,
    did_you_mean,
)
from pytest_roofline.report.writers import first_clash, is_stdout
from pytest_roofline.specs.declared import read_section
from pytest_roofline.specs.hardware import Catalog
from pytest_roofline.verdict.budgets import check_budget, check_drop, check_hardware

PYPROJECT_SECTION = "tool.pytest-roofline"
SETTING_KEYS = (
    "hardware",
    "json",
    "warn_only",
    "min_utilization",
    "max_time",
    "calibrate",
    "save",
    "compare",
    "max_drop",
    "paired",
    "strict_work",
    "markdown",
    "html",
    "github_summary",
)
"""Settings given the same way on the command line (--roofline-KEY), in an ini file
(roofline_KEY) and in pyproject.toml."""
PYPROJECT_NAMES = {"hardware": "default_hardware"}
"""Settings whose [tool.pytest-roofline] key differs from the setting's name."""
PYPROJECT_KEYS = (*SETTING_KEYS, "default_hardware", "hardware_file", "models")


class Settings(BaseModel):
    """The plugin's settings for one run."""

    model_config = ConfigDict(frozen=True)

    hardware: str | None = None
    """Default hardware of tests that name none (None: ``local``)."""
    json_path: Path | None = None
    warn_only: bool = False
    min_utilization: float | None = None
    max_time: float | None = None
    calibrate: bool = False
    save: str | None = None
    """Baseline name to save this run's results under."""
    compare: str | None = None
    """Baseline name to compare this run with."""
    compare_source: str = ""
    """Where ``compare`` came from (an explicit command-line request makes a bad
    baseline a usage error; from a configuration file, a note)."""
    max_drop: float = 0.10
    paired: bool = False
    strict_work: bool = False
    """A declared kernel whose work disagrees with the counted work fails its test."""
    markdown: str | None = None
    """Markdown report path, or "-" for standard output."""
    html: str | None = None
    github_summary: bool = False
    origins: dict[str, str] = {}
    """Where each setting given came from ("--roofline-json", "ini roofline_html", ...),
    to name it in errors."""


def read_pyproject(path: Path) -> dict[str, Any]:
    """The ``[tool.pytest-roofline]`` table of a pyproject.toml (empty when absent)."""
    try:
        section = read_section(path)
    except FileError as error:
        raise ConfigurationError(str(error)) from None
    for key in section:
        if key not in PYPROJECT_KEYS:
            hint = did_you_mean(key, PYPROJECT_KEYS)
            raise ConfigurationError(f"{path}: [{PYPROJECT_SECTION}] unknown key {cut(key)}{hint}")
    return dict(section)


def split_pyproject(
    section: Mapping[str, Any], path: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Settings, hardware tables and model tables of a ``[tool.pytest-roofline]`` section.

    ``hardware`` is the default hardware's name when it is a string, and a table of
    custom devices (``[tool.pytest-roofline.hardware.my-gpu]``) when it is a table; the
    default can then be named with ``default_hardware``.
    """
    values = dict(section)
    hardware = values.pop("hardware", None)
    models = values.pop("models", {})
    tables: dict[str, Any] = {}
    if isinstance(hardware, dict):
        tables = hardware
    elif hardware is not None:
        values.setdefault("default_hardware", hardware)
    if not isinstance(models, dict):
        raise ConfigurationError(f"{path}: [{PYPROJECT_SECTION}.models] must be a table")
    for setting, key in PYPROJECT_NAMES.items():
        values[setting] = values.pop(key, None)
    return values, tables, models


def _as_text(value: Any, source: str) -> str:
    """A path or a name: text (a number or a table is a mistake, not a file name)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ConfigurationError(f"{source}: expected a path or a name as text, got {cut(value)}")
    return value


def _as_bool(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{source}: expected true or false, got {cut(value)}")


def _as_seconds(value: Any, source: str) -> float:
    try:
        seconds = parse(value, SECONDS)
    except RooflineError as error:
        raise ConfigurationError(f"{source}: {error}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(f"{source}: max_time must be > 0 seconds, got {cut(value)}")
    return seconds


def resolve(
    sources: list[tuple[str, Mapping[str, Any]]],
    catalog: Catalog,
) -> Settings:
    """Build Settings from ``(source pattern, values)`` pairs, most important first.

    ``values`` use the pyproject key names (hardware, json, warn_only, ...); a value of
    None or "" means "not given here". The pattern names a value's origin in errors:
    ``"--roofline-{dashed}"``, ``"ini roofline_{key}"``,
    ``"[tool.pytest-roofline] {pyproject_key}"`` (the key as written there).
    """

    origins: dict[str, str] = {}

    def first(key: str) -> tuple[str, Any] | None:
        for pattern, values in sources:
            value = values.get(key)
            where = pattern.format(
                key=key, dashed=key.replace("_", "-"), pyproject_key=PYPROJECT_NAMES.get(key, key)
            )
            if value is not None and value != "":
                origins[key] = where
                return where, value
        return None

    def get(key: str, convert: Callable[[Any, str], Any]) -> Any:
        found = first(key)
        if found is None:
            return None
        source, value = found
        try:
            return convert(value, source)
        except ConfigurationError:
            raise
        except RooflineError as error:
            raise ConfigurationError(str(error)) from None

    def hardware(value: Any, source: str) -> Any:
        return check_hardware(str(value), catalog, source)

    compare = first("compare")
    return Settings(
        save=get("save", _as_text),
        compare=get("compare", _as_text),
        compare_source=compare[0] if compare else "",
        max_drop=get("max_drop", check_drop) or 0.10,
        paired=bool(get("paired", _as_bool)),
        strict_work=bool(get("strict_work", _as_bool)),
        markdown=get("markdown", _as_text),
        html=get("html", _as_text),
        github_summary=bool(get("github_summary", _as_bool)),
        hardware=get("hardware", hardware),
        json_path=get("json", lambda v, s: Path(_as_text(v, s))),
        warn_only=bool(get("warn_only", _as_bool)),
        min_utilization=get("min_utilization", check_budget),
        max_time=get("max_time", _as_seconds),
        calibrate=bool(get("calibrate", _as_bool)),
        origins=origins,
    )


def check_outputs(
    settings: Settings,
    folder: Path,
    baseline_paths: Mapping[str, Path],
    others: Mapping[str, str | None] = {},
) -> None:
    """A usage error when two outputs of the run would be written to one path, or one
    would overwrite the baseline the run compares with: the second writer would replace
    the first, and the summary would still say both were written.

    ``folder`` is where relative report paths are taken from (the invocation folder),
    ``baseline_paths`` the files of ``--roofline-save`` ("save") and
    ``--roofline-compare`` ("compare"), ``others`` further outputs by their option name
    (``--junit-xml``).
    """
    named = settings.origins
    outputs: list[tuple[str, Path]] = []
    for key, option, target in (
        ("json", "--roofline-json", settings.json_path),
        ("markdown", "--roofline-markdown", settings.markdown),
        ("html", "--roofline-html", settings.html),
    ):
        if target is not None and not is_stdout(target):
            outputs.append((named.get(key, option), folder / target))
    if "save" in baseline_paths:
        outputs.append((named.get("save", "--roofline-save"), baseline_paths["save"]))
    outputs += [(name, folder / value) for name, value in others.items() if value]
    clash = first_clash(outputs)
    if clash is not None:
        first, second, path = clash
        raise ConfigurationError(
            f"{first} and {second} both write {path}: the second would replace the first;"
            " give each its own path"
        )
    compared = baseline_paths.get("compare")
    if compared is not None:
        writers = [(n, p) for n, p in outputs if n != named.get("save", "--roofline-save")]
        over = first_clash([*writers, ("compare", compared)])
        if over is not None:
            raise ConfigurationError(
                f"{over[0]} would overwrite {compared}, the baseline"
                f" {named.get('compare', '--roofline-compare')} reads; give it another path"
            )


def check_given(values: Mapping[str, Any], pattern: str) -> None:
    """A usage error for a setting given an empty value (``--roofline-json ""``, an unset
    variable in a CI script; ``json = ""`` in pyproject.toml): without it, the setting
    would be silently ignored and the file never written. ``pattern`` names where the
    values came from ("--roofline-{dashed}"). Not for ini values: an ini key left out
    reads as empty."""
    for key, value in values.items():
        if value == "":
            where = pattern.format(
                key=key, dashed=key.replace("_", "-"), pyproject_key=PYPROJECT_NAMES.get(key, key)
            )
            raise ConfigurationError(
                f"{where}: given an empty value (an unset variable in the command?); give a"
                " value or leave the option out"
            )
