"""The object behind the roofline fixture, and the run lock it measures under."""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Recorder, bound, kernels
from pytest_roofline.errors import (
    DeclarationError,
    UnknownNameError,
)
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.recorder import Recheck

NODEID = "tests/test_x.py::test_x"
# matmul 1024^3 fp32: 2 * 1024^3 FLOPs, 4 B * 3 * 1024^2 bytes (reference notes,
# "Matrix Multiplication").
GEMM = kernels.matmul(1024, 1024, 1024, "fp32")
GEMM_FLOPS = 2 * 1024**3
GEMM_BYTES = 4 * 3 * 1024**2


def recorder(**options: Any) -> Recorder:
    """A recorder whose session default hardware is the H100 SXM."""
    return Recorder(NODEID, catalog=default_catalog(), default_hardware="h100-sxm", **options)


def test_declare_returns_the_bound() -> None:
    r = recorder()
    b = r.declare(GEMM)
    assert b == bound(GEMM, "h100-sxm")
    assert r.bound == b
    assert r.declared
    assert r.work == GEMM
    assert r.hardware.name == "h100-sxm"


def test_declare_rejects_a_non_kernel() -> None:
    with pytest.raises(DeclarationError, match="needs a Kernel"):
        recorder().declare("matmul")  # type: ignore[arg-type]


def test_hardware_precedence_declare_over_constructor_over_default() -> None:
    assert recorder().declare(GEMM).hardware == "h100-sxm"
    r = recorder(hardware="a100-sxm4-80gb")
    assert r.declare(GEMM).hardware == "a100-sxm4-80gb"
    assert r.declare(GEMM, hardware="l4").hardware == "l4"


def test_declare_accepts_a_hardware_object_and_aliases() -> None:
    box = Hardware(name="box", peak_flops={"fp32": "1 TFLOP/s"}, memory_bandwidth="50 GB/s")
    assert recorder().declare(GEMM, hardware=box).hardware == "box"
    assert recorder().declare(GEMM, hardware="H100").hardware == "h100-sxm"


def test_declare_rejects_unknown_hardware_with_suggestions() -> None:
    with pytest.raises(UnknownNameError) as caught:
        recorder().declare(GEMM, hardware="h100-sxn")
    assert "h100-sxm" in caught.value.suggestions


def test_report_seconds() -> None:
    r = recorder()
    r.declare(GEMM)
    m = r.report(seconds=0.002)
    assert m.median == 0.002
    assert m.reported
    assert r.measurement == m


def test_report_flops_per_second_is_converted_with_the_declared_flops() -> None:
    r = recorder()
    r.declare(GEMM)
    # time = FLOPs / achieved FLOP rate.
    m = r.report(flops_per_second=1e12)
    assert m.median == pytest.approx(GEMM_FLOPS / 1e12)


def test_report_bytes_per_second_is_converted_with_the_declared_bytes() -> None:
    r = recorder()
    r.declare(GEMM)
    # time = bytes / achieved bandwidth.
    m = r.report(bytes_per_second=2e11)
    assert m.median == pytest.approx(GEMM_BYTES / 2e11)


def test_report_flops_per_second_of_a_kernel_without_flops() -> None:
    r = recorder()
    r.declare(kernels.copy(1000))
    with pytest.raises(DeclarationError, match="does no FLOPs"):
        r.report(flops_per_second=1e9)


@pytest.mark.parametrize(
    "figures",
    [{}, {"seconds": 1.0, "flops_per_second": 1e12}, {"seconds": 1.0, "bytes_per_second": 1e9}],
)
def test_report_needs_exactly_one_figure(figures: dict[str, float]) -> None:
    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError, match="exactly one of") as caught:
        r.report(**figures)
    message = str(caught.value)
    assert "\n" not in message
    for name in figures:
        assert name in message
    if not figures:
        assert "none" in message
    assert r.measurement is None


def test_report_of_an_array_is_a_declaration_error() -> None:
    """numpy arrays compare element-wise: telling given figures from missing ones must
    not ask an array for its truth value."""
    np = pytest.importorskip("numpy")
    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError, match="seconds must be a finite number > 0"):
        r.report(seconds=np.array([1e-3, 2e-3]))


def test_report_tokens_per_second_on_a_kernel() -> None:
    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError, match="tokens_per_second= does not apply to a kernel"):
        r.report(tokens_per_second=1000.0)


@pytest.mark.parametrize("value", [0, 0.0, -1.0, math.nan, math.inf, True, "1 s"])
@pytest.mark.parametrize("name", ["seconds", "flops_per_second", "bytes_per_second"])
def test_report_rejects_bad_values(name: str, value: object) -> None:
    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError, match=f"{name} must be a finite number > 0"):
        r.report(**{name: value})  # type: ignore[arg-type]


def test_measure_before_declare() -> None:
    calls = []
    with pytest.raises(DeclarationError, match="no work declared"):
        recorder().measure(lambda: calls.append(1))
    assert calls == []  # nothing timed


def test_report_before_declare() -> None:
    with pytest.raises(DeclarationError, match="no work declared"):
        recorder().report(seconds=1.0)


def test_measure_after_declare_records_the_measurement() -> None:
    r = recorder()
    r.declare(GEMM)
    seen = []
    m = r.measure(seen.append, "arg", warmup=0, rounds=3)
    assert m.rounds == 3
    assert r.measurement == m
    assert set(seen) == {"arg"}


def test_utilization_is_bound_over_measured() -> None:
    r = recorder()
    assert r.utilization is None
    b = r.declare(GEMM)
    assert r.utilization is None
    # Utilization = bound time / measured time (DESIGN section 2).
    r.report(seconds=4 * b.seconds)
    assert r.utilization == pytest.approx(0.25)


def test_declaring_again_drops_the_previous_measurement() -> None:
    r = recorder()
    r.declare(GEMM)
    r.report(seconds=1.0)
    r.declare(kernels.dot(1000))
    assert r.measurement is None
    assert r.utilization is None


def test_result_uses_the_constructor_budget_first() -> None:
    r = recorder(min_utilization=0.5)
    b = r.declare(GEMM)
    r.report(seconds=b.seconds / 0.4)  # 40 % of the bound
    result = r.result(0.1)
    assert result.min_utilization == 0.5
    assert result.outcome == "failed"
    assert result.nodeid == NODEID


def test_result_falls_back_to_the_default_budget() -> None:
    r = recorder()
    b = r.declare(GEMM)
    r.report(seconds=b.seconds / 0.4)
    assert r.result(0.5).outcome == "failed"
    assert r.result(0.3).outcome == "passed"
    assert r.result().outcome == "passed"
    assert r.result().min_utilization is None


def test_result_without_measurement_is_unmeasured() -> None:
    r = recorder(kernel=GEMM)
    assert r.result(0.5).outcome == "unmeasured"


@pytest.mark.parametrize(
    "figure", [None, {"seconds": 1e-3}, {"seconds": 1e-9}, {"flops_per_second": 1e12}]
)
def test_record_is_the_result_as_json(figure: dict[str, float] | None) -> None:
    """The plugin serializes record() itself; it must be what result() holds, to the key
    (unmeasured, passed, impossible and a converted figure alike)."""
    import pydantic_core

    r = recorder(kernel=GEMM, min_utilization=0.5)
    if figure is not None:
        r.report(**figure)
    record = r.record()
    result = r.result()
    assert Result.model_validate(record) == result
    assert json.loads(pydantic_core.to_json(record)) == json.loads(result.model_dump_json())


def test_measured_record_is_the_result_as_json() -> None:
    r = recorder(kernel=kernels.dot(1000, "fp32"), hardware="h100-sxm")
    r.measure(lambda: None, rounds=7, warmup=1)
    assert Result.model_validate(r.record()).model_dump() == r.result().model_dump()


def test_result_before_declare() -> None:
    with pytest.raises(DeclarationError, match="no work declared"):
        recorder().result()


# -- RunLock ------------------------------------------------------------------------------


def _can_lock(path: Path) -> bool:
    """Whether another open file description can take the lock now (flock(2) semantics)."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True
    finally:
        os.close(handle)


def test_runlock_without_folder_is_a_no_op(tmp_path: Path) -> None:
    lock = RunLock(None)
    with lock.held(), lock.held():
        pass
    assert list(tmp_path.iterdir()) == []


def test_runlock_is_reentrant_and_exclusive(tmp_path: Path) -> None:
    lock = RunLock(tmp_path)
    path = tmp_path / "measure.lock"
    with lock.held():
        assert not _can_lock(path)
        with lock.held():
            assert not _can_lock(path)
        assert not _can_lock(path)  # still held by the outer block
    assert _can_lock(path)
    with lock.held():  # and it can be taken again
        assert not _can_lock(path)
    assert _can_lock(path)


def test_recorder_measures_under_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "measure.lock"
    r = recorder(lock=RunLock(tmp_path))
    r.declare(GEMM)
    seen: list[bool] = []
    r.measure(lambda: seen.append(_can_lock(path)), warmup=0, rounds=1)
    assert seen
    assert not any(seen)
    assert _can_lock(path)


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
