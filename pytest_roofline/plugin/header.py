"""The line pytest's header shows about the default hardware, cheap to make.

Every pytest run where the plugin is installed prints it, most of them without a
roofline test; so it reads measured ceilings from pytest's cache as plain JSON, without
the models behind them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_roofline.core.units import BANDWIDTH, FLOP_RATE, format_quantity
from pytest_roofline.machine.host import shown_key

UNMEASURED = (
    "roofline: default hardware local (this machine; ceilings measured on first"
    " use, shown in the summary; --roofline-calibrate measures them now)"
)
CACHE_PREFIX = "roofline/local/"
"""Where measured ceilings are kept in pytest's cache, under a machine's key."""


def describe_spec(spec: dict[str, Any]) -> str:
    """'fp32 185 GFLOP/s, fp64 85 GFLOP/s, memory 24 GB/s, ±10%' from a Hardware's dump."""
    peaks = ", ".join(
        f"{dtype} {format_quantity(v, FLOP_RATE)}" for dtype, v in spec["peak_flops"].items()
    )
    levels = "".join(
        f"{level['name']} {format_quantity(level['bandwidth'], BANDWIDTH)}, "
        for level in spec.get("memory_levels", ())
    )
    text = f"{peaks}, {levels}memory {format_quantity(spec['memory_bandwidth'], BANDWIDTH)}"
    if spec.get("ceiling_uncertainty"):
        text += f", ±{spec['ceiling_uncertainty']:.0%}"
    return text


def describe_device(spec: dict[str, Any]) -> str:
    """'h100-sxm (bf16 989 TFLOP/s, fp32 67 TFLOP/s, 3.35 TB/s)': the figures most read."""
    peaks = ", ".join(
        f"{dtype} {format_quantity(v, FLOP_RATE)}"
        for dtype, v in spec["peak_flops"].items()
        if dtype in ("bf16", "fp32")
    )
    return f"{spec['name']} ({peaks}, {format_quantity(spec['memory_bandwidth'], BANDWIDTH)})"


def local_line(spec: dict[str, Any] | None, origin: str) -> str:
    """The header line for ``local``: its ceilings and how they were got, if known."""
    if spec is None:
        return UNMEASURED
    return (
        f"roofline: default hardware local ({describe_spec(spec)}), {origin}"
        f" {spec.get('measured_at', '')}"
    )


def cached_local(config: pytest.Config) -> dict[str, Any] | None:
    """The last ceilings measured on this host, from pytest's cache, as plain data."""
    cache = getattr(config, "cache", None)
    text = None if cache is None else cache.get(CACHE_PREFIX + shown_key(), None)
    if not isinstance(text, str):
        return None
    try:
        spec = json.loads(text)
    except ValueError:
        return None
    wanted = isinstance(spec, dict) and isinstance(spec.get("peak_flops"), dict)
    return spec if wanted and "memory_bandwidth" in spec else None
