"""The HTML gap report: one self-contained file rendered from the JSON report's document.

A report is opened from CI artifacts, mail attachments and air-gapped machines, so the
file references nothing outside itself: inline CSS, the hand-written SVG charts of
:mod:`pytest_roofline.report.svg`, and a few lines of inline JavaScript that sort a table
when its column header is clicked. Without JavaScript the tables
(:mod:`pytest_roofline.report.html_tables`) still read worst first.

Every piece of text from the document (node ids, labels, hardware names, calibration
notes) goes through :func:`html.escape`; the output depends on the document alone, so the
same JSON always renders to the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_RATE,
    format_quantity,
    hardware_line,
    number,
    uncertainty,
)
from pytest_roofline.report import json_report
from pytest_roofline.report.chart import Chart, chart_model
from pytest_roofline.report.format import OUTCOMES, figure, tally
from pytest_roofline.report.html_tables import (
    breakable,
    cell,
    kernel_table,
    serving_table,
)
from pytest_roofline.report.svg import roofline_svg

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #212121; background: #fff; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.meta { color: #555; margin: 2px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 5px; text-align: left; vertical-align: top; }
th { font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; background: #f5f5f5; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
.table-wrap { overflow-x: auto; max-width: 100%; }
td.nodeid { font-family: ui-monospace, monospace; font-size: 12px; min-width: 22ch;
  max-width: 60ch; overflow-wrap: normal; word-break: normal; }
td.row-number { color: #555; }
ul.unplotted { font-size: 13px; color: #555; margin: 0 0 12px; padding-left: 20px; }
ul.unplotted code { overflow-wrap: normal; word-break: normal; }
.status { font-weight: 600; }
.status.busy { font-style: italic; }
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


_OUTCOME_STYLE = "\n".join(f".{style.name} {{ color: {style.colour}; }}" for style in OUTCOMES)
"""The status text of a row in its outcome's colour, the colour of its chart point."""


def _legend() -> str:
    """The outcomes' colours, in the order every report lists them."""
    spans = "".join(
        f'<span><i class="swatch" style="background:{style.colour}"></i>{escape(style.name)}</span>'
        for style in OUTCOMES
    )
    return f'<p class="legend">{spans}</p>'


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
        f'<p class="meta">{escape(hardware_line(spec))}</p>',
    ]
    if kernels:
        out += [_legend(), f'<div class="chart">{roofline_svg(mine, hardware)}</div>']
        out.append(_unplotted(chart_model(mine, hardware)))
        out += ["<h3>kernels</h3>", _wrapped(kernel_table(kernels))]
    if serving:
        out.append("<h3>serving</h3>")
        out.append(
            '<p class="note">Serving results are not drawn on the chart: their bound is that'
            " of all their GPUs together. Gap factor = optimal / measured tokens/s.</p>"
        )
        out.append(_wrapped(serving_table(serving)))
    out.append("</section>")
    return "\n".join(out)


UNPLOTTED_SHOWN = 20
"""Results left off a chart named one by one; the rest are counted (the table has all)."""


def _unplotted(chart: Chart) -> str:
    """Which kernel results the chart leaves out, by number and node id, and why."""
    if not chart.unplotted:
        return ""
    count = len(chart.unplotted)
    items = [
        f'<li data-nodeid="{escape(u.nodeid)}">#{u.number} <code>{breakable(u.nodeid)}</code>:'
        f" {escape(u.reason)}</li>"
        for u in chart.unplotted[:UNPLOTTED_SHOWN]
    ]
    if count > UNPLOTTED_SHOWN:
        items.append(f"<li>and {count - UNPLOTTED_SHOWN:,} more (see the table)</li>")
    said = "1 kernel result" if count == 1 else f"{count:,} kernel results"
    return f'<p class="note">{said} not plotted:</p><ul class="unplotted">{"".join(items)}</ul>'


def _wrapped(table: str) -> str:
    """A table that scrolls sideways on a narrow page rather than squeezing its text."""
    return f'<div class="table-wrap">{table}</div>'


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)


def _table(cls: str, heads: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain table: a text column, then figures aligned right."""
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + cell(row[0]) + "".join(cell(c, cls="num") for c in row[1:]) + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _quantity(value: Any, kind: Any) -> str:
    found = number(value)
    return "-" if found is None else format_quantity(found, kind)


def _ceilings(peaks: dict[str, Any], bandwidths: dict[str, Any]) -> str:
    """Peak and ridge point on DRAM per dtype of the ``local`` ceilings."""
    dram = number(bandwidths.get("dram"))
    rows = []
    for dtype, peak in peaks.items():
        value = number(peak)
        ridge = f"{figure(value / dram)} FLOP/B" if value is not None and dram else "-"
        rows.append((str(dtype), _quantity(value, FLOP_RATE), ridge))
    return _table("ceilings", ("dtype", "peak", "ridge point (DRAM)"), rows)


def _levels(bandwidths: dict[str, Any], capacity: dict[str, Any]) -> str:
    """Bandwidth and capacity of each measured memory level."""
    rows = [
        (str(level), _quantity(bw, BANDWIDTH), _quantity(capacity.get(level), BYTES))
        for level, bw in bandwidths.items()
    ]
    return _table("levels", ("level", "bandwidth", "capacity"), rows)


def _calibration(machine: dict[str, Any]) -> str:
    """When and how the ``local`` ceilings were measured, and how sure they are."""
    calibration = machine.get("calibration") or {}
    spread = number(machine.get("ceiling_uncertainty"))
    details = [
        ("measured at", str(calibration.get("measured_at") or "-")),
        ("uncertainty", "-" if spread is None else uncertainty(spread)),
    ]
    if calibration.get("description"):
        details.append(("description", str(calibration["description"])))
    details += [(f"how: {k}", str(v)) for k, v in (calibration.get("how") or {}).items()]
    return f'<table class="calibration">{_rows(details)}</table>'


def _table_of(machine: dict[str, Any], key: str) -> dict[str, Any]:
    """A table of figures of the ``machine`` section; empty when absent or not a table."""
    found = machine.get(key)
    return found if isinstance(found, dict) else {}


def machine_section(machine: dict[str, Any]) -> str:
    """Where the run happened, and the ``local`` ceilings with how and when measured."""
    host = [
        (str(k), str(v))
        for k, v in machine.items()
        if not isinstance(v, (dict, list)) and k != "ceiling_uncertainty"
    ]
    out = ['<section class="machine">', "<h2>machine and calibration</h2>"]
    out.append(f'<table class="host">{_rows(host)}</table>')
    peaks, bandwidths, capacity = (
        _table_of(machine, key) for key in ("peak_flops", "memory_bandwidth", "cache_capacity")
    )
    if not peaks and not bandwidths:
        out.append('<p class="note">No test ran on <code>local</code>: no ceilings measured.</p>')
    else:
        out += ["<h3>local ceilings per dtype</h3>", _ceilings(peaks, bandwidths)]
        out += ["<h3>local memory levels</h3>", _levels(bandwidths, capacity)]
        out += ["<h3>calibration</h3>", _calibration(machine)]
    out.append("</section>")
    return "\n".join(out)


def render_html(document: dict[str, Any]) -> str:
    """The whole report as one HTML page (see the module docstring)."""
    results: list[dict[str, Any]] = list(document.get("results") or [])
    hardware = list(dict.fromkeys(str(r.get("hardware", "")) for r in results))
    totals = ", ".join(
        f"{count} {style.name}" for style, count in tally(map(json_report.status, results))
    )
    created = str(document.get("created", ""))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pytest-roofline gap report</title>",
        f"<style>{STYLE}{_OUTCOME_STYLE}\n</style>",
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
