"""Matrix products: compute-bound, judged against this machine's measured FLOP/s.

BLAS GEMMs run close to the machine's peak, so their budgets are high; the small one
pays a larger share of overheads, so its budget is lower. Shapes are declared in the
test, through the fixture, because the marker cannot know parametrized sizes.
"""

import numpy as np
import pytest

from pytest_roofline import kernels
from pytest_roofline.machine.probes import stream_bytes


@pytest.mark.roofline(min_utilization=0.3)
@pytest.mark.parametrize("n", [256, 512, 1024])
def test_square_sgemm(roofline, n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    roofline.declare(kernels.matmul(n, n, n, dtype="fp32"))
    roofline.measure(np.matmul, a, b, out=out)


@pytest.mark.roofline(kernels.matmul(1024, 1024, 1024, dtype="fp64"), min_utilization=0.3)
def test_dgemm(roofline):
    a = np.ones((1024, 1024))
    out = np.empty_like(a)
    roofline.measure(np.matmul, a, a, out=out)


ROWS = stream_bytes() // (4 * 4096)  # a matrix four times the last-level cache


@pytest.mark.roofline(kernels.matmul(ROWS, 4096, 1, dtype="fp32"), min_utilization=0.3)
def test_gemv_is_memory_bound(roofline):
    # A matrix-vector product reads the whole matrix once for 2 FLOPs per element:
    # intensity ~ 0.5 FLOP/B, far below any CPU's ridge point.
    a = np.ones((ROWS, 4096), np.float32)
    x = np.ones(4096, np.float32)
    assert roofline.bound.bottleneck == "memory"
    roofline.measure(np.dot, a, x)
