"""Measured ceilings of the machine the tests run on: the hardware called ``local``.

A CPU has no datasheet figure its numpy code can reach, so ``local`` is measured: peak
FLOP/s per dtype from a GEMM large enough to run at the BLAS's plateau (all the threads
it uses), and memory bandwidth from streams over arrays far larger than the last-level
cache, in as many threads as there are cores, so a multithreaded kernel is not called
"faster than the roofline". Two streams are measured and the faster kept: a copy (one
read and one write per byte) and a matrix-vector product (reads only). Reads alone go
faster than a copy's bytes suggest, because every written cache line is first read
(write-allocate), so a copy-only ceiling would call a read-only kernel impossible.

Each ceiling is the best of several runs, interleaved over the calibration: a ceiling is
what the machine *can* do, and noise only ever slows a run down. On a shared host a
neighbour's load can still hold every run down; so when a measurement on ``local`` comes
out faster than its bound, the plugin probes that ceiling again
(:mod:`.binding_probes`) and keeps the better of old and new
(:meth:`SharedCalibration.raise_to`) before it calls the result impossible.

Ceilings measured in about a second are estimates, so ``local`` carries a relative
``ceiling_uncertainty``: the spread of the repeats, and never less than
:data:`MIN_UNCERTAINTY`, because a dedicated long measurement (or a hand-tuned kernel)
reaches a few percent more than a short one.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pytest_roofline.core import atomic
from pytest_roofline.errors import CalibrationError
from pytest_roofline.machine import busy
from pytest_roofline.machine.host import installed_numpy_version
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.specs.hardware import (
    LOCAL,
    Hardware,
    MemoryLevel,
)

if TYPE_CHECKING:
    from pytest_roofline.machine.probes import Probe

MIN_UNCERTAINTY = 0.10
GEMM_SIZE = 1024
MIN_STREAM_BYTES = 64 * 2**20
MAX_STREAM_BYTES = 512 * 2**20


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


def stream_bytes() -> int:
    """Bytes per streamed array: four times the last-level cache (the STREAM rule, so
    the cache cannot hold a useful share of it between passes), at least 64 MiB."""
    llc = last_level_cache_bytes() or 0
    return min(MAX_STREAM_BYTES, max(MIN_STREAM_BYTES, 4 * llc))


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
    import numpy as np  # here, not at import: see .probes

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


PASSES = 4
"""Each probe runs in every pass, so a neighbour's burst of load cannot spoil them all;
this many passes in which the machine was quiet are wanted."""
BUDGET_SECONDS = 1.5
"""Passes continue until they have taken this long (allocation and warm-up come on top)."""
BUSY_BUDGET_SECONDS = 2.1
"""...or this long, while fewer than ``passes`` passes found the machine quiet."""
MAX_PASSES = 40
REPEATS = 2
TELL_APART = MIN_UNCERTAINTY
"""A cache level whose probe is not faster than the next level's by more than this cannot
be told from it: the two share one roof."""


def cache_working_set(cache: Cache) -> int:
    """The working set a probe of ``cache`` uses: half of one private instance (the
    other half for the code, the stack and the neighbours), a quarter of a shared one."""
    return cache.size // 2 if cache.instances > 1 else cache.size // 4


def _relative_spread(rates: list[float]) -> float:
    """How far the median of the better half of the runs falls below the best one.

    The better half, because a ceiling is about what the machine can do: runs slowed by
    a neighbour's load say nothing about it, but a best run far above its peers does.
    """
    ordered = sorted(rates, reverse=True)
    better_half = ordered[: max(1, (len(ordered) + 1) // 2)]
    return (ordered[0] - statistics.median(better_half)) / ordered[0]


def distinct_levels(
    caches: list[tuple[Cache, float]], memory: float
) -> tuple[tuple[MemoryLevel, ...], float, list[str]]:
    """The cache levels the probes told apart, main memory's bandwidth, and what merged.

    ``caches`` holds each level (smallest first) with its probe's best rate. Data in a
    smaller level is never slower to reach than from a larger one, so a level whose rate
    is not above the next one's by more than :data:`TELL_APART` is the same roof as that
    level: the two merge into one level (named "L1/L2", with the larger capacity and the
    better rate), or into main memory, which keeps the better of the two rates. Two
    equal roofs are never shown as separate levels.
    """
    groups: list[tuple[list[Cache], float]] = []  # largest first, after main memory
    names_merged: list[str] = []
    for cache, rate in reversed(caches):
        below = groups[-1][1] if groups else memory
        if rate > below * (1 + TELL_APART):
            groups.append(([cache], rate))
            continue
        larger = groups[-1][0][-1].name if groups else "memory"
        names_merged.append(
            f"{cache.name} could not be told from {larger} ({rate / 1e9:.1f} against"
            f" {below / 1e9:.1f} GB/s): one roof for both"
        )
        if groups:
            members, best = groups[-1]
            groups[-1] = ([cache, *members], max(best, rate))
        else:
            memory = max(memory, rate)
    levels = tuple(
        MemoryLevel(
            name="/".join(c.name for c in members),
            capacity=members[-1].size * members[-1].instances,
            bandwidth=rate,
        )
        for members, rate in reversed(groups)
    )
    return levels, memory, names_merged


FIX = (
    "declare this machine's ceilings in a hardware TOML (hardware_file) or judge against a"
    " catalog device (hardware=...)"
)
T = TypeVar("T")


def _probing(name: str, call: Callable[[], T]) -> T:
    """``call()``, building or running a probe; one line naming the probe when it fails
    (no memory for its arrays, a BLAS error)."""
    __tracebackhide__ = True
    try:
        return call()
    except Exception as error:  # whatever numpy or the BLAS raised
        raise CalibrationError(
            f"local: the {name} probe could not run ({type(error).__name__}: {error}); {FIX}"
        ) from None


def _unusable(name: str) -> CalibrationError:
    return CalibrationError(
        f"local: the {name} probe gave no usable rate (every run zero or not finite); {FIX}"
    )


def measure_local(passes: int = PASSES, budget: float = BUDGET_SECONDS) -> Hardware:
    """Measure this machine's ceilings now (within about 3 seconds) and return them.

    Every probe runs ``REPEATS`` times in each interleaved pass: at least ``passes``
    passes, and more while the passes have taken less than ``budget`` seconds, because
    on a shared host the best of more runs is likelier to catch a quiet moment. While
    fewer than ``passes`` passes found the machine quiet (other processes took at most
    :data:`busy.BUSY_SHARE` of the cores), passes go on up to
    :data:`BUSY_BUDGET_SECONDS`. Each ceiling is the best rate any run reached; the
    uncertainty is the spread of the quiet runs.
    """
    __tracebackhide__ = True
    from pytest_roofline.machine.probes import (
        CacheProbe,
        CopyProbe,
        GemmProbe,
        GemvProbe,
    )

    started = time.perf_counter()
    cores = os.cpu_count() or 1
    compute = {
        "fp64": _probing("fp64 GEMM", lambda: GemmProbe("fp64")),
        "fp32": _probing("fp32 GEMM", lambda: GemmProbe("fp32")),
    }
    gemv = _probing("matrix-vector stream", GemvProbe)
    # One copy thread per core: fewer threads never copied faster in our measurements.
    # The copy reads the matrix-vector product's matrix: one large allocation, not two.
    streams: dict[str, CopyProbe | GemvProbe] = {
        f"copy, {cores} thread(s)": _probing(
            "copy stream", lambda: CopyProbe(cores, source=gemv.matrix)
        ),
        "fp32 matrix-vector product": gemv,
    }
    caches = {
        cache.name: (
            cache,
            _probing(
                f"{cache.name} cache", functools.partial(CacheProbe, cache_working_set(cache))
            ),
        )
        for cache in cpu_caches()
    }
    probes: dict[str, Probe] = {
        **compute,
        **streams,
        **{name: probe for name, (_, probe) in caches.items()},
    }
    rates: dict[str, list[float]] = {name: [] for name in probes}
    quiet_rates: dict[str, list[float]] = {name: [] for name in probes}
    passes_started = time.perf_counter()
    done = quiet = 0

    def more() -> bool:
        spent = time.perf_counter() - passes_started
        if done >= MAX_PASSES or (done and spent >= BUSY_BUDGET_SECONDS):
            return False
        return done < passes or spent < budget or quiet < passes

    while more():
        before = busy.mark()
        found: dict[str, list[float]] = {}
        for name, probe in probes.items():
            found[name] = [r for r in _probing(name, probe.run) if math.isfinite(r) and r > 0]
            if done and time.perf_counter() - passes_started >= BUSY_BUDGET_SECONDS:
                break  # a pass slowed by a neighbour's load ends where the time does
        share = busy.neighbour_share(before)
        for name, values in found.items():
            rates[name] += values
            if share is None or share <= busy.BUSY_SHARE:
                quiet_rates[name] += values
        quiet += share is None or share <= busy.BUSY_SHARE
        done += 1
    for name in compute:
        if not rates[name]:
            raise _unusable(f"{name} GEMM")
    usable_streams = [name for name in streams if rates[name]]
    if not usable_streams:
        raise _unusable("memory stream")
    for name in [name for name in caches if not rates[name]]:
        del caches[name]  # a cache level nothing was learnt of is left to the next one
    best_stream = max(usable_streams, key=lambda name: max(rates[name]))
    spread = max(
        _relative_spread(quiet_rates[name] or rates[name]) for name in [*compute, best_stream]
    )
    elapsed = time.perf_counter() - started
    runs = done * REPEATS
    levels, memory, merged = distinct_levels(
        [(cache, max(rates[name])) for name, (cache, _) in caches.items()],
        max(rates[best_stream]),
    )
    busy_note = f"; the machine was busy in {done - quiet} of {done} passes" if quiet < done else ""
    return Hardware(
        name=LOCAL,
        description=f"this machine ({platform.processor() or platform.machine()},"
        f" {cores} cores), measured in {elapsed:.2f} s",
        peak_flops={dtype: max(rates[dtype]) for dtype in compute},
        memory_bandwidth=memory,
        memory_levels=levels,
        ceiling_uncertainty=min(0.5, max(MIN_UNCERTAINTY, spread)),
        measured=True,
        measured_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        sources={
            "peak_flops": f"numpy {GEMM_SIZE}x{GEMM_SIZE} GEMM, best of {runs} runs",
            "memory_bandwidth": f"{best_stream} over {stream_bytes() // 2**20} MiB, the best of"
            f" {len(streams)} streams (copies count read + write), best of {runs} runs",
            "memory_levels": "numpy dot products and copies over half a private cache or a"
            f" quarter of a shared one, best of {2 * runs} runs"
            + "".join(f"; {line}" for line in merged),
            "passes": f"{done} passes in {elapsed:.2f} s{busy_note}",
        },
    )


_process_local: dict[str, Hardware] = {}
"""This process's ``local`` ceilings, once measured (a dict, so refreshes can replace it)."""


def local_hardware() -> Hardware:
    """This machine's ceilings, measured on first use and kept for the process's life."""
    __tracebackhide__ = True
    if LOCAL not in _process_local:
        _process_local[LOCAL] = measure_local()
    return _process_local[LOCAL]


def is_calibrated() -> bool:
    """True once ``local`` has been measured in this process."""
    return LOCAL in _process_local


def merge(old: Hardware, new: Hardware) -> Hardware:
    """The better ceiling of two calibrations, per dtype and for memory.

    Noise only slows a probe down, so the higher of two estimates is the better one.
    """
    peaks = {d: max(old.peak_flops.get(d, 0.0), v) for d, v in new.peak_flops.items()}
    memory = max(old.memory_bandwidth, new.memory_bandwidth)
    before = {level.name: level.bandwidth for level in old.memory_levels}
    levels: list[MemoryLevel] = []
    floor = memory
    # Largest level first, so each is at least as fast as every level above it.
    for level in sorted(new.memory_levels, key=lambda lv: lv.capacity, reverse=True):
        floor = max(floor, level.bandwidth, before.get(level.name, 0.0))
        levels.append(level.model_copy(update={"bandwidth": floor}))
    return new.model_copy(
        update={
            "peak_flops": {**old.peak_flops, **peaks},
            "memory_bandwidth": memory,
            "memory_levels": tuple(reversed(levels)),
            "ceiling_uncertainty": max(old.ceiling_uncertainty, new.ceiling_uncertainty),
            "description": new.description + " (best of repeated calibrations)",
        }
    )


class CalibrationStore(Protocol):
    """Where calibrations persist between runs (the plugin uses pytest's cache)."""

    def get(self, key: str) -> Hardware | None: ...

    def put(self, key: str, hardware: Hardware) -> None: ...


class SharedCalibration:
    """``local`` for every process of one run, measured at most once, under the run's lock.

    Ceilings come from, in order: this process's copy; the run's folder (another worker
    of the same pytest-xdist run measured them); the ``store`` (an earlier run on the same
    machine, by :func:`fingerprint_key`); else a measurement, taken while holding the lock
    so no other process's measurement disturbs it, and left in the folder and the store.
    Without a folder or a store it is this process's :func:`local_hardware`.
    """

    def __init__(
        self,
        folder: Path | None = None,
        lock: RunLock | None = None,
        store: CalibrationStore | None = None,
        preset: Hardware | None = None,
    ) -> None:
        self.folder = folder
        self.lock = lock or RunLock(folder)
        self.store = store
        self._hardware: Hardware | None = preset
        self._failure: CalibrationError | None = None
        self.origin = "given" if preset is not None else ""
        """How this process got its ceilings: "measured", "cached", "shared", "given"."""

    @property
    def _path(self) -> Path | None:
        return None if self.folder is None else self.folder / "local.json"

    @property
    def calibrated(self) -> bool:
        """True once this process holds the ceilings."""
        return self._hardware is not None or (
            self.folder is None and self.store is None and is_calibrated()
        )

    def cached(self) -> Hardware | None:
        """The ceilings if known without measuring (held, or in the store), else None."""
        if self._hardware is None and self.store is not None:
            stored = self.store.get(fingerprint_key())
            if stored is not None:
                self._hardware, self.origin = stored, "cached"
        return self._hardware

    @property
    def held(self) -> Hardware | None:
        """The ceilings this process holds: given, measured, or used by one of its tests."""
        return self._hardware

    def shown(self) -> tuple[Hardware, str] | None:
        """The ceilings to show before any test uses ``local``, and how they were got:
        the held ones, else the last ones measured on this host (see :func:`shown_key`).
        Nothing is held or judged with by asking, and numpy is not imported."""
        if self._hardware is not None:
            return self._hardware, self.origin or "measured"
        stored = self.store.get(shown_key()) if self.store is not None else None
        return None if stored is None else (stored, "cached")

    def shared(self) -> Hardware | None:
        """The ceilings another process of this run left in the folder, if any."""
        return self._from_folder()

    def _from_folder(self) -> Hardware | None:
        path = self._path
        if path is None or not path.is_file():
            return None
        try:
            return Hardware.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            return None  # unreadable (a disk full mid-write elsewhere): measure again

    def _keep(self, hardware: Hardware, origin: str) -> Hardware:
        """Hold ``hardware`` and leave it where other processes and runs find it."""
        self._hardware, self.origin = hardware, origin
        _process_local[LOCAL] = hardware
        path = self._path
        if path is not None:
            atomic.write_text(path, hardware.model_dump_json())
        if self.store is not None and origin == "measured":
            self.store.put(fingerprint_key(), hardware)
            self.store.put(shown_key(), hardware)
        elif (
            self.store is not None
            and origin == "cached"
            and self.store.get(shown_key()) != hardware
        ):
            # Ceilings cached by a version that kept no copy for the header: keep one now,
            # or the header would say "measured on first use" until the next measurement.
            self.store.put(shown_key(), hardware)
        return hardware

    def __call__(self) -> Hardware:
        __tracebackhide__ = True
        if self._hardware is not None:
            return self._hardware
        if self._failure is not None:  # said once per test, measured once per run
            raise CalibrationError(str(self._failure)) from None
        if self.folder is None and self.store is None:
            try:
                return local_hardware()
            except CalibrationError as error:
                self._failure = error
                raise
        with self.lock.held():
            shared = self._from_folder()
            if shared is not None:
                self._hardware, self.origin = shared, "shared"
                return shared
            cached = self.cached()
            if cached is not None:
                return self._keep(cached, "cached")
            try:
                return self._keep(measure_local(), "measured")
            except CalibrationError as error:
                self._failure = error
                raise

    def measure(self) -> Hardware:
        """Measure now, whatever is cached (``--roofline-calibrate``)."""
        with self.lock.held():
            return self._keep(measure_local(), "measured")

    def raise_to(self, fresh: Hardware) -> Hardware:
        """Keep the better of the held ceilings and ``fresh`` (a probe that reached more
        than a ceiling is evidence the ceiling was measured low), for this process, the
        run's other processes and later runs on this machine."""
        with self.lock.held():
            held = self._from_folder() or self._hardware or _process_local.get(LOCAL)
            return self._keep(fresh if held is None else merge(held, fresh), "measured")
