"""Compare two JSON reports: how each test's utilization moved between two runs.

Utilization (bound / measured) is comparable between runs of the same test even when the
hardware figures or the machine changed, which raw times are not. Rows go largest drop
first, because a slowdown is what a reviewer looks for; a drop of more than
:data:`DROP_MARK` of the old figure is marked. The table is Markdown with padded columns,
readable as it is in a terminal and rendered in a pull-request comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_roofline.core.units import number, percent
from pytest_roofline.report import json_report
from pytest_roofline.report.format import signed
from pytest_roofline.report.markdown import escape

DROP_MARK = 0.10
"""A test is marked when new / old - 1 falls below minus this: past run-to-run noise."""
COLUMNS = (
    ("test", "left"),
    ("old", "right"),
    ("new", "right"),
    ("change", "right"),
    ("relative", "right"),
    ("note", "left"),
)


def read_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report for comparison; every problem is a one-line :class:`RooflineError`.

    The command line shows the message alone, so it names the file and what is wrong
    with it rather than surfacing a traceback from ``json`` or the file system.
    """
    return json_report.read(Path(path), whole_results=False)


def _utilizations(document: Mapping[str, Any]) -> dict[str, float | None]:
    """Node id -> utilization; a test listed twice keeps its last result, as a rerun does."""
    found: dict[str, float | None] = {}
    results = document.get("results", [])
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping) or not isinstance(result.get("nodeid"), str):
            continue
        found[result["nodeid"]] = number(result.get("utilization"))
    return found


@dataclass(frozen=True)
class Change:
    """One test's utilization in both reports (None: absent or unmeasured there)."""

    nodeid: str
    old: float | None
    new: float | None
    in_old: bool
    in_new: bool

    @property
    def points(self) -> float | None:
        """The change in percentage points (new - old, x 100)."""
        if self.old is None or self.new is None:
            return None
        return (self.new - self.old) * 100

    @property
    def relative(self) -> float | None:
        """new / old - 1, or None when there is no old figure to divide by."""
        if self.old is None or self.new is None or self.old == 0:
            return None
        return self.new / self.old - 1

    @property
    def note(self) -> str:
        """'DROP' past the threshold; otherwise why no change could be computed."""
        if not self.in_old:
            return "added"
        if not self.in_new:
            return "removed"
        if self.old is None or self.new is None:
            return "unmeasured"
        relative = self.relative
        return "DROP" if relative is not None and relative < -DROP_MARK else ""

    def sort_key(self) -> tuple[int, float, str]:
        """Largest drop first; then rows with no change: unmeasured, removed, added."""
        points = self.points
        if points is not None:
            return (0, points, self.nodeid)
        rank = {"unmeasured": 1, "removed": 2, "added": 3}[self.note]
        return (rank, 0.0, self.nodeid)


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every test of either report, ordered for :func:`diff_documents`."""
    before, after = _utilizations(old), _utilizations(new)
    rows = [
        Change(
            nodeid=nodeid,
            old=before.get(nodeid),
            new=after.get(nodeid),
            in_old=nodeid in before,
            in_new=nodeid in after,
        )
        for nodeid in {**before, **after}
    ]
    return sorted(rows, key=Change.sort_key)


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The comparison table's lines (no trailing newlines); empty when neither has results.

    Columns: test, old and new utilization, the change in percentage points and
    relative to the old figure, and a note (DROP, added, removed or unmeasured).
    """
    rows = [
        [
            escape(c.nodeid),
            percent(c.old),
            percent(c.new),
            signed(c.points, " pp"),
            signed(None if c.relative is None else c.relative * 100, "%"),
            c.note,
        ]
        for c in changes(old, new)
    ]
    if not rows:
        return []
    names = [name for name, _ in COLUMNS]
    widths = [max(len(names[i]), *(len(row[i]) for row in rows)) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if align == "right" else cell.ljust(width)
            for cell, width, (_, align) in zip(cells, widths, COLUMNS, strict=True)
        ]
        return ("| " + " | ".join(padded) + " |").rstrip()

    rule = [
        "-" * (width - 1) + ":" if align == "right" else "-" * width
        for width, (_, align) in zip(widths, COLUMNS, strict=True)
    ]
    return [line(names), line(rule), *(line(row) for row in rows)]
