"""The object behind the ``roofline`` fixture: declare work, measure it, judge it.

It lives in the library (no pytest import) so it can be used and tested on its own; the
plugin creates one per test and asks it for a :class:`~pytest_roofline.verdict.record.Result`
when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from pytest_roofline.errors import DeclarationError, cut, did_you_mean
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.measurement.engines import EngineResult, read_engine_result
from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.measurement.timing import function_arguments, jax_synced, measure
from pytest_roofline.physics.bound import Bound
from pytest_roofline.physics.dispatch import bound_on, hardware_for
from pytest_roofline.specs.hardware import Catalog, Hardware
from pytest_roofline.verdict.budgets import check_hardware
from pytest_roofline.verdict.counting import counted_work, strict
from pytest_roofline.verdict.engine_work import engine_record
from pytest_roofline.verdict.recheck import DEFAULT_RECHECK, Recheck, Rechecking
from pytest_roofline.verdict.record import Result, judge
from pytest_roofline.verdict.rows import Rows, check_finite, unjudged_row
from pytest_roofline.verdict.work import FIGURES, Kind, Work, kind_of


class Recorder(Rechecking):
    """Holds one test's declared work, hardware and measurement.

    Hardware is chosen in this order: ``declare(..., hardware=)``, the marker's
    ``hardware=``, a ServingConfig's own ``hardware``, the session default
    (``--roofline-hardware``), then ``local`` (kernels only).
    ``prober`` runs fresh probes of measured hardware (:class:`PairedCalibration`), and
    ``raise_local`` keeps the better of the held ``local`` ceilings and fresh ones: a
    result faster than its roof on ``local`` probes again first, and a failing verdict
    stands only once the machine is seen quiet.
    """

    def __init__(
        self,
        nodeid: str,
        *,
        catalog: Catalog,
        default_hardware: str | Hardware | None = None,
        max_time: float | None = None,
        kernel: Work | None = None,
        hardware: str | Hardware | None = None,
        min_utilization: float | None = None,
        lock: RunLock | None = None,
        raise_local: Callable[[Hardware], Hardware] | None = None,
        paired: PairedCalibration | None = None,
        prober: PairedCalibration | None = None,
        max_drop: float | None = None,
        recheck: Recheck = DEFAULT_RECHECK,
        rows: Rows | None = None,
        strict_work: bool = False,
    ) -> None:
        self.nodeid = nodeid
        self.rows = rows or Rows()
        self._recheck = recheck
        self._paired = paired
        self._again: Callable[[], Measurement] | None = None
        self._again_failed = ""
        self.max_drop = max_drop
        self._raise_local = raise_local
        self._prober = prober or paired
        self._lock = lock or RunLock(None)
        self._catalog = catalog
        self._default_hardware = default_hardware
        self._max_time = max_time
        self._kind: Kind | None = None
        self._hardware_choice = hardware
        self._device: Hardware | None = None
        self._bound: Bound | None = None
        self.min_utilization = min_utilization
        self.measurement: Measurement | None = None
        self.measured_tokens_per_second: float | None = None
        self._closed = ""
        self._reported = ""
        self._engine: dict[str, Any] | None = None
        """What the record keeps of an engine's result file the figure came from."""
        self._figures = 0
        """measure() and report() calls: a later one replaces an earlier figure."""
        self._strict_work = strict_work
        self._work_notes: list[str] = []
        """Where the declared work disagrees with the work counted (see .counting)."""
        """The figure the test reported ("seconds=5e-324"), named if the verdict breaks."""
        if kernel is not None:
            self.declare(kernel)

    def close(self, reason: str) -> None:
        """No more declaring, measuring or reporting: the verdict has been taken.

        A figure reported afterwards (from a fixture's teardown, say) could not change the
        verdict, so it is an error saying ``reason`` rather than silently dropped.
        """
        self._closed = reason

    def _check_open(self, call: str) -> None:
        __tracebackhide__ = True
        if self._closed:
            raise DeclarationError(f"roofline.{call}() after the verdict: {self._closed}")

    # -- declaring ---------------------------------------------------------------------

    @property
    def declared(self) -> bool:
        """True once some work has been declared (by the marker or ``declare``)."""
        return self._kind is not None

    def declare(self, work: Work, hardware: str | Hardware | None = None) -> Bound | None:
        """Declare the work this test does (and optionally the hardware); returns its bound.

        ``work`` is a Kernel or a ServingConfig. For parametrized shapes, where the marker
        cannot know the sizes::

            roofline.declare(kernels.matmul(n, n, n, "fp32"))

        A ServingConfig that leaves out ``prompt_tokens`` or ``decode_tokens`` has no
        bound yet (None is returned): :meth:`report_engine_result` fills them in from
        the engine's result file.
        """
        __tracebackhide__ = True
        self._check_open("declare")
        kind = kind_of(work)
        if hardware is not None:
            hardware = check_hardware(hardware, self._catalog, "declare()")
        choice = hardware_for(work, (hardware, self._hardware_choice), self._default_hardware)
        if hardware is not None:
            self._hardware_choice = hardware
        device = self._catalog.lookup(choice)
        result = None if kind.pending() else bound_on(work, device)
        self._kind, self._device, self._bound = kind, device, result
        self.measurement = None
        self.measured_tokens_per_second = None
        self._figures = 0
        return result

    @property
    def work(self) -> Work:
        """The declared kernel or serving configuration."""
        __tracebackhide__ = True
        return self.kind.work

    @property
    def kind(self) -> Kind:
        """What kind of work was declared, and how figures of it are read."""
        __tracebackhide__ = True
        if self._kind is None:
            raise DeclarationError(
                "no work declared: pass a kernel (or serving=) to @pytest.mark.roofline,"
                " call roofline.declare(...), or measure a jitted JAX function (XLA counts it)"
            )
        return self._kind

    @property
    def hardware(self) -> Hardware:
        """The hardware the declared work is bounded on."""
        __tracebackhide__ = True
        self.work  # noqa: B018 - raises when nothing is declared
        assert self._device is not None
        return self._device

    @property
    def bound(self) -> Bound:
        """The roofline bound of the declared work (a ServingBound for serving work)."""
        __tracebackhide__ = True
        work = self.work
        if self._bound is None:  # a ServingConfig still waiting for its lengths
            self._bound = bound_on(work, self.hardware)  # raises, naming them
        return self._bound

    @property
    def utilization(self) -> float | None:
        """bound / measured for the last measurement, or None before one."""
        if self._bound is None or self.measurement is None:
            return None
        return self._bound.utilization(self.measurement.median)

    # -- measuring ---------------------------------------------------------------------

    def measure(
        self,
        fn: Callable[..., Any],
        *args: Any,
        sync: Callable[[], Any] | None = None,
        warmup: int | None = None,
        rounds: int | None = None,
        max_time: float | None = None,
        timer: str = "perf_counter",
        kwargs: Mapping[str, Any] | None = None,
        **fn_kwargs: Any,
    ) -> Measurement:
        """Time ``fn(*args, **fn_kwargs)``; the median per call is judged against the bound.

        The keyword-only options are measure's own; every other argument goes to ``fn``.
        When ``fn`` takes an argument named like an option (``rounds``), pass its
        arguments as ``kwargs={"rounds": 3}``: otherwise the clash is an error, never a
        silent theft. A later call replaces an earlier measurement, and the record says
        so. With paired calibration, the binding ceiling of ``local`` is measured again
        right after, so a machine that slows down slows the measurement and its bound alike.
        """
        __tracebackhide__ = True
        self._check_open("measure")
        options = {"sync": sync, "warmup": warmup, "rounds": rounds, "max_time": max_time}
        fn_kwargs = function_arguments(fn, options | {"timer": timer}, fn_kwargs, kwargs)
        if self._kind is None and (counted := counted_work(fn, args, fn_kwargs)) is not None:
            self.declare(counted)  # nothing declared: the compiler's count is the work
        self._work_notes = self.kind.check(fn, args, fn_kwargs)  # declare first: none timed
        fn = fn if sync is not None else jax_synced(fn)
        reference = None
        if self._paired is not None and self.hardware.measured:
            reference = self._paired.reference(self.bound)

        def again() -> Measurement:
            __tracebackhide__ = True
            with self._lock.held():
                return measure(
                    fn,
                    *args,
                    sync=sync,
                    warmup=warmup,
                    rounds=rounds,
                    max_time=self._max_time if max_time is None else max_time,
                    timer=timer,
                    reference=reference,
                    kwargs=fn_kwargs,
                )

        self._figures += 1
        self.measurement = again()
        self._again = again
        self._pair()
        return self.measurement

    def _pair(self) -> None:
        """With paired calibration, bound the work by its ceiling measured just now."""
        if self._paired is not None and self.hardware.measured:
            with self._lock.held():
                self._device = self._paired(self.hardware, self.bound)
            self._bound = bound_on(self.work, self._device)

    def report(
        self,
        *,
        seconds: float | str | None = None,
        flops_per_second: float | str | None = None,
        bytes_per_second: float | str | None = None,
        tokens_per_second: float | str | None = None,
        output_tokens_per_second: float | str | None = None,
        seconds_per_token: float | str | None = None,
        **misspelt: Any,
    ) -> Measurement:
        """Report a figure measured elsewhere: exactly one of the keyword arguments, a
        number in SI units or a quantity with its unit (``seconds="1.2 ms"``).

        For a kernel: ``seconds`` (the whole declared work), ``flops_per_second`` or
        ``bytes_per_second`` (converted with the declared FLOPs or bytes), or
        ``seconds_per_token`` (a decode step's time per output token, the same thing).

        For serving: ``tokens_per_second`` counts prompt and output tokens together, the
        quantity Compute / (2 · P_model) bounds; ``output_tokens_per_second`` (what
        engines print as output throughput) is the decode share d/(p + d) of it and is
        converted; ``seconds_per_token`` is the time per output token (one iteration).
        """
        __tracebackhide__ = True
        self._check_open("report")
        if misspelt:
            name = next(iter(misspelt))
            raise DeclarationError(
                f"report(): unknown figure {cut(name)}{did_you_mean(name, FIGURES)}"
                f" (takes {', '.join(FIGURES)})"
            )
        values = (
            seconds,
            flops_per_second,
            bytes_per_second,
            tokens_per_second,
            output_tokens_per_second,
            seconds_per_token,
        )
        kind = self.kind
        name, value = kind.figure_given(dict(zip(FIGURES, values, strict=True)))
        self._reported = f"report({name}={value!r})"
        self._figures += 1
        elapsed, tokens_per_second = kind.seconds(self.bound, name, value)
        self.measured_tokens_per_second = tokens_per_second
        kind.check_time(name, value, elapsed)
        self._engine = None
        self.measurement = Measurement.from_reported(elapsed)
        self._again = None
        return self.measurement

    def report_engine_result(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        run: int = -1,
        match: Mapping[str, Any] | None = None,
        allow_model_mismatch: bool = False,
    ) -> EngineResult:
        """Report what a serving engine's own benchmark wrote to ``path`` (the formats:
        :mod:`pytest_roofline.measurement.engines`; ``format`` forces one). ``run`` picks a
        line or an entry, the last by default, among those holding ``match``'s values.

        Serving work is judged on the file's prompt + output tokens per second, a prefill
        on its TTFT, a decode step on its TPOT (:mod:`pytest_roofline.verdict.engine_work`).
        A file naming another model is an error unless ``allow_model_mismatch``.
        """
        __tracebackhide__ = True
        self._check_open("report_engine_result")
        work = self.work
        engine = read_engine_result(path, format=format, run=run, match=match)
        notes = [f"reported from {engine.description}"]
        if engine.failures:
            notes.append(engine.failures + "; the throughput counts the completed ones")
        try:
            filled, figure, value = self.kind.from_engine(
                engine, notes, self.hardware, allow_model_mismatch
            )
            if filled is not work:
                self._kind, self._bound = kind_of(filled), None
            self.report(**{figure: value})
        except DeclarationError as error:
            text = str(error)
            if text.startswith(engine.source):
                raise
            # A figure of the file that the verdict cannot use: name the file it came from.
            raise DeclarationError(f"{engine.source}: {text}") from None
        assert self.measurement is not None
        self.measurement = self.measurement.model_copy(
            update={"notes": (*self.measurement.notes, *notes)}
        )
        self._engine = engine_record(engine)
        return engine

    # -- judging -----------------------------------------------------------------------

    def result(self, default_min_utilization: float | None = None) -> Result:
        """The verdict for this test, with the marker's budget or the session default."""
        return Result.model_validate(self.record(default_min_utilization))

    def record(self, default_min_utilization: float | None = None) -> dict[str, Any]:
        """The verdict as a plain record, the fields of :meth:`result` as JSON values.

        The plugin turns it straight into the test's user property; building the Result
        too was most of a cheap test's roofline cost, and only reports need one.
        """
        budget = self.min_utilization
        if budget is None:
            budget = default_min_utilization
        verdict = self._record(budget)
        raw = verdict["raw_utilization"]
        # Faster than the roof, even within its uncertainty: first evidence that a
        # measured ceiling is low, so the probe runs again before anything is capped.
        if raw is not None and raw > 1 and self._probe_again() is not None:
            verdict = self._record(budget)
        verdict = self._check_again(
            verdict, budget, lambda v: v["outcome"] in ("failed", "impossible")
        )
        if self._again_failed:
            verdict["notes"].append(self._again_failed)
        check_finite(verdict, self.work.label, self._reported)
        return verdict

    def _record(self, budget: float | None) -> dict[str, Any]:
        bound = self.bound  # raises when nothing is declared, or lengths are missing
        kind, device = self.kind, self._device
        assert device is not None
        measurement = self.measurement
        measured = measurement.median if measurement is not None else None
        flops = bound.attainable_flops_per_second * bound.seconds
        workload, moved, extra = self.kind.record_parts(bound, measured)
        batch, advice = kind.speech(bound)
        extra["engine"] = self._engine
        if measured is not None:
            extra["mfu"] = flops / measured / bound.peak_flops_per_second if flops else None
            extra["mbu"] = moved / measured / bound.memory_bandwidth if moved else None
        verdict = judge(
            nodeid=self.nodeid,
            label=kind.work.label,
            kind=kind.name,
            workload=workload,
            hardware_spec=self.rows.spec_of(device),
            bound=bound,
            statistics=measurement.model_dump(mode="json") if measurement is not None else None,
            min_utilization=budget,
            extra=extra,
            batch=batch,
            advice=advice,
        )
        verdict["notes"] += kind.notes()
        strict(verdict, self._work_notes, self._strict_work)
        if self._figures > 1:
            verdict["notes"].append(
                f"measure() or report() ran {self._figures} times; the last figure is judged"
            )
        return verdict

    def row_without_verdict(self, message: str) -> dict[str, Any]:
        """The row of this test when it gets no verdict (see :func:`unjudged_row`)."""
        work = self._kind.work if self._kind is not None else None
        return unjudged_row(
            self.nodeid, message, work, self._hardware_choice, self._default_hardware
        )

    def __repr__(self) -> str:
        what = self._kind.work.label if self._kind else "nothing declared"
        return f"<roofline {self.nodeid}: {what}>"
