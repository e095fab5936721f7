"""Timing harness: run a callable enough times to trust the median, and its statistics.

Design choices, each for a reason:

- ``time.perf_counter_ns``: monotonic, the finest clock Python offers, no float rounding.
- Warm-up first: the first calls pay for page faults, caches, lazy initialisation and
  (on GPUs) kernel compilation, none of which is the steady-state cost a roofline bounds.
- Rounds of several calls when one call is short: a round lasts at least
  :data:`MIN_ROUND_SECONDS`, far above the timer's resolution and call overhead.
- The garbage collector is off while timing (and restored after), so a collection
  triggered by someone else's garbage does not land in one round.
- A ``sync`` callable runs after each call inside the timed region: asynchronous devices
  (CUDA) return before the work is done, and ``torch.cuda.synchronize`` waits for it.
- Rounds are grouped into *windows*, consecutive stretches of the measurement (six by
  default). A neighbour's load comes in bursts that span many rounds, so consecutive
  rounds are not independent samples; windows spread over the measurement (and over
  later re-measurements) are closer to it. Each window's figure is the median of its
  rounds.
- Statistics are robust: the median, and a distribution-free confidence interval of the
  median from order statistics of the *windows* (the binomial method: the interval
  between the j-th and (n-j+1)-th smallest covers the true median with probability
  >= 95 %, Conover, "Practical Nonparametric Statistics", 3rd ed., section 3.2).
- The *best stretch* is what the code can do on this machine: the median of six
  consecutive windows (one measurement's length), the fastest such stretch. Noise only
  ever slows a run down (Chen and Revels, "Robust benchmarking in noisy environments",
  2016), so the fastest stretch is the one least disturbed; and a median of six windows
  is not one lucky round or window. (A lone fast window is not a steady state: on a
  2-vCPU host a 256^3 fp64 GEMM ran most windows at 60 % of its bound and a few at 95 %,
  so a best *window* swung between runs of unchanged code.)
"""

from __future__ import annotations

import gc
import inspect
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from pytest_roofline.core.units import real
from pytest_roofline.errors import (
    DeclarationError,
    cut,
)
from pytest_roofline.machine import busy
from pytest_roofline.measurement.figures import Measurement
from pytest_roofline.measurement.windows import (
    WINDOWS,
)
from pytest_roofline.specs.counted import is_jax_function

MIN_ROUND_SECONDS = 1e-4
"""Shortest round worth timing: 100 µs is 1000x the resolution of perf_counter_ns."""
DEFAULT_MAX_TIME = 0.2
"""Default time budget of one measurement in seconds (warm-up included)."""
MIN_ROUNDS = 5
MAX_ROUNDS = 10_000


def _check_option(value: Any, name: str, *, integer: bool) -> None:
    __tracebackhide__ = True
    if value is None:
        return
    number = real(value)
    ok = number is not None and math.isfinite(number) and (not integer or isinstance(value, int))
    if not ok or number is None or number < 0 or (name != "warmup" and number == 0):
        kind = "an integer" if integer else "a number"
        bound = ">= 0" if name == "warmup" else "> 0"
        raise DeclarationError(f"measure(): {name} must be {kind} {bound}, got {cut(value)}")
    limit = OPTION_LIMITS[name]
    if number > limit:
        raise DeclarationError(
            f"measure(): {name}={cut(value, 40)} is more than {limit:g}: a test that would"
            " never end"
        )


OPTION_LIMITS = {"warmup": 1e6, "rounds": 1e6, "max_time": 86400.0}
"""The largest warm-up, rounds and time budget (seconds) measure() takes."""


SETTLE_TOLERANCE = 0.05
"""Warm-up has settled when three calls in a row lie within 5 % of their median."""
MAX_WARMUP_CALLS = 100
TIMERS = ("perf_counter", "cuda")


def _settled(durations: list[int]) -> bool:
    last = durations[-3:]
    if len(last) < 3:
        return False
    middle = sorted(last)[1]
    return middle > 0 and (max(last) - min(last)) / middle <= SETTLE_TOLERANCE


def _noop(*args: Any, **kwargs: Any) -> None:
    """What a timed loop costs with nothing in it: the same call, doing nothing."""


def _cuda_clock(loop: Callable[[int], None]) -> Callable[[int], int]:
    """Time ``loop`` with CUDA events: device time between two events, in ns.

    The events are recorded on the current stream around the calls; waiting for the
    second one replaces ``sync``. Needs torch with a CUDA (or ROCm) device.
    """
    __tracebackhide__ = True
    try:
        import torch
    except ImportError:
        raise DeclarationError(
            'measure(): timer="cuda" needs torch, which is not installed'
        ) from None
    if not torch.cuda.is_available():
        raise DeclarationError('measure(): timer="cuda" needs a CUDA device; torch sees none')

    def timed(loops: int) -> int:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        loop(loops)
        end.record()
        end.synchronize()
        return int(start.elapsed_time(end) * 1e6)  # elapsed_time is in milliseconds

    return timed


def function_arguments(
    fn: Callable[..., Any],
    options: Mapping[str, Any],
    loose: dict[str, Any],
    given: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The keyword arguments for ``fn``: ``given`` (measure's ``kwargs=``) when the test
    passed it, else the ``loose`` ones. Without ``kwargs=``, an option the test set
    (``rounds=3``) that ``fn`` also takes by name is ambiguous: one line says how to
    pass it, rather than measure keeping it and ``fn`` silently running with its default.
    """
    __tracebackhide__ = True
    if given is not None:
        if not isinstance(given, Mapping) or not all(isinstance(k, str) for k in given):
            raise DeclarationError(
                f"measure(): kwargs= must be a dict of the function's keyword arguments,"
                f" got {cut(given)}"
            )
        if loose:
            raise DeclarationError(
                f"measure(): give the function's keyword arguments either in kwargs= or"
                f" loose, not both (loose: {', '.join(loose)})"
            )
        return dict(given)
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature: nothing to clash
        return loose
    named = {
        name
        for name, parameter in parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }
    set_options = {
        name: value
        for name, value in options.items()
        if value is not None and not (name == "timer" and value == "perf_counter")
    }
    for name, value in set_options.items():
        if name in named:
            raise DeclarationError(
                f"measure(): {name}={cut(value, 40)} is measure's own option, and"
                f" {getattr(fn, '__name__', 'the function')} takes {name} too; pass the"
                f" function's as kwargs={{{name!r}: ...}} (measure's options then stay its own)"
            )
    return loose


def jax_synced(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` itself, or for a JAX function, ``fn`` that waits for its result: JAX
    dispatches work asynchronously, and a timer stopped before ``block_until_ready``
    times the dispatch, not the work."""
    if not is_jax_function(fn):
        return fn
    import jax  # optional; already imported, since fn is a JAX function

    wait: Callable[[Any], Any] = jax.block_until_ready

    def synced(*args: Any, **kwargs: Any) -> Any:
        return wait(fn(*args, **kwargs))

    return synced


def measure(
    fn: Callable[..., Any],
    *args: Any,
    sync: Callable[[], Any] | None = None,
    warmup: int | None = None,
    rounds: int | None = None,
    max_time: float | None = None,
    timer: str = "perf_counter",
    reference: Callable[[], float] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    **loose: Any,
) -> Measurement:
    """Time ``fn(*args, **kwargs, **loose)`` and return the statistics of one call.

    ``kwargs`` holds keyword arguments of ``fn`` named like an option here (``rounds``),
    which could not be passed loose (see :func:`function_arguments`).

    ``reference``, when given, runs after every timed round (untimed) and returns the
    rate of a reference probe; see ``Measurement.paired``.

    Warm-up: ``warmup`` untimed calls, or by default calls until three in a row agree
    within 5 % (at most a quarter of the time budget, at most 100 calls); at least one
    always runs, because its duration sizes the rounds. Then ``rounds`` timed rounds
    (default: as many as fit in ``max_time`` seconds, at least 5, or 1 when one call
    alone takes longer than the budget). A round of a short function runs it often
    enough to last :data:`MIN_ROUND_SECONDS`, and the cost of the loop itself (the same
    calls of a function that does nothing, without ``sync``) is subtracted.
    ``timer="cuda"`` times with CUDA events instead of the host clock. An exception from
    ``fn`` propagates.
    """
    __tracebackhide__ = True
    arguments = {**(kwargs or {}), **loose}
    if not callable(fn):
        raise DeclarationError(f"measure() needs a callable, got {cut(fn)}")
    _check_option(warmup, "warmup", integer=True)
    _check_option(rounds, "rounds", integer=True)
    _check_option(max_time, "max_time", integer=False)
    if sync is not None and not callable(sync):
        raise DeclarationError(f"measure(): sync must be a callable, got {cut(sync)}")
    if timer not in TIMERS:
        raise DeclarationError(
            f"measure(): timer must be one of {', '.join(TIMERS)}, got {cut(timer)}"
        )
    budget_ns = int((DEFAULT_MAX_TIME if max_time is None else max_time) * 1e9)
    clock = time.perf_counter_ns
    notes: list[str] = []

    def loop_of(target: Callable[..., Any], synced: bool = True) -> Callable[[int], None]:
        def run(loops: int) -> None:
            __tracebackhide__ = True  # an error of fn shows fn's frames, not the harness's
            for _ in range(loops):
                target(*args, **arguments)
                if synced and sync is not None and timer != "cuda":
                    sync()

        return run

    def host_clock(loop: Callable[[int], None]) -> Callable[[int], int]:
        def timed(loops: int) -> int:
            __tracebackhide__ = True
            start = clock()
            loop(loops)
            return clock() - start

        return timed

    make_clock = _cuda_clock if timer == "cuda" else host_clock
    call_batch = make_clock(loop_of(fn))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        durations = [call_batch(1)]
        # The first call may compile or set things up lazily: the warm-up's time limit
        # starts after it, and it does not size the rounds when later calls exist.
        started = clock()
        if warmup is None:
            while (
                not _settled(durations)
                and clock() - started < budget_ns // 4
                and len(durations) < MAX_WARMUP_CALLS
            ):
                durations.append(call_batch(1))
            if not _settled(durations) and durations[-1] < budget_ns // 4:
                notes.append(f"warm-up did not settle in {len(durations)} calls")
        else:
            for _ in range(warmup - 1):  # the first call above is one of them
                durations.append(call_batch(1))
        window = (durations[1:] or durations)[-3:]
        typical = sorted(window)[len(window) // 2]
        loops = max(1, math.ceil(MIN_ROUND_SECONDS * 1e9 / max(typical, 1)))
        overhead = 0
        if loops > 1 and timer != "cuda":
            empty = make_clock(loop_of(_noop, synced=False))
            overhead = min(empty(loops) for _ in range(5))
        wanted = rounds
        if wanted is None and typical * MIN_ROUNDS > budget_ns:
            wanted = max(1, int(budget_ns // max(typical, 1)))
            notes.append(
                f"one call takes {typical / 1e9:.3g} s against a {budget_ns / 1e9:.3g} s"
                f" budget: {wanted} round(s)"
            )
        samples: list[float] = []
        references: list[float] = []
        sizes: list[int] = []
        in_window = 0
        per_window = math.ceil(wanted / WINDOWS) if wanted is not None else 0
        window_ns = budget_ns * 0.75 / WINDOWS
        machine_then = busy.mark()
        timing_started = clock()
        while True:
            elapsed = max(call_batch(loops) - overhead, 1)
            samples.append(elapsed / loops / 1e9)
            if reference is not None:
                references.append(reference())
            in_window += 1
            now = clock()
            if in_window >= per_window > 0 or (
                not per_window and now - timing_started >= (len(sizes) + 1) * window_ns
            ):
                sizes.append(in_window)
                in_window = 0
            if wanted is not None:
                if len(samples) >= wanted:
                    break
            elif len(samples) >= MAX_ROUNDS or (
                len(samples) >= MIN_ROUNDS and clock() - timing_started >= budget_ns * 0.75
            ):
                break
        share = busy.neighbour_share(machine_then)
    finally:
        if gc_was_enabled:
            gc.enable()
    if in_window:
        if sizes and in_window * 2 < sizes[-1]:
            sizes[-1] += in_window  # a stub of a window joins the one before it
        else:
            sizes.append(in_window)
    return Measurement.from_samples(
        samples,
        loops,
        notes=tuple(notes),
        references=references,
        window_sizes=sizes,
        neighbour_share=share,
    )
