"""Hardware declared in TOML files: one device or several, ``extends``, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline.errors import (
    DeclarationError,
    RooflineError,
    UnknownNameError,
)
from pytest_roofline.specs.files import (
    extend_catalog,
    from_toml,
    load,
)
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
    builtin_catalog,
)


@pytest.fixture(autouse=True)
def builtin_default(builtin_catalogs: None) -> None:
    """Resolve ``extends`` against the built-in catalog, not this run's own."""


@pytest.fixture
def catalog() -> Catalog:
    return builtin_catalog()


def write(tmp_path: Path, text: str, name: str = "devices.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# A100 SXM4 80 GB datasheet figures, as the catalog holds them (NVIDIA A100 datasheet):
# dense FP16/BF16 tensor 312 TFLOP/s, HBM2e 2,039 GB/s, 80 GB.
A100_FP16 = 312e12
A100_BANDWIDTH = 2.039e12
A100_CAPACITY = 80e9

# NanoFlow (Zhu et al., "NanoFlow: Towards Optimal Large Language Model Serving Throughput",
# 2024) profiles the A100's dense FP16 GEMM at about 260 TFLOP/s, not the datasheet's 312.
NANOFLOW_A100 = """
[a100-nanoflow]
extends = "a100-sxm4-80gb"
description = "A100 at the FP16 GEMM rate NanoFlow profiled"
peak_flops = { fp16 = "260 TFLOP/s" }
"""


def test_single_device_file_with_top_level_keys(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """
name = "My GPU"
memory_bandwidth = "1.5 TB/s"
memory_capacity = "48 GB"

[peak_flops]
fp32 = "20 TFLOP/s"
bf16 = "150 TFLOP/s"
""",
    )
    [device] = load(path, catalog, Hardware.from_data)
    assert device.name == "my-gpu"
    assert device.memory_bandwidth == pytest.approx(1.5e12)
    assert device.memory_capacity == pytest.approx(48e9)
    assert device.peak("fp32") == pytest.approx(20e12)
    assert device.peak("bf16") == pytest.approx(150e12)


def test_file_with_several_tables_declares_several_devices(
    tmp_path: Path, catalog: Catalog
) -> None:
    path = write(
        tmp_path,
        """
[board-a]
memory_bandwidth = "1 TB/s"
peak_flops = { fp32 = "10 TFLOP/s" }

[board-b]
memory_bandwidth = "2 TB/s"
peak_flops = { fp16 = "100 TFLOP/s" }
""",
    )
    devices = {device.name: device for device in load(path, catalog, Hardware.from_data)}
    assert set(devices) == {"board-a", "board-b"}
    assert devices["board-a"].memory_bandwidth == pytest.approx(1e12)
    assert devices["board-a"].peak("fp32") == pytest.approx(10e12)
    assert devices["board-b"].memory_bandwidth == pytest.approx(2e12)
    assert devices["board-b"].peak("fp16") == pytest.approx(100e12)


def test_hardware_from_toml_reads_one_device(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
name = "edge-box"
memory_bandwidth = "100 GB/s"
peak_flops = { fp32 = "1 TFLOP/s" }
""",
    )
    device = Hardware.from_toml(path)
    assert isinstance(device, Hardware)
    assert device.name == "edge-box"
    assert device.memory_bandwidth == pytest.approx(100e9)
    assert Hardware.from_toml(str(path)) == device


def test_extends_inherits_and_merges_peaks_dtype_by_dtype(tmp_path: Path) -> None:
    device = Hardware.from_toml(write(tmp_path, NANOFLOW_A100))
    assert device.name == "a100-nanoflow"
    assert device.peak("fp16") == pytest.approx(260e12)
    # Not overridden: the catalog's figures.
    assert device.peak("bf16") == pytest.approx(A100_FP16)
    assert device.memory_bandwidth == pytest.approx(A100_BANDWIDTH)
    assert device.memory_capacity == pytest.approx(A100_CAPACITY)
    assert set(device.peak_flops) == set(builtin_catalog().lookup("a100-sxm4-80gb").peak_flops)
    assert device.description == "A100 at the FP16 GEMM rate NanoFlow profiled"
    # The catalog device's aliases belong to it alone.
    assert device.aliases == ()


def test_extends_field_overrides_replace_the_parents(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """
[a100-slow-hbm]
extends = "a100-sxm4-80gb"
memory_bandwidth = "1.6 TB/s"
""",
    )
    [device] = load(path, catalog, Hardware.from_data)
    assert device.memory_bandwidth == pytest.approx(1.6e12)
    assert device.peak("fp16") == pytest.approx(A100_FP16)
    # Without its own description the entry says what it was made from.
    assert "modified" in device.description


def test_extends_another_entry_of_the_same_file(tmp_path: Path, catalog: Catalog) -> None:
    # The child comes first: the order of the tables does not matter.
    path = write(
        tmp_path,
        """
[board-fast-memory]
extends = "board"
memory_bandwidth = "4 TB/s"

[board]
memory_bandwidth = "1 TB/s"
memory_capacity = "32 GB"
peak_flops = { fp32 = "10 TFLOP/s", bf16 = "80 TFLOP/s" }
""",
    )
    devices = {device.name: device for device in load(path, catalog, Hardware.from_data)}
    child = devices["board-fast-memory"]
    assert child.memory_bandwidth == pytest.approx(4e12)
    assert child.memory_capacity == pytest.approx(32e9)
    assert child.peak("bf16") == pytest.approx(80e12)
    assert devices["board"].memory_bandwidth == pytest.approx(1e12)


def test_extends_chain_reaches_the_catalog(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """
[a100-cutlass]
extends = "a100-sxm4-80gb"
peak_flops = { fp16 = "260 TFLOP/s", bf16 = "260 TFLOP/s" }

[a100-cutlass-throttled]
extends = "a100-cutlass"
memory_bandwidth = "1.8 TB/s"
peak_flops = { bf16 = "200 TFLOP/s" }
""",
    )
    devices = {device.name: device for device in load(path, catalog, Hardware.from_data)}
    leaf = devices["a100-cutlass-throttled"]
    assert leaf.peak("bf16") == pytest.approx(200e12)  # its own
    assert leaf.peak("fp16") == pytest.approx(260e12)  # from a100-cutlass
    assert leaf.peak("fp64") == pytest.approx(19.5e12)  # from the catalog (A100 datasheet)
    assert leaf.memory_bandwidth == pytest.approx(1.8e12)
    assert devices["a100-cutlass"].memory_bandwidth == pytest.approx(A100_BANDWIDTH)


def test_extends_loop_is_an_error_naming_the_loop(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """
[alpha]
extends = "beta"

[beta]
extends = "alpha"
""",
    )
    with pytest.raises(DeclarationError, match="loop") as caught:
        load(path, catalog, Hardware.from_data)
    message = str(caught.value)
    assert "alpha -> beta -> alpha" in message or "beta -> alpha -> beta" in message
    assert str(path) in message
    assert "\n" not in message


def test_extends_itself_is_a_loop(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, '[ouroboros]\nextends = "ouroboros"\n')
    with pytest.raises(DeclarationError, match="ouroboros -> ouroboros"):
        load(path, catalog, Hardware.from_data)


def test_extends_an_unknown_device_suggests_close_names(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, '[mine]\nextends = "a100-sxm4-80g"\n')
    with pytest.raises(UnknownNameError) as caught:
        load(path, catalog, Hardware.from_data)
    message = str(caught.value)
    assert "a100-sxm4-80g" in message
    assert "a100-sxm4-80gb" in caught.value.suggestions
    assert str(path) in message
    assert "mine" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('peak_flops = { fp32 = "10 TFLOP/s" }', "memory_bandwidth"),
        ('memory_bandwidth = "1 TB/s"\npeak_flops = { fp32 = "-1 TFLOP/s" }', "fp32"),
        ('memory_bandwidth = "1 TB/s"\npeak_flops = { fp33 = "1 TFLOP/s" }', "fp33"),
        ('memory_bandwidth = "1 TB/x"\npeak_flops = { fp32 = "1 TFLOP/s" }', "memory_bandwidth"),
    ],
    ids=["missing-bandwidth", "negative-peak", "unknown-dtype", "bad-unit"],
)
def test_bad_figures_are_one_line_naming_file_entry_and_field(
    tmp_path: Path, catalog: Catalog, entry: str, field: str
) -> None:
    path = write(tmp_path, f"[my-board]\n{entry}\n")
    with pytest.raises(DeclarationError) as caught:
        load(path, catalog, Hardware.from_data)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "my-board" in message
    assert field in message


def test_bad_figure_in_an_extending_entry_names_it(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        '[a100-typo]\nextends = "a100-sxm4-80gb"\npeak_flops = { bf61 = "1 TFLOP/s" }\n',
    )
    with pytest.raises(DeclarationError) as caught:
        load(path, catalog, Hardware.from_data)
    message = str(caught.value)
    assert str(path) in message
    assert "a100-typo" in message
    assert "bf61" in message


def test_invalid_toml_is_one_line_naming_the_file(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, "name = \n")
    with pytest.raises(DeclarationError, match="not valid TOML") as caught:
        load(path, catalog, Hardware.from_data)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_one_line_naming_the_file(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(DeclarationError) as caught:
        load(path, catalog, Hardware.from_data)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(DeclarationError, match=r"nowhere\.toml"):
        Hardware.from_toml(path)


def test_entry_that_is_not_a_table_names_the_file(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, 'board = "fast"\n')
    with pytest.raises(DeclarationError) as caught:
        load(path, catalog, Hardware.from_data)
    assert str(path) in str(caught.value)
    assert "board" in str(caught.value)


def test_from_toml_of_a_file_with_two_devices_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[board-a]
memory_bandwidth = "1 TB/s"
peak_flops = { fp32 = "10 TFLOP/s" }

[board-b]
memory_bandwidth = "2 TB/s"
peak_flops = { fp32 = "20 TFLOP/s" }
""",
    )
    with pytest.raises(DeclarationError) as caught:
        from_toml(path, builtin_catalog(), Hardware.from_data)
    message = str(caught.value)
    assert str(path) in message
    assert "board-a" in message
    assert "board-b" in message
    with pytest.raises(DeclarationError):
        Hardware.from_toml(path)


def test_extend_catalog_adds_devices_to_a_copy(tmp_path: Path, catalog: Catalog) -> None:
    devices = load(write(tmp_path, NANOFLOW_A100), catalog, Hardware.from_data)
    extended = extend_catalog(catalog, devices, "devices.toml")
    assert extended.lookup("a100-nanoflow").peak("fp16") == pytest.approx(260e12)
    assert extended.lookup("a100-sxm4-80gb") == catalog.lookup("a100-sxm4-80gb")
    assert "a100-nanoflow" not in catalog


@pytest.mark.parametrize(
    "declaration",
    [
        'name = "h100-sxm"',
        'name = "H100 SXM"',  # normalized to h100-sxm
        'name = "my-h100"\naliases = ["h100"]',  # h100 is an alias of h100-sxm
        'name = "mine"\naliases = ["a100-sxm4-80gb"]',
    ],
)
def test_extend_catalog_rejects_a_clashing_name_or_alias(
    tmp_path: Path, catalog: Catalog, declaration: str
) -> None:
    path = write(
        tmp_path,
        f'{declaration}\nmemory_bandwidth = "1 TB/s"\npeak_flops = {{ fp32 = "1 TFLOP/s" }}\n',
    )
    devices = load(path, catalog, Hardware.from_data)
    with pytest.raises(DeclarationError) as caught:
        extend_catalog(catalog, devices, "pyproject.toml")
    assert "pyproject.toml" in str(caught.value)
    assert "already in the catalog" in str(caught.value)


def test_extend_catalog_rejects_local(catalog: Catalog) -> None:
    mine = Hardware(name="local", peak_flops={"fp32": 1e11}, memory_bandwidth=2e10)
    with pytest.raises(RooflineError, match="local"):
        extend_catalog(catalog, [mine], "pyproject.toml")
