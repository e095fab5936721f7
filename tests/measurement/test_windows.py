"""Windows of rounds (measurement/windows.py): their sizes, their medians, and the ranks
of the median's confidence interval."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.measurement.windows import (
    even_windows,
    median_ci_ranks,
    window_medians,
)


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
