"""The probes of the resource that binds one test, run again while the run goes on.

The calibration (:mod:`.calibrate`) measures every ceiling of ``local`` once. While the
tests run, three things need a short, fresh run of just the probe that matches one
test: its dtype's GEMM when it is compute-bound, the stream of its memory level and a
dot product and copy over its own working set when it is memory-bound.

- A result faster than its roof is first evidence that the ceiling was measured low: the
  probe runs again, and a better reading raises the ceiling.
- A failing verdict stands only once the probe reads near its own best again, so the
  resource was not taken by a neighbour while the test was measured.
- With ``--roofline-paired``, each round is followed by a reference run, and the test is
  bounded by the ceiling measured right after it.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_roofline.machine.host import cache_working_set, cpu_caches
from pytest_roofline.machine.probes import (
    MAX_STREAM_BYTES,
    CacheProbe,
    GemmProbe,
    GemvProbe,
    Probe,
)
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs.hardware import Hardware

QUIET_PROBE = 0.7
"""A probe reaching this share of the best it read says the resource is not taken by
others. Not higher: on a quiet shared 2-vCPU host the memory probe's median run reads
0.79 of its best, so a higher bar would call most quiet moments busy."""


class PairedCalibration:
    """Short runs of the probe that matches a test's binding resource, built once each.

    Three uses. With ``--roofline-paired``, the binding ceiling is measured again right
    after a test's own measurement and the test is bounded by it (:meth:`__call__`), and
    a reference rate is taken after each round (:meth:`reference`). A result faster than
    its roof is first evidence that the ceiling was measured low: :meth:`rate` probes
    again, with the kernel's dtype, memory level and working set. A failing verdict
    stands only once :meth:`rate` says the machine reaches its ceiling again.
    """

    def __init__(self, probes: dict[str, Probe] | None = None) -> None:
        """``probes``: probes already built, by key ("fp32", "memory", "L2"); the rest
        are built on first use."""
        self._probes: dict[str, Probe] = dict(probes or {})
        self._best_read: dict[str, float] = {}

    def _probe(self, key: str) -> Probe:
        if key not in self._probes:
            if key in ("fp64", "fp32"):
                self._probes[key] = GemmProbe(key)
            elif key == "memory":
                self._probes[key] = GemvProbe()
            else:  # a level, or levels merged into one ("L1/L2"): the largest's probe
                largest = key.split("/")[-1]
                cache = next(c for c in cpu_caches() if c.name == largest)
                self._probes[key] = CacheProbe(cache_working_set(cache))
        return self._probes[key]

    @staticmethod
    def _measured_level(bound: Bound) -> bool:
        largest = bound.memory_level.split("/")[-1]
        return bound.memory_level == "memory" or any(c.name == largest for c in cpu_caches())

    def reference(self, bound: Bound) -> Callable[[], float] | None:
        """A short run of the probe for the resource that binds ``bound``, returning its
        rate: timed between the test's own rounds, it says how fast the machine was at
        that moment (None when nothing measured binds the work)."""
        if bound.bottleneck == "compute" and bound.dtype in ("fp64", "fp32"):
            key = f"{bound.dtype}-small"
            if key not in self._probes:
                self._probes[key] = GemmProbe(bound.dtype, size=256)
            probe = self._probes[key]
        elif bound.bottleneck == "memory" and self._measured_level(bound):
            probe = self._probe(bound.memory_level)
        else:
            return None
        return lambda: probe.run(1)[0]

    def rate(self, bound: Bound, working_set: float | None = None) -> float | None:
        """The best of three fresh runs of the probe for the resource that binds
        ``bound`` (None when no probe measures it). For memory-bound work with a
        ``working_set`` up to :data:`MAX_STREAM_BYTES`, a dot product and a copy over that
        many bytes run too, and the faster counts: the data sits where the kernel's does.
        """
        if bound.bottleneck == "compute" and bound.dtype in ("fp64", "fp32"):
            found = max(self._probe(bound.dtype).run(3))
        elif bound.bottleneck != "memory" or not self._measured_level(bound):
            return None
        else:
            found = max(self._probe(bound.memory_level).run(3))
            if working_set is not None and 2**12 <= working_set <= MAX_STREAM_BYTES:
                found = max(found, *self._working_set_probe(int(working_set)).run(3))
        key = self._key(bound, working_set)
        self._best_read[key] = max(found, self._best_read.get(key, 0.0))
        return found

    def near_its_best(self, bound: Bound, working_set: float | None, rate: float) -> bool:
        """True when ``rate``, a fresh :meth:`rate` for the same work, reaches
        :data:`QUIET_PROBE` of the best the same probes read in this process: the
        resource is not taken by others. Against the probes' own best, not the ceiling:
        a ceiling is the best any probe ever read, and on a quiet shared host a probe's
        typical run falls 20 % short of its best."""
        return rate >= QUIET_PROBE * self._best_read.get(self._key(bound, working_set), rate)

    @staticmethod
    def _key(bound: Bound, working_set: float | None) -> str:
        if bound.bottleneck == "compute":
            return bound.dtype
        return f"{bound.memory_level} {working_set}"

    def _working_set_probe(self, nbytes: int) -> Probe:
        """A dot product and copy over ``nbytes``, kept only until another size is asked
        for: a test checks its own working set several times, and a run's kernels have
        many working sets, whose arrays together would hold gigabytes."""
        held = self._probes.get("working set")
        if not isinstance(held, CacheProbe) or held.nbytes != nbytes:
            self._probes.pop("working set", None)  # free the last one's arrays first
            held = self._probes["working set"] = CacheProbe(nbytes)
        return held

    @staticmethod
    def ceiling(bound: Bound) -> float:
        """The ceiling that binds ``bound``: its dtype's peak or its level's bandwidth."""
        return (
            bound.peak_flops_per_second if bound.bottleneck == "compute" else bound.memory_bandwidth
        )

    @staticmethod
    def with_rate(device: Hardware, bound: Bound, rate: float) -> Hardware:
        """``device`` with the ceiling that binds ``bound`` set to ``rate``."""
        if bound.bottleneck == "compute":
            return device.model_copy(
                update={"peak_flops": {**device.peak_flops, bound.dtype: rate}}
            )
        if bound.memory_level == "memory":
            return device.model_copy(update={"memory_bandwidth": rate})
        levels = tuple(
            lv.model_copy(update={"bandwidth": rate}) if lv.name == bound.memory_level else lv
            for lv in device.memory_levels
        )
        return device.model_copy(update={"memory_levels": levels})

    def __call__(self, device: Hardware, bound: Bound) -> Hardware:
        """``device`` with the binding ceiling replaced by a fresh measurement."""
        rate = self.rate(bound)
        return device if rate is None else self.with_rate(device, bound, rate)
