"""Kernels: FLOPs and bytes of common operations, counted by hand."""

from __future__ import annotations

import math

import pytest

from pytest_roofline import bound, kernels
from pytest_roofline.errors import (
    DeclarationError,
    RooflineError,
)
from pytest_roofline.specs.kernels import Kernel


@pytest.mark.parametrize("n", [1, 7, 1024, 1_000_000])
def test_dot_fp32_counts(n: int) -> None:
    # Two length-n vectors: n multiplies + n adds = 2n FLOPs; reads 2n fp32 elements (8n
    # bytes) and writes one fp32 result (4 bytes).
    kernel = kernels.dot(n, "fp32")
    assert kernel.flops == 2 * n
    assert kernel.bytes == 8 * n + 4
    assert kernel.network_bytes == 0
    assert kernel.dtype == "fp32"


def test_dot_fp32_intensity_is_a_quarter() -> None:
    # 2N / (8N + 4) -> 1/4 as N grows. The reference notes write 2N / (4N + 4) ~ 1/2: they
    # count 8N + 4 bytes moved and then divide by 4N + 4, forgetting one input vector.
    kernel = kernels.dot(10**9, "fp32")
    assert kernel.intensity == pytest.approx(0.25, rel=1e-6)
    assert kernel.intensity != pytest.approx(0.5, rel=0.1)
    # Small N by hand: 2*4 / (8*4 + 4) = 8 / 36.
    assert kernels.dot(4, "fp32").intensity == pytest.approx(8 / 36)


def test_dot_bytes_scale_with_dtype() -> None:
    # fp16: 2 bytes per element, (2n + 1) elements.
    assert kernels.dot(100, "fp16").bytes == 2 * 201
    assert kernels.dot(100, "fp64").bytes == 8 * 201


def test_matmul_1024_fp32_by_hand() -> None:
    # 2 * 1024**3 = 2,147,483,648 FLOPs; 4 * 3 * 1024**2 = 12,582,912 bytes;
    # 2147483648 / 12582912 = 170.67 FLOP/byte.
    kernel = kernels.matmul(1024, 1024, 1024, "fp32")
    assert kernel.flops == 2_147_483_648
    assert kernel.bytes == 12_582_912
    assert kernel.intensity == pytest.approx(170.67, abs=0.01)


def test_matmul_rectangular_by_hand() -> None:
    # Reference notes, "Matrix Multiplication": [M,N] x [N,K] -> [M,K] moves
    # size * (MN + NK + MK) bytes and does 2MNK FLOPs. M=2, N=3, K=5, bf16:
    # FLOPs 2*2*3*5 = 60; bytes 2 * (6 + 15 + 10) = 62.
    kernel = kernels.matmul(2, 3, 5, "bf16")
    assert kernel.flops == 60
    assert kernel.bytes == 62
    assert kernel.dtype == "bf16"


def test_matmul_counts_are_symmetric_in_the_sizes() -> None:
    a = kernels.matmul(64, 128, 256, "fp16")
    b = kernels.matmul(256, 64, 128, "fp16")
    assert (a.flops, a.bytes) == (b.flops, b.bytes)


@pytest.mark.parametrize("m", [256, 1024, 4096])
def test_fp16_square_matmul_intensity_is_m_over_three(m: int) -> None:
    # 2 m**3 / (2 * 3 m**2) = m / 3. The reference notes write "~ M" (and so "compute-bound
    # on H100 if M > 333"); the correct intensity is M / 3, so the crossing is at M ~ 1000.
    kernel = kernels.matmul(m, m, m, "fp16")
    assert kernel.intensity == pytest.approx(m / 3)
    assert kernel.intensity != pytest.approx(m, rel=0.5)


def test_elementwise_defaults_are_a_plus_b() -> None:
    # a + b over n fp32 elements: 2 reads + 1 write = 12 bytes and 1 FLOP per element.
    kernel = kernels.elementwise(1000)
    assert kernel.flops == 1000
    assert kernel.bytes == 12 * 1000
    assert kernel.dtype == "fp32"


def test_elementwise_custom_counts() -> None:
    # 3 inputs, 2 outputs, 4 FLOPs per element, bf16: bytes 2 * 10 * 5 = 100, FLOPs 40.
    kernel = kernels.elementwise(10, "bf16", inputs=3, outputs=2, flops_per_element=4)
    assert kernel.flops == 40
    assert kernel.bytes == 100


def test_triad_counts() -> None:
    # STREAM triad a = b + s*c (McCalpin, STREAM benchmark): 2 FLOPs and 3 * 4 = 12 bytes
    # per fp32 element.
    kernel = kernels.triad(1_000_000, "fp32")
    assert kernel.flops == 2 * 1_000_000
    assert kernel.bytes == 12 * 1_000_000
    assert kernel.intensity == pytest.approx(2 / 12)


def test_copy_counts() -> None:
    # STREAM copy a = b: no FLOPs, one read and one write, 8 bytes per fp32 element.
    kernel = kernels.copy(1_000_000, "fp32")
    assert kernel.flops == 0
    assert kernel.bytes == 8 * 1_000_000
    assert kernel.intensity == 0


def test_custom_accepts_units() -> None:
    kernel = kernels.custom("gemm-ish", flops="2 GFLOP", bytes="12 MB", network_bytes="1 GiB")
    assert kernel.flops == pytest.approx(2e9)
    assert kernel.bytes == pytest.approx(12e6)
    assert kernel.network_bytes == pytest.approx(2**30)
    assert kernel.intensity == pytest.approx(2e9 / 12e6)
    assert kernel.name == "gemm-ish"


def test_kernel_without_memory_traffic_has_infinite_intensity() -> None:
    assert math.isinf(Kernel(flops=1e9, bytes=0).intensity)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "8", True, None])
@pytest.mark.parametrize(
    ("factory", "argument", "call"),
    [
        ("matmul", "m", lambda v: kernels.matmul(v, 8, 8)),
        ("dot", "n", lambda v: kernels.dot(v)),
        ("elementwise", "n", lambda v: kernels.elementwise(v)),
        ("triad", "n", lambda v: kernels.triad(v)),
        ("copy", "n", lambda v: kernels.copy(v)),
    ],
)
def test_bad_sizes_raise_naming_factory_and_argument(factory: str, argument: str, call, bad):
    with pytest.raises(DeclarationError) as info:
        call(bad)
    message = str(info.value)
    assert message.startswith(f"{factory}: {argument} must be a positive integer")
    assert repr(bad) in message
    assert "\n" not in message


@pytest.mark.parametrize(("position", "argument"), [(0, "m"), (1, "n"), (2, "k")])
def test_matmul_error_names_the_bad_argument(position: int, argument: str) -> None:
    sizes = [8, 8, 8]
    sizes[position] = -3
    with pytest.raises(DeclarationError, match=rf"^matmul: {argument} must be"):
        kernels.matmul(*sizes)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("inputs", -1), ("outputs", 1.5), ("flops_per_element", -2), ("flops_per_element", True)],
)
def test_elementwise_bad_counts(keyword: str, value) -> None:
    with pytest.raises(DeclarationError, match=rf"elementwise: {keyword}"):
        kernels.elementwise(8, **{keyword: value})


def test_integral_float_sizes_are_accepted() -> None:
    assert kernels.dot(1e6).flops == 2e6


def test_kernel_with_no_work_raises() -> None:
    with pytest.raises(DeclarationError, match="work") as info:
        Kernel(flops=0, bytes=0)
    assert "\n" not in str(info.value)


def test_kernel_with_only_network_bytes_is_work() -> None:
    kernel = Kernel(flops=0, bytes=0, network_bytes="1 GB")
    assert kernel.network_bytes == pytest.approx(1e9)


@pytest.mark.parametrize(
    ("field", "value"), [("flops", -1), ("bytes", "-5 GB"), ("network_bytes", "lots")]
)
def test_kernel_negative_or_unreadable_counts(field: str, value) -> None:
    data = {"flops": 1e9, "bytes": 1e6, field: value}
    with pytest.raises(DeclarationError, match=field):
        Kernel(**data)


def test_kernel_rejects_misspelt_field() -> None:
    with pytest.raises(DeclarationError, match="did you mean 'network_bytes'"):
        Kernel(flops=1, bytes=1, network_byte=5)


def test_unknown_dtype_suggests_closest() -> None:
    with pytest.raises(RooflineError, match="did you mean 'fp32'"):
        kernels.matmul(8, 8, 8, "fp33")
    with pytest.raises(DeclarationError, match="did you mean 'fp32'"):
        Kernel(flops=1, bytes=1, dtype="fp33")


def test_dtype_aliases_are_canonicalized() -> None:
    assert kernels.matmul(8, 8, 8, "bfloat16").dtype == "bf16"
    assert Kernel(flops=1, bytes=1, dtype="half").dtype == "fp16"


def test_label_includes_the_dtype() -> None:
    assert kernels.matmul(8, 16, 32, "bf16").label == "matmul 8x16x32 bf16"
    assert kernels.dot(10, "fp16").label == "dot 10 fp16"
    # A name that already states the dtype is not repeated.
    assert kernels.custom("gemm bf16", 1, 1, dtype="bf16").label == "gemm bf16"


def test_factory_names_can_be_overridden() -> None:
    assert kernels.matmul(8, 8, 8, name="attention-qk").name == "attention-qk"
    assert kernels.triad(8, name="stream").name == "stream"


def test_kernel_is_frozen() -> None:
    kernel = kernels.dot(8)
    with pytest.raises(ValueError, match="frozen"):
        kernel.flops = 0  # type: ignore[misc]
    assert kernel.flops == 16


@pytest.mark.parametrize(
    "kernel",
    [
        kernels.matmul(1024, 512, 256, "bf16"),
        kernels.dot(1000, "fp64"),
        kernels.copy(10, "int4"),
        kernels.custom("allreduce", "0 FLOP", "1 GB", network_bytes="2 GB", dtype="fp8"),
    ],
    ids=lambda k: k.label,
)
def test_json_round_trip(kernel: Kernel) -> None:
    back = Kernel.model_validate_json(kernel.model_dump_json())
    assert back == kernel
    assert back.intensity == kernel.intensity


def test_decode_step_of_a_mixture_of_experts_reads_only_the_experts_picked() -> None:
    # Mixtral 8x7B routes each token to 2 of 8 experts (Mistral AI: 12.9e9 of 46.7e9
    # parameters per token). One sequence reads only its 2 experts; with uniform routing
    # B tokens touch 8 * (1 - (3/4)^B) distinct experts per layer, all 8 as B grows.
    from pytest_roofline import Transformer

    mixtral = Transformer.named("mixtral-8x7b")
    # The untied input embedding, 32000 x 4096, is gathered a row per token, not read.
    table = 32000 * 4096
    assert mixtral.gathered_params == pytest.approx(table, rel=1e-12)
    single = kernels.decode_step(mixtral, 1, 1, "bf16")
    assert single.bytes == pytest.approx(
        2 * (mixtral.active_params - table + 4096) + 2 * mixtral.kv_bytes_per_token("bf16"),
        rel=1e-9,
    )
    expert = 3 * 4096 * 14336
    touched = 8 * (1 - 0.75**2)
    expected = 2 * (mixtral.params - 32 * (8 - touched) * expert - table + 2 * 4096)
    assert kernels.decode_step(mixtral, 2, 1, "bf16").bytes == pytest.approx(
        expected + 2 * 2 * mixtral.kv_bytes_per_token("bf16"), rel=1e-9
    )
    many = kernels.decode_step(mixtral, 1024, 1, "bf16")
    assert many.bytes - 1024 * 2 * mixtral.kv_bytes_per_token("bf16") == pytest.approx(
        2 * (mixtral.params - table + 1024 * 4096), rel=1e-6
    )


def test_attention_counts_flops_and_bytes_by_hand() -> None:
    # B=2, H=16, Sq=Skv=1024, d=64, fp16. QK^T and PV: 2 * (2 * B*H*Sq*Skv*d) FLOPs;
    # Q, K, V, O each B*H*S*d elements of 2 bytes (scores never leave the chip, as in
    # FlashAttention, Dao et al. 2022).
    k = kernels.attention(2, 16, 1024, head_dim=64, dtype="fp16")
    assert k.flops == 4 * 2 * 16 * 1024 * 1024 * 64 == 8_589_934_592
    assert k.bytes == 2 * 4 * 2 * 16 * 1024 * 64 == 16_777_216
    assert k.intensity == pytest.approx(512.0)  # = Sq / 2 for fp16 self-attention
    causal = kernels.attention(2, 16, 1024, head_dim=64, dtype="fp16", causal=True)
    assert causal.flops == k.flops / 2
    assert causal.bytes == k.bytes
    # Grouped-query attention: 4 KV heads for 16 query heads move a quarter of K and V.
    gqa = kernels.attention(2, 16, 1024, head_dim=64, dtype="fp16", kv_heads=4)
    assert gqa.bytes == 2 * 2 * 64 * (2 * 16 * 1024 + 2 * 4 * 1024)
    assert gqa.flops == k.flops
    # Decode: one query against 4096 cached keys is memory-bound on an H100.
    decode = kernels.attention(8, 32, 1, 4096, head_dim=128, dtype="bf16", kv_heads=8)
    from pytest_roofline import bound

    assert bound(decode, "h100-sxm").bottleneck == "memory"


def test_attention_rejects_bad_shapes() -> None:
    with pytest.raises(DeclarationError, match="attention: heads must be a positive integer"):
        kernels.attention(1, 0, 128)
    with pytest.raises(DeclarationError, match=r"attention: kv_heads \(5\) must divide heads"):
        kernels.attention(1, 16, 128, kv_heads=5)


def test_decode_step_tensor_parallel_share_by_hand() -> None:
    # LLaMA-2-70B, B=64 sequences of 1280 tokens, fp16, tensor parallel over 8 GPUs. One
    # device's share is 1/8 of the FLOPs and bytes; the network carries two ring
    # all-reduces per layer of B x D_model fp16 values, each sending 2 (N-1)/N of it:
    # 4 * 7/8 * 64 * 8192 * 2 B * 80 layers = 293,601,280 bytes per device per step.
    from pytest_roofline import Transformer

    llama = Transformer.named("llama-2-70b")
    whole = kernels.decode_step(llama, 64, 1280, "fp16")
    share = kernels.decode_step(llama, 64, 1280, "fp16", gpus=8)
    assert share.flops == pytest.approx(whole.flops / 8, rel=1e-12)
    assert share.bytes == pytest.approx(whole.bytes / 8, rel=1e-12)
    assert share.network_bytes == 293_601_280
    assert whole.network_bytes == 0
    assert share.label.endswith("x8 fp16")
    # On A100 SXM4 80GB (2.039 TB/s, NVLink 300 GB/s one way) the step is memory-bound:
    # the weights but the input embedding (32000 x 8192, 64 rows gathered) and the KV
    # cache, (2 * (68.98e9 - 262.1e6 + 64 * 8192) + 64 * 1281 * 327,680) / 8 / 2.039e12.
    b = bound(share, "a100-sxm4-80gb")
    weights = llama.params - 32000 * 8192 + 64 * 8192
    expected = (2 * weights + 64 * 1281 * 327_680) / 8 / 2.039e12
    assert b.bottleneck == "memory"
    assert b.seconds == pytest.approx(expected, rel=1e-9)
    assert b.seconds == pytest.approx(10.07e-3, rel=1e-3)


def test_decode_step_rejects_a_bad_gpu_count() -> None:
    with pytest.raises(DeclarationError, match=r"decode_step: gpus must be a positive integer"):
        kernels.decode_step("llama-2-7b", 1, 1, gpus=0)
