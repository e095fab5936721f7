"""Work counted by the compiler: nothing declared, XLA counts what the function does.

A jitted JAX function carries its own count: XLA's cost analysis gives the FLOPs and the
bytes of exactly the shapes and dtypes it was compiled for. So a test may declare
nothing; the record says the work was counted, and by what. These run on jax's CPU
backend (``pip install ".[jax]"``); without jax they are skipped.

A declared kernel is checked against the count too: the second test declares the
product by hand, and a declaration that disagreed with XLA by more than 25 % would get a
note (a failure with ``--roofline-strict-work``).
"""

import pytest

from pytest_roofline import kernels

jax = pytest.importorskip("jax")
jnp = jax.numpy

N = 1024


@jax.jit
def matmul(a, b):
    return a @ b


@pytest.mark.roofline(min_utilization=0.1)
def test_matmul_counted_by_xla(roofline):
    a = jnp.ones((N, N), jnp.float32)
    roofline.measure(matmul, a, a)  # 2·N³ FLOPs and 12 MiB, counted by XLA


@pytest.mark.roofline(kernels.matmul(N, N, N, dtype="fp32"), min_utilization=0.1)
def test_matmul_declared_and_checked(roofline):
    a = jnp.ones((N, N), jnp.float32)
    roofline.measure(matmul, a, a)
