"""Compare two JSON reports: how each test's utilization moved between two runs.

Utilization (bound / measured) is comparable between runs of the same test even when the
hardware figures or the machine changed, which raw times are not. Rows go largest drop
first, because a slowdown is what a reviewer looks for. The table is Markdown with padded
columns, readable as it is in a terminal and rendered in a pull-request comment.

A drop is judged as ``--roofline-compare`` judges one against a baseline
(:func:`pytest_roofline.verdict.baseline.drop_from`): on the best stretch, relative to
the old figure, on the old run's bound when both reports come from one machine, and
marked ``DROP`` past ``max_drop`` (default :data:`DROP_MARK`). A saved report cannot be
measured again, as the plugin measures a suspected drop again, so the intervals saved
with each result stand in for it: a drop whose interval overlaps the old one's is marked
``within noise`` instead (see :attr:`~pytest_roofline.verdict.baseline.Drop.significant`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_roofline.core.units import percent
from pytest_roofline.report import json_report, machines
from pytest_roofline.report.format import signed
from pytest_roofline.report.markdown import escape
from pytest_roofline.report.padded import padded_table
from pytest_roofline.verdict.baseline import DEFAULT_MAX_DROP, Drop, Entry, compare, entry_of

DROP_MARK = DEFAULT_MAX_DROP
"""A test is marked when its best stretch fell by more than this fraction of the old
figure, the allowance ``--roofline-compare`` gives by default."""
DROP = "DROP"
NOISE = "within noise"
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


def entries_of(document: Mapping[str, Any]) -> dict[str, Entry | None]:
    """Node id -> the test's figures (None: unmeasured); a test listed twice keeps its
    last result, as a rerun does."""
    found: dict[str, Entry | None] = {}
    results = document.get("results", [])
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping) or not isinstance(result.get("nodeid"), str):
            continue
        found[result["nodeid"]] = entry_of(result)
    return found


@dataclass(frozen=True)
class Change:
    """One test's figures in both reports (None: absent or unmeasured there)."""

    nodeid: str
    before: Entry | None
    after: Entry | None
    in_old: bool
    in_new: bool
    drop: Drop | None = None
    """The best stretch's drop, judged as against a baseline; None without both figures."""
    max_drop: float = DROP_MARK

    @property
    def old(self) -> float | None:
        """The old utilization."""
        return None if self.before is None else self.before.utilization

    @property
    def new(self) -> float | None:
        """The new utilization."""
        return None if self.after is None else self.after.utilization

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
    def dropped(self) -> bool:
        """True for a drop past ``max_drop`` that the intervals show is no noise."""
        return self.drop is not None and self.drop.beyond(self.max_drop) and self.drop.significant

    @property
    def note(self) -> str:
        """'DROP' or 'within noise' past the allowance; else why no change was computed."""
        if not self.in_old:
            return "added"
        if not self.in_new:
            return "removed"
        if self.old is None or self.new is None:
            return "unmeasured"
        if self.drop is None or not self.drop.beyond(self.max_drop):
            return ""
        return DROP if self.drop.significant else NOISE

    def sort_key(self) -> tuple[int, float, str]:
        """Largest drop first; then rows with no change: unmeasured, removed, added."""
        points = self.points
        if points is not None:
            return (0, points, self.nodeid)
        rank = {"unmeasured": 1, "removed": 2, "added": 3}[self.note]
        return (rank, 0.0, self.nodeid)


def changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    max_drop: float = DROP_MARK,
    same_machine: bool | None = None,
) -> list[Change]:
    """Every test of either report, ordered for :func:`diff_documents`.

    ``same_machine`` None: as the documents' ``machine`` sections say
    (:func:`pytest_roofline.report.machines.same_machine`).
    """
    if same_machine is None:
        same_machine = machines.same_machine(old, new)
    return changes_between(entries_of(old), entries_of(new), max_drop, same_machine)


def changes_between(
    before: Mapping[str, Entry | None],
    after: Mapping[str, Entry | None],
    max_drop: float = DROP_MARK,
    same_machine: bool = False,
) -> list[Change]:
    """Every test of either run, given by node id as baselines hold them (a report's
    through :func:`entries_of`), ordered for :func:`diff_documents`."""
    rows = []
    for nodeid in {**before, **after}:
        first, second = before.get(nodeid), after.get(nodeid)
        drop = None if first is None or second is None else compare(first, second, same_machine)
        rows.append(
            Change(
                nodeid=nodeid,
                before=first,
                after=second,
                in_old=nodeid in before,
                in_new=nodeid in after,
                drop=drop,
                max_drop=max_drop,
            )
        )
    return sorted(rows, key=Change.sort_key)


def diff_documents(
    old: Mapping[str, Any], new: Mapping[str, Any], max_drop: float = DROP_MARK
) -> list[str]:
    """The comparison table's lines (no trailing newlines); empty when neither has results.

    Columns: test, old and new utilization, the change in percentage points and
    relative to the old figure, and a note (DROP, within noise, added, removed or
    unmeasured).
    """
    return table(changes(old, new, max_drop))


def table(rows: list[Change]) -> list[str]:
    """The lines of :func:`diff_documents` for rows already compared."""
    cells = [
        [
            escape(c.nodeid),
            percent(c.old),
            percent(c.new),
            signed(c.points, " pp"),
            signed(None if c.relative is None else c.relative * 100, "%"),
            c.note,
        ]
        for c in rows
    ]
    return padded_table(COLUMNS, cells) if cells else []
