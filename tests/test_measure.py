"""The timing harness and its statistics: Measurement, median_ci_ranks and measure()."""

from __future__ import annotations

import gc
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.timing import (
    Measurement,
    measure,
)
from pytest_roofline.measurement.windows import (
    even_windows,
    median_ci_ranks,
    window_medians,
)

# -- Measurement.from_samples ---------------------------------------------------------


def test_from_samples_statistics_of_hand_chosen_samples() -> None:
    # 1..10 given out of order: from_samples must sort before taking order statistics.
    samples = [7.0, 1.0, 10.0, 4.0, 2.0, 9.0, 3.0, 8.0, 6.0, 5.0]
    # Each round its own window: the interval's order statistics are the rounds'.
    m = Measurement.from_samples(samples, loops=3, window_sizes=[1] * 10)
    assert m.rounds == 10
    assert m.loops == 3
    # Median of an even count: mean of the 5th and 6th smallest, (5 + 6) / 2.
    assert m.median == pytest.approx(5.5)
    assert m.min == 1.0
    # Mean: 55 / 10.
    assert m.mean == pytest.approx(5.5)
    # 'inclusive' quartiles (Hyndman & Fan type 7, the Python docs' method="inclusive"):
    # position (n - 1) * p from the smallest, interpolated linearly. Q1 at 9 * 0.25 = 2.25
    # -> 3 + 0.25 * (4 - 3) = 3.25; Q3 at 9 * 0.75 = 6.75 -> 7 + 0.75 * (8 - 7) = 7.75.
    assert m.iqr == pytest.approx(7.75 - 3.25)
    # cv = sample standard deviation / mean; sum of squared deviations from 5.5 is 82.5,
    # so the sample variance is 82.5 / (n - 1) = 82.5 / 9.
    assert m.cv == pytest.approx(math.sqrt(82.5 / 9) / 5.5)
    # 95 % CI of the median for n = 10: x_(2) .. x_(9) (1-based; Conover, Practical
    # Nonparametric Statistics, 3rd ed., table A3), i.e. the values 2 and 9 here.
    assert m.ci_low == 2.0
    assert m.ci_high == 9.0
    assert m.reported is False


def test_from_samples_odd_count_and_unequal_spacing() -> None:
    samples = [0.004, 0.001, 0.002, 0.010, 0.003]
    m = Measurement.from_samples(samples)
    # Sorted: 1, 2, 3, 4, 10 ms. Median is the 3rd; mean 20 / 5 = 4 ms.
    assert m.median == pytest.approx(0.003)
    assert m.mean == pytest.approx(0.004)
    assert m.min == pytest.approx(0.001)
    # Inclusive quartiles at positions 4 * 0.25 = 1 and 4 * 0.75 = 3: exactly 2 and 4 ms.
    assert m.iqr == pytest.approx(0.002)
    # Deviations from 4 ms: -3, -2, -1, 0, 6 -> squares sum to 50 (ms^2); variance 50 / 4.
    assert m.cv == pytest.approx(math.sqrt(50 / 4) / 4)
    # Fewer than 6 rounds: no order statistic gives 95 %, the interval is [min, max].
    assert (m.ci_low, m.ci_high) == pytest.approx((0.001, 0.010))


def test_from_samples_single_round() -> None:
    m = Measurement.from_samples([0.25])
    assert m.rounds == 1
    assert (m.median, m.min, m.mean, m.ci_low, m.ci_high) == (0.25,) * 5
    assert m.iqr == 0.0
    assert m.cv == 0.0


def test_from_samples_rejects_no_rounds() -> None:
    with pytest.raises(DeclarationError, match="at least one round"):
        Measurement.from_samples([])


# -- median_ci_ranks --------------------------------------------------------------------


# Conover, Practical Nonparametric Statistics (3rd ed.), table of order statistics for
# the 95 % confidence interval of the median: 1-based ranks (r, n - r + 1).
@pytest.mark.parametrize(
    ("n", "one_based"),
    [(6, (1, 6)), (10, (2, 9)), (20, (6, 15))],
)
def test_median_ci_ranks_match_the_binomial_table(n: int, one_based: tuple[int, int]) -> None:
    low, high = one_based
    assert median_ci_ranks(n) == (low - 1, high - 1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_median_ci_ranks_below_six_rounds_is_min_to_max(n: int) -> None:
    assert median_ci_ranks(n) == (0, n - 1)


def _binomial_half_cdf_below(n: int, j: int) -> float:
    """P(X < j) for X ~ Binomial(n, 1/2), exactly, from integer binomial coefficients."""
    return sum(math.comb(n, k) for k in range(j)) / 2**n


@given(st.integers(min_value=6, max_value=200))
def test_median_ci_ranks_cover_the_median_with_95_percent(n: int) -> None:
    # The interval [x_(j), x_(n-j+1)] (1-based) misses the true median when fewer than j
    # or more than n - j rounds fall below it; X, the count below, is Binomial(n, 1/2),
    # so the coverage is P(j <= X < n - j + 1) (Conover, section 3.2).
    low, high = median_ci_ranks(n)
    j = low + 1
    assert high == n - j  # symmetric: 0-based n - j is 1-based n - j + 1
    coverage = 1 - _binomial_half_cdf_below(n, j) - (1 - _binomial_half_cdf_below(n, n - j + 1))
    assert coverage >= 0.95
    # And the interval is the narrowest such: one rank further in loses the 95 %.
    narrower = 1 - 2 * _binomial_half_cdf_below(n, j + 1)
    assert narrower < 0.95


# -- measure() --------------------------------------------------------------------------


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


# -- Measurement.from_reported ----------------------------------------------------------


def test_from_reported_is_one_reported_round() -> None:
    m = Measurement.from_reported(0.125)
    assert m.rounds == 1
    assert m.reported is True
    assert m.median == m.min == m.mean == m.ci_low == m.ci_high == 0.125
    assert m.iqr == 0.0
    assert m.cv == 0.0


def test_from_reported_accepts_an_integer() -> None:
    m = Measurement.from_reported(2)
    assert m.median == 2.0
    assert isinstance(m.median, float)


@pytest.mark.parametrize("seconds", [0, 0.0, -1.0, math.nan, math.inf, -math.inf])
def test_from_reported_rejects_non_positive_or_non_finite(seconds: float) -> None:
    with pytest.raises(DeclarationError, match="finite number > 0"):
        Measurement.from_reported(seconds)


@pytest.mark.parametrize("rounds", [1, 5, 6, 7, 10, 100])
def test_rounds_are_split_into_near_equal_consecutive_windows(rounds: int) -> None:
    sizes = even_windows(rounds)
    assert sum(sizes) == rounds
    assert len(sizes) == min(rounds, 6)
    assert max(sizes) - min(sizes) <= 1


def test_each_window_is_the_median_of_its_rounds() -> None:
    # Windows of 3, 2 and 1 rounds: medians 2 (of 1, 2, 9), 4.5 (of 4, 5) and 7.
    assert window_medians([1.0, 9.0, 2.0, 4.0, 5.0, 7.0], [3, 2, 1]) == (2.0, 4.5, 7.0)
    m = Measurement.from_samples([1.0, 9.0, 2.0, 4.0, 5.0, 7.0], window_sizes=[3, 2, 1])
    assert m.windows == (2.0, 4.5, 7.0)
    assert m.best_window == 2.0
    # Three windows: the interval is [fastest, slowest] window, with its coverage said.
    assert (m.ci_low, m.ci_high) == (2.0, 7.0)
    assert any(note.startswith("3 windows: the interval") for note in m.notes)


def test_a_merged_measurement_keeps_every_window_and_the_least_busy_share() -> None:
    first = Measurement.from_samples([3.0] * 12, neighbour_share=0.6)
    second = Measurement.from_samples([1.0] * 6, neighbour_share=0.05)
    both = first.merged(second)
    assert both.windows == (3.0,) * 6 + (1.0,) * 6
    assert both.best_window == 1.0
    assert both.rounds == 18
    assert both.neighbour_share == 0.05


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
