"""report/format.py: every number-to-text rule against hand-written text, and one outcome
order in every report (terminal, Markdown, HTML, the chart and its legend)."""

from __future__ import annotations

import doctest
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from pytest_roofline import Hardware, Result
from pytest_roofline.core.units import hardware_line, number, percent, uncertainty
from pytest_roofline.report import format as format_module
from pytest_roofline.report import json_report, terminal
from pytest_roofline.report.chart import chart_model
from pytest_roofline.report.diff import diff_documents
from pytest_roofline.report.format import (
    OUTCOME_COLORS,
    OUTCOMES,
    decade,
    figure,
    gap,
    intensity,
    outcome_style,
    seconds,
    si_tick,
    signed,
    status,
    status_name,
    tally,
    terminal_markup,
    tokens_per_second,
    worst_first,
)
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.report.plot import key_lines
from pytest_roofline.report.svg import roofline_svg

H100 = "h100-sxm"

# -- figures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (0.5, 0.5),
        (True, None),  # a bool is an int to Python, not a figure to a report
        ("3", None),
        (None, None),
        (math.nan, None),
        (math.inf, None),
    ],
)
def test_number_reads_only_finite_json_numbers(value: Any, expected: float | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.229, "22.9%"),
        (0.0, "0.0%"),
        (1.0, "100.0%"),
        (1.5, "150.0%"),
        (9.9994, "999.9%"),
        (9.9995, ">999%"),  # one decimal would print 1000.0%
        (12.0, ">999%"),
        (math.inf, ">999%"),
        (None, "-"),
        (math.nan, "-"),
    ],
)
def test_percent_has_one_decimal_and_a_cap(fraction: float | None, expected: str) -> None:
    assert percent(fraction) == expected


def test_percent_takes_the_reports_own_dash() -> None:
    assert percent(None, "—") == "—"
    assert percent(0.5, "—") == "50.0%"


def test_uncertainty_is_whole_percent() -> None:
    assert uncertainty(0.1) == "±10%"
    assert uncertainty(0.05) == "±5%"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(1.5, " pp", "+1.5 pp"), (-12.0, "%", "-12.0%"), (0.0, " pp", "+0.0 pp"), (None, "%", "-")],
)
def test_signed_always_shows_the_sign(value: float | None, unit: str, expected: str) -> None:
    assert signed(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4.34e-6, "4.34 µs"),
        (0.198, "198 ms"),
        (2.5, "2.5 s"),
        (5e-9, "5 ns"),
        (0.0, "0 s"),
        (None, "-"),
    ],
)
def test_seconds(value: float | None, expected: str) -> None:
    assert seconds(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.25, "0.25"),
        (42.666, "42.7"),
        (999.4, "999"),
        (1000.0, "1,000"),
        (2731.4, "2,731"),
        (1.5e6, "1,500,000"),  # never an exponent
        (None, "-"),
    ],
)
def test_figure_has_three_digits_or_separators(value: float | None, expected: str) -> None:
    assert figure(value) == expected


def test_intensity_of_work_that_moves_no_bytes_is_infinite() -> None:
    assert intensity(1 / 6) == "0.167"
    assert intensity(None) == "∞"  # bounded, but no bytes: JSON holds null
    assert intensity(None, bounded=False) == "-"  # no bound at all


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2261.6, "2,262 tokens/s"), (549.0, "549 tokens/s"), (0.5, "0.5 tokens/s"), (None, "-")],
)
def test_tokens_per_second(value: float | None, expected: str) -> None:
    assert tokens_per_second(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(4.0, "4x"), (4.1234, "4.12x"), (12.345, "12.3x"), (None, "-")]
)
def test_gap(value: float | None, expected: str) -> None:
    assert gap(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.001, "0.001"), (1.0, "1"), (1e4, "10000"), (1e5, "1e5"), (1e-4, "1e-4")],
)
def test_decade_ticks(value: float, expected: str) -> None:
    assert decade(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(1e12, "1T"), (1e14, "100T"), (5e9, "5G"), (1e3, "1k"), (0.5, "0.5")]
)
def test_si_ticks(value: float, expected: str) -> None:
    assert si_tick(value) == expected


def test_the_docstring_examples_print_what_they_say() -> None:
    outcome = doctest.testmod(format_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert outcome.attempted >= 3  # percent(), uncertainty() and hardware_line() are in core.units
    assert outcome.failed == 0


# -- the hardware line --------------------------------------------------------------------

LOCAL_SPEC = {
    "peak_flops": {"fp32": 1.85e11, "fp64": 8.5e10},
    "memory_bandwidth": 2.4e10,
    "memory_levels": [
        {"name": "L1", "capacity": 65536.0, "bandwidth": 9e10},
        {"name": "L2", "capacity": 1048576.0, "bandwidth": 6e10},
    ],
    "ceiling_uncertainty": 0.1,
}


def test_hardware_line_of_measured_ceilings() -> None:
    assert hardware_line(LOCAL_SPEC) == (
        "fp32 185 GFLOP/s, fp64 85 GFLOP/s, L1 90 GB/s, L2 60 GB/s, memory 24 GB/s, ±10%"
    )
    assert hardware_line(LOCAL_SPEC, name="local") == (
        "local (fp32 185 GFLOP/s, fp64 85 GFLOP/s, L1 90 GB/s, L2 60 GB/s, memory 24 GB/s, ±10%)"
    )


def test_hardware_line_of_a_catalog_device_keeps_the_dtypes_asked_for() -> None:
    spec = Hardware.named(H100).model_dump()
    line = hardware_line(spec, name="h100-sxm", dtypes=("bf16", "fp32"))
    # Datasheet figures: no uncertainty to show.
    assert line == "h100-sxm (fp32 67 TFLOP/s, bf16 989 TFLOP/s, memory 3.35 TB/s)"


def test_hardware_line_leaves_out_what_is_not_a_figure() -> None:
    spec = {"peak_flops": {"fp32": "fast", "fp64": 1e9}, "memory_bandwidth": None}
    assert hardware_line(spec) == "fp64 1 GFLOP/s"
    assert hardware_line({}) == ""
    assert hardware_line({}, name="local") == "local"


# -- the outcome table --------------------------------------------------------------------


def test_every_outcome_has_one_style_and_its_own_colour() -> None:
    names = [style.name for style in OUTCOMES]
    assert names == ["passed", "failed", "regressed", "impossible", "unmeasured"]
    assert len(set(OUTCOME_COLORS.values())) == len(names)
    assert [outcome_style(n).mark for n in names] == [
        "ok",
        "LOW",
        "REGRESSED",
        "IMPOSSIBLE",
        "UNMEASURED",
    ]
    assert [outcome_style(n).emoji for n in names] == ["✅", "❌", "📉", "⚠️", "❔"]
    # A status no report knows (a hand-edited file) reads as unmeasured.
    assert outcome_style("sideways") is outcome_style("unmeasured")


def test_terminal_markup() -> None:
    assert terminal_markup("passed") == {"green": True}
    assert terminal_markup("impossible") == {"red": True, "bold": True}
    assert terminal_markup("") == {}  # the header row


def test_worst_first_ranks_then_utilization_then_node_id() -> None:
    rows = [
        ("passed", 0.3, "a"),
        ("regressed", 0.5, "b"),
        ("failed", 0.4, "c"),
        ("unmeasured", None, "d"),
        ("impossible", 3.0, "e"),
        ("passed", 0.3, "0"),
    ]
    ordered = sorted(rows, key=lambda r: worst_first(*r))
    assert [r[2] for r in ordered] == ["e", "d", "c", "b", "0", "a"]


def test_tally_counts_in_table_order_and_skips_absent_outcomes() -> None:
    counts = tally(["failed", "passed", "passed", "impossible"])
    assert [(style.name, n) for style, n in counts] == [
        ("passed", 2),
        ("failed", 1),
        ("impossible", 1),
    ]


# -- one order in every report ------------------------------------------------------------


ROWS = ["impossible", "unmeasured", "failed", "regressed", "passed"]
"""Worst first: the order of every report's rows for ``every_outcome()`` (a fixture)."""
COUNTS = ["passed", "failed", "regressed", "impossible", "unmeasured"]
"""The order every count line and legend lists outcomes in."""


def test_the_results_have_every_outcome(every_outcome: Callable[[], list[Result]]) -> None:
    assert sorted(r.status for r in every_outcome()) == sorted(ROWS)


def records(results: list[Result]) -> list[dict[str, Any]]:
    """The records the terminal summary reads, as the plugin holds them."""
    return [r.model_dump(mode="json") for r in results]


def test_terminal_rows_and_counts(every_outcome: Callable[[], list[Result]]) -> None:
    lines = terminal.summary_lines(records(every_outcome()))
    marks = {outcome_style(s).mark: s for s in ROWS}
    assert [marks[line.split()[-1]] for line in lines[1:]] == ROWS
    counts = terminal.one_line(records(every_outcome())).split(": ", 2)[2].split(";")[0]
    assert counts == "1 ok, 1 low, 1 regressed, 1 impossible, 1 unmeasured"


def test_markdown_rows_and_counts(every_outcome: Callable[[], list[Result]]) -> None:
    text = render_markdown(json_report.build_document(every_outcome()))
    emoji = {outcome_style(s).emoji: s for s in ROWS}
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [emoji[line.rsplit("| ", 1)[1].split()[0]] for line in rows] == ROWS
    assert text.splitlines()[0].endswith(
        "— 1 passed, 1 below budget, 1 regressed, 1 impossible, 1 unmeasured"
    )


def test_html_rows_counts_and_legend(every_outcome: Callable[[], list[Result]]) -> None:
    page = render_html(json_report.build_document(every_outcome()))
    assert (
        re.findall(r'<tr data-nodeid="[^"]*" data-number="\d+" data-outcome="(\w+)"', page) == ROWS
    )
    totals = re.search(r'class="meta totals">5 result\(s\): ([^<]*)<', page)
    assert totals is not None
    assert totals.group(1) == ", ".join(f"1 {name}" for name in COUNTS)
    legend = page[page.index('<p class="legend">') :].split("</p>", 1)[0]
    assert re.findall(r"</i>(\w+)</span>", legend) == COUNTS


def test_chart_points_in_row_order_each_in_its_colour(
    every_outcome: Callable[[], list[Result]],
) -> None:
    records = json_report.build_document(every_outcome())["results"]
    measured = [s for s in ROWS if s != "unmeasured"]  # no measurement: no point
    assert [p.outcome for p in chart_model(records, H100).points] == measured
    svg = ET.fromstring(roofline_svg(records, H100))
    circles = [
        c for c in svg.iter("{http://www.w3.org/2000/svg}circle") if c.get("class") == "point"
    ]
    assert [c.get("data-outcome") for c in circles] == measured
    assert [c.get("fill") for c in circles] == [OUTCOME_COLORS[s] for s in measured]


def test_plot_legend_lists_outcomes_in_the_same_order(
    every_outcome: Callable[[], list[Result]],
) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib import pyplot

    from pytest_roofline.report.plot import draw

    canvas, ax = pyplot.subplots()
    try:
        draw(ax, chart_model(json_report.build_document(every_outcome())["results"], H100))
        labels = ax.get_legend_handles_labels()[1]
    finally:
        pyplot.close(canvas)
    assert [label for label in labels if label in COUNTS] == [
        s for s in COUNTS if s != "unmeasured"
    ]


# -- the cap in every report --------------------------------------------------------------


def test_every_report_caps_a_huge_utilization(kernel_result: Callable[..., Result]) -> None:
    huge = [kernel_result("t.py::test_huge", 20.0), kernel_result("t.py::test_fine", 0.9)]
    doc = json_report.build_document(huge)
    assert ">999%" in terminal.summary_lines(records(huge))[1]
    assert ">999%" in terminal.one_line(records(huge))
    assert "| ⚠️ >999% / 40.0% |" in render_markdown(doc)
    assert "&gt;999% /<br>budget 40.0%" in render_html(doc)  # escaped, as all text is
    svg = ET.fromstring(roofline_svg(doc["results"], H100))
    titles = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert any("utilization >999%" in title for title in titles)
    (row,) = [line for line in diff_documents(doc, doc) if "test_huge" in line]
    assert row.count(">999%") == 2


# -- a verdict taken on a busy machine ------------------------------------------------------


def test_busy_is_one_status_in_every_report(kernel_result: Callable[..., Result]) -> None:
    """A result judged while the machine was busy (``noisy``) shows as such in the JSON
    reader, the terminal, the Markdown and the HTML: never as a plain pass."""
    busy = kernel_result("t.py::test_busy", 0.9).model_copy(update={"noisy": True})
    quiet = kernel_result("t.py::test_quiet", 0.8)
    low = kernel_result("t.py::test_low", 0.2).model_copy(update={"noisy": True})
    doc = json_report.build_document([busy, quiet, low])
    by_id = {r["nodeid"]: r for r in doc["results"]}
    assert json_report.status(by_id["t.py::test_busy"]) == "passed (busy machine)"
    assert json_report.status(by_id["t.py::test_quiet"]) == "passed"
    assert json_report.status(by_id["t.py::test_low"]) == "failed (busy machine)"
    # What a gate decides on: the outcome, busy or not.
    assert json_report.outcome(by_id["t.py::test_busy"]) == "passed"
    regressed = {**by_id["t.py::test_busy"], "regression": "dropped 30% below its baseline"}
    assert json_report.outcome(regressed) == "regressed"
    assert json_report.status(regressed) == "regressed (busy machine)"

    rows = {line.split()[0]: line for line in terminal.summary_lines(doc["results"])[1:]}
    assert rows["t.py::test_busy"].endswith("40.0%  ok (busy machine)")
    assert rows["t.py::test_quiet"].endswith("40.0%  ok")
    assert rows["t.py::test_low"].endswith("40.0%  LOW (busy machine)")
    assert terminal.one_line(doc["results"]).startswith(
        "roofline: 3 tests: 1 ok, 1 ok (busy machine), 1 low (busy machine);"
    )
    assert terminal_markup("passed (busy machine)") == {"yellow": True}
    assert terminal_markup("failed (busy machine)") == {"red": True}

    markdown = render_markdown(doc)
    assert "| ✅ 90.0% / 40.0% (busy machine) |" in markdown
    assert "| ✅ 80.0% / 40.0% |" in markdown
    assert "| ❌ 20.0% / 40.0% (busy machine) |" in markdown
    assert markdown.splitlines()[0].endswith(
        "— 1 passed, 1 passed (busy machine), 1 below budget (busy machine)"
    )

    page = render_html(doc)
    assert re.search(
        r'data-nodeid="t.py::test_busy" data-number="\d" data-outcome="passed \(busy machine\)"',
        page,
    )
    assert '<td class="status passed busy" data-sort="2">passed<br>(busy machine)</td>' in page
    assert "3 result(s): 1 passed, 1 passed (busy machine), 1 failed (busy machine)" in page
    # The chart's point says it too (in its outcome's colour), and the plot's key.
    chart = chart_model(doc["results"], H100)
    assert {p.nodeid: p.outcome for p in chart.points}["t.py::test_busy"] == (
        "passed (busy machine)"
    )
    assert "  3  passed (busy machine)   90.0%  t.py::test_busy" in key_lines(chart, 80)


def test_a_busy_status_reads_back_as_its_outcome() -> None:
    shown = status(status_name("regressed", True))
    assert (shown.name, shown.mark, shown.label) == (
        "regressed (busy machine)",
        "REGRESSED (busy machine)",
        "regressed (busy machine)",
    )
    assert shown.style is outcome_style("regressed")
    assert outcome_style("passed (busy machine)").colour == OUTCOME_COLORS["passed"]
    assert status("sideways (busy machine)").style is outcome_style("unmeasured")
    # Busy results sort with their outcome (a rank of their own would hide a failure).
    assert worst_first("failed (busy machine)", 0.2) == worst_first("failed", 0.2)
