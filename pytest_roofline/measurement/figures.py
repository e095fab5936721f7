"""A measurement: the rounds a function was timed in, and the robust statistics of them.

The design of these statistics (windows, the median's interval, the best stretch) is told in
:mod:`.timing`, which makes measurements; this module holds what one is.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.windows import (
    WINDOWS,
    best_stretch,
    even_windows,
    median_ci_ranks,
    window_medians,
)


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
