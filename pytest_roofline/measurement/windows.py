"""Order statistics of a measurement's windows: how rounds are grouped, the median's
interval, and the best stretch.

A window is a run of consecutive rounds; its figure is their median. Windows spread in
time are closer to independent samples than consecutive rounds, which a neighbour's
burst of load moves together (see :mod:`pytest_roofline.measurement.timing`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

CONFIDENCE = 0.95
WINDOWS = 6
"""Windows a measurement's rounds are grouped into, and the length of a stretch."""


def even_windows(rounds: int, windows: int = WINDOWS) -> tuple[int, ...]:
    """Sizes of ``windows`` consecutive groups of near-equal size (fewer for few rounds)."""
    count = max(1, min(windows, rounds))
    return tuple((i + 1) * rounds // count - i * rounds // count for i in range(count))


def best_stretch(windows: Sequence[float], length: int = WINDOWS) -> float:
    """The lowest median of ``length`` consecutive ``windows`` (of all when fewer)."""
    if len(windows) <= length:
        return statistics.median(windows)
    return min(
        statistics.median(windows[start : start + length])
        for start in range(len(windows) - length + 1)
    )


def window_medians(samples: Sequence[float], sizes: Sequence[int]) -> tuple[float, ...]:
    """The median of each window of consecutive ``samples``, ``sizes`` rounds each."""
    medians = []
    start = 0
    for size in sizes:
        if size > 0:
            medians.append(statistics.median(samples[start : start + size]))
        start += size
    return tuple(medians)


def median_ci_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int]:
    """0-based ranks (low, high) of the order-statistic confidence interval of the median.

    The number of rounds below the true median is Binomial(n, 1/2); the largest j with
    P(X < j) <= (1 - confidence) / 2 gives the interval [x_(j), x_(n-j+1)] (1-based).
    With fewer than 6 rounds no such j >= 1 exists at 95 %: the interval is [min, max].
    """
    alpha_half = (1 - confidence) / 2
    cumulative = 0.0
    j = 0
    for k in range(n + 1):
        probability = math.exp(
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
        )
        if cumulative + probability > alpha_half:
            break
        cumulative += probability
        j = k + 1
    if j == 0:
        return 0, n - 1
    return j - 1, n - j
