"""Checking a bad verdict again before it stands.

On a shared machine a neighbour's burst of load only ever slows a measurement down, so
a failing (or impossible, or regressed) verdict is checked again at later moments: the
test's function measured again (its windows join the earlier ones, and the best
stretch of all is judged), or a measured ceiling probed again. The verdict stands once
the machine was seen quiet, or when the time is up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_roofline.machine import busy
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.physics.bound import Bound
from pytest_roofline.physics.dispatch import bound_on
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.work import Kind

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


DEFAULT_RECHECK = Recheck()
"""A failing or impossible verdict: checked until the machine is seen quiet twice."""
SAVING = Recheck(min_seconds=3.0)
"""A baseline to save is measured for at least 3 s more: on a shared virtual machine a
BLAS kernel's speed drifts for seconds after a process starts (a 256^3 fp64 GEMM here
went from 880 to 650 µs per call over its first three seconds), and a baseline should
hold the steady state."""
REGRESSION = Recheck(quiet_checks=None)
"""A drop against a baseline is measured again until it is gone or 8 s have passed: the
same drift, and a host's slow spells that no counter shows, can last for seconds."""


class Rechecking:
    """The re-checks of a :class:`~.recorder.Recorder`, apart from its declaring and
    measuring: what they need of it is listed here."""

    _recheck: Recheck
    _again: Callable[[], Measurement] | None
    _again_failed: str
    _prober: PairedCalibration | None
    _lock: RunLock
    _raise_local: Callable[[Hardware], Hardware] | None
    _device: Hardware | None
    _bound: Bound | None
    measurement: Measurement | None
    min_utilization: float | None

    @property
    def hardware(self) -> Hardware:
        raise NotImplementedError

    @property
    def bound(self) -> Bound:
        raise NotImplementedError

    @property
    def kind(self) -> Kind:
        raise NotImplementedError

    def _record(self, budget: float | None) -> dict[str, Any]:
        raise NotImplementedError

    def _pair(self) -> None:
        raise NotImplementedError

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
        working_set = self.kind.working_set()
        with self._lock.held():
            rate = self._prober.rate(bound, working_set)
        if rate is not None and rate > self._prober.ceiling(bound) and self._raise_local:
            self._device = self._raise_local(self._prober.with_rate(self.hardware, bound, rate))
            self._bound = bound_on(self.kind.work, self._device)
        return rate

    def _probe_reaches_roof(self) -> bool:
        """True unless a probe of measured hardware finds the binding resource slowed:
        a neighbour's memory streams take bandwidth without showing much CPU time. A
        probe that beats the ceiling raises it (see :meth:`_probe_again`)."""
        bound = self._bound
        rate = self._probe_again()
        if rate is None or bound is None or self._prober is None:
            return True
        working_set = self.kind.working_set()
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
