"""Memory levels: a kernel is bounded by the bandwidth of the level holding its working
set; catalog devices have none."""

from __future__ import annotations

import pytest

from pytest_roofline import kernels
from pytest_roofline.physics.bound import kernel_bound
from pytest_roofline.physics.dispatch import bound
from pytest_roofline.specs.hardware import (
    Hardware,
    MemoryLevel,
    builtin_catalog,
)
from pytest_roofline.specs.kernels import Kernel

KiB = 2**10
MiB = 2**20
GiB = 2**30


# A made-up CPU with three cache levels, each slower than the one above it.
L1_BW, L2_BW, L3_BW, DRAM_BW = 100e9, 60e9, 40e9, 20e9
FP32_PEAK = 1e12


CPU = Hardware(
    name="cache-cpu",
    peak_flops={"fp32": FP32_PEAK},
    memory_bandwidth=DRAM_BW,
    memory_levels=(
        MemoryLevel(name="L1", capacity=64 * KiB, bandwidth=L1_BW),
        MemoryLevel(name="L2", capacity=1 * MiB, bandwidth=L2_BW),
        MemoryLevel(name="L3", capacity=32 * MiB, bandwidth=L3_BW),
    ),
)


@pytest.fixture(autouse=True)
def builtin_default(builtin_catalogs: None) -> None:
    """Names resolve in the built-in catalog, not in this run's own."""


def fp32_copy(total_bytes: int) -> Kernel:
    """A copy moving ``total_bytes``: each fp32 element is read (4 B) and written (4 B)."""
    return kernels.copy(total_bytes // 8, "fp32")


@pytest.mark.parametrize(
    ("total_bytes", "level", "bandwidth"),
    [
        (1 * KiB, "L1", L1_BW),
        (512 * KiB, "L2", L2_BW),
        (8 * MiB, "L3", L3_BW),
        (1 * GiB, "memory", DRAM_BW),
    ],
)
def test_bound_uses_the_level_holding_the_working_set(
    total_bytes: int, level: str, bandwidth: float
) -> None:
    work = fp32_copy(total_bytes)
    assert work.bytes == total_bytes
    result = kernel_bound(work, CPU)
    assert result.memory_level == level
    assert result.memory_bandwidth == bandwidth
    assert result.memory_seconds == pytest.approx(total_bytes / bandwidth, rel=1e-12)
    assert result.seconds == pytest.approx(total_bytes / bandwidth, rel=1e-12)
    assert result.ridge_point == pytest.approx(FP32_PEAK / bandwidth, rel=1e-12)
    assert CPU.ridge_point("fp32", total_bytes) == pytest.approx(FP32_PEAK / bandwidth)
    assert CPU.bandwidth_for(total_bytes) == (level, bandwidth)


def test_a_working_set_equal_to_a_level_fits_it() -> None:
    assert CPU.bandwidth_for(64 * KiB) == ("L1", L1_BW)
    assert CPU.bandwidth_for(64 * KiB + 1) == ("L2", L2_BW)
    assert CPU.bandwidth_for(32 * MiB + 1) == ("memory", DRAM_BW)


def test_levels_are_chosen_by_capacity_whatever_their_order() -> None:
    shuffled = CPU.model_copy(update={"memory_levels": tuple(reversed(CPU.memory_levels))})
    assert kernel_bound(fp32_copy(1 * KiB), shuffled).memory_level == "L1"
    assert kernel_bound(fp32_copy(512 * KiB), shuffled).memory_level == "L2"


def test_no_working_set_means_main_memory() -> None:
    assert CPU.bandwidth_for(None) == ("memory", DRAM_BW)
    assert CPU.ridge_point("fp32") == pytest.approx(FP32_PEAK / DRAM_BW)


def test_working_set_bytes_decides_the_level_not_the_traffic() -> None:
    # 1 GB streamed through a 16 KiB buffer: the traffic is counted in full, but at the
    # bandwidth of L1, where the buffer lives.
    streamed = Kernel(name="ring buffer", flops=0, bytes=1e9, working_set_bytes=16 * KiB)
    assert streamed.working_set == 16 * KiB
    result = kernel_bound(streamed, CPU)
    assert result.memory_level == "L1"
    assert result.memory_seconds == pytest.approx(1e9 / L1_BW, rel=1e-12)


def test_a_large_working_set_sends_small_traffic_to_memory() -> None:
    # 1 KiB of traffic scattered over 1 GiB: served from main memory.
    scattered = Kernel(name="gather", flops=0, bytes=1 * KiB, working_set_bytes=1 * GiB)
    result = kernel_bound(scattered, CPU)
    assert result.memory_level == "memory"
    assert result.memory_seconds == pytest.approx(KiB / DRAM_BW, rel=1e-12)


def test_working_set_defaults_to_bytes() -> None:
    work = fp32_copy(512 * KiB)
    assert work.working_set_bytes is None
    assert work.working_set == 512 * KiB


@pytest.mark.parametrize("name", builtin_catalog().names())
def test_catalog_devices_have_no_levels(name: str) -> None:
    device = builtin_catalog().lookup(name)
    assert device.memory_levels == ()
    dtype = "bf16" if "bf16" in device.peak_flops else "fp16"
    tiny = kernels.copy(16, dtype)
    result = bound(tiny, name)
    assert result.memory_level == "memory"
    assert result.memory_bandwidth == device.memory_bandwidth
