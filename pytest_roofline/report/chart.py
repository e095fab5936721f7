"""The roofline chart of one hardware: what it shows, in data units, however it is drawn.

:mod:`pytest_roofline.report.svg` draws a :class:`Chart` as hand-written inline SVG for the
HTML report (which must open anywhere without a network or a plotting library), and
:mod:`pytest_roofline.report.plot` draws the same :class:`Chart` with matplotlib for people
who want an image file, so both show the same roofs, ridge points, axes and points, along
the same paths (:func:`slope_path`, :func:`roof_path`).

What is drawn (Williams, Waterman and Patterson, "Roofline", CACM 2009): log-log axes,
operational intensity (FLOP/byte) against FLOP/s; one memory slope ``I * bandwidth`` up to
the highest peak, and for each dtype the tests used a flat peak from its ridge point on; a
dashed roof per cache level, its slope and then the highest peak, across the whole chart;
and every measured kernel at (its intensity, the FLOP/s it achieved = workload FLOPs /
measured seconds), coloured by outcome and numbered as its row in the report's table.

Serving results are left out of the chart: their ``intensity`` is FLOPs of one iteration
over the memory capacity of all their GPUs, and their bound is that of N GPUs together, so
placing them under one device's roofs would mislead. The HTML report lists them in a table
of their own (optimal against measured tokens/s per GPU).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core.units import number
from pytest_roofline.report import json_report
from pytest_roofline.specs.kernels import Kernel

ROOF_COLORS = ("#1a237e", "#00695c", "#6a1b9a", "#4e342e", "#0277bd", "#37474f", "#558b2f")
LEVEL_COLOR = "#5c6bc0"
MEMORY_COLOR = "#212121"
GRID_COLOR = "#e0e0e0"
"""Roofs and slopes; the points take their outcome's colour (``format.OUTCOMES``), which
none of these resembles."""

MARGIN_DECADES = 0.3
"""Room left around the outermost roof corner or point, in decades, before rounding the
axis out to whole decades: a point exactly on a decade would otherwise sit on the frame."""

MAIN_DTYPE = str(Kernel.model_fields["dtype"].default)
"""The dtype whose roof a chart draws when no result names one the hardware has: the
dtype a kernel computes in unless it says otherwise."""

SAME = " = "
"""Joins the names of roofs that share one figure in their one label: 'memory = L3'."""


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

    @property
    def name(self) -> str:
        """'bf16 = fp16': every dtype of the roof, for its one label."""
        return SAME.join(self.dtypes)


@dataclass(frozen=True)
class Slope:
    """A memory roof ``FLOP/s = I * bandwidth``: main memory and the cache levels of the
    same bandwidth (one line and one label, never two drawn over each other), or cache
    levels alone."""

    names: tuple[str, ...]
    bandwidth: float
    cache: bool
    """Only cache levels: drawn dashed. A slope main memory shares is main memory's."""

    @property
    def name(self) -> str:
        """'memory = L3': every level of the slope, for its one label."""
        return SAME.join(self.names)


@dataclass(frozen=True)
class Point:
    """One measured kernel: where it sits, its number and what its hover text says."""

    nodeid: str
    label: str
    outcome: str
    """The status every report shows for the test (see :func:`.json_report.status`)."""
    number: int
    """Its row's number in the hardware's kernel table (1 for the first, worst row)."""
    intensity: float
    achieved: float
    """FLOP/s achieved: the workload's FLOPs / the measured seconds."""
    utilization: float | None
    min_utilization: float | None
    bound_seconds: float
    measured_seconds: float


@dataclass(frozen=True)
class Unplotted:
    """A kernel result with no place on log axes, and why: a reader looks for it."""

    nodeid: str
    number: int
    reason: str


@dataclass(frozen=True)
class Chart:
    """Everything a roofline chart shows, in data units, independent of how it is drawn."""

    hardware: str
    roofs: tuple[Roof, ...]
    """Highest first; only the dtypes the results on this hardware compute in."""
    slopes: tuple[Slope, ...]
    points: tuple[Point, ...]
    """Worst first, the order of every report's rows."""
    unplotted: tuple[Unplotted, ...]
    """Kernel results left out, in row order, each with its reason."""
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def top_peak(self) -> float:
        """The highest roof drawn: where every memory slope ends; the top of the axis
        when the hardware has no peak."""
        return max((roof.peak for roof in self.roofs), default=self.y_range[1])


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


def slope_path(slope: Slope, chart: Chart) -> list[tuple[float, float]]:
    """The corners of a memory roof in data units, from the left edge of the chart.

    Main memory's slope ends where it meets the highest peak, whose flat roof goes on
    from there. A cache level's roof is its slope and then that peak, to the right edge:
    drawn whole, not stopped in mid-air where it meets a peak drawn only from main
    memory's ridge on.
    """
    x_lo, x_hi = chart.x_range
    top = chart.top_peak
    corners = [(x_lo, x_lo * slope.bandwidth), (top / slope.bandwidth, top)]
    return [*corners, (x_hi, top)] if slope.cache else corners


def roof_path(roof: Roof, chart: Chart) -> list[tuple[float, float]]:
    """The flat part of a compute roof in data units: from its ridge point to the right
    edge (the slope below the ridge is main memory's, drawn once for every roof)."""
    return [(roof.ridge, roof.peak), (chart.x_range[1], roof.peak)]


def _spec(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    # The last result holds the best ceilings of a re-calibrated ``local`` (as the JSON
    # report's ``machine`` section does).
    # A test with no verdict has no figures: the last result that has them.
    specs = [dict(r["hardware_spec"]) for r in results if r.get("hardware_spec")]
    return specs[-1] if specs else {}


def _dtype(result: Mapping[str, Any]) -> str:
    workload = result.get("workload")
    return str(workload.get("dtype", "")) if isinstance(workload, Mapping) else ""


def _peaks(spec: Mapping[str, Any], used: Iterable[str]) -> dict[str, float]:
    """The peaks of the dtypes used (int4 roofs no test computes in only crowd the
    chart); the main dtype's, or else the highest, when no result names one of them."""
    peaks = {
        str(dtype): float(peak)
        for dtype, peak in (spec.get("peak_flops") or {}).items()
        if number(peak) is not None and float(peak) > 0
    }
    asked = set(used)
    wanted = {dtype: peak for dtype, peak in peaks.items() if dtype in asked}
    if wanted or not peaks:
        return wanted
    main = MAIN_DTYPE if MAIN_DTYPE in peaks else max(peaks, key=lambda d: peaks[d])
    return {main: peaks[main]}


def _roofs(
    spec: Mapping[str, Any], used: Iterable[str]
) -> tuple[tuple[Roof, ...], tuple[Slope, ...]]:
    bandwidth = number(spec.get("memory_bandwidth")) or 0.0
    if bandwidth <= 0:
        return (), ()
    by_peak: dict[float, list[str]] = {}
    for dtype, peak in _peaks(spec, used).items():
        by_peak.setdefault(peak, []).append(dtype)
    roofs = tuple(
        Roof(tuple(by_peak[peak]), peak, bandwidth) for peak in sorted(by_peak, reverse=True)
    )
    by_bandwidth: dict[float, list[str]] = {bandwidth: ["memory"]}
    for level in spec.get("memory_levels") or ():
        bw = number(level.get("bandwidth")) if isinstance(level, Mapping) else None
        if bw is not None and bw > 0:
            by_bandwidth.setdefault(bw, []).append(str(level.get("name", "cache")))
    slopes = tuple(
        Slope(tuple(names), bw, cache="memory" not in names)
        for bw, names in sorted(by_bandwidth.items())
    )
    return roofs, slopes


def unplotted_reason(result: Mapping[str, Any]) -> str | None:
    """Why a kernel result has no place on the chart's log axes, or None when it has."""
    intensity = number(result.get("intensity"))
    measured = number(result.get("measured_seconds"))
    flops = number((result.get("workload") or {}).get("flops"))
    if number(result.get("bound_seconds")) is None:
        return "no bound"
    if measured is None:
        return "no measurement"
    if flops is None or flops <= 0:
        return "no FLOPs: zero intensity has no place on a log axis"
    if intensity is None:
        return "moves no bytes: its intensity is infinite"
    if intensity <= 0 or measured <= 0:
        return "no positive intensity and time"
    return None


def _point(result: Mapping[str, Any], row: int) -> Point:
    """The point of a kernel result that :func:`unplotted_reason` lets on the chart."""
    measured = number(result.get("measured_seconds")) or 0.0
    flops = number((result.get("workload") or {}).get("flops")) or 0.0
    return Point(
        nodeid=str(result.get("nodeid", "")),
        label=str(result.get("label", "")),
        outcome=json_report.status(result),
        number=row,
        intensity=number(result.get("intensity")) or 0.0,
        achieved=flops / measured,
        utilization=number(result.get("utilization")),
        min_utilization=number(result.get("min_utilization")),
        bound_seconds=number(result.get("bound_seconds")) or 0.0,
        measured_seconds=measured,
    )


def kernel_rows(results: Sequence[Mapping[str, Any]], hardware: str) -> list[Mapping[str, Any]]:
    """The kernel results on ``hardware`` in row order: row *n* is numbered *n* in the
    table and on the chart."""
    mine = [
        r for r in results if r.get("hardware") == hardware and r.get("kind", "kernel") == "kernel"
    ]
    return json_report.in_row_order(mine)


def chart_model(results: Sequence[Mapping[str, Any]], hardware: str) -> Chart:
    """The chart of the kernel results on ``hardware`` (results of other hardware ignored).

    The axes reach every ridge point (also of each cache slope against the highest peak)
    and every point, with a margin, so no roof corner or measurement is cut off.
    """
    mine = [r for r in results if r.get("hardware") == hardware]
    rows = kernel_rows(mine, hardware)
    roofs, slopes = _roofs(_spec(mine), map(_dtype, rows)) if mine else ((), ())
    points, unplotted = [], []
    for row, result in enumerate(rows, start=1):
        reason = unplotted_reason(result)
        if reason is None:
            points.append(_point(result, row))
        else:
            unplotted.append(Unplotted(str(result.get("nodeid", "")), row, reason))
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
        points=tuple(points),
        unplotted=tuple(unplotted),
        x_range=x_range,
        y_range=log_range(ys),
    )
