"""The HTML gap report: one self-contained file rendered from the JSON report's document.

A report is opened from CI artifacts, mail attachments and air-gapped machines, so the
file references nothing outside itself: inline CSS, the hand-written SVG charts of
:mod:`pytest_roofline.report.chart`, and a few lines of inline JavaScript that sort a table
when its column header is clicked. Without JavaScript the tables still read worst first.

Every piece of text from the document (node ids, labels, hardware names, calibration
notes) goes through :func:`html.escape`; the output depends on the document alone, so the
same JSON always renders to the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_RATE,
    TOKEN_RATE,
    format_quantity,
    format_seconds,
)
from pytest_roofline.report.chart import (
    OUTCOME_COLORS,
    chart_model,
    roofline_svg,
)
from pytest_roofline.verdict.record import (
    percent,
    status_of,
)

OUTCOME_ORDER = {"impossible": 0, "unmeasured": 1, "failed": 2, "regressed": 2, "passed": 3}
"""Worst first, as the terminal summary orders its rows."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #212121; background: #fff; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.meta { color: #555; margin: 2px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; background: #f5f5f5; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
td.nodeid { font-family: ui-monospace, monospace; word-break: break-all; max-width: 420px; }
.status { font-weight: 600; }
.passed { color: #2e7d32; } .failed, .regressed { color: #c62828; }
.impossible { color: #ef6c00; } .unmeasured { color: #757575; }
.legend span { margin-right: 14px; font-size: 13px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 4px; }
.bottleneck { font-weight: 600; }
.note { color: #555; font-size: 13px; }
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    if (!numeric) { return raw === null ? cell.textContent : raw; }
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }
  function sortBy(table, column) {
    var heads = table.tHead.rows[0].cells;
    var head = heads[column];
    var numeric = head.getAttribute("data-type") === "number";
    var dir = head.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[column], numeric), y = key(b.cells[column], numeric);
      if (x === y) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      if (numeric) { return dir * (x - y); }
      return dir * String(x).localeCompare(String(y));
    });
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    head.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
      head.tabIndex = 0;
      head.addEventListener("click", function () { sortBy(table, column); });
      head.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, column);
        }
      });
    });
  });
  document.body.setAttribute("data-sortable", "ready");
})();
"""


def _num(value: Any) -> float | None:
    """A finite number from the document, or None (null, missing, or not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _seconds(value: Any) -> str:
    number = _num(value)
    return "-" if number is None else format_seconds(number)


def _percent(value: Any) -> str:
    number = _num(value)
    return "-" if number is None else percent(number)


def _sort_value(value: Any) -> str:
    """A number for the sorting script; empty when missing, so it sorts last."""
    number = _num(value)
    return "" if number is None else repr(number)


def worst_first(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Impossible, unmeasured, failed, then passed; lowest utilization first in each."""

    def key(result: dict[str, Any]) -> tuple[int, float]:
        utilization = _num(result.get("utilization"))
        status = status_of(result.get("outcome"), result.get("regression"))
        return OUTCOME_ORDER.get(status, 0), utilization or 0.0

    return sorted(results, key=key)


def _cell(text: str, sort: str | None = None, cls: str = "", title: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    if sort is not None:
        attrs += f' data-sort="{escape(sort)}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{escape(text)}</td>"


def _head(columns: Sequence[tuple[str, str]], sorted_by: str) -> str:
    cells = []
    for name, kind in columns:
        sort = ' aria-sort="ascending"' if name == sorted_by else ""
        cells.append(f'<th data-type="{kind}"{sort} scope="col">{escape(name)}</th>')
    return "<thead><tr>" + "".join(cells) + "</tr></thead>"


def _status(result: dict[str, Any], rank: int) -> str:
    status = status_of(result.get("outcome", ""), result.get("regression"))
    text = status + (" (busy machine)" if result.get("noisy") else "")
    notes = [str(n) for n in result.get("notes") or ()]
    if result.get("regression"):
        notes.append(str(result["regression"]))
    return _cell(text, str(rank), f"status {status}", "\n".join(notes))


def _budget(result: dict[str, Any]) -> str:
    budget = _num(result.get("min_utilization"))
    shown = "none" if budget is None else f"{budget:.1%}"
    return f"{_percent(result.get('utilization'))} / budget {shown}"


KERNEL_COLUMNS = (
    ("test", "text"),
    ("work", "text"),
    ("bottleneck", "text"),
    ("intensity vs ridge", "number"),
    ("bound", "number"),
    ("measured", "number"),
    ("utilization vs budget", "number"),
    ("status", "number"),
)


def kernel_table(results: Sequence[dict[str, Any]]) -> str:
    """The kernel results of one hardware, worst first, sortable by every column."""
    rows = []
    for rank, r in enumerate(worst_first(results)):
        intensity, ridge = _num(r.get("intensity")), _num(r.get("ridge_point"))
        if intensity is None:
            versus = "-"
        elif ridge is None:
            versus = f"{intensity:.3g} FLOP/B"
        else:
            side = "above" if intensity > ridge else "below"
            versus = f"{intensity:.3g} FLOP/B, {side} ridge {ridge:.3g}"
        reported = (r.get("statistics") or {}).get("reported")
        measured = _seconds(r.get("measured_seconds")) + (" (reported)" if reported else "")
        rows.append(
            f'<tr data-nodeid="{escape(str(r.get("nodeid", "")))}"'
            f' data-outcome="{escape(str(r.get("outcome", "")))}">'
            + _cell(str(r.get("nodeid", "")), cls="nodeid", title=str(r.get("message", "")))
            + _cell(str(r.get("label", "")))
            + _cell(str(r.get("bottleneck", "")))
            + _cell(versus, _sort_value(intensity), "num")
            + _cell(_seconds(r.get("bound_seconds")), _sort_value(r.get("bound_seconds")), "num")
            + _cell(measured, _sort_value(r.get("measured_seconds")), "num")
            + _cell(_budget(r), _sort_value(r.get("utilization")), "num")
            + _status(r, rank)
            + "</tr>"
        )
    return (
        '<table class="sortable kernels">'
        + _head(KERNEL_COLUMNS, "status")
        + "<tbody>"
        + "\n".join(rows)
        + "</tbody></table>"
    )


SERVING_COLUMNS = (
    ("test", "text"),
    ("work", "text"),
    ("GPUs", "number"),
    ("optimal tokens/s per GPU", "number"),
    ("measured tokens/s per GPU", "number"),
    ("gap factor", "number"),
    ("T_compute", "number"),
    ("T_memory", "number"),
    ("T_net", "number"),
    ("utilization vs budget", "number"),
    ("status", "number"),
)


def serving_figures(result: dict[str, Any]) -> dict[str, float | None]:
    """GPUs, optimal and measured tokens/s per GPU, and the gap factor optimal / measured."""
    serving = result.get("serving") or {}
    gpus = _num(serving.get("gpus")) or _num((result.get("workload") or {}).get("gpus")) or 1.0
    optimal = _num(serving.get("optimal_tokens_per_second_per_gpu"))
    if optimal is None and _num(result.get("optimal_tokens_per_second")) is not None:
        optimal = float(result["optimal_tokens_per_second"]) / gpus
    total = _num(result.get("measured_tokens_per_second"))
    measured = None if total is None else total / gpus
    gap = optimal / measured if optimal is not None and measured else None
    return {"gpus": gpus, "optimal": optimal, "measured": measured, "gap": gap}


def serving_table(results: Sequence[dict[str, Any]]) -> str:
    """The serving results of one hardware: the throughput gap and the three T terms."""
    rows = []
    for rank, r in enumerate(worst_first(results)):
        f = serving_figures(r)
        rate = {k: "-" if f[k] is None else format_quantity(f[k] or 0.0, TOKEN_RATE) for k in f}
        gap = "-" if f["gap"] is None else f"{f['gap']:.3g}x"
        terms = []
        for name in ("compute", "memory", "network"):
            value = r.get(f"{name}_seconds")
            cls = "num bottleneck" if r.get("bottleneck") == name else "num"
            terms.append(_cell(_seconds(value), _sort_value(value), cls))
        rows.append(
            f'<tr data-nodeid="{escape(str(r.get("nodeid", "")))}"'
            f' data-outcome="{escape(str(r.get("outcome", "")))}">'
            + _cell(str(r.get("nodeid", "")), cls="nodeid", title=str(r.get("message", "")))
            + _cell(str(r.get("label", "")))
            + _cell(f"{f['gpus']:g}", _sort_value(f["gpus"]), "num")
            + _cell(rate["optimal"], _sort_value(f["optimal"]), "num")
            + _cell(rate["measured"], _sort_value(f["measured"]), "num")
            + _cell(gap, _sort_value(f["gap"]), "num")
            + "".join(terms)
            + _cell(_budget(r), _sort_value(r.get("utilization")), "num")
            + _status(r, rank)
            + "</tr>"
        )
    return (
        '<table class="sortable serving">'
        + _head(SERVING_COLUMNS, "status")
        + "<tbody>"
        + "\n".join(rows)
        + "</tbody></table>"
    )


def _legend() -> str:
    spans = "".join(
        f'<span><i class="swatch" style="background:{color}"></i>{escape(outcome)}</span>'
        for outcome, color in OUTCOME_COLORS.items()
    )
    return f'<p class="legend">{spans}</p>'


def _spec_line(spec: dict[str, Any]) -> str:
    peaks = ", ".join(
        f"{dtype} {format_quantity(float(peak), FLOP_RATE)}"
        for dtype, peak in (spec.get("peak_flops") or {}).items()
        if _num(peak) is not None
    )
    parts = [peaks] if peaks else []
    if _num(spec.get("memory_bandwidth")) is not None:
        parts.append(f"memory {format_quantity(spec['memory_bandwidth'], BANDWIDTH)}")
    for level in spec.get("memory_levels") or ():
        if _num(level.get("bandwidth")) is not None:
            parts.append(
                f"{level.get('name', 'cache')} {format_quantity(level['bandwidth'], BANDWIDTH)}"
            )
    if _num(spec.get("ceiling_uncertainty")):
        parts.append(f"ceilings ±{spec['ceiling_uncertainty']:.0%}")
    return "; ".join(parts)


def hardware_section(results: list[dict[str, Any]], hardware: str) -> str:
    """One hardware: its figures, the roofline chart of its kernels, and its tables."""
    mine = [r for r in results if r.get("hardware") == hardware]
    kernels = [r for r in mine if r.get("kind", "kernel") == "kernel"]
    serving = [r for r in mine if r.get("kind") == "serving"]
    specs = [dict(r["hardware_spec"]) for r in mine if r.get("hardware_spec")]
    spec: dict[str, Any] = specs[-1] if specs else {}
    out = [
        f'<section class="hardware" data-hardware="{escape(hardware)}">',
        f"<h2>{escape(hardware)}</h2>",
        f'<p class="meta">{escape(_spec_line(spec))}</p>',
    ]
    if kernels:
        chart = chart_model(mine, hardware)
        out.append(_legend())
        out.append(f'<div class="chart">{roofline_svg(mine, hardware)}</div>')
        if chart.skipped:
            out.append(
                f'<p class="note">{chart.skipped} kernel result(s) not plotted: no'
                " measurement, or no FLOPs (zero intensity has no place on a log axis).</p>"
            )
        out.append("<h3>kernels</h3>")
        out.append(kernel_table(kernels))
    if serving:
        out.append("<h3>serving</h3>")
        out.append(
            '<p class="note">Serving results are not drawn on the chart: their bound is that'
            " of all their GPUs together. Gap factor = optimal / measured tokens/s.</p>"
        )
        out.append(serving_table(serving))
    out.append("</section>")
    return "\n".join(out)


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)


def machine_section(machine: dict[str, Any]) -> str:
    """Where the run happened, and the ``local`` ceilings with how and when measured."""
    host = [
        (str(k), str(v))
        for k, v in machine.items()
        if not isinstance(v, (dict, list)) and k != "ceiling_uncertainty"
    ]
    out = ['<section class="machine">', "<h2>machine and calibration</h2>"]
    out.append(f'<table class="host">{_rows(host)}</table>')
    peaks = machine.get("peak_flops") or {}
    bandwidths = machine.get("memory_bandwidth") or {}
    if not peaks and not bandwidths:
        out.append('<p class="note">No test ran on <code>local</code>: no ceilings measured.</p>')
        out.append("</section>")
        return "\n".join(out)
    dram = _num(bandwidths.get("dram")) if isinstance(bandwidths, dict) else None
    peak_rows = []
    for dtype, peak in peaks.items():
        value = _num(peak)
        ridge = f"{value / dram:.3g} FLOP/B" if value is not None and dram else "-"
        shown = "-" if value is None else format_quantity(value, FLOP_RATE)
        peak_rows.append(
            f"<tr>{_cell(str(dtype))}{_cell(shown, cls='num')}{_cell(ridge, cls='num')}</tr>"
        )
    out.append("<h3>local ceilings per dtype</h3>")
    out.append(
        '<table class="ceilings"><thead><tr><th>dtype</th><th>peak</th>'
        "<th>ridge point (DRAM)</th></tr></thead><tbody>" + "".join(peak_rows) + "</tbody></table>"
    )
    capacity = machine.get("cache_capacity") or {}
    level_rows = []
    if isinstance(bandwidths, dict):
        for level, bw in bandwidths.items():
            value, size = _num(bw), _num(capacity.get(level))
            level_rows.append(
                "<tr>"
                + _cell(str(level))
                + _cell("-" if value is None else format_quantity(value, BANDWIDTH), cls="num")
                + _cell("-" if size is None else format_quantity(size, BYTES), cls="num")
                + "</tr>"
            )
    out.append("<h3>local memory levels</h3>")
    out.append(
        '<table class="levels"><thead><tr><th>level</th><th>bandwidth</th>'
        "<th>capacity</th></tr></thead><tbody>" + "".join(level_rows) + "</tbody></table>"
    )
    calibration = machine.get("calibration") or {}
    uncertainty = _num(machine.get("ceiling_uncertainty"))
    details = [
        ("measured at", str(calibration.get("measured_at") or "-")),
        ("uncertainty", "-" if uncertainty is None else f"±{uncertainty:.0%}"),
    ]
    if calibration.get("description"):
        details.append(("description", str(calibration["description"])))
    details += [(f"how: {k}", str(v)) for k, v in (calibration.get("how") or {}).items()]
    out.append("<h3>calibration</h3>")
    out.append(f'<table class="calibration">{_rows(details)}</table>')
    out.append("</section>")
    return "\n".join(out)


def render_html(document: dict[str, Any]) -> str:
    """The whole report as one HTML page (see the module docstring)."""
    results: list[dict[str, Any]] = list(document.get("results") or [])
    hardware = list(dict.fromkeys(str(r.get("hardware", "")) for r in results))
    statuses = [status_of(r.get("outcome"), r.get("regression")) for r in results]
    counts = {o: statuses.count(o) for o in OUTCOME_ORDER}
    totals = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    created = str(document.get("created", ""))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pytest-roofline gap report</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>pytest-roofline gap report</h1>",
        f'<p class="meta">created {escape(created)}</p>',
        f'<p class="meta">hardware: {escape(", ".join(hardware) or "none")}</p>',
        f'<p class="meta totals">{len(results)} result(s): {escape(totals or "none")}</p>',
        "</header>",
        "<main>",
    ]
    out += [hardware_section(results, name) for name in hardware]
    out.append(machine_section(document.get("machine") or {}))
    out += ["</main>", f"<script>{SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(out)
