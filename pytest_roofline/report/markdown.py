"""The Markdown report: the JSON report rendered for a pull request or a CI summary.

It reads the JSON document (not :class:`~pytest_roofline.verdict.record.Result` objects) so that
``--roofline-markdown`` and re-rendering a saved report give the same text: the JSON is
the source of truth (DESIGN.md section 5). Kernel results get one table per hardware;
serving results get the shape of the notes' "Performance Gap" comparison (optimal against
measured tokens/s per GPU). Worst gaps come first in every table, since they are what a
reader has to act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    tally,
    tokens_per_second,
)

NONE = "—"
"""A missing figure: an em dash reads better than a hyphen in a rendered table."""

KERNEL_COLUMNS = (
    ("test", "left"),
    ("work", "left"),
    ("bottleneck", "left"),
    ("intensity / ridge", "right"),
    ("bound", "right"),
    ("measured", "right"),
    ("utilization / budget", "right"),
)
SERVING_COLUMNS = (
    ("test", "left"),
    ("config", "left"),
    ("GPUs", "left"),
    ("optimal / GPU", "right"),
    ("measured / GPU", "right"),
    ("gap", "right"),
    ("utilization / budget", "right"),
    ("T_memory / T_compute / T_net", "right"),
    ("bottleneck", "left"),
)


def escape(text: str) -> str:
    """Make ``text`` safe inside a table cell: a ``|`` would end the cell, a newline the row."""
    return " ".join(text.replace("|", "\\|").splitlines())


def code(text: str) -> str:
    """``text`` as an inline code span, so ``_`` and ``*`` in node ids are not emphasis.

    The fence is one backtick longer than the longest run inside, as CommonMark requires.
    """
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _seconds(value: Any) -> str:
    return seconds(number(value), NONE)


def shown_utilization(result: Mapping[str, Any]) -> float | None:
    """The utilization a reader should see: the uncapped one when the result is impossible.

    An impossible result's capped figure would hide by how much it beats the bound.
    """
    if result.get("outcome") == "impossible":
        raw = number(result.get("raw_utilization"))
        if raw is not None:
            return raw
    return number(result.get("utilization"))


def verdict(result: Mapping[str, Any]) -> str:
    """Status mark, utilization and budget in one cell: '❌ 22.9% / 30.0%', and
    '✅ 80.0% / 40.0% (busy machine)' for a verdict taken on a busy machine."""
    shown = status(json_report.status(result))
    budget = number(result.get("min_utilization"))
    shown_budget = "no budget" if budget is None else percent(budget, NONE)
    return (
        f"{shown.emoji} {percent(shown_utilization(result), NONE)} / {shown_budget}"
        f"{shown.qualifier}"
    )


def table(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table; cells are escaped here, not by the callers."""
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "| " + " | ".join("---:" if align == "right" else "---" for _, align in columns) + " |",
    ]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return lines


def _intensity(result: Mapping[str, Any]) -> str:
    bounded = number(result.get("bound_seconds")) is not None
    shown = intensity(number(result.get("intensity")), bounded=bounded, missing=NONE)
    return f"{shown} / {figure(number(result.get('ridge_point')), NONE)} FLOP/B"


def kernel_row(result: Mapping[str, Any]) -> list[str]:
    """One kernel result: where it sits on the roofline and how close it came."""
    return [
        code(str(result.get("nodeid", ""))),
        str(result.get("label", "")),
        str(result.get("bottleneck", "")),
        _intensity(result),
        _seconds(result.get("bound_seconds")),
        _seconds(result.get("measured_seconds")),
        verdict(result),
    ]


def serving_row(result: Mapping[str, Any]) -> list[str]:
    """One serving result: the notes' optimal against measured tokens/s per GPU.

    Per GPU, because that is how the notes and NanoFlow compare engines run on different
    numbers of GPUs. The gap factor is optimal / measured: how many times faster the
    hardware could serve than the engine did.
    """
    figures = json_report.serving_figures(result)
    gpus = figures["gpus"]
    times = " / ".join(
        _seconds(result.get(key))
        for key in ("memory_seconds", "compute_seconds", "network_seconds")
    )
    return [
        code(str(result.get("nodeid", ""))),
        str(result.get("label", "")),
        f"{NONE if gpus is None else f'{gpus:g}'} x {result.get('hardware', '')}",
        tokens_per_second(figures["optimal"], NONE),
        tokens_per_second(figures["measured"], NONE)
        + (f" ({failed})" if (failed := failed_requests(result)) else ""),
        gap(figures["gap"], NONE),
        verdict(result),
        times,
        str(result.get("bottleneck", "")),
    ]


def header(results: Sequence[Mapping[str, Any]]) -> str:
    """'**roofline**: 6 tests on local, h100-sxm — 5 passed, 1 below budget'.

    Hardware is listed in the order the results first use it; outcomes with no test are
    left out so the line stays short.
    """
    if not results:
        return "**roofline**: no roofline tests"
    hardware = list(dict.fromkeys(str(r.get("hardware", "")) for r in results))
    counts = [f"{count} {style.label}" for style, count in tally(map(json_report.status, results))]
    tests = "1 test" if len(results) == 1 else f"{len(results)} tests"
    return f"**roofline**: {tests} on {', '.join(hardware)} — {', '.join(counts)}"


def render_markdown(document: Mapping[str, Any]) -> str:
    """The whole report as Markdown text ending in a newline.

    A pure function of ``document``: the same JSON always renders to the same text, so
    the output can be compared with a golden file and diffed between runs.
    """
    raw_results = document.get("results", [])
    results: list[Mapping[str, Any]] = (
        [r for r in raw_results if isinstance(r, Mapping)] if isinstance(raw_results, list) else []
    )
    lines = [header(results)]
    kernels = [r for r in results if r.get("kind") != "serving"]
    serving = json_report.in_row_order(r for r in results if r.get("kind") == "serving")
    # Tables follow the order the header names the hardware in; rows go worst first.
    for hardware in dict.fromkeys(str(r.get("hardware", "")) for r in kernels):
        on_it = [r for r in kernels if str(r.get("hardware", "")) == hardware]
        rows = [kernel_row(r) for r in json_report.in_row_order(on_it)]
        lines += ["", f"### Kernels on {hardware}", "", *table(KERNEL_COLUMNS, rows)]
    if serving:
        rows = [serving_row(r) for r in serving]
        lines += ["", "### Serving", "", *table(SERVING_COLUMNS, rows)]
    return "\n".join(lines) + "\n"
