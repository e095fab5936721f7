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
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from pytest_roofline.errors import CalibrationError
from pytest_roofline.machine import busy
from pytest_roofline.machine.host import (
    Cache,
    cache_working_set,
    cpu_caches,
)
from pytest_roofline.machine.probes import (
    GEMM_SIZE,
    REPEATS,
    CacheProbe,
    CopyProbe,
    GemmProbe,
    GemvProbe,
    Probe,
    stream_bytes,
)
from pytest_roofline.specs.catalog import LOCAL
from pytest_roofline.specs.hardware import Hardware, MemoryLevel

MIN_UNCERTAINTY = 0.10


PASSES = 4
"""Each probe runs in every pass, so a neighbour's burst of load cannot spoil them all;
this many passes in which the machine was quiet are wanted."""


BUDGET_SECONDS = 1.5
"""Passes continue until they have taken this long (allocation and warm-up come on top)."""


BUSY_BUDGET_SECONDS = 2.1
"""...or this long, while fewer than ``passes`` passes found the machine quiet."""


MAX_PASSES = 40


TELL_APART = MIN_UNCERTAINTY
"""A cache level whose probe is not faster than the next level's by more than this cannot
be told from it: the two share one roof."""


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
