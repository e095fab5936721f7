"""Memory levels: a kernel is bounded by the bandwidth of the level holding its working set;
cache sizes read from /sys; the calibration's fingerprint, cache probe and merge."""

from __future__ import annotations

import itertools
import json
import os
import string
from pathlib import Path

import numpy as np
import pytest

from pytest_roofline import kernels
from pytest_roofline.errors import DeclarationError
from pytest_roofline.machine import ceilings, host
from pytest_roofline.machine.calibration import merge
from pytest_roofline.machine.host import Cache, cpu_caches, fingerprint
from pytest_roofline.machine.probes import CacheProbe
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


def test_sparse_peak_is_twice_dense_on_h100() -> None:
    # NVIDIA H100 datasheet, SXM column: BF16 tensor 1,979 TFLOP/s with 2:4 sparsity
    # (989.5 dense; the catalog rounds the dense figure to 989).
    h100 = Hardware.named("h100-sxm")
    assert h100.peak("bf16", sparse=True) == pytest.approx(1979e12, rel=1e-3)
    assert h100.peak("bf16", sparse=True) == 2 * h100.peak("bf16")
    assert h100.peak("bf16") == pytest.approx(989e12, rel=1e-3)


@pytest.mark.parametrize("dtype", ["fp64", "fp32"])
def test_sparse_peak_of_a_dtype_without_sparsity_raises(dtype: str) -> None:
    # The H100 datasheet prints 2:4-sparse figures only for TF32, BF16, FP16, FP8, INT8.
    h100 = Hardware.named("h100-sxm")
    with pytest.raises(DeclarationError, match=dtype) as caught:
        h100.peak(dtype, sparse=True)
    assert "sparse" in str(caught.value)
    assert h100.peak(dtype) > 0


def test_sparse_peak_on_a_device_without_sparsity_raises() -> None:
    device = Hardware(name="dense-only", peak_flops={"bf16": 1e14}, memory_bandwidth=1e12)
    with pytest.raises(DeclarationError, match="sparse"):
        device.peak("bf16", sparse=True)


def write_cache(
    root: Path, cpu: int, index: int, kind: str, level: int, size: str, shared: str
) -> None:
    """One /sys/devices/system/cpu/cpuN/cache/indexM folder as Linux lays it out."""
    folder = root / f"cpu{cpu}" / "cache" / f"index{index}"
    folder.mkdir(parents=True)
    (folder / "type").write_text(f"{kind}\n")
    (folder / "level").write_text(f"{level}\n")
    (folder / "size").write_text(f"{size}\n")
    (folder / "shared_cpu_list").write_text(f"{shared}\n")


def two_core_tree(root: Path, l2: str = "512K", l3: str = "32M") -> None:
    """Two cores, each with a private L1d, L1i and L2, sharing one L3."""
    for cpu in (0, 1):
        write_cache(root, cpu, 0, "Data", 1, "32K", str(cpu))
        write_cache(root, cpu, 1, "Instruction", 1, "32K", str(cpu))
        write_cache(root, cpu, 2, "Unified", 2, l2, str(cpu))
        write_cache(root, cpu, 3, "Unified", 3, l3, "0-1")
    # Folders next to the cpuN ones that are not CPUs.
    (root / "cpufreq").mkdir()
    (root / "cpuidle").mkdir()


def test_cpu_caches_reads_sizes_and_instances(tmp_path: Path) -> None:
    two_core_tree(tmp_path)
    assert cpu_caches(tmp_path) == [
        Cache(level=1, size=32 * KiB, instances=2),
        Cache(level=2, size=512 * KiB, instances=2),
        Cache(level=3, size=32 * MiB, instances=1),
    ]
    assert [cache.name for cache in cpu_caches(tmp_path)] == ["L1", "L2", "L3"]


def test_cpu_caches_reads_size_suffixes(tmp_path: Path) -> None:
    two_core_tree(tmp_path, l2="1024K", l3="1G")
    sizes = {cache.level: cache.size for cache in cpu_caches(tmp_path)}
    assert sizes == {1: 32 * KiB, 2: 1024 * KiB, 3: GiB}


def test_cpu_caches_ignores_instruction_caches(tmp_path: Path) -> None:
    write_cache(tmp_path, 0, 0, "Instruction", 1, "64K", "0")
    write_cache(tmp_path, 0, 1, "Unified", 2, "2048K", "0")
    assert cpu_caches(tmp_path) == [Cache(level=2, size=2 * MiB, instances=1)]


def test_cpu_caches_of_an_empty_tree_is_empty(tmp_path: Path) -> None:
    assert cpu_caches(tmp_path) == []
    assert cpu_caches(tmp_path / "missing") == []


def test_cpu_caches_skips_unreadable_entries(tmp_path: Path) -> None:
    two_core_tree(tmp_path)
    (tmp_path / "cpu0" / "cache" / "index2" / "size").write_text("unknown\n")
    (tmp_path / "cpu1" / "cache" / "index2" / "level").unlink()
    assert cpu_caches(tmp_path) == [
        Cache(level=1, size=32 * KiB, instances=2),
        Cache(level=3, size=32 * MiB, instances=1),
    ]


def test_fingerprint_names_what_makes_ceilings_valid() -> None:
    found = fingerprint()
    assert {"cpu", "cores", "numpy", "blas"} <= set(found)
    assert found["cores"] == os.cpu_count()
    assert found["numpy"] == np.__version__
    json.dumps(found)  # it is hashed as JSON


def test_fingerprint_key_is_stable_and_short_hex() -> None:
    key = host.fingerprint_key()
    assert key == host.fingerprint_key()
    assert len(key) == 16
    assert set(key) <= set(string.hexdigits.lower())


def test_fingerprint_key_changes_with_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = {"cpu": "Some CPU", "cores": 8, "numpy": "2.0.0", "blas": "openblas 0.3"}
    monkeypatch.setattr(host, "fingerprint", lambda: dict(machine))
    before = host.fingerprint_key()
    machine["cores"] = 16
    assert host.fingerprint_key() != before


def test_cache_probe_returns_a_read_rate_and_a_copy_rate() -> None:
    probe = CacheProbe(16 * KiB)
    assert probe.a.nbytes + probe.b.nbytes == 16 * KiB  # two fp32 arrays share it
    rates = probe.run(1)
    assert len(rates) == 2
    assert all(rate > 0 for rate in rates)


OLD = Hardware(
    name="local",
    peak_flops={"fp64": 5e10, "fp32": 1e11},
    memory_bandwidth=2e10,
    memory_levels=(
        MemoryLevel(name="L1", capacity=64 * KiB, bandwidth=2e11),
        MemoryLevel(name="L3", capacity=32 * MiB, bandwidth=5e10),
    ),
    ceiling_uncertainty=0.1,
    measured=True,
)
NEW = Hardware(
    name="local",
    peak_flops={"fp64": 6e10, "fp32": 0.9e11},
    memory_bandwidth=1.8e10,
    memory_levels=(
        MemoryLevel(name="L1", capacity=64 * KiB, bandwidth=1.5e11),
        MemoryLevel(name="L3", capacity=32 * MiB, bandwidth=1.9e10),
    ),
    ceiling_uncertainty=0.2,
    measured=True,
)


def test_merge_keeps_the_higher_peak_per_dtype_and_bandwidth() -> None:
    merged = merge(OLD, NEW)
    assert merged.peak_flops == {"fp64": 6e10, "fp32": 1e11}
    assert merged.memory_bandwidth == 2e10
    assert merged.ceiling_uncertainty == 0.2
    assert merge(NEW, OLD).peak_flops == merged.peak_flops
    assert merge(NEW, OLD).memory_bandwidth == merged.memory_bandwidth


def test_merge_keeps_dtypes_only_one_side_has() -> None:
    only_fp64 = NEW.model_copy(update={"peak_flops": {"fp64": 4e10}})
    merged = merge(OLD, only_fp64)
    assert merged.peak_flops == {"fp64": 5e10, "fp32": 1e11}
    with_bf16 = NEW.model_copy(update={"peak_flops": {"bf16": 3e11}})
    assert merge(OLD, with_bf16).peak_flops == {"fp64": 5e10, "fp32": 1e11, "bf16": 3e11}


def test_merge_keeps_the_higher_ceiling_of_each_cache_level() -> None:
    # Noise only slows a probe down, so a cache level's better estimate is the higher one
    # too; and data in a cache is never slower to reach than data in main memory.
    merged = merge(OLD, NEW)
    levels = {level.name: level.bandwidth for level in merged.memory_levels}
    assert levels == {"L1": 2e11, "L3": 5e10}
    assert all(bandwidth >= merged.memory_bandwidth for bandwidth in levels.values())


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
    cpu = CPU.model_copy(update={"memory_levels": levels, "memory_bandwidth": memory})
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
