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
- Rounds are grouped into *windows*, consecutive stretches of the measurement (six by
  default). A neighbour's load comes in bursts that span many rounds, so consecutive
  rounds are not independent samples; windows spread over the measurement (and over
  later re-measurements) are closer to it. Each window's figure is the median of its
  rounds.
- Statistics are robust: the median, and a distribution-free confidence interval of the
  median from order statistics of the *windows* (the binomial method: the interval
  between the j-th and (n-j+1)-th smallest covers the true median with probability
  >= 95 %, Conover, "Practical Nonparametric Statistics", 3rd ed., section 3.2).
- The *best stretch* is what the code can do on this machine: the median of six
  consecutive windows (one measurement's length), the fastest such stretch. Noise only
  ever slows a run down (Chen and Revels, "Robust benchmarking in noisy environments",
  2016), so the fastest stretch is the one least disturbed; and a median of six windows
  is not one lucky round or window. (A lone fast window is not a steady state: on a
  2-vCPU host a 256^3 fp64 GEMM ran most windows at 60 % of its bound and a few at 95 %,
  so a best *window* swung between runs of unchanged code.)
"""

from __future__ import annotations

import gc
import math
import numbers
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pytest_roofline.core.units import real
from pytest_roofline.errors import (
    DeclarationError,
    cut,
)
from pytest_roofline.machine import busy
from pytest_roofline.measurement.windows import (
    WINDOWS,
    best_stretch,
    even_windows,
    median_ci_ranks,
    window_medians,
)

MIN_ROUND_SECONDS = 1e-4
"""Shortest round worth timing: 100 µs is 1000x the resolution of perf_counter_ns."""
DEFAULT_MAX_TIME = 0.2
"""Default time budget of one measurement in seconds (warm-up included)."""
MIN_ROUNDS = 5
MAX_ROUNDS = 10_000


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
    p10: float = 0.0
    """The 10th percentile of the rounds: the fast end, without the extreme fastest."""
    ci_low: float
    ci_high: float
    cv: float
    reported: bool = False
    """True when the figure was reported by the test rather than timed here."""
    notes: tuple[str, ...] = ()
    """What the harness noticed: a warm-up that did not settle, a single round, ..."""
    samples: tuple[float, ...] = Field(default=(), exclude=True, repr=False)
    """Per-call seconds of every round (kept in memory to merge re-measurements)."""
    paired: dict[str, float] | None = None
    """With a reference probe timed after every round: statistics of each round's time
    multiplied by the probe's rate at that moment (``median``, ``p10``, ``ci_low``,
    ``ci_high``). A machine that slows down slows both, so the product stays put."""
    references: tuple[float, ...] = Field(default=(), exclude=True, repr=False)
    """The reference probe's rate after every round."""
    windows: tuple[float, ...] = ()
    """Each window's median, seconds per call, in the order they were timed."""
    window_sizes: tuple[int, ...] = Field(default=(), exclude=True, repr=False)
    """Rounds in each window (kept in memory to merge re-measurements)."""
    best_window: float = 0.0
    """The fastest window's median (0 for old records)."""
    best_stretch: float = 0.0
    """The lowest median of ``stretch`` consecutive windows: what the code can do here,
    the figure verdicts use (0 for old records)."""
    stretch: int = Field(default=WINDOWS, ge=1, exclude=True, repr=False)
    """Windows in a stretch: as many as one measurement has (:data:`WINDOWS`, fewer for
    a function too slow to fill them), so a stretch lasts about one measurement's time
    budget whatever the function's speed."""
    neighbour_share: float | None = None
    """The share of the cores other processes used while this was timed (None where the
    machine does not tell); see :mod:`pytest_roofline.machine.busy`."""

    @classmethod
    def from_samples(
        cls,
        samples: Sequence[float],
        loops: int = 1,
        notes: tuple[str, ...] = (),
        references: Sequence[float] = (),
        window_sizes: Sequence[int] = (),
        neighbour_share: float | None = None,
        stretch: int | None = None,
    ) -> Measurement:
        """Statistics of per-call times (one sample per round), in windows of
        ``window_sizes`` consecutive rounds (by default :data:`WINDOWS` of equal size),
        and stretches of ``stretch`` windows (by default as many as there are, up to
        :data:`WINDOWS`)."""
        if not samples:
            raise DeclarationError("a measurement needs at least one round")
        sizes = (
            tuple(window_sizes) if sum(window_sizes) == len(samples) else even_windows(len(samples))
        )
        windows = window_medians(samples, sizes)
        length = stretch or min(len(windows), WINDOWS)
        ordered = sorted(samples)
        n = len(ordered)
        mean = statistics.fmean(ordered)
        p10 = ordered[0]
        if n >= 2:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
            p10 = statistics.quantiles(ordered, n=10, method="inclusive")[0]
            cv = statistics.stdev(ordered) / mean if mean > 0 else 0.0
        else:
            q1 = q3 = ordered[0]
            cv = 0.0
        by_speed = sorted(windows)
        w = len(by_speed)
        low_rank, high_rank = median_ci_ranks(w)
        if w == 1:
            notes = (*notes, "one window: no interval, the verdict rests on a single stretch")
        elif w < 6:
            coverage = 1 - 2.0 ** (1 - w)
            notes = (
                *notes,
                f"{w} windows: the interval [fastest, slowest] covers the median with"
                f" {coverage:.1%} confidence, not 95 %",
            )
        median = statistics.median(ordered)
        return cls(
            rounds=n,
            loops=loops,
            median=median,
            min=ordered[0],
            mean=mean,
            iqr=q3 - q1,
            p10=p10,
            # Never an interval that leaves out its own median (ties, even counts).
            ci_low=min(by_speed[low_rank], median),
            ci_high=max(by_speed[high_rank], median),
            cv=cv,
            notes=notes,
            samples=tuple(samples),
            paired=_paired_statistics(samples, references),
            references=tuple(references),
            windows=windows,
            window_sizes=sizes,
            best_window=by_speed[0],
            best_stretch=best_stretch(windows, length),
            stretch=length,
            neighbour_share=neighbour_share,
        )

    def merged(self, other: Measurement) -> Measurement:
        """One measurement from the rounds of two (a re-measurement adds evidence)."""
        notes = tuple(dict.fromkeys(self.notes + other.notes))
        references = self.references + other.references
        if len(references) != len(self.samples) + len(other.samples):
            references = ()
        shares = [s for s in (self.neighbour_share, other.neighbour_share) if s is not None]
        return Measurement.from_samples(
            self.samples + other.samples,
            max(self.loops, other.loops),
            notes,
            references,
            window_sizes=self.window_sizes + other.window_sizes,
            # The least busy measurement: the verdict rests on the best stretch, and a busy
            # re-measurement does not make a quiet first one busy.
            neighbour_share=min(shares) if shares else None,
            stretch=min(self.stretch, other.stretch),
        )

    @classmethod
    def from_reported(cls, seconds: float) -> Measurement:
        """A single figure the test reports (from an engine's benchmark, say)."""
        if (
            type(seconds) is not float  # a plain float needs no ABC check
            and (isinstance(seconds, bool) or not isinstance(seconds, numbers.Real))
        ) or not (math.isfinite(seconds) and seconds > 0):
            raise DeclarationError(f"reported time must be a finite number > 0, got {seconds!r}")
        s = float(seconds)
        # model_validate: the figure is checked above, and validating a dict is the
        # fastest way pydantic builds a model (a reported figure is a cheap test's work).
        return cls.model_validate(
            {
                "rounds": 1,
                "median": s,
                "min": s,
                "mean": s,
                "iqr": 0.0,
                "p10": s,
                "ci_low": s,
                "ci_high": s,
                "cv": 0.0,
                "reported": True,
                "windows": (s,),
                "window_sizes": (1,),
                "best_window": s,
                "best_stretch": s,
            }
        )


def _paired_statistics(
    samples: Sequence[float], references: Sequence[float]
) -> dict[str, float] | None:
    """Statistics of time x reference rate per round (see ``Measurement.paired``)."""
    if not references or len(references) != len(samples):
        return None
    products = sorted(s * r for s, r in zip(samples, references, strict=True))
    low_rank, high_rank = median_ci_ranks(len(products))
    p10 = (
        statistics.quantiles(products, n=10, method="inclusive")[0]
        if len(products) >= 2
        else products[0]
    )
    return {
        "median": statistics.median(products),
        "p10": p10,
        "ci_low": products[low_rank],
        "ci_high": products[high_rank],
    }


def _check_option(value: Any, name: str, *, integer: bool) -> None:
    __tracebackhide__ = True
    if value is None:
        return
    number = real(value)
    ok = number is not None and math.isfinite(number) and (not integer or isinstance(value, int))
    if not ok or number is None or number < 0 or (name != "warmup" and number == 0):
        kind = "an integer" if integer else "a number"
        bound = ">= 0" if name == "warmup" else "> 0"
        raise DeclarationError(f"measure(): {name} must be {kind} {bound}, got {cut(value)}")
    limit = OPTION_LIMITS[name]
    if number > limit:
        raise DeclarationError(
            f"measure(): {name}={cut(value, 40)} is more than {limit:g}: a test that would"
            " never end"
        )


OPTION_LIMITS = {"warmup": 1e6, "rounds": 1e6, "max_time": 86400.0}
"""The largest warm-up, rounds and time budget (seconds) measure() takes."""


SETTLE_TOLERANCE = 0.05
"""Warm-up has settled when three calls in a row lie within 5 % of their median."""
MAX_WARMUP_CALLS = 100
TIMERS = ("perf_counter", "cuda")


def _settled(durations: list[int]) -> bool:
    last = durations[-3:]
    if len(last) < 3:
        return False
    middle = sorted(last)[1]
    return middle > 0 and (max(last) - min(last)) / middle <= SETTLE_TOLERANCE


def _noop(*args: Any, **kwargs: Any) -> None:
    """What a timed loop costs with nothing in it: the same call, doing nothing."""


def _cuda_clock(loop: Callable[[int], None]) -> Callable[[int], int]:
    """Time ``loop`` with CUDA events: device time between two events, in ns.

    The events are recorded on the current stream around the calls; waiting for the
    second one replaces ``sync``. Needs torch with a CUDA (or ROCm) device.
    """
    __tracebackhide__ = True
    try:
        import torch
    except ImportError:
        raise DeclarationError(
            'measure(): timer="cuda" needs torch, which is not installed'
        ) from None
    if not torch.cuda.is_available():
        raise DeclarationError('measure(): timer="cuda" needs a CUDA device; torch sees none')

    def timed(loops: int) -> int:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        loop(loops)
        end.record()
        end.synchronize()
        return int(start.elapsed_time(end) * 1e6)  # elapsed_time is in milliseconds

    return timed


def measure(
    fn: Callable[..., Any],
    *args: Any,
    sync: Callable[[], Any] | None = None,
    warmup: int | None = None,
    rounds: int | None = None,
    max_time: float | None = None,
    timer: str = "perf_counter",
    reference: Callable[[], float] | None = None,
    **kwargs: Any,
) -> Measurement:
    """Time ``fn(*args, **kwargs)`` and return the statistics of one call.

    ``reference``, when given, runs after every timed round (untimed) and returns the
    rate of a reference probe; see ``Measurement.paired``.

    Warm-up: ``warmup`` untimed calls, or by default calls until three in a row agree
    within 5 % (at most a quarter of the time budget, at most 100 calls); at least one
    always runs, because its duration sizes the rounds. Then ``rounds`` timed rounds
    (default: as many as fit in ``max_time`` seconds, at least 5, or 1 when one call
    alone takes longer than the budget). A round of a short function runs it often
    enough to last :data:`MIN_ROUND_SECONDS`, and the cost of the loop itself (the same
    calls of a function that does nothing, without ``sync``) is subtracted.
    ``timer="cuda"`` times with CUDA events instead of the host clock. An exception from
    ``fn`` propagates.
    """
    __tracebackhide__ = True
    if not callable(fn):
        raise DeclarationError(f"measure() needs a callable, got {cut(fn)}")
    _check_option(warmup, "warmup", integer=True)
    _check_option(rounds, "rounds", integer=True)
    _check_option(max_time, "max_time", integer=False)
    if sync is not None and not callable(sync):
        raise DeclarationError(f"measure(): sync must be a callable, got {cut(sync)}")
    if timer not in TIMERS:
        raise DeclarationError(
            f"measure(): timer must be one of {', '.join(TIMERS)}, got {cut(timer)}"
        )
    budget_ns = int((DEFAULT_MAX_TIME if max_time is None else max_time) * 1e9)
    clock = time.perf_counter_ns
    notes: list[str] = []

    def loop_of(target: Callable[..., Any], synced: bool = True) -> Callable[[int], None]:
        def run(loops: int) -> None:
            __tracebackhide__ = True  # an error of fn shows fn's frames, not the harness's
            for _ in range(loops):
                target(*args, **kwargs)
                if synced and sync is not None and timer != "cuda":
                    sync()

        return run

    def host_clock(loop: Callable[[int], None]) -> Callable[[int], int]:
        def timed(loops: int) -> int:
            __tracebackhide__ = True
            start = clock()
            loop(loops)
            return clock() - start

        return timed

    make_clock = _cuda_clock if timer == "cuda" else host_clock
    call_batch = make_clock(loop_of(fn))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        durations = [call_batch(1)]
        # The first call may compile or set things up lazily: the warm-up's time limit
        # starts after it, and it does not size the rounds when later calls exist.
        started = clock()
        if warmup is None:
            while (
                not _settled(durations)
                and clock() - started < budget_ns // 4
                and len(durations) < MAX_WARMUP_CALLS
            ):
                durations.append(call_batch(1))
            if not _settled(durations) and durations[-1] < budget_ns // 4:
                notes.append(f"warm-up did not settle in {len(durations)} calls")
        else:
            for _ in range(warmup - 1):  # the first call above is one of them
                durations.append(call_batch(1))
        window = (durations[1:] or durations)[-3:]
        typical = sorted(window)[len(window) // 2]
        loops = max(1, math.ceil(MIN_ROUND_SECONDS * 1e9 / max(typical, 1)))
        overhead = 0
        if loops > 1 and timer != "cuda":
            empty = make_clock(loop_of(_noop, synced=False))
            overhead = min(empty(loops) for _ in range(5))
        wanted = rounds
        if wanted is None and typical * MIN_ROUNDS > budget_ns:
            wanted = max(1, int(budget_ns // max(typical, 1)))
            notes.append(
                f"one call takes {typical / 1e9:.3g} s against a {budget_ns / 1e9:.3g} s"
                f" budget: {wanted} round(s)"
            )
        samples: list[float] = []
        references: list[float] = []
        sizes: list[int] = []
        in_window = 0
        per_window = math.ceil(wanted / WINDOWS) if wanted is not None else 0
        window_ns = budget_ns * 0.75 / WINDOWS
        machine_then = busy.mark()
        timing_started = clock()
        while True:
            elapsed = max(call_batch(loops) - overhead, 1)
            samples.append(elapsed / loops / 1e9)
            if reference is not None:
                references.append(reference())
            in_window += 1
            now = clock()
            if in_window >= per_window > 0 or (
                not per_window and now - timing_started >= (len(sizes) + 1) * window_ns
            ):
                sizes.append(in_window)
                in_window = 0
            if wanted is not None:
                if len(samples) >= wanted:
                    break
            elif len(samples) >= MAX_ROUNDS or (
                len(samples) >= MIN_ROUNDS and clock() - timing_started >= budget_ns * 0.75
            ):
                break
        share = busy.neighbour_share(machine_then)
    finally:
        if gc_was_enabled:
            gc.enable()
    if in_window:
        if sizes and in_window * 2 < sizes[-1]:
            sizes[-1] += in_window  # a stub of a window joins the one before it
        else:
            sizes.append(in_window)
    return Measurement.from_samples(
        samples,
        loops,
        notes=tuple(notes),
        references=references,
        window_sizes=sizes,
        neighbour_share=share,
    )
