"""What the ``roofline`` command reads: a JSON report, or a baseline, by path or by name.

A baseline (``--roofline-save NAME``, :mod:`pytest_roofline.verdict.baseline`) holds each
test's utilization, interval, bound and statistics, not the work or the hardware's
figures, so it is read as a report of those: a result per test with what the baseline
knows and nothing made up (no workload, no times, no ceilings). ``roofline diff``,
``summary`` and ``report`` then take it like any report. A name that is not a file
(``main``) is the baseline of that name in the project's ``.roofline/`` folder, found
as pytest finds the root folder (:mod:`pytest_roofline.core.project`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pytest_roofline.core import reading
from pytest_roofline.errors import FileError, clip_path, did_you_mean, one_line
from pytest_roofline.report import json_report
from pytest_roofline.report.diff import entries_of
from pytest_roofline.verdict import baseline
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.rows import error_record

Root = Callable[[], Path]
"""Gives the project's root folder; asked only when a baseline is named, so a command
given files works whatever the project's configuration holds."""


def locate(argument: str, root: Root) -> Path:
    """The file an argument names: itself when it exists or reads as a path (a folder
    in it, or ``.json`` at its end), else the baseline of that name under ``root()``."""
    path = Path(argument)
    if path.exists() or argument.endswith(".json") or len(path.parts) > 1 or not argument:
        return path
    folder = root()
    found = baseline.path_for(folder, argument)
    if not found.is_file():
        saved = baseline.saved_names(folder)
        hint = did_you_mean(argument, saved) or (
            f"; saved: {', '.join(saved)}" if saved else "; none saved there"
        )
        raise FileError(
            f"{argument}: no such file, nor a baseline of that name in"
            f" {clip_path(found.parent)}{hint}"
        )
    return found


@dataclass(frozen=True)
class Run:
    """A saved run: its document, and each test's figures for a comparison."""

    document: dict[str, Any]
    entries: dict[str, baseline.Entry | None]
    """By node id; a baseline's own entries (its bounds included), or a report's
    results read by :func:`pytest_roofline.report.diff.entries_of`."""


def read_run(argument: str, root: Root, *, whole_results: bool = True) -> Run:
    """The report or baseline ``argument`` names; a one-line
    :class:`~pytest_roofline.errors.RooflineError` naming the file when it is neither.

    ``whole_results``: as :func:`pytest_roofline.report.json_report.read`.
    """
    path = locate(argument, root)
    try:
        document = json_report.read(path, whole_results=whole_results)
    except FileError:
        if not _is_baseline(path):
            raise
    else:
        return Run(document, entries_of(document))
    saved = baseline.load(path, path.stem)
    return Run(baseline_document(saved), dict(saved.entries))


def read(argument: str, root: Root, *, whole_results: bool = True) -> dict[str, Any]:
    """The document of :func:`read_run`."""
    return read_run(argument, root, whole_results=whole_results).document


def _is_baseline(path: Path) -> bool:
    """True for a file of the baseline schema (read again only when it was not a report)."""
    try:
        data = reading.read_json(path, "report")
    except FileError:
        return False
    return isinstance(data, dict) and data.get("schema") == baseline.SCHEMA


def baseline_document(saved: baseline.Baseline) -> dict[str, Any]:
    """A baseline as a JSON report document; its ``machine`` is the fingerprint."""
    results = []
    for nodeid, entry in saved.entries.items():
        try:
            result = Result.model_validate(_record(nodeid, entry, saved.name))
        except ValidationError as error:
            raise FileError(str(one_line(f"{saved.path}: result {nodeid!r}", error))) from None
        results.append(result.model_dump(mode="json"))
    return {
        "schema": json_report.SCHEMA,
        "created": saved.created,
        "machine": dict(saved.fingerprint),
        "results": results,
    }


def _record(nodeid: str, entry: baseline.Entry, name: str) -> dict[str, Any]:
    """One test of a baseline in the record's shape: the best stretch is the verdict's
    figure (``raw_utilization``). The bound and the times stay out: with them and no
    workload, a report would call the work's intensity infinite."""
    reported = bool((entry.statistics or {}).get("reported"))
    return {
        **error_record(nodeid, f"saved in baseline {name!r}", hardware=entry.hardware),
        "label": entry.label,
        "utilization": entry.utilization,
        "raw_utilization": entry.best,
        "bottleneck": "",
        "outcome": entry.outcome,
        "statistics": entry.statistics,
        "utilization_ci": (entry.low, entry.high),
        "verdict_figure": "reported" if reported else "best stretch",
    }
