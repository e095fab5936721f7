"""The ``roofline`` marker's arguments, checked before the test runs.

``@pytest.mark.roofline(kernel=None, *, hardware=None, min_utilization=None)``: the
kernel may be positional. Checking happens in the test's setup, so a bad marker is an
error of that test alone and its neighbours still run (DESIGN.md section 6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from pytest_roofline.errors import (
    DeclarationError,
    cut,
    did_you_mean,
)
from pytest_roofline.physics.serving import ServingConfig
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
)
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.verdict.budgets import check_budget, check_drop, check_hardware


@dataclass(frozen=True)
class MarkerSpec:
    """The marker's arguments, validated."""

    kernel: Kernel | None = None
    serving: ServingConfig | None = None
    hardware: str | Hardware | None = None
    min_utilization: float | None = None
    max_drop: float | None = None


KEYWORDS = tuple(field.name for field in fields(MarkerSpec))
"""The marker's keywords: MarkerSpec's own fields, so the two cannot drift apart."""


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
