"""Result: one test's bound, measurement and verdict, as a plain JSON-able record.

The verdict rules (DESIGN.md sections 2 and 4):

- no measurement: ``"unmeasured"``, a failure (a budget nobody checked guards nothing);
- faster than the bound beyond the ceilings' uncertainty: ``"impossible"``, a failure,
  because the declaration or the hardware figures are wrong (or the data sat in a cache);
- faster than the bound within the uncertainty (a measured ``local`` ceiling): at the
  roof, utilization 1.0, and the message says it was capped;
- below ``min_utilization``: ``"failed"``; otherwise ``"passed"``.

A timed test is judged on its *best stretch* (see :mod:`pytest_roofline.measurement.timing`): a
budget asks what the code can reach on this machine, and a neighbour's load can only
drag the other stretches down. ``measured_seconds`` and ``utilization`` are that figure,
``verdict_figure`` names it, and the median with its interval stays beside it
(``median_utilization``, ``utilization_ci``). A value is printed with its own interval
only: the best stretch has none, the median has the windows' interval.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    format_quantity,
    format_seconds,
    hardware_line,
    number,
    percent,
    uncertainty,
)
from pytest_roofline.machine.busy import busy_line
from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.physics.bound import Bound
from pytest_roofline.verdict.wording import KERNEL_ADVICE, speaker, spread

Outcome = Literal["passed", "failed", "impossible", "unmeasured"]
NUMERIC_TOLERANCE = 1e-9


LATER_FIELDS: dict[str, Any] = {
    "optimal_tokens_per_second": None,
    "measured_tokens_per_second": None,
    "serving": None,
    "mfu": None,
    "mbu": None,
    "baseline_utilization": None,
    "regression": None,
    "engine": None,
}
"""The fields a verdict leaves empty: serving figures and the baseline's are filled later."""


class Result(BaseModel):
    """What one roofline test found; the keys of DESIGN.md section 5, SI numbers only."""

    # No infinity or NaN: JSON has none, and a record read back (from an xdist worker, a
    # report file) with one is refused where it enters rather than when it is written.
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    nodeid: str
    kind: Literal["kernel", "serving"] = "kernel"
    label: str
    workload: dict[str, Any]
    hardware: str
    hardware_spec: dict[str, Any]
    bound_seconds: float | None
    """None only in the row of a test whose work could not be bounded (see
    :func:`error_record`); likewise the other figures of the bound."""
    compute_seconds: float | None
    memory_seconds: float | None
    network_seconds: float | None
    measured_seconds: float | None
    utilization: float | None
    raw_utilization: float | None
    """bound / measured before capping at 1.0 within the ceilings' uncertainty."""
    min_utilization: float | None
    bottleneck: str
    intensity: float | None
    ridge_point: float | None
    ceiling_uncertainty: float
    outcome: Outcome
    message: str
    statistics: dict[str, Any] | None
    optimal_tokens_per_second: float | None = None
    measured_tokens_per_second: float | None = None
    serving: dict[str, Any] | None = None
    """Serving work: B_dense, the T ratios, KV bytes per token, throughputs."""
    mfu: float | None = None
    """Model FLOPs utilization: FLOPs done / measured time / peak FLOP/s."""
    mbu: float | None = None
    """Model bandwidth utilization: bytes the work must move / measured time / bandwidth."""
    utilization_ci: tuple[float, float] | None = None
    """95 % interval of the *median* utilization: bound over the interval of the median
    time (windows spread over the measurement; never capped)."""
    median_utilization: float | None = None
    """bound / the median time of every round (not capped)."""
    verdict_figure: str = "median"
    """The figure ``utilization`` is: "best stretch" for a timed test, "reported" for a
    figure the test reported."""
    noisy: bool = False
    """The machine was busy while the test was measured (see :mod:`.busy`)."""
    notes: list[str] = []
    """What the harness and the verdict noticed (warm-up, single round, re-measures)."""
    best_utilization: float | None = None
    """bound / the 10th percentile of the rounds: noise on a shared machine only slows
    rounds down, so the fast end of the rounds is the steadiest figure to compare between
    runs (the very fastest round is an extreme value, and jumps)."""
    baseline_utilization: float | None = None
    """The utilization of the same test in the baseline compared with, if any."""
    regression: str | None = None
    """The failure line when the test regressed against the baseline."""
    engine: dict[str, Any] | None = None
    """What an engine's result file said, when the figure came from one: its format,
    source, model, requests (failed ones too), concurrency, speculative decoding's
    acceptance length, and latency statistics in seconds (``latency.tpot.p50``)."""

    @property
    def ok(self) -> bool:
        """True when the verdict lets the test pass."""
        return self.outcome == "passed"

    @property
    def status(self) -> str:
        """What the reports show for this test: see :func:`status_of`."""
        return status_of(self.outcome, self.regression)

    def _achieved(self, batch: float | None) -> list[str]:
        """The rates the measured time gives the work beside the roofs that bound it:
        'achieved     2.15 TFLOP/s of the 67 TFLOP/s roof (3.2%), ...' (kernels only:
        serving speaks tokens per second)."""
        measured = self.measured_seconds
        flops, moved = number(self.workload.get("flops")), number(self.workload.get("bytes"))
        if batch or not measured or flops is None or moved is None:
            return []
        parts = []
        for amount, roof_seconds, kind in (
            (flops, self.compute_seconds, FLOP_RATE),
            (moved, self.memory_seconds, BANDWIDTH),
        ):
            if amount and roof_seconds:
                parts.append(
                    f"{format_quantity(amount / measured, kind)} of the"
                    f" {format_quantity(amount / roof_seconds, kind)} roof"
                    f" ({percent(roof_seconds / measured)})"
                )
        return [f"achieved     {', '.join(parts)}"] if parts else []

    def details(self) -> str:
        """The multi-line section shown under a failure: bound, bottleneck, statistics."""
        spec = self.hardware_spec
        if self.bound_seconds is None or not spec:
            return f"work         {self.label}\nno bound: {self.message}"
        dtype = str(self.workload.get("dtype"))
        device = hardware_line(spec, name=self.hardware, dtypes=(dtype,))
        batch = (self.serving or {}).get("batch_size") if self.kind == "serving" else None
        say = speaker(batch)
        bound = say(self.bound_seconds)
        if batch:  # serving speaks tokens/s first, as its engine printed it
            bound += (
                f" (an iteration of {batch:,.0f} tokens in {format_seconds(self.bound_seconds)})"
            )
        lines = [
            f"work         {self.label}",
            f"hardware     {device}",
            f"bound        {bound}, {self.bottleneck}-bound"
            f" (compute {format_seconds(self.compute_seconds or 0.0)},"
            f" memory {format_seconds(self.memory_seconds or 0.0)},"
            f" network {format_seconds(self.network_seconds or 0.0)})",
        ]
        if self.intensity is not None and self.ridge_point is not None:
            side = "above" if self.intensity > self.ridge_point else "below"
            lines.append(
                f"intensity    {self.intensity:.3g} FLOP/B, {side} the ridge point"
                f" {self.ridge_point:.3g} FLOP/B"
            )
        if self.statistics is not None and self.measured_seconds is not None:
            s = self.statistics
            if s.get("reported"):
                per = f"; {format_seconds(self.measured_seconds)} per iteration" if batch else ""
                lines.append(f"measured     {say(self.measured_seconds)} (reported{per})")
            else:
                windows = len(s.get("windows") or ()) or 1
                lines.append(
                    f"measured     best stretch {format_seconds(self.measured_seconds)},"
                    f" median {format_seconds(s['median'])}"
                    f" (95% CI {format_seconds(s['ci_low'])} .. {format_seconds(s['ci_high'])}"
                    f" over {windows} window(s)), min {format_seconds(s['min'])},"
                    f" IQR {format_seconds(s['iqr'])}, {spread(s['cv'])},"
                    f" {s['rounds']} rounds of {s['loops']} call(s)"
                )
            lines += self._achieved(batch)
        if self.utilization is not None:
            budget = "none" if self.min_utilization is None else f"{self.min_utilization:.1%}"
            lines.append(
                f"utilization  {_figure(self.utilization, self.raw_utilization)}"
                f" ({self.verdict_figure}; budget {budget})"
                + _median_part(self.median_utilization, self.utilization_ci, self.verdict_figure)
            )
        lines += [f"note         {note}" for note in self.notes]
        return "\n".join(lines)


def status_of(outcome: object, regression: object) -> str:
    """The outcome, or ``"regressed"`` for a test within its budget whose utilization
    dropped significantly below its baseline's: the test failed on that, so a report
    showing it as passed would contradict the run."""
    return "regressed" if regression and outcome == "passed" else str(outcome)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _figure(utilization: float, raw: float | None) -> str:
    """The verdict's utilization, saying when it was capped at the roof."""
    if raw is not None and raw > utilization + NUMERIC_TOLERANCE:
        return f"{percent(utilization)} (capped at the roof: {percent(raw)} measured)"
    return percent(utilization)


def _median_part(median: float | None, interval: tuple[float, float] | None, figure: str) -> str:
    """The median beside the verdict's figure: "; median 38.1% (95% CI 36.0%-40.2%)"."""
    if median is None or interval is None or figure == "reported":
        return ""
    return f"; median {percent(median)} (95% CI {percent(interval[0])}-{percent(interval[1])})"


def evaluate(
    *,
    nodeid: str,
    label: str,
    workload: dict[str, Any],
    hardware_spec: dict[str, Any],
    bound: Bound,
    measurement: Measurement | None,
    min_utilization: float | None,
    kind: Literal["kernel", "serving"] = "kernel",
    extra: dict[str, Any] | None = None,
) -> Result:
    """Judge one measurement against its bound and budget (see the module docstring)."""
    return Result.model_validate(
        judge(
            nodeid=nodeid,
            label=label,
            workload=workload,
            hardware_spec=hardware_spec,
            bound=bound,
            statistics=measurement.model_dump(mode="json") if measurement is not None else None,
            min_utilization=min_utilization,
            kind=kind,
            extra=extra,
        )
    )


def judge(
    *,
    nodeid: str,
    label: str,
    workload: dict[str, Any],
    hardware_spec: dict[str, Any],
    bound: Bound,
    statistics: dict[str, Any] | None,
    min_utilization: float | None,
    kind: Literal["kernel", "serving"] = "kernel",
    extra: dict[str, Any] | None = None,
    batch: float | None = None,
    advice: str = KERNEL_ADVICE,
) -> dict[str, Any]:
    """The verdict as a plain record: what :func:`evaluate` validates into a Result.

    ``statistics`` is the measurement as JSON (``Measurement.model_dump(mode="json")``).
    ``batch`` (serving: tokens per iteration) makes the message speak tokens per second,
    and ``advice`` is what it says to check when the work beats its bound.
    A cheap test's record goes from here straight to JSON (its user property); only the
    reports need Result objects, so the plugin validates them once, when the run ends.
    """
    where = f"{label} on {bound.hardware}"
    measured: float | None = None
    interval: tuple[float, float] | None = None
    median_utilization: float | None = None
    reported = False
    notes: list[str] = []
    p10 = 0.0
    figure = "median"
    share = None
    if statistics is not None:
        reported = statistics["reported"]
        notes = list(statistics["notes"])
        p10 = statistics["p10"]
        share = statistics.get("neighbour_share")
        measured = statistics["median"]
        if reported:
            figure = "reported"
        elif statistics.get("best_stretch"):
            measured, figure = statistics["best_stretch"], "best stretch"
        if measured and statistics["ci_low"] > 0:  # a hand-built zero time judges nothing
            median_utilization = bound.seconds / statistics["median"]
            # The slowest plausible median gives the lowest plausible utilization.
            interval = (
                bound.seconds / statistics["ci_high"],
                bound.seconds / statistics["ci_low"],
            )
    raw = bound.seconds / measured if measured else None
    tolerance = bound.ceiling_uncertainty + NUMERIC_TOLERANCE
    utilization = raw
    busy = busy_line(share)
    median_part = _median_part(median_utilization, interval, figure)
    in_window = " in its best stretch" if figure == "best stretch" else ""
    if raw is None or interval is None:
        outcome: Outcome = "unmeasured"
        message = (
            f"roofline: {where} ended without a measurement:"
            " call roofline.measure(fn) or roofline.report(...)"
        )
    elif interval[0] > 1 + tolerance:
        # Even the slowest plausible median beats the bound: the declaration or the
        # ceilings are wrong, not the measurement.
        outcome = "impossible"
        spread = bound.ceiling_uncertainty
        allowed = f" (ceilings {uncertainty(spread)})" if spread else ""
        say = speaker(batch)
        message = (
            f"roofline: {where} measured {say(measured or 0)}, faster than the roofline"
            f" allows ({say(bound.seconds)}{allowed}, {percent(raw)} of the bound): {advice}"
        )
    else:
        utilization = min(raw, 1.0)
        shown = _figure(utilization, raw)
        if batch:  # serving: the rates too, as the engine printed them
            in_window += (
                f" ({batch / (measured or 1):,.0f} of {batch / bound.seconds:,.0f} tokens/s)"
            )
        if min_utilization is not None and raw < min_utilization:
            outcome = "failed"
            message = (
                f"roofline: {where} reached {shown} of its bound{in_window},"
                f" budget {percent(min_utilization)}{median_part}"
            )
            if busy:
                message += "; the machine was busy (see the note)"
        else:
            outcome = "passed"
            message = f"roofline: {where} reached {shown} of its bound{in_window}{median_part}"
    if busy:
        notes.append(busy)
    record: dict[str, Any] = {
        "nodeid": nodeid,
        "kind": kind,
        "label": label,
        "workload": workload,
        "hardware": bound.hardware,
        "hardware_spec": hardware_spec,
        "bound_seconds": bound.seconds,
        "compute_seconds": bound.compute_seconds,
        "memory_seconds": bound.memory_seconds,
        "network_seconds": bound.network_seconds,
        "measured_seconds": measured,
        "utilization": utilization,
        "raw_utilization": raw,
        "min_utilization": min_utilization,
        "bottleneck": bound.bottleneck,
        "intensity": _finite(bound.intensity),
        "ridge_point": bound.ridge_point,
        "ceiling_uncertainty": bound.ceiling_uncertainty,
        "outcome": outcome,
        "message": message,
        "statistics": statistics,
        "utilization_ci": interval,
        "median_utilization": median_utilization,
        "verdict_figure": figure,
        "best_utilization": bound.seconds / p10 if p10 > 0 else None,
        "noisy": bool(busy),
        "notes": notes,
        # Every field, defaults too, so the record is the Result's JSON key for key.
        **LATER_FIELDS,
    }
    if extra:
        record.update(extra)
    return record
