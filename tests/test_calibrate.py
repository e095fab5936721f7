"""The hardware called 'local': measured once per run and shared through a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline import Hardware, calibrate
from pytest_roofline.calibrate import SharedCalibration, measure_local

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
    # Short measurements are estimates: at least ±10 % (calibrate.MIN_UNCERTAINTY).
    assert 0.10 <= local.ceiling_uncertainty < 1
    assert {"peak_flops", "memory_bandwidth"} <= set(local.sources)
