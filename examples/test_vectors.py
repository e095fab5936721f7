"""Vector kernels: memory-bound, judged against this machine's measured bandwidth.

Each array is four times the last-level cache (at least 64 MiB), the size the ceiling is
calibrated with, so the data must come from DRAM: smaller arrays partly stay in cache
between calls and can run "faster than the roofline". numpy runs these in one thread
while the bandwidth ceiling is measured with every core, part of the gap the report shows.
"""

import numpy as np
import pytest

from pytest_roofline import kernels
from pytest_roofline.machine.probes import stream_bytes

N = stream_bytes() // 4  # fp32 elements per array


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal(N, dtype=np.float32),
        rng.standard_normal(N, dtype=np.float32),
        np.empty(N, np.float32),
    )


@pytest.mark.roofline(kernels.copy(N, "fp32"), min_utilization=0.2)
def test_copy(roofline, vectors):
    source, _, target = vectors
    roofline.measure(np.copyto, target, source)


@pytest.mark.roofline(kernels.dot(N, "fp32"), min_utilization=0.2)
def test_dot(roofline, vectors):
    a, b, _ = vectors
    roofline.measure(np.dot, a, b)


@pytest.mark.roofline(kernels.triad(N, "fp32"), min_utilization=0.1)
def test_triad_unfused(roofline, vectors):
    # a = b + 3 * c in numpy is two passes (multiply, then add), five array transfers
    # where a fused triad needs three: it cannot reach more than 3/5 of the bound.
    b, c, a = vectors

    def triad():
        np.multiply(c, np.float32(3.0), out=a)
        np.add(a, b, out=a)

    roofline.measure(triad)
