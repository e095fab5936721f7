"""The hardware called 'local': measured once per run and shared through a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline import Hardware, bound, kernels
from pytest_roofline.machine import calibration as calibrate
from pytest_roofline.machine import probes
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.calibration import SharedCalibration
from pytest_roofline.machine.ceilings import measure_local

FAKE_LOCAL = Hardware(
    name="local",
    peak_flops={"fp64": 5e10, "fp32": 1e11},
    memory_bandwidth=2e10,
    ceiling_uncertainty=0.12,
    measured=True,
)


@pytest.fixture
def fake_measure(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace the real measurement with FAKE_LOCAL; the list grows by one per call."""
    calls: list[int] = []

    def fake() -> Hardware:
        calls.append(1)
        return FAKE_LOCAL

    monkeypatch.setattr(calibrate, "measure_local", fake)
    return calls


def test_shared_calibration_measures_once_then_reads_the_file(
    tmp_path: Path, fake_measure: list[int]
) -> None:
    first = SharedCalibration(tmp_path)
    assert not first.calibrated
    assert first() == FAKE_LOCAL
    assert first.calibrated
    assert len(fake_measure) == 1
    assert (tmp_path / "local.json").is_file()
    assert first() == FAKE_LOCAL  # kept in the instance
    assert len(fake_measure) == 1

    # Another process of the same run: a new instance on the same folder reads the file.
    second = SharedCalibration(tmp_path)
    assert second() == FAKE_LOCAL
    assert len(fake_measure) == 1


def test_shared_calibration_in_different_folders_measures_each(
    tmp_path: Path, fake_measure: list[int]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    SharedCalibration(tmp_path / "a")()
    SharedCalibration(tmp_path / "b")()
    assert len(fake_measure) == 2


def test_shared_calibration_leaves_no_temporary_file(
    tmp_path: Path, fake_measure: list[int]
) -> None:
    SharedCalibration(tmp_path)()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.json", "measure.lock"]


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


def test_merge_keeps_the_better_ceiling_of_two_calibrations() -> None:
    # Noise only slows a probe down, so the higher estimate of each ceiling is kept.
    busy = FAKE_LOCAL.model_copy(
        update={"peak_flops": {"fp64": 4e10, "fp32": 1.5e11}, "memory_bandwidth": 3e10}
    )
    merged = calibrate.merge(FAKE_LOCAL, busy)
    assert merged.peak_flops == {"fp64": 5e10, "fp32": 1.5e11}
    assert merged.memory_bandwidth == 3e10
    assert merged.name == "local"
    assert merged.measured


def test_a_better_reading_raises_the_shared_ceilings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quieter = FAKE_LOCAL.model_copy(update={"memory_bandwidth": 4e10})
    monkeypatch.setattr(calibrate, "measure_local", lambda passes=4, budget=1.8: FAKE_LOCAL)
    shared = SharedCalibration(tmp_path)
    assert shared().memory_bandwidth == 2e10
    assert shared.raise_to(quieter).memory_bandwidth == 4e10
    assert shared().memory_bandwidth == 4e10
    # Other processes of the run read the refreshed ceilings.
    assert SharedCalibration(tmp_path)().memory_bandwidth == 4e10


def test_a_better_reading_without_a_folder_updates_this_process(
    pytester: pytest.Pytester, run
) -> None:
    # This process's own "local" (no folder, no store): seen from a fresh process, whose
    # "local" nobody measured yet and whose names resolve in the library's own catalog.
    pytester.makepyfile(
        """
from pytest_roofline import Hardware
from pytest_roofline.machine import calibration

FAKE_LOCAL = Hardware(
    name="local",
    peak_flops={"fp64": 5e10, "fp32": 1e11},
    memory_bandwidth=2e10,
    ceiling_uncertainty=0.12,
    measured=True,
)


def test_raise_to(monkeypatch):
    quieter = FAKE_LOCAL.model_copy(update={"peak_flops": {"fp64": 9e10, "fp32": 2e11}})
    monkeypatch.setattr(calibration, "measure_local", lambda: FAKE_LOCAL)
    assert not calibration.is_calibrated()
    shared = calibration.SharedCalibration()
    assert shared().peak("fp32") == 1e11
    shared.raise_to(quieter)
    assert calibration.local_hardware().peak("fp32") == 2e11
    assert Hardware.named("local").peak("fp32") == 2e11
"""
    )
    run().assert_outcomes(passed=1)


def test_stream_arrays_are_four_times_the_last_level_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # STREAM's rule (McCalpin, stream.c): each array at least 4x the sum of the caches.
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: 32 * 2**20)
    assert probes.stream_bytes() == 128 * 2**20
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: None)
    assert probes.stream_bytes() == probes.MIN_STREAM_BYTES
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: 2**40)
    assert probes.stream_bytes() == probes.MAX_STREAM_BYTES


class ScriptedProbe:
    """A probe whose runs read the rates given, in turn."""

    def __init__(self, *rates: float) -> None:
        self.rates = list(rates)

    def run(self, repeats: int = 2) -> list[float]:
        return [self.rates.pop(0) for _ in range(repeats)]


def test_a_probe_is_quiet_when_it_reaches_its_own_best() -> None:
    # A GEMM probe's best of three reads 100, then 75 (within 70 % of its best), then 60
    # (a neighbour took the cores).
    probe = ScriptedProbe(90, 100, 80, 75, 72, 71, 60, 50, 40)
    paired = PairedCalibration(probes={"fp32": probe})  # type: ignore[dict-item]
    gemm = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm")
    assert paired.rate(gemm) == 100
    assert paired.near_its_best(gemm, None, 100)
    assert paired.rate(gemm) == 75
    assert paired.near_its_best(gemm, None, 75)
    assert paired.rate(gemm) == 60
    assert not paired.near_its_best(gemm, None, 60)
    # A ceiling is the binding figure of the bound: the dtype's peak here.
    assert paired.ceiling(gemm) == gemm.peak_flops_per_second
