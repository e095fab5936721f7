"""The roofline bound: hand calculations on catalog hardware and its defining properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pytest_roofline import Bound, bound, kernels
from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.kernels import Kernel

# NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: 989 TFLOP/s dense BF16 (1,979*
# with sparsity), 67 TFLOP/s FP32, 3.35 TB/s HBM3, NVLink 900 GB/s both ways = 450 one way.
H100_BF16 = 989e12
H100_FP32 = 67e12
H100_BANDWIDTH = 3.35e12
H100_NVLINK_ONE_WAY = 450e9


def test_dot_on_h100_is_memory_bound() -> None:
    # Reference notes, "FP32 dot product": 2N FLOPs over 8N + 4 bytes, memory-bound on H100.
    n = 1_000_000
    result = bound(kernels.dot(n, "fp32"), "h100-sxm")
    assert result.bottleneck == "memory"
    assert result.seconds == pytest.approx((8 * n + 4) / H100_BANDWIDTH)
    assert result.memory_seconds == pytest.approx((8 * n + 4) / H100_BANDWIDTH)
    assert result.compute_seconds == pytest.approx(2 * n / H100_FP32)
    assert result.network_seconds == 0
    assert result.intensity == pytest.approx(2 * n / (8 * n + 4))
    # FP32 ridge: 67e12 / 3.35e12 = 20 FLOP/byte.
    assert result.ridge_point == pytest.approx(20.0)
    assert result.hardware == "h100-sxm"
    assert result.dtype == "fp32"


def test_large_bf16_matmul_on_h100_is_compute_bound() -> None:
    # 2 * 4096**3 FLOPs at 989 TFLOP/s = 139 us; 2 bytes * 3 * 4096**2 at 3.35 TB/s = 30 us.
    m = 4096
    result = bound(kernels.matmul(m, m, m, "bf16"), "h100-sxm")
    assert result.bottleneck == "compute"
    assert result.seconds == pytest.approx(2 * m**3 / H100_BF16)
    assert result.compute_seconds == pytest.approx(2 * m**3 / H100_BF16)
    assert result.memory_seconds == pytest.approx(2 * 3 * m**2 / H100_BANDWIDTH)
    # Intensity m / 3 = 1365.3 FLOP/byte against a ridge of 989 / 3.35 = 295.2.
    assert result.intensity == pytest.approx(m / 3)
    assert result.ridge_point == pytest.approx(H100_BF16 / H100_BANDWIDTH)
    assert result.attainable_flops_per_second == pytest.approx(H100_BF16)
    assert result.peak_flops_per_second == pytest.approx(H100_BF16)
    assert result.memory_bandwidth == pytest.approx(H100_BANDWIDTH)


def test_small_bf16_matmul_on_h100_is_memory_bound() -> None:
    # Intensity 256 / 3 = 85 FLOP/byte is below the bf16 ridge of 295.2.
    result = bound(kernels.matmul(256, 256, 256, "bf16"), "h100-sxm")
    assert result.bottleneck == "memory"
    assert result.seconds == pytest.approx(2 * 3 * 256**2 / H100_BANDWIDTH)
    assert result.attainable_flops_per_second == pytest.approx(256 / 3 * H100_BANDWIDTH)


def test_a100_matmul_by_hand() -> None:
    # NVIDIA A100 datasheet, 80GB SXM: 312 TFLOP/s bf16 dense, 2,039 GB/s.
    result = bound(kernels.matmul(8192, 8192, 8192, "bf16"), "a100-sxm4-80gb")
    assert result.bottleneck == "compute"
    assert result.seconds == pytest.approx(2 * 8192**3 / 312e12)
    assert result.memory_seconds == pytest.approx(2 * 3 * 8192**2 / 2.039e12)


def test_network_term_on_h100() -> None:
    # 450 GB over one direction of NVLink 4 at 450 GB/s takes one second.
    result = bound(Kernel(flops=0, bytes=0, network_bytes=450e9, dtype="bf16"), "h100-sxm")
    assert result.network_seconds == pytest.approx(1.0)
    assert result.seconds == pytest.approx(1.0)
    assert result.bottleneck == "network"
    assert result.compute_seconds == 0
    assert result.memory_seconds == 0


def test_network_term_competes_with_the_others() -> None:
    # 1 TB/s of memory traffic for 1 s versus 45 GB over NVLink for 0.1 s: memory wins.
    kernel = Kernel(flops=1e9, bytes=H100_BANDWIDTH, network_bytes=45e9, dtype="bf16")
    result = bound(kernel, "h100-sxm")
    assert result.bottleneck == "memory"
    assert result.seconds == pytest.approx(1.0)
    assert result.network_seconds == pytest.approx(45e9 / H100_NVLINK_ONE_WAY)


def test_network_bytes_on_hardware_without_interconnect_raise() -> None:
    # NVIDIA L4 datasheet: PCIe only, no NVLink, so the catalog declares no interconnect.
    kernel = Kernel(flops=1e9, bytes=1e6, network_bytes=1e6)
    with pytest.raises(DeclarationError) as info:
        bound(kernel, "l4")
    message = str(info.value)
    assert "'l4'" in message
    assert "interconnect" in message
    assert "\n" not in message


def test_bound_without_network_bytes_works_on_l4() -> None:
    result = bound(kernels.triad(1_000_000), "l4")
    # NVIDIA L4 datasheet: 300 GB/s; triad moves 12 bytes per fp32 element.
    assert result.seconds == pytest.approx(12e6 / 300e9)
    assert result.network_seconds == 0


def test_dtype_missing_on_hardware_raises() -> None:
    with pytest.raises(DeclarationError, match="fp8"):
        bound(kernels.matmul(64, 64, 64, "fp8"), "a100-sxm4-80gb")


def test_utilization_is_bound_over_measured() -> None:
    result = bound(kernels.dot(1_000_000, "fp32"), "h100-sxm")
    assert result.utilization(result.seconds * 2) == pytest.approx(0.5)
    assert result.utilization(result.seconds * 4) == pytest.approx(0.25)
    assert result.utilization(1.0) == pytest.approx((8e6 + 4) / H100_BANDWIDTH)


@pytest.mark.parametrize("measured", [0, 0.0, -1.0, float("nan")])
def test_utilization_rejects_non_positive_measurements(measured: float) -> None:
    result = bound(kernels.dot(1000), "h100-sxm")
    with pytest.raises(DeclarationError, match="measured"):
        result.utilization(measured)


def test_bound_accepts_a_hardware_object() -> None:
    device = Hardware(
        name="lab-gpu",
        peak_flops={"fp32": "10 TFLOP/s"},
        memory_bandwidth="1 TB/s",
        ceiling_uncertainty=0.1,
    )
    # 2e12 FLOPs at 10 TFLOP/s = 0.2 s; 1e11 bytes at 1 TB/s = 0.1 s.
    result = bound(Kernel(flops=2e12, bytes=1e11), device)
    assert result.hardware == "lab-gpu"
    assert result.seconds == pytest.approx(0.2)
    assert result.bottleneck == "compute"
    assert result.ceiling_uncertainty == pytest.approx(0.1)


def test_bound_accepts_aliases() -> None:
    assert bound(kernels.dot(1000), "H100").hardware == "h100-sxm"


@pytest.mark.parametrize("work", ["not a kernel", 42, None, {"flops": 1, "bytes": 1}])
def test_bound_rejects_non_kernels(work) -> None:
    with pytest.raises(DeclarationError, match="Kernel"):
        bound(work, "h100-sxm")  # type: ignore[arg-type]


def test_bound_is_frozen() -> None:
    result = bound(kernels.dot(1000), "h100-sxm")
    assert isinstance(result, Bound)
    with pytest.raises(ValueError, match="frozen"):
        result.seconds = 0.0  # type: ignore[misc]


# Properties. Hardware is built directly: "local" would measure this machine.

counts = st.floats(min_value=1.0, max_value=1e18, allow_nan=False, allow_infinity=False)
rates = st.floats(min_value=1e6, max_value=1e18, allow_nan=False, allow_infinity=False)
factors = st.floats(min_value=1.0, max_value=1e6, allow_nan=False, allow_infinity=False)


def device(peak: float, bandwidth: float, interconnect: float | None = None) -> Hardware:
    return Hardware(
        name="prop-gpu",
        peak_flops={"fp32": peak},
        memory_bandwidth=bandwidth,
        interconnect_bandwidth=interconnect,
    )


@given(flops=counts, nbytes=counts, peak=rates, bandwidth=rates)
def test_attainable_flops_is_min_of_peak_and_intensity_times_bandwidth(
    flops: float, nbytes: float, peak: float, bandwidth: float
) -> None:
    # Williams, Waterman and Patterson, "Roofline", CACM 2009: attainable = min(peak, I*BW).
    result = bound(Kernel(flops=flops, bytes=nbytes), device(peak, bandwidth))
    expected = min(peak, flops / nbytes * bandwidth)
    assert result.attainable_flops_per_second == pytest.approx(expected, rel=1e-9)
    assert result.bottleneck == ("compute" if flops / peak >= nbytes / bandwidth else "memory")


@given(
    flops=st.one_of(st.just(0.0), counts),
    nbytes=st.one_of(st.just(0.0), counts),
    network=st.one_of(st.just(0.0), counts),
    peak=rates,
    bandwidth=rates,
    interconnect=rates,
)
def test_bound_is_the_max_of_its_terms(
    flops: float,
    nbytes: float,
    network: float,
    peak: float,
    bandwidth: float,
    interconnect: float,
) -> None:
    assume(flops or nbytes or network)
    kernel = Kernel(flops=flops, bytes=nbytes, network_bytes=network)
    result = bound(kernel, device(peak, bandwidth, interconnect))
    terms = {
        "compute": flops / peak,
        "memory": nbytes / bandwidth,
        "network": network / interconnect,
    }
    assert result.compute_seconds == pytest.approx(terms["compute"], rel=1e-12)
    assert result.memory_seconds == pytest.approx(terms["memory"], rel=1e-12)
    assert result.network_seconds == pytest.approx(terms["network"], rel=1e-12)
    for term in (result.compute_seconds, result.memory_seconds, result.network_seconds):
        assert result.seconds >= term
    assert result.seconds == max(
        result.compute_seconds, result.memory_seconds, result.network_seconds
    )
    assert terms[result.bottleneck] == pytest.approx(max(terms.values()), rel=1e-12)


@given(
    flops=counts,
    nbytes=counts,
    network=counts,
    more_flops=factors,
    more_bytes=factors,
    more_network=factors,
    peak=rates,
    bandwidth=rates,
    interconnect=rates,
)
def test_more_work_never_shortens_the_bound(
    flops: float,
    nbytes: float,
    network: float,
    more_flops: float,
    more_bytes: float,
    more_network: float,
    peak: float,
    bandwidth: float,
    interconnect: float,
) -> None:
    hardware = device(peak, bandwidth, interconnect)
    base = bound(Kernel(flops=flops, bytes=nbytes, network_bytes=network), hardware)
    for kernel in (
        Kernel(flops=flops * more_flops, bytes=nbytes, network_bytes=network),
        Kernel(flops=flops, bytes=nbytes * more_bytes, network_bytes=network),
        Kernel(flops=flops, bytes=nbytes, network_bytes=network * more_network),
    ):
        assert bound(kernel, hardware).seconds >= base.seconds


@given(
    flops=counts,
    nbytes=counts,
    network=counts,
    peak=rates,
    bandwidth=rates,
    interconnect=rates,
    faster_peak=factors,
    faster_memory=factors,
    faster_link=factors,
)
def test_faster_hardware_never_lengthens_the_bound(
    flops: float,
    nbytes: float,
    network: float,
    peak: float,
    bandwidth: float,
    interconnect: float,
    faster_peak: float,
    faster_memory: float,
    faster_link: float,
) -> None:
    kernel = Kernel(flops=flops, bytes=nbytes, network_bytes=network)
    slow = bound(kernel, device(peak, bandwidth, interconnect))
    fast = bound(
        kernel,
        device(peak * faster_peak, bandwidth * faster_memory, interconnect * faster_link),
    )
    assert fast.seconds <= slow.seconds
    assert fast.compute_seconds <= slow.compute_seconds
    assert fast.memory_seconds <= slow.memory_seconds
    assert fast.network_seconds <= slow.network_seconds


def test_faster_hardware_shortens_a_bound_set_by_the_faster_resource() -> None:
    # Counter-check of the property above: the H200 has the H100's compute but 4.8 TB/s
    # (NVIDIA H200 product page), so a memory-bound kernel gets 3.35 / 4.8 of the time.
    kernel = kernels.triad(10_000_000, "fp32")
    h100 = bound(kernel, "h100-sxm")
    h200 = bound(kernel, "h200")
    assert h200.seconds == pytest.approx(h100.seconds * 3.35 / 4.8)
