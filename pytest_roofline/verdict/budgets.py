"""What a test declares besides its work, checked the one way for every place it comes
from (the marker, declare(), the settings): the utilization budget, the drop a baseline
allows, and the hardware name.
"""

from __future__ import annotations

import math
from typing import Any

from pytest_roofline.core.units import real
from pytest_roofline.errors import DeclarationError, UnknownNameError, cut
from pytest_roofline.specs.hardware import Catalog, Hardware


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
