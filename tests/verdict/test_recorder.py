"""The object behind the roofline fixture (verdict/recorder.py): declare, measure,
report, and the run lock it measures under."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Recorder, bound, kernels
from pytest_roofline.errors import (
    DeclarationError,
    UnknownNameError,
)
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.record import Result

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


@pytest.mark.parametrize("value", [0, 0.0, -1.0, math.nan, math.inf, True, "0 UNIT", "-1 UNIT"])
@pytest.mark.parametrize("name", ["seconds", "flops_per_second", "bytes_per_second"])
def test_report_rejects_bad_values(name: str, value: object) -> None:
    r = recorder()
    r.declare(GEMM)
    if isinstance(value, str):  # a quantity with the figure's own unit
        unit = {"seconds": "ms", "flops_per_second": "TFLOP/s", "bytes_per_second": "GB/s"}
        value = value.replace("UNIT", unit[name])
    with pytest.raises(DeclarationError, match=f"{name} must be a finite number > 0"):
        r.report(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "text", "seconds"),
    [
        # The GEMM's 2 * 1024^3 FLOPs and 12 MiB (GEMM_FLOPS, GEMM_BYTES above).
        ("seconds", "1.2 ms", 1.2e-3),
        ("seconds", "850 us", 850e-6),
        ("flops_per_second", "100 TFLOP/s", GEMM_FLOPS / 100e12),
        ("bytes_per_second", "3.35 TB/s", GEMM_BYTES / 3.35e12),
    ],
)
def test_report_takes_a_figure_with_its_unit(name: str, text: str, seconds: float) -> None:
    r = recorder()
    r.declare(GEMM)
    assert r.report(**{name: text}).median == pytest.approx(seconds, rel=1e-12)


def test_a_figure_in_the_wrong_unit_is_one_line_naming_it() -> None:
    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError) as error:
        r.report(flops_per_second="1 s")
    assert str(error.value) == (
        "report(): flops_per_second: unknown unit 's' in '1 s' for a FLOP rate; expected"
        " FLOP/s with an SI prefix, e.g. '2 TFLOP/s'"
    )


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


def test_recorder_measures_under_its_lock(tmp_path: Path, can_lock: Callable[[Path], bool]) -> None:
    path = tmp_path / "measure.lock"
    r = recorder(lock=RunLock(tmp_path))
    r.declare(GEMM)
    seen: list[bool] = []
    r.measure(lambda: seen.append(can_lock(path)), warmup=0, rounds=1)
    assert seen
    assert not any(seen)
    assert can_lock(path)


def test_numpy_scalars_are_reported_figures() -> None:
    import numpy as np

    recorder = Recorder(
        "t::x", catalog=default_catalog(), hardware="h100-sxm", kernel=kernels.copy(1000)
    )
    assert recorder.report(seconds=np.float32(1e-4)).median == pytest.approx(1e-4)
    assert recorder.report(seconds=np.int64(1)).median == 1.0


def test_an_option_the_function_also_takes_is_an_error_not_a_theft() -> None:
    calls: list[int] = []

    def step(rounds: int = 1) -> None:
        calls.append(rounds)

    r = recorder()
    r.declare(GEMM)
    with pytest.raises(DeclarationError) as error:
        r.measure(step, rounds=3)
    assert str(error.value) == (
        "measure(): rounds=3 is measure's own option, and step takes rounds too; pass the"
        " function's as kwargs={'rounds': ...} (measure's options then stay its own)"
    )
    assert calls == []  # nothing ran with its argument taken
    # kwargs= says which is which: measure runs 5 rounds, the function gets rounds=3.
    measured = r.measure(step, rounds=5, warmup=1, max_time=0.05, kwargs={"rounds": 3})
    assert measured.rounds == 5
    assert set(calls) == {3}
    with pytest.raises(DeclarationError, match="either in kwargs= or loose, not both"):
        r.measure(step, kwargs={"rounds": 3}, other=1)


def test_options_the_function_does_not_take_stay_measures() -> None:
    seen: list[tuple[int, int]] = []
    r = recorder()
    r.declare(GEMM)
    r.measure(lambda a, b=0: seen.append((a, b)), 7, b=2, rounds=5, warmup=1, max_time=0.05)
    assert set(seen) == {(7, 2)}


def test_a_second_figure_replaces_the_first_and_the_record_says_so() -> None:
    r = recorder()
    r.declare(GEMM)
    r.report(seconds=2e-3)
    assert not any("ran" in note for note in r.record()["notes"])
    r.report(seconds=1e-3)
    record = r.record()
    assert record["measured_seconds"] == 1e-3
    assert "measure() or report() ran 2 times; the last figure is judged" in record["notes"]
