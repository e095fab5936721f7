"""What a serving engine's benchmark file says, in SI units, and the checks every figure
read from such a file passes: one line naming the file and the key when it is wrong.

The readers of each tool's files (:mod:`.engines`, :mod:`.aiperf`) build on these.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import Field

from pytest_roofline.core.frozen import Spec
from pytest_roofline.core.units import MAX_COUNT
from pytest_roofline.errors import DeclarationError, cut

Format = Literal[
    "vllm-serving",
    "vllm-throughput",
    "sglang-serving",
    "sglang-offline",
    "aiperf",
    "llmperf",
    "trtllm",
    "lmdeploy",
]


FORMATS: tuple[str, ...] = get_args(Format)
"""Every format read, in the order detection and errors name them."""


TITLES = {
    "vllm-serving": "vLLM benchmark_serving result",
    "vllm-throughput": "vLLM benchmark_throughput result",
    "sglang-serving": "SGLang bench_serving result",
    "sglang-offline": "SGLang bench_offline_throughput result",
    "aiperf": "AIPerf profile export",
    "llmperf": "llmperf summary",
    "trtllm": "trtllm-bench report",
    "lmdeploy": "LMDeploy profile_throughput CSV",
}


class EngineResult(Spec):
    """One benchmark run of a serving engine, in SI units."""

    format: Format
    source: str
    """The file, and the line for JSON lines: what messages and notes name."""
    requests: int
    """Requests completed."""
    duration_seconds: float
    tokens_per_second: float | None
    """Prompt and output tokens per second: what Compute / (2 · P_model) bounds. None
    when the file counts output tokens only and no prompt length (an AIPerf export
    without input lengths): the config's prompt length then converts the output rate."""
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
    gpus: int | None = None
    """The devices the engine ran on (tensor x pipeline parallel), where the file says."""
    failed_requests: int | None = None
    """Requests the benchmark sent that did not complete (None: the file does not say)."""
    acceptance_length: float | None = None
    """Speculative decoding: tokens emitted per request per decode step (vLLM's
    ``spec_decode_acceptance_length``). With it, TPOT is a step's time divided by it."""
    latency: dict[str, dict[str, float]] = Field(default_factory=dict)
    """The file's latency statistics in seconds, by figure (``ttft``, ``tpot``, ``itl``,
    ``e2el``) and statistic (``mean``, ``p50``, ``p99``, ...), as written."""

    @property
    def failures(self) -> str:
        """'20 of 500 requests failed (4.0 %)', or "" when none did (or none is known):
        throughput measured over the requests that completed hides the ones that did
        not, so the verdict says so."""
        if not self.failed_requests:
            return ""
        sent = self.requests + self.failed_requests
        share = self.failed_requests / sent
        return f"{self.failed_requests} of {sent} requests failed ({share:.1%})"

    @property
    def description(self) -> str:
        """'vLLM benchmark_serving result results/run.json', for notes and reports."""
        return f"{TITLES[self.format]} {self.source}"


MAX_FLOAT_INT = 2**1023
"""Integers beyond this overflow a float: a figure that large is a corrupt file."""


MIN_FIGURE = 1e-9
"""The smallest throughput (per second) or time per token (ms) an engine file may hold."""


MIN_DURATION = 1e-6
"""Seconds: a benchmark file saying its requests ran in less is wrong, and its rates
would come out near infinite."""


class Figures:
    """Numbers read from one object, each checked and named when it is wrong."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def number(self, key: str, *, positive: bool = False) -> float:
        __tracebackhide__ = True
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DeclarationError(f"{self.source}: {key} must be a number, got {cut(value)}")
        if isinstance(value, int) and abs(value) > MAX_FLOAT_INT:
            value = math.inf  # an integer past any float: no figure is that large
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            need = "> 0" if positive else ">= 0"
            raise DeclarationError(
                f"{self.source}: {key} must be a finite number {need}, got {cut(value)}"
            )
        return float(value)

    def duration(self, key: str, scale: float = 1.0) -> float:
        """A benchmark's length in seconds (a figure in ms scaled by 1e-3): no run of
        requests is over in a microsecond."""
        __tracebackhide__ = True
        value = self.number(key, positive=True)
        value = as_printed(value, scale)
        if value < MIN_DURATION:
            unit = "seconds" if scale == 1.0 else f"{scale:g} s"
            raise DeclarationError(
                f"{self.source}: {key} is {value!r} s, shorter than any benchmark run"
                f" (it is in {unit})"
            )
        return value

    def count_or_zero(self, key: str) -> float:
        """A whole number of requests that may be 0 (failed ones)."""
        __tracebackhide__ = True
        value = self.number(key)
        if value != int(value) or value > MAX_COUNT:
            raise DeclarationError(f"{self.source}: {key} counts requests, got {cut(value)}")
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
        return as_printed(value, scale)

    def token_totals(self, prompt_key: str, output_key: str) -> tuple[float, float]:
        """The run's prompt and output token totals; both 0 is one line, since the
        benchmark then moved no token to judge."""
        __tracebackhide__ = True
        prompt, output = self.number(prompt_key), self.number(output_key)
        if prompt + output == 0:
            raise DeclarationError(
                f"{self.source}: {prompt_key} and {output_key} are both 0: the benchmark"
                " moved no token"
            )
        return prompt, output


def as_printed(value: float, scale: float) -> float:
    """``value`` times ``scale`` (a power of ten: 1e-3 for ms) in decimal, as the file
    printed it: 40.81 ms is 0.04081 s, where 40.81 * 1e-3 is 0.040810000000000006."""
    if scale == 1.0:
        return value
    return float(Decimal(repr(value)) * Decimal(repr(scale)))


def checked(duration_key: str, **fields: Any) -> EngineResult:
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
