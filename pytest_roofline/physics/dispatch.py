"""``bound()``: the one entry to the roofline, for a kernel or a serving workload.

Each kind of work has its own physics (:mod:`.bound` for kernels, :mod:`.serving` for an
engine's iteration); this module picks the one that applies, so neither needs the other.
"""

from __future__ import annotations

from typing import overload

from pytest_roofline.errors import DeclarationError
from pytest_roofline.physics.bound import Bound, kernel_bound
from pytest_roofline.physics.serving import ServingBound, serving_bound
from pytest_roofline.physics.serving import resolve_hardware as serving_hardware
from pytest_roofline.specs.hardware import Hardware, default_catalog
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.specs.serving import ServingConfig


@overload
def bound(work: Kernel, hardware: Hardware | str | None = None) -> Bound: ...


@overload
def bound(work: ServingConfig, hardware: Hardware | str | None = None) -> ServingBound: ...


def bound(work: Kernel | ServingConfig, hardware: Hardware | str | None = None) -> Bound:
    """The roofline bound of ``work`` on ``hardware`` (a Hardware, a catalog name, "local").

    For a kernel (hardware default ``local``):

        time = max(FLOPs / peak(dtype), bytes / memory bandwidth,
                   network bytes / interconnect bandwidth)

    For a :class:`~pytest_roofline.physics.serving.ServingConfig`, the bound of one dense
    iteration (hardware default: the config's own); see :mod:`pytest_roofline.physics.serving`.
    """
    __tracebackhide__ = True
    if isinstance(work, ServingConfig):
        return serving_bound(work, serving_hardware(work, hardware))
    if not isinstance(work, Kernel):
        raise DeclarationError(
            f"bound() needs a Kernel or a ServingConfig, got {type(work).__name__}"
        )
    return kernel_bound(work, default_catalog().lookup(hardware or "local"))
