"""Figures measured elsewhere, judged against a catalog device's datasheet ceilings.

A GPU job (or a serving engine's benchmark) reports its time; the test only checks it
against the roofline of the hardware it ran on. No GPU is needed to run this example.
"""

import pytest

from pytest_roofline import kernels

# A bf16 GEMM of 8192^3 on an H100 SXM: 2 * 8192**3 FLOPs at 989 TFLOP/s dense is 1.11 ms.
GEMM = kernels.matmul(8192, 8192, 8192, dtype="bf16")


@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.6)
def test_cublas_gemm_figure(roofline):
    measured_tflops = 720e12  # e.g. read from a benchmark's output file
    roofline.report(flops_per_second=measured_tflops)
    assert roofline.utilization == pytest.approx(720 / 989)
