"""Serving engines' own benchmark result files, read as they are written.

A serving engine's CI already runs the engine's benchmark; retyping its figures into a
test invites mistakes. :func:`read_engine_result` reads the file and returns an
:class:`EngineResult` in SI units (seconds, tokens per second). The shapes read:

``vllm-serving``
    vLLM's online benchmark, ``benchmarks/benchmark_serving.py --save-result`` (and
    ``vllm bench serve --save-result``, which writes the same keys), one JSON object:
    the result dict its ``benchmark()`` function builds (``completed``, ``duration``,
    ``total_input_tokens``, ``total_output_tokens``, ``request_throughput``,
    ``output_throughput``, ``total_token_throughput``, ``mean_ttft_ms``,
    ``mean_tpot_ms``, ``mean_itl_ms``, ...) plus the run's metadata (``model_id``,
    ``max_concurrency``, ...). Later keys (``failed``, ``request_goodput``, the detailed
    per-request lists) are ignored. Older versions of the script, written before it had
    ``total_token_throughput``, are read too: it is derived as (input + output tokens)
    / duration.
``vllm-throughput``
    vLLM's offline benchmark, ``benchmarks/benchmark_throughput.py --output-json`` (and
    ``vllm bench throughput``): ``elapsed_time``, ``num_requests``, ``total_num_tokens``,
    ``requests_per_second``, ``tokens_per_second``. This is the offline throughput that
    NanoFlow's figures compare. It counts prompt and output tokens only together, so it
    gives no mean prompt and output lengths (unless a ``total_output_tokens`` key is
    present, as some versions write).
``sglang-serving``
    SGLang's ``python -m sglang.bench_serving --output-file``: JSON lines, one object
    appended per run, with the same core keys as vLLM's (``completed``, ``duration``,
    ``total_input_tokens``, ``total_output_tokens``, ``output_throughput``, the ``_ms``
    latencies) plus SGLang's own (``dataset_name``, ``input_throughput``,
    ``mean_e2e_latency_ms``). ``run`` picks a line: the last by default.

A JSON *list* of such objects is read as vLLM's ``vllm bench sweep serve`` writes a
parameter combination's ``summary.json`` (vLLM's ``benchmarks/sweep/serve.py``, read at
commit 0031557): one ``bench serve`` result per run, each with its ``run_number`` and the
swept serve and bench parameters merged in. ``match=`` keeps the entries holding given
values (``{"max_concurrency": 64}``), and ``run`` picks among them, the last by default;
the result's ``source`` names the entry, its run number and the values matched.

The shape is told from the keys; ``format=`` forces one. Every problem with a file is one
:class:`~pytest_roofline.errors.DeclarationError` line that names the file (and line).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

from pytest_roofline.core import reading
from pytest_roofline.core.frozen import Spec
from pytest_roofline.core.units import MAX_COUNT
from pytest_roofline.errors import (
    DeclarationError,
    FileError,
    UnknownNameError,
    clip,
    cut,
)

Format = Literal["vllm-serving", "vllm-throughput", "sglang-serving"]
FORMATS: tuple[str, ...] = ("vllm-serving", "vllm-throughput", "sglang-serving")
TITLES = {
    "vllm-serving": "vLLM benchmark_serving result",
    "vllm-throughput": "vLLM benchmark_throughput result",
    "sglang-serving": "SGLang bench_serving result",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "vllm-serving": ("completed", "duration", "total_input_tokens", "total_output_tokens"),
    "vllm-throughput": ("num_requests", "elapsed_time", "total_num_tokens"),
    "sglang-serving": ("completed", "duration", "total_input_tokens", "total_output_tokens"),
}
SGLANG_KEYS = ("dataset_name", "input_throughput", "mean_e2e_latency_ms")
"""Keys SGLang writes and vLLM does not: they tell the two serving shapes apart."""


class EngineResult(Spec):
    """One benchmark run of a serving engine, in SI units."""

    format: Format
    source: str
    """The file, and the line for JSON lines: what messages and notes name."""
    requests: int
    """Requests completed."""
    duration_seconds: float
    tokens_per_second: float
    """Prompt and output tokens per second: what Compute / (2 · P_model) bounds."""
    output_tokens_per_second: float | None = None
    requests_per_second: float | None = None
    mean_prompt_tokens: float | None = None
    """p, from the file's token totals; None when the file does not split them."""
    mean_output_tokens: float | None = None
    """d, likewise."""
    mean_ttft_seconds: float | None = None
    mean_tpot_seconds: float | None = None
    """Mean time per output token after the first: one decode iteration."""
    mean_itl_seconds: float | None = None
    model: str | None = None
    max_concurrency: float | None = None

    @property
    def description(self) -> str:
        """'vLLM benchmark_serving result results/run.json', for notes and reports."""
        return f"{TITLES[self.format]} {self.source}"


def read_engine_result(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    run: int = -1,
    match: Mapping[str, Any] | None = None,
) -> EngineResult:
    """Read the engine result at ``path`` (see the module docstring for the shapes).

    ``run`` chooses the line of a JSON-lines file, or the entry of a list (a vLLM sweep's
    ``summary.json``), with Python indexing: -1 is the last. ``match`` keeps only the
    entries whose keys have the given values (``{"max_concurrency": 64}``) before ``run``
    picks among them; the result's ``source`` names the entry used.
    """
    __tracebackhide__ = True
    if not isinstance(path, (str, os.PathLike)):
        raise DeclarationError(
            f"report_engine_result(): the path must be a str or a path, got {cut(path)}"
        )
    if isinstance(run, bool) or not isinstance(run, int):
        raise DeclarationError(
            f"report_engine_result(): run= must be an integer index (-1 for the last run),"
            f" got {cut(run)}"
        )
    name = os.fspath(path)
    if not name:
        raise DeclarationError("report_engine_result(): the path is empty")
    text = reading.read_text(Path(name), "engine result")
    runs = _objects(text, name)
    if match is not None:
        runs = _matching(runs, match, name)
    if not -len(runs) <= run < len(runs):
        count = f"{len(runs)} run" + ("s" if len(runs) != 1 else "")
        raise DeclarationError(
            f"{name}: run={cut(run, 40)} is out of range; the file holds {count}"
        )
    source, data = runs[run]
    return parse_engine_result(data, source=source, format=format)


def parse_engine_result(data: Any, *, source: str, format: str | None = None) -> EngineResult:
    """An :class:`EngineResult` from one already-loaded JSON object."""
    __tracebackhide__ = True
    if format is not None and format not in FORMATS:
        raise UnknownNameError("engine result format", format, FORMATS)
    if not isinstance(data, dict):
        raise DeclarationError(
            f"{source}: an engine result is a JSON object, got {type(data).__name__}"
        )
    shape: Format = cast(Format, format) if format is not None else _detect(data, source)
    missing = [key for key in REQUIRED[shape] if key not in data]
    if missing:
        raise DeclarationError(
            f"{source}: not a {TITLES[shape]}: no key {', '.join(map(repr, missing))}"
        )
    figures = _Figures(data, source)
    if shape == "vllm-throughput":
        return _offline(figures, source, data)
    return _online(figures, source, data, shape)


def _objects(text: str, name: str) -> list[tuple[str, Any]]:
    """(source, object) for a JSON file, or one per non-empty line of JSON lines."""
    __tracebackhide__ = True
    if not text.strip():
        raise DeclarationError(f"{name}: the engine result file is empty")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    try:
        whole_file = reading.parse_json(text, name, finite=False)
    except FileError as whole:
        if len(lines) < 2 or "Extra data" not in str(whole):
            raise
    else:
        if isinstance(whole_file, list):
            return _sweep_entries(whole_file, name)
        return [(name, whole_file)]
    # JSON lines: one run per line, each named by its line number.
    runs = []
    for number, line in lines:
        runs.append(
            (f"{name}:{number}", reading.parse_json(line, f"{name}:{number}", finite=False))
        )
    return runs


def _sweep_entries(entries: list[Any], name: str) -> list[tuple[str, Any]]:
    """The entries of a list of runs: vLLM ``bench sweep serve``'s ``summary.json``, one
    ``bench serve`` result per run of a parameter combination, each with its
    ``run_number`` and the swept parameters merged in. Each is named by its index and
    run number, so notes and errors say which run was judged."""
    __tracebackhide__ = True
    if not entries:
        raise DeclarationError(f"{name}: the list of runs is empty")
    named = []
    for index, entry in enumerate(entries):
        number = entry.get("run_number") if isinstance(entry, dict) else None
        label = f"{name}[{index}]" + (
            f" (run_number={cut(number, 20)})" if number is not None else ""
        )
        named.append((label, entry))
    return named


def _matching(
    runs: list[tuple[str, Any]], match: Mapping[str, Any], name: str
) -> list[tuple[str, Any]]:
    """The runs whose keys hold ``match``'s values; none is one line listing what the
    file holds for those keys."""
    __tracebackhide__ = True
    if not isinstance(match, Mapping) or not match:
        raise DeclarationError(
            f"report_engine_result(): match= must be a non-empty dict of key: value, got"
            f" {cut(match)}"
        )
    kept = [
        (f"{source}, {_said(match)}", data)
        for source, data in runs
        if isinstance(data, dict) and all(k in data and data[k] == v for k, v in match.items())
    ]
    if not kept:
        held = sorted(
            {_said({k: data.get(k) for k in match}) for _, data in runs if isinstance(data, dict)}
        )
        raise DeclarationError(
            f"{name}: no run has {_said(match)}; the file holds {clip(', '.join(held), 200)}"
        )
    return kept


def _said(values: Mapping[str, Any]) -> str:
    """'max_concurrency=64, request_rate=inf': how a choice of runs is named."""
    return ", ".join(f"{key}={cut(value, 30)}" for key, value in values.items())


def _detect(data: dict[str, Any], source: str) -> Format:
    __tracebackhide__ = True
    if "elapsed_time" in data:  # the missing keys, if any, are named next
        return "vllm-throughput"
    if "completed" in data or "total_output_tokens" in data:
        return "sglang-serving" if any(key in data for key in SGLANG_KEYS) else "vllm-serving"
    keys = ", ".join(repr(key) for key in list(data)[:6]) or "none"
    more = ", ..." if len(data) > 6 else ""
    raise DeclarationError(
        f"{source}: not a vLLM benchmark_serving, vLLM benchmark_throughput or SGLang"
        f" bench_serving result: no key 'completed' or 'elapsed_time'; it has keys"
        f" {keys}{more}"
    )


MIN_FIGURE = 1e-9
"""The smallest throughput (per second) or time per token (ms) an engine file may hold."""
MIN_DURATION = 1e-6
"""Seconds: a benchmark file saying its requests ran in less is wrong, and its rates
would come out near infinite."""


class _Figures:
    """Numbers read from one object, each checked and named when it is wrong."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def number(self, key: str, *, positive: bool = False) -> float:
        __tracebackhide__ = True
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DeclarationError(f"{self.source}: {key} must be a number, got {cut(value)}")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            need = "> 0" if positive else ">= 0"
            raise DeclarationError(
                f"{self.source}: {key} must be a finite number {need}, got {cut(value)}"
            )
        return float(value)

    def duration(self, key: str) -> float:
        """A benchmark's length in seconds: no run of requests is over in a microsecond."""
        __tracebackhide__ = True
        value = self.number(key, positive=True)
        if value < MIN_DURATION:
            raise DeclarationError(
                f"{self.source}: {key} is {value!r} s, shorter than any benchmark run"
                " (it is in seconds)"
            )
        return value

    def count(self, key: str) -> float:
        """A number of requests: a whole number, at least 1."""
        __tracebackhide__ = True
        value = self.number(key)
        if value != int(value):
            raise DeclarationError(f"{self.source}: {key} counts requests, got {cut(value)}")
        if value == 0:
            raise DeclarationError(f"{self.source}: {key} is 0: the benchmark finished no request")
        if value > MAX_COUNT:
            raise DeclarationError(
                f"{self.source}: {key} is {cut(value, 40)} requests, more than a benchmark runs"
            )
        return value

    def optional(self, key: str, scale: float = 1.0) -> float | None:
        """A figure the file may leave out (or write as null); ms figures scaled to s.

        A throughput or a time per token (each one is) that is positive but below
        :data:`MIN_FIGURE` is a unit slip or a denormal: its verdict would be infinite.
        """
        __tracebackhide__ = True
        if self.data.get(key) is None:
            return None
        value = self.number(key)
        if 0 < value < MIN_FIGURE:
            raise DeclarationError(
                f"{self.source}: {key} is {value!r}, too small to be a throughput or a time"
            )
        return value * scale


def _online(figures: _Figures, source: str, data: dict[str, Any], shape: Format) -> EngineResult:
    __tracebackhide__ = True
    completed = figures.count("completed")
    duration = figures.duration("duration")
    prompt = figures.number("total_input_tokens")
    output = figures.number("total_output_tokens")
    if prompt + output == 0:
        raise DeclarationError(
            f"{source}: total_input_tokens and total_output_tokens are both 0: the benchmark"
            " moved no token"
        )
    total = figures.optional("total_token_throughput")
    model = data.get("model_id") or data.get("model")
    return _checked(
        "duration",
        format=shape,
        source=source,
        requests=int(completed),
        duration_seconds=duration,
        tokens_per_second=total if total else (prompt + output) / duration,
        output_tokens_per_second=figures.optional("output_throughput") or output / duration,
        requests_per_second=figures.optional("request_throughput") or completed / duration,
        mean_prompt_tokens=prompt / completed,
        mean_output_tokens=output / completed,
        mean_ttft_seconds=figures.optional("mean_ttft_ms", 1e-3),
        mean_tpot_seconds=figures.optional("mean_tpot_ms", 1e-3),
        mean_itl_seconds=figures.optional("mean_itl_ms", 1e-3),
        model=model if isinstance(model, str) else None,
        max_concurrency=figures.optional("max_concurrency"),
    )


def _offline(figures: _Figures, source: str, data: dict[str, Any]) -> EngineResult:
    __tracebackhide__ = True
    requests = figures.count("num_requests")
    elapsed = figures.duration("elapsed_time")
    tokens = figures.number("total_num_tokens")
    output = figures.optional("total_output_tokens")
    if output is not None and output > tokens:
        raise DeclarationError(
            f"{source}: total_output_tokens ({output:g}) exceeds total_num_tokens ({tokens:g})"
        )
    rate = figures.optional("tokens_per_second")
    model = data.get("model")
    return _checked(
        "elapsed_time",
        format="vllm-throughput",
        source=source,
        requests=int(requests),
        duration_seconds=elapsed,
        tokens_per_second=rate if rate else tokens / elapsed,
        output_tokens_per_second=None if output is None else output / elapsed,
        requests_per_second=figures.optional("requests_per_second") or requests / elapsed,
        mean_prompt_tokens=None if output is None else (tokens - output) / requests,
        mean_output_tokens=None if output is None else output / requests,
        model=model if isinstance(model, str) else None,
    )


def _checked(duration_key: str, **fields: Any) -> EngineResult:
    """The result, once every figure derived from the file is a finite number: a
    duration of 1e-320 s passes as positive, and its rates come out infinite."""
    __tracebackhide__ = True
    for name, value in fields.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise DeclarationError(
                f"{fields['source']}: {name} comes out as {value} from the file's figures;"
                f" is its {duration_key} ({fields['duration_seconds']!r} s) right?"
            )
    return EngineResult(**fields)
