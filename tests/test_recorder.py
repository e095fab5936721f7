"""The object behind the roofline fixture, and the run lock it measures under."""

from __future__ import annotations

import fcntl
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Recorder, bound, kernels
from pytest_roofline.errors import DeclarationError, UnknownNameError
from pytest_roofline.hardware import default_catalog
from pytest_roofline.results import Result
from pytest_roofline.runlock import RunLock

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


def _on_measured(refreshed: Hardware) -> tuple[Recorder, list[int]]:
    calls: list[int] = []

    def refresh() -> Hardware:
        calls.append(1)
        return refreshed

    recorder = Recorder("t", catalog=default_catalog(), refresh_local=refresh)
    # copy of 1e6 fp32: 8e6 bytes at 2e10 B/s is a 400 µs bound.
    recorder.declare(kernels.copy(1_000_000), hardware=MEASURED)
    return recorder, calls


def test_impossible_on_measured_hardware_recalibrates_before_judging() -> None:
    # 300 µs is faster than the 400 µs bound beyond ±10 %: impossible on the first
    # ceilings. Re-measured at 4e10 B/s the bound is 200 µs, and 300 µs is 66.7 % of it.
    recorder, calls = _on_measured(MEASURED.model_copy(update={"memory_bandwidth": 4e10}))
    recorder.report(seconds=300e-6)
    result = recorder.result()
    assert calls == [1]
    assert result.outcome == "passed"
    assert result.utilization == pytest.approx(200 / 300)
    assert result.hardware_spec["memory_bandwidth"] == 4e10


def test_still_impossible_after_recalibration_is_impossible() -> None:
    recorder, calls = _on_measured(MEASURED)
    recorder.report(seconds=100e-6)
    assert recorder.result().outcome == "impossible"
    assert calls == [1]


def test_catalog_hardware_is_never_recalibrated() -> None:
    calls: list[int] = []

    def refresh() -> Hardware:
        calls.append(1)
        return MEASURED

    recorder = Recorder("t", catalog=default_catalog(), refresh_local=refresh)
    recorder.declare(kernels.copy(1_000_000), hardware="h100-sxm")
    recorder.report(seconds=1e-9)
    assert recorder.result().outcome == "impossible"
    assert calls == []
