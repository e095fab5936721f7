"""The terminal summary: one line per roofline test, worst utilization first.

Verbosity follows pytest's: ``-q`` gives one line for the whole run, the default a table,
``-v`` the table with each test's bound broken down by resource.

A node id is never cut: a CI log is searched for it, and a test name that lost its start
(``...ng.py::test_total_throughput``) is found nowhere. Each row stays one line, so a
search for a test finds its figures too: the columns line up after the longest node id
that fits the terminal, and a longer one pushes its own row's figures to the right (a
terminal wraps that line; a log keeps it whole).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_roofline.core.units import percent
from pytest_roofline.report.format import (
    figure,
    intensity,
    seconds,
    status,
    tally,
)
from pytest_roofline.report.json_report import in_row_order
from pytest_roofline.report.json_report import status as _status

Row = Mapping[str, Any]
"""What a summary row reads: a result record (DESIGN.md section 5), as the plugin holds
it or a JSON report stores it."""


def tests(count: int) -> str:
    """'1 test', '2 tests'."""
    return f"{count:,} test" + ("" if count == 1 else "s")


def _shown(result: Row) -> float | None:
    """The utilization a row shows: an impossible result's uncapped figure, which says by
    how much it beats the bound."""
    key = "raw_utilization" if result.get("outcome") == "impossible" else "utilization"
    value: float | None = result.get(key)
    return value


def one_line(results: Sequence[Row]) -> str:
    """The whole run in one line (``-q``): counts per outcome and the worst test."""
    counts = tally(_status(result) for result in results)
    parts = [f"{count} {shown.mark.lower()}" for shown, count in counts]
    line = f"roofline: {tests(len(results))}: {', '.join(parts)}"
    if results:
        worst = in_row_order(results)[0]
        budget = worst.get("min_utilization")
        line += f"; worst {worst['nodeid']} {percent(_shown(worst))}"
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
    results: Sequence[Row],
    width: int | None = None,
    verbose: bool = False,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """(line, status) pairs: the header (status "") and each test's row, worst first,
    each followed by its breakdown when ``verbose``; the status lets the caller colour.

    ``width`` is the terminal's (None: no limit, for a log or a file). With ``limit``, a
    large run shows every test that did not pass but only the worst passing ones up to
    ``limit`` rows, then one line counting the rest: ten thousand rows would bury the
    ones that matter (the reports keep every row).
    """
    if not results:
        return []
    header, rows = _table(results, width)
    shown = len(rows)
    if limit is not None and not verbose and len(rows) > limit:
        not_passed = sum(1 for r, _ in rows if status(_status(r)).style.name != "passed")
        shown = max(limit, not_passed)
    out = [(header, "")]
    for result, line in rows[:shown]:
        out.append((line, _status(result)))
        if verbose:
            out.append((breakdown(result), ""))
    if shown < len(rows):
        rest = [r for r, _ in rows[shown:]]
        best = max((r.get("utilization") or 0.0) for r in rest)
        out.append(
            (
                f"... {len(rest):,} more passed, up to {percent(best)} of their bounds"
                " (-v shows every row; the reports hold them all)",
                "",
            )
        )
    return out


def summary_lines(results: Sequence[Row], width: int | None = None) -> list[str]:
    """The table's lines: test, hardware, bottleneck, utilization, budget and status."""
    return [line for line, _ in summary_rows(results, width)]


def _table(results: Sequence[Row], width: int | None) -> tuple[str, list[tuple[Row, str]]]:
    """The header line, and each result (worst first) with its line."""
    ordered = in_row_order(results)
    head = ("test", "hardware", "bound by", "utilization", "budget", "status")
    cells = [
        (
            str(r.get("hardware", "")),
            str(r.get("bottleneck", "")),
            percent(_shown(r)),
            percent(r.get("min_utilization")),
            status(_status(r)).mark,
        )
        for r in ordered
    ]
    fixed = [max(len(row[i]) for row in [head[1:], *cells]) for i in range(5)]
    rest = sum(fixed) + 2 * len(fixed)
    longest = max(len(head[0]), *(len(str(r["nodeid"])) for r in ordered))
    name_width = longest if width is None else max(len(head[0]), min(longest, width - rest))

    def line(name: str, row: Sequence[str]) -> str:
        parts = [name.ljust(name_width), row[0].ljust(fixed[0]), row[1].ljust(fixed[1])]
        parts += [row[2].rjust(fixed[2]), row[3].rjust(fixed[3]), row[4]]
        return "  ".join(parts).rstrip()

    rows = [
        (result, line(str(result["nodeid"]), row))
        for result, row in zip(ordered, cells, strict=True)
    ]
    return line(head[0], head[1:]), rows
