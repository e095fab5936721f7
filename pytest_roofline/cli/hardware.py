"""``roofline hardware`` and ``roofline calibrate``: the catalog, one device, this machine."""

from __future__ import annotations

import time

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_RATE,
    format_quantity,
    uncertainty,
)
from pytest_roofline.errors import RooflineError
from pytest_roofline.report.format import figure
from pytest_roofline.specs.catalog import LOCAL
from pytest_roofline.specs.hardware import Hardware, default_catalog


def list_hardware() -> list[str]:
    """One line per device of the catalog names resolve in."""
    rows = [("name", "memory", "bandwidth", "bf16 peak", "bf16 ridge")]
    for device in default_catalog():
        bf16 = device.peak_flops.get("bf16")
        rows.append(
            (
                device.name,
                format_quantity(device.memory_capacity, BYTES) if device.memory_capacity else "-",
                format_quantity(device.memory_bandwidth, BANDWIDTH),
                format_quantity(bf16, FLOP_RATE) if bf16 else "-",
                f"{figure(device.ridge_point('bf16'))} FLOP/B" if bf16 else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def show_hardware(device: Hardware) -> list[str]:
    """One device: its figures, ridge point per dtype, and where each figure came from."""
    lines = [f"{device.name}: {device.description}".rstrip(": ")]
    if device.aliases:
        lines.append(f"  aliases: {', '.join(device.aliases)}")
    lines.append(f"  memory bandwidth: {format_quantity(device.memory_bandwidth, BANDWIDTH)}")
    if device.memory_capacity:
        lines.append(f"  memory capacity: {format_quantity(device.memory_capacity, BYTES)}")
    if device.interconnect_bandwidth:
        lines.append(
            f"  interconnect: {format_quantity(device.interconnect_bandwidth, BANDWIDTH)}"
            f" one way ({device.interconnect or 'unnamed'})"
        )
    if device.pcie_generation:
        lines.append(f"  PCIe: generation {device.pcie_generation}")
    if device.tdp:
        lines.append(f"  TDP: {device.tdp:g} W")
    for level in device.memory_levels:
        lines.append(
            f"  {level.name}: {format_quantity(level.capacity, BYTES)},"
            f" {format_quantity(level.bandwidth, BANDWIDTH)}"
        )
    if device.measured_at:
        lines.append(f"  measured at: {device.measured_at}")
    if device.ceiling_uncertainty:
        lines.append(f"  ceiling uncertainty: {uncertainty(device.ceiling_uncertainty)}")
    lines.append("  dense peak and ridge point per dtype:")
    for dtype, peak in device.peak_flops.items():
        sparse = "  (2:4 sparse: x2)" if dtype in device.sparse_dtypes else ""
        lines.append(
            f"    {dtype:5} {format_quantity(peak, FLOP_RATE):>14}"
            f"  ridge {device.ridge_point(dtype):8.1f} FLOP/B{sparse}"
        )
    for field, source in device.sources.items():
        lines.append(f"  source ({field}): {source}")
    return lines


def hardware(name: str | None) -> list[str]:
    """``roofline hardware [NAME]``: the catalog, or one device."""
    if name is not None and not name.strip():
        raise RooflineError("roofline hardware: the name is empty; give one, or none")
    return show_hardware(default_catalog().lookup(name)) if name else list_hardware()


def calibrate() -> list[str]:
    """``roofline calibrate``: this machine's ceilings, measured now, and how long that
    took. A machine busy with other work takes several times as long as a quiet one
    (the probes' warm-up and first pass run at the speed the neighbours leave), so the
    time is said, not left to be guessed."""
    started = time.perf_counter()
    device = default_catalog().lookup(LOCAL)
    elapsed = time.perf_counter() - started
    return [*show_hardware(device), f"calibration took {elapsed:.2f} s"]
