"""Measuring ``local`` (machine/ceilings.py): the real calibration, once, and cache
levels the probes cannot tell apart sharing one roof."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pytest_roofline.machine import ceilings
from pytest_roofline.machine.ceilings import measure_local
from pytest_roofline.machine.host import Cache
from pytest_roofline.specs.hardware import Hardware

KiB = 2**10
MiB = 2**20

L1 = Cache(1, 32 * KiB, 2)
L2 = Cache(2, 512 * KiB, 2)
L3 = Cache(3, 32 * MiB, 1)


def test_levels_the_probes_told_apart_keep_their_own_roofs() -> None:
    # Each level more than 10 % faster than the next: four roofs.
    levels, memory, merged = ceilings.distinct_levels(
        [(L1, 200e9), (L2, 100e9), (L3, 60e9)], memory=40e9
    )
    assert [(lv.name, lv.bandwidth) for lv in levels] == [
        ("L1", 200e9),
        ("L2", 100e9),
        ("L3", 60e9),
    ]
    assert [lv.capacity for lv in levels] == [64 * KiB, 1 * MiB, 32 * MiB]
    assert memory == 40e9
    assert merged == []


def test_levels_the_probes_could_not_tell_apart_share_one_roof() -> None:
    # What this 2-vCPU host measured: numpy's call overhead holds the L1 probe (19 GB/s)
    # below L2 (76 GB/s), and L3 (49 GB/s) is within 10 % of memory (47.8 GB/s). L1 and
    # L2 are one roof, named for both, holding both; L3 joins main memory.
    levels, memory, merged = ceilings.distinct_levels(
        [(L1, 19.2e9), (L2, 76e9), (L3, 49e9)], memory=47.8e9
    )
    assert [(lv.name, lv.capacity, lv.bandwidth) for lv in levels] == [("L1/L2", 1 * MiB, 76e9)]
    assert memory == 49e9
    assert merged == [
        "L3 could not be told from memory (49.0 against 47.8 GB/s): one roof for both",
        "L1 could not be told from L2 (19.2 against 76.0 GB/s): one roof for both",
    ]
    # A working set in L1 is judged against the merged roof, one in L3 against memory.
    cpu = Hardware(
        name="cache-cpu", peak_flops={"fp32": 1e12}, memory_bandwidth=memory, memory_levels=levels
    )
    assert cpu.bandwidth_for(16 * KiB) == ("L1/L2", 76e9)
    assert cpu.bandwidth_for(8 * MiB) == ("memory", 49e9)


@pytest.mark.parametrize("seed", range(20))
def test_no_two_roofs_left_are_within_the_margin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(10e9, 200e9, size=4)
    levels, memory, _ = ceilings.distinct_levels(
        [(L1, rates[0]), (L2, rates[1]), (L3, rates[2])], memory=rates[3]
    )
    roofs = [lv.bandwidth for lv in levels] + [memory]
    for faster, slower in itertools.pairwise(roofs):
        assert faster > slower * (1 + ceilings.TELL_APART)
    # Nothing measured is lost: the best rate is some roof's.
    assert max(roofs) == pytest.approx(max(rates))


def test_measure_local_measures_this_machine() -> None:
    # The only test that runs the real calibration (about a second).
    local = measure_local()
    assert local.name == "local"
    assert local.measured is True
    # Any CPU of the last decade runs a numpy GEMM beyond 1 GFLOP/s and copies memory
    # beyond 1 GB/s.
    assert local.peak("fp32") > 1e9
    assert local.peak("fp64") > 1e9
    assert local.memory_bandwidth > 1e9
    # Short measurements are estimates: at least ±10 % (ceilings.MIN_UNCERTAINTY).
    assert 0.10 <= local.ceiling_uncertainty < 1
    assert {"peak_flops", "memory_bandwidth"} <= set(local.sources)
