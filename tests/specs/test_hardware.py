"""Hardware specifications, the built-in catalog and its datasheet figures."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pytest_roofline.errors import (
    DeclarationError,
    RooflineError,
    UnknownNameError,
)
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
    builtin_catalog,
    load_hardware_file,
)

CATALOG_DEVICES = [
    "h100-sxm",
    "h100-pcie",
    "h200",
    "a100-sxm4-80gb",
    "a100-sxm4-40gb",
    "l4",
    "mi300x",
    # The full catalog: every device a user deploys on (NVIDIA, AMD, Google, Intel).
    "h100-nvl",
    "b200",
    "gb200",
    "a100-pcie-80gb",
    "l40s",
    "a10g",
    "v100-sxm2-32gb",
    "rtx-4090",
    "mi325x",
    "mi250x",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "gaudi2",
    "gaudi3",
]


def make(**overrides) -> Hardware:
    """A small valid device, with ``overrides`` applied (``None`` removes a field)."""
    data = {
        "name": "test-gpu",
        "peak_flops": {"fp32": "10 TFLOP/s", "bf16": "100 TFLOP/s"},
        "memory_bandwidth": "1 TB/s",
    }
    data.update(overrides)
    return Hardware(**{key: value for key, value in data.items() if value is not None})


@pytest.mark.parametrize("name", CATALOG_DEVICES)
def test_every_catalog_device_loads(name: str) -> None:
    device = Hardware.named(name)
    assert device.name == name
    assert device.peak_flops
    assert device.memory_bandwidth > 0
    assert device.ceiling_uncertainty == 0.0
    assert not device.measured


def test_catalog_holds_exactly_the_shipped_devices() -> None:
    assert builtin_catalog().names() == sorted(CATALOG_DEVICES)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("H100", "h100-sxm"),
        ("H100_SXM5_80GB", "h100-sxm"),
        ("h100 sxm", "h100-sxm"),
        ("a100-80gb", "a100-sxm4-80gb"),
        ("A100-SXM4-40GB", "a100-sxm4-40gb"),
        ("AMD_MI300X", "mi300x"),
        ("  L4 ", "l4"),
    ],
)
def test_lookup_is_case_insensitive_and_accepts_aliases(given: str, canonical: str) -> None:
    assert Hardware.named(given).name == canonical


@pytest.mark.parametrize(
    ("given", "suggested"),
    [("h1000", "h100"), ("a100-sxm4-81gb", "a100-sxm4-80gb"), ("mi300", "mi300x")],
)
def test_unknown_hardware_suggests_close_names(given: str, suggested: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        Hardware.named(given)
    message = str(info.value)
    assert repr(given) in message
    assert repr(suggested) in message
    assert "\n" not in message


def test_unknown_hardware_is_a_roofline_error() -> None:
    with pytest.raises(RooflineError):
        Hardware.named("tpu-v99")


# NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: BF16 1,979* TFLOP/s where * is
# 2:4 structured sparsity, so 989 TFLOP/s dense; GPU memory bandwidth 3.35 TB/s; NVLink
# 900 GB/s counted in both directions, 450 GB/s each way.
def test_h100_sxm_published_figures() -> None:
    h100 = Hardware.named("h100-sxm")
    assert h100.peak("bf16") == pytest.approx(989e12)
    assert h100.peak("bf16") != pytest.approx(1979e12)
    assert h100.peak("fp16") == pytest.approx(989e12)
    assert h100.peak("fp32") == pytest.approx(67e12)
    assert h100.memory_bandwidth == pytest.approx(3.35e12)
    assert h100.memory_capacity == pytest.approx(80e9)
    assert h100.interconnect_bandwidth == pytest.approx(900e9 / 2)


def test_h100_sxm_ridge_point() -> None:
    # Hand calculation, NVIDIA H100 datasheet figures: 989e12 / 3.35e12 = 295.22 FLOP/byte.
    h100 = Hardware.named("h100-sxm")
    assert h100.ridge_point("bf16") == pytest.approx(295.22, abs=0.01)
    # FP32 (67 TFLOP/s): 67e12 / 3.35e12 = 20 FLOP/byte.
    assert h100.ridge_point("fp32") == pytest.approx(20.0)


def test_a100_80gb_published_figures() -> None:
    # NVIDIA A100 datasheet, 80GB SXM column: BF16 312 TFLOP/s (624* sparse), 2,039 GB/s,
    # NVLink 600 GB/s both directions.
    a100 = Hardware.named("a100-sxm4-80gb")
    assert a100.peak("bf16") == pytest.approx(312e12)
    assert a100.memory_bandwidth == pytest.approx(2.039e12)
    assert a100.memory_capacity == pytest.approx(80e9)
    assert a100.interconnect_bandwidth == pytest.approx(600e9 / 2)
    # 312e12 / 2.039e12 = 153.02 FLOP/byte.
    assert a100.ridge_point("bf16") == pytest.approx(153.02, abs=0.01)


def test_a100_40gb_has_the_slower_memory() -> None:
    # NVIDIA A100 datasheet, 40GB SXM column: 1,555 GB/s; same compute as the 80 GB part.
    a100 = Hardware.named("a100-sxm4-40gb")
    assert a100.memory_bandwidth == pytest.approx(1.555e12)
    assert a100.peak("bf16") == Hardware.named("a100-sxm4-80gb").peak("bf16")


def test_mi300x_published_figures() -> None:
    # AMD Instinct MI300X data sheet and ROCm MI300 peak table: BF16 1307.4 TFLOP/s dense,
    # 5.3 TB/s HBM3, 192 GB; Infinity Fabric 7 peer links x 64 GB/s = 448 GB/s one way.
    mi300x = Hardware.named("mi300x")
    assert mi300x.peak("bf16") == pytest.approx(1307.4e12)
    assert mi300x.memory_bandwidth == pytest.approx(5.3e12)
    assert mi300x.memory_capacity == pytest.approx(192e9)
    assert mi300x.interconnect_bandwidth == pytest.approx(7 * 64e9)


def test_h200_shares_h100_compute_with_faster_memory() -> None:
    # NVIDIA H200 product page: same 1,979* TFLOP/s BF16 (sparse) as H100 SXM, 4.8 TB/s.
    h200 = Hardware.named("h200")
    assert h200.peak("bf16") == Hardware.named("h100-sxm").peak("bf16")
    assert h200.memory_bandwidth == pytest.approx(4.8e12)
    assert h200.memory_capacity == pytest.approx(141e9)


def test_l4_has_no_interconnect() -> None:
    # NVIDIA L4 datasheet: PCIe Gen4 only, no NVLink; 300 GB/s GDDR6; BF16 242* -> 121 dense.
    l4 = Hardware.named("l4")
    assert l4.interconnect_bandwidth is None
    assert l4.memory_bandwidth == pytest.approx(300e9)
    assert l4.peak("bf16") == pytest.approx(121e12)


@pytest.mark.parametrize("name", CATALOG_DEVICES)
def test_every_figure_has_a_source_with_a_url(name: str) -> None:
    device = Hardware.named(name)
    present = ["peak_flops", "memory_bandwidth"]
    if device.memory_capacity is not None:
        present.append("memory_capacity")
    if device.interconnect_bandwidth is not None:
        present.append("interconnect_bandwidth")
    for figure in present:
        assert figure in device.sources, f"{name}: no source for {figure}"
        assert "https://" in device.sources[figure], f"{name}: source of {figure} has no URL"


@pytest.mark.parametrize("name", CATALOG_DEVICES)
def test_tensor_ridge_points_are_physical(name: str) -> None:
    # Datacenter GPUs of the last generations sit at ~100-500 FLOP/byte for 16-bit tensor
    # math; a ridge far outside 50..1000 means a unit or a sparse figure slipped in.
    device = Hardware.named(name)
    for dtype in ("bf16", "fp16"):
        if dtype in device.peak_flops:
            assert 50 <= device.ridge_point(dtype) <= 1000, (name, dtype)


@pytest.mark.parametrize("name", CATALOG_DEVICES)
def test_fp16_and_bf16_peaks_agree(name: str) -> None:
    # Every device in the catalog runs FP16 and BF16 tensor math at the same rate.
    peaks = Hardware.named(name).peak_flops
    if "fp16" in peaks and "bf16" in peaks:
        assert peaks["fp16"] == peaks["bf16"]


@pytest.mark.parametrize("name", CATALOG_DEVICES)
def test_lower_precision_is_never_slower(name: str) -> None:
    peaks = Hardware.named(name).peak_flops
    order = ["fp64", "fp32", "tf32", "bf16", "fp8"]
    present = [peaks[d] for d in order if d in peaks]
    assert present == sorted(present)


def test_peak_accepts_aliases() -> None:
    h100 = Hardware.named("h100-sxm")
    assert h100.peak("bfloat16") == h100.peak("bf16")
    assert h100.peak("half") == h100.peak("fp16")


def test_missing_dtype_peak_lists_what_the_device_has() -> None:
    a100 = Hardware.named("a100-sxm4-80gb")
    with pytest.raises(DeclarationError) as info:
        a100.peak("fp8")
    message = str(info.value)
    assert "a100-sxm4-80gb" in message
    assert "fp8" in message
    for dtype in ("bf16", "fp16", "fp32", "fp64", "tf32", "int8"):
        assert dtype in message


def test_ridge_point_of_a_missing_dtype_raises() -> None:
    with pytest.raises(DeclarationError, match="fp8"):
        Hardware.named("a100-sxm4-80gb").ridge_point("fp8")


def test_hardware_built_directly_parses_units() -> None:
    device = make(memory_capacity="24 GiB", interconnect_bandwidth="200 Gb/s")
    assert device.peak("bf16") == pytest.approx(100e12)
    assert device.memory_bandwidth == pytest.approx(1e12)
    assert device.memory_capacity == pytest.approx(24 * 2**30)
    assert device.interconnect_bandwidth == pytest.approx(25e9)
    # 100e12 / 1e12 = 100 FLOP/byte.
    assert device.ridge_point("bf16") == pytest.approx(100.0)


def test_hardware_name_is_normalized_and_dtype_keys_canonical() -> None:
    device = make(name="My GPU_v2", peak_flops={"bfloat16": 5e12, "float32": 1e12})
    assert device.name == "my-gpu-v2"
    assert set(device.peak_flops) == {"bf16", "fp32"}


@pytest.mark.parametrize(
    ("overrides", "culprit"),
    [
        ({"peak_flops": {"bf16": -1}}, "peak_flops.bf16"),
        ({"peak_flops": {"bf16": 0}}, "peak_flops.bf16"),
        ({"peak_flops": {"fp33": 1e12}}, "fp33"),
        ({"peak_flops": {}}, "peak_flops"),
        ({"memory_bandwidth": "3 TB/x"}, "TB/x"),
        ({"memory_bandwidth": -3.35e12}, "memory_bandwidth"),
        ({"memory_capacity": "lots"}, "memory_capacity"),
        ({"name": ""}, "name"),
        ({"ceiling_uncertainty": 1.5}, "ceiling_uncertainty"),
    ],
)
def test_construction_errors_are_one_line_naming_the_field(overrides, culprit: str) -> None:
    with pytest.raises(DeclarationError) as info:
        make(**overrides)
    message = str(info.value)
    assert culprit in message
    assert "\n" not in message
    assert message.startswith("Hardware")


def test_unknown_dtype_key_suggests_the_closest() -> None:
    with pytest.raises(DeclarationError, match="did you mean 'fp32'"):
        make(peak_flops={"fp33": 1e12})


def test_misspelt_field_suggests_the_right_one() -> None:
    with pytest.raises(DeclarationError) as info:
        make(memory_bandwidth=None, memory_bandwith="3.35 TB/s")
    message = str(info.value)
    assert "memory_bandwith" in message
    assert "did you mean 'memory_bandwidth'" in message
    assert "\n" not in message


def test_hardware_is_frozen() -> None:
    device = make()
    with pytest.raises(ValidationError):
        device.memory_bandwidth = 5e12  # type: ignore[misc]
    assert device.memory_bandwidth == pytest.approx(1e12)


def test_catalog_add_and_lookup() -> None:
    catalog = Catalog()
    device = make(name="lab-gpu", aliases=("Lab_Card",))
    catalog.add(device)
    assert catalog.lookup("LAB-GPU") is device
    assert catalog.lookup("lab card") is device
    assert "lab-card" in catalog
    assert catalog.names() == ["lab-gpu"]
    assert catalog.lookup(device) is device


def test_catalog_rejects_a_duplicate_name() -> None:
    catalog = Catalog([make(name="lab-gpu")])
    with pytest.raises(DeclarationError, match="lab-gpu"):
        catalog.add(make(name="Lab_GPU"))


def test_catalog_rejects_an_alias_clash() -> None:
    catalog = Catalog([make(name="lab-gpu", aliases=("card",))])
    with pytest.raises(DeclarationError, match="card"):
        catalog.add(make(name="other-gpu", aliases=("card",)))


def test_catalog_reserves_local() -> None:
    with pytest.raises(DeclarationError, match="local"):
        Catalog().add(make(name="local"))


def test_catalog_replace_swaps_the_device() -> None:
    catalog = Catalog([make(name="lab-gpu")])
    faster = make(name="lab-gpu", memory_bandwidth="2 TB/s")
    catalog.add(faster, replace=True)
    assert catalog.lookup("lab-gpu").memory_bandwidth == pytest.approx(2e12)


def test_catalog_copy_is_independent() -> None:
    original = Catalog([make(name="lab-gpu")])
    copy = original.copy()
    copy.add(make(name="second-gpu"))
    assert "second-gpu" in copy
    assert "second-gpu" not in original


def test_catalog_lookup_rejects_non_names() -> None:
    with pytest.raises(DeclarationError, match="42"):
        Catalog().lookup(42)  # type: ignore[arg-type]


def test_load_hardware_file_reads_units() -> None:
    text = """
name = "lab-gpu"
memory_bandwidth = "900 GB/s"
[peak_flops]
fp16 = "125 TFLOP/s"
"""
    device = load_hardware_file(text, "lab-gpu.toml")
    assert device.name == "lab-gpu"
    assert device.memory_bandwidth == pytest.approx(900e9)
    assert device.peak("fp16") == pytest.approx(125e12)


def test_load_hardware_file_with_invalid_toml_names_the_file() -> None:
    with pytest.raises(DeclarationError) as info:
        load_hardware_file('name = "lab-gpu"\nmemory_bandwidth = \n', "hw/lab-gpu.toml")
    assert "hw/lab-gpu.toml" in str(info.value)
    assert "TOML" in str(info.value)


def test_load_hardware_file_with_bad_fields_names_the_file_and_field() -> None:
    text = 'name = "lab-gpu"\nmemory_bandwidth = "fast"\n[peak_flops]\nfp16 = 1e12\n'
    with pytest.raises(DeclarationError) as info:
        load_hardware_file(text, "hw/lab-gpu.toml")
    message = str(info.value)
    assert "hw/lab-gpu.toml" in message
    assert "memory_bandwidth" in message
    assert "\n" not in message


def test_sparse_peak_is_twice_dense_on_h100() -> None:
    # NVIDIA H100 datasheet, SXM column: BF16 tensor 1,979 TFLOP/s with 2:4 sparsity
    # (989.5 dense; the catalog rounds the dense figure to 989).
    h100 = Hardware.named("h100-sxm")
    assert h100.peak("bf16", sparse=True) == pytest.approx(1979e12, rel=1e-3)
    assert h100.peak("bf16", sparse=True) == 2 * h100.peak("bf16")
    assert h100.peak("bf16") == pytest.approx(989e12, rel=1e-3)


@pytest.mark.parametrize("dtype", ["fp64", "fp32"])
def test_sparse_peak_of_a_dtype_without_sparsity_raises(dtype: str) -> None:
    # The H100 datasheet prints 2:4-sparse figures only for TF32, BF16, FP16, FP8, INT8.
    h100 = Hardware.named("h100-sxm")
    with pytest.raises(DeclarationError, match=dtype) as caught:
        h100.peak(dtype, sparse=True)
    assert "sparse" in str(caught.value)
    assert h100.peak(dtype) > 0


def test_sparse_peak_on_a_device_without_sparsity_raises() -> None:
    device = Hardware(name="dense-only", peak_flops={"bf16": 1e14}, memory_bandwidth=1e12)
    with pytest.raises(DeclarationError, match="sparse"):
        device.peak("bf16", sparse=True)
