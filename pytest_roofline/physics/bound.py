"""The roofline itself: the fastest a piece of work can run on a piece of hardware.

Each resource (compute, memory, interconnect) alone sets a lower limit on the time; the
work cannot finish before the slowest of them, so the bound is their maximum and the
resource that sets it is the bottleneck (Williams, Waterman and Patterson, "Roofline: an
insightful visual performance model", CACM 52(4), 2009).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.kernels import Kernel

Bottleneck = Literal["compute", "memory", "network"]


class Bound(BaseModel):
    """The roofline time of one piece of work and what sets it.

    >>> from pytest_roofline import bound, kernels
    >>> b = bound(kernels.dot(1_000_000, "fp32"), "h100-sxm")
    >>> b.bottleneck, round(b.intensity, 3)
    ('memory', 0.25)
    """

    model_config = ConfigDict(frozen=True)

    seconds: float
    compute_seconds: float
    memory_seconds: float
    network_seconds: float
    bottleneck: Bottleneck
    intensity: float
    """FLOP per byte of memory traffic of the work."""
    ridge_point: float
    """FLOP per byte at which the hardware turns from memory- to compute-bound."""
    attainable_flops_per_second: float
    """The FLOP rate the work can reach at best: FLOPs / seconds = min(peak, I·BW)."""
    peak_flops_per_second: float
    memory_bandwidth: float
    """The bandwidth of the memory level the work is served from."""
    memory_level: str = "memory"
    """"memory" (HBM, DRAM), or the cache ("L2") that holds the working set."""
    hardware: str
    dtype: str
    ceiling_uncertainty: float = 0.0
    """Relative uncertainty of the hardware's ceilings (0 for datasheet figures)."""

    def utilization(self, measured_seconds: float) -> float:
        """Achieved fraction of the bound: bound time / measured time."""
        if not measured_seconds > 0:
            raise DeclarationError(f"measured time must be > 0 seconds, got {measured_seconds!r}")
        return self.seconds / measured_seconds


def kernel_bound(work: Kernel, device: Hardware) -> Bound:
    """The roofline bound of a kernel on a resolved device."""
    __tracebackhide__ = True
    peak = device.peak(work.dtype)
    t_compute = work.flops / peak
    memory_level, bandwidth = device.bandwidth_for(work.working_set)
    t_memory = work.bytes / bandwidth
    if work.network_bytes == 0:
        t_network = 0.0
    elif device.interconnect_bandwidth is None:
        raise DeclarationError(
            f"{work.label} moves {work.network_bytes:g} network bytes but hardware"
            f" {device.name!r} declares no interconnect_bandwidth"
        )
    else:
        t_network = work.network_bytes / device.interconnect_bandwidth_for(work.devices)
    # The slowest resource sets the bound; on a tie the earlier one is named.
    bottleneck: Bottleneck = "compute"
    seconds = t_compute
    if t_memory > seconds:
        bottleneck, seconds = "memory", t_memory
    if t_network > seconds:
        bottleneck, seconds = "network", t_network
    if not (math.isfinite(seconds) and seconds > 0):
        raise DeclarationError(
            f"{work.label}: its bound comes out as {seconds!r} s on {device.name}, not a finite"
            " time > 0; check the FLOPs and bytes declared"
        )
    return Bound.model_validate(  # faster than the constructor (see results.evaluate)
        dict(
            seconds=seconds,
            compute_seconds=t_compute,
            memory_seconds=t_memory,
            network_seconds=t_network,
            bottleneck=bottleneck,
            intensity=work.intensity,
            ridge_point=peak / bandwidth,
            attainable_flops_per_second=work.flops / seconds,
            peak_flops_per_second=peak,
            memory_bandwidth=bandwidth,
            memory_level=memory_level,
            hardware=device.name,
            dtype=work.dtype,
            ceiling_uncertainty=device.ceiling_uncertainty,
        )
    )
