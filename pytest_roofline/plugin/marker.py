"""The ``roofline`` marker's arguments, checked before the test runs.

``@pytest.mark.roofline(kernel=None, *, hardware=None, min_utilization=None)``: the
kernel may be positional. Checking happens in the test's setup, so a bad marker is an
error of that test alone and its neighbours still run (DESIGN.md section 6).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core.units import real
from pytest_roofline.errors import (
    DeclarationError,
    UnknownNameError,
    cut,
    did_you_mean,
)
from pytest_roofline.physics.serving import ServingConfig
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
)
from pytest_roofline.specs.kernels import Kernel

MARKER_HELP = (
    "roofline(kernel=None, *, serving=None, hardware=None, min_utilization=None,"
    " max_drop=None): declare"
    " the work this test does (a pytest_roofline Kernel, or a ServingConfig as serving=)"
    " and the hardware it runs on (a catalog name, 'local' or a Hardware); the test fails"
    " when the measured time reaches less than min_utilization of the roofline bound."
    " Measure or report with the `roofline` fixture."
)
KEYWORDS = ("kernel", "serving", "hardware", "min_utilization", "max_drop")


@dataclass(frozen=True)
class MarkerSpec:
    """The marker's arguments, validated."""

    kernel: Kernel | None = None
    serving: ServingConfig | None = None
    hardware: str | Hardware | None = None
    min_utilization: float | None = None
    max_drop: float | None = None


def check_budget(value: Any, source: str) -> float | None:
    """A utilization budget in (0, 1], or None; an error naming ``source`` otherwise."""
    __tracebackhide__ = True
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise DeclarationError(
                f"{source}: min_utilization must be a number in (0, 1], got {cut(value)}"
            ) from None
    number = real(value)
    if number is None or math.isnan(number):
        raise DeclarationError(
            f"{source}: min_utilization must be a number in (0, 1], got {cut(value)}"
        )
    if not 0 < number <= 1:
        hint = f" (did you mean {number / 100:g}?)" if 1 < number <= 100 else ""
        raise DeclarationError(
            f"{source}: min_utilization must be in (0, 1], got {cut(value)}{hint}"
        )
    return number


def check_hardware(value: Any, catalog: Catalog, source: str) -> str | Hardware | None:
    """A known hardware name or a Hardware object, without measuring ``local``."""
    __tracebackhide__ = True
    if value is None or isinstance(value, Hardware):
        return value
    if not isinstance(value, str):
        raise DeclarationError(
            f"{source}: hardware must be a name or a Hardware, got {type(value).__name__}"
        )
    if value not in catalog:
        raise UnknownNameError("hardware", value, catalog.known_names(), where=source)
    return value


def check_drop(value: Any, source: str) -> float | None:
    """A relative utilization drop in (0, 1), or None: 0.1 and "10%" both allow a 10 %
    drop. The one reading of ``max_drop``, for the marker and the settings alike."""
    __tracebackhide__ = True
    if value is None:
        return None
    number = real(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            number = None
    if number is None or math.isnan(number):
        raise DeclarationError(f"{source}: max_drop must be a number in (0, 1), got {cut(value)}")
    if not 0 < number < 1:
        hint = f" (did you mean {number / 100:g}?)" if 1 < number < 100 else ""
        raise DeclarationError(f"{source}: max_drop must be in (0, 1), got {cut(value)}{hint}")
    return number


def parse_marker(args: Sequence[Any], kwargs: Mapping[str, Any], catalog: Catalog) -> MarkerSpec:
    """Validate one ``roofline`` marker's arguments; errors say what is wrong and where."""
    __tracebackhide__ = True
    source = "@pytest.mark.roofline"
    unknown = [k for k in kwargs if k not in KEYWORDS]
    if unknown:
        hint = did_you_mean(unknown[0], KEYWORDS)
        raise DeclarationError(
            f"{source}: unknown argument {cut(unknown[0])}{hint} (takes kernel, serving,"
            " hardware, min_utilization, max_drop)"
        )
    if len(args) > 1:
        raise DeclarationError(
            f"{source}: takes one positional argument (the kernel), got {len(args)};"
            " pass hardware= and min_utilization= by keyword"
        )
    if args and "kernel" in kwargs:
        raise DeclarationError(f"{source}: kernel given both positionally and as kernel=")
    kernel = args[0] if args else kwargs.get("kernel")
    if kernel is not None and not isinstance(kernel, Kernel):
        raise DeclarationError(
            f"{source}: kernel must be a Kernel (e.g. kernels.matmul(...)),"
            f" got {type(kernel).__name__}"
        )
    serving = kwargs.get("serving")
    if serving is not None and not isinstance(serving, ServingConfig):
        raise DeclarationError(
            f"{source}: serving must be a ServingConfig, got {type(serving).__name__}"
        )
    if serving is not None and kernel is not None:
        raise DeclarationError(f"{source}: give a kernel or serving=, not both")
    if serving is not None and isinstance(serving.hardware, str):
        check_hardware(serving.hardware, catalog, f"{source} serving=")
    return MarkerSpec(
        kernel=kernel,
        serving=serving,
        hardware=check_hardware(kwargs.get("hardware"), catalog, source),
        min_utilization=check_budget(kwargs.get("min_utilization"), source),
        max_drop=check_drop(kwargs.get("max_drop"), source),
    )
