"""A parametrized sweep across the roofline: one matrix, from GEMV to a wide GEMM.

A 4096 x 4096 fp32 matrix times a 4096 x n block does 2 * 4096 * 4096 * n FLOPs and
moves about 64 MiB of matrix plus the two blocks, so its intensity grows with n:
0.5 FLOP/B at n = 1 (a GEMV: memory-bound on every machine), about n/2 while n is
small, 114 FLOP/B at n = 256 (compute-bound on every machine). The report shows the
bottleneck cross the machine's ridge point between n = 4 and n = 16 on a typical CPU.

Each shape has its own budget: BLAS runs wide GEMMs near peak, but a GEMV in one
thread reaches only part of the bandwidth that the all-core calibration measures.
"""

import numpy as np
import pytest

from pytest_roofline import kernels

M = K = 4096
BUDGETS = {1: 0.1, 4: 0.1, 16: 0.1, 64: 0.15, 256: 0.25}
SHAPES = [
    pytest.param(n, marks=pytest.mark.roofline(min_utilization=b)) for n, b in BUDGETS.items()
]


@pytest.fixture(scope="module")
def matrix():
    return np.random.default_rng(0).standard_normal((M, K), dtype=np.float32)


@pytest.mark.parametrize("n", SHAPES)
def test_gemm_from_gemv_to_wide(roofline, matrix, n):
    block = np.random.default_rng(n).standard_normal((K, n), dtype=np.float32)
    out = np.empty((M, n), np.float32)
    roofline.declare(kernels.matmul(M, K, n, dtype="fp32"))
    roofline.measure(np.matmul, matrix, block, out=out)
