"""The tables of the HTML gap report: kernel and serving results, worst first, sortable.

Each cell carries its figure as ``data-sort`` for the page's sorting script, so a column
sorts by the number and not by its text ('9 µs' after '10 ms'). Every piece of text from
the document goes through :func:`html.escape`.
"""

from __future__ import annotations

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
    tokens_per_second,
    worst_first,
)

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


def worst_first_rows(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results in the order of every report's rows (:func:`.format.worst_first`)."""

    def key(result: dict[str, Any]) -> tuple[int, float, str]:
        utilization = number(result.get("utilization"))
        return worst_first(json_report.status(result), utilization, str(result.get("nodeid", "")))

    return sorted(results, key=key)


def cell(text: str, sort: str | None = None, cls: str = "", title: str = "") -> str:
    """One ``<td>``: escaped text, and the figure the sorting script sorts it by."""
    attrs = f' class="{cls}"' if cls else ""
    if sort is not None:
        attrs += f' data-sort="{escape(sort)}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{escape(text)}</td>"


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


def _row_start(result: Mapping[str, Any]) -> str:
    """The row's opening tag, its node id and its work: the same in both tables."""
    nodeid = str(result.get("nodeid", ""))
    return (
        f'<tr data-nodeid="{escape(nodeid)}" data-outcome="{escape(json_report.status(result))}">'
        + cell(nodeid, cls="nodeid", title=str(result.get("message", "")))
        + cell(str(result.get("label", "")))
    )


def _row_end(result: Mapping[str, Any], rank: int) -> str:
    """Utilization against budget, and the status with its notes as a tooltip."""
    budget = number(result.get("min_utilization"))
    shown = "none" if budget is None else percent(budget)
    versus = f"{percent(number(result.get('utilization')))} / budget {shown}"
    shown_status = json_report.status(result)
    text = shown_status + (" (busy machine)" if result.get("noisy") else "")
    notes = [str(n) for n in result.get("notes") or ()]
    if result.get("regression"):
        notes.append(str(result["regression"]))
    return (
        cell(versus, sort_value(result.get("utilization")), "num")
        + cell(text, str(rank), f"status {shown_status}", "\n".join(notes))
        + "</tr>"
    )


def _versus_ridge(result: Mapping[str, Any]) -> str:
    """'341 FLOP/B, above ridge 295': where the work sits against the ridge point."""
    found = number(result.get("intensity"))
    ridge = number(result.get("ridge_point"))
    bounded = number(result.get("bound_seconds")) is not None
    if found is None and not bounded:
        return "-"
    shown = f"{intensity(found)} FLOP/B"
    if ridge is None:
        return shown
    side = "below" if found is not None and found <= ridge else "above"
    return f"{shown}, {side} ridge {figure(ridge)}"


def _seconds_cell(result: Mapping[str, Any], key: str, *, bottleneck: bool = False) -> str:
    """A time of the result, sortable; the bottleneck's term stands out."""
    value = result.get(key)
    cls = "num bottleneck" if bottleneck else "num"
    return cell(seconds(number(value)), sort_value(value), cls)


def kernel_table(results: Sequence[dict[str, Any]]) -> str:
    """The kernel results of one hardware, worst first, sortable by every column."""
    rows = []
    for rank, r in enumerate(worst_first_rows(results)):
        reported = (r.get("statistics") or {}).get("reported")
        measured = seconds(number(r.get("measured_seconds"))) + (" (reported)" if reported else "")
        rows.append(
            _row_start(r)
            + cell(str(r.get("bottleneck", "")))
            + cell(_versus_ridge(r), sort_value(r.get("intensity")), "num")
            + _seconds_cell(r, "bound_seconds")
            + cell(measured, sort_value(r.get("measured_seconds")), "num")
            + _row_end(r, rank)
        )
    return _table("kernels", KERNEL_COLUMNS, rows)


def serving_figures(result: Mapping[str, Any]) -> dict[str, float | None]:
    """GPUs, optimal and measured tokens/s per GPU, and the gap factor optimal / measured."""
    serving = result.get("serving") or {}
    workload = result.get("workload") or {}
    gpus = number(serving.get("gpus")) or number(workload.get("gpus")) or 1.0
    optimal = number(serving.get("optimal_tokens_per_second_per_gpu"))
    total_optimal = number(result.get("optimal_tokens_per_second"))
    if optimal is None and total_optimal is not None:
        optimal = total_optimal / gpus
    total = number(result.get("measured_tokens_per_second"))
    measured = None if total is None else total / gpus
    factor = optimal / measured if optimal is not None and measured else None
    return {"gpus": gpus, "optimal": optimal, "measured": measured, "gap": factor}


def serving_table(results: Sequence[dict[str, Any]]) -> str:
    """The serving results of one hardware: the throughput gap and the three T terms."""
    rows = []
    for rank, r in enumerate(worst_first_rows(results)):
        f = serving_figures(r)
        terms = [
            _seconds_cell(r, f"{name}_seconds", bottleneck=r.get("bottleneck") == name)
            for name in ("compute", "memory", "network")
        ]
        rows.append(
            _row_start(r)
            + cell(figure(f["gpus"]), sort_value(f["gpus"]), "num")
            + cell(tokens_per_second(f["optimal"]), sort_value(f["optimal"]), "num")
            + cell(
                tokens_per_second(f["measured"])
                + (f" ({failed})" if (failed := failed_requests(r)) else ""),
                sort_value(f["measured"]),
                "num",
            )
            + cell(gap(f["gap"]), sort_value(f["gap"]), "num")
            + "".join(terms)
            + _row_end(r, rank)
        )
    return _table("serving", SERVING_COLUMNS, rows)
