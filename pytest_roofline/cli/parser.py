"""The command line of ``roofline``: its subcommands and their options.

Every mistake in the command line is one line naming the culprit, with exit status 2,
like every other bad input (DESIGN.md section 6); ``--help`` shows the usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from pytest_roofline.report.gate import FAIL_ON

PLOT_FORMATS = (".png", ".svg", ".pdf")


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake told in one line instead of the usage and the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hardware-file",
        action="append",
        default=[],
        metavar="PATH",
        help="a TOML file of custom hardware (may repeat); replaces the files the project's"
        " configuration names, as --roofline-hardware-file does",
    )


def build(description: str) -> Parser:
    """The parser of every subcommand."""
    parser = Parser(prog="roofline", description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "hardware", help="list the catalog, or show one device (the project's own included)"
    )
    show.add_argument("name", nargs="?", help="a catalog name, alias, or 'local'")
    _project_options(show)
    commands.add_parser("calibrate", help="measure this machine's ceilings")
    summary = commands.add_parser("summary", help="print the summary of JSON reports")
    summary.add_argument("report", nargs="+", help="reports or baselines (merged)")
    report = commands.add_parser("report", help="render saved JSON reports again")
    report.add_argument("report", nargs="+", help="reports or baselines (merged)")
    report.add_argument("--markdown", type=Path, help="write Markdown here ('-': stdout)")
    report.add_argument("--html", type=Path, help="write self-contained HTML here ('-': stdout)")
    diff = commands.add_parser("diff", help="utilization changes between two reports")
    diff.add_argument("old", help="a report, or a baseline by path or name")
    diff.add_argument("new", help="a report, or a baseline by path or name")
    diff.add_argument(
        "--max-drop",
        metavar="FRACTION",
        help="fail (exit 1) when a test's utilization dropped by more than this, beyond the"
        " noise (0.1 or 10%%; default for the DROP mark: 10%%)",
    )
    diff.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="OUTCOME",
        help=f"fail (exit 1) on these in the new report: {', '.join(FAIL_ON)}"
        " (may repeat, or a comma list)",
    )
    commands.add_parser("baselines", help="list the saved baselines").add_argument(
        "--json", action="store_true", help="print JSON"
    )
    plot_parser = commands.add_parser("plot", help="the roofline chart as a PNG or SVG image")
    plot_parser.add_argument("report", nargs="+", help="reports or baselines (merged)")
    plot_parser.add_argument("-o", "--output", type=Path, default=Path("roofline.png"))
    serving = commands.add_parser("serving", help="the serving bound of a configuration")
    serving.add_argument("--model", help="a catalog model, e.g. llama-2-70b")
    serving.add_argument("--hf-config", help="a Hugging Face config.json instead of --model")
    serving.add_argument("--params", help="nominal parameter count, e.g. 70e9")
    serving.add_argument("--hardware", required=True, help="a catalog hardware name")
    serving.add_argument("--gpus", default="1", help="GPU count, or a comma list to sweep")
    serving.add_argument("--prompt", required=True, help="p, prompt tokens (a comma list sweeps)")
    serving.add_argument("--decode", required=True, help="d, output tokens (a comma list sweeps)")
    serving.add_argument(
        "--batch", help="B_dense (default: what memory holds; a comma list sweeps)"
    )
    serving.add_argument(
        "--dtype", help="weights and compute (default: the config.json's torch_dtype, else fp16)"
    )
    serving.add_argument("--kv-dtype")
    serving.add_argument("--json", action="store_true", help="print JSON")
    serving.add_argument("--csv", action="store_true", help="print the sweep as CSV")
    _project_options(serving)
    return parser
