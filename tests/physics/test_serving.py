"""The serving bound against published figures, closed forms computed by hand, and properties.

Formulas: the reference notes (CSE 599K, "Performance Modeling for LLM Serving Systems")
and NanoFlow (Zhu et al., arXiv 2408.12757, section 3):

    T_memory  = GPU_mem / MemBW   (at B_dense; a smaller given batch reads
                                 the weights and its own KV cache only)
    T_compute = 2 · B_dense · P_model / Compute
    T_net     = 4 · (N_GPU - 1) · D_model · B_dense · S_type · L / NetBW
    optimal   = Compute / (2 · P_model) tokens/s

with aggregate figures over the N_GPU devices and NetBW one direction of each device's links.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_roofline import (
    DeclarationError,
    Hardware,
    RooflineError,
    ServingConfig,
    Transformer,
    bound,
    kernels,
)

# A100 SXM4 80GB datasheet: 312 TFLOP/s dense fp16, 80 GB, 2,039 GB/s, NVLink 600 GB/s both
# directions (300 one way).
A100_FP16 = 312e12
A100_MEMORY = 80e9
A100_BANDWIDTH = 2.039e12
A100_NVLINK = 300e9

# LLaMA-2-70B (meta-llama/Llama-2-70b-hf config.json and its 68,976,648,192 parameters).
LLAMA_70B_PARAMS = 68_976_648_192
LLAMA_70B_HIDDEN = 8192
LLAMA_70B_LAYERS = 80
LLAMA_70B_KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V · L · kv_heads · head_dim · fp16


def a100_like(name: str, **link: object) -> Hardware:
    """An A100 SXM4 80GB (compute and memory) with the interconnect given in ``link``."""
    return Hardware(
        name=name,
        peak_flops={"fp16": A100_FP16},
        memory_capacity=A100_MEMORY,
        memory_bandwidth=A100_BANDWIDTH,
        **link,  # type: ignore[arg-type]
    )


def nominal(name: str, params: float) -> Transformer:
    """A catalog model with the parameter count a paper uses ("70B" = 70e9)."""
    return Transformer(**{**Transformer.named(name).model_dump(), "params": params})


def serve(model: str | Transformer = "llama-2-70b", **kwargs: object) -> ServingConfig:
    options: dict[str, object] = {
        "hardware": "a100-sxm4-80gb",
        "gpus": 8,
        "prompt_tokens": 1024,
        "decode_tokens": 512,
    }
    options.update(kwargs)
    return ServingConfig(model=model, **options)  # type: ignore[arg-type]


# -- (1) NanoFlow's optimal throughput -------------------------------------------------


def test_optimal_throughput_nanoflow_1857_tokens_per_gpu() -> None:
    # NanoFlow (arXiv 2408.12757), section 3: "1857 tokens/s/GPU" for a 70B model on A100,
    # with Compute = 260 TFLOP/s, the GEMM peak CUTLASS measures on A100 (not the datasheet's
    # 312); the notes quote the same figure ("LLaMA 70B on A100 -> 1857 tokens/s/GPU").
    a100_measured = Hardware(
        name="a100-cutlass-peak",
        peak_flops={"fp16": 260e12},
        memory_capacity=A100_MEMORY,
        memory_bandwidth=A100_BANDWIDTH,
        interconnect_bandwidth=A100_NVLINK,
    )
    b = bound(serve(nominal("llama-2-70b", 70e9), hardware=a100_measured))
    assert b.optimal_tokens_per_second_per_gpu == pytest.approx(1857.14, abs=0.01)
    assert round(b.optimal_tokens_per_second_per_gpu) == 1857
    assert b.optimal_tokens_per_second == pytest.approx(8 * 260e12 / (2 * 70e9))


def test_optimal_throughput_with_datasheet_peak() -> None:
    # Compute / (2 · P_model) with the datasheet 312 TFLOP/s and the counted parameters.
    b = bound(serve())
    assert b.optimal_tokens_per_second_per_gpu == pytest.approx(
        A100_FP16 / (2 * LLAMA_70B_PARAMS), rel=1e-12
    )
    assert round(b.optimal_tokens_per_second_per_gpu) == 2262


# -- (2) NanoFlow's T_net / T_compute --------------------------------------------------


def test_network_to_compute_nanoflow_0_273() -> None:
    # NanoFlow (arXiv 2408.12757), section 3: T_net / T_compute = 0.273 for LLaMA-2-70B
    # ("70B") on 8 A100s, 312 TFLOP/s fp16 and NVLink 300 GB/s one way.
    b = bound(serve(nominal("llama-2-70b", 70e9)))
    assert b.network_to_compute == pytest.approx(0.2726, abs=1e-4)
    assert round(b.network_to_compute, 3) == 0.273


def test_network_to_compute_closed_form_by_hand() -> None:
    # Notes, "Compute vs Network": T_net/T_compute = 2(N-1)·D·L·S·Compute / (P·NetBW),
    # with aggregate Compute = 8·312e12 and NetBW = 8·300e9.
    n = 8
    compute, net = n * A100_FP16, n * A100_NVLINK
    expected = 2 * (n - 1) * LLAMA_70B_HIDDEN * LLAMA_70B_LAYERS * 2 * compute / (70e9 * net)
    assert expected == pytest.approx(0.27263, abs=1e-5)
    b = bound(serve(nominal("llama-2-70b", 70e9)))
    assert b.network_to_compute == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("gpus", [2, 4, 8])
def test_network_time_by_hand(gpus: int) -> None:
    # T_net = 4 · (N - 1) · D · B · S · L / NetBW, NetBW = N · 300e9 one way. A batch of
    # 96 tokens fits even on 2 GPUs (B_dense there is about 150).
    batch = 96
    b = bound(serve(gpus=gpus, batch_size=batch))
    expected = 4 * (gpus - 1) * LLAMA_70B_HIDDEN * batch * 2 * LLAMA_70B_LAYERS
    expected /= gpus * A100_NVLINK
    assert b.network_seconds == pytest.approx(expected, rel=1e-12)


# -- (3) T_memory / T_compute ----------------------------------------------------------


def test_memory_to_compute_closed_form_by_hand() -> None:
    # Notes, "Compute vs Memory": T_mem/T_compute = Compute·GPU_mem / (MemBW · 2·B·P), at
    # the dense batch, where weights and KV cache fill memory.
    n = 8
    compute, memory, bandwidth = n * A100_FP16, n * A100_MEMORY, n * A100_BANDWIDTH
    b = bound(serve(nominal("llama-2-70b", 70e9)))
    batch = b.batch_size
    expected = compute * memory / (bandwidth * 2 * batch * 70e9)
    assert b.memory_to_compute == pytest.approx(expected, rel=1e-9)
    # T_memory = GPU_mem / MemBW: the whole memory read once, 80e9 / 2.039e12 per device.
    assert b.memory_seconds == pytest.approx(80e9 / 2.039e12, rel=1e-9)
    assert b.bytes_per_iteration == pytest.approx(n * A100_MEMORY, rel=1e-9)
    assert b.compute_seconds == pytest.approx(2 * batch * 70e9 / compute, rel=1e-12)


def test_a_given_batch_reads_its_own_kv_cache_not_all_of_memory() -> None:
    # LLaMA-2-70B fp16 on 8 A100s, p = 1024, d = 512, a batch of 8 tokens. Its requests in
    # flight: 8 · 512/1536 = 2.667, each holding 1024 + 256 tokens of KV cache
    # (327,680 B per token). Bytes per iteration: 2 · 68,976,648,192 of weights
    # + 2.667 · 1280 · 327,680 = 137.953e9 + 1.118e9 = 139.072e9 B, read at
    # 8 · 2.039e12 B/s: 8.526 ms. The decode step of the same batch, bounded alone
    # (kernels.decode_step), takes about as long; the whole of memory (640 GB) would
    # take 39.2 ms, 4.6 times as long.
    b = bound(serve(batch_size=8))
    weights = 2 * LLAMA_70B_PARAMS
    kv = (8 * 512 / 1536) * (1024 + 512 / 2) * LLAMA_70B_KV_PER_TOKEN
    assert b.bytes_per_iteration == pytest.approx(weights + kv, rel=1e-12)
    assert b.bytes_per_iteration == pytest.approx(139.072e9, rel=1e-5)
    assert b.memory_seconds == pytest.approx((weights + kv) / (8 * A100_BANDWIDTH), rel=1e-12)
    assert b.memory_seconds == pytest.approx(8.526e-3, rel=1e-3)
    step = bound(kernels.decode_step("llama-2-70b", 8, 1280, "fp16", gpus=8), "a100-sxm4-80gb")
    assert b.memory_seconds == pytest.approx(step.memory_seconds, rel=0.02)


def test_a_given_batch_that_does_not_fit_is_an_error() -> None:
    # B_dense is about 3,576 tokens here: 4,096 tokens' KV cache does not fit.
    with pytest.raises(DeclarationError, match=r"batch_size 4096 needs 7\d\d\.\d GB .* 640 GB"):
        bound(serve(batch_size=4096))


# -- (4) B_dense from memory -----------------------------------------------------------


def test_dense_batch_by_hand_llama_2_70b() -> None:
    # 8 x A100-80GB, p = 1024, d = 512, fp16. Memory left after the weights, divided by the
    # KV cache of one request at its average length p + d/2, is the requests in flight; each
    # contributes (p + d)/d tokens per iteration.
    free = 640e9 - 2 * LLAMA_70B_PARAMS
    requests = free / (LLAMA_70B_KV_PER_TOKEN * (1024 + 256))
    expected = requests * 1536 / 512
    assert expected == pytest.approx(3591, abs=1)
    b = bound(serve())
    assert b.batch_size == pytest.approx(expected, rel=1e-12)
    assert b.kv_bytes_per_token == LLAMA_70B_KV_PER_TOKEN
    assert b.weight_bytes == 2 * LLAMA_70B_PARAMS
    assert b.bottleneck == "compute"


def test_dense_batch_grows_with_gpus() -> None:
    # 4 GPUs leave 320e9 - 137.95e9 for the cache, 8 GPUs 640e9 - 137.95e9.
    four, eight = bound(serve(gpus=4)), bound(serve(gpus=8))
    ratio = (640e9 - 2 * LLAMA_70B_PARAMS) / (320e9 - 2 * LLAMA_70B_PARAMS)
    assert eight.batch_size / four.batch_size == pytest.approx(ratio, rel=1e-12)


def test_kv_dtype_doubles_the_batch() -> None:
    # An fp8 KV cache holds twice the tokens of an fp16 one in the same memory.
    fp16, fp8 = bound(serve()), bound(serve(kv_dtype="fp8"))
    assert fp8.batch_size == pytest.approx(2 * fp16.batch_size, rel=1e-12)
    assert fp8.kv_bytes_per_token == LLAMA_70B_KV_PER_TOKEN / 2


# -- (5) GQA ---------------------------------------------------------------------------


def test_gqa_multiplies_the_batch_by_the_group_size() -> None:
    # Same nominal parameters, so the same memory is left for the cache: the batch differs
    # by exactly the KV cache ratio, 64 / 8 KV heads.
    gqa = nominal("llama-2-70b", 70e9)
    mha = Transformer(**{**gqa.model_dump(), "kv_heads": 64})
    with_gqa, without = bound(serve(gqa)), bound(serve(mha))
    assert mha.kv_bytes_per_token() / gqa.kv_bytes_per_token() == 8
    assert with_gqa.batch_size / without.batch_size == pytest.approx(8, rel=1e-12)
    assert without.memory_to_compute == pytest.approx(8 * with_gqa.memory_to_compute, rel=1e-12)
    assert without.memory_to_compute > with_gqa.memory_to_compute


def test_gqa_counted_parameters() -> None:
    # Counted from the architecture, multi-head k/v projections also add 2·80·8192·7168
    # parameters, so even less memory is left: the batch shrinks by more than 8.
    gqa = Transformer.named("llama-2-70b")
    mha = Transformer(**{**gqa.model_dump(exclude={"params"}), "kv_heads": 64})
    assert mha.params - gqa.params == 2 * 80 * 8192 * (8192 - 1024)
    free_gqa = 640e9 - 2 * gqa.params
    free_mha = 640e9 - 2 * mha.params
    expected = 8 * free_gqa / free_mha
    with_gqa, without = bound(serve(gqa)), bound(serve(mha))
    assert with_gqa.batch_size / without.batch_size == pytest.approx(expected, rel=1e-12)
    assert with_gqa.batch_size / without.batch_size > 8


# -- (6) one GPU -----------------------------------------------------------------------


def test_one_gpu_has_no_network_time() -> None:
    b = bound(serve("llama-2-7b", gpus=1))
    assert b.network_seconds == 0
    assert b.network_to_compute == 0
    assert b.bottleneck != "network"


def test_one_gpu_without_interconnect() -> None:
    # The L4 has no NVLink (NVIDIA L4 datasheet); one GPU needs none.
    b = bound(serve("llama-2-7b", hardware="l4", gpus=1))
    assert b.network_seconds == 0
    assert b.memory_seconds == pytest.approx(24e9 / 300e9, rel=1e-12)


# -- (7) per-request and decode throughput ---------------------------------------------


def test_per_request_and_decode_throughput() -> None:
    # Notes, "Key User Statistics": per-request = total / (p + d); decoding = d·total/(p + d).
    total = 8 * A100_FP16 / (2 * LLAMA_70B_PARAMS)
    b = bound(serve())
    assert b.optimal_tokens_per_second == pytest.approx(total, rel=1e-12)
    assert b.optimal_requests_per_second == pytest.approx(total / 1536, rel=1e-12)
    assert b.optimal_decode_tokens_per_second == pytest.approx(total * 512 / 1536, rel=1e-12)
    assert b.optimal_requests_per_second == pytest.approx(11.78, abs=0.01)


def test_decode_only_requests() -> None:
    # p = 0: every token is an output token.
    b = bound(serve(prompt_tokens=0, decode_tokens=100))
    assert b.optimal_decode_tokens_per_second == pytest.approx(b.optimal_tokens_per_second)


# -- (8) the bound is the slowest resource ---------------------------------------------


@pytest.mark.parametrize(
    ("batch", "bottleneck"),
    [
        # T_memory = (137.95e9 + B · 139.81e6) / 16.312e12 = 8.457 ms + B · 8.571 µs
        # (weights, then each token's share of KV cache: 512/1536 · 1280 · 327,680 B);
        # T_compute = 2·B·68.98e9 / 2.496e15 = B · 55.27 µs. They cross at B = 181.
        (64, "memory"),
        (175, "memory"),
        (190, "compute"),
        (3000, "compute"),
    ],
)
def test_given_batch_overrides_dense_batch(batch: float, bottleneck: str) -> None:
    b = bound(serve(batch_size=batch))
    assert b.batch_size == batch
    assert b.compute_seconds == pytest.approx(2 * batch * LLAMA_70B_PARAMS / (8 * A100_FP16))
    assert b.bottleneck == bottleneck
    assert b.seconds == max(b.compute_seconds, b.memory_seconds, b.network_seconds)
    assert b.attainable_tokens_per_second == pytest.approx(batch / b.seconds)


def test_slow_interconnect_is_network_bound() -> None:
    # The same 8 A100s linked by PCIe Gen4 x16 (32 GB/s one way) instead of NVLink:
    # T_net/T_compute = 0.2726 · 300/32 = 2.56.
    pcie = a100_like("a100-pcie-linked", interconnect_bandwidth=32e9)
    b = bound(serve(nominal("llama-2-70b", 70e9), hardware=pcie))
    assert b.bottleneck == "network"
    assert b.seconds == b.network_seconds
    assert b.network_to_compute == pytest.approx(0.27263 * 300 / 32, rel=1e-4)
    assert b.attainable_tokens_per_second < b.optimal_tokens_per_second


def test_bridged_pairs_cross_pcie_beyond_two_gpus() -> None:
    # A100 PCIe cards are NVLink-bridged in pairs (600 GB/s both directions, 300 one way);
    # eight of them all-reduce over PCIe Gen4 x16, 32 GB/s one way: the 8 x A100 SXM ratio
    # 0.27263 times 300/32 = 2.556, network-bound (compute and memory are about the same:
    # 312 TFLOP/s; 1,935 GB/s against 2,039).
    b = bound(serve(nominal("llama-2-70b", 70e9), hardware="a100-pcie-80gb"))
    assert b.network_to_compute == pytest.approx(0.27263 * 300 / 32, rel=1e-4)
    assert b.bottleneck == "network"
    # A pair uses its bridge: T_net = 4 · 1 · D · B · S · L / (2 · 300e9).
    pair = bound(serve(hardware="a100-pcie-80gb", gpus=2, batch_size=64))
    expected = 4 * LLAMA_70B_HIDDEN * 64 * 2 * LLAMA_70B_LAYERS / (2 * 300e9)
    assert pair.network_seconds == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("hardware", "gpus", "per_device"),
    [
        # MI300X: 7 Infinity Fabric links of 64 GB/s each way (AMD data sheet); a pair
        # uses one, 8 devices all 7 (448 GB/s).
        ("mi300x", 2, 64e9),
        ("mi300x", 4, 192e9),
        ("mi300x", 8, 448e9),
        # Gaudi 3: 21 scale-up ports of 200 Gb/s, 3 to each of 7 peers (Intel Gaudi
        # network configuration): 75 GB/s a peer, 525 GB/s in an 8-card box.
        ("gaudi3", 2, 75e9),
        ("gaudi3", 8, 525e9),
    ],
)
def test_mesh_links_scale_with_the_group(hardware: str, gpus: int, per_device: float) -> None:
    b = bound(serve(hardware=hardware, gpus=gpus, batch_size=64, dtype="bf16"))
    expected = 4 * (gpus - 1) * LLAMA_70B_HIDDEN * 64 * 2 * LLAMA_70B_LAYERS
    assert b.network_seconds == pytest.approx(expected / (gpus * per_device), rel=1e-12)


def test_a_pair_link_without_pcie_generation_is_an_error_beyond_the_pair() -> None:
    paired = a100_like("bridged", interconnect_bandwidth=300e9, interconnect_gpus=2)
    assert bound(serve(hardware=paired, gpus=2, batch_size=64)).network_seconds > 0
    with pytest.raises(DeclarationError, match=r"at most 2 devices .* no pcie_generation"):
        bound(serve(hardware=paired, gpus=4))


def test_a_sharded_decode_step_uses_its_group_s_link_bandwidth() -> None:
    # One device's share of an 8-way LLaMA-2-70B step at batch 64 exchanges
    # 4 · 7/8 · 64 · 8192 · 2 · 80 = 293,601,280 bytes. On A100 SXM (NVLink, 300 GB/s one
    # way) that is 0.979 ms; PCIe cards are bridged in pairs only, so eight of them
    # all-reduce over PCIe Gen4 x16 (32 GB/s one way): 9.175 ms. A pair of MI300X uses one
    # 64 GB/s link for its 4 · 1/2 · 83,886,080 bytes: 2.621 ms.
    step = kernels.decode_step("llama-2-70b", 64, 1280, "fp16", gpus=8)
    assert step.devices == 8
    assert step.network_bytes == 293_601_280
    assert bound(step, "a100-sxm4-80gb").network_seconds == pytest.approx(293_601_280 / 300e9)
    assert bound(step, "a100-pcie-80gb").network_seconds == pytest.approx(293_601_280 / 32e9)
    pair = kernels.decode_step("llama-2-70b", 64, 1280, "bf16", gpus=2)
    assert bound(pair, "mi300x").network_seconds == pytest.approx(167_772_160 / 64e9)


def test_mixture_of_experts_computes_with_active_params() -> None:
    # Mixtral: FLOPs with the 12.9e9 parameters a token uses, memory with all 46.7e9.
    b = bound(serve("mixtral-8x7b", hardware="h100-sxm", gpus=2, batch_size=1000))
    active, stored = 12_879_925_248, 46_702_792_704
    assert b.compute_seconds == pytest.approx(2 * 1000 * active / (2 * 989e12), rel=1e-9)
    assert b.weight_bytes == 2 * stored
    assert b.optimal_tokens_per_second == pytest.approx(2 * 989e12 / (2 * active), rel=1e-9)


def test_hardware_argument_overrides_config() -> None:
    b = bound(serve(hardware=None), "h100-sxm")
    assert b.hardware == "h100-sxm"
    assert b.memory_seconds == pytest.approx(80e9 / 3.35e12)


def test_no_hardware_at_all() -> None:
    # One message wherever the hardware is missing (physics.dispatch.hardware_for): the
    # library's bound() and the plugin say how to name it.
    with pytest.raises(DeclarationError, match="name the hardware"):
        bound(serve(hardware=None))


# -- (9) bad input, one line each ------------------------------------------------------


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_unknown_model() -> None:
    with pytest.raises(RooflineError) as info:
        serve("llama-9-70b")
    message = one_line(info)
    assert "llama-9-70b" in message
    assert "unknown model" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("gpus", 0), ("prompt_tokens", -1), ("decode_tokens", 0), ("batch_size", 0)],
)
def test_bad_numbers(field: str, value: float) -> None:
    with pytest.raises(DeclarationError) as info:
        serve(**{field: value})
    assert field in one_line(info)


def test_unknown_kv_dtype() -> None:
    with pytest.raises(DeclarationError) as info:
        serve(kv_dtype="fp7")
    message = one_line(info)
    assert "kv_dtype" in message
    assert "fp7" in message


def test_weights_that_do_not_fit() -> None:
    # LLaMA-2-70B in fp16: 2 · 68.98e9 = 137.95 GB against one 80 GB A100.
    with pytest.raises(DeclarationError) as info:
        bound(serve(gpus=1))
    message = one_line(info)
    assert "138" in message
    assert "80 GB" in message
    assert "llama-2-70b" in message


def test_hardware_without_memory_capacity() -> None:
    device = Hardware(name="no-capacity", peak_flops={"fp16": 1e14}, memory_bandwidth=1e12)
    with pytest.raises(DeclarationError) as info:
        bound(serve("llama-2-7b", hardware=device, gpus=1))
    assert "memory_capacity" in one_line(info)


def test_multi_gpu_without_interconnect() -> None:
    with pytest.raises(DeclarationError) as info:
        bound(serve("llama-2-7b", hardware="l4", gpus=2))
    message = one_line(info)
    assert "interconnect_bandwidth" in message
    assert "l4" in message


def test_dtype_the_hardware_lacks() -> None:
    with pytest.raises(DeclarationError) as info:
        bound(serve("llama-2-7b", dtype="fp8", hardware="a100-sxm4-80gb", gpus=1))
    assert "fp8" in one_line(info)


# -- (10) decode step and prefill kernels ----------------------------------------------

# jax-ml/scaling-book, inference.md, "Modeling throughput and latency for LLaMA 2-13B":
# 8 TPU v5e chips, bf16, 8192-token context. Google Cloud TPU v5e documentation: 197 TFLOP/s
# bf16, 16 GB HBM at 819 GB/s per chip. The book's step time is
# (B · KV cache + parameters) / total memory bandwidth.
TPU_V5E_X8 = Hardware(
    name="tpu-v5e-x8",
    peak_flops={"bf16": 8 * 197e12},
    memory_bandwidth=8 * 819e9,
    memory_capacity=8 * 16e9,
)


@pytest.mark.parametrize(
    ("batch", "step_ms"),
    [(1, 4.98), (8, 12.13), (16, 20.30)],  # the book's table, "Theoretical Step Time (ms)"
)
def test_decode_step_llama_2_13b_scaling_book(batch: int, step_ms: float) -> None:
    b = bound(kernels.decode_step("llama-2-13b", batch, 8192, "bf16"), TPU_V5E_X8)
    assert b.seconds == pytest.approx(step_ms * 1e-3, rel=0.02)
    assert b.bottleneck == "memory"


@pytest.mark.parametrize(
    ("batch", "step_ms"),
    [(1, 4.17), (8, 5.60), (64, 17.04)],  # the book's second table: KV cache 5x smaller
)
def test_decode_step_llama_2_13b_with_gqa_scaling_book(batch: int, step_ms: float) -> None:
    # "keep the total number of params the same, but ... 8 KV heads shared over the 40 Q heads"
    llama = Transformer.named("llama-2-13b")
    gqa = Transformer(**{**llama.model_dump(), "kv_heads": 8})
    assert gqa.params == llama.params
    b = bound(kernels.decode_step(gqa, batch, 8192, "bf16"), TPU_V5E_X8)
    assert b.seconds == pytest.approx(step_ms * 1e-3, rel=0.02)


def test_decode_step_counts_by_hand() -> None:
    # FLOPs: 2·B·(P - E) + 4·B·L·H·hd·ctx (QK^T and AV), where E = 32000 x 5120 is the
    # untied input embedding table, of which the step gathers B rows and multiplies by
    # none. Bytes: the weights but E, the B rows gathered, and B·(ctx + 1)·KV.
    k = kernels.decode_step("llama-2-13b", 4, 2048, "bf16")
    params, table, kv = 13_015_864_320, 163_840_000, 819_200
    assert k.flops == 2 * 4 * (params - table) + 4 * 4 * 40 * 40 * 128 * 2048
    assert k.bytes == 2 * (params - table + 4 * 5120) + 4 * 2049 * kv


def test_decode_step_flips_to_compute_bound_at_large_batch() -> None:
    # LLaMA-3-8B, 128-token contexts, H100 SXM (989 TFLOP/s bf16, 3.35 TB/s): the weights'
    # 16 GB dominate at small batch; each sequence adds 2·8.03e9 FLOPs but only
    # 129 · 131,072 bytes of KV cache, so the intensity rises past the ridge (295) near
    # B = 425.
    bottlenecks = [
        bound(kernels.decode_step("llama-3-8b", batch, 128, "bf16"), "h100-sxm").bottleneck
        for batch in (1, 8, 64, 256, 400, 450, 1024, 4096, 16384)
    ]
    assert bottlenecks == ["memory"] * 5 + ["compute"] * 4


def test_long_context_decode_stays_memory_bound() -> None:
    # At 8192 tokens the KV cache per sequence (1.07 GB) outweighs its FLOPs: intensity
    # tends to (2·P + 4·L·H·hd·ctx)/((ctx + 1)·KV) ≈ 19 FLOP/B, far below the ridge.
    b = bound(kernels.decode_step("llama-3-8b", 100_000, 8192, "bf16"), "h100-sxm")
    assert b.bottleneck == "memory"
    assert b.intensity < 20


@given(
    small=st.integers(min_value=1, max_value=50_000),
    extra=st.integers(min_value=1, max_value=50_000),
    context=st.integers(min_value=1, max_value=32_768),
)
@settings(max_examples=60, deadline=None)
def test_decode_intensity_grows_with_batch(small: int, extra: int, context: int) -> None:
    low = kernels.decode_step("llama-3-8b", small, context, "bf16")
    high = kernels.decode_step("llama-3-8b", small + extra, context, "bf16")
    assert high.intensity >= low.intensity * (1 - 1e-12)


def test_prefill_counts_by_hand() -> None:
    # FLOPs: 2·t·P + causal attention 2·L·H·hd·t² (half of QK^T and AV over t x t).
    # Bytes: the weights once + t tokens of KV cache written. LLaMA-2-7B: 6,738,415,616
    # parameters, of which the untied input embedding (32000 x 4096) is gathered, t rows.
    t, params, table = 2048, 6_738_415_616, 131_072_000
    k = kernels.prefill("llama-2-7b", t, "fp16")
    assert k.flops == 2 * t * (params - table) + 2 * 32 * 32 * 128 * t**2
    assert k.bytes == 2 * (params - table + t * 4096) + t * 2 * 32 * 32 * 128 * 2


def test_short_mixture_of_experts_prefill_reads_the_experts_it_uses() -> None:
    # Mixtral 8x7B stores 46,702,792,704 parameters; each expert of each of the 32 layers
    # holds 3 · 4096 · 14336 = 176,160,768. One token picks 2 of 8 experts per layer, so
    # 6 · 32 · 176,160,768 = 33,822,867,456 are never read: 12,879,925,248 remain (the
    # active parameters). Less the untied input embedding (32000 x 4096), plus its one
    # gathered row, in fp16, plus one token of KV cache (2 · 32 · 8 · 128 · 2 bytes).
    one = kernels.prefill("mixtral-8x7b", 1, "fp16")
    assert one.bytes == 2 * (12_879_925_248 - 131_072_000 + 4096) + 131_072
    # A long prompt touches every expert: all stored weights, as a dense model.
    long = kernels.prefill("mixtral-8x7b", 512, "fp16")
    assert long.bytes == pytest.approx(
        2 * (46_702_792_704 - 131_072_000 + 512 * 4096) + 512 * 131_072, rel=1e-12
    )


def test_long_prefill_is_compute_bound() -> None:
    b = bound(kernels.prefill("llama-2-70b", 4096, "bf16"), "h100-sxm")
    assert b.bottleneck == "compute"


@pytest.mark.parametrize(
    ("factory", "args"),
    [
        (kernels.decode_step, ("llama-2-7b", 0, 128)),
        (kernels.decode_step, ("llama-2-7b", 1, 0)),
        (kernels.prefill, ("llama-2-7b", 0)),
        (kernels.prefill, ("llama-9", 10)),
    ],
)
def test_kernel_factories_reject_bad_input(factory: object, args: tuple[object, ...]) -> None:
    with pytest.raises(RooflineError) as info:
        factory(*args)  # type: ignore[operator]
    one_line(info)


# -- (11) properties -------------------------------------------------------------------

MODELS = ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3-8b", "mixtral-8x7b", "qwen2-72b"]
LINKED = ["a100-sxm4-40gb", "a100-sxm4-80gb", "h100-pcie", "h100-sxm", "h200", "mi300x"]

configs = st.builds(
    ServingConfig,
    model=st.sampled_from(MODELS),
    hardware=st.sampled_from(LINKED),
    gpus=st.integers(min_value=1, max_value=16),
    prompt_tokens=st.floats(min_value=0, max_value=32_768),
    decode_tokens=st.floats(min_value=0.5, max_value=8192),
    dtype=st.sampled_from(["fp16", "bf16"]),
)


def capacity(config: ServingConfig) -> float:
    """GPU_mem: the aggregate memory of the config's GPUs."""
    device = Hardware.named(str(config.hardware))
    assert device.memory_capacity is not None
    return config.gpus * device.memory_capacity


def fits(config: ServingConfig) -> bool:
    return config.model.weight_bytes(config.dtype) < capacity(config)


@given(config=configs, batch=st.none() | st.floats(min_value=1, max_value=1e6))
@settings(max_examples=80, deadline=None)
def test_bound_is_the_largest_term(config: ServingConfig, batch: float | None) -> None:
    assume(fits(config))
    # A given batch must leave room for its KV cache (a larger one is an error).
    assume(batch is None or batch < 0.999 * bound(config).batch_size)
    b = bound(config.model_copy(update={"batch_size": batch}))
    terms = {"compute": b.compute_seconds, "memory": b.memory_seconds, "network": b.network_seconds}
    assert b.seconds >= b.compute_seconds
    assert b.seconds >= b.memory_seconds
    assert b.seconds >= b.network_seconds
    assert b.seconds == terms[b.bottleneck]
    assert b.attainable_tokens_per_second <= b.optimal_tokens_per_second * (1 + 1e-9)
    if batch is not None:
        assert b.batch_size == batch


@given(config=configs)
@settings(max_examples=80, deadline=None)
def test_dense_batch_fills_the_memory_left(config: ServingConfig) -> None:
    assume(fits(config))
    b = bound(config)
    free = capacity(config) - b.weight_bytes
    p, d = config.prompt_tokens, config.decode_tokens
    requests = b.batch_size * d / (p + d)
    kv_needed = requests * b.kv_bytes_per_token * (p + d / 2)
    assert kv_needed <= free * (1 + 1e-9)
    assert kv_needed == pytest.approx(free, rel=1e-9)
    assert b.bytes_per_iteration == pytest.approx(b.weight_bytes + free, rel=1e-9)


@given(config=configs, more=st.integers(min_value=1, max_value=16))
@settings(max_examples=60, deadline=None)
def test_more_gpus_never_lower_optimal_throughput(config: ServingConfig, more: int) -> None:
    assume(fits(config))
    fewer = bound(config)
    bigger = bound(config.model_copy(update={"gpus": config.gpus + more}))
    assert bigger.optimal_tokens_per_second >= fewer.optimal_tokens_per_second
    assert bigger.batch_size >= fewer.batch_size
    assert math.isclose(
        bigger.optimal_tokens_per_second_per_gpu, fewer.optimal_tokens_per_second_per_gpu
    )


@pytest.mark.parametrize("left_out", ["prompt_tokens", "decode_tokens"])
def test_lengths_left_out_have_no_bound_yet(left_out: str) -> None:
    # p and d may come later, from an engine's result file; until then the bound
    # cannot be computed and says which length it needs.
    config = serve(**{left_out: None})
    assert not config.lengths_known
    assert "=?" in config.label
    with pytest.raises(DeclarationError) as info:
        bound(config)
    message = one_line(info)
    assert left_out in message
    assert "report_engine_result" in message


def test_lengths_filled_in_give_the_same_bound() -> None:
    later = serve(prompt_tokens=None, decode_tokens=None).model_copy(
        update={"prompt_tokens": 1024.0, "decode_tokens": 512.0}
    )
    assert bound(later) == bound(serve())
