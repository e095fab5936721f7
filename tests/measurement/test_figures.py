"""A Measurement and its statistics (measurement/figures.py): hand-chosen samples,
reported figures, merged and paired measurements."""

from __future__ import annotations

import math

import pytest

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.figures import Measurement


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


def test_a_merged_measurement_keeps_every_window_and_the_least_busy_share() -> None:
    first = Measurement.from_samples([3.0] * 12, neighbour_share=0.6)
    second = Measurement.from_samples([1.0] * 6, neighbour_share=0.05)
    both = first.merged(second)
    assert both.windows == (3.0,) * 6 + (1.0,) * 6
    assert both.best_window == 1.0
    assert both.rounds == 18
    assert both.neighbour_share == 0.05


def test_merged_measurements_pool_their_rounds() -> None:
    a = Measurement.from_samples([1.0, 2.0, 3.0])
    b = Measurement.from_samples([4.0, 5.0])
    merged = a.merged(b)
    assert merged.rounds == 5
    assert merged.median == 3.0


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
