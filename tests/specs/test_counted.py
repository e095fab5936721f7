"""Work counted by XLA (specs/counted.py, kernels.from_jax), on jax's CPU backend.

Each count is checked against a hand count, with its formula: XLA's cost analysis counts
a multiply-add as 2 FLOPs, as the roofline notes do ("Matrix Multiplication"), and an
elementwise or reduction operation as 1 FLOP per element.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from pytest_roofline import kernels
from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs.counted import argument_dtype, is_jax_function, merged

jax = pytest.importorskip("jax")
jnp = jax.numpy
lax = jax.lax


def test_a_matmul_is_counted_as_by_hand() -> None:
    # 256x512 @ 512x128 fp32: 2·M·N·K FLOPs, 4 B · (MK + KN + MN) bytes.
    k = kernels.from_jax(lambda a, b: a @ b, jnp.ones((256, 512)), jnp.ones((512, 128)))
    assert k.flops == 2 * 256 * 128 * 512 == 33_554_432
    assert k.bytes == 4 * (256 * 512 + 512 * 128 + 256 * 128) == 917_504
    assert k.dtype == "fp32"
    assert k.name == "<lambda>"
    assert k.counted_by is not None
    assert k.counted_by.startswith(f"XLA cost analysis (jax {jax.__version__}, cpu)")


def test_a_batched_matmul() -> None:
    # 8 products of 128x256 @ 256x64: 2·B·M·N·K FLOPs.
    def bmm(a: Any, b: Any) -> Any:
        return a @ b

    k = kernels.from_jax(bmm, jnp.ones((8, 128, 256)), jnp.ones((8, 256, 64)))
    assert k.flops == pytest.approx(2 * 8 * 128 * 64 * 256, rel=0.01)
    assert k.name == "bmm"


def test_a_convolution_counts_only_the_taps_inside_the_image() -> None:
    # NHWC 4x32x32x16 by a 3x3x16x32 filter, stride 1, SAME padding: an output pixel at
    # the border sees 2 of the 3 taps along that axis, so per axis the taps in the image
    # are 30·3 + 2·2 = 94, and in all 94² = 8,836 (not 32²·9 = 9,216). FLOPs = 2·N·C_out·
    # C_in·8,836 = 36,192,256.
    def conv(x: Any, w: Any) -> Any:
        return lax.conv_general_dilated(
            x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )

    k = kernels.from_jax(conv, jnp.ones((4, 32, 32, 16)), jnp.ones((3, 3, 16, 32)))
    assert k.flops == pytest.approx(2 * 4 * 32 * 16 * 94 * 94, rel=0.01)


def test_an_attention_block() -> None:
    # softmax(Q Kᵀ / sqrt(D)) V for B=2, H=4, S=128, D=64: QKᵀ and PV are 2·B·H·S²·D FLOPs
    # each; per score, the scaling, the row max, the subtraction, the row sum and the
    # division are 1 FLOP each (5·B·H·S²), and the exponential is a transcendental
    # (B·H·S² of them).
    b, h, s, d = 2, 4, 128, 64

    def attention(q: Any, k: Any, v: Any) -> Any:
        scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / jnp.sqrt(d)
        return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(scores, axis=-1), v)

    q = jnp.ones((b, h, s, d), jnp.float32)
    k = kernels.from_jax(attention, q, q, q)
    assert k.flops == pytest.approx(4 * b * h * s * s * d + 5 * b * h * s * s, rel=0.01)
    assert k.transcendentals == b * h * s * s


def test_the_dtype_is_the_largest_arrays() -> None:
    big, small = jnp.ones((512, 512), jnp.bfloat16), jnp.ones((4,), jnp.float32)
    assert kernels.from_jax(lambda a, b: a.sum() + b.sum(), big, small).dtype == "bf16"
    assert argument_dtype((3, "x"), {}) == "fp32"


def test_a_jitted_function_is_used_as_it_is() -> None:
    jitted = jax.jit(lambda x: x * 2.0)
    assert is_jax_function(jitted)
    assert not is_jax_function(lambda x: x)
    k = kernels.from_jax(jitted, jnp.ones((1000,)))
    assert k.flops == 1000  # one multiply per element
    assert k.bytes == 8000  # 4 B read and 4 B written per element


@pytest.mark.parametrize(
    ("analysis", "expected"),
    [
        (
            {"flops": 10.0, "bytes accessed": 4.0, "utilization0{}": 1.0},
            {"flops": 10.0, "bytes accessed": 4.0},
        ),
        # jax before 0.4.30: a list, one dict per computation.
        (
            [{"flops": 10.0}, {"flops": 5.0, "transcendentals": 2.0}],
            {"flops": 15.0, "transcendentals": 2.0},
        ),
        (None, None),
        ([], None),
        ([None], None),
    ],
)
def test_the_cost_analysis_of_every_jax_version(analysis: Any, expected: Any) -> None:
    assert merged(analysis) == expected


class NoCostBackend:
    """A compiled function whose backend reports no cost analysis (as some do)."""

    __name__ = "custom_call"

    def lower(self, *args: Any, **kwargs: Any) -> NoCostBackend:
        return self

    def compile(self) -> NoCostBackend:
        return self

    def cost_analysis(self) -> None:
        return None

    def __call__(self, *args: Any) -> None:
        return None


def test_a_backend_without_a_cost_analysis_is_one_line() -> None:
    with pytest.raises(DeclarationError) as error:
        kernels.from_jax(NoCostBackend(), jnp.ones(3))
    message = str(error.value)
    assert "\n" not in message
    assert "reports no cost analysis for custom_call; declare the kernel by hand" in message


def test_a_function_that_does_not_compile_is_one_line() -> None:
    with pytest.raises(DeclarationError) as error:
        kernels.from_jax(lambda a, b: a @ b, jnp.ones((3, 4)), jnp.ones((5, 6)))
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("kernels.from_jax(): <lambda> does not compile for these arguments:")


def test_without_jax_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax now raises ImportError
    with pytest.raises(DeclarationError, match=r"needs jax: pip install 'pytest-roofline\[jax\]'"):
        kernels.from_jax(lambda x: x, 1.0)
