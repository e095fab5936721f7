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

from pytest_roofline.core.units import format_seconds
from pytest_roofline.verdict.record import percent as capped_percent
from pytest_roofline.verdict.record import status_of

MARKS = {"passed": "✅", "failed": "❌", "regressed": "📉", "impossible": "⚠️", "unmeasured": "❔"}
OUTCOME_WORDS = (
    ("passed", "passed"),
    ("failed", "below budget"),
    ("regressed", "regressed"),
    ("impossible", "impossible"),
    ("unmeasured", "unmeasured"),
)
NONE = "—"

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


def percent(value: float | None) -> str:
    """A fraction as a percentage with one decimal ('22.9%'), or a dash when missing."""
    return NONE if value is None else capped_percent(value)


def _number(value: Any) -> float | None:
    """A JSON number as a float; anything else (null, a string) as missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _seconds(value: Any) -> str:
    number = _number(value)
    return NONE if number is None else format_seconds(number)


def shown_utilization(result: Mapping[str, Any]) -> float | None:
    """The utilization a reader should see: the uncapped one when the result is impossible.

    An impossible result's capped figure would hide by how much it beats the bound.
    """
    if result.get("outcome") == "impossible":
        raw = _number(result.get("raw_utilization"))
        if raw is not None:
            return raw
    return _number(result.get("utilization"))


def verdict(result: Mapping[str, Any]) -> str:
    """Status mark, utilization and budget in one cell: '❌ 22.9% / 30.0%'."""
    mark = MARKS.get(status_of(result.get("outcome"), result.get("regression")), "❔")
    budget = _number(result.get("min_utilization"))
    shown_budget = "no budget" if budget is None else percent(budget)
    return f"{mark} {percent(shown_utilization(result))} / {shown_budget}"


def sort_key(result: Mapping[str, Any]) -> tuple[int, float, str]:
    """Worst first: impossible, then unmeasured, then the lowest utilization.

    Impossible and unmeasured results say nothing trustworthy about speed, so they lead:
    a wrong declaration or a missing measurement must be fixed before any gap is read.
    The node id breaks ties so that the output does not depend on the results' order.
    """
    order = {"impossible": 0, "unmeasured": 1}
    utilization = _number(result.get("utilization"))
    return (
        order.get(str(result.get("outcome")), 2),
        utilization if utilization is not None else 0.0,
        str(result.get("nodeid", "")),
    )


def table(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table; cells are escaped here, not by the callers."""
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "| " + " | ".join("---:" if align == "right" else "---" for _, align in columns) + " |",
    ]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return lines


def figure(value: float) -> str:
    """Three significant digits, but whole numbers with separators from 1000 up ('2,731'),
    where ``:.3g`` would switch to an exponent a reader has to decode."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _intensity(result: Mapping[str, Any]) -> str:
    ridge = _number(result.get("ridge_point"))
    intensity = _number(result.get("intensity"))
    # A null intensity is a kernel that moves no bytes: infinitely far right of the ridge.
    shown = "∞" if intensity is None else figure(intensity)
    return f"{shown} / {NONE if ridge is None else figure(ridge)} FLOP/B"


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


def _gpus(result: Mapping[str, Any]) -> int | None:
    for table_ in (result.get("serving"), result.get("workload")):
        if isinstance(table_, Mapping):
            gpus = _number(table_.get("gpus"))
            if gpus is not None and gpus > 0:
                return int(gpus)
    return None


def _rate(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f} tokens/s"


def serving_row(result: Mapping[str, Any]) -> list[str]:
    """One serving result: the notes' optimal against measured tokens/s per GPU.

    Per GPU, because that is how the notes and NanoFlow compare engines run on different
    numbers of GPUs. The gap factor is optimal / measured: how many times faster the
    hardware could serve than the engine did.
    """
    gpus = _gpus(result)
    optimal = _number(result.get("optimal_tokens_per_second"))
    measured = _number(result.get("measured_tokens_per_second"))
    per_gpu = gpus or 1
    gap = NONE
    if optimal is not None and measured is not None and measured > 0:
        gap = f"{optimal / measured:.2f}x"
    times = " / ".join(
        _seconds(result.get(key))
        for key in ("memory_seconds", "compute_seconds", "network_seconds")
    )
    return [
        code(str(result.get("nodeid", ""))),
        str(result.get("label", "")),
        f"{NONE if gpus is None else gpus} x {result.get('hardware', '')}",
        _rate(None if optimal is None else optimal / per_gpu),
        _rate(None if measured is None else measured / per_gpu),
        gap,
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
    statuses = [status_of(r.get("outcome"), r.get("regression")) for r in results]
    counts = [
        f"{statuses.count(status)} {word}" for status, word in OUTCOME_WORDS if status in statuses
    ]
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
    serving = sorted((r for r in results if r.get("kind") == "serving"), key=sort_key)
    # Tables follow the order the header names the hardware in; rows go worst first.
    for hardware in dict.fromkeys(str(r.get("hardware", "")) for r in kernels):
        on_it = [r for r in kernels if str(r.get("hardware", "")) == hardware]
        rows = [kernel_row(r) for r in sorted(on_it, key=sort_key)]
        lines += ["", f"### Kernels on {hardware}", "", *table(KERNEL_COLUMNS, rows)]
    if serving:
        rows = [serving_row(r) for r in serving]
        lines += ["", "### Serving", "", *table(SERVING_COLUMNS, rows)]
    return "\n".join(lines) + "\n"
