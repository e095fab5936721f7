"""``bound()``: the one entry to the roofline, for a kernel or a serving workload.

Each kind of work has its own physics (:mod:`.bound` for kernels, :mod:`.serving` for an
engine's iteration); this module picks the one that applies, so neither needs the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from pytest_roofline.errors import DeclarationError
from pytest_roofline.physics.bound import Bound, kernel_bound
from pytest_roofline.physics.serving import ServingBound, serving_bound
from pytest_roofline.specs.catalog import LOCAL
from pytest_roofline.specs.hardware import Hardware, default_catalog
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.specs.serving import ServingConfig


def hardware_for(
    work: Kernel | ServingConfig,
    chosen: Sequence[str | Hardware | None] = (),
    default: str | Hardware | None = None,
) -> str | Hardware:
    """The hardware ``work`` is bounded on: the one order of precedence, written once.

    The first of ``chosen`` given (the caller's choices, most specific first: a test's
    ``declare()``, then its marker), then a ServingConfig's own ``hardware``, then
    ``default`` (the session's), then ``local`` for a kernel. Serving work has no
    implicit device: a model's throughput on "this CPU" is nobody's question.
    """
    __tracebackhide__ = True
    own = work.hardware if isinstance(work, ServingConfig) else None
    for choice in (*chosen, own, default):
        if choice is not None:
            return choice
    if isinstance(work, ServingConfig):
        raise DeclarationError(
            f"{work.label}: name the hardware (ServingConfig(hardware=...), the"
            " marker's hardware= or --roofline-hardware)"
        )
    return LOCAL


def bound_on(work: Kernel | ServingConfig, device: Hardware) -> Bound:
    """The bound of ``work`` on a resolved device: each kind of work's own physics."""
    __tracebackhide__ = True
    if isinstance(work, ServingConfig):
        return serving_bound(work, device)
    if isinstance(work, Kernel):
        return kernel_bound(work, device)
    raise DeclarationError(f"bound() needs a Kernel or a ServingConfig, got {type(work).__name__}")


@overload
def bound(work: Kernel, hardware: Hardware | str | None = None) -> Bound: ...


@overload
def bound(work: ServingConfig, hardware: Hardware | str | None = None) -> ServingBound: ...


def bound(work: Kernel | ServingConfig, hardware: Hardware | str | None = None) -> Bound:
    """The roofline bound of ``work`` on ``hardware`` (a Hardware, a catalog name, "local").

    For a kernel (hardware default ``local``):

        time = max(FLOPs / peak(dtype), bytes / memory bandwidth,
                   network bytes / interconnect bandwidth)

    For a :class:`~pytest_roofline.specs.serving.ServingConfig`, the bound of one dense
    iteration (hardware default: the config's own); see :mod:`pytest_roofline.physics.serving`.
    """
    __tracebackhide__ = True
    if not isinstance(work, (Kernel, ServingConfig)):
        raise DeclarationError(
            f"bound() needs a Kernel or a ServingConfig, got {type(work).__name__}"
        )
    return bound_on(work, default_catalog().lookup(hardware_for(work, (hardware,))))
