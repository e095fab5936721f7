"""The object behind the ``roofline`` fixture: declare work, measure it, judge it.

It lives in the library (no pytest import) so it can be used and tested on its own; the
plugin creates one per test and asks it for a :class:`~pytest_roofline.results.Result`
when the test ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .bound import Bound, bound
from .errors import DeclarationError
from .hardware import Catalog, Hardware
from .kernels import Kernel
from .marker import check_hardware
from .measure import Measurement, measure
from .results import Result, evaluate
from .runlock import RunLock

FIGURES = ("seconds", "flops_per_second", "bytes_per_second", "tokens_per_second")


class Recorder:
    """Holds one test's declared work, hardware and measurement.

    Hardware is chosen in this order: ``declare(..., hardware=)``, the marker's
    ``hardware=``, the session default (``--roofline-hardware``), then ``local``.
    ``refresh_local`` re-measures ``local`` when a result on it looks impossible.
    """

    def __init__(
        self,
        nodeid: str,
        *,
        catalog: Catalog,
        default_hardware: str | Hardware | None = None,
        max_time: float | None = None,
        kernel: Kernel | None = None,
        hardware: str | Hardware | None = None,
        min_utilization: float | None = None,
        lock: RunLock | None = None,
        refresh_local: Callable[[], Hardware] | None = None,
    ) -> None:
        self.nodeid = nodeid
        self._refresh_local = refresh_local
        self._lock = lock or RunLock(None)
        self._catalog = catalog
        self._default_hardware = default_hardware
        self._max_time = max_time
        self._kernel: Kernel | None = None
        self._hardware_choice = hardware
        self._device: Hardware | None = None
        self._bound: Bound | None = None
        self.min_utilization = min_utilization
        self.measurement: Measurement | None = None
        if kernel is not None:
            self.declare(kernel)

    # -- declaring ---------------------------------------------------------------------

    @property
    def declared(self) -> bool:
        """True once some work has been declared (by the marker or ``declare``)."""
        return self._kernel is not None

    def declare(self, kernel: Kernel, hardware: str | Hardware | None = None) -> Bound:
        """Declare the work this test does (and optionally the hardware); returns its bound.

        For parametrized shapes, where the marker cannot know the sizes::

            roofline.declare(kernels.matmul(n, n, n, "fp32"))
        """
        __tracebackhide__ = True
        if not isinstance(kernel, Kernel):
            raise DeclarationError(
                f"declare() needs a Kernel (e.g. kernels.matmul(...)), got {type(kernel).__name__}"
            )
        if hardware is not None:
            self._hardware_choice = check_hardware(hardware, self._catalog, "declare()")
        choice = self._hardware_choice or self._default_hardware or "local"
        device = self._catalog.lookup(choice)
        result = bound(kernel, device)
        self._kernel, self._device, self._bound = kernel, device, result
        self.measurement = None
        return result

    @property
    def kernel(self) -> Kernel:
        """The declared kernel."""
        __tracebackhide__ = True
        if self._kernel is None:
            raise DeclarationError(
                "no work declared: pass a kernel to @pytest.mark.roofline or call"
                " roofline.declare(kernel)"
            )
        return self._kernel

    @property
    def hardware(self) -> Hardware:
        """The hardware the declared work is bounded on."""
        __tracebackhide__ = True
        self.kernel  # noqa: B018 - raises when nothing is declared
        assert self._device is not None
        return self._device

    @property
    def bound(self) -> Bound:
        """The roofline bound of the declared work."""
        __tracebackhide__ = True
        self.kernel  # noqa: B018
        assert self._bound is not None
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
        **kwargs: Any,
    ) -> Measurement:
        """Time ``fn(*args, **kwargs)``; the median per call is judged against the bound.

        The keyword-only options are measure's own; every other argument goes to ``fn``.
        A later call replaces an earlier measurement.
        """
        __tracebackhide__ = True
        self.kernel  # noqa: B018 - declare first, so a bad declaration is not timed
        with self._lock.held():
            self.measurement = measure(
                fn,
                *args,
                sync=sync,
                warmup=warmup,
                rounds=rounds,
                max_time=self._max_time if max_time is None else max_time,
                **kwargs,
            )
        return self.measurement

    def report(
        self,
        *,
        seconds: float | None = None,
        flops_per_second: float | None = None,
        bytes_per_second: float | None = None,
        tokens_per_second: float | None = None,
    ) -> Measurement:
        """Report a figure measured elsewhere: exactly one of the keyword arguments.

        ``seconds`` is the time of the whole declared work; a rate is converted with the
        declared FLOPs or bytes.
        """
        __tracebackhide__ = True
        given = {
            name: value
            for name, value in zip(
                FIGURES,
                (seconds, flops_per_second, bytes_per_second, tokens_per_second),
                strict=True,
            )
            if value is not None
        }
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise DeclarationError(
                "report() takes exactly one of seconds=, flops_per_second=,"
                f" bytes_per_second=, tokens_per_second=; got {found}"
            )
        ((name, value),) = given.items()
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (math.isfinite(value) and value > 0)
        ):
            raise DeclarationError(f"report(): {name} must be a finite number > 0, got {value!r}")
        kernel = self.kernel
        if name == "seconds":
            elapsed = float(value)
        elif name == "flops_per_second":
            if kernel.flops == 0:
                raise DeclarationError(f"report(): {kernel.label} does no FLOPs; report seconds=")
            elapsed = kernel.flops / value
        elif name == "bytes_per_second":
            if kernel.bytes == 0:
                raise DeclarationError(f"report(): {kernel.label} moves no bytes; report seconds=")
            elapsed = kernel.bytes / value
        else:
            raise DeclarationError(
                "report(): tokens_per_second needs a serving declaration; a kernel takes"
                " seconds=, flops_per_second= or bytes_per_second="
            )
        self.measurement = Measurement.from_reported(elapsed)
        return self.measurement

    # -- judging -----------------------------------------------------------------------

    def result(self, default_min_utilization: float | None = None) -> Result:
        """The verdict for this test, with the marker's budget or the session default."""
        budget = self.min_utilization
        if budget is None:
            budget = default_min_utilization
        verdict = self._evaluate(budget)
        if verdict.outcome == "impossible" and self.hardware.measured and self._refresh_local:
            # Measured ceilings are estimates a busy host can hold down: measure them
            # again before calling the result impossible.
            self._device = self._refresh_local()
            self._bound = bound(self.kernel, self._device)
            verdict = self._evaluate(budget)
        return verdict

    def _evaluate(self, budget: float | None) -> Result:
        kernel = self.kernel
        device = self.hardware
        return evaluate(
            nodeid=self.nodeid,
            label=kernel.label,
            workload={
                **kernel.model_dump(),
                "intensity": None if math.isinf(kernel.intensity) else kernel.intensity,
            },
            hardware_spec=device.model_dump(exclude={"sources", "aliases", "description"}),
            bound=self.bound,
            measurement=self.measurement,
            min_utilization=budget,
        )

    def __repr__(self) -> str:
        what = self._kernel.label if self._kernel else "nothing declared"
        return f"<roofline {self.nodeid}: {what}>"
