"""``hardware="auto"``: name the accelerator the tests run on, or fall back to ``local``.

The device's name comes from, in order: a plugin's ``pytest_roofline_detect_hardware``
hook, NVIDIA's NVML (the optional ``nvidia-ml-py`` package, imported as ``pynvml``), or
torch (``torch.cuda.get_device_name``, which also names AMD GPUs under ROCm). The name a
driver reports ("NVIDIA H100 80GB HBM3") is matched to a catalog entry by the patterns
below; a machine with no accelerator, or one the catalog does not know, is ``local``, and
the note says why.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs import catalog as catalogs
from pytest_roofline.specs.catalog import AUTO, LOCAL
from pytest_roofline.specs.hardware import Catalog, Hardware

# Driver-reported names -> catalog names; the first match wins, so specific patterns
# (H100 NVL, H100 PCIe) come before general ones (H100).
DEVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"GB200", "gb200"),
    (r"B200", "b200"),
    (r"H200", "h200"),
    (r"H100.*NVL", "h100-nvl"),
    (r"H100.*PCIe", "h100-pcie"),
    (r"H100", "h100-sxm"),
    (r"A100.*(PCIe|PCIE).*80|A100 80GB PCIe", "a100-pcie-80gb"),
    (r"A100.*40GB", "a100-sxm4-40gb"),
    (r"A100", "a100-sxm4-80gb"),
    (r"L40S", "l40s"),
    (r"\bL4\b", "l4"),
    (r"A10G", "a10g"),
    (r"V100", "v100-sxm2-32gb"),
    (r"RTX 4090", "rtx-4090"),
    (r"MI325X", "mi325x"),
    (r"MI300X", "mi300x"),
    (r"MI250X", "mi250x"),
)


@dataclass(frozen=True)
class Detection:
    """What ``auto`` resolved to, and how (shown in the report header)."""

    hardware: Hardware
    note: str


def match_device(reported: str, catalog: Catalog) -> str | None:
    """The catalog name for a driver-reported device name, or None."""
    for pattern, name in DEVICE_PATTERNS:
        if re.search(pattern, reported, flags=re.IGNORECASE) and name in catalog:
            return name
    return None


def name_from_nvml() -> str | None:
    """The first GPU's name through NVML, or None (no package, no driver, no GPU)."""
    if importlib.util.find_spec("pynvml") is None:
        return None
    try:
        pynvml = importlib.import_module("pynvml")
        pynvml.nvmlInit()
        try:
            if pynvml.nvmlDeviceGetCount() < 1:
                return None
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return None
    return name.decode() if isinstance(name, bytes) else str(name)


def name_from_torch() -> str | None:
    """The first GPU's name through torch (CUDA or ROCm), or None."""
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        torch = importlib.import_module("torch")
        if not torch.cuda.is_available():
            return None
        return str(torch.cuda.get_device_name(0))
    except Exception:
        return None


PROBES: tuple[tuple[str, Callable[[], str | None]], ...] = (
    ("NVML", name_from_nvml),
    ("torch", name_from_torch),
)


def detect(catalog: Catalog, hook_answer: str | Hardware | None = None) -> Detection:
    """Resolve ``auto``: a plugin's answer, else NVML, else torch, else ``local``."""
    __tracebackhide__ = True
    if isinstance(hook_answer, Hardware):
        return Detection(hook_answer, f"auto: {hook_answer.name} (from a plugin)")
    if hook_answer is not None:
        name = hook_answer if hook_answer in catalog else match_device(hook_answer, catalog)
        if name is None:
            raise DeclarationError(
                f"pytest_roofline_detect_hardware returned {hook_answer!r}, which is neither a"
                " catalog name nor a device name the catalog knows"
            )
        device = catalog.lookup(name)
        return Detection(device, f"auto: {hook_answer} (from a plugin): {device.name}")
    unknown = []
    for source, probe in PROBES:
        reported = probe()
        if reported is None:
            continue
        name = match_device(reported, catalog)
        if name is not None:
            return Detection(catalog.lookup(name), f"auto: {reported!r} through {source}: {name}")
        unknown.append(f"{reported!r} through {source}")
    why = (
        f"found {', '.join(unknown)}, which the catalog does not know"
        if unknown
        else "no accelerator found through NVML or torch"
    )
    return Detection(catalog.lookup(LOCAL), f"auto: {why}; using local")


def _auto(catalog: catalogs.Catalog[Any]) -> Hardware:
    __tracebackhide__ = True
    return detect(cast(Catalog, catalog)).hardware


catalogs.register_provider(AUTO, _auto)
