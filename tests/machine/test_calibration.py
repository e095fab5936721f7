"""The hardware called 'local' (machine/calibration.py): measured once per run, shared
through a folder, and the better of two calibrations kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline.machine import calibration as calibrate
from pytest_roofline.machine.calibration import SharedCalibration, merge
from pytest_roofline.specs.hardware import Hardware, MemoryLevel

KiB = 2**10
MiB = 2**20


@pytest.fixture
def fake_measure(monkeypatch: pytest.MonkeyPatch, fake_local: Hardware) -> list[int]:
    """Replace the real measurement with ``fake_local``; the list grows by one per call."""
    calls: list[int] = []

    def fake() -> Hardware:
        calls.append(1)
        return fake_local

    monkeypatch.setattr(calibrate, "measure_local", fake)
    return calls


def test_shared_calibration_measures_once_then_reads_the_file(
    tmp_path: Path, fake_measure: list[int], fake_local: Hardware
) -> None:
    first = SharedCalibration(tmp_path)
    assert not first.calibrated
    assert first() == fake_local
    assert first.calibrated
    assert len(fake_measure) == 1
    assert (tmp_path / "local.json").is_file()
    assert first() == fake_local  # kept in the instance
    assert len(fake_measure) == 1

    # Another process of the same run: a new instance on the same folder reads the file.
    second = SharedCalibration(tmp_path)
    assert second() == fake_local
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


def test_merge_keeps_the_better_ceiling_of_two_calibrations(fake_local: Hardware) -> None:
    # Noise only slows a probe down, so the higher estimate of each ceiling is kept.
    busy = fake_local.model_copy(
        update={"peak_flops": {"fp64": 4e10, "fp32": 1.5e11}, "memory_bandwidth": 3e10}
    )
    merged = calibrate.merge(fake_local, busy)
    assert merged.peak_flops == {"fp64": 5e10, "fp32": 1.5e11}
    assert merged.memory_bandwidth == 3e10
    assert merged.name == "local"
    assert merged.measured


def test_a_better_reading_raises_the_shared_ceilings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_local: Hardware
) -> None:
    quieter = fake_local.model_copy(update={"memory_bandwidth": 4e10})
    monkeypatch.setattr(calibrate, "measure_local", lambda passes=4, budget=1.8: fake_local)
    shared = SharedCalibration(tmp_path)
    assert shared().memory_bandwidth == 2e10
    assert shared.raise_to(quieter).memory_bandwidth == 4e10
    assert shared().memory_bandwidth == 4e10
    # Other processes of the run read the refreshed ceilings.
    assert SharedCalibration(tmp_path)().memory_bandwidth == 4e10


def test_a_better_reading_without_a_folder_updates_this_process(
    pytester: pytest.Pytester, run, fake_local: Hardware
) -> None:
    # This process's own "local" (no folder, no store): seen from a fresh process, whose
    # "local" nobody measured yet and whose names resolve in the library's own catalog.
    pytester.makepyfile(
        f"""
from pytest_roofline import Hardware
from pytest_roofline.machine import calibration

FAKE_LOCAL = Hardware.model_validate_json({fake_local.model_dump_json()!r})


def test_raise_to(monkeypatch):
    quieter = FAKE_LOCAL.model_copy(update={{"peak_flops": {{"fp64": 9e10, "fp32": 2e11}}}})
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
