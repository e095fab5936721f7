"""The roofline chart of one hardware, drawn as hand-written inline SVG.

The HTML report must open anywhere without a network or a plotting library, so the chart
is plain SVG text built here from the :class:`~pytest_roofline.report.chart.Chart` that
:mod:`pytest_roofline.report.plot` draws with matplotlib. Every element carries its data
figures and pixel positions as ``data-`` attributes, so tests check placement exactly.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import Any

from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    format_quantity,
    percent,
)
from pytest_roofline.report.chart import (
    GRID_COLOR,
    LEVEL_COLOR,
    MEMORY_COLOR,
    ROOF_COLORS,
    Chart,
    Point,
    Roof,
    Slope,
    axis_position,
    chart_model,
    decades,
)
from pytest_roofline.report.format import decade, figure, outcome_style, seconds, si_tick

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 74, 24, 20, 52


def _n(value: float) -> str:
    """A pixel coordinate as SVG text: two decimals, stable across platforms."""
    return f"{value:.2f}"


@dataclass(frozen=True)
class Frame:
    """The plot area in SVG pixels, and the log axes that map data units onto it."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        """The pixel column of an intensity."""
        return self.left + axis_position(value, *self.x_range, self.width)

    def y(self, value: float) -> float:
        """The pixel row of a rate: SVG rows grow downwards, FLOP/s upwards."""
        return self.top + self.height - axis_position(value, *self.y_range, self.height)

    @property
    def slope_angle(self) -> float:
        """The on-screen angle of a memory roof: slope 1 in decades on log-log axes."""
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        rise = (self.height / math.log10(y_hi / y_lo)) / (self.width / math.log10(x_hi / x_lo))
        return -math.degrees(math.atan(rise))


def point_title(point: Point) -> str:
    """The hover text of a point: test, utilization (and budget), bound and measured."""
    budget = point.min_utilization
    shown_budget = "" if budget is None else f" (budget {percent(budget)})"
    return (
        f"{point.nodeid}\n{point.label}: {point.outcome}\n"
        f"utilization {percent(point.utilization)}{shown_budget}\n"
        f"bound {seconds(point.bound_seconds)}, measured {seconds(point.measured_seconds)}\n"
        f"{figure(point.intensity)} FLOP/B, {format_quantity(point.achieved, FLOP_RATE)}"
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
    frame = Frame(
        MARGIN_LEFT,
        MARGIN_TOP,
        width - MARGIN_LEFT - MARGIN_RIGHT,
        height - MARGIN_TOP - MARGIN_BOTTOM,
        chart.x_range,
        chart.y_range,
    )
    clip = "clip-" + hashlib.sha1(hardware.encode()).hexdigest()[:10]
    out = [*_opening(chart, frame, width, height, clip), *_grid(frame), *_axes(frame, height)]
    # Roofs over the grid, points last: on top of every line.
    out += [f'<g class="slopes" clip-path="url(#{clip})">', *_slopes(chart, frame), "</g>"]
    out += [f'<g class="roofs" clip-path="url(#{clip})">', *_roofs(chart, frame), "</g>"]
    out += ['<g class="points">', *_points(chart, frame, point_radius), "</g>", "</svg>"]
    return "\n".join(out)


def _opening(chart: Chart, frame: Frame, width: int, height: int, clip: str) -> list[str]:
    """The root element with the axes and plot area as data, a title and a background."""
    h = escape(chart.hardware)
    (x_lo, x_hi), (y_lo, y_hi) = frame.x_range, frame.y_range
    left, top, pw, ph = frame.left, frame.top, frame.width, frame.height
    return [
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


def _grid(frame: Frame) -> Iterator[str]:
    """Decade grid lines and their ticks; with many decades every other label, so
    labels never touch."""
    top, bottom = frame.top, frame.top + frame.height
    left, right = frame.left, frame.left + frame.width
    yield '<g class="grid">'
    xs = decades(*frame.x_range)
    for i, x in enumerate(xs):
        xp = _n(frame.x(x))
        yield f'<line x1="{xp}" y1="{top}" x2="{xp}" y2="{bottom}" stroke="{GRID_COLOR}"/>'
        if i % (1 if len(xs) <= 10 else 2) == 0:
            yield (
                f'<text class="tick x" x="{xp}" y="{bottom + 16}" text-anchor="middle"'
                f' data-value="{x!r}">{decade(x)}</text>'
            )
    ys = decades(*frame.y_range)
    for i, y in enumerate(ys):
        yp = _n(frame.y(y))
        yield f'<line x1="{left}" y1="{yp}" x2="{right}" y2="{yp}" stroke="{GRID_COLOR}"/>'
        if i % (1 if len(ys) <= 8 else 2) == 0:
            yield (
                f'<text class="tick y" x="{left - 6}" y="{yp}" text-anchor="end"'
                f' dominant-baseline="middle" data-value="{y!r}">{si_tick(y)}</text>'
            )
    yield "</g>"


def _axes(frame: Frame, height: int) -> list[str]:
    """The plot area's border and the two axis titles."""
    left, top, pw, ph = frame.left, frame.top, frame.width, frame.height
    middle = _n(top + ph / 2)
    return [
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#9e9e9e"/>',
        f'<text x="{_n(left + pw / 2)}" y="{height - 10}" text-anchor="middle"'
        f' font-size="12">operational intensity (FLOP/byte)</text>',
        f'<text x="14" y="{middle}" text-anchor="middle" font-size="12"'
        f' transform="rotate(-90 14 {middle})">performance (FLOP/s)</text>',
    ]


def _slopes(chart: Chart, frame: Frame) -> Iterator[str]:
    """Memory roofs: main memory solid, caches dashed, each labelled along its line."""
    top_peak = max((roof.peak for roof in chart.roofs), default=frame.y_range[1])
    for i, slope in enumerate(chart.slopes):
        yield from _slope(slope, i, top_peak, frame)


def _slope(slope: Slope, index: int, top_peak: float, frame: Frame) -> Iterator[str]:
    (x_lo, x_hi), (y_lo, y_hi) = frame.x_range, frame.y_range
    color = LEVEL_COLOR if slope.cache else MEMORY_COLOR
    dash = ' stroke-dasharray="6 4"' if slope.cache else ""
    yield (
        f'<line class="slope" data-names="{escape(" ".join(slope.names))}"'
        f' data-bandwidth="{slope.bandwidth!r}" data-cache="{str(slope.cache).lower()}"'
        f' x1="{_n(frame.x(x_lo))}" y1="{_n(frame.y(x_lo * slope.bandwidth))}"'
        f' x2="{_n(frame.x(top_peak / slope.bandwidth))}" y2="{_n(frame.y(top_peak))}"'
        f' stroke="{color}" stroke-width="1.5"{dash}/>'
    )
    # The label sits where the slope crosses a height staggered per slope, moved right
    # onto the plot when that crossing is left of it.
    label_y = y_lo * (y_hi / y_lo) ** (0.12 + 0.1 * index)
    label_x = max(label_y / slope.bandwidth, x_lo * (x_hi / x_lo) ** 0.02)
    lx, ly = _n(frame.x(label_x) + 4), _n(frame.y(label_x * slope.bandwidth) - 4)
    text = f"{'/'.join(slope.names)} {format_quantity(slope.bandwidth, BANDWIDTH)}"
    yield (
        f'<text class="slope-label" x="{lx}" y="{ly}" fill="{color}"'
        f' transform="rotate({frame.slope_angle:.2f} {lx} {ly})">{escape(text)}</text>'
    )


def _roofs(chart: Chart, frame: Frame) -> Iterator[str]:
    """Compute roofs, highest first: the memory slope up to the ridge, then flat.

    Labels of close peaks would overlap: each is pushed below the one above it.
    """
    last_label = -math.inf
    for i, roof in enumerate(chart.roofs):
        label_y = max(frame.y(roof.peak) - 4, last_label + 12)
        last_label = label_y
        yield from _roof(roof, ROOF_COLORS[i % len(ROOF_COLORS)], label_y, frame)


def _roof(roof: Roof, color: str, label_y: float, frame: Frame) -> Iterator[str]:
    x_lo = frame.x_range[0]
    rx, ry = _n(frame.x(roof.ridge)), _n(frame.y(roof.peak))
    dtypes = escape(" ".join(roof.dtypes))
    yield (
        f'<g class="roof" data-dtypes="{dtypes}" data-peak="{roof.peak!r}"'
        f' data-bandwidth="{roof.bandwidth!r}" data-ridge="{roof.ridge!r}"'
        f' data-ridge-x-px="{rx}" data-ridge-y-px="{ry}">'
    )
    yield (
        f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
        f"{_n(frame.x(x_lo))},{_n(frame.y(x_lo * roof.bandwidth))} {rx},{ry}"
        f' {_n(frame.left + frame.width)},{ry}"/>'
    )
    yield (
        f'<circle class="ridge" cx="{rx}" cy="{ry}" r="3.5" fill="#ffffff"'
        f' stroke="{color}" stroke-width="1.5"><title>{dtypes} ridge point'
        f" {figure(roof.ridge)} FLOP/B</title></circle>"
    )
    # Above and left of the corner: the region over the slope is empty there, while
    # below it the next roof's label may sit.
    yield (
        f'<text class="ridge-label" x="{_n(frame.x(roof.ridge) - 6)}"'
        f' y="{_n(frame.y(roof.peak) - 6)}" text-anchor="end" fill="{color}">'
        f"ridge {figure(roof.ridge)}</text>"
    )
    text = f"{'/'.join(roof.dtypes)} {format_quantity(roof.peak, FLOP_RATE)}"
    yield (
        f'<text class="roof-label" x="{frame.left + frame.width - 4}" y="{_n(label_y)}"'
        f' text-anchor="end" fill="{color}">{escape(text)}</text>'
    )
    yield "</g>"


def _points(chart: Chart, frame: Frame, radius: float) -> Iterator[str]:
    """Every measured kernel, worst first (the rows' order), in its outcome's colour."""
    for p in chart.points:
        x_px, y_px = _n(frame.x(p.intensity)), _n(frame.y(p.achieved))
        yield (
            f'<circle class="point" cx="{x_px}" cy="{y_px}" r="{radius:g}"'
            f' fill="{outcome_style(p.outcome).colour}" stroke="#ffffff" stroke-width="1"'
            f' data-nodeid="{escape(p.nodeid)}" data-outcome="{escape(p.outcome)}"'
            f' data-x="{p.intensity!r}" data-y="{p.achieved!r}"'
            f' data-x-px="{x_px}" data-y-px="{y_px}">'
            f"<title>{escape(point_title(p))}</title></circle>"
        )
