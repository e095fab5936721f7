"""Signs that the machine was busy while something was timed.

A shared CI runner's neighbours take cores and memory bandwidth in bursts. A slow round
alone cannot say whether the code or the machine was slow; the operating system can:

- **other processes' CPU time.** Linux counts, in ``/proc/stat``, the time every core
  spent busy (steal time included: a hypervisor that gave the core to another guest).
  Taking away this process's own CPU time (``os.times``) leaves what others ran while
  we timed. Counted in clock ticks (10 ms), so it is read over whole measurements, not
  single rounds.
- **more BLAS threads than free cores.** A BLAS that starts a thread per core on a
  machine whose cores are partly taken waits for the slowest thread.

Elsewhere than Linux the share is unknown (None), and only probes say the machine was
slow.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

BUSY_SHARE = 0.15
"""Other processes ran on more than this share of the cores: the machine was busy."""
STAT = Path("/proc/stat")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Mark:
    """The machine's and this process's CPU time at one moment."""

    wall: float
    busy: float
    """Seconds every core spent busy since boot (user, nice, system, irq, softirq, steal)."""
    own: float
    """Seconds of CPU this process used."""


def _busy_seconds(stat: Path) -> float | None:
    try:
        with stat.open("rb") as handle:
            first = handle.readline().split()
    except OSError:
        return None
    if len(first) < 5 or first[0] != b"cpu":
        return None
    try:
        ticks = [int(value) for value in first[1:]]
    except ValueError:
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / TICKS


def mark(stat: Path = STAT) -> Mark | None:
    """The CPU clocks now, or None where the machine does not tell (not Linux); ``stat``
    is where the kernel's counters are read."""
    busy = _busy_seconds(stat)
    if busy is None:
        return None
    times = os.times()
    return Mark(time.perf_counter(), busy, times.user + times.system)


def neighbour_share(since: Mark | None, until: Mark | None = None) -> float | None:
    """The share of the machine's cores other processes used between two marks
    (until now by default), from 0 to 1; None when unknown or too short to tell.

    A clock tick is 10 ms per core, so an interval shorter than 50 ms says nothing.
    """
    if since is None:
        return None
    until = until or mark()
    if until is None:
        return None
    elapsed = until.wall - since.wall
    if elapsed < 0.05:
        return None
    cores = os.cpu_count() or 1
    others = (until.busy - since.busy) - (until.own - since.own)
    return min(1.0, max(0.0, others / (elapsed * cores)))


def blas_threads() -> int:
    """How many threads numpy's BLAS starts: from threadpoolctl when it is installed,
    else the usual environment variables, else one per core (OpenBLAS's default)."""
    try:
        from threadpoolctl import threadpool_info  # optional: reads the BLAS itself
    except ImportError:
        pass
    else:
        counts = [
            info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"
        ]
        if counts:
            return int(max(counts))
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def busy_line(share: float | None) -> str:
    """One line for a verdict taken while others used ``share`` of the cores, with what to
    do about it; empty when the machine was not busy."""
    if share is None or share <= BUSY_SHARE:
        return ""
    cores = os.cpu_count() or 1
    free = cores * (1 - share)
    threads = blas_threads()
    crowded = (
        f"; BLAS runs {threads} thread(s) on about {free:.1f} free core(s)"
        if threads > free
        else ""
    )
    return (
        f"the machine was busy: other processes used {share:.0%} of its {cores} cores while"
        f" this was measured{crowded}. Run on a quieter runner, or give BLAS"
        " fewer threads than free cores (OMP_NUM_THREADS)"
    )
