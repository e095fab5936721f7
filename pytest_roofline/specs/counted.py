"""Work counted by a compiler: XLA's cost analysis of a JAX function.

A hand-declared kernel is where mistakes live: a wrong byte count turns a slow kernel
into an "impossible" one, or hides a real gap. XLA already knows the work of every
function it compiles: ``jax.jit(fn).lower(*args).compile().cost_analysis()`` gives its
FLOPs, the bytes its operations access, and its transcendental operations (``exp``,
``log``, ...), for exactly the shapes and dtypes it was compiled for. For a 256x512 @
512x128 fp32 product that is 2·M·N·K = 33,554,432 FLOPs and 4·(MK + KN + MN) = 917,504
bytes, the hand counts exactly.

jax is an optional extra (``pytest-roofline[jax]``): it is imported here only when a
test asks for a count, never when the plugin loads.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core.dtypes import canonical_dtype
from pytest_roofline.errors import DeclarationError, RooflineError

COST_KEYS = ("flops", "bytes accessed", "transcendentals")
"""What the cost analysis reports that a kernel keeps (per-operand entries are left out)."""


@dataclass(frozen=True)
class Counted:
    """What XLA counted for one compiled function."""

    name: str
    flops: float
    bytes: float
    transcendentals: float
    dtype: str
    counted_by: str
    """Which counter, for the record: 'XLA cost analysis (jax 0.10.2, cpu)'."""


def is_jax_function(fn: object) -> bool:
    """Whether ``fn`` is a function JAX compiled or can compile (``jax.jit`` of it): a
    jitted function has ``lower``. Without jax imported, nothing is a JAX function, and
    jax is not imported to find out."""
    if "jax" not in sys.modules:
        return False
    return callable(fn) and callable(getattr(fn, "lower", None))


def function_name(fn: Callable[..., Any]) -> str:
    """The name a counted kernel gets: the function's own, through ``jax.jit``."""
    inner = getattr(fn, "__wrapped__", fn)
    name = getattr(inner, "__name__", None) or getattr(fn, "__name__", None)
    return "<lambda>" if not isinstance(name, str) or not name else name


def xla_cost(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Counted:
    """XLA's count of ``fn(*args, **kwargs)``: compiled for these arguments on JAX's
    default backend. One line when jax is missing, the function does not compile, or the
    backend reports no cost analysis."""
    __tracebackhide__ = True
    try:
        import jax  # optional: pytest-roofline[jax]
    except ImportError:
        raise DeclarationError(
            "kernels.from_jax() needs jax: pip install 'pytest-roofline[jax]'"
        ) from None
    name = function_name(fn)
    jitted: Any = fn if callable(getattr(fn, "lower", None)) else jax.jit(fn)
    try:
        compiled = jitted.lower(*args, **kwargs).compile()
        analysis = compiled.cost_analysis()
    except RooflineError:
        raise
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DeclarationError(
            f"kernels.from_jax(): {name} does not compile for these arguments:"
            f" {type(error).__name__}: {first[:200]}"
        ) from None
    cost = merged(analysis)
    backend = jax.default_backend()
    if cost is None or "flops" not in cost:
        raise DeclarationError(
            f"kernels.from_jax(): the {backend} backend reports no cost analysis for"
            f" {name}; declare the kernel by hand (kernels.custom(name, flops=, bytes=))"
        )
    return Counted(
        name=name,
        flops=max(cost.get("flops", 0.0), 0.0),
        bytes=max(cost.get("bytes accessed", 0.0), 0.0),
        transcendentals=max(cost.get("transcendentals", 0.0), 0.0),
        dtype=argument_dtype(args, kwargs),
        counted_by=f"XLA cost analysis (jax {jax.__version__}, {backend})",
    )


def merged(analysis: Any) -> dict[str, float] | None:
    """The cost analysis as one dict: jax returns a dict (0.4.30 and later), or a list of
    dicts, one per computation (earlier); none at all on some backends."""
    parts = analysis if isinstance(analysis, (list, tuple)) else [analysis]
    total: dict[str, float] = {}
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        for key in COST_KEYS:
            value = part.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0.0) + float(value)
    return total or None


def argument_dtype(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """The dtype of the largest array argument, which picks the peak the work is bounded
    by (fp32 when no argument is an array of a dtype the catalog knows)."""
    arrays = [a for a in (*args, *kwargs.values()) if hasattr(a, "dtype") and hasattr(a, "size")]
    for array in sorted(arrays, key=lambda a: -int(getattr(a, "size", 0))):
        try:
            return canonical_dtype(str(array.dtype))
        except RooflineError:
            continue
    return "fp32"
