"""The timing harness and the noise-aware verdict, with fake functions and figures."""

from __future__ import annotations

import math
import sys
import types

import pytest

from pytest_roofline import DeclarationError, Measurement, bound, kernels
from pytest_roofline.measurement import timing
from pytest_roofline.measurement.timing import measure
from pytest_roofline.verdict.record import evaluate

# matmul 1024^3 fp32 on an H100 SXM: 2 * 1024**3 / 67e12 = 32.05 µs (NVIDIA datasheet).
GEMM = kernels.matmul(1024, 1024, 1024, "fp32")
BOUND = bound(GEMM, "h100-sxm")


def judged(samples: list[float], budget: float | None = 0.4):
    return judged_measurement(Measurement.from_samples(samples), budget)


def judged_measurement(measurement: Measurement, budget: float | None = 0.4, bound_=BOUND):
    return evaluate(
        nodeid="t.py::t",
        label=GEMM.label,
        workload=GEMM.model_dump(),
        hardware_spec={"memory_bandwidth": 3.35e12, "peak_flops": {"fp32": 67e12}},
        bound=bound_,
        measurement=measurement,
        min_utilization=budget,
    )


def test_a_failure_rests_on_the_best_stretch() -> None:
    t = BOUND.seconds
    assert judged([2 * t] * 20).outcome == "passed"
    # Rounds at 3x the bound in every window: 33 % in the best stretch, below 40 %.
    result = judged([3 * t] * 20)
    assert result.outcome == "failed"
    assert result.verdict_figure == "best stretch"
    assert result.utilization == pytest.approx(1 / 3)
    assert result.utilization_ci == pytest.approx((1 / 3, 1 / 3))
    assert (
        "reached 33.3% of its bound in its best stretch, budget 40.0%;"
        " median 33.3% (95% CI 33.3%-33.3%)" in result.message
    )


def test_a_neighbours_burst_cannot_fail_a_test_whose_best_stretch_reaches_the_budget() -> None:
    # A measurement and a re-measurement, 12 windows of 4 rounds: a burst of load slows
    # the first six windows to 4x the bound (25 %); the next six run at 2x (50 %). The
    # median (3x, 33 %) is below a 40 % budget; the best stretch, the lowest median of
    # six windows in a row, is what the code can do, and noise only slows.
    t = BOUND.seconds
    measurement = Measurement.from_samples([4 * t] * 24 + [2 * t] * 24, window_sizes=[4] * 12)
    result = judged_measurement(measurement)
    assert result.median_utilization == pytest.approx(1 / 3)
    assert result.utilization == pytest.approx(0.5)
    assert result.measured_seconds == pytest.approx(2 * t)
    assert result.verdict_figure == "best stretch"
    assert result.outcome == "passed"
    # The interval comes from the 12 windows (not the 48 rounds as if independent): for
    # 12 it is the 3rd to the 10th fastest window (Conover, table A3), 25 %-50 %.
    low, high = result.utilization_ci
    assert (low, high) == pytest.approx((0.25, 0.5))
    assert low <= result.median_utilization <= high


def test_a_lone_fast_window_is_not_the_verdict() -> None:
    # Five windows at 2.5x the bound and one at 1x: the best window reads 100 %, the best
    # stretch (the median of the six) 40 %.
    t = BOUND.seconds
    measurement = Measurement.from_samples([2.5 * t] * 20 + [t] * 4, window_sizes=[4] * 6)
    assert measurement.best_window == pytest.approx(t)
    result = judged_measurement(measurement, budget=0.5)
    assert result.utilization == pytest.approx(0.4)
    assert result.outcome == "failed"


def test_a_value_is_never_shown_outside_its_own_interval() -> None:
    # A stretch faster than the bound within the ceilings' uncertainty is capped at the
    # roof, and the message says so beside the raw figure; the median's interval is not
    # capped, so the median stays inside it.
    t = BOUND.seconds
    measurement = Measurement.from_samples([0.95 * t] * 24 + [1.5 * t] * 12, window_sizes=[4] * 9)
    result = judged_measurement(
        measurement, bound_=BOUND.model_copy(update={"ceiling_uncertainty": 0.1})
    )
    assert result.outcome == "passed"
    assert result.utilization == 1.0
    assert result.raw_utilization == pytest.approx(1 / 0.95)
    assert "reached 100.0% (capped at the roof: 105.3% measured) of its bound" in result.message
    low, high = result.utilization_ci
    assert low <= result.median_utilization <= high
    assert f"median {result.median_utilization:.1%} (95% CI {low:.1%}-{high:.1%})" in result.message


def test_impossible_needs_even_the_slowest_plausible_round_faster() -> None:
    t = BOUND.seconds
    assert judged([0.5 * t] * 20, None).outcome == "impossible"
    # Half the rounds faster than the bound, half slower: not evidence of impossibility.
    mixed = [0.9 * t] * 10 + [1.2 * t] * 10
    assert judged(mixed, None).outcome == "passed"


def test_measure_subtracts_the_loop_overhead(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a fake clock: every call the timing loop makes costs 40 ns (what a call of a
    function doing nothing costs in the same loop), and the work 100 ns more. One call is
    100 ns."""
    now = [0]
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter_ns=lambda: now[0]))

    def work() -> None:
        now[0] += 100

    loop: list[types.CodeType] = []  # the code of the loop that calls work, once seen

    def call_cost(frame: types.FrameType, event: str, arg: object) -> None:
        caller = frame.f_back
        if event != "call" or caller is None:
            return
        if not loop and frame.f_code is work.__code__:
            loop.append(caller.f_code)
        if loop and caller.f_code is loop[0]:
            now[0] += 40

    before = sys.getprofile()
    sys.setprofile(call_cost)
    try:
        m = measure(work, max_time=0.05)
    finally:
        sys.setprofile(before)
    assert m.loops == math.ceil(1e-4 * 1e9 / 140)  # rounds sized to last MIN_ROUND_SECONDS
    assert m.median == pytest.approx(100e-9)  # 140 ns without the subtraction
    assert m.min == pytest.approx(100e-9)
    assert m.cv == pytest.approx(0, abs=1e-12)


def test_measure_notes_a_call_longer_than_the_budget() -> None:
    import time

    m = measure(time.sleep, 0.03, max_time=0.01)
    assert m.rounds == 1
    assert any("longer" in note or "budget" in note for note in m.notes)


def test_an_exception_from_the_function_propagates() -> None:
    def boom() -> None:
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        measure(boom)


def test_merged_measurements_pool_their_rounds() -> None:
    a = Measurement.from_samples([1.0, 2.0, 3.0])
    b = Measurement.from_samples([4.0, 5.0])
    merged = a.merged(b)
    assert merged.rounds == 5
    assert merged.median == 3.0


class FakeEvent:
    """A CUDA event that says 2 ms passed between start and end."""

    def __init__(self, enable_timing: bool = False) -> None:
        assert enable_timing
        self.recorded = False

    def record(self) -> None:
        self.recorded = True

    def synchronize(self) -> None:
        assert self.recorded

    def elapsed_time(self, end: FakeEvent) -> float:
        return 2.0  # milliseconds, as torch reports


def fake_torch(available: bool) -> types.ModuleType:
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        is_available=lambda: available, Event=FakeEvent
    )
    return torch


def test_cuda_timer_uses_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(True))
    calls: list[int] = []
    m = measure(lambda: calls.append(1), timer="cuda", warmup=1, rounds=4)
    assert m.rounds == 4
    assert m.median == pytest.approx(2e-3)  # one call per round: 2 ms of device time
    assert len(calls) == 1 + 4


def test_cuda_timer_without_a_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(False))
    with pytest.raises(DeclarationError, match='timer="cuda" needs a CUDA device'):
        measure(lambda: None, timer="cuda")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(DeclarationError, match="needs torch"):
        measure(lambda: None, timer="cuda")
    with pytest.raises(DeclarationError, match="timer must be one of"):
        measure(lambda: None, timer="sundial")


def test_a_warm_up_that_never_settles_is_noted() -> None:
    # Alternating 0 and 2 ms calls: no three in a row agree within 5 %.
    import time

    state = {"slow": False}

    def jumpy() -> None:
        state["slow"] = not state["slow"]
        if state["slow"]:
            time.sleep(0.002)

    m = measure(jumpy, max_time=0.05)
    assert any("warm-up did not settle" in note for note in m.notes)


def test_paired_statistics_multiply_each_round_by_the_reference_rate() -> None:
    # Rounds of 1, 2, 4 s with the reference at 4, 2, 1 units/s: the machine was slower
    # exactly when the rounds were, so every product is 4.
    m = Measurement.from_samples([1.0, 2.0, 4.0], references=[4.0, 2.0, 1.0])
    assert m.paired == {"median": 4.0, "p10": 4.0, "ci_low": 4.0, "ci_high": 4.0}
    assert m.median == 2.0  # the raw statistics are untouched
    merged = m.merged(Measurement.from_samples([8.0], references=[1.0]))
    assert merged.paired is not None
    assert merged.paired["median"] == 4.0  # products 4, 4, 4, 8
    assert Measurement.from_samples([1.0, 2.0]).paired is None


def test_measure_times_the_reference_after_every_round() -> None:
    calls: list[int] = []

    def reference() -> float:
        calls.append(1)
        return 2.0

    m = measure(lambda: None, reference=reference, rounds=7, warmup=1)
    assert len(calls) == 7
    assert m.paired is not None
    assert m.paired["median"] == pytest.approx(2.0 * m.median)


def test_a_slow_first_call_is_warm_up_not_the_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a fake clock: the first call takes 60 ms (a compilation, a lazy set-up), every
    later one 150 ns. The warm-up outlasts the first call, and the rounds are sized and
    timed on the later calls: 150 ns each, 667 calls a round, no 'one round' note."""
    now = [0]
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter_ns=lambda: now[0]))
    calls = [0]

    def lazy() -> None:
        calls[0] += 1
        now[0] += 60_000_000 if calls[0] == 1 else 150

    m = measure(lazy, max_time=0.2)
    assert m.loops == math.ceil(1e-4 * 1e9 / 150)
    assert m.median == pytest.approx(150e-9)
    assert m.rounds >= 5
    assert not m.notes


@pytest.mark.parametrize(
    ("rounds", "note"),
    [
        # [min, max] of n rounds misses the median only if all n fall on one side of it:
        # coverage 1 - 2 · (1/2)^n.
        (2, "2 windows: the interval [fastest, slowest] covers the median with 50.0% confidence"),
        (5, "5 windows: the interval [fastest, slowest] covers the median with 93.8% confidence"),
        (1, "one window: no interval, the verdict rests on a single stretch"),
    ],
)
def test_few_rounds_say_how_much_their_interval_covers(rounds: int, note: str) -> None:
    m = Measurement.from_samples([1.0 + i for i in range(rounds)])
    assert any(n.startswith(note) for n in m.notes)
    assert not Measurement.from_samples([1.0 + i for i in range(6)]).notes


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_time_budget_that_is_not_finite_is_one_line(value: float) -> None:
    with pytest.raises(DeclarationError, match="max_time must be a number > 0"):
        measure(lambda: None, max_time=value)


def test_numpy_scalars_are_reported_figures() -> None:
    import numpy as np

    from pytest_roofline.specs.hardware import default_catalog
    from pytest_roofline.verdict.recorder import Recorder

    recorder = Recorder(
        "t::x", catalog=default_catalog(), hardware="h100-sxm", kernel=kernels.copy(1000)
    )
    assert recorder.report(seconds=np.float32(1e-4)).median == pytest.approx(1e-4)
    assert recorder.report(seconds=np.int64(1)).median == 1.0
