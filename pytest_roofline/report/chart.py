"""The roofline chart of one hardware, as hand-written inline SVG.

The HTML report must open anywhere without a network or a plotting library, so the chart
is plain SVG text built here; :mod:`pytest_roofline.report.plot` draws the same
:class:`Chart` with matplotlib for people who want an image file.

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

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    format_quantity,
    format_seconds,
)

OUTCOME_COLORS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "impossible": "#ef6c00",
    "unmeasured": "#757575",
}
"""Fill colour of a point per outcome; roofs use blues and browns so none is mistaken."""

ROOF_COLORS = ("#1a237e", "#00695c", "#6a1b9a", "#4e342e", "#0277bd", "#37474f", "#558b2f")
LEVEL_COLOR = "#5c6bc0"
MEMORY_COLOR = "#212121"
GRID_COLOR = "#e0e0e0"

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 74, 24, 20, 52
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
    intensity = result.get("intensity")
    measured = result.get("measured_seconds")
    flops = (result.get("workload") or {}).get("flops")
    if result.get("kind", "kernel") != "kernel":
        return None
    if not all(isinstance(v, (int, float)) and v > 0 for v in (intensity, measured, flops)):
        return None
    return Point(
        nodeid=str(result.get("nodeid", "")),
        label=str(result.get("label", "")),
        outcome=str(result.get("outcome", "unmeasured")),
        intensity=float(intensity),  # type: ignore[arg-type]
        achieved=float(flops) / float(measured),  # type: ignore[arg-type]
        utilization=result.get("utilization"),
        min_utilization=result.get("min_utilization"),
        bound_seconds=float(result.get("bound_seconds") or 0.0),
        measured_seconds=float(measured),  # type: ignore[arg-type]
    )


def chart_model(results: Sequence[dict[str, Any]], hardware: str) -> Chart:
    """The chart of the kernel results on ``hardware`` (results of other hardware ignored).

    The axes reach every ridge point (also of each cache slope against the highest peak)
    and every point, with a margin, so no roof corner or measurement is cut off.
    """
    mine = [r for r in results if r.get("hardware") == hardware]
    roofs, slopes = _roofs(_spec(mine)) if mine else ((), ())
    kernels = [r for r in mine if r.get("kind", "kernel") == "kernel"]
    points = tuple(p for p in (_point(r) for r in kernels) if p is not None)
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


def _n(value: float) -> str:
    """A pixel coordinate as SVG text: two decimals, stable across platforms."""
    return f"{value:.2f}"


def _tick_x(value: float) -> str:
    k = round(math.log10(value))
    return f"{value:g}" if -3 <= k <= 4 else f"1e{k}"


_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def _tick_y(value: float) -> str:
    for scale, prefix in _SI:
        if value >= scale:
            return f"{value / scale:g}{prefix}"
    return f"{value:g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def point_title(point: Point) -> str:
    """The hover text of a point: test, utilization (and budget), bound and measured."""
    budget = "" if point.min_utilization is None else f" (budget {point.min_utilization:.1%})"
    return (
        f"{point.nodeid}\n{point.label}: {point.outcome}\n"
        f"utilization {_percent(point.utilization)}{budget}\n"
        f"bound {format_seconds(point.bound_seconds)},"
        f" measured {format_seconds(point.measured_seconds)}\n"
        f"{point.intensity:.3g} FLOP/B, {format_quantity(point.achieved, FLOP_RATE)}"
    )


def roofline_svg(
    results: list[dict[str, Any]],
    hardware: str,
    width: int = 720,
    height: int = 460,
    *,
    point_radius: float = 5.0,
) -> str:
    """The roofline chart of ``hardware`` as one ``<svg>`` element (well-formed XML).

    ``results`` are result records of the JSON report (any hardware; others are ignored).
    Every point is a ``<circle class="point">`` with ``data-x``/``data-y`` (intensity,
    achieved FLOP/s) and ``data-x-px``/``data-y-px`` (its centre in SVG pixels, equal to
    CSS pixels from the SVG's top-left corner), so a test can check placement; the root
    carries the axis ranges and the plot area the same way.
    """
    chart = chart_model(results, hardware)
    left, top = MARGIN_LEFT, MARGIN_TOP
    pw, ph = width - MARGIN_LEFT - MARGIN_RIGHT, height - MARGIN_TOP - MARGIN_BOTTOM
    (x_lo, x_hi), (y_lo, y_hi) = chart.x_range, chart.y_range

    def px(x: float) -> float:
        return left + axis_position(x, x_lo, x_hi, pw)

    def py(y: float) -> float:
        return top + ph - axis_position(y, y_lo, y_hi, ph)

    clip = "clip-" + hashlib.sha1(hardware.encode()).hexdigest()[:10]
    h = escape(hardware)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="roofline" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="roofline of {h}" data-hardware="{h}"'
        f' data-x-min="{x_lo!r}" data-x-max="{x_hi!r}" data-y-min="{y_lo!r}"'
        f' data-y-max="{y_hi!r}" data-plot-left="{left}" data-plot-top="{top}"'
        f' data-plot-width="{pw}" data-plot-height="{ph}"'
        f' font-family="sans-serif" font-size="11">',
        f"<title>roofline of {h}</title>",
        f'<defs><clipPath id="{clip}"><rect x="{left}" y="{top}" width="{pw}"'
        f' height="{ph}"/></clipPath></defs>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # Grid and decade ticks; with many decades every other label, so labels never touch.
    xs, ys = decades(x_lo, x_hi), decades(y_lo, y_hi)
    x_every = 1 if len(xs) <= 10 else 2
    y_every = 1 if len(ys) <= 8 else 2
    out.append('<g class="grid">')
    for i, x in enumerate(xs):
        xp = _n(px(x))
        out.append(f'<line x1="{xp}" y1="{top}" x2="{xp}" y2="{top + ph}" stroke="{GRID_COLOR}"/>')
        if i % x_every == 0:
            out.append(
                f'<text class="tick x" x="{xp}" y="{top + ph + 16}" text-anchor="middle"'
                f' data-value="{x!r}">{_tick_x(x)}</text>'
            )
    for i, y in enumerate(ys):
        yp = _n(py(y))
        out.append(
            f'<line x1="{left}" y1="{yp}" x2="{left + pw}" y2="{yp}" stroke="{GRID_COLOR}"/>'
        )
        if i % y_every == 0:
            out.append(
                f'<text class="tick y" x="{left - 6}" y="{yp}" text-anchor="end"'
                f' dominant-baseline="middle" data-value="{y!r}">{_tick_y(y)}</text>'
            )
    out.append("</g>")
    out.append(
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#9e9e9e"/>'
    )
    out.append(
        f'<text x="{_n(left + pw / 2)}" y="{height - 10}" text-anchor="middle"'
        f' font-size="12">operational intensity (FLOP/byte)</text>'
    )
    out.append(
        f'<text x="14" y="{_n(top + ph / 2)}" text-anchor="middle" font-size="12"'
        f' transform="rotate(-90 14 {_n(top + ph / 2)})">performance (FLOP/s)</text>'
    )

    # Slopes: main memory solid, caches dashed, each labelled along its line.
    top_peak = max((roof.peak for roof in chart.roofs), default=y_hi)
    # On log-log axes every memory roof has slope 1 in decades: its angle in pixels.
    rise = (ph / math.log10(y_hi / y_lo)) / (pw / math.log10(x_hi / x_lo))
    angle = -math.degrees(math.atan(rise))
    out.append(f'<g class="slopes" clip-path="url(#{clip})">')
    for i, slope in enumerate(chart.slopes):
        end = top_peak / slope.bandwidth
        color = LEVEL_COLOR if slope.cache else MEMORY_COLOR
        dash = ' stroke-dasharray="6 4"' if slope.cache else ""
        names = " ".join(slope.names)
        out.append(
            f'<line class="slope" data-names="{escape(names)}"'
            f' data-bandwidth="{slope.bandwidth!r}" data-cache="{str(slope.cache).lower()}"'
            f' x1="{_n(px(x_lo))}" y1="{_n(py(x_lo * slope.bandwidth))}"'
            f' x2="{_n(px(end))}" y2="{_n(py(top_peak))}" stroke="{color}"'
            f' stroke-width="1.5"{dash}/>'
        )
        # The label sits where the slope crosses a height staggered per slope, moved right
        # onto the plot when that crossing is left of it.
        label_y = y_lo * (y_hi / y_lo) ** (0.12 + 0.1 * i)
        label_x = max(label_y / slope.bandwidth, x_lo * (x_hi / x_lo) ** 0.02)
        lx, ly = px(label_x), py(label_x * slope.bandwidth)
        text = f"{'/'.join(slope.names)} {format_quantity(slope.bandwidth, BANDWIDTH)}"
        out.append(
            f'<text class="slope-label" x="{_n(lx + 4)}" y="{_n(ly - 4)}" fill="{color}"'
            f' transform="rotate({angle:.2f} {_n(lx + 4)} {_n(ly - 4)})">{escape(text)}</text>'
        )
    out.append("</g>")

    # Compute roofs, highest first: the memory slope up to the ridge, then flat.
    out.append(f'<g class="roofs" clip-path="url(#{clip})">')
    last_label = -math.inf
    for i, roof in enumerate(chart.roofs):
        color = ROOF_COLORS[i % len(ROOF_COLORS)]
        rx, ry = px(roof.ridge), py(roof.peak)
        dtypes = " ".join(roof.dtypes)
        out.append(
            f'<g class="roof" data-dtypes="{escape(dtypes)}" data-peak="{roof.peak!r}"'
            f' data-bandwidth="{roof.bandwidth!r}" data-ridge="{roof.ridge!r}"'
            f' data-ridge-x-px="{_n(rx)}" data-ridge-y-px="{_n(ry)}">'
        )
        out.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
            f"{_n(px(x_lo))},{_n(py(x_lo * roof.bandwidth))} {_n(rx)},{_n(ry)}"
            f' {_n(left + pw)},{_n(ry)}"/>'
        )
        out.append(
            f'<circle class="ridge" cx="{_n(rx)}" cy="{_n(ry)}" r="3.5" fill="#ffffff"'
            f' stroke="{color}" stroke-width="1.5"><title>{escape(dtypes)} ridge point'
            f" {roof.ridge:.3g} FLOP/B</title></circle>"
        )
        out.append(
            # Above and left of the corner: the region over the slope is empty there, while
            # below it the next roof's label may sit.
            f'<text class="ridge-label" x="{_n(rx - 6)}" y="{_n(ry - 6)}" text-anchor="end"'
            f' fill="{color}">'
            f"ridge {roof.ridge:.3g}</text>"
        )
        # Labels of close peaks would overlap: push each below the one above it.
        label_y = max(ry - 4, last_label + 12)
        last_label = label_y
        text = f"{'/'.join(roof.dtypes)} {format_quantity(roof.peak, FLOP_RATE)}"
        out.append(
            f'<text class="roof-label" x="{left + pw - 4}" y="{_n(label_y)}"'
            f' text-anchor="end" fill="{color}">{escape(text)}</text>'
        )
        out.append("</g>")
    out.append("</g>")

    # Points last, on top of every line.
    out.append('<g class="points">')
    for p in chart.points:
        x_px, y_px = _n(px(p.intensity)), _n(py(p.achieved))
        color = OUTCOME_COLORS.get(p.outcome, OUTCOME_COLORS["unmeasured"])
        out.append(
            f'<circle class="point" cx="{x_px}" cy="{y_px}" r="{point_radius:g}"'
            f' fill="{color}" stroke="#ffffff" stroke-width="1"'
            f' data-nodeid="{escape(p.nodeid)}" data-outcome="{escape(p.outcome)}"'
            f' data-x="{p.intensity!r}" data-y="{p.achieved!r}"'
            f' data-x-px="{x_px}" data-y-px="{y_px}">'
            f"<title>{escape(point_title(p))}</title></circle>"
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
