"""Kernel work and serving work, behind one interface.

A test declares either a :class:`~pytest_roofline.specs.kernels.Kernel` or a
:class:`~pytest_roofline.specs.serving.ServingConfig`. They differ in the figures a test
may report, how a figure becomes the measured time of the bounded work, what an engine's
result file supplies, and what their records hold beyond the common fields. Each
difference is a method here, so the Recorder asks its work's kind instead of testing
types; :func:`kind_of` is the one place that looks at the type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    SECONDS,
    TOKEN_RATE,
    parse,
    real,
)
from pytest_roofline.errors import DeclarationError, RooflineError, cut
from pytest_roofline.measurement.engines import EngineResult
from pytest_roofline.physics.bound import Bound
from pytest_roofline.physics.serving import ServingBound
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.specs.serving import ServingConfig
from pytest_roofline.verdict.counting import check_declared
from pytest_roofline.verdict.engine_work import (
    check_model,
    engine_batch,
    fill_lengths,
    kernel_seconds,
    model_names,
    speculative_note,
)
from pytest_roofline.verdict.wording import KERNEL_ADVICE, serving_advice

Work = Kernel | ServingConfig

FIGURES = (
    "seconds",
    "flops_per_second",
    "bytes_per_second",
    "tokens_per_second",
    "output_tokens_per_second",
    "seconds_per_token",
)
"""Every figure ``report()`` takes; each kind of work accepts some of them."""

UNITS = {
    "seconds": SECONDS,
    "flops_per_second": FLOP_RATE,
    "bytes_per_second": BANDWIDTH,
    "tokens_per_second": TOKEN_RATE,
    "output_tokens_per_second": TOKEN_RATE,
    "seconds_per_token": SECONDS,
}
"""The quantity each figure is, so a figure given as text is read with its unit."""

SERVING_SHARES = (
    "batch_size",
    "gpus",
    "attainable_tokens_per_second",
    "optimal_tokens_per_second_per_gpu",
    "optimal_requests_per_second",
    "optimal_decode_tokens_per_second",
    "kv_bytes_per_token",
    "weight_bytes",
    "bytes_per_iteration",
    "network_to_compute",
    "memory_to_compute",
)
"""The ServingBound figures a serving record keeps under ``serving``."""


def _wanted(allowed: tuple[str, ...]) -> str:
    """The figures ``report()`` takes for a kind of work, as an error message lists them."""
    return ", ".join(f"{name}=" for name in allowed)


class Figures:
    """What both kinds share: reading the one figure a test reports, and checking the
    time it gives."""

    called: ClassVar[str]
    figures: ClassVar[tuple[str, ...]]
    work: Work

    def rates(self, elapsed: float) -> list[float]:
        return [elapsed]

    def figure_given(self, values: dict[str, Any]) -> tuple[str, float]:
        """The one figure given among ``values`` (None: not given), as a finite float > 0."""
        __tracebackhide__ = True
        allowed = self.figures
        # `is not None`: an array compares element-wise
        given = [(name, value) for name, value in values.items() if value is not None]
        if len(given) != 1:
            found = ", ".join(n for n, _ in given) or "none"
            raise DeclarationError(f"report() takes exactly one of {_wanted(allowed)}; got {found}")
        ((name, value),) = given
        if name not in allowed:
            raise DeclarationError(
                f"report(): {name}= does not apply to {self.called}; use {_wanted(allowed)}"
            )
        if isinstance(value, str):  # a quantity with its unit: "1.2 ms", "720 TFLOP/s"
            try:
                value = parse(value, UNITS[name])
            except RooflineError as error:
                raise DeclarationError(f"report(): {name}: {error}") from None
        number = value if type(value) is float else real(value)  # a float needs no ABC check
        if number is None or not (math.isfinite(number) and number > 0):
            raise DeclarationError(
                f"report(): {name} must be a finite number > 0, got {cut(value)}"
            )
        return name, number

    def check_time(self, name: str, value: float, elapsed: float) -> None:
        """The time a reported figure gives the work, and the rates that time gives it,
        are finite and above zero: a figure of 1e-310 passes as positive, and its time
        (or its rate) comes out infinite."""
        __tracebackhide__ = True
        if not all(math.isfinite(rate) for rate in self.rates(elapsed)) or elapsed <= 0:
            raise DeclarationError(
                f"report(): {name}={value!r} gives {self.work.label} a time of {elapsed!r} s,"
                " out of any range a measurement can have; check the figure and its unit"
            )


class KernelKind(Figures):
    """A kernel: FLOPs and bytes, timed as a whole."""

    name: ClassVar[Literal["kernel", "serving"]] = "kernel"
    called: ClassVar[str] = "a kernel"
    figures: ClassVar[tuple[str, ...]] = (
        "seconds",
        "flops_per_second",
        "bytes_per_second",
        "seconds_per_token",
    )

    work: Kernel

    def __init__(self, work: Kernel) -> None:
        self.work = work

    def pending(self) -> bool:
        """True while the bound cannot be computed yet (never, for a kernel)."""
        return False

    def working_set(self) -> float | None:
        """The bytes the work touches, which pick the memory level that bounds it."""
        return self.work.working_set

    def seconds(self, bound: Bound, name: str, value: float) -> tuple[float, float | None]:
        """The measured time of the bounded work from a reported figure, and the
        tokens per second it means (None: not a serving figure)."""
        __tracebackhide__ = True
        work = self.work
        if name in ("seconds", "seconds_per_token"):
            return value, None
        if name == "flops_per_second":
            if work.flops == 0:
                raise DeclarationError(f"report(): {work.label} does no FLOPs; report seconds=")
            return work.flops / value, None
        if work.bytes == 0:
            raise DeclarationError(f"report(): {work.label} moves no bytes; report seconds=")
        return work.bytes / value, None

    def rates(self, elapsed: float) -> list[float]:
        """The figures a measured time gives the work, each of which must be finite."""
        if elapsed <= 0:
            return [elapsed]
        return [elapsed, self.work.flops / elapsed, self.work.bytes / elapsed]

    def from_engine(
        self, engine: EngineResult, notes: list[str], device: Hardware, allow_mismatch: bool
    ) -> tuple[Work, str, float]:
        """The figure an engine's result file gives this work: a prefill's time is the
        file's TTFT, a decode step's its TPOT (see :mod:`.engine_work`)."""
        __tracebackhide__ = True
        declared = [self.work.model] if self.work.model else []
        check_model(engine, declared, allow_mismatch, notes)
        return self.work, "seconds", kernel_seconds(self.work, engine, notes)

    def speech(self, bound: Bound) -> tuple[float | None, str]:
        """How the verdict speaks: in seconds (no batch), and what to check when the
        kernel beats its bound."""
        return None, KERNEL_ADVICE

    def notes(self) -> list[str]:
        """What the record says about the declaration itself: who counted the work."""
        work = self.work
        if work.counted_by is None:
            return []
        return [
            f"work counted by {work.counted_by}: {work.flops:,.0f} FLOPs, {work.bytes:,.0f}"
            f" bytes, {work.transcendentals:,.0f} transcendental operations"
        ]

    def check(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> list[str]:
        """Where the declared kernel disagrees with the work of ``fn`` counted."""
        __tracebackhide__ = True
        return check_declared(self.work, fn, args, kwargs)

    def record_parts(
        self, bound: Bound, measured: float | None
    ) -> tuple[dict[str, Any], float, dict[str, Any]]:
        """The record's workload, the bytes moved per bounded unit, and extra fields."""
        workload = self.work.model_dump(mode="json")
        intensity = self.work.intensity
        workload["intensity"] = None if math.isinf(intensity) else intensity
        return workload, self.work.bytes, {}


class ServingKind(Figures):
    """A serving workload: one dense iteration of an engine, judged on its throughput."""

    name: ClassVar[Literal["kernel", "serving"]] = "serving"
    called: ClassVar[str] = "serving work"
    figures: ClassVar[tuple[str, ...]] = (
        "tokens_per_second",
        "output_tokens_per_second",
        "seconds_per_token",
    )

    work: ServingConfig

    def __init__(self, work: ServingConfig) -> None:
        self.work = work

    def pending(self) -> bool:
        """True while the prompt or output length is unknown (an engine file may give it)."""
        return not self.work.lengths_known

    def working_set(self) -> float | None:
        return None

    def seconds(self, bound: Bound, name: str, value: float) -> tuple[float, float | None]:
        """The measured time of one dense iteration from a serving figure."""
        __tracebackhide__ = True
        assert isinstance(bound, ServingBound)
        if name == "seconds_per_token":
            tokens_per_second = bound.batch_size / value
        elif name == "output_tokens_per_second":
            p, d = self.work.lengths()
            tokens_per_second = value * (p + d) / d
        else:
            tokens_per_second = value
        return bound.batch_size / tokens_per_second, tokens_per_second

    def from_engine(
        self, engine: EngineResult, notes: list[str], device: Hardware, allow_mismatch: bool
    ) -> tuple[Work, str, float]:
        """The file's prompt + output tokens per second, its mean lengths where the config
        leaves them out, bounded at the batch it ran (see :mod:`.engine_work`)."""
        __tracebackhide__ = True
        check_model(engine, model_names(self.work.model), allow_mismatch, notes)
        filled = engine_batch(fill_lengths(self.work, engine, notes), engine, device, notes)
        speculative = speculative_note(engine)
        if speculative:
            notes.append(speculative)
        if engine.tokens_per_second is None:  # output tokens only: p comes from the config
            assert engine.output_tokens_per_second is not None
            return filled, "output_tokens_per_second", engine.output_tokens_per_second
        return filled, "tokens_per_second", engine.tokens_per_second

    def check(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> list[str]:
        """Nothing to count for serving work: its figures come from an engine."""
        return []

    def notes(self) -> list[str]:
        """A Hugging Face id said as the base model it resolved to."""
        model = self.work.model
        if not model.requested:
            return []
        return [f"model {model.requested!r} is bounded as its base model {model.name}"]

    def speech(self, bound: Bound) -> tuple[float | None, str]:
        """Serving verdicts speak tokens per second (an iteration of the bound's batch),
        and a too-fast figure is first a question of that batch."""
        assert isinstance(bound, ServingBound)
        return bound.batch_size, serving_advice(bound.batch_size)

    def record_parts(
        self, bound: Bound, measured: float | None
    ) -> tuple[dict[str, Any], float, dict[str, Any]]:
        assert isinstance(bound, ServingBound)
        extra: dict[str, Any] = {
            "optimal_tokens_per_second": bound.optimal_tokens_per_second,
            "serving": bound.model_dump(include=set(SERVING_SHARES)),
        }
        if measured is not None:
            extra["measured_tokens_per_second"] = bound.batch_size / measured
        return self.work.model_dump(mode="json"), bound.bytes_per_iteration, extra


Kind = KernelKind | ServingKind


def kind_of(work: object, call: str = "declare()") -> Kind:
    """The kind of ``work``; anything but a Kernel or a ServingConfig is ``call``'s error."""
    __tracebackhide__ = True
    if isinstance(work, Kernel):
        return KernelKind(work)
    if isinstance(work, ServingConfig):
        return ServingKind(work)
    raise DeclarationError(
        f"{call} needs a Kernel (e.g. kernels.matmul(...)) or a ServingConfig,"
        f" got {type(work).__name__}"
    )
