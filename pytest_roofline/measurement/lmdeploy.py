"""LMDeploy's ``benchmark/profile_throughput.py --csv``, read as each version wrote it.

The CSV's header changed five times (InternLM/lmdeploy, read at commit 1263d5c):

- 2023-11 and 2023-12 (commits 5c9e1e2, ebe90bc): ``batch, num_promts, ...,
  output token thr(tokens/s, total token thr(token/s), [RPS,] RPM`` (the typo and the
  unclosed parenthesis are the writer's own);
- 2023-12 to 2024-12 (a5b67b9): ``batch, num_promts, RPS, RPM, FTL(ave)(s), FTL(min)(s),
  FTL(max)(s), 50%(s), ..., throughput(out tok/s), throughput(total tok/s)``;
- 2025-01 (c25381f): ``batch, num_prompts, RPS, RPM, FTL(ave)(s), throughput(out tok/s),
  throughput(total tok/s)``;
- since 2025-06 (9bf7b63): snake_case, one row appended per run: ``backend, bs, ...,
  completed, total_input_tokens, total_output_tokens, duration, request_throughput,
  input_throughput, output_throughput, mean_e2e_latency_ms, mean_ttft_ms, mean_tpot_ms,
  mean_itl_ms``.

Every version is read through the same names below. The older layouts hold no duration
and no token totals: the duration is requests / RPS (or / RPM), and the mean lengths
follow from the rates (output tokens per request = output rate / RPS). Latencies are in
seconds in the older layouts (``FTL`` is the time to the first token) and in ms since
2025; a cell of ``-`` (no streaming) is no figure. ``batch`` or ``bs`` is the
concurrency. Each data row is one run, named by its line.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.engine_result import EngineResult, Figures, checked

COLUMNS: dict[str, tuple[str, ...]] = {
    "requests": ("completed", "num_prompts", "num_promts"),
    "concurrency": ("bs", "batch"),
    "requests_per_second": ("request_throughput", "RPS"),
    "requests_per_minute": ("RPM",),
    "output_tokens_per_second": (
        "output_throughput",
        "throughput(out tok/s)",
        "output token thr(tokens/s)",
        "output token thr(tokens/s",
    ),
    "tokens_per_second": ("throughput(total tok/s)", "total token thr(token/s)"),
    "input_tokens_per_second": ("input_throughput",),
    "duration": ("duration",),
    "input_tokens": ("total_input_tokens",),
    "output_tokens": ("total_output_tokens",),
    "ttft_seconds": ("FTL(ave)(s)", "1st_token_latency(ave)(s)"),
    "ttft_ms": ("mean_ttft_ms",),
    "tpot_ms": ("mean_tpot_ms",),
    "itl_ms": ("mean_itl_ms",),
}
"""Our name for each figure, and every header spelling of it, newest first."""

MARKS = (
    "throughput(out tok/s)",
    "output token thr(tokens/s)",
    "output token thr(tokens/s",
    "bs",
)
"""Columns only LMDeploy's CSV has: they tell its rows from any other format's."""


def looks_like_csv(text: str) -> bool:
    """Whether ``text`` opens with a CSV header row (and is not JSON)."""
    first = text.lstrip().split("\n", 1)[0]
    return "," in first and not first.startswith(("{", "[", '"'))


def csv_rows(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(source, row) for each data row, its cells as numbers where they are numbers and
    None where they are empty or ``-``."""
    __tracebackhide__ = True
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DeclarationError(f"{name}: a CSV file with a header and no row of figures")
    (_, header), *body = rows
    header = [cell.strip() for cell in header]
    return [
        (f"{name}:{line}", dict(zip(header, map(_cell, row), strict=False))) for line, row in body
    ]


def _cell(text: str) -> Any:
    text = text.strip()
    if text in ("", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def is_lmdeploy(data: dict[str, Any]) -> bool:
    """Whether ``data`` is a row of LMDeploy's CSV."""
    return any(mark in data for mark in MARKS)


def read_lmdeploy(data: dict[str, Any], source: str) -> EngineResult:
    """An :class:`EngineResult` from one row of LMDeploy's CSV (see the module docstring)."""
    __tracebackhide__ = True
    named = {
        ours: next((column for column in columns if data.get(column) is not None), None)
        for ours, columns in COLUMNS.items()
    }
    figures = Figures(data, source)

    def figure(ours: str, scale: float = 1.0) -> float | None:
        __tracebackhide__ = True
        column = named[ours]
        return None if column is None else figures.optional(column, scale)

    if named["requests"] is None:
        raise DeclarationError(f"{source}: no column num_prompts (or completed) in the CSV")
    requests = figures.count(named["requests"])
    per_second = figure("requests_per_second")
    per_minute = figure("requests_per_minute")
    if named["duration"] is not None:
        duration = figures.duration(named["duration"])
    elif per_second or per_minute:
        duration = requests / (per_second or (per_minute or math.nan) / 60.0)
    else:
        raise DeclarationError(f"{source}: no duration, RPS or RPM column to time the run by")
    output_rate = figure("output_tokens_per_second")
    prompt_total, output_total = figure("input_tokens"), figure("output_tokens")
    total_rate = figure("tokens_per_second")
    if total_rate is None and prompt_total is not None and output_total is not None:
        total_rate = (prompt_total + output_total) / duration
    if total_rate is None and output_rate is not None:
        input_rate = figure("input_tokens_per_second")
        total_rate = None if input_rate is None else input_rate + output_rate
    if total_rate is None:
        raise DeclarationError(f"{source}: no total throughput, nor the token counts to derive it")
    if total_rate == 0:
        raise DeclarationError(f"{source}: its total throughput is 0: the benchmark moved no token")
    if output_total is None and output_rate is not None:
        output_total = output_rate * duration
    if prompt_total is None and output_total is not None:
        prompt_total = total_rate * duration - output_total
    ttft = figure("ttft_seconds")
    return checked(
        "duration",
        format="lmdeploy",
        source=source,
        requests=int(requests),
        duration_seconds=duration,
        tokens_per_second=total_rate,
        output_tokens_per_second=output_rate,
        requests_per_second=requests / duration,
        mean_prompt_tokens=None if prompt_total is None else max(prompt_total, 0.0) / requests,
        mean_output_tokens=None if output_total is None else output_total / requests,
        mean_ttft_seconds=ttft if ttft is not None else figure("ttft_ms", 1e-3),
        mean_tpot_seconds=figure("tpot_ms", 1e-3),
        mean_itl_seconds=figure("itl_ms", 1e-3),
        max_concurrency=figure("concurrency"),
    )
