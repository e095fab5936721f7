"""A declaration checked against the work counted (verdict/counting.py), through the
Recorder as the fixture uses it: XLA's count for a JAX function, the arrays' bytes for
numpy, and a test with nothing declared bounded by XLA's count."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pytest_roofline import Recorder, kernels
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.counting import compulsory_bytes

NODEID = "tests/test_x.py::test_x"


def recorder(work: Any = None, *, strict_work: bool = False) -> Recorder:
    return Recorder(
        NODEID,
        catalog=default_catalog(),
        default_hardware="h100-sxm",
        kernel=work,
        strict_work=strict_work,
    )


QUICK = {"rounds": 5, "warmup": 1, "max_time": 0.05}


def test_numpy_bytes_below_the_arrays_are_flagged() -> None:
    # a + b on 1M float32 elements: 4 MB in each input and in the output, 12 MB that
    # must be read or written at least once. A declaration of a tenth of that is wrong.
    a, b = np.ones(1_000_000, np.float32), np.ones(1_000_000, np.float32)
    assert compulsory_bytes((a, b), {}, a + b) == 12_000_000
    low = kernels.custom("add", flops=1e6, bytes=1.2e6, dtype="fp32")
    r = recorder(low)
    r.measure(np.add, a, b, **QUICK)
    notes = r.record()["notes"]
    assert (
        "declared bytes 1.2 MB are fewer than the 12 MB the call's numpy arrays hold (each"
        " read or written once: a lower bound on the bytes moved)" in notes
    )
    right = recorder(kernels.elementwise(1_000_000, "fp32", inputs=2, outputs=1))
    right.measure(np.add, a, b, **QUICK)
    assert not any("declared bytes" in note for note in right.record()["notes"])


def test_an_output_written_in_place_counts_once() -> None:
    a = np.ones(1000, np.float64)
    assert compulsory_bytes((a,), {"out": a}, a) == 8000


def test_strict_work_fails_a_test_that_would_pass() -> None:
    a, b = np.ones(1_000_000, np.float32), np.ones(1_000_000, np.float32)
    low = kernels.custom("add", flops=1e6, bytes=1.2e6, dtype="fp32")
    r = recorder(low, strict_work=True)
    r.measure(np.add, a, b, **QUICK)
    record = r.record()
    assert record["outcome"] == "failed"
    assert record["message"].startswith("roofline: add fp32: declared bytes 1.2 MB are fewer")
    assert record["message"].endswith("(--roofline-strict-work)")


jax = pytest.importorskip("jax")
jnp = jax.numpy


def test_nothing_declared_measures_the_work_xla_counts() -> None:
    # 256x512 @ 512x128 fp32: 2·M·N·K = 33,554,432 FLOPs and 917,504 bytes (hand counts).
    matmul = jax.jit(lambda a, b: a @ b)
    a, b = jnp.ones((256, 512)), jnp.ones((512, 128))
    r = recorder()
    r.measure(matmul, a, b, **QUICK)
    record = r.record()
    assert record["workload"]["flops"] == 33_554_432
    assert record["workload"]["bytes"] == 917_504
    assert record["workload"]["counted_by"].startswith("XLA cost analysis (jax ")
    assert record["measured_seconds"] > 0
    assert any(note.startswith("work counted by XLA cost analysis") for note in record["notes"])


def test_a_declaration_ten_times_too_few_bytes_is_flagged() -> None:
    matmul = jax.jit(lambda a, b: a @ b)
    a, b = jnp.ones((256, 512)), jnp.ones((512, 128))
    wrong = kernels.custom("matmul", flops=33_554_432, bytes=91_750, dtype="fp32")
    r = recorder(wrong)
    r.measure(matmul, a, b, **QUICK)
    notes = r.record()["notes"]
    flagged = [n for n in notes if n.startswith("declared bytes")]
    assert len(flagged) == 1
    assert flagged[0].startswith("declared bytes 91.8 kB differ from the 918 kB counted by XLA")
    assert not any(n.startswith("declared FLOPs") for n in notes)  # those agree
    right = recorder(kernels.matmul(256, 128, 512, "fp32"))
    right.measure(matmul, a, b, **QUICK)
    assert not any(n.startswith("declared") for n in right.record()["notes"])


def test_a_jax_function_is_timed_to_its_result() -> None:
    # Without waiting for the result, a timer measures JAX's dispatch alone: the
    # measured time of a 1024^3 product on 2 cores would be microseconds.
    matmul = jax.jit(lambda a, b: a @ b)
    a = jnp.ones((1024, 1024))
    r = recorder(kernels.matmul(1024, 1024, 1024, "fp32"))
    measured = r.measure(matmul, a, a, **QUICK)
    # 2.1 GFLOP on this CPU: well above 1 ms, whatever its speed (under 2 TFLOP/s).
    assert measured.median > 2 * 1024**3 / 2e12
