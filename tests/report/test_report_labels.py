"""Chart labels laid out so that none covers another (report/labels.py, the geometry, and
report/chart_labels.py, the chart's labels), checked without a browser; the browser's
own boxes are checked in test_report_layout.py."""

from __future__ import annotations

import doctest
import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from pytest_roofline.report import chart as chart_module
from pytest_roofline.report import html_tables
from pytest_roofline.report.chart import Chart, chart_model, slope_path
from pytest_roofline.report.chart_labels import Frame, Label, lay_out
from pytest_roofline.report.html import render_html
from pytest_roofline.report.labels import (
    ASCENT,
    DESCENT,
    DOT,
    LABEL,
    LINE,
    Board,
    overlaps,
    rect,
    segment,
    square,
    text_quad,
    text_width,
)

AREA = rect(0, 0, 200, 100)
SVG = "{http://www.w3.org/2000/svg}"


def test_a_text_box_sits_on_its_baseline_as_svg_anchors_it() -> None:
    width = text_width("ridge 20", 10.0)
    start = text_quad(50, 40, "ridge 20", 10.0)
    assert start.bounds == pytest.approx((50, 40 - ASCENT * 10, 50 + width, 40 + DESCENT * 10))
    end = text_quad(50, 40, "ridge 20", 10.0, "end")
    assert end.bounds[2] == pytest.approx(50)
    middle = text_quad(50, 40, "ridge 20", 10.0, "middle")
    assert (middle.bounds[0] + middle.bounds[2]) / 2 == pytest.approx(50)
    # Turned a quarter clockwise about its anchor: the text now runs downwards.
    turned = text_quad(50, 40, "ridge 20", 10.0, angle=90)
    assert turned.bounds == pytest.approx((50 - DESCENT * 10, 40, 50 + ASCENT * 10, 40 + width))


def test_text_is_never_measured_shorter_than_matplotlib_draws_it() -> None:
    """The layout's widths against DejaVu Sans itself (the browsers' widest common face,
    and matplotlib's own)."""
    pytest.importorskip("matplotlib")
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    for text in ("memory = L3 19.8 GB/s", "fp8 = int8 1.98 PFLOP/s", "ridge 591", "WM%@ij", "42"):
        drawn = TextPath((0, 0), text, size=11, prop=FontProperties(family="DejaVu Sans"))
        assert text_width(text, 11) >= drawn.get_extents().width, text


def test_overlap_is_tested_on_the_turned_shapes() -> None:
    flat = rect(0, 0, 10, 10)
    assert overlaps(flat, rect(9, 9, 20, 20))
    assert not overlaps(flat, rect(11, 0, 20, 10))
    assert overlaps(flat, rect(11, 0, 20, 10), gap=2)  # within the gap counts
    # A slanted bar across the corner: the upright boxes overlap, the shapes do not.
    bar = segment(11, 19, 19, 11, half_width=3)
    assert bar.bounds[0] < 10
    assert bar.bounds[1] < 10
    assert not overlaps(flat, bar)
    assert overlaps(flat, segment(5, 5, 24, 24, half_width=3))


def test_a_board_keeps_labels_off_dots_and_labels_and_lines_where_it_can() -> None:
    board = Board(AREA)
    board.block(square(20, 50, 5), DOT)
    board.block(segment(0, 60, 200, 60), LINE)
    on_dot = text_quad(15, 55, "12", 10)
    on_line = text_quad(100, 63, "12", 10)
    clear = text_quad(100, 40, "12", 10)
    outside = text_quad(195, 50, "12", 10)
    assert board.first_free([[on_dot], [outside], [on_line], [clear]]) == 3
    # Nothing clear: crossing a line beats covering a dot or leaving the plot.
    assert board.first_free([[on_dot], [outside], [on_line]]) == 2
    board.block(clear, LABEL)
    assert board.first_free([[text_quad(102, 42, "9", 10)], [on_line]]) == 1
    # A leader line may not cross a label; the candidate without one wins.
    led = [text_quad(150, 20, "9", 10), segment(100, 50, 150, 20)]
    assert board.first_free([led, [text_quad(150, 80, "9", 10)]]) == 1
    # Covering something is the last resort: the candidate that covers the fewest.
    assert board.first_free([[on_dot], [text_quad(95, 45, "12 and 12", 10)]]) in (0, 1)


def frame_of(chart: Chart) -> Frame:
    """The plot area of the HTML report's chart (720 x 460, less its margins)."""
    return Frame(74, 20, 622, 388, chart.x_range, chart.y_range)


def laid(document: dict[str, Any]) -> dict[str, tuple[Chart, list[Label]]]:
    charts = {}
    for hardware in ("local", "h100-sxm"):
        chart = chart_model(document["results"], hardware)
        charts[hardware] = (chart, lay_out(chart, frame_of(chart)))
    return charts


def test_the_crowded_sample_lays_out_without_overlaps(
    shared_bandwidth_document: Callable[[], dict[str, Any]],
) -> None:
    for hardware, (chart, labels) in laid(shared_bandwidth_document()).items():
        frame = frame_of(chart)
        for a, b in itertools.combinations(labels, 2):
            assert not overlaps(a.box, b.box), (hardware, a.text, b.text)
        for label, p in itertools.product(labels, chart.points):
            dot = square(frame.x(p.intensity), frame.y(p.achieved), 5)
            assert not overlaps(label.box, dot), (hardware, label.text, p.number)
        numbers = sorted(label.number or 0 for label in labels if label.kind == "point")
        assert numbers == sorted(p.number for p in chart.points)
        kinds = [label.kind for label in labels]
        assert kinds.count("roof") == kinds.count("ridge") == len(chart.roofs)
        assert kinds.count("slope") == len(chart.slopes)


def test_roofs_and_slopes_of_one_value_are_one_each(
    shared_bandwidth_document: Callable[[], dict[str, Any]],
) -> None:
    charts = laid(shared_bandwidth_document())
    local, local_labels = charts["local"]
    assert [(s.names, s.cache) for s in local.slopes] == [
        (("memory", "L3"), False),
        (("L2",), True),
        (("L1",), True),
    ]
    h100, h100_labels = charts["h100-sxm"]
    assert [r.dtypes for r in h100.roofs] == [
        ("fp8", "int8"),
        ("bf16", "fp16"),
        ("tf32",),
        ("fp64", "fp32"),
    ]
    said = {label.text for label in local_labels + h100_labels}
    assert {"memory = L3 19.8 GB/s", "fp8 = int8 1.98 PFLOP/s", "bf16 = fp16 989 TFLOP/s"} <= said


def test_a_slope_ends_at_the_highest_peak_and_a_cache_goes_on_flat(
    shared_bandwidth_document: Callable[[], dict[str, Any]],
) -> None:
    chart = chart_model(shared_bandwidth_document()["results"], "local")
    memory, _, l1 = chart.slopes
    x_lo, x_hi = chart.x_range
    assert slope_path(memory, chart) == [(x_lo, x_lo * 1.98e10), (5e10 / 1.98e10, 5e10)]
    assert slope_path(l1, chart) == [(x_lo, x_lo * 2e11), (0.25, 5e10), (x_hi, 5e10)]


def _with_dtype(document: dict[str, Any], dtype: str) -> list[dict[str, Any]]:
    results = [r for r in document["results"] if r["hardware"] == "local"]
    for r in results:
        r["workload"] = {**r["workload"], "dtype": dtype}
    return results


def test_only_the_dtypes_used_have_a_roof_else_the_main_one(
    shared_bandwidth_document: Callable[[], dict[str, Any]],
) -> None:
    only_fp64 = _with_dtype(shared_bandwidth_document(), "fp64")
    assert [r.dtypes for r in chart_model(only_fp64, "local").roofs] == [("fp64",)]
    # No result names a dtype the hardware has: the kernels' default dtype's roof.
    none = _with_dtype(shared_bandwidth_document(), "int4")
    assert chart_module.MAIN_DTYPE == "fp32"
    assert [r.dtypes for r in chart_model(none, "local").roofs] == [("fp32",)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bound_seconds": None}, "no bound"),
        ({"measured_seconds": None}, "no measurement"),
        ({"workload": {"flops": 0.0}}, "no FLOPs: zero intensity has no place on a log axis"),
        ({"intensity": None}, "moves no bytes: its intensity is infinite"),
    ],
)
def test_a_result_off_the_chart_says_why(
    sample_document: Callable[[], dict[str, Any]], change: dict[str, Any], reason: str
) -> None:
    result = next(r for r in sample_document()["results"] if r["nodeid"].endswith("test_gemm"))
    assert chart_module.unplotted_reason(result) is None
    assert chart_module.unplotted_reason({**result, **change}) == reason


def test_the_slope_angle_follows_the_axes() -> None:
    # Square decades: a memory roof rises at 45 degrees.
    assert Frame(0, 0, 100, 100, (1, 10), (1, 10)).slope_angle == pytest.approx(-45)
    assert Frame(0, 0, 100, 100, (1, 100), (1, 10)).slope_angle == pytest.approx(
        -math.degrees(math.atan(2))
    )


def test_the_docstring_examples_print_what_they_say() -> None:
    for module in (chart_module, html_tables):
        outcome = doctest.testmod(module)
        assert outcome.attempted >= 1
        assert outcome.failed == 0


# -- in the HTML report's SVG ---------------------------------------------------------------


def test_a_cache_as_fast_as_memory_shares_its_line_and_label(
    shared_bandwidth_document: Callable[[], dict[str, Any]],
    svgs: Callable[[str], dict[str, ET.Element]],
) -> None:
    svg = svgs(render_html(shared_bandwidth_document()))["local"]
    slopes = [line for line in svg.iter(f"{SVG}polyline") if line.get("class") == "slope"]
    assert [s.attrib["data-names"] for s in slopes] == ["memory L3", "L2", "L1"]
    assert "stroke-dasharray" not in slopes[0].attrib  # main memory's line: solid
    labels = [t.text for t in svg.iter(f"{SVG}text") if "slope-label" in t.get("class", "")]
    assert labels == ["memory = L3 19.8 GB/s", "L2 100 GB/s", "L1 200 GB/s"]


def test_every_point_is_numbered_as_its_row(
    sample_document: Callable[[], dict[str, Any]],
    svgs: Callable[[str], dict[str, ET.Element]],
    parsed: Callable[[str], Any],
) -> None:
    page = render_html(sample_document())
    rows = {a["data-nodeid"]: a["data-number"] for t, a, _ in parsed(page).rows if "kernels" in t}
    for svg in svgs(page).values():
        numbers = {
            t.attrib["data-number"]: t.text
            for t in svg.iter(f"{SVG}text")
            if "point-label" in t.get("class", "")
        }
        dots = [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "point"]
        assert dots
        for dot in dots:
            assert dot.attrib["data-number"] == rows[dot.attrib["data-nodeid"]]
            assert numbers[dot.attrib["data-number"]] == dot.attrib["data-number"]
        assert len(numbers) == len(dots)
