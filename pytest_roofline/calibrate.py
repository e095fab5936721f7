"""Measured ceilings of the machine the tests run on: the hardware called ``local``.

A CPU has no datasheet figure its numpy code can reach, so ``local`` is measured: peak
FLOP/s per dtype from a GEMM large enough to run at the BLAS's plateau (all the threads
it uses), and memory bandwidth from copies of arrays far larger than the last-level cache
(run in as many threads as there are cores, so a multithreaded kernel is not called
"faster than the roofline"). Each ceiling is the best of several repeats: a ceiling is
what the machine *can* do, and noise only ever slows a run down.

Ceilings measured in about a second are estimates, so ``local`` carries a relative
``ceiling_uncertainty``: the spread of the repeats, and never less than
:data:`MIN_UNCERTAINTY`, because a dedicated long measurement (or a hand-tuned kernel)
reaches a few percent more than a short one.
"""

from __future__ import annotations

import functools
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import atomic
from .hardware import LOCAL, Hardware
from .runlock import RunLock

MIN_UNCERTAINTY = 0.10
GEMM_SIZE = 1024
COPY_BYTES = 64 * 2**20
"""Bytes per copied array: 64 MiB, far above any last-level cache of today's CPUs."""
REPEATS = 5


def _best_seconds(work: Callable[[], object], repeats: int) -> list[float]:
    """Times of ``repeats`` runs of ``work`` after one warm-up run, fastest first."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)


def gemm_flops(
    dtype: type[np.floating], size: int = GEMM_SIZE, repeats: int = REPEATS
) -> list[float]:
    """FLOP/s of repeated ``size``-square GEMMs in ``dtype``, best first (2·n³ FLOPs each)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty((size, size), dtype)
    flops = 2.0 * size**3
    return [flops / t for t in _best_seconds(lambda: np.matmul(a, b, out=out), repeats)]


def copy_bandwidth(
    threads: int, nbytes: int = COPY_BYTES, repeats: int = REPEATS * 2
) -> list[float]:
    """Bytes/s of copying ``nbytes`` split over ``threads`` threads, best first.

    Counted as STREAM counts a copy: one read and one write per byte copied (2 · nbytes),
    the same way kernels declare their traffic. numpy releases the GIL while it copies,
    so the threads run in parallel.
    """
    count = nbytes // 8
    source = np.ones(count, np.float64)
    target = np.zeros(count, np.float64)
    chunks = [slice(i * count // threads, (i + 1) * count // threads) for i in range(threads)]

    def copy_all() -> None:
        if threads == 1:
            np.copyto(target, source)
            return
        workers = [threading.Thread(target=np.copyto, args=(target[c], source[c])) for c in chunks]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    return [2.0 * count * 8 / t for t in _best_seconds(copy_all, repeats)]


def _relative_spread(rates: list[float]) -> float:
    """How far the median of the better half of the repeats falls below the best one.

    The better half, because a ceiling is about what the machine can do: repeats slowed
    by a neighbour's load say nothing about it, but a best run far above its peers does.
    """
    better_half = rates[: max(1, (len(rates) + 1) // 2)]
    return (rates[0] - statistics.median(better_half)) / rates[0]


def measure_local() -> Hardware:
    """Measure this machine's ceilings now (about a second) and return them as Hardware."""
    started = time.perf_counter()
    fp64 = gemm_flops(np.float64)
    fp32 = gemm_flops(np.float32)
    cores = os.cpu_count() or 1
    bandwidth = max(
        (copy_bandwidth(threads) for threads in sorted({1, cores})), key=lambda rates: rates[0]
    )
    spread = max(_relative_spread(r) for r in (fp64, fp32, bandwidth))
    elapsed = time.perf_counter() - started
    return Hardware(
        name=LOCAL,
        description=f"this machine ({platform.processor() or platform.machine()},"
        f" {cores} cores), measured in {elapsed:.2f} s",
        peak_flops={"fp64": fp64[0], "fp32": fp32[0]},
        memory_bandwidth=bandwidth[0],
        ceiling_uncertainty=min(0.5, max(MIN_UNCERTAINTY, spread)),
        measured=True,
        sources={
            "peak_flops": f"numpy {GEMM_SIZE}x{GEMM_SIZE} GEMM, best of {REPEATS}",
            "memory_bandwidth": f"numpy copy of {COPY_BYTES // 2**20} MiB arrays in up to"
            f" {cores} threads, best of {REPEATS * 2}, read + write counted",
        },
    )


@functools.cache
def local_hardware() -> Hardware:
    """This machine's ceilings, measured on first use and kept for the process's life."""
    return measure_local()


def is_calibrated() -> bool:
    """True once ``local`` has been measured in this process."""
    return local_hardware.cache_info().currsize > 0


class SharedCalibration:
    """``local`` for every process of one run: measured once, under the run's lock.

    The first process that needs ``local`` measures it while holding the lock (so no
    other process's measurement disturbs it) and leaves the ceilings in ``folder``; the
    others read them, so every worker judges against the same ceilings. Without a folder
    (a run in one process) this is :func:`local_hardware`.
    """

    def __init__(self, folder: Path | None = None, lock: RunLock | None = None) -> None:
        self.folder = folder
        self.lock = lock or RunLock(folder)
        self._hardware: Hardware | None = None

    @property
    def calibrated(self) -> bool:
        """True once this process holds the ceilings."""
        return self._hardware is not None or (self.folder is None and is_calibrated())

    def __call__(self) -> Hardware:
        if self._hardware is None:
            if self.folder is None:
                self._hardware = local_hardware()
            else:
                with self.lock.held():
                    path = self.folder / "local.json"
                    if path.is_file():
                        self._hardware = Hardware.model_validate_json(path.read_text("utf-8"))
                    else:
                        self._hardware = measure_local()
                        atomic.write_text(path, self._hardware.model_dump_json())
        return self._hardware
