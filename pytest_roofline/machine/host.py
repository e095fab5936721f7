"""A description of the machine a run happened on, stored in every report.

Utilization is normalized by the machine's ceilings, but a reader still needs to know
which machine produced a figure (and baselines compare fingerprints).
"""

from __future__ import annotations

import os
import platform
import socket
import sys
from importlib import metadata
from typing import Any


def installed_numpy_version() -> str | None:
    """numpy's version without importing it: its installed metadata's, else the loaded
    module's, else None. Importing numpy only to name it cost a run that reports figures
    (a serving engine's, say) a large share of its time."""
    try:
        return metadata.version("numpy")
    except metadata.PackageNotFoundError:
        loaded = sys.modules.get("numpy")
        return None if loaded is None else str(loaded.__version__)


def machine_info() -> dict[str, Any]:
    """Host, CPU, Python and numpy versions: plain JSON-able values."""
    numpy_version = installed_numpy_version()
    if numpy_version is None:  # a numpy without metadata (vendored): ask it
        import numpy

        numpy_version = numpy.__version__
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": numpy_version,
    }


def local_ceilings(spec: dict[str, Any]) -> dict[str, Any]:
    """The ceilings of a measured ``local`` spec, keyed by dtype and by memory level,
    with how and when they were measured."""
    levels = {level["name"]: level["bandwidth"] for level in spec.get("memory_levels", ())}
    return {
        "peak_flops": dict(spec.get("peak_flops", {})),
        "memory_bandwidth": {**levels, "dram": spec.get("memory_bandwidth")},
        "cache_capacity": {
            level["name"]: level["capacity"] for level in spec.get("memory_levels", ())
        },
        "ceiling_uncertainty": spec.get("ceiling_uncertainty", 0.0),
        "calibration": {
            "measured_at": spec.get("measured_at", ""),
            "how": dict(spec.get("sources", {})),
            "description": spec.get("description", ""),
        },
    }
