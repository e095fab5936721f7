"""Where a chart's labels go: a roof's peak, a slope's bandwidth, a ridge point's intensity
and each point's number, laid out in pixels so that none covers another or a dot.

Both drawings of a :class:`~pytest_roofline.report.chart.Chart` take their labels from
:func:`lay_out`: the SVG of the HTML report in its own pixels, the matplotlib plot in the
pixels of its axes. The labels are placed in order of how little room each may move in:
roof labels along their flat roof, slope labels along their slope (turned with it), ridge
labels around their marker, and last the point numbers, which move out around their dot,
with a leader line back to it when they had to go further than its side.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from pytest_roofline.core.units import BANDWIDTH, FLOP_RATE, format_quantity
from pytest_roofline.report.chart import (
    LEVEL_COLOR,
    MEMORY_COLOR,
    ROOF_COLORS,
    Chart,
    Point,
    Roof,
    Slope,
    axis_position,
    roof_path,
    slope_path,
)
from pytest_roofline.report.format import figure
from pytest_roofline.report.labels import (
    ASCENT,
    DESCENT,
    DOT,
    LINE,
    Board,
    Quad,
    rect,
    segment,
    square,
    text_quad,
    text_width,
)

MARKER_RADIUS = 3.5
"""A ridge point's marker, in pixels."""
NUMBERED_POINTS = 300
"""Points numbered at most: past this many, numbers would only bury the chart (every
point keeps its hover text, and its row in the table)."""
LABEL_COLOUR = "#212121"
"""A point's number: dark on any outcome's colour around it."""


@dataclass(frozen=True)
class Frame:
    """The plot area in pixels, and the log axes that map data units onto it."""

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
        """The pixel row of a rate: rows grow downwards, FLOP/s upwards."""
        return self.top + self.height - axis_position(value, *self.y_range, self.height)

    @property
    def area(self) -> Quad:
        return rect(self.left, self.top, self.left + self.width, self.top + self.height)

    @property
    def slope_angle(self) -> float:
        """The on-screen angle of a memory roof, in degrees clockwise (negative: it
        rises): slope 1 in decades on log-log axes."""
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        rise = (self.height / math.log10(y_hi / y_lo)) / (self.width / math.log10(x_hi / x_lo))
        return -math.degrees(math.atan(rise))


@dataclass(frozen=True)
class Label:
    """One label placed: its text at (x, y) on its baseline, anchored and turned as SVG
    draws text, and the box it takes."""

    kind: str
    """"roof", "slope", "ridge" or "point"."""
    text: str
    x: float
    y: float
    anchor: str
    """"start", "middle" or "end" (SVG's ``text-anchor``)."""
    angle: float
    """Degrees clockwise about (x, y) (SVG's ``rotate``)."""
    size: float
    colour: str
    box: Quad
    leader: tuple[float, float, float, float] | None = None
    """A line from the labelled dot's edge to the label, when it had to go further."""
    number: int | None = None
    """The point's number, for a point's label."""


def roof_colour(index: int) -> str:
    """The colour of the ``index``-th roof, highest first, in every drawing."""
    return ROOF_COLORS[index % len(ROOF_COLORS)]


def slope_colour(slope: Slope) -> str:
    """Main memory's slope is dark; cache levels share a lighter blue, drawn dashed."""
    return LEVEL_COLOR if slope.cache else MEMORY_COLOR


def roof_text(roof: Roof) -> str:
    """'bf16 = fp16 989 TFLOP/s'."""
    return f"{roof.name} {format_quantity(roof.peak, FLOP_RATE)}"


def slope_text(slope: Slope) -> str:
    """'memory = L3 19.8 GB/s'."""
    return f"{slope.name} {format_quantity(slope.bandwidth, BANDWIDTH)}"


def ridge_text(roof: Roof) -> str:
    """'ridge 295': the intensity, in FLOP/byte, where the roof meets main memory's slope."""
    return f"ridge {figure(roof.ridge)}"


KINDS = ("roof", "slope", "ridge", "point")


def lay_out(
    chart: Chart,
    frame: Frame,
    *,
    size: float = 11.0,
    number_size: float = 10.0,
    point_radius: float = 5.0,
    kinds: tuple[str, ...] = KINDS,
) -> list[Label]:
    """The labels of ``kinds`` for ``chart`` drawn in ``frame``; text ``size`` pixels
    high (point numbers ``number_size``). A label that finds no free place at all (a
    hundred dots on one spot) takes the place where it covers fewest."""
    board = Board(frame.area)
    for p in chart.points:
        board.block(square(frame.x(p.intensity), frame.y(p.achieved), point_radius + 1), DOT)
    for roof in chart.roofs:
        board.block(square(frame.x(roof.ridge), frame.y(roof.peak), MARKER_RADIUS + 1), DOT)
    for path in [slope_path(s, chart) for s in chart.slopes] + [
        roof_path(r, chart) for r in chart.roofs
    ]:
        corners = [(frame.x(x), frame.y(y)) for x, y in path]
        for (x1, y1), (x2, y2) in itertools.pairwise(corners):
            board.block(segment(x1, y1, x2, y2), LINE)
    labels: list[Label] = []
    if "roof" in kinds:
        for i, roof in enumerate(chart.roofs):
            labels += _place(board, _roof_candidates(roof, roof_colour(i), frame, size))
    if "slope" in kinds:
        for slope in chart.slopes:
            labels += _place(board, _slope_candidates(slope, chart, frame, size))
    if "ridge" in kinds:
        for i, roof in enumerate(chart.roofs):
            labels += _place(board, _ridge_candidates(roof, roof_colour(i), frame, size))
    if "point" in kinds:
        for p in chart.points[:NUMBERED_POINTS]:
            labels += _place(board, _number_candidates(p, frame, number_size, point_radius))
    return labels


def _place(board: Board, candidates: list[Label]) -> list[Label]:
    """The candidate :meth:`.Board.first_free` chooses, now on the board with its leader;
    none when there were no candidates (a slope that never enters the plot)."""
    if not candidates:
        return []
    chosen = candidates[board.first_free([_shapes(c) for c in candidates])]
    board.block(chosen.box)
    for leader in _shapes(chosen)[1:]:
        board.block(leader, LINE)
    return [chosen]


def _shapes(label: Label) -> list[Quad]:
    """A label's box, and its leader line when it has one."""
    if label.leader is None:
        return [label.box]
    return [label.box, segment(*label.leader, half_width=0.5)]


def _roof_candidates(roof: Roof, colour: str, frame: Frame, size: float) -> list[Label]:
    """Just above the flat roof at its right end, else below it, then further left along
    it, then a line further up or down; last, left of the ridge (over the slope, where
    the chart is empty), but never out of the plot."""
    text = roof_text(roof)
    width = text_width(text, size)
    y = frame.y(roof.peak)
    ridge_x = frame.x(roof.ridge)
    rights = [frame.left + frame.width - 4]
    while rights[-1] - 16 - width >= frame.left + 4:
        rights.append(rights[-1] - 16)
    on_roof = [right for right in rights if right - width >= ridge_x + 6] or rights[:1]
    beyond = [right for right in rights if right not in on_roof]
    line = (ASCENT + DESCENT) * size
    found = []
    for group in (on_roof, beyond):
        for lift in (0.0, line, 2 * line):
            for right in group:
                for baseline in (y - 4 - DESCENT * size - lift, y + 4 + ASCENT * size + lift):
                    box = text_quad(right, baseline, text, size, "end")
                    found.append(
                        Label("roof", text, right, baseline, "end", 0.0, size, colour, box)
                    )
    return found


def _slope_candidates(slope: Slope, chart: Chart, frame: Frame, size: float) -> list[Label]:
    """Along the slope, turned with it, from its lower left on; above it, else below;
    level beside it when it is too short."""
    text = slope_text(slope)
    width = text_width(text, size)
    angle = frame.slope_angle
    (x0, _), (x1, _) = slope_path(slope, chart)[:2]
    # Where the slope enters the plot area (it may cross the bottom edge first).
    lo = max(x0, frame.y_range[0] / slope.bandwidth)
    start = (frame.x(lo), frame.y(lo * slope.bandwidth))
    end = (frame.x(min(x1, frame.x_range[1])), frame.y(min(x1, frame.x_range[1]) * slope.bandwidth))
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    ux, uy = (end[0] - start[0]) / (length or 1), (end[1] - start[1]) / (length or 1)
    nx, ny = uy, -ux  # the normal pointing up-left, away from the area under the roof
    colour = slope_colour(slope)
    found = []
    along = 8.0
    while along + width <= length - 4:
        for off in (3 + DESCENT * size, -(3 + ASCENT * size)):
            x = start[0] + ux * along + nx * off
            y = start[1] + uy * along + ny * off
            box = text_quad(x, y, text, size, "start", angle)
            found.append(Label("slope", text, x, y, "start", angle, size, colour, box))
        along += 12
    # A slope too short for its label along it: the label level, up and left of a point
    # of it (a rising line stays below and right of such a box), else down and right.
    for along in range(0, int(length) + 1, 12):
        px, py = start[0] + ux * along, start[1] + uy * along
        for x, y, anchor in (
            (px - 3, py - 3 - DESCENT * size, "end"),
            (px + 3, py + 3 + ASCENT * size, "start"),
        ):
            box = text_quad(x, y, text, size, anchor)
            found.append(Label("slope", text, x, y, anchor, 0.0, size, colour, box))
    return found


def _ridge_candidates(roof: Roof, colour: str, frame: Frame, size: float) -> list[Label]:
    """Around the ridge marker: up and left first (the region over the slope is empty),
    then the other corners, then further out."""
    text = ridge_text(roof)
    rx, ry = frame.x(roof.ridge), frame.y(roof.peak)
    found = []
    for reach in (6.0, 12.0, 20.0, 32.0):
        for sx, sy in ((-1, -1), (1, 1), (1, -1), (-1, 1)):
            x = rx + sx * reach
            y = ry - reach - DESCENT * size if sy < 0 else ry + reach + ASCENT * size
            anchor = "end" if sx < 0 else "start"
            box = text_quad(x, y, text, size, anchor)
            found.append(Label("ridge", text, x, y, anchor, 0.0, size, colour, box))
    return found


DIRECTIONS = tuple(
    (math.cos(math.radians(a)), -math.sin(math.radians(a))) for a in range(0, 360, 15)
)
"""Where a number may sit around its dot: right first, then counter-clockwise."""
REACHES = (2.0, 8.0, 16.0, 28.0, 44.0, 64.0, 90.0)
"""How far from a dot's edge a number may sit, nearest first, in pixels."""


def _number_candidates(p: Point, frame: Frame, size: float, radius: float) -> list[Label]:
    """Beside the dot in every direction, then further out with a leader line."""
    text = str(p.number)
    cx, cy = frame.x(p.intensity), frame.y(p.achieved)
    width, height = text_width(text, size), (ASCENT + DESCENT) * size
    found = []
    for reach in REACHES:
        for ux, uy in DIRECTIONS:
            # The box's centre, pushed out so its near side is ``reach`` from the dot.
            mx = cx + ux * (radius + reach + width / 2)
            my = cy + uy * (radius + reach + height / 2)
            x, y = mx, my + (ASCENT - DESCENT) * size / 2
            box = text_quad(x, y, text, size, "middle")
            leader = None
            if reach > REACHES[1]:
                ex, ey = box.nearest(cx, cy)
                leader = (cx + ux * (radius + 2), cy + uy * (radius + 2), ex, ey)
            found.append(
                Label("point", text, x, y, "middle", 0.0, size, LABEL_COLOUR, box, leader, p.number)
            )
    return found
