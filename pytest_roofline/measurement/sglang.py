"""SGLang's result files, and how they are told from vLLM's by their structure.

``python -m sglang.bench_serving --output-file`` (``sglang.benchmark.serving`` in 0.5.23,
read there) appends one JSON object per run with the same core keys as vLLM's ``bench
serve`` (read by :mod:`.engines`), its total rate as ``total_throughput``, speculative
decoding's ``accept_length``, and the server's ``server_info`` (``model_path``); a 2024 vLLM
``benchmark_serving.py`` wrote ``input_throughput`` too, so no one key tells them apart.
Each writes keys the other never does, and the side with more of its own keys present is
the one (see :func:`is_sglang_serving`).

``python -m sglang.bench_offline_throughput --result-filename`` (``sglang.benchmark.
offline_throughput`` since 0.5; read at sgl-project/sglang commit ad8e676 and in the
0.5.23 release) appends one object per run: ``backend`` ("engine" or "runtime"),
``successful_requests``, ``total_latency`` (seconds), ``total_input_tokens``,
``total_output_tokens``, ``request_throughput``, ``input_throughput``,
``output_throughput``, ``total_throughput`` (tokens/s) and, since 2025,
``last_gen_throughput``. It names no model and no concurrency.
"""

from __future__ import annotations

from typing import Any

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.engine_result import EngineResult, Figures, checked

SGLANG_ONLY = (
    "dataset_name",
    "total_output_tokens_retokenized",
    "mean_e2e_latency_ms",
    "median_e2e_latency_ms",
    "server_info",
    "sharegpt_output_len",
    "random_input_len",
    "total_throughput",
    "accept_length",
)
"""Keys SGLang's bench_serving writes and vLLM's never has."""

VLLM_ONLY = (
    "model_id",
    "tokenizer_id",
    "best_of",
    "use_beam_search",
    "total_token_throughput",
    "request_inthroughput",
    "endpoint_type",
    "mean_e2el_ms",
)
"""Keys vLLM's benchmark_serving / bench serve writes (in some version) and SGLang never
has: ``request_inthroughput`` is the 2024 script's own spelling."""

OFFLINE_KEYS = ("successful_requests", "total_latency")


def is_sglang_serving(data: dict[str, Any]) -> bool:
    """Whether a serving result with vLLM's core keys is SGLang's: more of SGLang's own
    keys than of vLLM's."""
    ours = sum(key in data for key in SGLANG_ONLY)
    theirs = sum(key in data for key in VLLM_ONLY)
    return ours > theirs


def is_sglang_offline(data: dict[str, Any]) -> bool:
    """Whether ``data`` is shaped like bench_offline_throughput's result."""
    return all(key in data for key in OFFLINE_KEYS) and "duration" not in data


def read_sglang_offline(data: dict[str, Any], source: str) -> EngineResult:
    """An :class:`EngineResult` from a bench_offline_throughput result."""
    __tracebackhide__ = True
    figures = Figures(data, source)
    for key in ("total_input_tokens", "total_output_tokens"):
        if key not in data:
            raise DeclarationError(
                f"{source}: not an SGLang bench_offline_throughput result: no key {key!r}"
            )
    requests = figures.count("successful_requests")
    duration = figures.duration("total_latency")
    prompt, output = figures.token_totals("total_input_tokens", "total_output_tokens")
    return checked(
        "total_latency",
        format="sglang-offline",
        source=source,
        requests=int(requests),
        duration_seconds=duration,
        tokens_per_second=figures.optional("total_throughput") or (prompt + output) / duration,
        output_tokens_per_second=figures.optional("output_throughput") or output / duration,
        requests_per_second=figures.optional("request_throughput") or requests / duration,
        mean_prompt_tokens=prompt / requests,
        mean_output_tokens=output / requests,
    )
