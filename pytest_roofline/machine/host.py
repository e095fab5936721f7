"""The machine the tests run on: its description, its caches and its fingerprint.

Utilization is normalized by the machine's ceilings, but a reader still needs to know
which machine produced a figure (every report stores :func:`machine_info`); measured
ceilings are valid only for the machine they were measured on (calibrations are cached
under :func:`fingerprint_key`, and baselines compare fingerprints).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
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


def last_level_cache_bytes() -> int | None:
    """The largest CPU cache Linux reports in /sys (the LLC), or None where it cannot tell."""
    sizes = []
    for entry in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = entry.read_text().strip().upper()
        factor = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        try:
            sizes.append(int(text.rstrip("KMG")) * factor)
        except ValueError:
            continue
    return max(sizes) if sizes else None


@dataclass(frozen=True)
class Cache:
    """One CPU data cache level as Linux describes it in /sys."""

    level: int
    size: int
    """Bytes of one instance."""
    instances: int
    """How many instances the machine has (one per core for a private L1 or L2)."""

    @property
    def name(self) -> str:
        return f"L{self.level}"


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * factor


def cpu_caches(root: Path = Path("/sys/devices/system/cpu")) -> list[Cache]:
    """The data and unified caches of the machine, smallest level first ([] if unknown)."""
    found: dict[int, tuple[int, set[str]]] = {}
    for index in sorted(root.glob("cpu[0-9]*/cache/index[0-9]*")):
        try:
            kind = (index / "type").read_text().strip()
            if kind not in ("Data", "Unified"):
                continue
            level = int((index / "level").read_text())
            size = _size((index / "size").read_text())
            shared = (index / "shared_cpu_list").read_text().strip()
        except (OSError, ValueError):
            continue
        found.setdefault(level, (size, set()))[1].add(shared)
    return [Cache(level, size, len(sharers)) for level, (size, sharers) in sorted(found.items())]


def host_fingerprint() -> dict[str, object]:
    """The machine and the numpy installed, read without importing numpy: CPU, cores,
    caches, numpy's version (from its metadata) and the BLAS thread settings."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = {
        k: os.environ[k]
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    }
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "caches": [f"{c.name} {c.size} x{c.instances}" for c in cpu_caches()],
        "numpy": installed_numpy_version(),
        "blas_threads": threads,
    }


def fingerprint() -> dict[str, object]:
    """What makes measured ceilings valid for a machine: CPU, cores, caches, numpy, BLAS
    and its threads. Calibrations are cached under a hash of it."""
    import numpy as np  # only a run that measures pays for numpy (see .probes)

    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:
        pass
    return {**host_fingerprint(), "numpy": np.__version__, "blas": blas}


def _key(found: dict[str, object]) -> str:
    text = json.dumps(found, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint_key() -> str:
    """A short stable hash of :func:`fingerprint`."""
    return _key(fingerprint())


def shown_key() -> str:
    """Where the last ceilings measured on this host are kept for the header to show.

    The header is printed by every pytest run, with or without roofline tests, and the
    full fingerprint imports numpy (for its BLAS), which was a large share of a start-up.
    This key leaves the BLAS out; it names what to show, never what to judge with.
    """
    return "shown-" + _key(host_fingerprint())


def cache_working_set(cache: Cache) -> int:
    """The working set a probe of ``cache`` uses: half of one private instance (the
    other half for the code, the stack and the neighbours), a quarter of a shared one."""
    return cache.size // 2 if cache.instances > 1 else cache.size // 4
