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

``llmperf``
    ray-project llmperf's ``*_summary.json``: see :mod:`.llmperf`.
``aiperf``
    NVIDIA AIPerf's ``profile_export_aiperf.json``: see :mod:`.aiperf`. Told apart by
    its structure (``aiperf_version``, figures that are objects with a ``unit``), not by
    a key it shares with vLLM.

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

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from pytest_roofline.core import reading
from pytest_roofline.errors import (
    DeclarationError,
    FileError,
    UnknownNameError,
    clip,
    cut,
)
from pytest_roofline.measurement.aiperf import is_metric, read_aiperf
from pytest_roofline.measurement.engine_result import (
    FORMATS,
    TITLES,
    EngineResult,
    Figures,
    Format,
    checked,
)
from pytest_roofline.measurement.latency import vllm_latencies
from pytest_roofline.measurement.llmperf import is_llmperf, read_llmperf
from pytest_roofline.measurement.lmdeploy import (
    csv_rows,
    is_lmdeploy,
    looks_like_csv,
    read_lmdeploy,
)
from pytest_roofline.measurement.sglang import (
    is_sglang_offline,
    is_sglang_serving,
    read_sglang_offline,
)
from pytest_roofline.measurement.trtllm import is_trtllm, read_trtllm

REQUIRED: dict[str, tuple[str, ...]] = {
    "vllm-serving": ("completed", "duration", "total_input_tokens", "total_output_tokens"),
    "vllm-throughput": ("num_requests", "elapsed_time", "total_num_tokens"),
    "sglang-serving": ("completed", "duration", "total_input_tokens", "total_output_tokens"),
    "sglang-offline": ("successful_requests", "total_latency"),
    "aiperf": ("request_count", "benchmark_duration"),
    "llmperf": (
        "results_num_completed_requests",
        "results_num_completed_requests_per_min",
        "results_mean_output_throughput_token_per_s",
        "results_number_input_tokens_mean",
        "results_number_output_tokens_mean",
    ),
    "trtllm": ("performance", "request_info"),
    "lmdeploy": (),
}
READERS: dict[str, Callable[[dict[str, Any], str], EngineResult]] = {
    "sglang-offline": read_sglang_offline,
    "aiperf": read_aiperf,
    "llmperf": read_llmperf,
    "trtllm": read_trtllm,
    "lmdeploy": read_lmdeploy,
}
"""The formats with a reader of their own; the vLLM and SGLang serving shapes, and vLLM's
offline one, are read here."""


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
    if shape in READERS:
        return READERS[shape](data, source)
    figures = Figures(data, source)
    if shape == "vllm-throughput":
        return _offline(figures, source, data)
    return _online(figures, source, data, shape)


def _objects(text: str, name: str) -> list[tuple[str, Any]]:
    """(source, object) for a JSON file, or one per non-empty line of JSON lines."""
    __tracebackhide__ = True
    if not text.strip():
        raise DeclarationError(f"{name}: the engine result file is empty")
    if looks_like_csv(text):
        return csv_rows(text, name)
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
    """The format of ``data``, told by its structure: each test looks for what only its
    format writes, so that a key two formats share decides nothing."""
    __tracebackhide__ = True
    # AIPerf's figures are objects with a unit, and it writes total_output_tokens too,
    # which once made it read as a vLLM file.
    if "aiperf_version" in data or is_metric(data.get("request_count")):
        return "aiperf"
    if is_trtllm(data):
        return "trtllm"
    if is_llmperf(data):
        return "llmperf"
    if is_lmdeploy(data):
        return "lmdeploy"
    if is_sglang_offline(data):
        return "sglang-offline"
    if "elapsed_time" in data:  # the missing keys, if any, are named next
        return "vllm-throughput"
    if "completed" in data or "total_output_tokens" in data:
        return "sglang-serving" if is_sglang_serving(data) else "vllm-serving"
    raise DeclarationError(
        f"{source}: not a format read here ({KNOWN}); it holds {structure(data)}"
    )


KNOWN = "vllm-serving/-throughput, sglang-serving/-offline, aiperf, llmperf, trtllm, lmdeploy"
"""The formats read, as an unknown file's error lists them (every one in FORMATS)."""


def structure(data: dict[str, Any], width: int = 100) -> str:
    """The file's keys, nested ones in braces: 'engine{model, version}, performance{...}',
    cut to ``width`` characters, so an unknown file can be recognised from the error."""
    parts = []
    for key, value in data.items():
        name = _key(key)
        if isinstance(value, dict) and value:
            inner = ", ".join(_key(k) for k in list(value)[:4])
            name += "{" + inner + (", ..." if len(value) > 4 else "") + "}"
        elif isinstance(value, list):
            name += "[...]"
        parts.append(name)
    return clip("keys " + ", ".join(parts), width) if parts else "no key"


def _key(key: str) -> str:
    """A key as the error shows it: bare when it reads plainly, else quoted and cut."""
    plain = key.isprintable() and 0 < len(key) <= 40 and not any(c in key for c in ",{}'")
    return key if plain else cut(key, 40)


def _online(figures: Figures, source: str, data: dict[str, Any], shape: Format) -> EngineResult:
    __tracebackhide__ = True
    completed = figures.count("completed")
    duration = figures.duration("duration")
    prompt, output = figures.token_totals("total_input_tokens", "total_output_tokens")
    # total_throughput, accept_length and server_info: SGLang's names (see .sglang).
    total = figures.optional("total_token_throughput") or figures.optional("total_throughput")
    server = data.get("server_info")
    server = server if isinstance(server, dict) else {}
    model = data.get("model_id") or data.get("model") or server.get("model_path")
    return checked(
        "duration",
        format=shape,
        source=source,
        requests=int(completed),
        duration_seconds=duration,
        tokens_per_second=total if total else (prompt + output) / duration,
        output_tokens_per_second=figures.optional("output_throughput") or output / duration,
        # request_inthroughput: the 2024 benchmark_serving.py's own spelling of it.
        requests_per_second=figures.optional("request_throughput")
        or figures.optional("request_inthroughput")
        or completed / duration,
        mean_prompt_tokens=prompt / completed,
        mean_output_tokens=output / completed,
        mean_ttft_seconds=figures.optional("mean_ttft_ms", 1e-3),
        mean_tpot_seconds=figures.optional("mean_tpot_ms", 1e-3),
        mean_itl_seconds=figures.optional("mean_itl_ms", 1e-3),
        model=model if isinstance(model, str) else None,
        max_concurrency=figures.optional("max_concurrency"),
        failed_requests=_failed(figures, data, completed),
        acceptance_length=figures.optional("spec_decode_acceptance_length")
        or figures.optional("accept_length"),
        latency=vllm_latencies(data),
    )


def _failed(figures: Figures, data: dict[str, Any], completed: float) -> int | None:
    """Requests that did not complete: vLLM's ``failed``, else ``num_prompts`` less the
    completed ones (both as ``bench serve`` writes them)."""
    __tracebackhide__ = True
    if data.get("failed") is not None:
        return int(figures.count_or_zero("failed"))
    if data.get("num_prompts") is not None:
        sent = figures.count_or_zero("num_prompts")
        return int(max(sent - completed, 0))
    return None


def _offline(figures: Figures, source: str, data: dict[str, Any]) -> EngineResult:
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
    return checked(
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


__all__ = [
    "FORMATS",
    "TITLES",
    "EngineResult",
    "Format",
    "parse_engine_result",
    "read_engine_result",
]
