"""The roofline chart of one hardware, drawn as hand-written inline SVG.

The HTML report must open anywhere without a network or a plotting library, so the chart
is plain SVG text built here from the :class:`~pytest_roofline.report.chart.Chart` that
:mod:`pytest_roofline.report.plot` draws with matplotlib. Every element carries its data
figures and pixel positions as ``data-`` attributes, so tests check placement exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from typing import Any

from pytest_roofline.core.units import FLOP_RATE, format_quantity, percent
from pytest_roofline.report.chart import (
    GRID_COLOR,
    Chart,
    Point,
    chart_model,
    decades,
    roof_path,
    slope_path,
)
from pytest_roofline.report.chart_labels import (
    MARKER_RADIUS,
    Frame,
    Label,
    lay_out,
    roof_colour,
    slope_colour,
)
from pytest_roofline.report.format import decade, figure, outcome_style, seconds, si_tick

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 74, 24, 20, 52


def _n(value: float) -> str:
    """A pixel coordinate as SVG text: two decimals, stable across platforms."""
    return f"{value:.2f}"


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
    results: Sequence[Mapping[str, Any]],
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
    carries the axis ranges and the plot area the same way. Each point's number (its
    row in the kernel table) is a ``<text class="label point-label">`` with the same
    ``data-number``.
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
    labels = lay_out(chart, frame, point_radius=point_radius)
    out = [*_opening(chart, frame, width, height, clip), *_grid(frame), *_axes(frame, height)]
    # Roofs over the grid, points over every line, labels last (they cover nothing).
    out += [f'<g class="slopes" clip-path="url(#{clip})">', *_slopes(chart, frame), "</g>"]
    out += [f'<g class="roofs" clip-path="url(#{clip})">', *_roofs(chart, frame), "</g>"]
    out += ['<g class="points">', *_points(chart, frame, point_radius), "</g>"]
    out += ['<g class="labels">', *_labels(labels), "</g>", "</svg>"]
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


def _path(corners: list[tuple[float, float]], frame: Frame) -> str:
    """A path in data units as the ``points`` of an SVG polyline."""
    return " ".join(f"{_n(frame.x(x))},{_n(frame.y(y))}" for x, y in corners)


def _slopes(chart: Chart, frame: Frame) -> Iterator[str]:
    """Memory roofs: main memory solid, cache levels dashed (their whole roof)."""
    for slope in chart.slopes:
        dash = ' stroke-dasharray="6 4"' if slope.cache else ""
        yield (
            f'<polyline class="slope" data-names="{escape(" ".join(slope.names))}"'
            f' data-bandwidth="{slope.bandwidth!r}" data-cache="{str(slope.cache).lower()}"'
            f' points="{_path(slope_path(slope, chart), frame)}" fill="none"'
            f' stroke="{slope_colour(slope)}" stroke-width="1.5"{dash}/>'
        )


def _roofs(chart: Chart, frame: Frame) -> Iterator[str]:
    """Compute roofs, highest first: flat from the ridge point, where main memory's
    slope meets them, with a marker there."""
    for i, roof in enumerate(chart.roofs):
        colour = roof_colour(i)
        rx, ry = _n(frame.x(roof.ridge)), _n(frame.y(roof.peak))
        dtypes = escape(" ".join(roof.dtypes))
        yield (
            f'<g class="roof" data-dtypes="{dtypes}" data-peak="{roof.peak!r}"'
            f' data-bandwidth="{roof.bandwidth!r}" data-ridge="{roof.ridge!r}"'
            f' data-ridge-x-px="{rx}" data-ridge-y-px="{ry}">'
        )
        yield (
            f'<polyline class="roof-line" points="{_path(roof_path(roof, chart), frame)}"'
            f' fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        yield (
            f'<circle class="ridge" cx="{rx}" cy="{ry}" r="{MARKER_RADIUS:g}" fill="#ffffff"'
            f' stroke="{colour}" stroke-width="1.5"><title>{dtypes} ridge point'
            f" {figure(roof.ridge)} FLOP/B</title></circle>"
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
            f' data-number="{p.number}" data-x="{p.intensity!r}" data-y="{p.achieved!r}"'
            f' data-x-px="{x_px}" data-y-px="{y_px}">'
            f"<title>{escape(point_title(p))}</title></circle>"
        )


def _labels(labels: list[Label]) -> Iterator[str]:
    """Every label where :func:`.chart_labels.lay_out` put it; a point's number after
    its leader line, both in a group named by the point's number."""
    for label in labels:
        x, y = _n(label.x), _n(label.y)
        turn = f' transform="rotate({label.angle:.2f} {x} {y})"' if label.angle else ""
        number = "" if label.number is None else f' data-number="{label.number}"'
        if label.leader is not None:
            x1, y1, x2, y2 = (_n(v) for v in label.leader)
            yield (
                f'<line class="leader"{number} x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"'
                f' stroke="#9e9e9e" stroke-width="0.8"/>'
            )
        yield (
            f'<text class="label {label.kind}-label"{number} x="{x}" y="{y}"'
            f' text-anchor="{label.anchor}" font-size="{label.size:g}" fill="{label.colour}"'
            f"{turn}>{escape(label.text)}</text>"
        )
