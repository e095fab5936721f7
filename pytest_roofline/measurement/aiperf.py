"""NVIDIA AIPerf's profile export, read as it is written.

``aiperf profile`` writes ``profile_export_aiperf.json`` (schema 1.x; a real one from AIPerf
0.8.0 is in tests/measurement/data/aiperf/): each figure an object ``{"unit", "avg",
"p50", "p99", ...}``. The means are read.
"""

from __future__ import annotations

from typing import Any

from pytest_roofline.errors import DeclarationError, cut
from pytest_roofline.measurement.engine_result import TITLES, EngineResult, Figures, checked
from pytest_roofline.measurement.latency import AIPERF_UNITS, aiperf_latencies


def is_metric(value: Any) -> bool:
    """An AIPerf metric: ``{"unit": ..., "avg": ..., "p50": ...}``."""
    return isinstance(value, dict) and "unit" in value and "avg" in value


def read_aiperf(data: dict[str, Any], source: str) -> EngineResult:
    """NVIDIA AIPerf's ``profile_export_aiperf.json`` (schema 1.x): each figure an object
    ``{"unit", "avg", "p50", ...}``, of which the mean (``avg``) is read. Its
    inter-token latency leaves out the first token, so it is vLLM's TPOT."""
    __tracebackhide__ = True
    flat = {f"{key}.avg": value.get("avg") for key, value in data.items() if is_metric(value)}
    units = {f"{key}.avg": value.get("unit") for key, value in data.items() if is_metric(value)}
    figures = Figures(flat, source)
    for key in ("request_count.avg", "benchmark_duration.avg"):
        if key not in flat:
            raise DeclarationError(f"{source}: not an {TITLES['aiperf']}: no figure {key!r}")
    requests = figures.count("request_count.avg")
    scale = AIPERF_UNITS.get(str(units["benchmark_duration.avg"]))
    if scale is None:
        raise DeclarationError(
            f"{source}: benchmark_duration is in {cut(units['benchmark_duration.avg'])},"
            f" not a time unit AIPerf writes ({', '.join(AIPERF_UNITS)})"
        )
    duration = figures.duration("benchmark_duration.avg", scale)
    output_key = "total_output_tokens.avg" if "total_output_tokens.avg" in flat else "total_osl.avg"
    if output_key not in flat:
        raise DeclarationError(
            f"{source}: holds no output token total (total_osl), so its tokens per second"
            " are unknown"
        )
    output = figures.number(output_key)
    # Without input lengths (a run whose endpoint reports none), the output rate stands
    # alone and the ServingConfig's prompt_tokens converts it.
    prompt = figures.number("total_isl.avg") if "total_isl.avg" in flat else None
    if not output and not prompt:
        raise DeclarationError(f"{source}: total_isl and total_osl are both 0: no token moved")
    total = figures.optional("total_token_throughput.avg")
    if total is None and prompt is not None:
        total = (prompt + output) / duration
    output_rate = figures.optional("output_token_throughput.avg") or output / duration
    if total is None and not output_rate:
        raise DeclarationError(f"{source}: its requests produced no output token")
    models = (
        data.get("input_config", {}).get("models", {})
        if isinstance(data.get("input_config"), dict)
        else {}
    )
    items = models.get("items") if isinstance(models, dict) else None
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    model = first.get("name")
    return checked(
        "benchmark_duration",
        format="aiperf",
        source=source,
        requests=int(requests),
        duration_seconds=duration,
        tokens_per_second=total,
        output_tokens_per_second=output_rate,
        requests_per_second=figures.optional("request_throughput.avg") or requests / duration,
        mean_prompt_tokens=None if prompt is None else prompt / requests,
        mean_output_tokens=output / requests,
        mean_ttft_seconds=figures.optional("time_to_first_token.avg", 1e-3),
        mean_tpot_seconds=figures.optional("inter_token_latency.avg", 1e-3),
        mean_itl_seconds=figures.optional("inter_token_latency.avg", 1e-3),
        model=model if isinstance(model, str) else None,
        latency=aiperf_latencies(data),
    )
