"""The ``roofline`` command: look at the hardware catalog, measure this machine, read reports.

roofline hardware            list the catalog
roofline hardware h100-sxm   one device: ceilings, ridge point per dtype, sources
roofline calibrate           measure this machine's ceilings ('local')
roofline summary out.json    the summary table of a saved JSON report
roofline report out.json --markdown gap.md --html gap.html
                             render a saved JSON report again
roofline diff old.json new.json
                             per-test utilization changes between two reports
roofline plot out.json -o roofline.png
                             the roofline chart as an image (needs pytest-roofline[plot])
roofline serving --model llama-2-70b --hardware a100-sxm4-80gb --gpus 8 \
                 --prompt 1024 --decode 512
                             the serving bound of a configuration (--json for machines)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_COUNT,
    FLOP_RATE,
    format_quantity,
    parse,
    uncertainty,
)
from pytest_roofline.errors import RooflineError
from pytest_roofline.physics.dispatch import bound
from pytest_roofline.physics.serving import ServingConfig
from pytest_roofline.report import json_report, terminal, writers
from pytest_roofline.report.diff import diff_documents, read_report
from pytest_roofline.report.format import figure, seconds, tokens_per_second
from pytest_roofline.specs.hardware import (
    Hardware,
    default_catalog,
)
from pytest_roofline.specs.transformer import Transformer

PLOT_FORMATS = (".png", ".svg", ".pdf")


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
                f"{figure(device.ridge_point('bf16'))} FLOP/B" if bf16 else "-",
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


def _serving(args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    """The notes' table for one serving configuration, and the same figures as JSON."""
    if (args.model is None) == (args.hf_config is None):
        raise RooflineError("give exactly one of --model NAME and --hf-config PATH")
    model = (
        Transformer.from_hf_config(args.hf_config)
        if args.hf_config
        else Transformer.named(args.model)
    )
    if args.params is not None:
        try:
            params = parse(args.params, FLOP_COUNT)
        except RooflineError as error:
            raise RooflineError(f"--params: {error}") from None
        model = Transformer(**{**model.model_dump(), "params": params})
    # No --dtype: the model's own (a config.json's torch_dtype), else fp16.
    dtype = {} if args.dtype is None else {"dtype": args.dtype}
    config = ServingConfig(
        model=model,
        hardware=args.hardware,
        gpus=args.gpus,
        prompt_tokens=args.prompt,
        decode_tokens=args.decode,
        kv_dtype=args.kv_dtype,
        batch_size=args.batch,
        **dtype,
    )
    b = bound(config)
    per_gpu = b.optimal_tokens_per_second_per_gpu
    params = model.params or model.counted_params
    lines = [
        f"{model.name} on {config.gpus} x {b.hardware}, p={b.prompt_tokens:g},"
        f" d={b.decode_tokens:g}, {config.dtype}",
        f"  params            {params / 1e9:.2f}e9 ({model.active_params / 1e9:.2f}e9"
        " active per token)",
        f"  B_dense           {figure(b.batch_size)} tokens per iteration",
        f"  T_memory          {seconds(b.memory_seconds)}",
        f"  T_compute         {seconds(b.compute_seconds)}",
        f"  T_net             {seconds(b.network_seconds)}",
        f"  T_net/T_compute   {b.network_to_compute:.3f}",
        f"  T_mem/T_compute   {b.memory_to_compute:.3f}",
        f"  bottleneck        {b.bottleneck}",
        f"  optimal           {tokens_per_second(b.optimal_tokens_per_second)}"
        f" ({figure(per_gpu)} per GPU; {figure(b.optimal_decode_tokens_per_second)} output"
        f" tokens/s; {figure(b.optimal_requests_per_second)} requests/s)",
        f"  attainable        {tokens_per_second(b.attainable_tokens_per_second)}"
        " (B_dense / bound)",
        f"  KV cache          {format_quantity(b.kv_bytes_per_token, BYTES)} per token"
        f" ({config.kv_dtype or config.dtype}), GQA group {model.gqa_group_size:g}",
    ]
    document = {
        "model": model.model_dump(mode="json", exclude={"sources", "aliases", "description"}),
        "config": config.model_dump(mode="json", exclude={"model"}),
        "bound": b.model_dump(mode="json"),
    }
    return lines, document


def _render(args: argparse.Namespace) -> list[writers.Written]:
    """``roofline report``: Markdown and HTML from a saved JSON report (``-``: stdout)."""
    if args.markdown is None and args.html is None:
        raise RooflineError("roofline report: give --markdown PATH and/or --html PATH")
    outputs = {"--markdown": args.markdown, "--html": args.html}
    named = [(n, path) for n, path in outputs.items() if path and not writers.is_stdout(path)]
    for name, path in named:
        if path.is_dir():
            raise RooflineError(f"roofline report: {name} {path} is a folder; give a file name")
    clash = writers.first_clash([("the report read", args.report), *named])
    if clash is not None:
        first, second, path = clash
        over = (
            f"{args.report}, the report read" if first == "the report read" else f"{first} {path}"
        )
        raise RooflineError(
            f"roofline report: {second} {path} would overwrite {over}; give another path"
        )
    document = json_report.read(args.report)
    return writers.write_all(document, markdown=args.markdown, html=args.html)


def _plot(args: argparse.Namespace) -> list[writers.Written]:
    """``roofline plot``: the charts as an image, in a format matplotlib writes."""
    if args.output.suffix.lower() not in PLOT_FORMATS:
        raise RooflineError(
            f"roofline plot: -o {args.output}: the chart is written as"
            f" {', '.join(PLOT_FORMATS)}; name the file with one of them"
        )
    return [writers.write_plot(json_report.read(args.report), args.output)]


def _hardware(name: str | None) -> list[str]:
    """``roofline hardware [NAME]``: the catalog, or one device."""
    if name is not None and not name.strip():
        raise RooflineError("roofline hardware: the name is empty; give one, or none")
    return _show_hardware(default_catalog().lookup(name)) if name else _list_hardware()


def _summary(path: Path) -> list[str]:
    """``roofline summary``: the terminal summary of a saved JSON report."""
    document = json_report.read(path)
    return terminal.summary_lines(document["results"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roofline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("hardware", help="list the catalog, or show one device")
    show.add_argument("name", nargs="?", help="a catalog name, alias, or 'local'")
    commands.add_parser("calibrate", help="measure this machine's ceilings")
    summary = commands.add_parser("summary", help="print the summary of a JSON report")
    summary.add_argument("report", type=Path)
    report = commands.add_parser("report", help="render a saved JSON report again")
    report.add_argument("report", type=Path)
    report.add_argument("--markdown", type=Path, help="write Markdown here ('-': stdout)")
    report.add_argument("--html", type=Path, help="write self-contained HTML here ('-': stdout)")
    diff = commands.add_parser("diff", help="utilization changes between two reports")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    plot_parser = commands.add_parser("plot", help="the roofline chart as a PNG or SVG image")
    plot_parser.add_argument("report", type=Path)
    plot_parser.add_argument("-o", "--output", type=Path, default=Path("roofline.png"))
    serving = commands.add_parser("serving", help="the serving bound of a configuration")
    serving.add_argument("--model", help="a catalog model, e.g. llama-2-70b")
    serving.add_argument("--hf-config", help="a Hugging Face config.json instead of --model")
    serving.add_argument("--params", help="nominal parameter count, e.g. 70e9")
    serving.add_argument("--hardware", required=True, help="a catalog hardware name")
    serving.add_argument("--gpus", type=int, default=1)
    serving.add_argument("--prompt", type=float, required=True, help="p, prompt tokens")
    serving.add_argument("--decode", type=float, required=True, help="d, output tokens")
    serving.add_argument("--batch", type=float, help="B_dense (default: what memory holds)")
    serving.add_argument(
        "--dtype", help="weights and compute (default: the config.json's torch_dtype, else fp16)"
    )
    serving.add_argument("--kv-dtype")
    serving.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _run(args: argparse.Namespace) -> list[writers.Written]:
    """The command's lines to show, each with whether it succeeded."""
    if args.command == "report":
        return _render(args)
    if args.command == "plot":
        return _plot(args)
    if args.command == "hardware":
        lines = _hardware(args.name)
    elif args.command == "calibrate":
        lines = _show_hardware(default_catalog().lookup("local"))
    elif args.command == "diff":
        lines = diff_documents(read_report(args.old), read_report(args.new))
    elif args.command == "serving":
        lines, document = _serving(args)
        if args.json:
            lines = [json.dumps(document, indent=2)]
    else:
        lines = _summary(args.report)
    return [(line, True) for line in lines]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (2 for bad input or an output not
    written, with one line on stderr for each)."""
    args = _parser().parse_args(argv)
    try:
        written = _run(args)
    except OSError as error:  # reading an input
        where = f"{error.filename}: " if error.filename else ""
        print(f"roofline: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except RooflineError as error:
        print(f"roofline: {error}", file=sys.stderr)
        return 2
    failed = [line for line, ok in written if not ok]
    shown = "\n".join(line for line, ok in written if ok)
    broken = False
    try:
        if shown or not failed:
            print(shown)
    except BrokenPipeError:  # `roofline hardware | head`
        broken = True
    for line in failed:
        print(line, file=sys.stderr)
    if broken:
        sys.stderr.close()  # no "Exception ignored" when Python flushes stdout at exit
    return 2 if failed else 0
