"""The line pytest's header shows about the default hardware, cheap to make.

Every pytest run where the plugin is installed prints it, most of them without a
roofline test; so it reads measured ceilings from pytest's cache as plain JSON, without
the models behind them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_roofline.core.units import hardware_line
from pytest_roofline.machine.host import shown_key

UNMEASURED = (
    "roofline: default hardware local (this machine; ceilings measured on first"
    " use, shown in the summary; --roofline-calibrate measures them now)"
)
CACHE_PREFIX = "roofline/local/"
"""Where measured ceilings are kept in pytest's cache, under a machine's key."""


def local_line(spec: dict[str, Any] | None, origin: str) -> str:
    """The header line for ``local``: its ceilings and how they were got, if known."""
    if spec is None:
        return UNMEASURED
    line = hardware_line(spec, name="local")
    return f"roofline: default hardware {line}, {origin} {spec.get('measured_at', '')}"


def device_line(spec: dict[str, Any]) -> str:
    """The header line for a catalog device: the figures most read."""
    line = hardware_line(spec, name=spec["name"], dtypes=("bf16", "fp32"))
    return f"roofline: default hardware {line}"


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
