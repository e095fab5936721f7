"""How a verdict says its figures: a kernel's in seconds, serving's in tokens per second,
what to check when work beats its roofline, and what a wide spread of rounds means.

Kept apart from :mod:`.record` so the words can be read, and changed, in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_roofline.core.units import format_seconds

KERNEL_ADVICE = (
    "check the declared FLOPs and bytes, whether the data sat in a cache, and the"
    " hardware's ceilings"
)
"""What to check when a kernel beats its roofline."""


def speaker(batch: float | None) -> Callable[[float], str]:
    """How a time of the bounded work is said: seconds for a kernel; for serving, the
    tokens per second an iteration of ``batch`` tokens in that time gives."""
    if not batch:
        return format_seconds
    return lambda seconds: f"{batch / seconds:,.0f} tokens/s"


def serving_advice(batch: float) -> str:
    """What to check when serving work beats its roofline: first the batch its figures
    were converted with, which a time per token multiplies."""
    return (
        f"check the batch: the bound is for {batch:,.0f} tokens per iteration, and a time"
        " per token converted with a larger batch than the engine ran comes out too fast"
        " (declare batch_size=, or report the engine's file, whose max_concurrency gives"
        " it); then the model, the GPU count and the hardware's ceilings"
    )


def spread(cv: float) -> str:
    """The rounds' coefficient of variation, with what a large one means."""
    if cv <= NOISY_CV:
        return f"CV {cv:.1%} (the rounds' spread)"
    return (
        f"CV {cv:.1%} (the rounds' spread: some ran far slower, as a neighbour's load"
        " makes them; the best stretch leaves them out)"
    )


NOISY_CV = 0.1
"""A spread of the rounds above which a reader is told what it means."""
