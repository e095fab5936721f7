"""Timing harness: run a callable enough times to trust the median, and its statistics.

Design choices, each for a reason:

- ``time.perf_counter_ns``: monotonic, the finest clock Python offers, no float rounding.
- Warm-up first: the first calls pay for page faults, caches, lazy initialisation and
  (on GPUs) kernel compilation, none of which is the steady-state cost a roofline bounds.
- Rounds of several calls when one call is short: a round lasts at least
  :data:`MIN_ROUND_SECONDS`, far above the timer's resolution and call overhead.
- The garbage collector is off while timing (and restored after), so a collection
  triggered by someone else's garbage does not land in one round.
- A ``sync`` callable runs after each call inside the timed region: asynchronous devices
  (CUDA) return before the work is done, and ``torch.cuda.synchronize`` waits for it.
- Statistics are robust: the median, and a distribution-free confidence interval of the
  median from order statistics (the binomial method: the interval between the j-th and
  (n-j+1)-th smallest rounds covers the true median with probability >= 95 %,
  Conover, "Practical Nonparametric Statistics", 3rd ed., section 3.2).
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import DeclarationError

MIN_ROUND_SECONDS = 1e-4
"""Shortest round worth timing: 100 µs is 1000x the resolution of perf_counter_ns."""
DEFAULT_MAX_TIME = 0.2
"""Default time budget of one measurement in seconds (warm-up included)."""
MIN_ROUNDS = 5
MAX_ROUNDS = 10_000
CONFIDENCE = 0.95


class Measurement(BaseModel):
    """Statistics of the time one call takes, in seconds per call.

    ``ci_low``..``ci_high`` is the 95 % confidence interval of the median; ``cv`` the
    coefficient of variation (standard deviation / mean) of the rounds, as a fraction.
    """

    model_config = ConfigDict(frozen=True)

    rounds: int = Field(ge=1)
    loops: int = Field(default=1, ge=1)
    """Calls per timed round (short functions are timed in batches)."""
    median: float
    min: float
    mean: float
    iqr: float
    ci_low: float
    ci_high: float
    cv: float
    reported: bool = False
    """True when the figure was reported by the test rather than timed here."""

    @classmethod
    def from_samples(cls, samples: Sequence[float], loops: int = 1) -> Measurement:
        """Statistics of per-call times (one sample per round)."""
        if not samples:
            raise DeclarationError("a measurement needs at least one round")
        ordered = sorted(samples)
        n = len(ordered)
        mean = statistics.fmean(ordered)
        if n >= 2:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
            cv = statistics.stdev(ordered) / mean if mean > 0 else 0.0
        else:
            q1 = q3 = ordered[0]
            cv = 0.0
        low_rank, high_rank = median_ci_ranks(n)
        return cls(
            rounds=n,
            loops=loops,
            median=statistics.median(ordered),
            min=ordered[0],
            mean=mean,
            iqr=q3 - q1,
            ci_low=ordered[low_rank],
            ci_high=ordered[high_rank],
            cv=cv,
        )

    @classmethod
    def from_reported(cls, seconds: float) -> Measurement:
        """A single figure the test reports (from an engine's benchmark, say)."""
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not (math.isfinite(seconds) and seconds > 0)
        ):
            raise DeclarationError(f"reported time must be a finite number > 0, got {seconds!r}")
        s = float(seconds)
        return cls(
            rounds=1, median=s, min=s, mean=s, iqr=0.0, ci_low=s, ci_high=s, cv=0.0, reported=True
        )


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


def _check_option(value: Any, name: str, *, integer: bool) -> None:
    __tracebackhide__ = True
    if value is None:
        return
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value < 0 or (name != "warmup" and value == 0):
        kind = "an integer" if integer else "a number"
        bound = ">= 0" if name == "warmup" else "> 0"
        raise DeclarationError(f"measure(): {name} must be {kind} {bound}, got {value!r}")


def measure(
    fn: Callable[..., Any],
    *args: Any,
    sync: Callable[[], Any] | None = None,
    warmup: int | None = None,
    rounds: int | None = None,
    max_time: float | None = None,
    **kwargs: Any,
) -> Measurement:
    """Time ``fn(*args, **kwargs)`` and return the statistics of one call.

    ``warmup`` untimed calls run first (default: calls for a tenth of the time budget).
    At least one always runs, because its duration sizes the rounds. Then ``rounds``
    timed rounds (default: as many as fit in ``max_time`` seconds, at least 5), each of
    one or more calls.
    """
    __tracebackhide__ = True
    if not callable(fn):
        raise DeclarationError(f"measure() needs a callable, got {fn!r}")
    _check_option(warmup, "warmup", integer=True)
    _check_option(rounds, "rounds", integer=True)
    _check_option(max_time, "max_time", integer=False)
    if sync is not None and not callable(sync):
        raise DeclarationError(f"measure(): sync must be a callable, got {sync!r}")
    budget_ns = int((DEFAULT_MAX_TIME if max_time is None else max_time) * 1e9)
    clock = time.perf_counter_ns

    def call_batch(loops: int) -> int:
        start = clock()
        for _ in range(loops):
            fn(*args, **kwargs)
            if sync is not None:
                sync()
        return clock() - start

    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = clock()
        first = call_batch(1)
        if warmup is None:
            while clock() - started < budget_ns // 10 and first < budget_ns // 10:
                first = min(first, call_batch(1))
        else:
            for _ in range(warmup - 1):  # the first call above is one of them
                first = min(first, call_batch(1))
        loops = max(1, math.ceil(MIN_ROUND_SECONDS * 1e9 / max(first, 1)))
        samples: list[float] = []
        timing_started = clock()
        while True:
            samples.append(call_batch(loops) / loops / 1e9)
            if rounds is not None:
                if len(samples) >= rounds:
                    break
            elif len(samples) >= MAX_ROUNDS or (
                len(samples) >= MIN_ROUNDS and clock() - timing_started >= budget_ns * 0.9
            ):
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return Measurement.from_samples(samples, loops)
