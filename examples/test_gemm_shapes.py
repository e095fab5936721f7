"""A parametrized sweep across the roofline: one matrix, from GEMV to a wide GEMM.

A matrix of M x 4096 fp32 values (M chosen so it is four times the last-level cache,
as the memory ceiling is calibrated: a smaller one partly stays in cache between calls
and beats the DRAM bound) times a 4096 x n block does 2 * M * 4096 * n FLOPs while
moving the matrix once, so its intensity grows with n: 0.5 FLOP/B at n = 1 (a GEMV,
memory-bound on every machine), about n/2 while n is small, over 100 FLOP/B at
n = 256 (compute-bound on every machine). The report shows the bottleneck cross the
machine's ridge point between n = 4 and n = 16 on a typical CPU.

Each shape has its own budget: BLAS runs wide GEMMs near peak, but a GEMV reaches only
part of the bandwidth that the all-core calibration measures.
"""

import numpy as np
import pytest

from pytest_roofline import kernels
from pytest_roofline.machine.probes import stream_bytes

K = 4096
M = stream_bytes() // (4 * K)
BUDGETS = {1: 0.3, 4: 0.1, 16: 0.15, 64: 0.3, 256: 0.4}
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
