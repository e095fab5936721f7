"""The HTML gap report and its hand-written SVG roofline chart, checked structurally.

The document (``sample_document``, tests/report/conftest.py) is built from real verdicts
(``evaluate`` on catalog and hand-made hardware), so the chart is checked against figures
computed here by hand: achieved FLOP/s = the kernel's FLOPs / the measured seconds, ridge
point = peak / bandwidth.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from pytest_roofline.report import json_report
from pytest_roofline.report.chart import (
    axis_position,
    chart_model,
    decades,
    log_range,
)
from pytest_roofline.report.format import OUTCOME_COLORS
from pytest_roofline.report.html import render_html
from pytest_roofline.report.html_tables import breakable
from pytest_roofline.report.json_report import in_row_order, serving_figures
from pytest_roofline.report.svg import roofline_svg

SVG = "{http://www.w3.org/2000/svg}"
H100 = "h100-sxm"
H100_BF16, H100_FP32, H100_BW = 989e12, 67e12, 3.35e12  # datasheet figures in the catalog
SCRIPT_NODEID = 'tests/t.py::test_dot[<script>alert("x")</script>&]'
"""The sample's node id with markup in it, as tests/report/conftest.py writes it."""
Charts = Callable[[str], dict[str, ET.Element]]
"""The ``svgs`` fixture: a page's charts by hardware."""
Parse = Callable[[str], Any]
"""The ``parsed`` fixture: a page's table rows and headers."""


@pytest.fixture(scope="module")
def document(sample_document: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return sample_document()


@pytest.fixture(scope="module")
def page(document: dict[str, Any]) -> str:
    return render_html(document)


def points(svg: ET.Element) -> list[ET.Element]:
    return [c for c in svg.iter(f"{SVG}circle") if c.attrib.get("class") == "point"]


# -- the page -----------------------------------------------------------------------


def test_every_chart_is_well_formed_svg_one_per_hardware_with_kernels(
    page: str, svgs: Charts
) -> None:
    charts = svgs(page)
    assert page.count("<svg") == 2
    # Serving alone draws no chart: an 8-GPU bound under one device's roofs would mislead.
    assert set(charts) == {H100, "local"}
    for svg in charts.values():
        assert svg.tag == f"{SVG}svg"


def test_tables_list_every_result_in_the_right_table(
    page: str, document: dict[str, Any], parsed: Parse
) -> None:
    rows = parsed(page).rows
    kernels_shown = sorted(a["data-nodeid"] for t, a, _ in rows if "kernels" in t)
    serving_shown = sorted(a["data-nodeid"] for t, a, _ in rows if "serving" in t)
    results = document["results"]
    assert kernels_shown == sorted(r["nodeid"] for r in results if r["kind"] == "kernel")
    assert serving_shown == sorted(r["nodeid"] for r in results if r["kind"] == "serving")
    assert len(rows) == len(results) == 9


def test_kernel_rows_are_worst_first_and_carry_the_figures(page: str, parsed: Parse) -> None:
    rows = [(a, cells) for t, a, cells in parsed(page).rows if "kernels" in t]
    h100 = [a["data-outcome"] for a, _ in rows[:4]]
    assert h100 == ["impossible", "unmeasured", "failed", "passed"]
    cells = {a["data-nodeid"]: c for a, c in rows}
    gemm = cells["tests/test_gemm.py::test_gemm"]
    # #, test, work, bottleneck, intensity vs ridge, bound, measured, utilization, status
    assert gemm[0] == "4"  # the fourth row on h100-sxm
    assert gemm[1] == "tests/test_gemm.py::test_gemm"
    assert gemm[2] == "matmul 1024x1024x1024 bf16"
    assert gemm[3] == "compute"
    assert gemm[4] == "341 FLOP/B, above ridge 295"  # 1024/3 and 989e12 / 3.35e12
    assert gemm[7] == "50.0% / budget 40.0%"
    assert gemm[8] == "passed"
    assert cells[SCRIPT_NODEID][8] == "failed"
    assert cells["tests/test_half.py::test_unmeasured"][6] == "-"
    # Numbered from 1 on each hardware, in row order.
    assert [c[0] for _, c in rows] == ["1", "2", "3", "4", "1", "2", "3"]


def test_headers_are_sortable_with_status_the_default(page: str, parsed: Parse) -> None:
    p = parsed(page)
    assert p.scripts == 1
    heads = [(name, a) for table, name, a in p.headers if "kernels" in table]
    names = [name for name, _ in heads[:9]]
    assert names == [
        "#",
        "test",
        "work",
        "bottleneck",
        "intensity vs ridge",
        "bound",
        "measured",
        "utilization vs budget",
        "status",
    ]
    assert [a.get("aria-sort") for _, a in heads[:9]] == [None] * 8 + ["ascending"]
    assert "table.sortable" in page
    assert 'addEventListener("click"' in page


def test_serving_table_shows_the_gap_per_gpu(
    page: str, document: dict[str, Any], parsed: Parse
) -> None:
    rows = {a["data-nodeid"]: c for t, a, c in parsed(page).rows if "serving" in t}
    vllm = next(r for r in document["results"] if r["nodeid"].endswith("test_vllm"))
    figures = serving_figures(vllm)
    # optimal per GPU from the bound; measured per GPU = tokens/s of all 8 GPUs / 8.
    assert figures["gpus"] == 8
    assert figures["optimal"] == pytest.approx(vllm["optimal_tokens_per_second"] / 8)
    assert figures["measured"] == pytest.approx(vllm["measured_tokens_per_second"] / 8)
    # Measured at 25 % of the bound: the gap is the inverse, 4x.
    assert figures["gap"] == pytest.approx(4.0)
    cells = rows["tests/test_serving.py::test_vllm"]
    assert cells[2] == "8"
    assert cells[5] == "4x"
    assert rows["tests/test_serving.py::test_trtllm"][5] == "2x"
    assert cells[6:9] == [
        f"{vllm['compute_seconds'] * 1e3:.3g} ms",
        f"{vllm['memory_seconds'] * 1e3:.3g} ms",
        f"{vllm['network_seconds'] * 1e3:.3g} ms",
    ]


def test_machine_section_lists_local_ceilings_and_calibration(page: str) -> None:
    machine = page[page.index('<section class="machine">') :]
    for text in ("fp64", "30 GFLOP/s", "fp32", "60 GFLOP/s", "17 GB/s", "L1", "90 GB/s"):
        assert text in machine
    assert "3.53 FLOP/B" in machine  # fp32 ridge on DRAM: 6e10 / 1.7e10
    assert "2026-01-02T03:04:05+00:00" in machine
    assert "±10%" in machine


def test_header_gives_created_hardware_and_totals(page: str) -> None:
    header = page[page.index("<header>") : page.index("</header>")]
    assert "2026-01-02T00:00:00+00:00" in header
    assert "h100-sxm, local, a100-sxm4-80gb" in header
    assert "9 result(s): 5 passed, 2 failed, 1 impossible, 1 unmeasured" in header


def test_text_is_escaped(page: str, svgs: Charts, parsed: Parse) -> None:
    assert "<script>alert" not in page
    assert page.count("<script") == 1  # the sorting script, nothing from a node id
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    rows = parsed(page).rows
    assert SCRIPT_NODEID in [a["data-nodeid"] for _, a, _ in rows]
    point = next(p for p in points(svgs(page)[H100]) if p.attrib["data-outcome"] == "failed")
    assert point.attrib["data-nodeid"] == SCRIPT_NODEID


def test_no_external_resources(page: str) -> None:
    # The only URL is the SVG namespace, an identifier that is never fetched.
    urls = re.findall(r"https?://[^\s\"'<>)]*", page)
    assert set(urls) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(?:src|href)\s*=", page)
    assert "@import" not in page
    assert not re.search(r"url\((?!#)", page)


def test_rendering_is_deterministic(
    document: dict[str, Any], sample_document: Callable[[], dict[str, Any]]
) -> None:
    assert render_html(document) == render_html(sample_document())


def test_a_report_without_results_or_local_still_renders() -> None:
    page = render_html({"schema": json_report.SCHEMA, "created": "x", "machine": {}})
    assert "0 result(s): none" in page
    assert "No test ran on <code>local</code>" in page
    assert "<svg" not in page


# -- the chart ----------------------------------------------------------------------


def test_points_sit_at_their_hand_computed_coordinates(page: str, svgs: Charts) -> None:
    by_node = {p.attrib["data-nodeid"]: p for p in points(svgs(page)[H100])}
    # The unmeasured result has no place on the chart.
    assert set(by_node) == {
        "tests/test_gemm.py::test_gemm",
        SCRIPT_NODEID,
        "tests/test_small.py::test_small",
    }
    expected = {
        # FLOPs / measured seconds; measured = bound / utilization.
        "tests/test_gemm.py::test_gemm": (
            1024 / 3,
            2 * 1024**3 / (2 * 1024**3 / H100_BF16 / 0.5),  # half the bf16 peak
        ),
        SCRIPT_NODEID: (
            2e7 / (4 * (2e7 + 1)),
            0.1 * (2e7 / (4 * (2e7 + 1))) * H100_BW,  # a tenth of the memory roof
        ),
        "tests/test_small.py::test_small": (
            64 / 6,
            3.0 * (64 / 6) * H100_BW,  # impossible: three times the memory roof
        ),
    }
    for nodeid, (x, y) in expected.items():
        point = by_node[nodeid]
        assert float(point.attrib["data-x"]) == pytest.approx(x)
        assert float(point.attrib["data-y"]) == pytest.approx(y)
    colors = {p.attrib["data-outcome"]: p.attrib["fill"] for p in by_node.values()}
    assert colors == {k: OUTCOME_COLORS[k] for k in ("passed", "failed", "impossible")}


def test_point_hover_text_names_test_utilization_bound_and_measured(
    page: str, svgs: Charts
) -> None:
    point = next(
        p for p in points(svgs(page)[H100]) if p.attrib["data-nodeid"].endswith("test_gemm")
    )
    title = point.find(f"{SVG}title")
    assert title is not None
    assert title.text is not None
    assert "tests/test_gemm.py::test_gemm" in title.text
    assert "utilization 50.0% (budget 40.0%)" in title.text
    assert "bound 2.17 µs, measured 4.34 µs" in title.text  # 2 * 1024**3 / 989e12


def test_pixels_follow_the_log_axes(page: str, svgs: Charts) -> None:
    for svg in svgs(page).values():
        a = svg.attrib
        x_lo, x_hi = float(a["data-x-min"]), float(a["data-x-max"])
        y_lo, y_hi = float(a["data-y-min"]), float(a["data-y-max"])
        left, top = float(a["data-plot-left"]), float(a["data-plot-top"])
        width, height = float(a["data-plot-width"]), float(a["data-plot-height"])
        found = points(svg)
        assert found
        for p in found:
            x, y = float(p.attrib["data-x"]), float(p.attrib["data-y"])
            x_px, y_px = float(p.attrib["data-x-px"]), float(p.attrib["data-y-px"])
            assert (float(p.attrib["cx"]), float(p.attrib["cy"])) == (x_px, y_px)
            assert x_px == pytest.approx(left + axis_position(x, x_lo, x_hi, width), abs=0.01)
            assert y_px == pytest.approx(
                top + height - axis_position(y, y_lo, y_hi, height), abs=0.01
            )
            assert left < x_px < left + width
            assert top < y_px < top + height
        # Monotone, every pair: more intensity further right, more FLOP/s higher (smaller y).
        for p, q in itertools.combinations(found, 2):
            dx = float(q.attrib["data-x"]) - float(p.attrib["data-x"])
            dpx = float(q.attrib["data-x-px"]) - float(p.attrib["data-x-px"])
            assert dx * dpx > 0
            dy = float(q.attrib["data-y"]) - float(p.attrib["data-y"])
            dpy = float(q.attrib["data-y-px"]) - float(p.attrib["data-y-px"])
            assert dy * dpy < 0


def _corners(element: ET.Element) -> list[tuple[float, float]]:
    pairs = [corner.split(",") for corner in element.attrib["points"].split()]
    return [(float(x), float(y)) for x, y in pairs]


def test_one_roof_per_dtype_used_flat_from_its_ridge(page: str, svgs: Charts) -> None:
    svg = svgs(page)[H100]
    roofs = [g for g in svg.iter(f"{SVG}g") if g.attrib.get("class") == "roof"]
    # Only the dtypes the tests compute in: bf16, fp32 and fp16 (no fp8, int8, tf32).
    covered = [d for g in roofs for d in g.attrib["data-dtypes"].split()]
    assert sorted(covered) == ["bf16", "fp16", "fp32"]
    by_dtype = {d: g for g in roofs for d in g.attrib["data-dtypes"].split()}
    # Equal peaks share one roof: bf16 and fp16 on H100.
    assert by_dtype["bf16"] is by_dtype["fp16"]
    right_edge = float(svg.attrib["data-plot-left"]) + float(svg.attrib["data-plot-width"])
    for dtype, peak in (("bf16", H100_BF16), ("fp32", H100_FP32)):
        g = by_dtype[dtype]
        assert float(g.attrib["data-peak"]) == peak
        assert float(g.attrib["data-ridge"]) == pytest.approx(peak / H100_BW)
        line = g.find(f"{SVG}polyline")
        assert line is not None
        ridge = (float(g.attrib["data-ridge-x-px"]), float(g.attrib["data-ridge-y-px"]))
        # Flat from the ridge to the right edge; main memory's slope leads up to it.
        assert _corners(line) == [ridge, (pytest.approx(right_edge), ridge[1])]
        marker = g.find(f"{SVG}circle")
        assert marker is not None
        assert marker.attrib["class"] == "ridge"
    labels = {t.text for t in svg.iter(f"{SVG}text") if "roof-label" in t.attrib.get("class", "")}
    assert labels == {"bf16 = fp16 989 TFLOP/s", "fp32 67 TFLOP/s"}
    ridges = {t.text for t in svg.iter(f"{SVG}text") if "ridge-label" in t.attrib.get("class", "")}
    assert ridges == {"ridge 295", "ridge 20"}


def test_every_slope_reaches_across_its_whole_range(page: str, svgs: Charts) -> None:
    svg = svgs(page)["local"]
    slopes = {
        line.attrib["data-names"]: line
        for line in svg.iter(f"{SVG}polyline")
        if line.attrib.get("class") == "slope"
    }
    assert set(slopes) == {"memory", "L1", "L2", "L3"}
    assert "stroke-dasharray" not in slopes["memory"].attrib
    top = min(
        float(g.attrib["data-ridge-y-px"])
        for g in svg.iter(f"{SVG}g")
        if g.attrib.get("class") == "roof"
    )
    left = float(svg.attrib["data-plot-left"])
    right = left + float(svg.attrib["data-plot-width"])
    memory = _corners(slopes["memory"])
    # Main memory from the left edge up to the highest ridge, where the highest roof goes on.
    assert memory[0][0] == pytest.approx(left)
    assert memory[-1][1] == pytest.approx(top)
    for name, bandwidth in (("L1", 9e10), ("L2", 6e10), ("L3", 4e10)):
        assert slopes[name].attrib["stroke-dasharray"]
        assert float(slopes[name].attrib["data-bandwidth"]) == bandwidth
        # A cache roof: its slope from the left edge, then the highest peak to the right
        # edge, never stopping in mid-air.
        corners = _corners(slopes[name])
        assert corners[0][0] == pytest.approx(left)
        assert corners[1][1] == pytest.approx(top)
        assert corners[-1] == (pytest.approx(right), pytest.approx(top))
    labels = {t.text for t in svg.iter(f"{SVG}text") if "slope-label" in t.attrib.get("class", "")}
    assert labels == {"memory 17 GB/s", "L1 90 GB/s", "L2 60 GB/s", "L3 40 GB/s"}
    roofs = [g for g in svg.iter(f"{SVG}g") if g.attrib.get("class") == "roof"]
    assert sorted(g.attrib["data-dtypes"] for g in roofs) == ["fp32"]  # no test used fp64


def test_axes_reach_every_corner_and_point_with_margin(document: dict[str, Any]) -> None:
    for hardware in (H100, "local"):
        chart = chart_model(document["results"], hardware)
        (x_lo, x_hi), (y_lo, y_hi) = chart.x_range, chart.y_range
        xs = [r.ridge for r in chart.roofs] + [p.intensity for p in chart.points]
        ys = [r.peak for r in chart.roofs] + [p.achieved for p in chart.points]
        assert x_lo < min(xs)
        assert max(xs) < x_hi
        assert y_lo < min(ys)
        assert max(ys) < y_hi
        top = max(r.peak for r in chart.roofs)
        assert all(x_lo < top / s.bandwidth < x_hi for s in chart.slopes)
        # whole decades, so the tick labels are powers of ten
        assert math.log10(x_lo) == round(math.log10(x_lo))
        assert math.log10(y_hi) == round(math.log10(y_hi))


def test_results_left_off_the_chart_are_named_with_why(page: str, svgs: Charts) -> None:
    local = page[page.index('data-hardware="local"') :]
    assert '<p class="note">1 kernel result not plotted:</p>' in local
    assert (
        '<li data-nodeid="tests/test_local.py::test_copy">#3 <code>'
        + breakable("tests/test_local.py::test_copy")
        + "</code>: no FLOPs: zero intensity has no place on a log axis</li>"
    ) in local
    nodes = [p.attrib["data-nodeid"] for p in points(svgs(page)["local"])]
    assert sorted(nodes) == ["tests/test_local.py::test_sgemm", "tests/test_local.py::test_sgemm32"]
    h100 = page[page.index('data-hardware="h100-sxm"') : page.index('data-hardware="local"')]
    assert "tests/test_half.py::test_unmeasured</code>: no measurement</li>" in h100.replace(
        "<wbr>", ""
    )


def test_decade_ticks_are_labelled(page: str, svgs: Charts) -> None:
    svg = svgs(page)[H100]
    ticks: dict[str, list[str | None]] = {"tick x": [], "tick y": []}
    for t in svg.iter(f"{SVG}text"):
        if t.attrib.get("class", "").startswith("tick"):
            ticks[t.attrib["class"]].append(t.text)
    assert ticks["tick x"][:4] == ["0.1", "1", "10", "100"]
    assert "1T" in ticks["tick y"]
    assert "100T" in ticks["tick y"]


def test_helpers() -> None:
    assert axis_position(1.0, 1.0, 100.0, 200.0) == 0.0
    assert axis_position(100.0, 1.0, 100.0, 200.0) == 200.0
    assert axis_position(10.0, 1.0, 100.0, 200.0) == pytest.approx(100.0)
    assert log_range([3.0, 40.0]) == (1.0, 100.0)
    assert log_range([1.0, 10.0]) == (0.1, 100.0)  # a value on a decade gets room
    assert decades(0.1, 100.0) == pytest.approx([0.1, 1.0, 10.0, 100.0])
    svg = roofline_svg([], "nothing")
    assert ET.fromstring(svg).attrib["data-hardware"] == "nothing"


def test_worst_first_orders_outcomes_then_utilization(document: dict[str, Any]) -> None:
    ordered = in_row_order(document["results"])
    ranks = [("impossible", "unmeasured", "failed", "passed").index(r["outcome"]) for r in ordered]
    assert ranks == sorted(ranks)
    passed = [r["utilization"] for r in ordered if r["outcome"] == "passed"]
    assert passed == sorted(passed)
