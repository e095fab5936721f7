"""The object behind the ``roofline`` fixture: declare work, measure it, judge it.

It lives in the library (no pytest import) so it can be used and tested on its own; the
plugin creates one per test and asks it for a :class:`~pytest_roofline.verdict.record.Result`
when the test ends.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydantic_core

from pytest_roofline.core.units import real
from pytest_roofline.errors import (
    DeclarationError,
    cut,
    did_you_mean,
)
from pytest_roofline.machine import busy
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.measurement.timing import (
    Measurement,
    measure,
)
from pytest_roofline.physics.bound import (
    Bound,
    kernel_bound,
)
from pytest_roofline.physics.serving import (
    ServingBound,
    ServingConfig,
    serving_bound,
)
from pytest_roofline.plugin.marker import check_hardware
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
)
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.verdict.record import (
    Result,
    error_record,
    first_non_finite_figure,
    judge,
)

if TYPE_CHECKING:
    from pytest_roofline.measurement.engines import EngineResult

Work = Kernel | ServingConfig
KERNEL_FIGURES = ("seconds", "flops_per_second", "bytes_per_second", "seconds_per_token")
PAUSES = (0.2, 0.4, 0.8, 1.2, 1.6)
"""Pauses before each re-measurement of a failing verdict (the last one repeats): the
re-measurements sample later moments, beyond a neighbour's burst of load."""
RECHECK_SECONDS = 8.0
"""The longest a bad verdict waits for a quiet moment of the machine before it stands."""
QUIET_CHECKS = 2
"""Checks that found the machine quiet, after which a bad verdict stands."""


@dataclass(frozen=True)
class Recheck:
    """How a bad verdict is checked again before it stands: after each of ``pauses``
    (the last repeats), until ``quiet_checks`` checks found the machine quiet (once
    ``min_seconds`` have passed), or ``seconds`` have passed. ``quiet_checks=None`` checks
    until the time is up."""

    pauses: tuple[float, ...] = PAUSES
    seconds: float = RECHECK_SECONDS
    quiet_checks: int | None = QUIET_CHECKS
    min_seconds: float = 0.0

    def done(self, quiet: int, elapsed: float) -> bool:
        """True when ``quiet`` quiet checks after ``elapsed`` seconds let a verdict stand."""
        enough = self.quiet_checks is not None and quiet >= self.quiet_checks
        return enough and elapsed >= self.min_seconds


SAVING = Recheck(min_seconds=3.0)
"""A baseline to save is measured for at least 3 s more: on a shared virtual machine a
BLAS kernel's speed drifts for seconds after a process starts (a 256^3 fp64 GEMM here
went from 880 to 650 µs per call over its first three seconds), and a baseline should
hold the steady state."""
REGRESSION = Recheck(quiet_checks=None)
"""A drop against a baseline is measured again until it is gone or 8 s have passed: the
same drift, and a host's slow spells that no counter shows, can last for seconds."""


SERVING_FIGURES = ("tokens_per_second", "output_tokens_per_second", "seconds_per_token")
FIGURES = (
    "seconds",
    "flops_per_second",
    "bytes_per_second",
    "tokens_per_second",
    "output_tokens_per_second",
    "seconds_per_token",
)


_specs: dict[int, tuple[Hardware, dict[str, Any]]] = {}
_spec_texts: dict[int, str] = {}
"""The JSON of each dict :func:`spec_of` shares, by the dict's id (``_specs`` keeps the
dicts alive, so no other object takes their ids)."""


def spec_of(device: Hardware) -> dict[str, Any]:
    """The figures of ``device`` a result records, dumped once per device (hundreds of
    tests share a handful of devices, and dumping is a large share of a test's cost).

    The dict is shared by every record of the device: read it, do not change it.
    """
    held = _specs.get(id(device))  # the device is held too, so its id stays its own
    if held is None:
        spec = device.model_dump(mode="json", exclude={"sources", "aliases", "description"})
        held = _specs[id(device)] = (device, spec)
        _spec_texts[id(spec)] = pydantic_core.to_json(spec, inf_nan_mode="null").decode()
    return held[1]


def record_json(record: dict[str, Any]) -> str:
    """``record`` (see :meth:`Recorder.record`) as JSON: a test's user property.

    The hardware figures are the same in every record of a device and make up half of
    its JSON, so the JSON :func:`spec_of` made of them once is spliced in.
    """
    spec = record["hardware_spec"]
    spec_text = _spec_texts.get(id(spec))
    if spec_text is None:  # figures of a copied record: serialized with the rest
        return pydantic_core.to_json(record, inf_nan_mode="null").decode()
    del record["hardware_spec"]
    try:
        rest = pydantic_core.to_json(record, inf_nan_mode="null").decode()
    finally:
        record["hardware_spec"] = spec
    return f'{rest[:-1]},"hardware_spec":{spec_text}}}'


def _wanted(allowed: tuple[str, ...]) -> str:
    """The figures ``report()`` takes for a kind of work, as an error message lists them."""
    return ", ".join(f"{name}=" for name in allowed)


class Recorder:
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
        recheck: Recheck = Recheck(),
    ) -> None:
        self.nodeid = nodeid
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
        self._work: Work | None = None
        self._hardware_choice = hardware
        self._device: Hardware | None = None
        self._bound: Bound | None = None
        self.min_utilization = min_utilization
        self.measurement: Measurement | None = None
        self.measured_tokens_per_second: float | None = None
        self._closed = ""
        self._reported = ""
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
        return self._work is not None

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
        if not isinstance(work, (Kernel, ServingConfig)):
            raise DeclarationError(
                "declare() needs a Kernel (e.g. kernels.matmul(...)) or a ServingConfig,"
                f" got {type(work).__name__}"
            )
        if hardware is not None:
            hardware = check_hardware(hardware, self._catalog, "declare()")
        if isinstance(work, ServingConfig):
            # The test's own choice (declare's, then the marker's) overrides the config's,
            # as bound(config, hardware) does: one config can be judged on several devices.
            choice = hardware or self._hardware_choice or work.hardware or self._default_hardware
            if choice is None:
                raise DeclarationError(
                    f"{work.label}: name the hardware (ServingConfig(hardware=...), the"
                    " marker's hardware= or --roofline-hardware)"
                )
        else:
            choice = hardware or self._hardware_choice or self._default_hardware or "local"
        if hardware is not None:
            self._hardware_choice = hardware
        device = self._catalog.lookup(choice)
        pending = isinstance(work, ServingConfig) and not work.lengths_known
        result = None if pending else self._bound_on(work, device)
        self._work, self._device, self._bound = work, device, result
        self.measurement = None
        self.measured_tokens_per_second = None
        return result

    @staticmethod
    def _bound_on(work: Work, device: Hardware) -> Bound:
        __tracebackhide__ = True
        if isinstance(work, ServingConfig):
            return serving_bound(work, device)
        return kernel_bound(work, device)

    @property
    def work(self) -> Work:
        """The declared kernel or serving configuration."""
        __tracebackhide__ = True
        if self._work is None:
            raise DeclarationError(
                "no work declared: pass a kernel (or serving=) to @pytest.mark.roofline or"
                " call roofline.declare(...)"
            )
        return self._work

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
            self._bound = self._bound_on(work, self.hardware)  # raises, naming them
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
        **kwargs: Any,
    ) -> Measurement:
        """Time ``fn(*args, **kwargs)``; the median per call is judged against the bound.

        The keyword-only options are measure's own; every other argument goes to ``fn``.
        A later call replaces an earlier measurement. With paired calibration, the
        binding ceiling of ``local`` is measured again right after, so a machine that
        slows down slows the measurement and its bound alike.
        """
        __tracebackhide__ = True
        self._check_open("measure")
        self.work  # noqa: B018 - declare first, so a bad declaration is not timed

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
                    **kwargs,
                )

        self.measurement = again()
        self._again = again
        self._pair()
        return self.measurement

    def _pair(self) -> None:
        """With paired calibration, bound the work by its ceiling measured just now."""
        if self._paired is not None and self.hardware.measured:
            with self._lock.held():
                self._device = self._paired(self.hardware, self.bound)
            self._bound = self._bound_on(self.work, self._device)

    def report(
        self,
        *,
        seconds: float | None = None,
        flops_per_second: float | None = None,
        bytes_per_second: float | None = None,
        tokens_per_second: float | None = None,
        output_tokens_per_second: float | None = None,
        seconds_per_token: float | None = None,
        **misspelt: Any,
    ) -> Measurement:
        """Report a figure measured elsewhere: exactly one of the keyword arguments.

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
        work = self.work
        serving = isinstance(work, ServingConfig)
        allowed = SERVING_FIGURES if serving else KERNEL_FIGURES
        given = [(n, value) for n, value in zip(FIGURES, values, strict=True) if value is not None]
        if len(given) != 1:  # `is not None` above: arrays compare element-wise
            found = ", ".join(n for n, _ in given) or "none"
            raise DeclarationError(f"report() takes exactly one of {_wanted(allowed)}; got {found}")
        ((name, value),) = given
        if name not in allowed:
            kind = "serving work" if serving else "a kernel"
            raise DeclarationError(
                f"report(): {name}= does not apply to {kind}; use {_wanted(allowed)}"
            )
        number = value if type(value) is float else real(value)  # a float needs no ABC check
        if number is None or not (math.isfinite(number) and number > 0):
            raise DeclarationError(
                f"report(): {name} must be a finite number > 0, got {cut(value)}"
            )
        value = number
        self._reported = f"report({name}={value!r})"
        if isinstance(work, ServingConfig):
            elapsed = self._serving_seconds(work, name, value)
        elif name in ("seconds", "seconds_per_token"):
            elapsed = value
        elif name == "flops_per_second":
            if work.flops == 0:
                raise DeclarationError(f"report(): {work.label} does no FLOPs; report seconds=")
            elapsed = work.flops / value
        else:
            if work.bytes == 0:
                raise DeclarationError(f"report(): {work.label} moves no bytes; report seconds=")
            elapsed = work.bytes / value
        self._check_reported(work, name, value, elapsed)
        self.measurement = Measurement.from_reported(elapsed)
        self._again = None
        return self.measurement

    @staticmethod
    def _check_reported(work: Work, name: str, value: float, elapsed: float) -> None:
        """The time a reported figure gives the work, and the rates that time gives it,
        are finite and above zero: a figure of 1e-310 passes as positive, and its time
        (or its rate) comes out infinite."""
        __tracebackhide__ = True
        rates = [elapsed]
        if isinstance(work, Kernel) and elapsed > 0:
            rates += [work.flops / elapsed, work.bytes / elapsed]
        if not all(math.isfinite(rate) for rate in rates) or elapsed <= 0:
            raise DeclarationError(
                f"report(): {name}={value!r} gives {work.label} a time of {elapsed!r} s,"
                " out of any range a measurement can have; check the figure and its unit"
            )

    def report_engine_result(
        self, path: str | os.PathLike[str], *, format: str | None = None, run: int = -1
    ) -> EngineResult:
        """Report what a serving engine's own benchmark wrote to ``path``.

        The file is a vLLM ``benchmark_serving.py --save-result`` or
        ``benchmark_throughput.py --output-json`` result, or SGLang ``bench_serving``
        JSON lines (``run`` picks a line, the last by default); see
        :mod:`pytest_roofline.measurement.engines`. ``format`` names the shape when detection by
        keys is not wanted.

        For a ServingConfig the file's prompt + output tokens per second are judged, and
        the file's mean prompt and output lengths stand in for ``prompt_tokens`` and
        ``decode_tokens`` when the config leaves them out. For a kernel, such as
        ``kernels.decode_step``, the file's mean time per output token (TPOT) is the
        measured time of one decode step. Returns the parsed result, for further checks.
        """
        __tracebackhide__ = True
        self._check_open("report_engine_result")
        from pytest_roofline.measurement.engines import read_engine_result

        work = self.work
        engine = read_engine_result(path, format=format, run=run)
        notes = [f"reported from {engine.description}"]
        try:
            if isinstance(work, ServingConfig):
                filled = self._fill_lengths(work, engine, notes)
                if filled is not work:
                    self._work, self._bound = filled, None
                self.report(tokens_per_second=engine.tokens_per_second)
            else:
                if engine.mean_tpot_seconds is None or engine.mean_tpot_seconds <= 0:
                    raise DeclarationError(
                        f"{engine.source}: holds no mean time per output token (TPOT), which"
                        f" a kernel's bound ({work.label}) is judged against; declare a"
                        " ServingConfig to judge its throughput"
                    )
                self.report(seconds_per_token=engine.mean_tpot_seconds)
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
        return engine

    @staticmethod
    def _fill_lengths(work: ServingConfig, engine: EngineResult, notes: list[str]) -> ServingConfig:
        """``work`` with the file's mean lengths where it leaves them out."""
        __tracebackhide__ = True
        from_file = {
            "prompt_tokens": engine.mean_prompt_tokens,
            "decode_tokens": engine.mean_output_tokens,
        }
        missing = [name for name in from_file if getattr(work, name) is None]
        unknown = [name for name in missing if from_file[name] is None]
        if unknown:
            raise DeclarationError(
                f"{engine.source}: holds no mean prompt and output lengths (a"
                f" {engine.format} result counts tokens only in total); give"
                f" {' and '.join(f'{name}=' for name in unknown)} in the ServingConfig"
            )
        for name, value in from_file.items():
            declared = getattr(work, name)
            if declared and value is not None and abs(value - declared) > 0.1 * declared:
                notes.append(
                    f"the file's mean {name} ({value:.0f}) differs from the declared"
                    f" {declared:g} by more than 10 %"
                )
        if not missing:
            return work
        notes.append(
            ", ".join(f"{name}={from_file[name]:.1f}" for name in missing) + " from the file"
        )
        if "decode_tokens" in missing and not from_file["decode_tokens"]:
            raise DeclarationError(
                f"{engine.source}: its requests produced no output token"
                " (total_output_tokens is 0), so there is no decode length to judge against"
            )
        # Validated again (model_copy would not): the file's lengths are input too.
        return ServingConfig(**{**dict(work), **{name: from_file[name] for name in missing}})

    def _serving_seconds(self, work: ServingConfig, name: str, value: float) -> float:
        """The measured time of one dense iteration, from a serving figure."""
        __tracebackhide__ = True
        bound = self.bound
        assert isinstance(bound, ServingBound)
        if name == "seconds_per_token":
            tokens_per_second = bound.batch_size / value
        elif name == "output_tokens_per_second":
            p, d = work.lengths()
            tokens_per_second = value * (p + d) / d
        else:
            tokens_per_second = value
        self.measured_tokens_per_second = tokens_per_second
        return bound.batch_size / tokens_per_second

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
        self._check_finite(verdict)
        return verdict

    def _check_finite(self, verdict: dict[str, Any]) -> None:
        """Every figure of the verdict is a finite number, or this test's one-line error:
        an infinite one would cost every test of the run its report (JSON has none)."""
        __tracebackhide__ = True
        key = first_non_finite_figure(verdict)
        if key is not None:
            source = self._reported or "the work declared and the time measured"
            raise DeclarationError(
                f"{self.work.label}: its {key} comes out as a number that is not finite,"
                f" from {source}; check the sizes and figures given"
            )

    def _check_again(
        self,
        verdict: dict[str, Any],
        budget: float | None,
        still_bad: Callable[[dict[str, Any]], bool],
        recheck: Recheck | None = None,
    ) -> dict[str, Any]:
        """Check a bad verdict again, later, before it stands.

        While ``still_bad(verdict)``: wait a moment (later moments are past a
        neighbour's burst), then measure again (the windows join the earlier ones, and
        the best stretch of all is judged) or, for an impossible result on measured
        hardware, probe its ceiling again. The verdict stands once the machine was seen
        quiet in ``quiet_checks`` checks, or when the time is up.
        """
        recheck = recheck or self._recheck
        started = time.monotonic()
        rechecks = quiet = 0
        while still_bad(verdict) and not recheck.done(quiet, time.monotonic() - started):
            impossible = verdict["outcome"] == "impossible"
            if (self._again is None and not impossible) or (
                impossible and (self._prober is None or not self.hardware.measured)
            ):
                break
            if time.monotonic() - started >= recheck.seconds:
                if recheck.quiet_checks is not None:
                    verdict["notes"].append(
                        f"the machine was not seen quiet in {recheck.seconds:g} s of checks:"
                        " this verdict may be the neighbours' load"
                    )
                break
            before = busy.mark()
            pauses = recheck.pauses
            time.sleep(pauses[min(rechecks, len(pauses) - 1)])
            rechecks += 1
            if impossible:
                self._probe_again()
                share = busy.neighbour_share(before)
                quiet += share is None or share <= busy.BUSY_SHARE
            else:
                more = self._measure_again()
                if more is None:
                    break
                assert self.measurement is not None
                self.measurement = self.measurement.merged(more)
                self._pair()
                share = more.neighbour_share
                quiet += (share is None or share <= busy.BUSY_SHARE) and self._probe_reaches_roof()
            verdict = self._record(budget)
        if rechecks:
            windows = len(self.measurement.windows) if self.measurement else 0
            verdict["notes"].append(
                f"checked {rechecks} more time(s) over {time.monotonic() - started:.1f} s"
                f" ({windows} windows in all) before the verdict stood"
            )
        return verdict

    def _probe_again(self) -> float | None:
        """Probe the binding ceiling of measured hardware again, matching the work's
        dtype, memory level and working set, and keep the better ceilings: a probe that
        beats a ceiling raises it here, for the run and for later runs. Returns the
        probe's rate (None without a probe for it)."""
        if self._prober is None or not self.hardware.measured:
            return None
        bound = self.bound
        working_set = self.work.working_set if isinstance(self.work, Kernel) else None
        with self._lock.held():
            rate = self._prober.rate(bound, working_set)
        if rate is not None and rate > self._prober.ceiling(bound) and self._raise_local:
            self._device = self._raise_local(self._prober.with_rate(self.hardware, bound, rate))
            self._bound = self._bound_on(self.work, self._device)
        return rate

    def _probe_reaches_roof(self) -> bool:
        """True unless a probe of measured hardware finds the binding resource slowed:
        a neighbour's memory streams take bandwidth without showing much CPU time. A
        probe that beats the ceiling raises it (see :meth:`_probe_again`)."""
        bound = self._bound
        rate = self._probe_again()
        if rate is None or bound is None or self._prober is None:
            return True
        working_set = self.work.working_set if isinstance(self.work, Kernel) else None
        return self._prober.near_its_best(bound, working_set, rate)

    def _measure_again(self) -> Measurement | None:
        """Another measurement after the test's body, or None when it cannot be had.

        The test has ended by then, so a function that needed the test's context (an
        open file, a ``with`` block) may fail: its own measurement then stands, with a
        note, rather than the error ending the whole run.
        """
        assert self._again is not None
        try:
            return self._again()
        except Exception as error:  # any error of the user's function
            self._again = None
            self._again_failed = (
                f"measuring again after the test failed ({type(error).__name__}: {error});"
                " the test's own measurement stands"
            )
            return None

    def confirm(
        self,
        result: Result,
        still_bad: Callable[[Result], bool],
        default_min_utilization: float | None = None,
        recheck: Recheck = REGRESSION,
    ) -> Result:
        """``result`` checked again later while ``still_bad(result)`` (see
        :meth:`_check_again`): for a regression against a baseline, or for a baseline
        to save, which should hold what the code does on a quiet machine.

        Noise on a shared machine only ever slows a run down, so the best stretch of
        measurements spread in time estimates what the code can do; a real slowdown
        stays in all of them, a neighbour's burst of load does not. Figures reported by
        the test cannot be measured again and stand as they are.
        """
        if self._again is None:
            return result
        budget = self.min_utilization
        if budget is None:
            budget = default_min_utilization
        verdict = self._check_again(
            result.model_dump(mode="json"),
            budget,
            lambda record: still_bad(Result.model_validate(record)),
            recheck,
        )
        if self._again_failed and self._again_failed not in verdict["notes"]:
            verdict["notes"].append(self._again_failed)
        return Result.model_validate(verdict)

    def _record(self, budget: float | None) -> dict[str, Any]:
        bound = self.bound  # raises when nothing is declared, or lengths are missing
        work, device = self._work, self._device
        assert work is not None
        assert device is not None
        measurement = self.measurement
        measured = measurement.median if measurement is not None else None
        flops = bound.attainable_flops_per_second * bound.seconds
        extra: dict[str, Any] = {}
        if isinstance(work, ServingConfig):
            assert isinstance(bound, ServingBound)
            workload: dict[str, Any] = work.model_dump(mode="json")
            moved = bound.bytes_per_iteration
            extra["optimal_tokens_per_second"] = bound.optimal_tokens_per_second
            extra["serving"] = bound.model_dump(
                include={
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
                }
            )
            if measured is not None:
                extra["measured_tokens_per_second"] = bound.batch_size / measured
        else:
            workload = work.model_dump(mode="json")
            intensity = work.intensity
            workload["intensity"] = None if math.isinf(intensity) else intensity
            moved = work.bytes
        if measured is not None:
            extra["mfu"] = flops / measured / bound.peak_flops_per_second if flops else None
            extra["mbu"] = moved / measured / bound.memory_bandwidth if moved else None
        return judge(
            nodeid=self.nodeid,
            label=work.label,
            kind="serving" if isinstance(work, ServingConfig) else "kernel",
            workload=workload,
            hardware_spec=spec_of(device),
            bound=bound,
            statistics=measurement.model_dump(mode="json") if measurement is not None else None,
            min_utilization=budget,
            extra=extra,
        )

    def __repr__(self) -> str:
        what = self._work.label if self._work else "nothing declared"
        return f"<roofline {self.nodeid}: {what}>"


def row_without_verdict(recorder: Recorder, message: str) -> dict[str, Any]:
    """The row of a test that gets no verdict (see :func:`results.error_record`): its
    work and hardware as far as they were declared, and the line it failed with."""
    work = recorder._work
    own = work.hardware if isinstance(work, ServingConfig) else None
    choice = recorder._hardware_choice or own or recorder._default_hardware
    hardware = choice.name if isinstance(choice, Hardware) else str(choice or "local")
    if work is None:
        return error_record(recorder.nodeid, message, hardware=hardware)
    return error_record(
        recorder.nodeid,
        message,
        kind="serving" if isinstance(work, ServingConfig) else "kernel",
        label=work.label,
        workload=work.model_dump(mode="json"),
        hardware=hardware,
    )
