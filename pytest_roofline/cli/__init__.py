"""The ``roofline`` command: the hardware catalog, this machine, saved runs, serving bounds.

roofline hardware            list the catalog (with the project's own hardware)
roofline hardware h100-sxm   one device: ceilings, ridge point per dtype, sources
roofline calibrate           measure this machine's ceilings ('local'), and say how long
roofline summary out.json    the summary table of saved reports or baselines
roofline report a.json b.json --markdown gap.md --html gap.html
                             render saved reports again, merged into one
roofline diff main new.json --max-drop 10% --fail-on failed
                             per-test utilization changes; exit 1 when a gate trips
roofline baselines           the baselines saved in the project, with their machines
roofline plot out.json -o roofline.png
                             the roofline chart as an image (needs pytest-roofline[plot])
roofline serving --model llama-2-70b --hardware a100-sxm4-80gb --gpus 1,2,4,8 \\
                 --prompt 1024 --decode 512
                             the serving bound of a configuration, or a sweep (--csv, --json)

The project's configuration (pyproject.toml, pytest.ini, tox.ini, setup.cfg and hardware
files) is found from the current folder as pytest finds it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# Imported for what they register: how the names 'local' and 'auto' resolve.
import pytest_roofline.machine.calibration
import pytest_roofline.machine.detect  # noqa: F401
from pytest_roofline.cli import hardware, parser, project, reports, serving
from pytest_roofline.cli.output import Said, refused, show
from pytest_roofline.errors import RooflineError


def _run(args: argparse.Namespace) -> Said:
    """The answer of the command ``args`` asks for."""
    if args.command == "hardware":
        with project.catalogs_of_project(args.hardware_file):
            return Said.of(hardware.hardware(args.name))
    if args.command == "serving":
        with project.catalogs_of_project(args.hardware_file):
            return Said.of(serving.serving(args))
    if args.command == "calibrate":
        return Said.of(hardware.calibrate())
    commands = {
        "summary": reports.summary,
        "report": reports.render,
        "plot": reports.plot,
        "diff": reports.compare,
        "baselines": reports.baselines,
    }
    return commands[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status: 0, 1 when a gate of ``roofline diff``
    tripped, 2 for bad input or an output not written (one line on stderr for each)."""
    args = parser.build(__doc__.split("\n")[0]).parse_args(argv)
    try:
        said = _run(args)
    except OSError as error:  # reading an input
        where = f"{error.filename}: " if error.filename else ""
        return refused(f"{where}{error.strerror or error}")
    except RooflineError as error:
        return refused(str(error))
    return show(said)
