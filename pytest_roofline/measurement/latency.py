"""The latency statistics an engine's result file writes, under one naming.

Every tool writes the same few latencies under its own names and units. They are
gathered as ``{figure: {statistic: seconds}}``: figures ``ttft`` (time to the first
token), ``tpot`` (time per output token after the first), ``itl`` (time between streamed
chunks) and ``e2el`` (a request's whole latency); statistics ``mean`` and ``pNN``
(``median`` is ``p50``). Standard deviations, minima and maxima are left out: a report
sets percentiles beside a bound, not spreads.

- vLLM ``bench serve`` and SGLang ``bench_serving``: ``{mean,median,pNN}_{figure}_ms``
  (SGLang's ``e2e_latency`` is ``e2el``), in milliseconds;
- AIPerf: metric objects ``time_to_first_token``, ``inter_token_latency`` (which leaves
  the first token out, so it is TPOT) and ``request_latency``, each with its ``unit``;
- llmperf: ``results_{ttft,inter_token_latency,end_to_end_latency}_s_{mean,quantiles_pNN}``
  in seconds; its inter-token latency includes the first token, so it stays ``itl``.

A statistic that is not a finite number >= 0 is left out rather than read: these figures
are kept for the record, and a verdict is never taken on one of them alone.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pytest_roofline.measurement.engine_result import as_printed

Latencies = dict[str, dict[str, float]]

_VLLM_KEY = re.compile(r"^(mean|median|p\d+(?:\.\d+)?)_(ttft|tpot|itl|e2el|e2e_latency)_ms$")
_LLMPERF_KEY = re.compile(
    r"^results_(ttft|inter_token_latency|end_to_end_latency)_s_(mean|quantiles_p\d+(?:\.\d+)?)$"
)
_AIPERF_METRICS = {
    "time_to_first_token": "ttft",
    "inter_token_latency": "tpot",
    "request_latency": "e2el",
}
_LLMPERF_FIGURES = {"ttft": "ttft", "inter_token_latency": "itl", "end_to_end_latency": "e2el"}
AIPERF_UNITS = {"ms": 1e-3, "sec": 1.0, "s": 1.0, "us": 1e-6, "ns": 1e-9}
"""Seconds in each time unit AIPerf writes in a metric's ``unit``."""
_STATISTIC = re.compile(r"^(avg|mean|median|p\d+(?:\.\d+)?)$")


def _seconds(value: Any, scale: float) -> float | None:
    """``value`` in a unit of ``scale`` seconds, as seconds (see :func:`.as_printed`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return as_printed(float(value), scale)


def _statistic(name: str) -> str:
    return {"avg": "mean", "average": "mean", "median": "p50"}.get(name, name)


def _put(found: Latencies, figure: str, statistic: str, value: float | None) -> None:
    if value is not None:
        found.setdefault(figure, {})[_statistic(statistic)] = value


def vllm_latencies(data: dict[str, Any]) -> Latencies:
    """vLLM's and SGLang's ``{stat}_{figure}_ms`` keys, in seconds."""
    found: Latencies = {}
    for key, value in data.items():
        match = _VLLM_KEY.match(key)
        if match:
            statistic, figure = match.groups()
            figure = "e2el" if figure == "e2e_latency" else figure
            _put(found, figure, statistic, _seconds(value, 1e-3))
    return found


def aiperf_latencies(data: dict[str, Any]) -> Latencies:
    """AIPerf's latency metric objects, in seconds by their own ``unit``."""
    found: Latencies = {}
    for metric, figure in _AIPERF_METRICS.items():
        entry = data.get(metric)
        if not isinstance(entry, dict):
            continue
        per_second = AIPERF_UNITS.get(str(entry.get("unit")))
        if per_second is None:
            continue
        for statistic, value in entry.items():
            if _STATISTIC.match(str(statistic)):
                _put(found, figure, statistic, _seconds(value, per_second))
    return found


def llmperf_latencies(data: dict[str, Any]) -> Latencies:
    """llmperf's ``results_*_s_*`` latency keys, already in seconds."""
    found: Latencies = {}
    for key, value in data.items():
        match = _LLMPERF_KEY.match(key)
        if match:
            name, statistic = match.groups()
            _put(
                found,
                _LLMPERF_FIGURES[name],
                statistic.removeprefix("quantiles_"),
                _seconds(value, 1.0),
            )
    return found


def percentile_block(block: Any, scale: float) -> dict[str, float]:
    """A block ``{"p50": ..., "p99": ..., "average": ..., "minimum": ...}`` in units of
    ``scale`` seconds (trtllm-bench's), as ``{"mean": s, "p50": s, ...}``."""
    found: dict[str, float] = {}
    if isinstance(block, dict):
        for statistic, value in block.items():
            if _STATISTIC.match(str(statistic)) or statistic == "average":
                seconds = _seconds(value, scale)
                if seconds is not None:
                    found[_statistic(str(statistic))] = seconds
    return found
