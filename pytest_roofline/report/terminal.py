"""The terminal summary: one line per roofline test, worst utilization first."""

from __future__ import annotations

from ..results import Result

MARKS = {"passed": "ok", "failed": "LOW", "impossible": "IMPOSSIBLE", "unmeasured": "UNMEASURED"}


def shorten(nodeid: str, width: int) -> str:
    """Fit a node id in ``width``: drop its folders first, then cut its start with '...'.

    The end (the test's name and parameters) is what tells rows apart, so it is kept.
    """
    if len(nodeid) <= width:
        return nodeid
    path, sep, test = nodeid.partition("::")
    short = path.rsplit("/", 1)[-1] + sep + test
    if len(short) <= width:
        return short
    return "..." + short[-(width - 3) :]


def _percent(value: float | None) -> str:
    if value is None:
        return "-"
    return ">999%" if value >= 10 else f"{value:.1%}"


def _sort_key(result: Result) -> tuple[int, float]:
    order = {"impossible": 0, "unmeasured": 1, "failed": 2, "passed": 3}
    return order[result.outcome], result.utilization if result.utilization is not None else 0.0


def summary_lines(results: list[Result], width: int = 100) -> list[str]:
    """Table rows: test, hardware, bottleneck, utilization, budget and status."""
    if not results:
        return []
    ordered = sorted(results, key=_sort_key)
    rows = [("test", "hardware", "bound by", "utilization", "budget", "status")]
    rows += [
        (
            r.nodeid,
            r.hardware,
            r.bottleneck,
            _percent(r.raw_utilization if r.outcome == "impossible" else r.utilization),
            _percent(r.min_utilization),
            MARKS[r.outcome],
        )
        for r in ordered
    ]
    fixed = [max(len(row[i]) for row in rows) for i in range(1, 6)]
    name_width = max(30, min(max(len(row[0]) for row in rows), width - sum(fixed) - 10))
    lines = []
    for row in rows:
        cells = [shorten(row[0], name_width).ljust(name_width)]
        cells += [row[1].ljust(fixed[0]), row[2].ljust(fixed[1])]
        cells += [row[3].rjust(fixed[2]), row[4].rjust(fixed[3]), row[5]]
        lines.append("  ".join(cells).rstrip())
    return lines
