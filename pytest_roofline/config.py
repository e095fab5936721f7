"""Settings from the command line, ini files and ``[tool.pytest-roofline]``.

Each setting is looked up in that order, the first one given wins: command-line options
have ``default=None`` so that an ini value is never shadowed by an option's default.
Bad values are a usage error when the run starts, naming where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import tomlfile
from .errors import ConfigurationError, RooflineError, did_you_mean
from .hardware import Catalog
from .marker import check_budget, check_hardware

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
    markdown: str | None = None
    """Markdown report path, or "-" for $GITHUB_STEP_SUMMARY."""
    html: str | None = None
    github_summary: bool = False


def check_drop(value: Any, source: str) -> float:
    """A relative utilization drop in (0, 1): 0.1 allows a 10 % drop."""
    __tracebackhide__ = True
    try:
        drop = float(str(value).strip().rstrip("%")) / (
            100 if str(value).strip().endswith("%") else 1
        )
    except ValueError:
        raise ConfigurationError(
            f"{source}: max_drop must be a number in (0, 1), got {value!r}"
        ) from None
    if isinstance(value, bool) or not 0 < drop < 1:
        raise ConfigurationError(f"{source}: max_drop must be in (0, 1), got {value!r}")
    return drop


def read_pyproject(path: Path) -> dict[str, Any]:
    """The ``[tool.pytest-roofline]`` table of a pyproject.toml (empty when absent)."""
    if not path.is_file():
        return {}
    try:
        data = tomlfile.loads(path.read_text(encoding="utf-8"))
    except (tomlfile.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path}: not valid TOML: {error}") from None
    section = data.get("tool", {}).get("pytest-roofline", {})
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: [{PYPROJECT_SECTION}] must be a table")
    for key in section:
        if key not in PYPROJECT_KEYS:
            hint = did_you_mean(key, PYPROJECT_KEYS)
            raise ConfigurationError(f"{path}: [{PYPROJECT_SECTION}] unknown key {key!r}{hint}")
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


def _as_bool(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{source}: expected true or false, got {value!r}")


def _as_seconds(value: Any, source: str) -> float:
    from .units import SECONDS, parse

    try:
        seconds = parse(value, SECONDS)
    except RooflineError as error:
        raise ConfigurationError(f"{source}: {error}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(f"{source}: max_time must be > 0 seconds, got {value!r}")
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

    def first(key: str) -> tuple[str, Any] | None:
        for pattern, values in sources:
            value = values.get(key)
            if value is not None and value != "":
                where = pattern.format(
                    key=key,
                    dashed=key.replace("_", "-"),
                    pyproject_key=PYPROJECT_NAMES.get(key, key),
                )
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
        save=get("save", lambda v, s: str(v)),
        compare=get("compare", lambda v, s: str(v)),
        compare_source=compare[0] if compare else "",
        max_drop=get("max_drop", check_drop) or 0.10,
        paired=bool(get("paired", _as_bool)),
        markdown=get("markdown", lambda v, s: str(v)),
        html=get("html", lambda v, s: str(v)),
        github_summary=bool(get("github_summary", _as_bool)),
        hardware=get("hardware", hardware),
        json_path=get("json", lambda v, s: Path(str(v))),
        warn_only=bool(get("warn_only", _as_bool)),
        min_utilization=get("min_utilization", check_budget),
        max_time=get("max_time", _as_seconds),
        calibrate=bool(get("calibrate", _as_bool)),
    )
