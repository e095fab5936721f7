"""The tables of the HTML gap report: kernel and serving results, worst first, sortable.

Each cell carries its figure as ``data-sort`` for the page's sorting script, so a column
sorts by the number and not by its text ('9 µs' after '10 ms'). Every piece of text from
the document goes through :func:`html.escape`. A kernel row starts with its number, the
one its dot carries on the chart above the table.

A node id breaks only after a separator (``/``, ``::``, ``-``, ``,``, ``_``) or before a
``[``, never inside a word: a word cut in two is unreadable, and a column allowed to
break anywhere shrinks to a few characters a line when the table is wide (the column
keeps a width of its own, set in the page's style).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from pytest_roofline.core.units import number, percent
from pytest_roofline.report import json_report
from pytest_roofline.report.format import (
    failed_requests,
    figure,
    gap,
    intensity,
    seconds,
    status,
    tokens_per_second,
)

KERNEL_COLUMNS = (
    ("#", "number"),
    ("test", "text"),
    ("work", "text"),
    ("bottleneck", "text"),
    ("intensity vs ridge", "number"),
    ("bound", "number"),
    ("measured", "number"),
    ("utilization vs budget", "number"),
    ("status", "number"),
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


_BREAKS = re.compile(r"(::|/|-|,|_)|(?=\[)")
"""Where a node id may break: after a path or name separator, or before its parameters."""
_AFTER = frozenset({"::", "/", "-", ",", "_"})


def breakable(nodeid: str) -> str:
    """``nodeid`` escaped, with ``<wbr>`` wherever a line may break in it (see above).

    >>> breakable("tests/t.py::test_a[1-2]")
    'tests/<wbr>t.py::<wbr>test_<wbr>a<wbr>[1-<wbr>2]'
    """
    pieces = _BREAKS.split(nodeid)
    out, text = [], ""
    for piece in pieces:
        text += piece or ""
        if piece is None or piece in _AFTER:
            out.append(escape(text))
            text = ""
    out.append(escape(text))
    return "<wbr>".join(part for part in out if part)


def lines(*parts: str) -> str:
    """Escaped ``parts`` on lines of their own: a figure and what qualifies it ('35 µs',
    '(reported)') each stay whole, and the column is as narrow as its longer line."""
    return "<br>".join(escape(part) for part in parts if part)


def cell(
    text: str, sort: str | None = None, cls: str = "", title: str = "", markup: str = ""
) -> str:
    """One ``<td>``: escaped text (or ``markup``, HTML already escaped), and the figure
    the sorting script sorts it by."""
    attrs = f' class="{cls}"' if cls else ""
    if sort is not None:
        attrs += f' data-sort="{escape(sort)}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{markup or escape(text)}</td>"


def sort_value(value: Any) -> str:
    """A number for the sorting script; empty when missing, so it sorts last."""
    found = number(value)
    return "" if found is None else repr(found)


def _head(columns: Sequence[tuple[str, str]], sorted_by: str) -> str:
    cells = []
    for name, kind in columns:
        sort = ' aria-sort="ascending"' if name == sorted_by else ""
        cells.append(f'<th data-type="{kind}"{sort} scope="col">{escape(name)}</th>')
    return "<thead><tr>" + "".join(cells) + "</tr></thead>"


def _table(kind: str, columns: Sequence[tuple[str, str]], rows: list[str]) -> str:
    """A sortable table, sorted by status to begin with (the rows come worst first)."""
    return (
        f'<table class="sortable {kind}">'
        + _head(columns, "status")
        + "<tbody>"
        + "\n".join(rows)
        + "</tbody></table>"
    )


def _row_start(result: Mapping[str, Any], row: int | None = None) -> str:
    """The row's opening tag, its number (kernel rows), node id and work."""
    nodeid = str(result.get("nodeid", ""))
    numbered = "" if row is None else f' data-number="{row}"'
    opening = (
        f'<tr data-nodeid="{escape(nodeid)}"{numbered}'
        f' data-outcome="{escape(json_report.status(result))}">'
    )
    if row is not None:
        opening += cell(str(row), str(row), "num row-number")
    return (
        opening
        + cell(
            nodeid,
            nodeid,
            "nodeid",
            title=str(result.get("message", "")),
            markup=breakable(nodeid),
        )
        + cell(str(result.get("label", "")))
    )


def _row_end(result: Mapping[str, Any], rank: int) -> str:
    """Utilization against budget, and the status with its notes as a tooltip."""
    budget = number(result.get("min_utilization"))
    shown = "none" if budget is None else percent(budget)
    utilization = f"{percent(number(result.get('utilization')))} /"
    shown_status = status(json_report.status(result))
    classes = f"status {shown_status.style.name}" + (" busy" if shown_status.busy else "")
    notes = [str(n) for n in result.get("notes") or ()]
    if result.get("regression"):
        notes.append(str(result["regression"]))
    return (
        cell(
            "",
            sort_value(result.get("utilization")),
            "num",
            markup=lines(utilization, f"budget {shown}"),
        )
        + cell(
            "",
            str(rank),
            classes,
            "\n".join(notes),
            markup=lines(shown_status.style.name, shown_status.qualifier.strip()),
        )
        + "</tr>"
    )


def _versus_ridge(result: Mapping[str, Any]) -> str:
    """'341 FLOP/B,' then 'above ridge 295': where the work sits against the ridge."""
    found = number(result.get("intensity"))
    ridge = number(result.get("ridge_point"))
    bounded = number(result.get("bound_seconds")) is not None
    if found is None and not bounded:
        return lines("-")
    shown = f"{intensity(found)} FLOP/B"
    if ridge is None:
        return lines(shown)
    side = "below" if found is not None and found <= ridge else "above"
    return lines(f"{shown},", f"{side} ridge {figure(ridge)}")


def _seconds_cell(result: Mapping[str, Any], key: str, *, bottleneck: bool = False) -> str:
    """A time of the result, sortable; the bottleneck's term stands out."""
    value = result.get(key)
    cls = "num bottleneck" if bottleneck else "num"
    return cell(seconds(number(value)), sort_value(value), cls)


def kernel_table(results: Sequence[dict[str, Any]]) -> str:
    """The kernel results of one hardware, worst first, sortable by every column."""
    rows = []
    for rank, r in enumerate(json_report.in_row_order(results)):
        reported = (r.get("statistics") or {}).get("reported")
        measured = lines(
            seconds(number(r.get("measured_seconds"))), "(reported)" if reported else ""
        )
        rows.append(
            _row_start(r, rank + 1)
            + cell(str(r.get("bottleneck", "")))
            + cell("", sort_value(r.get("intensity")), "num", markup=_versus_ridge(r))
            + _seconds_cell(r, "bound_seconds")
            + cell("", sort_value(r.get("measured_seconds")), "num", markup=measured)
            + _row_end(r, rank)
        )
    return _table("kernels", KERNEL_COLUMNS, rows)


def serving_table(results: Sequence[dict[str, Any]]) -> str:
    """The serving results of one hardware: the throughput gap and the three T terms."""
    rows = []
    for rank, r in enumerate(json_report.in_row_order(results)):
        f = json_report.serving_figures(r)
        terms = [
            _seconds_cell(r, f"{name}_seconds", bottleneck=r.get("bottleneck") == name)
            for name in ("compute", "memory", "network")
        ]
        rows.append(
            _row_start(r)
            + cell(figure(f["gpus"]), sort_value(f["gpus"]), "num")
            + cell(tokens_per_second(f["optimal"]), sort_value(f["optimal"]), "num")
            + cell(
                "",
                sort_value(f["measured"]),
                "num",
                markup=lines(
                    tokens_per_second(f["measured"]),
                    f"({failed})" if (failed := failed_requests(r)) else "",
                ),
            )
            + cell(gap(f["gap"]), sort_value(f["gap"]), "num")
            + "".join(terms)
            + _row_end(r, rank)
        )
    return _table("serving", SERVING_COLUMNS, rows)
