"""The terminal summary: one line per roofline test, worst utilization first.

Verbosity follows pytest's: ``-q`` gives one line for the whole run, the default a table,
``-v`` the table with each test's bound broken down by resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_roofline.core.units import percent
from pytest_roofline.report.format import (
    figure,
    intensity,
    outcome_style,
    seconds,
    tally,
    worst_first,
)
from pytest_roofline.report.json_report import status as _status

Row = Mapping[str, Any]
"""What a summary row reads: a result record (DESIGN.md section 5), as the plugin holds
it or a JSON report stores it."""


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


def _sort_key(result: Row) -> tuple[int, float, str]:
    return worst_first(_status(result), result.get("utilization"), result["nodeid"])


def _shown(result: Row) -> float | None:
    """The utilization a row shows: an impossible result's uncapped figure, which says by
    how much it beats the bound."""
    key = "raw_utilization" if result.get("outcome") == "impossible" else "utilization"
    value: float | None = result.get(key)
    return value


def one_line(results: Sequence[Row]) -> str:
    """The whole run in one line (``-q``): counts per outcome and the worst test."""
    counts = tally(_status(result) for result in results)
    parts = [f"{count} {style.mark.lower()}" for style, count in counts]
    line = f"roofline: {len(results)} tests: {', '.join(parts)}"
    if results:
        worst = sorted(results, key=_sort_key)[0]
        budget = worst.get("min_utilization")
        line += f"; worst {shorten(worst['nodeid'], 60)} {percent(_shown(worst))}"
        line += "" if budget is None else f", budget {percent(budget)}"
    return line


def breakdown(result: Row) -> str:
    """The bound of one test by resource, for ``-v``."""
    compute, memory = result.get("compute_seconds"), result.get("memory_seconds")
    if compute is None or memory is None:
        return "    no bound: the work could not be bounded (see its message)"
    return (
        f"    compute {seconds(compute)}, memory {seconds(memory)}, network"
        f" {seconds(result.get('network_seconds') or 0.0)}; intensity"
        f" {intensity(result.get('intensity'))} vs ridge {figure(result.get('ridge_point'))}"
        " FLOP/B"
    )


def summary_rows(
    results: Sequence[Row], width: int = 100, verbose: bool = False, limit: int | None = None
) -> list[tuple[str, str]]:
    """(line, outcome) pairs: the header (outcome "") and one row per test, worst first,
    each followed by its breakdown when ``verbose``; the outcome lets the caller colour.

    With ``limit``, a large run shows every test that did not pass but only the worst
    passing ones up to ``limit`` rows, then one line counting the rest: ten thousand
    rows would bury the ones that matter (the reports keep every row).
    """
    lines = summary_lines(results, width)
    if not lines:
        return []
    ordered = sorted(results, key=_sort_key)
    shown = len(ordered)
    if limit is not None and not verbose and len(ordered) > limit:
        not_passed = sum(1 for r in ordered if _status(r) != "passed")
        shown = max(limit, not_passed)
    rows = [(lines[0], "")]
    for line, result in zip(lines[1 : shown + 1], ordered[:shown], strict=True):
        rows.append((line, _status(result)))
        if verbose:
            rows.append((breakdown(result), ""))
    if shown < len(ordered):
        rest = ordered[shown:]
        best = max((r.get("utilization") or 0.0) for r in rest)
        rows.append(
            (
                f"... {len(rest):,} more passed, up to {percent(best)} of their bounds"
                " (-v shows every row; the reports hold them all)",
                "",
            )
        )
    return rows


def summary_lines(results: Sequence[Row], width: int = 100) -> list[str]:
    """Table rows: test, hardware, bottleneck, utilization, budget and status."""
    if not results:
        return []
    ordered = sorted(results, key=_sort_key)
    rows = [("test", "hardware", "bound by", "utilization", "budget", "status")]
    rows += [
        (
            str(r["nodeid"]),
            str(r.get("hardware", "")),
            str(r.get("bottleneck", "")),
            percent(_shown(r)),
            percent(r.get("min_utilization")),
            outcome_style(_status(r)).mark,
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
