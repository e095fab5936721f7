"""Verdicts checked again before they stand (verdict/recheck.py): an impossible result on
measured ceilings probes them again, a failure or a regression is measured again."""

from __future__ import annotations

import time

import pytest

from pytest_roofline import Hardware, Recorder, kernels
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.recheck import Recheck
from pytest_roofline.verdict.record import Result

MEASURED = Hardware(
    name="local",
    peak_flops={"fp32": 1e11},
    memory_bandwidth=2e10,
    ceiling_uncertainty=0.1,
    measured=True,
)


class FixedProbe(PairedCalibration):
    """A probe of the binding resource that always reads ``rate`` (no numpy runs)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.fixed = rate
        self.calls = 0

    def rate(self, bound: Bound, working_set: float | None = None) -> float | None:
        self.calls += 1
        return self.fixed


NO_PAUSE = Recheck(pauses=(0.0,))


def _on_measured(probe_rate: float) -> tuple[Recorder, FixedProbe, list[Hardware]]:
    kept: list[Hardware] = []

    def raise_local(fresh: Hardware) -> Hardware:
        kept.append(fresh)
        return fresh

    probe = FixedProbe(probe_rate)
    recorder = Recorder(
        "t", catalog=default_catalog(), raise_local=raise_local, prober=probe, recheck=NO_PAUSE
    )
    # copy of 1e6 fp32: 8e6 bytes at 2e10 B/s is a 400 µs bound.
    recorder.declare(kernels.copy(1_000_000), hardware=MEASURED)
    return recorder, probe, kept


def test_impossible_on_measured_hardware_probes_again_before_judging() -> None:
    # 300 µs is faster than the 400 µs bound beyond ±10 %: impossible on the first
    # ceilings. The probe now reads 4e10 B/s: the bound is 200 µs, and 300 µs is 66.7 %.
    recorder, probe, kept = _on_measured(4e10)
    recorder.report(seconds=300e-6)
    result = recorder.result()
    assert probe.calls == 1
    assert [hw.memory_bandwidth for hw in kept] == [4e10]
    assert result.outcome == "passed"
    assert result.utilization == pytest.approx(200 / 300)
    assert result.hardware_spec["memory_bandwidth"] == 4e10


def test_still_impossible_after_probing_again_is_impossible() -> None:
    # The probe never beats the ceiling: probed once at once, then in two later checks
    # that found the machine quiet, after which the verdict stands.
    recorder, probe, kept = _on_measured(2e10)
    result = recorder.result()  # nothing measured yet: unmeasured, no probe
    assert result.outcome == "unmeasured"
    recorder.report(seconds=100e-6)
    result = recorder.result()
    assert result.outcome == "impossible"
    assert probe.calls == 3
    assert kept == []
    assert any("checked 2 more time(s)" in note for note in result.notes)


def test_a_result_at_the_roof_probes_again_before_it_is_capped() -> None:
    # 380 µs against the 400 µs bound is 105 %: within the ceilings' ±10 %, so not
    # impossible, but still evidence that 2e10 B/s was measured low. The probe reads
    # 2.2e10 B/s: the bound is 363.6 µs, and 380 µs is 95.7 % of it, not a capped 100 %.
    recorder, probe, kept = _on_measured(2.2e10)
    recorder.report(seconds=380e-6)
    result = recorder.result()
    assert probe.calls == 1
    assert [hw.memory_bandwidth for hw in kept] == [2.2e10]
    assert result.utilization == pytest.approx(8e6 / 2.2e10 / 380e-6)
    assert result.raw_utilization == result.utilization


def test_catalog_hardware_is_never_probed() -> None:
    probe = FixedProbe(1e20)
    recorder = Recorder("t", catalog=default_catalog(), prober=probe, recheck=NO_PAUSE)
    recorder.declare(kernels.copy(1_000_000), hardware="h100-sxm")
    recorder.report(seconds=1e-9)
    assert recorder.result().outcome == "impossible"
    assert probe.calls == 0


def test_a_failing_verdict_is_measured_again_and_a_quiet_failure_stands() -> None:
    # A 100 µs sleep is far slower than the bound: it is measured again twice (the
    # machine reads quiet: no pause is long enough to tell otherwise, and catalog
    # hardware has no probe), then the failure stands.
    recorder = Recorder("t", catalog=default_catalog(), min_utilization=0.4, recheck=NO_PAUSE)
    recorder.declare(kernels.copy(1_000_000), hardware="h100-sxm")  # a 2.4 µs bound
    recorder.measure(time.sleep, 1e-4, warmup=1, rounds=6)
    result = recorder.result()
    assert result.outcome == "failed"
    # Two more measurements of six rounds, each its own window.
    assert result.statistics is not None
    assert len(result.statistics["windows"]) == 18
    assert any("checked 2 more time(s)" in note for note in result.notes)


def test_a_failure_that_does_not_persist_passes() -> None:
    # The first measurement is slow (a neighbour's burst); the re-measurement is fast:
    # the best stretch reaches the budget and the test passes.
    spin = [5e-3]

    def fn() -> None:
        end = time.perf_counter() + spin[0]
        while time.perf_counter() < end:
            pass

    work = kernels.custom("spin", flops=0, bytes=1e6)  # 1 MB at 3.35 TB/s: ~0.3 µs
    device = Hardware(name="spin-box", peak_flops={"fp32": 1e9}, memory_bandwidth=1e9)
    recorder = Recorder("t", catalog=default_catalog(), min_utilization=0.4, recheck=NO_PAUSE)
    recorder.declare(work, hardware=device)  # bound 1 ms
    recorder.measure(fn, warmup=1, rounds=6)
    spin[0] = 1e-3 / 0.9  # 90 % of the bound from now on
    result = recorder.result()
    assert result.outcome == "passed"
    assert result.utilization == pytest.approx(0.9, rel=0.1)
    assert result.median_utilization is not None
    assert result.median_utilization < 0.4


def test_a_check_stands_after_quiet_checks_only_once_its_minimum_time_passed() -> None:
    assert Recheck().done(quiet=2, elapsed=0.0)
    assert not Recheck().done(quiet=1, elapsed=100.0)
    assert not Recheck(min_seconds=3.0).done(quiet=5, elapsed=2.9)
    assert Recheck(min_seconds=3.0).done(quiet=2, elapsed=3.0)
    # Without quiet checks, only the time ends it (see _check_again).
    assert not Recheck(quiet_checks=None).done(quiet=100, elapsed=100.0)


def test_a_regression_is_measured_again_until_it_is_gone_or_the_time_is_up() -> None:
    recorder = Recorder("t", catalog=default_catalog(), recheck=NO_PAUSE)
    recorder.declare(kernels.copy(1_000_000), hardware="h100-sxm")
    recorder.measure(time.sleep, 1e-4, warmup=1, rounds=6)
    first = recorder.result()
    # Still "regressed" however often it is measured: checked until 0.3 s are up.
    persistent = Recheck(pauses=(0.0,), seconds=0.3, quiet_checks=None)
    started = time.monotonic()
    confirmed = recorder.confirm(first, lambda _: True, recheck=persistent)
    assert time.monotonic() - started >= 0.3
    assert confirmed.statistics is not None
    assert len(confirmed.statistics["windows"]) > 12
    assert not any("not seen quiet" in note for note in confirmed.notes)
    # A drop that is gone after one more measurement stops there.
    seen: list[int] = []

    def regressed(result: Result) -> bool:
        seen.append(1)
        return len(seen) == 1

    again = recorder.confirm(first, regressed, recheck=persistent)
    assert len(seen) == 2
    assert any("checked 1 more time(s)" in note for note in again.notes)
