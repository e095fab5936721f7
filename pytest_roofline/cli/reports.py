"""The commands that read saved runs: ``summary``, ``report``, ``plot``, ``diff`` and
``baselines``.

Each takes JSON reports and baselines, by path or by a baseline's name
(:mod:`pytest_roofline.report.inputs`); ``summary``, ``report`` and ``plot`` take several
and merge them into one gap report (:mod:`pytest_roofline.report.merge`), as a CI
matrix's jobs each write their own.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from collections.abc import Sequence
from typing import Any

from pytest_roofline.cli import project
from pytest_roofline.cli.output import Said
from pytest_roofline.cli.parser import PLOT_FORMATS
from pytest_roofline.errors import RooflineError
from pytest_roofline.machine.host import fingerprint
from pytest_roofline.report import diff, gate, inputs, machines, terminal, writers
from pytest_roofline.report.inputs import Root
from pytest_roofline.report.merge import merge
from pytest_roofline.report.padded import padded_table
from pytest_roofline.verdict import baseline
from pytest_roofline.verdict.budgets import check_drop


def _root() -> Root:
    """The project's root folder, found once, and only if a baseline is named."""
    return functools.cache(project.root)


def _read(arguments: Sequence[str], root: Root) -> dict[str, Any]:
    """The reports and baselines named, merged into one document."""
    return merge([(argument, inputs.read(argument, root)) for argument in arguments])


def summary(args: argparse.Namespace) -> Said:
    """``roofline summary``: the terminal summary of saved runs."""
    document = _read(args.report, _root())
    return Said.of(terminal.summary_lines(document["results"]))


def render(args: argparse.Namespace) -> Said:
    """``roofline report``: Markdown and HTML from saved runs (``-``: stdout)."""
    if args.markdown is None and args.html is None:
        raise RooflineError("roofline report: give --markdown PATH and/or --html PATH")
    root = _root()
    read = {os.path.realpath(p): p for p in (inputs.locate(a, root) for a in args.report)}
    outputs = {"--markdown": args.markdown, "--html": args.html}
    named = [(n, path) for n, path in outputs.items() if path and not writers.is_stdout(path)]
    for name, path in named:
        if path.is_dir():
            raise RooflineError(f"roofline report: {name} {path} is a folder; give a file name")
        for source in read.values():
            if writers.first_clash([("read", source), (name, path)]) is not None:
                raise RooflineError(
                    f"roofline report: {name} {path} would overwrite {source}, the report"
                    " read; give another path"
                )
    clash = writers.first_clash(named)
    if clash is not None:
        first, second, path = clash
        raise RooflineError(
            f"roofline report: {second} {path} would overwrite {first} {path}; give another path"
        )
    document = _read(args.report, root)
    return Said(writers.write_all(document, markdown=args.markdown, html=args.html))


def plot(args: argparse.Namespace) -> Said:
    """``roofline plot``: the charts as an image, in a format matplotlib writes."""
    if args.output.suffix.lower() not in PLOT_FORMATS:
        raise RooflineError(
            f"roofline plot: -o {args.output}: the chart is written as"
            f" {', '.join(PLOT_FORMATS)}; name the file with one of them"
        )
    return Said([writers.write_plot(_read(args.report, _root()), args.output)])


def compare(args: argparse.Namespace) -> Said:
    """``roofline diff``: the table, and the gate's lines when it tripped."""
    asked = gate.fail_on(args.fail_on)
    max_drop = diff.DROP_MARK
    if args.max_drop is not None:
        max_drop = check_drop(args.max_drop, "--max-drop") or diff.DROP_MARK
        asked |= {"regressed"}
    root = _root()
    old = inputs.read_run(args.old, root, whole_results=False)
    new = inputs.read_run(args.new, root, whole_results=False)
    same = machines.same_machine(old.document, new.document)
    rows = diff.changes_between(old.entries, new.entries, max_drop, same)
    tripped = gate.tripped(rows, new.document, asked)
    return Said.of(diff.table(rows), [f"roofline diff: {line}" for line in tripped])


def baselines(args: argparse.Namespace) -> Said:
    """``roofline baselines``: every baseline saved in the project, with its date, its
    machine's fingerprint and whether that is this machine's (as ``--roofline-compare``
    decides whether to compare times on one bound)."""
    root = project.root()
    names = baseline.saved_names(root)
    if not names:
        folder = root / baseline.FOLDER
        return Said.of([f"no baselines in {folder} (pytest --roofline-save NAME saves one)"])
    here = fingerprint()
    found: list[baseline.Baseline] = []
    failed = []
    for name in names:
        try:
            found.append(baseline.load(baseline.path_for(root, name), name))
        except RooflineError as error:
            failed.append((f"roofline: {error}", False))
    if args.json:
        listed = [
            {
                "name": b.name,
                "path": str(b.path),
                "created": b.created,
                "tests": len(b.entries),
                "fingerprint": b.fingerprint,
                "this_machine": b.fingerprint == here,
            }
            for b in found
        ]
        return Said([(json.dumps(listed, indent=2), True), *failed])
    columns = (
        ("name", "left"),
        ("saved", "left"),
        ("tests", "right"),
        ("machine", "left"),
        ("here", "left"),
    )
    rows = [
        [
            b.name,
            b.created or "-",
            str(len(b.entries)),
            described(b.fingerprint),
            "this machine" if b.fingerprint == here else "",
        ]
        for b in found
    ]
    lines = padded_table(columns, rows) if rows else []
    return Said([(line, True) for line in lines] + failed)


def described(fingerprint: dict[str, Any]) -> str:
    """A fingerprint in a few words: CPU, cores, architecture, numpy, BLAS and its
    thread settings."""
    parts = [str(fingerprint.get("cpu") or "unknown CPU")]
    if fingerprint.get("cores"):
        parts.append(f"{fingerprint['cores']} cores")
    for key, prefix in (("machine", ""), ("numpy", "numpy "), ("blas", "")):
        if fingerprint.get(key):
            parts.append(f"{prefix}{fingerprint[key]}")
    threads = fingerprint.get("blas_threads")
    if isinstance(threads, dict):
        parts += [f"{k}={v}" for k, v in sorted(threads.items())]
    return ", ".join(parts).replace("|", "/")
