"""Calibrations kept between runs: a store keyed by the machine's fingerprint, a preset,
and the run's folder; never measuring twice what is already known."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline.machine import calibration as calibrate
from pytest_roofline.machine import ceilings, host
from pytest_roofline.machine.calibration import SharedCalibration
from pytest_roofline.specs.hardware import Hardware


def measured(fp32: float, fp64: float, bandwidth: float) -> Hardware:
    """Ceilings shaped like the ones measure_local returns (made-up figures)."""
    return Hardware(
        name="local",
        peak_flops={"fp64": fp64, "fp32": fp32},
        memory_bandwidth=bandwidth,
        ceiling_uncertainty=0.1,
        measured=True,
    )


FIRST = measured(fp32=1e11, fp64=5e10, bandwidth=2e10)
SECOND = measured(fp32=0.8e11, fp64=6e10, bandwidth=2.5e10)
PRESET = measured(fp32=3e11, fp64=1.5e11, bandwidth=4e10)


class DictStore:
    """A CalibrationStore in a dict, recording every call."""

    def __init__(self) -> None:
        self.data: dict[str, Hardware] = {}
        self.gets: list[str] = []
        self.puts: list[str] = []

    def get(self, key: str) -> Hardware | None:
        self.gets.append(key)
        return self.data.get(key)

    def put(self, key: str, hardware: Hardware) -> None:
        self.puts.append(key)
        self.data[key] = hardware


class FakeMeasure:
    """Stands in for measure_local: returns FIRST, then SECOND, and counts the calls."""

    def __init__(self) -> None:
        self.results = [FIRST, SECOND]
        self.calls = 0

    def __call__(
        self, passes: int = ceilings.PASSES, budget: float = ceilings.BUDGET_SECONDS
    ) -> Hardware:
        result = self.results[min(self.calls, len(self.results) - 1)]
        self.calls += 1
        return result


@pytest.fixture
def fake_measure(monkeypatch: pytest.MonkeyPatch) -> FakeMeasure:
    """Never run the real measurement."""
    fake = FakeMeasure()
    monkeypatch.setattr(calibrate, "measure_local", fake)
    return fake


@pytest.fixture
def key() -> str:
    return host.fingerprint_key()


SHOWN = host.shown_key()
"""Where a measurement is also kept for the header (read without numpy)."""


def test_first_call_measures_and_stores_under_the_fingerprint(
    fake_measure: FakeMeasure, key: str
) -> None:
    store = DictStore()
    calibration = SharedCalibration(store=store)
    assert not calibration.calibrated
    assert calibration() == FIRST
    assert fake_measure.calls == 1
    assert calibration.origin == "measured"
    assert calibration.calibrated
    assert store.data == {key: FIRST, SHOWN: FIRST}
    assert calibration() == FIRST  # held: neither measured nor read again
    assert fake_measure.calls == 1
    assert store.puts == [key, SHOWN]


def test_a_second_calibration_reads_the_store(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    SharedCalibration(store=store)()
    later = SharedCalibration(store=store)
    assert later() == FIRST
    assert later.origin == "cached"
    assert fake_measure.calls == 1
    assert store.puts == [key, SHOWN]  # what came from the store is not put back


def test_measure_forces_a_new_measurement_and_overwrites(
    fake_measure: FakeMeasure, key: str
) -> None:
    store = DictStore()
    calibration = SharedCalibration(store=store)
    calibration()
    assert calibration.measure() == SECOND
    assert fake_measure.calls == 2
    assert calibration.origin == "measured"
    assert calibration() == SECOND
    assert store.data == {key: SECOND, SHOWN: SECOND}
    assert SharedCalibration(store=store)() == SECOND


def test_measure_ignores_a_stored_calibration(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    store.data[key] = PRESET
    assert SharedCalibration(store=store).measure() == FIRST
    assert fake_measure.calls == 1
    assert store.data == {key: FIRST, SHOWN: FIRST}


def test_preset_hardware_is_used_without_measuring(fake_measure: FakeMeasure) -> None:
    store = DictStore()
    calibration = SharedCalibration(store=store, preset=PRESET)
    assert calibration.calibrated
    assert calibration() == PRESET
    assert calibration.origin == "given"
    assert fake_measure.calls == 0
    assert store.puts == []


def test_preset_wins_over_the_store(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    store.data[key] = FIRST
    calibration = SharedCalibration(store=store, preset=PRESET)
    assert calibration() == PRESET
    assert calibration.cached() == PRESET
    assert calibration.origin == "given"


def test_a_second_process_reads_the_folder_copy(tmp_path: Path, fake_measure: FakeMeasure) -> None:
    first = SharedCalibration(folder=tmp_path, store=DictStore())
    assert first() == FIRST
    # Another worker of the same run, whose store knows nothing.
    empty = DictStore()
    second = SharedCalibration(folder=tmp_path, store=empty)
    assert second() == FIRST
    assert second.origin == "shared"
    assert second.shared() == FIRST
    assert fake_measure.calls == 1
    assert empty.puts == []


def test_the_folder_copy_wins_over_the_store(
    tmp_path: Path, fake_measure: FakeMeasure, key: str
) -> None:
    SharedCalibration(folder=tmp_path, store=DictStore())()
    stale = DictStore()
    stale.data[key] = PRESET
    second = SharedCalibration(folder=tmp_path, store=stale)
    assert second() == FIRST
    assert second.origin == "shared"


def test_raised_ceilings_merge_and_are_stored(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    calibration = SharedCalibration(store=store)
    calibration()
    refreshed = calibration.raise_to(SECOND)
    assert fake_measure.calls == 1
    # The better of FIRST and SECOND, ceiling by ceiling.
    assert refreshed.peak_flops == {"fp64": 6e10, "fp32": 1e11}
    assert refreshed.memory_bandwidth == 2.5e10
    assert calibration() == refreshed
    assert calibration.origin == "measured"
    assert store.data[key] == refreshed
    assert store.puts == [key, SHOWN, key, SHOWN]


def test_raised_ceilings_in_a_folder_merge_with_the_folder_copy(
    tmp_path: Path, fake_measure: FakeMeasure
) -> None:
    SharedCalibration(folder=tmp_path, store=DictStore())()  # measures FIRST
    other = SharedCalibration(folder=tmp_path, store=DictStore())
    refreshed = other.raise_to(SECOND)  # merged with the folder's FIRST
    assert refreshed.peak_flops == {"fp64": 6e10, "fp32": 1e11}
    assert SharedCalibration(folder=tmp_path, store=DictStore())() == refreshed


def test_cached_is_none_when_nothing_is_stored(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    calibration = SharedCalibration(store=store)
    assert calibration.cached() is None
    assert fake_measure.calls == 0
    assert store.gets == [key]
    assert not calibration.calibrated


def test_cached_returns_the_stored_calibration(fake_measure: FakeMeasure, key: str) -> None:
    store = DictStore()
    store.data[key] = PRESET
    calibration = SharedCalibration(store=store)
    assert calibration.cached() == PRESET
    assert calibration.origin == "cached"
    assert fake_measure.calls == 0


def test_a_calibration_stored_for_another_machine_is_not_used(
    fake_measure: FakeMeasure, key: str
) -> None:
    store = DictStore()
    store.data["0123456789abcdef" if key != "0123456789abcdef" else "fedcba9876543210"] = PRESET
    calibration = SharedCalibration(store=store)
    assert calibration.cached() is None
    assert calibration() == FIRST
    assert fake_measure.calls == 1


def test_the_header_shows_the_last_measurement_without_holding_it(
    fake_measure: FakeMeasure,
) -> None:
    """shown() is for the header, printed by every run: it names the host's last
    ceilings (read without numpy) but holds nothing, so a test's judging still goes
    through the full fingerprint."""
    store = DictStore()
    assert SharedCalibration(store=store).shown() is None
    SharedCalibration(store=store)()  # an earlier run measured
    later = SharedCalibration(store=store)
    store.gets.clear()
    assert later.shown() == (FIRST, "cached")
    assert later.held is None
    assert store.gets == [SHOWN]  # not the full fingerprint, which imports numpy
    assert later() == FIRST
    assert later.shown() == (FIRST, "cached")


def test_the_host_fingerprint_is_the_full_one_without_the_blas() -> None:
    full = host.fingerprint()
    without_blas = host.host_fingerprint()
    assert {k: v for k, v in full.items() if k != "blas"} == without_blas


def test_ceilings_cached_without_a_header_copy_get_one_when_used(
    fake_measure: FakeMeasure, key: str
) -> None:
    """A cache written before the header kept its own copy: the first run that uses the
    cached ceilings keeps one, so the header says "cached" from then on."""
    store = DictStore()
    store.data[key] = PRESET
    assert SharedCalibration(store=store).shown() is None
    assert SharedCalibration(store=store)() == PRESET
    assert fake_measure.calls == 0
    assert store.data[SHOWN] == PRESET
    assert SharedCalibration(store=store).shown() == (PRESET, "cached")
    store.puts.clear()
    SharedCalibration(store=store)()
    assert store.puts == []  # already there: not written again
