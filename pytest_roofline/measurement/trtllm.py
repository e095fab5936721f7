"""TensorRT-LLM's ``trtllm-bench throughput --report_json``, read as it is written.

The report is one JSON object of sections (``tensorrt_llm/bench/dataclasses/reporting.py``,
read at NVIDIA/TensorRT-LLM commit 0249976; a real one from TensorRT-LLM 1.1.0rc2 is in
tests/measurement/data/trtllm/):

- ``engine``: ``model``, ``backend``, ``dtype``, ``version``, ...;
- ``world_info``: ``tp_size``, ``pp_size``, ``max_batch_size``, ``max_num_tokens``, ...;
- ``request_info``: ``num_requests``, ``avg_input_length``, ``avg_output_length`` (tokens);
- ``performance``: ``total_latency_ms`` (the run, in milliseconds),
  ``system_total_throughput_tok_s``, ``system_output_throughput_tok_s``,
  ``request_throughput_req_s``, ``request_latency_percentiles_ms``;
- ``streaming_metrics`` (only with ``--streaming``): ``avg_ttft_ms``, ``avg_tpot_ms`` and
  their ``ttft_percentiles`` / ``tpot_percentiles`` (ms);
- ``decoding_stats`` (only with speculative decoding): ``acceptance_length_percentiles``.

The engine never runs more than ``max_batch_size`` requests at once, so that is the
concurrency the bound is taken at. ``world_info.issue_rate`` is left alone: the writer
scales a nanosecond interval by 1e9, so its figure is not a rate.
"""

from __future__ import annotations

from typing import Any

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.engine_result import TITLES, EngineResult, Figures, checked
from pytest_roofline.measurement.latency import Latencies, percentile_block

SECTIONS = ("performance", "request_info")
"""The sections every report has and no other format read here writes."""


def is_trtllm(data: dict[str, Any]) -> bool:
    """Whether ``data`` is shaped like a trtllm-bench report: nested sections."""
    return all(isinstance(data.get(section), dict) for section in SECTIONS)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def read_trtllm(data: dict[str, Any], source: str) -> EngineResult:
    """An :class:`EngineResult` from a trtllm-bench report (see the module docstring)."""
    __tracebackhide__ = True
    flat = {
        f"{name}.{key}": value
        for name in ("performance", "request_info", "world_info", "streaming_metrics")
        for key, value in _section(data, name).items()
    }
    for key in ("performance.total_latency_ms", "request_info.num_requests"):
        if key not in flat:
            raise DeclarationError(f"{source}: not a {TITLES['trtllm']}: no key {key!r}")
    figures = Figures(flat, source)
    requests = figures.count("request_info.num_requests")
    duration = figures.duration("performance.total_latency_ms", scale=1e-3)
    prompt = figures.optional("request_info.avg_input_length")
    output = figures.optional("request_info.avg_output_length")
    total = figures.optional("performance.system_total_throughput_tok_s")
    if total is None and prompt is not None and output is not None:
        total = requests * (prompt + output) / duration
    if total is None:
        raise DeclarationError(
            f"{source}: holds no system_total_throughput_tok_s and no mean lengths to"
            " derive it from"
        )
    engine = _section(data, "engine")
    model = engine.get("model")
    tp = figures.optional("world_info.tp_size")
    pp = figures.optional("world_info.pp_size") or 1.0
    return checked(
        "total_latency_ms",
        format="trtllm",
        source=source,
        requests=int(requests),
        duration_seconds=duration,
        tokens_per_second=total,
        output_tokens_per_second=figures.optional("performance.system_output_throughput_tok_s"),
        requests_per_second=figures.optional("performance.request_throughput_req_s")
        or requests / duration,
        mean_prompt_tokens=prompt,
        mean_output_tokens=output,
        mean_ttft_seconds=figures.optional("streaming_metrics.avg_ttft_ms", 1e-3),
        mean_tpot_seconds=figures.optional("streaming_metrics.avg_tpot_ms", 1e-3),
        model=model if isinstance(model, str) else None,
        max_concurrency=figures.optional("world_info.max_batch_size"),
        gpus=None if tp is None else int(tp * pp),
        acceptance_length=_acceptance(data),
        latency=_latencies(data),
    )


def _acceptance(data: dict[str, Any]) -> float | None:
    """The mean acceptance length of a speculative-decoding run, or None."""
    block = _section(_section(data, "decoding_stats"), "acceptance_length_percentiles")
    value = block.get("average")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _latencies(data: dict[str, Any]) -> Latencies:
    found: Latencies = {}
    streaming = _section(data, "streaming_metrics")
    for figure, block in (
        ("ttft", streaming.get("ttft_percentiles")),
        ("tpot", streaming.get("tpot_percentiles")),
        ("e2el", _section(data, "performance").get("request_latency_percentiles_ms")),
    ):
        statistics = percentile_block(block, 1e-3)
        if statistics:
            found[figure] = statistics
    return found
