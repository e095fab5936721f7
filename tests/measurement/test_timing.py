"""The timing harness (measurement/timing.py): measure() on real functions, and on fake
functions, clocks and CUDA events."""

from __future__ import annotations

import gc
import math
import sys
import time
import types

import pytest

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement import timing
from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.measurement.timing import measure


class Counter:
    """A callable that counts its calls and remembers the arguments and gc state."""

    def __init__(self, sleep: float = 0.0) -> None:
        self.calls = 0
        self.sleep = sleep
        self.arguments: list[tuple[tuple[object, ...], dict[str, object]]] = []
        self.gc_enabled_during: set[bool] = set()

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        self.arguments.append((args, kwargs))
        self.gc_enabled_during.add(gc.isenabled())
        if self.sleep:
            time.sleep(self.sleep)


# A call that sleeps >= 0.2 ms is longer than the harness's 0.1 ms round, so every round
# is a single call (loops = ceil(0.1 ms / first call) = 1) whatever the machine's load.
SLOW = 2e-4


def test_measure_passes_args_and_kwargs_but_not_its_own_options() -> None:
    fn = Counter()
    sync = Counter()
    m = measure(fn, 1, "two", sync=sync, warmup=1, rounds=5, max_time=1.0, key="value", n=3)
    assert fn.calls > 0
    assert all(call == ((1, "two"), {"key": "value", "n": 3}) for call in fn.arguments)
    assert m.rounds == 5


def test_measure_calls_sync_once_after_every_call() -> None:
    order: list[str] = []
    m = measure(lambda: order.append("fn"), sync=lambda: order.append("sync"), warmup=2, rounds=6)
    assert m.rounds == 6
    assert order.count("fn") == order.count("sync") > 0
    assert order == ["fn", "sync"] * order.count("fn")


@pytest.mark.parametrize("rounds", [1, 5, 7, 12])
def test_measure_gives_exactly_the_rounds_asked(rounds: int) -> None:
    fn = Counter(sleep=SLOW)
    m = measure(fn, warmup=2, rounds=rounds)
    assert m.rounds == rounds
    assert m.loops == 1
    # Timed calls are rounds x loops; before them come exactly the warm-up calls (the
    # first of which also sizes the rounds).
    assert fn.calls - m.rounds * m.loops == 2


def test_measure_allows_no_warmup() -> None:
    fn = Counter(sleep=SLOW)
    m = measure(fn, warmup=0, rounds=3)
    assert m.rounds == 3
    # One untimed call always runs: its duration sizes the rounds.
    assert fn.calls - m.rounds * m.loops == 1


def test_measure_statistics_are_ordered_and_positive() -> None:
    m = measure(Counter(sleep=SLOW), warmup=1, rounds=8)
    assert m.min > 0
    assert m.min <= m.median
    assert m.ci_low <= m.median <= m.ci_high
    assert m.iqr >= 0
    assert m.cv >= 0
    assert not m.reported


def test_measure_default_rounds_respects_the_minimum() -> None:
    # With no rounds given, as many as fit in max_time, and never fewer than 5.
    m = measure(Counter(), warmup=1, max_time=0.01)
    assert m.rounds >= 5


def test_measure_disables_gc_while_timing_and_restores_it() -> None:
    assert gc.isenabled()
    fn = Counter()
    measure(fn, warmup=1, rounds=3)
    assert fn.gc_enabled_during == {False}
    assert gc.isenabled()


def test_measure_restores_gc_when_fn_raises() -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        measure(boom, warmup=0, rounds=1)
    assert gc.isenabled()


def test_measure_leaves_gc_disabled_if_it_was_disabled() -> None:
    gc.disable()
    try:
        measure(Counter(), warmup=1, rounds=2)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("options", "culprit"),
    [
        ({"rounds": 0}, "rounds"),
        ({"rounds": -1}, "rounds"),
        ({"rounds": 1.5}, "rounds"),
        ({"rounds": True}, "rounds"),
        ({"max_time": 0}, "max_time"),
        ({"max_time": -0.5}, "max_time"),
        ({"warmup": -1}, "warmup"),
        ({"warmup": 2.0}, "warmup"),
        ({"sync": "x"}, "sync"),
    ],
)
def test_measure_rejects_bad_options(options: dict[str, object], culprit: str) -> None:
    fn = Counter()
    with pytest.raises(DeclarationError, match=culprit):
        measure(fn, **options)  # type: ignore[arg-type]
    assert fn.calls == 0  # rejected before anything runs


def test_measure_rejects_a_non_callable() -> None:
    with pytest.raises(DeclarationError, match="callable"):
        measure(42)  # type: ignore[arg-type]


def test_measure_times_in_windows_across_the_budget() -> None:
    m = measure(time.sleep, 0.002, warmup=1, max_time=0.12)
    # About 0.09 s of rounds of one 2 ms sleep: six windows of several rounds each.
    assert len(m.windows) == 6
    assert sum(m.window_sizes) == m.rounds
    assert m.best_window == min(m.windows)
    assert m.ci_low <= m.median <= m.ci_high
    fixed = measure(time.sleep, 0.001, warmup=1, rounds=12)
    assert fixed.window_sizes == (2,) * 6


def test_a_stretch_lasts_one_measurement_whatever_the_functions_speed() -> None:
    # A function too slow to fill six windows: a measurement of two rounds has two
    # windows, so a stretch is two windows, and a re-measurement's best pair counts.
    first = Measurement.from_samples([0.30, 0.34])
    assert first.stretch == 2
    assert first.best_stretch == pytest.approx(0.32)
    both = first.merged(Measurement.from_samples([0.31, 0.20, 0.22]))
    assert both.stretch == 2
    assert both.best_stretch == pytest.approx(0.21)
    # Six windows or more: a stretch is six.
    assert Measurement.from_samples([1.0] * 60).stretch == 6


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


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_time_budget_that_is_not_finite_is_one_line(value: float) -> None:
    with pytest.raises(DeclarationError, match="max_time must be a number > 0"):
        measure(lambda: None, max_time=value)
