"""ray-project llmperf's ``*_summary.json``, read as ``token_benchmark_ray.py`` writes it.

The summary holds means and quantiles only, flat, under ``results_`` keys (real ones from
the llmperf leaderboard are in tests/measurement/data/llmperf/). Two of its figures need
care:

- it has no duration: ``results_num_completed_requests`` over
  ``results_num_completed_requests_per_min`` gives it;
- ``results_mean_output_throughput_token_per_s`` is the run's output tokens over its
  length (all requests together), and prompt + output tokens per second follow from the
  mean lengths. Its *inter-token latency* is a request's whole latency over its output
  tokens, the time to the first token included: it is kept as the ITL, never taken for
  the time per output token (TPOT), which the file does not hold.
"""

from __future__ import annotations

from typing import Any

from pytest_roofline.measurement.engine_result import EngineResult, Figures, checked
from pytest_roofline.measurement.latency import llmperf_latencies

KEYS = ("results_num_completed_requests", "results_mean_output_throughput_token_per_s")
"""Keys llmperf's summary writes and no other format read here does."""


def is_llmperf(data: dict[str, Any]) -> bool:
    """Whether ``data`` is shaped like an llmperf summary."""
    return all(key in data for key in KEYS)


def read_llmperf(data: dict[str, Any], source: str) -> EngineResult:
    """An :class:`EngineResult` from an llmperf summary (see the module docstring)."""
    __tracebackhide__ = True
    figures = Figures(data, source)
    requests = figures.count("results_num_completed_requests")
    per_minute = figures.number("results_num_completed_requests_per_min", positive=True)
    output_rate = figures.number("results_mean_output_throughput_token_per_s", positive=True)
    prompt = figures.number("results_number_input_tokens_mean")
    output = figures.number("results_number_output_tokens_mean", positive=True)
    model = data.get("model")
    return checked(
        "results_num_completed_requests_per_min",
        format="llmperf",
        source=source,
        requests=int(requests),
        duration_seconds=requests / per_minute * 60.0,
        tokens_per_second=output_rate * (prompt + output) / output,
        output_tokens_per_second=output_rate,
        requests_per_second=per_minute / 60.0,
        mean_prompt_tokens=prompt,
        mean_output_tokens=output,
        mean_ttft_seconds=figures.optional("results_ttft_s_mean"),
        mean_itl_seconds=figures.optional("results_inter_token_latency_s_mean"),
        model=model if isinstance(model, str) else None,
        max_concurrency=figures.optional("num_concurrent_requests"),
        latency=llmperf_latencies(data),
    )
