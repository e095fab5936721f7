"""The roofline chart of one hardware: what it shows, in data units, however it is drawn.

:mod:`pytest_roofline.report.svg` draws a :class:`Chart` as hand-written inline SVG for the
HTML report (which must open anywhere without a network or a plotting library), and
:mod:`pytest_roofline.report.plot` draws the same :class:`Chart` with matplotlib for people
who want an image file, so both show the same roofs, ridge points, axes and points.

What is drawn (Williams, Waterman and Patterson, "Roofline", CACM 2009): log-log axes,
operational intensity (FLOP/byte) against FLOP/s; for every dtype of the hardware a roof
made of the memory slope ``I * bandwidth`` and the flat peak, meeting at the ridge point;
a dashed slope per cache level; and every measured kernel at (its intensity, the FLOP/s it
achieved = workload FLOPs / measured seconds), coloured by outcome.

Serving results are left out of the chart: their ``intensity`` is FLOPs of one iteration
over the memory capacity of all their GPUs, and their bound is that of N GPUs together, so
placing them under one device's roofs would mislead. The HTML report lists them in a table
of their own (optimal against measured tokens/s per GPU).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core.units import number
from pytest_roofline.report import json_report
from pytest_roofline.report.format import worst_first

ROOF_COLORS = ("#1a237e", "#00695c", "#6a1b9a", "#4e342e", "#0277bd", "#37474f", "#558b2f")
LEVEL_COLOR = "#5c6bc0"
MEMORY_COLOR = "#212121"
GRID_COLOR = "#e0e0e0"
"""Roofs and slopes; the points take their outcome's colour (``format.OUTCOMES``), which
none of these resembles."""

MARGIN_DECADES = 0.3
"""Room left around the outermost roof corner or point, in decades, before rounding the
axis out to whole decades: a point exactly on a decade would otherwise sit on the frame."""


@dataclass(frozen=True)
class Roof:
    """The compute roof shared by the dtypes whose peaks are equal (bf16 and fp16)."""

    dtypes: tuple[str, ...]
    peak: float
    bandwidth: float

    @property
    def ridge(self) -> float:
        """Intensity where the memory slope meets the peak: peak / bandwidth (FLOP/byte)."""
        return self.peak / self.bandwidth


@dataclass(frozen=True)
class Slope:
    """A memory roof ``FLOP/s = I * bandwidth``: main memory or the cache levels sharing it."""

    names: tuple[str, ...]
    bandwidth: float
    cache: bool


@dataclass(frozen=True)
class Point:
    """One measured kernel: where it sits and what its hover text says."""

    nodeid: str
    label: str
    outcome: str
    """The status every report shows for the test ("regressed" included)."""
    intensity: float
    achieved: float
    """FLOP/s achieved: the workload's FLOPs / the measured seconds."""
    utilization: float | None
    min_utilization: float | None
    bound_seconds: float
    measured_seconds: float


@dataclass(frozen=True)
class Chart:
    """Everything a roofline chart shows, in data units, independent of how it is drawn."""

    hardware: str
    roofs: tuple[Roof, ...]
    slopes: tuple[Slope, ...]
    points: tuple[Point, ...]
    """Worst first, the order of every report's rows."""
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    skipped: int
    """Kernel results left out: no intensity, no measurement, or no FLOPs."""


def axis_position(value: float, lo: float, hi: float, pixels: float) -> float:
    """Distance in pixels of ``value`` from the ``lo`` end of a log axis ``pixels`` long.

    >>> axis_position(10.0, 1.0, 100.0, 200.0)
    100.0
    """
    return (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * pixels


def log_range(values: Iterable[float], margin: float = MARGIN_DECADES) -> tuple[float, float]:
    """Whole decades enclosing every (positive) value with ``margin`` decades to spare.

    >>> log_range([3.0, 40.0])
    (1.0, 100.0)
    """
    logs = [math.log10(v) for v in values if v > 0 and math.isfinite(v)]
    if not logs:
        return 1.0, 10.0
    lo = math.floor(min(logs) - margin)
    hi = math.ceil(max(logs) + margin)
    return 10.0**lo, 10.0 ** max(hi, lo + 1)


def decades(lo: float, hi: float) -> list[float]:
    """The powers of ten from ``lo`` to ``hi`` inclusive (both are whole decades)."""
    first, last = round(math.log10(lo)), round(math.log10(hi))
    return [10.0**k for k in range(first, last + 1)]


def _spec(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    # The last result holds the best ceilings of a re-calibrated ``local`` (as the JSON
    # report's ``machine`` section does).
    # A test with no verdict has no figures: the last result that has them.
    specs = [dict(r["hardware_spec"]) for r in results if r.get("hardware_spec")]
    return specs[-1] if specs else {}


def _roofs(spec: dict[str, Any]) -> tuple[tuple[Roof, ...], tuple[Slope, ...]]:
    bandwidth = float(spec.get("memory_bandwidth") or 0.0)
    if bandwidth <= 0:
        return (), ()
    by_peak: dict[float, list[str]] = {}
    for dtype, peak in (spec.get("peak_flops") or {}).items():
        if isinstance(peak, (int, float)) and peak > 0:
            by_peak.setdefault(float(peak), []).append(str(dtype))
    roofs = tuple(
        Roof(tuple(by_peak[peak]), peak, bandwidth) for peak in sorted(by_peak, reverse=True)
    )
    by_bandwidth: dict[float, list[str]] = {}
    for level in spec.get("memory_levels") or ():
        bw = level.get("bandwidth")
        if isinstance(bw, (int, float)) and bw > 0:
            by_bandwidth.setdefault(float(bw), []).append(str(level.get("name", "cache")))
    slopes = [Slope(("memory",), bandwidth, cache=False)]
    slopes += [
        Slope(tuple(by_bandwidth[bw]), bw, cache=True) for bw in sorted(by_bandwidth) if bw > 0
    ]
    return roofs, tuple(slopes)


def _point(result: dict[str, Any]) -> Point | None:
    """A kernel result's point; None when it has no place on log axes (no measurement, no
    FLOPs, no bytes)."""
    intensity = number(result.get("intensity"))
    measured = number(result.get("measured_seconds"))
    flops = number((result.get("workload") or {}).get("flops"))
    if result.get("kind", "kernel") != "kernel":
        return None
    if intensity is None or measured is None or flops is None:
        return None
    if min(intensity, measured, flops) <= 0:
        return None
    return Point(
        nodeid=str(result.get("nodeid", "")),
        label=str(result.get("label", "")),
        outcome=json_report.status(result),
        intensity=intensity,
        achieved=flops / measured,
        utilization=number(result.get("utilization")),
        min_utilization=number(result.get("min_utilization")),
        bound_seconds=number(result.get("bound_seconds")) or 0.0,
        measured_seconds=measured,
    )


def chart_model(results: Sequence[dict[str, Any]], hardware: str) -> Chart:
    """The chart of the kernel results on ``hardware`` (results of other hardware ignored).

    The axes reach every ridge point (also of each cache slope against the highest peak)
    and every point, with a margin, so no roof corner or measurement is cut off.
    """
    mine = [r for r in results if r.get("hardware") == hardware]
    roofs, slopes = _roofs(_spec(mine)) if mine else ((), ())
    kernels = [r for r in mine if r.get("kind", "kernel") == "kernel"]
    found = [p for p in (_point(r) for r in kernels) if p is not None]
    points = tuple(sorted(found, key=lambda p: worst_first(p.outcome, p.utilization, p.nodeid)))
    top = max((roof.peak for roof in roofs), default=0.0)
    xs = [roof.ridge for roof in roofs] + [top / s.bandwidth for s in slopes if top]
    xs += [p.intensity for p in points]
    ys = [roof.peak for roof in roofs] + [p.achieved for p in points]
    x_range = log_range(xs)
    # The lowest roof must still show its slope: reach down to where the slowest memory
    # roof crosses the left edge, unless that is more than three decades below the roofs.
    slowest = min((s.bandwidth for s in slopes), default=0.0)
    if slowest and ys:
        ys.append(max(x_range[0] * slowest, min(ys) / 1e3))
    return Chart(
        hardware=hardware,
        roofs=roofs,
        slopes=slopes,
        points=points,
        x_range=x_range,
        y_range=log_range(ys),
        skipped=len(kernels) - len(points),
    )
