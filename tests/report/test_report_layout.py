"""The HTML report's layout in a real browser (headless Chromium): no chart label covers
another label, a dot or a ridge marker; every dot carries its number; at 1000 px a table
fits the page and breaks node ids only where they may break.

The boxes are read back as the browser drew them. A script added to a copy of the report
writes, for every label, the four corners of its box on the screen into an attribute
(``getBBox`` through ``getScreenCTM``: a label turned along a slope is its turned box,
not the larger upright box around it), and ``--dump-dom`` prints the page. The overlap
test here is the separating axis theorem written again, apart from the one the layout
uses (report/labels.py), so a fault there cannot hide itself.

The samples: ``shared_bandwidth_document`` (a ``local`` whose main memory and L3 share
one bandwidth, roofs of equal peaks on h100-sxm, 45 kernels, node ids over 100
characters, serving too) and ``sample_document``. Skipped without Chromium.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.report.html import render_html

Browser = Callable[..., bytes]
"""The ``browser`` fixture (tests/report/conftest.py)."""
Corner = tuple[float, float]

BOXES = """<script>
(function () {
  "use strict";
  function corners(element, svg) {
    var box = element.getBBox(), matrix = element.getScreenCTM();
    return [[box.x, box.y], [box.x + box.width, box.y],
            [box.x + box.width, box.y + box.height], [box.x, box.y + box.height]]
      .map(function (c) {
        var p = svg.createSVGPoint();
        p.x = c[0]; p.y = c[1];
        p = p.matrixTransform(matrix);
        return [p.x, p.y];
      });
  }
  function at(svg, x, y) {
    var p = svg.createSVGPoint();
    p.x = x; p.y = y;
    p = p.matrixTransform(svg.getScreenCTM());
    return [p.x, p.y];
  }
  var found = [];
  Array.prototype.forEach.call(document.querySelectorAll("svg.roofline"), function (svg) {
    var left = +svg.getAttribute("data-plot-left"), top = +svg.getAttribute("data-plot-top");
    var chart = {
      hardware: svg.getAttribute("data-hardware"),
      area: [at(svg, left, top), at(svg, left + +svg.getAttribute("data-plot-width"),
             top + +svg.getAttribute("data-plot-height"))],
      labels: [], circles: [], leaders: []
    };
    // Every text of the chart but its axes' ticks and titles.
    svg.querySelectorAll("text[class]:not(.tick)").forEach(function (text) {
      chart.labels.push({cls: text.getAttribute("class"), text: text.textContent,
                         number: text.getAttribute("data-number"),
                         corners: corners(text, svg)});
    });
    svg.querySelectorAll("circle.point, circle.ridge").forEach(function (circle) {
      chart.circles.push({cls: circle.getAttribute("class"),
                          number: circle.getAttribute("data-number"),
                          centre: at(svg, circle.cx.baseVal.value, circle.cy.baseVal.value),
                          r: circle.r.baseVal.value});
    });
    svg.querySelectorAll("line.leader").forEach(function (line) {
      chart.leaders.push({number: line.getAttribute("data-number"),
                          from: at(svg, line.x1.baseVal.value, line.y1.baseVal.value),
                          to: at(svg, line.x2.baseVal.value, line.y2.baseVal.value)});
    });
    found.push(chart);
  });
  var cells = [];
  document.querySelectorAll("td.nodeid").forEach(function (cell) {
    var broken = 0;
    cell.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        var range = document.createRange();
        range.selectNodeContents(node);
        broken += range.getClientRects().length > 1;
      }
    });
    cells.push({text: cell.textContent, width: cell.getBoundingClientRect().width,
                broken: broken});
  });
  var tables = [];
  document.querySelectorAll("div.table-wrap").forEach(function (wrap) {
    tables.push({scroll: wrap.scrollWidth, client: wrap.clientWidth});
  });
  document.body.setAttribute("data-layout",
                             JSON.stringify({charts: found, cells: cells, tables: tables}));
})();
</script>"""


def laid_out(browser: Browser, tmp_path: Path, document: dict[str, Any]) -> dict[str, Any]:
    """What the browser drew of the report at 1000 px wide (see BOXES)."""
    page = tmp_path / "layout.html"
    page.write_text(render_html(document).replace("</body>", BOXES + "</body>"), "utf-8")
    dom = browser(page, "--dump-dom", size=(1000, 1400)).decode()
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found is not None, "the layout script did not run"
    layout: dict[str, Any] = json.loads(html.unescape(found[1]))
    return layout


def _normals(quad: list[Corner]) -> list[Corner]:
    axes = []
    for (x1, y1), (x2, y2) in zip(quad, quad[1:] + quad[:1], strict=True):
        length = math.hypot(x2 - x1, y2 - y1)
        if length:
            axes.append(((y1 - y2) / length, (x2 - x1) / length))
    return axes


def apart(a: list[Corner], b: list[Corner], slack: float = 0.5) -> bool:
    """True when two convex quads are separated along one of their edges' normals (they
    may touch, or cross by ``slack`` pixels: anti-aliasing, no reader sees it)."""
    for ux, uy in _normals(a) + _normals(b):
        pa = [x * ux + y * uy for x, y in a]
        pb = [x * ux + y * uy for x, y in b]
        if max(pa) <= min(pb) + slack or max(pb) <= min(pa) + slack:
            return True
    return False


def distance(point: Corner, quad: list[Corner]) -> float:
    """How far ``point`` lies outside the convex ``quad`` (0 inside it)."""
    x, y = point
    inside = all(
        (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) >= 0
        for (x1, y1), (x2, y2) in zip(quad, quad[1:] + quad[:1], strict=True)
    ) or all(
        (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) <= 0
        for (x1, y1), (x2, y2) in zip(quad, quad[1:] + quad[:1], strict=True)
    )
    if inside:
        return 0.0
    found = math.inf
    for (x1, y1), (x2, y2) in zip(quad, quad[1:] + quad[:1], strict=True):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy or 1.0)))
        found = min(found, math.hypot(x - x1 - t * dx, y - y1 - t * dy))
    return found


def test_the_overlap_check_itself() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    shifted = [(x + 9, y + 9) for x, y in square]
    assert not apart(square, shifted)
    assert apart(square, [(x + 11, y) for x, y in square])
    # Turned 45 degrees beside the corner: the upright boxes overlap, the shapes do not.
    diamond = [(17.0, 10.0), (24.0, 17.0), (17.0, 24.0), (10.0, 17.0)]
    assert apart(square, diamond)
    assert distance((15.0, 5.0), square) == 5.0
    assert distance((5.0, 5.0), square) == 0.0


@pytest.fixture(params=["shared_bandwidth_document", "sample_document"])
def layout(request: pytest.FixtureRequest, browser: Browser, tmp_path: Path) -> dict[str, Any]:
    document = request.getfixturevalue(request.param)()
    return laid_out(browser, tmp_path, document)


def test_no_label_covers_another_label_a_dot_or_a_marker(layout: dict[str, Any]) -> None:
    charts = layout["charts"]
    assert charts
    for chart in charts:
        labels = chart["labels"]
        kinds = [label["cls"].split()[-1] for label in labels]
        dots = sum(1 for circle in chart["circles"] if circle["cls"] == "point")
        markers = len(chart["circles"]) - dots
        # A label for every roof, ridge and dot, and one for each memory slope at least.
        assert kinds.count("roof-label") == kinds.count("ridge-label") == markers
        assert kinds.count("point-label") == dots
        assert kinds.count("slope-label") >= 1
        for a, b in itertools.combinations(labels, 2):
            assert apart(a["corners"], b["corners"]), (chart["hardware"], a["text"], b["text"])
        for label, circle in itertools.product(labels, chart["circles"]):
            gap = distance(tuple(circle["centre"]), label["corners"]) - circle["r"]
            assert gap >= -0.5, (chart["hardware"], label["text"], circle["cls"])
        (left, top), (right, bottom) = chart["area"]
        for label in labels:
            xs = [x for x, _ in label["corners"]]
            ys = [y for _, y in label["corners"]]
            assert left - 0.5 <= min(xs), label["text"]
            assert max(xs) <= right + 0.5, label["text"]
            assert top - 0.5 <= min(ys), label["text"]
            assert max(ys) <= bottom + 0.5, label["text"]


def test_every_dot_carries_its_number_beside_it_or_at_its_leader(
    layout: dict[str, Any],
) -> None:
    for chart in layout["charts"]:
        numbers = {
            label["number"]: label for label in chart["labels"] if "point-label" in label["cls"]
        }
        leaders = {leader["number"]: leader for leader in chart["leaders"]}
        dots = [c for c in chart["circles"] if c["cls"] == "point"]
        assert dots
        for dot in dots:
            label = numbers[dot["number"]]
            assert label["text"] == dot["number"]
            centre = tuple(dot["centre"])
            near = distance(centre, label["corners"]) - dot["r"]
            if dot["number"] in leaders:  # led from the dot's edge to the label
                leader = leaders[dot["number"]]
                assert math.dist(centre, leader["from"]) <= dot["r"] + 3
                assert distance(tuple(leader["to"]), label["corners"]) <= 1.0
            else:
                assert near <= 12, (chart["hardware"], dot["number"], near)


def test_roofs_of_one_value_share_one_label(layout: dict[str, Any]) -> None:
    said = {
        chart["hardware"]: {label["text"] for label in chart["labels"]}
        for chart in layout["charts"]
    }
    if "memory = L3 19.8 GB/s" not in said.get("local", set()):
        assert "memory 17 GB/s" in said["local"]  # sample_document: no shared values
        return
    assert {"memory = L3 19.8 GB/s", "L2 100 GB/s", "L1 200 GB/s"} <= said["local"]
    assert {"fp8 = int8 1.98 PFLOP/s", "bf16 = fp16 989 TFLOP/s"} <= said["h100-sxm"]
    assert {"fp64 = fp32 67 TFLOP/s", "tf32 494 TFLOP/s", "memory 3.35 TB/s"} <= said["h100-sxm"]


def test_tables_fit_1000_px_and_break_node_ids_only_between_words(
    layout: dict[str, Any],
) -> None:
    assert layout["tables"]
    for table in layout["tables"]:
        assert table["scroll"] <= table["client"] + 1, table
    for cell in layout["cells"]:
        assert cell["width"] >= 150, cell["text"]  # some 20 characters and more
        assert cell["broken"] == 0, cell["text"]
