"""Hardware: the ceilings a roofline is drawn from, and the catalog that names them.

A :class:`Hardware` holds one device's (or one machine's) dense peak FLOP/s per dtype, its
memory bandwidth, and optionally its memory capacity and one-direction interconnect
bandwidth. Catalog devices come from the TOML files in ``specs/data/hardware/``, each
figure with its source; ``local`` is this machine, measured (see
:mod:`pytest_roofline.machine.calibration`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from pytest_roofline.core import arrays, reading
from pytest_roofline.core.dtypes import (
    DType,
    canonical_dtype,
)
from pytest_roofline.core.fields import Bandwidth, FlopRate, PositiveBytes, Watts
from pytest_roofline.core.frozen import Spec
from pytest_roofline.core.names import normalize
from pytest_roofline.errors import (
    DeclarationError,
)
from pytest_roofline.specs import catalog, files
from pytest_roofline.specs.catalog import AUTO, LOCAL


class MemoryLevel(Spec):
    """One level of a memory hierarchy below main memory: a cache and its bandwidth."""

    name: str = Field(min_length=1)
    """"L1", "L2", "L3"."""
    capacity: PositiveBytes
    """Bytes the level holds across all its instances (every core's private L2)."""
    bandwidth: Bandwidth


class Hardware(Spec):
    """One device, or one machine, as the roofline sees it.

    >>> h100 = Hardware.named("h100-sxm")
    >>> round(h100.ridge_point("bf16"))
    295
    """

    name: str = Field(min_length=1)
    description: str = ""
    aliases: tuple[str, ...] = ()
    peak_flops: dict[DType, FlopRate] = Field(min_length=1)
    """Dense peak FLOP/s (OP/s for integer types) per canonical dtype."""
    memory_bandwidth: Bandwidth
    memory_capacity: PositiveBytes | None = None
    interconnect_bandwidth: Bandwidth | None = None
    """Device-to-device bandwidth, one direction, per device (NVLink 4 on H100: 450e9)."""
    interconnect: str = ""
    """The interconnect's name: "NVLink 4", "Infinity Fabric", "ICI"."""
    interconnect_gpus: int | None = Field(default=None, ge=2)
    """The most devices ``interconnect_bandwidth`` links (2 for NVLink bridges, which join
    pairs); a larger group's all-reduces cross PCIe (``pcie_generation``)."""
    interconnect_links: int | None = Field(default=None, ge=1)
    """Peer links ``interconnect_bandwidth`` is the sum of, in a full mesh (7 on MI300X,
    8-device boxes): a group of N devices uses N - 1 of them."""
    pcie_generation: int | None = Field(default=None, ge=1)
    tdp: Watts | None = None
    """Board power in watts."""
    sparse_dtypes: tuple[DType, ...] = ()
    """Dtypes whose 2:4 structured sparsity doubles the tensor throughput (NVIDIA)."""
    memory_levels: tuple[MemoryLevel, ...] = ()
    """Caches, smallest first, with their bandwidths; ``memory_bandwidth`` is main memory.
    A kernel whose working set fits in a level is bounded by that level's bandwidth."""
    measured_at: str = ""
    """When measured hardware was calibrated (ISO 8601); empty for datasheet figures."""
    ceiling_uncertainty: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Relative uncertainty of the ceilings: 0 for datasheet figures, > 0 when measured."""
    measured: bool = False
    sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _normalize_name(cls, name: str) -> str:
        return normalize(name)

    def interconnect_bandwidth_for(self, gpus: Any) -> Any:
        """One-direction bandwidth per device for all-reduces among ``gpus`` devices.

        ``interconnect_bandwidth`` as is, except in a mesh of ``interconnect_links``
        links (a group of N uses N - 1 of them) and beyond ``interconnect_gpus`` devices
        (PCIe x16 of ``pcie_generation``: 32e9 B/s one way for Gen4, doubling each
        generation). Works on floats and numpy arrays alike; 0 without an interconnect.
        """
        __tracebackhide__ = True
        gpus = arrays.asarray(gpus)  # a plain number stays one: no numpy
        if self.interconnect_bandwidth is None:
            return arrays.scalar_or_array(0.0 * gpus)
        per_device: Any = self.interconnect_bandwidth
        if self.interconnect_links is not None:
            used = arrays.clip(gpus - 1, 1, self.interconnect_links)
            per_device = per_device * used / self.interconnect_links
        if self.interconnect_gpus is not None:
            beyond = gpus > self.interconnect_gpus
            if arrays.any_true(beyond):
                if self.pcie_generation is None:
                    raise DeclarationError(
                        f"hardware {self.name!r} links at most {self.interconnect_gpus}"
                        " devices (interconnect_gpus) and declares no pcie_generation for"
                        " larger groups"
                    )
                pcie = 32e9 * 2.0 ** (self.pcie_generation - 4)
                per_device = arrays.where(beyond, pcie, per_device)
        return arrays.scalar_or_array(per_device)

    def peak(self, dtype: str, *, sparse: bool = False) -> float:
        """Peak FLOP/s for ``dtype``: dense, or with ``sparse=True`` the 2:4-sparse ceiling
        (twice the dense one) where the device supports it.

        An unknown dtype is an error naming the dtypes this device has.
        """
        __tracebackhide__ = True
        key = canonical_dtype(dtype)
        if key not in self.peak_flops:
            have = ", ".join(sorted(self.peak_flops))
            raise DeclarationError(f"hardware {self.name!r} has no {key} peak; it has {have}")
        if sparse:
            if key not in self.sparse_dtypes:
                raise DeclarationError(
                    f"hardware {self.name!r} has no 2:4-sparse {key} peak"
                    + (
                        f"; sparse dtypes: {', '.join(self.sparse_dtypes)}"
                        if self.sparse_dtypes
                        else ""
                    )
                )
            return 2 * self.peak_flops[key]
        return self.peak_flops[key]

    def ridge_point(self, dtype: str, working_set: float | None = None) -> float:
        """Critical intensity in FLOP/byte: peak(dtype) / memory bandwidth.

        Above it a kernel is compute-bound, below it memory-bound (Williams, Waterman and
        Patterson, "Roofline", CACM 2009). With ``working_set`` bytes, the bandwidth is
        that of the smallest memory level holding them.
        """
        __tracebackhide__ = True
        return self.peak(dtype) / self.bandwidth_for(working_set)[1]

    def bandwidth_for(self, working_set: float | None) -> tuple[str, float]:
        """(level name, bandwidth) of the smallest level that holds ``working_set`` bytes;
        main memory ("memory") when no cache does or no working set is given."""
        if working_set is not None and self.memory_levels:
            for level in sorted(self.memory_levels, key=lambda lv: lv.capacity):
                if working_set <= level.capacity:
                    return level.name, level.bandwidth
        return "memory", self.memory_bandwidth

    @classmethod
    def from_toml(cls, path: str | Path) -> Hardware:
        """The device a TOML file describes (the catalog's schema; ``extends`` allowed).

        >>> Hardware.from_toml("my-gpu.toml")  # doctest: +SKIP
        """
        __tracebackhide__ = True
        device: Hardware = files.from_toml(path, default_catalog(), cls.from_data)
        return device

    @classmethod
    def named(cls, name: str) -> Hardware:
        """The catalog device called ``name`` (case-insensitive, aliases too), or ``local``.

        An unknown name raises :class:`UnknownNameError` with the closest known names.
        """
        __tracebackhide__ = True
        return default_catalog().lookup(name)


class Catalog(catalog.Catalog[Hardware]):
    """Hardware by name and alias; ``local`` resolves to this machine's measured ceilings
    and ``auto`` to the device detected (both provided by :mod:`pytest_roofline.machine`).
    """

    kind = "hardware"
    item = Hardware
    special = (LOCAL, AUTO)

    def __init__(
        self,
        devices: Iterable[Hardware] = (),
        local: Callable[[], Hardware] | None = None,
        auto: Callable[[], Hardware] | None = None,
    ) -> None:
        super().__init__(devices, {LOCAL: local, AUTO: auto})

    def copy(
        self,
        local: Callable[[], Hardware] | None = None,
        auto: Callable[[], Hardware] | None = None,
    ) -> Catalog:
        """An independent catalog with the same devices (to add a session's own hardware).

        ``local`` replaces how ``local`` is measured (the plugin shares one calibration
        among the processes of a run); ``auto`` how ``auto`` is detected.
        """
        twin = super().copy()
        twin._own = {LOCAL: local or self._own.get(LOCAL), AUTO: auto or self._own.get(AUTO)}
        return twin


def load_hardware_file(text: str, where: str) -> Hardware:
    """Parse one TOML hardware description; errors name ``where`` (the file)."""
    __tracebackhide__ = True
    hardware: Hardware = Hardware.from_data(reading.parse_toml(text, where), where)
    return hardware


@functools.cache
def builtin_catalog() -> Catalog:
    """The devices shipped in ``specs/data/hardware/*.toml``, read once."""
    folder = resources.files("pytest_roofline.specs").joinpath("data").joinpath("hardware")
    devices = [
        load_hardware_file(entry.read_text(encoding="utf-8"), f"specs/data/hardware/{entry.name}")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
    return Catalog(devices)


def default_catalog() -> Catalog:
    """The catalog ``Hardware.named`` and ``bound`` use: the built-in devices, or, during
    a pytest run, the run's catalog (with the hardware declared in its configuration)."""
    found = catalog.active(Catalog.kind)
    return found if isinstance(found, Catalog) else builtin_catalog()
