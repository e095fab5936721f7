"""hardware="auto": driver names matched to the catalog, NVML before torch, else local."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Callable

import pytest

from pytest_roofline.machine import detect as detect_module
from pytest_roofline.machine.detect import (
    Detection,
    detect,
    match_device,
    name_from_nvml,
    name_from_torch,
)
from pytest_roofline.specs.hardware import (
    Catalog,
    Hardware,
    builtin_catalog,
)


@pytest.fixture
def catalog(builtin_catalogs: None, fake_local: Hardware) -> Catalog:
    """The built-in devices, with a "local" that costs nothing to resolve (so no test here
    runs the real calibration)."""
    return Catalog(builtin_catalog(), local=lambda: fake_local)


def fake_module(name: str, **attributes: object) -> types.ModuleType:
    """A module importlib can find (it has a spec) with the given attributes."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def probes(*answers: tuple[str, str | None]) -> tuple[tuple[str, Callable[[], str | None]], ...]:
    """detect.PROBES that report fixed names."""
    return tuple((source, (lambda answer=answer: answer)) for source, answer in answers)


# The names drivers report: nvidia-smi / NVML device names as NVIDIA prints them, and
# torch.cuda.get_device_name under ROCm for AMD Instinct parts.
@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),
        ("NVIDIA H100 PCIe", "h100-pcie"),
        ("NVIDIA H100 NVL", "h100-nvl"),
        ("NVIDIA A100-SXM4-80GB", "a100-sxm4-80gb"),
        ("NVIDIA A100-SXM4-40GB", "a100-sxm4-40gb"),
        ("NVIDIA A100 80GB PCIe", "a100-pcie-80gb"),
        ("NVIDIA L4", "l4"),
        ("NVIDIA L40S", "l40s"),
        ("NVIDIA A10G", "a10g"),
        ("Tesla V100-SXM2-32GB", "v100-sxm2-32gb"),
        ("NVIDIA GeForce RTX 4090", "rtx-4090"),
        ("NVIDIA H200", "h200"),
        ("NVIDIA B200", "b200"),
        ("AMD Instinct MI300X", "mi300x"),
        ("AMD Instinct MI250X", "mi250x"),
    ],
)
def test_match_device_maps_driver_names_to_catalog_names(
    reported: str, expected: str, catalog: Catalog
) -> None:
    assert match_device(reported, catalog) == expected


@pytest.mark.parametrize("reported", ["Quadro P1000", "NVIDIA L40", ""])
def test_match_device_of_an_unknown_device_is_none(reported: str, catalog: Catalog) -> None:
    # An L40 (not an L40S) is not in the catalog and must not be taken for an L4.
    assert match_device(reported, catalog) is None


def test_match_device_needs_the_name_in_the_catalog(fake_local: Hardware) -> None:
    only_l4 = Catalog([builtin_catalog().lookup("l4")], local=lambda: fake_local)
    assert match_device("NVIDIA L4", only_l4) == "l4"
    assert match_device("NVIDIA H100 80GB HBM3", only_l4) is None


class FakeNvml:
    """What the pynvml calls name_from_nvml makes return; records init and shutdown."""

    def __init__(self, names: list[object], init_error: Exception | None = None) -> None:
        self.names = names
        self.init_error = init_error
        self.calls: list[str] = []

    def module(self) -> types.ModuleType:
        def init() -> None:
            self.calls.append("init")
            if self.init_error is not None:
                raise self.init_error

        def shutdown() -> None:
            self.calls.append("shutdown")

        return fake_module(
            "pynvml",
            nvmlInit=init,
            nvmlShutdown=shutdown,
            nvmlDeviceGetCount=lambda: len(self.names),
            nvmlDeviceGetHandleByIndex=lambda index: ("handle", index),
            nvmlDeviceGetName=lambda handle: self.names[handle[1]],
        )


@pytest.mark.parametrize("name", [b"NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"])
def test_name_from_nvml_reads_the_first_device_as_text(
    name: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Older nvidia-ml-py returns bytes, newer returns str.
    nvml = FakeNvml([name, "NVIDIA A100-SXM4-80GB"])
    monkeypatch.setitem(sys.modules, "pynvml", nvml.module())
    assert name_from_nvml() == "NVIDIA H100 80GB HBM3"
    assert nvml.calls == ["init", "shutdown"]


def test_name_from_nvml_with_no_device_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml([])
    monkeypatch.setitem(sys.modules, "pynvml", nvml.module())
    assert name_from_nvml() is None
    assert nvml.calls == ["init", "shutdown"]


def test_name_from_nvml_without_a_driver_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # nvmlInit raises NVMLError_LibraryNotFound on a machine without the driver.
    nvml = FakeNvml(["NVIDIA H100 80GB HBM3"], init_error=RuntimeError("no driver"))
    monkeypatch.setitem(sys.modules, "pynvml", nvml.module())
    assert name_from_nvml() is None


def test_name_from_nvml_without_the_package_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert name_from_nvml() is None


def fake_torch(available: bool, name: str = "") -> types.ModuleType:
    cuda = types.SimpleNamespace(
        is_available=lambda: available,
        get_device_name=lambda index=0: name,
    )
    return fake_module("torch", cuda=cuda)


def test_name_from_torch_without_a_gpu_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(False, "NVIDIA H100 80GB HBM3"))
    assert name_from_torch() is None


def test_name_from_torch_names_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch(True, "AMD Instinct MI300X"))
    assert name_from_torch() == "AMD Instinct MI300X"


def test_name_from_torch_without_the_package_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert name_from_torch() is None


def failing_probe() -> str | None:
    raise AssertionError("a plugin's answer must be used without probing the devices")


def test_detect_uses_a_plugins_name(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect_module, "PROBES", (("NVML", failing_probe),))
    found = detect(catalog, "h100")  # an alias of h100-sxm
    assert isinstance(found, Detection)
    assert found.hardware == builtin_catalog().lookup("h100-sxm")
    assert "plugin" in found.note


def test_detect_uses_a_plugins_hardware(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect_module, "PROBES", (("NVML", failing_probe),))
    mine = Hardware(name="my-board", peak_flops={"fp16": 1e14}, memory_bandwidth=1e12)
    found = detect(catalog, mine)
    assert found.hardware is mine
    assert "my-board" in found.note
    assert "plugin" in found.note


def test_detect_asks_nvml_before_torch(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real probes, each fed by a fake package: NVML's answer wins.
    nvml = FakeNvml(["NVIDIA H100 PCIe"])
    monkeypatch.setitem(sys.modules, "pynvml", nvml.module())
    monkeypatch.setitem(sys.modules, "torch", fake_torch(True, "NVIDIA A100-SXM4-80GB"))
    found = detect(catalog)
    assert found.hardware.name == "h100-pcie"
    assert "NVML" in found.note
    assert "NVIDIA H100 PCIe" in found.note


def test_detect_falls_back_to_torch(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "torch", fake_torch(True, "AMD Instinct MI250X"))
    found = detect(catalog)
    assert found.hardware.name == "mi250x"
    assert "torch" in found.note


def test_detect_of_an_unknown_device_is_local_naming_the_device(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, fake_local: Hardware
) -> None:
    monkeypatch.setattr(detect_module, "PROBES", probes(("NVML", "Quadro P1000"), ("torch", None)))
    found = detect(catalog)
    assert found.hardware == fake_local
    assert "Quadro P1000" in found.note
    assert "local" in found.note


def test_detect_with_nothing_found_is_local(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, fake_local: Hardware
) -> None:
    monkeypatch.setattr(detect_module, "PROBES", probes(("NVML", None), ("torch", None)))
    found = detect(catalog)
    assert found.hardware == fake_local
    assert "no accelerator found" in found.note


def test_catalog_lookup_of_auto_detects(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect_module, "PROBES", probes(("NVML", "NVIDIA H100 80GB HBM3")))
    assert catalog.lookup("auto").name == "h100-sxm"
    assert catalog.lookup("AUTO").name == "h100-sxm"
