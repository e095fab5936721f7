"""The work of a measured function, counted, and a declaration checked against it.

A test that declares nothing and measures a JAX function is bounded by the work XLA
counts for it (:func:`~pytest_roofline.specs.kernels.from_jax`). A test that declares a
kernel and measures a function whose work can be counted is checked: the declared FLOPs
and bytes against XLA's, and for numpy, the declared bytes against the call's
compulsory traffic, the bytes of its array arguments and results (each read or written
at least once, so no kernel moves fewer). A disagreement is a note on the verdict;
``--roofline-strict-work`` makes it a failure. This catches a wrong declaration before
it becomes a false "impossible" or a false pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest_roofline.core.units import BYTES, FLOP_COUNT, format_quantity
from pytest_roofline.specs.counted import is_jax_function
from pytest_roofline.specs.kernels import Kernel, from_jax

TOLERANCE = 0.25
"""How far declared and counted work may differ before the verdict says so: counts of
one kernel by two methods (a hand formula, XLA's, with its fused or unfused operations)
agree to a few percent; a wrong declaration is off by a factor."""


def counted_work(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Kernel | None:
    """The work of ``fn(*args, **kwargs)`` when a compiler can count it (a JAX
    function), else None."""
    __tracebackhide__ = True
    if not is_jax_function(fn):
        return None
    return from_jax(fn, *args, **kwargs)


def disagreements(declared: Kernel, counted: Kernel) -> list[str]:
    """Each of FLOPs and bytes on which ``declared`` and ``counted`` differ by more than
    :data:`TOLERANCE`, as one line giving both figures."""
    lines = []
    for what, kind, mine, theirs in (
        ("FLOPs", FLOP_COUNT, declared.flops, counted.flops),
        ("bytes", BYTES, declared.bytes, counted.bytes),
    ):
        largest = max(mine, theirs)
        if largest > 0 and abs(mine - theirs) > TOLERANCE * largest:
            lines.append(
                f"declared {what} {format_quantity(mine, kind)} differ from the"
                f" {format_quantity(theirs, kind)} counted by {counted.counted_by}"
            )
    return lines


def compulsory_bytes(args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> float:
    """The bytes of the numpy arrays a call takes and returns, each array once (an
    output that is one of the inputs, written in place, counts once)."""
    seen: dict[int, int] = {}
    for value in (*args, *kwargs.values(), *_results(result)):
        nbytes = getattr(value, "nbytes", None)
        if type(value).__module__ == "numpy" and isinstance(nbytes, int):
            seen[id(value)] = nbytes
    return float(sum(seen.values()))


def _results(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def below_compulsory(declared: Kernel, compulsory: float) -> list[str]:
    """A line when ``declared`` moves fewer bytes than the call's arrays hold."""
    if compulsory <= 0 or declared.bytes >= compulsory * (1 - 1e-9):
        return []
    return [
        f"declared bytes {format_quantity(declared.bytes, BYTES)} are fewer than the"
        f" {format_quantity(compulsory, BYTES)} the call's numpy arrays hold (each read or"
        " written once: a lower bound on the bytes moved)"
    ]


def check_declared(
    declared: Kernel, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> list[str]:
    """What counting says about a declared kernel: XLA's count for a JAX function, the
    compulsory traffic of one untimed call for a function of numpy arrays; nothing for
    other functions, or for work that was itself counted."""
    __tracebackhide__ = True
    if declared.counted_by is not None:
        return []
    counted = counted_work(fn, args, kwargs)
    if counted is not None:
        return disagreements(declared, counted)
    if not any(type(a).__module__ == "numpy" for a in (*args, *kwargs.values())):
        return []
    return below_compulsory(declared, compulsory_bytes(args, kwargs, fn(*args, **kwargs)))


def strict(verdict: dict[str, Any], lines: list[str], fail: bool) -> None:
    """Add ``lines`` to the verdict's notes; with ``fail`` (``--roofline-strict-work``), a
    verdict that would pass fails on the first of them instead."""
    verdict["notes"] += lines
    if lines and fail and verdict["outcome"] == "passed":
        verdict["outcome"] = "failed"
        verdict["message"] = f"roofline: {verdict['label']}: {lines[0]} (--roofline-strict-work)"
