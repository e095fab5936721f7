"""How good the one-second calibration of ``local`` is.

Run: python benchmarks/calibration.py [repeats]

1. Runs the calibration ``repeats`` times (default 5) and reports each ceiling's spread
   (max/min - 1) and the time each calibration took.
2. In the same process, right after, runs a dedicated long measurement of each ceiling
   (larger GEMMs, many more runs over several seconds) and reports the ratio of the
   calibrated ceiling (median of the repeats) to the best the long measurement reached.

Both run in the same process on the same machine, so the ratios compare like with like
on a shared, noisy host; absolute figures vary from run to run.
"""

from __future__ import annotations

import statistics
import sys
import time

from pytest_roofline.machine.calibration import (
    cache_working_set,
    cpu_caches,
    measure_local,
)
from pytest_roofline.machine.probes import (
    CacheProbe,
    CopyProbe,
    GemmProbe,
    GemvProbe,
)


def long_best(probe: GemmProbe | CopyProbe | GemvProbe | CacheProbe, seconds: float) -> float:
    """The best rate a probe reaches when run over and over for ``seconds``."""
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        best = max(best, *probe.run(2))
    return best


def long_ceilings() -> dict[str, float]:
    """Each ceiling's best over a long run of its probe: "fp64", "fp32", "memory" and
    every cache level."""
    long = {
        "fp64": long_best(GemmProbe("fp64", 2048), 4.0),
        "fp32": long_best(GemmProbe("fp32", 2048), 4.0),
        "memory": max(long_best(GemvProbe(), 3.0), long_best(CopyProbe(2), 3.0)),
    }
    for cache in cpu_caches():
        long[cache.name] = long_best(CacheProbe(cache_working_set(cache)), 2.0)
    return long


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    runs = []
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        runs.append(measure_local())
        durations.append(time.perf_counter() - start)

    ceilings: dict[str, list[float]] = {}
    for hw in runs:
        for dtype, peak in hw.peak_flops.items():
            ceilings.setdefault(f"peak {dtype}", []).append(peak)
        ceilings.setdefault("memory", []).append(hw.memory_bandwidth)
        for level in hw.memory_levels:
            ceilings.setdefault(level.name, []).append(level.bandwidth)

    long = {
        ("peak " + name if name.startswith("fp") else name): value
        for name, value in long_ceilings().items()
    }
    # A cache level's ceiling is at least the next level's (as the calibration does).
    names = [c.name for c in cpu_caches()]
    floor = long["memory"]
    for name in reversed(names):
        floor = long[name] = max(long[name], floor)

    print(
        f"calibrations: {repeats}, each {statistics.median(durations):.2f} s"
        f" (min {min(durations):.2f}, max {max(durations):.2f})"
    )
    print(f"{'ceiling':<11}{'median':>14}{'spread':>9}{'long best':>14}{'ratio':>8}")
    for name, values in ceilings.items():
        unit = "FLOP/s" if name.startswith("peak") else "B/s"
        median = statistics.median(values)
        spread = max(values) / min(values) - 1
        best = long.get(name)
        ratio = f"{median / best:8.3f}" if best else "       -"
        print(
            f"{name:<11}{median / 1e9:>10.1f} G{unit[0]:<3}{spread:>8.1%}"
            f"{(best or 0) / 1e9:>10.1f} G{unit[0]:<3}{ratio}"
        )


if __name__ == "__main__":
    main()
