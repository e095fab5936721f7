"""Text labels placed so that none covers another, a point, or a marker: the geometry.

A chart's labels (a roof's peak, a slope's bandwidth, a ridge point, a point's number)
each have a few places they may go, in order of preference. :class:`Board` tries them in
turn and keeps the first that stays inside the plot and overlaps nothing placed before it,
so two roofs of one value, or a label and a dot, never print over each other.

Every shape is a convex quadrilateral (:class:`Quad`) in pixels, rows growing downwards,
tested with the separating axis theorem, so a label along a slanted memory roof is tested
as it is drawn rather than as its much larger upright bounding box.

Text is measured without a font engine (the HTML report has none, and must look the same
wherever it is opened): :func:`text_width` takes each character's advance in DejaVu Sans,
matplotlib's face and the widest of the common sans-serif ones, rounded up by class, so
a label measured here is never shorter than the one a browser or matplotlib draws.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

ASCENT, DESCENT = 0.93, 0.24
"""The height of a line of text above and below its baseline, in ems (DejaVu Sans: 0.928
and 0.236; narrower faces have less), which is the box browsers give text."""

_NARROW = frozenset(" .,:;|!'ijlfrtI()[]-/\\`")
_WIDE = frozenset("mwMW%@#=+<>~^&")
"""Characters narrower than 0.42 em, and wider than 0.8 em, in DejaVu Sans."""

CELL = 48.0
"""The side of a square of the board's index, in pixels: about a label's width."""

Corner = tuple[float, float]


@dataclass(frozen=True)
class Quad:
    """A convex quadrilateral, corners in order around it (pixels, y down)."""

    corners: tuple[Corner, Corner, Corner, Corner]
    bounds: tuple[float, float, float, float] = field(init=False, compare=False)
    """(left, top, right, bottom) of the upright box around it."""
    axes: tuple[Corner, ...] = field(init=False, compare=False)
    """The unit normals of its edges: the axes that may separate it from another."""
    upright: bool = field(init=False, compare=False)
    """True when its edges run along the axes: its box is all a test needs."""

    def __post_init__(self) -> None:
        # Worked out once: a layout tests each shape against hundreds of candidates.
        xs = [x for x, _ in self.corners]
        ys = [y for _, y in self.corners]
        object.__setattr__(self, "bounds", (min(xs), min(ys), max(xs), max(ys)))
        object.__setattr__(self, "axes", tuple(_normals(self.corners)))
        upright = all(abs(ux) < 1e-9 or abs(uy) < 1e-9 for ux, uy in self.axes)
        object.__setattr__(self, "upright", upright)

    def nearest(self, x: float, y: float) -> Corner:
        """The point of its upright box nearest to (x, y): where a leader line ends."""
        left, top, right, bottom = self.bounds
        return min(max(x, left), right), min(max(y, top), bottom)


Candidate = Sequence["Quad"]
"""A place a label may go: its box, then the lines that go with it (a leader line)."""


def rect(left: float, top: float, right: float, bottom: float) -> Quad:
    """An upright rectangle."""
    return Quad(((left, top), (right, top), (right, bottom), (left, bottom)))


def square(x: float, y: float, radius: float) -> Quad:
    """The square around a circle (a chart's dot or marker) of ``radius`` at (x, y)."""
    return rect(x - radius, y - radius, x + radius, y + radius)


def segment(x1: float, y1: float, x2: float, y2: float, half_width: float = 1.0) -> Quad:
    """A line drawn from (x1, y1) to (x2, y2), ``half_width`` to each side."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length * half_width, (x2 - x1) / length * half_width
    return Quad(((x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny)))


def text_width(text: str, size: float) -> float:
    """The advance of ``text`` at ``size`` pixels, never less than DejaVu Sans draws it."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.42
        elif char in _WIDE:
            ems += 1.0
        elif char.isupper():
            ems += 0.8
        else:
            ems += 0.64
    return ems * size


def text_quad(
    x: float, y: float, text: str, size: float, anchor: str = "start", angle: float = 0.0
) -> Quad:
    """The box of ``text`` drawn as SVG draws it: anchored at (x, y) on its baseline
    (``anchor`` "start", "middle" or "end"), then turned ``angle`` degrees clockwise
    about that point (SVG's ``rotate(angle x y)``)."""
    width = text_width(text, size)
    start = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
    top, bottom = -ASCENT * size, DESCENT * size
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def turned(dx: float, dy: float) -> Corner:
        return x + dx * cos - dy * sin, y + dx * sin + dy * cos

    return Quad(
        (
            turned(start, top),
            turned(start + width, top),
            turned(start + width, bottom),
            turned(start, bottom),
        )
    )


def _normals(corners: tuple[Corner, ...]) -> Iterator[Corner]:
    """The unit normals of the edges between ``corners``, in order around them."""
    for i in range(4):
        (x1, y1), (x2, y2) = corners[i], corners[(i + 1) % 4]
        length = math.hypot(x2 - x1, y2 - y1)
        if length > 0:
            yield (y1 - y2) / length, (x2 - x1) / length


def overlaps(a: Quad, b: Quad, gap: float = 0.0) -> bool:
    """True when ``a`` and ``b`` come closer than ``gap`` pixels along every axis of
    either (separating axis theorem: convex shapes apart have an axis that shows it)."""
    al, at, ar, ab = a.bounds
    bl, bt, br, bb = b.bounds
    if al >= br + gap or bl >= ar + gap or at >= bb + gap or bt >= ab + gap:
        return False
    if a.upright and b.upright:
        return True
    for ux, uy in (*a.axes, *b.axes):
        a_proj = [x * ux + y * uy for x, y in a.corners]
        b_proj = [x * ux + y * uy for x, y in b.corners]
        if max(a_proj) + gap <= min(b_proj) or max(b_proj) + gap <= min(a_proj):
            return False
    return True


def inside(quad: Quad, area: Quad) -> bool:
    """True when ``quad`` lies within the upright box of ``area``."""
    left, top, right, bottom = area.bounds
    ql, qt, qr, qb = quad.bounds
    return left <= ql and qr <= right and top <= qt and qb <= bottom


LINE, DOT, LABEL = "line", "dot", "label"
"""What is on a board: a drawn line, a dot or marker, a label placed."""

PASSES = (
    ((LINE, DOT, LABEL), (DOT, LABEL)),
    ((DOT, LABEL), (DOT, LABEL)),
    ((DOT, LABEL), (LABEL,)),
)
"""What a candidate's box, and its leader line, must not cover, in the order of trying:
first nothing at all; then a box may cross a line; then a leader may cross a dot. A
label never covers another label or a dot while some place lets it."""


@dataclass
class Board:
    """The plot area and what is on it: lines, dots and the labels placed so far."""

    area: Quad
    gap: float = 2.0
    """The least room between a label and a dot or label, in pixels (lines: half one)."""
    _shapes: list[tuple[Quad, str]] = field(default_factory=list)
    _index: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def block(self, quad: Quad, kind: str = LABEL) -> None:
        """Put ``quad`` on the board as a :data:`LINE`, :data:`DOT` or :data:`LABEL`."""
        self._shapes.append((quad, kind))
        for cell in self._cells(quad):
            self._index.setdefault(cell, []).append(len(self._shapes) - 1)

    def covered(self, quad: Quad, kinds: Collection[str], limit: int = 1) -> int:
        """How many things of ``kinds`` on the board ``quad`` covers or comes within
        the gap of, counted up to ``limit`` (1: whether it covers any)."""
        seen: set[int] = set()
        found = 0
        for cell in self._cells(quad):
            for index in self._index.get(cell, ()):
                if limit > 1:  # a shape in two cells counts once (a yes/no may look twice)
                    if index in seen:
                        continue
                    seen.add(index)
                shape, kind = self._shapes[index]
                if kind in kinds and overlaps(quad, shape, 0.5 if kind == LINE else self.gap):
                    found += 1
                    if found >= limit:
                        return found
        return found

    def first_free(self, candidates: Sequence[Candidate]) -> int:
        """The index of the first candidate of the first of :data:`PASSES` that has one
        inside the area and covering nothing it must not; when none has, the candidate
        inside the area whose box covers fewest labels and dots.

        A candidate is a label's box and any leader line that goes with it.
        """
        for box_avoids, leader_avoids in PASSES:
            for index, (box, *leaders) in enumerate(candidates):
                if (
                    inside(box, self.area)
                    and not self.covered(box, box_avoids)
                    and not any(self.covered(leader, leader_avoids) for leader in leaders)
                ):
                    return index
        best, fewest = 0, math.inf
        for index, (box, *_) in enumerate(candidates):
            if inside(box, self.area):
                # Counting stops where it could no longer beat the best so far.
                limit = int(min(fewest, 1000))
                covers = self.covered(box, (DOT, LABEL), limit=limit)
                if covers < fewest:
                    best, fewest = index, covers
        return best

    def _cells(self, quad: Quad) -> Iterator[tuple[int, int]]:
        left, top, right, bottom = quad.bounds
        reach = self.gap
        for i in range(math.floor((left - reach) / CELL), math.floor((right + reach) / CELL) + 1):
            for j in range(
                math.floor((top - reach) / CELL), math.floor((bottom + reach) / CELL) + 1
            ):
                yield i, j
