"""The ``roofline`` command: look at the hardware catalog, measure this machine, read reports.

roofline hardware            list the catalog
roofline hardware h100-sxm   one device: ceilings, ridge point per dtype, sources
roofline calibrate           measure this machine's ceilings ('local')
roofline summary out.json    the summary table of a saved JSON report
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import RooflineError
from .hardware import Hardware, default_catalog
from .report import json_report, terminal
from .results import Result
from .units import BANDWIDTH, BYTES, FLOP_RATE, format_quantity


def _list_hardware() -> list[str]:
    rows = [("name", "memory", "bandwidth", "bf16 peak", "bf16 ridge")]
    for device in default_catalog():
        bf16 = device.peak_flops.get("bf16")
        rows.append(
            (
                device.name,
                format_quantity(device.memory_capacity, BYTES) if device.memory_capacity else "-",
                format_quantity(device.memory_bandwidth, BANDWIDTH),
                format_quantity(bf16, FLOP_RATE) if bf16 else "-",
                f"{device.ridge_point('bf16'):.0f} FLOP/B" if bf16 else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _show_hardware(device: Hardware) -> list[str]:
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
    if device.ceiling_uncertainty:
        lines.append(f"  ceiling uncertainty: ±{device.ceiling_uncertainty:.0%}")
    lines.append("  dense peak and ridge point per dtype:")
    for dtype, peak in device.peak_flops.items():
        lines.append(
            f"    {dtype:5} {format_quantity(peak, FLOP_RATE):>14}"
            f"  ridge {device.ridge_point(dtype):8.1f} FLOP/B"
        )
    for field, source in device.sources.items():
        lines.append(f"  source ({field}): {source}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (2 for bad input, with one line)."""
    parser = argparse.ArgumentParser(prog="roofline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("hardware", help="list the catalog, or show one device")
    show.add_argument("name", nargs="?", help="a catalog name, alias, or 'local'")
    commands.add_parser("calibrate", help="measure this machine's ceilings")
    summary = commands.add_parser("summary", help="print the summary of a JSON report")
    summary.add_argument("report", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "hardware":
            if args.name:
                lines = _show_hardware(default_catalog().lookup(args.name))
            else:
                lines = _list_hardware()
        elif args.command == "calibrate":
            lines = _show_hardware(default_catalog().lookup("local"))
        else:
            document = json_report.read(args.report)
            results = [Result.model_validate(r) for r in document["results"]]
            lines = terminal.summary_lines(results)
    except (RooflineError, OSError, ValueError) as error:
        message = (
            str(error)
            if not isinstance(error, json.JSONDecodeError)
            else (f"{args.report}: not JSON: {error}")
        )
        print(f"roofline: {message}", file=sys.stderr)
        return 2
    try:
        print("\n".join(lines))
    except BrokenPipeError:  # `roofline hardware | head`
        sys.stderr.close()
    return 0
