"""The only writer of report files, for the plugin and the ``roofline`` command alike.

Every report is rendered from the JSON document (the source of truth, DESIGN.md section 5)
and written whole or not at all: a temporary file renamed over the target. One writer
means one meaning for every output path, whoever asked for it:

- a missing folder is made, as pytest makes it for ``--junit-xml``, and the line that
  says the report was written says so (``made the folder reports/``): a mistyped path
  then shows where the report went instead of leaving it in a folder nobody noticed;
- ``-`` is standard output, the convention of command-line tools: the text comes back as
  the line to show (pytest shows it in its terminal summary, the command prints it);
- the GitHub Actions job summary is asked for by name (``--roofline-github-summary``),
  and is appended to only where ``$GITHUB_STEP_SUMMARY`` is set.

A writer never raises for a file it could not write: it returns ``(line, False)``, one
line naming the file and why, so a failed report never hides the tests' outcomes or the
other reports.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_roofline.core import atomic
from pytest_roofline.errors import clip_path
from pytest_roofline.report import json_report
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.report.plot import plot

STDOUT = "-"
"""The output path that means standard output, for every report."""

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"

Target = str | os.PathLike[str]
"""An output path as given: relative paths are taken from the caller's folder."""

Written = tuple[str, bool]
"""The line to show for one output, and whether it was written."""


def is_stdout(target: Target) -> bool:
    """True for the path ``-``: the report goes to standard output, not to a file."""
    return os.fspath(target) == STDOUT


def missing_folder(target: Target, folder: Path = Path()) -> str | None:
    """What ``target``'s folder lacks ("no folder out/reports", "blocker.txt is a file,
    not a folder"), or None when it exists (or ``target`` is standard output)."""
    if is_stdout(target):
        return None
    path = Path(folder, target)
    if path.parent.is_dir():
        return None
    files = [p for p in path.parents if p.exists() and not p.is_dir()]
    return f"{files[-1]} is a file, not a folder" if files else f"no folder {path.parent}"


def _make_folder(path: Path) -> str:
    """Make the folder ``path`` goes in; " (made the folder X)" when it was missing."""
    missing = missing_folder(path)
    atomic.make_folder(path)
    return f" (made the folder {path.parent})" if missing is not None else ""


def write_text(what: str, text: str, target: Target, folder: Path = Path()) -> Written:
    """Write one rendered report (``what`` names it in the line: "the HTML report")."""
    if is_stdout(target):
        return text.rstrip("\n"), True
    path = Path(folder, target)
    try:
        made = _make_folder(path)
        atomic.write_text(path, text)
    except OSError as error:
        return _failed(path, error), False
    return f"roofline: wrote {what} to {path}{made}", True


def write_json(document: dict[str, Any], target: Target, folder: Path = Path()) -> Written:
    """The JSON report, with its count of results; a figure JSON cannot hold (an infinity
    a hook put in) is a failure line like a full disk, not a traceback."""
    try:
        text = json_report.dumps(document)
    except ValueError as error:
        return f"roofline: could not write {clip_path(Path(folder, target))}: {error}", False
    count = len(document.get("results") or ())
    return write_text(f"{count} result{'' if count == 1 else 's'}", text, target, folder)


def append_step_summary(text: str) -> Written:
    """Append the Markdown report to the GitHub Actions job summary.

    Appended, not replaced: the job summary collects every step's output.
    """
    target = os.environ.get(STEP_SUMMARY)
    if not target:
        return f"roofline: could not append to ${STEP_SUMMARY}: it is not set", False
    try:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(text if text.endswith("\n") else text + "\n")
    except OSError as error:
        return _failed(Path(target), error), False
    return f"roofline: appended the Markdown report to ${STEP_SUMMARY}", True


def write_all(
    document: dict[str, Any],
    *,
    markdown: Target | None = None,
    html: Target | None = None,
    json: Target | None = None,
    github_summary: bool = False,
    folder: Path = Path(),
) -> list[Written]:
    """Write the reports asked for; one :data:`Written` line for each, in that order.

    ``github_summary`` appends the Markdown to the job summary where
    ``$GITHUB_STEP_SUMMARY`` is set, and does nothing elsewhere (the same setting serves
    local runs and CI).
    """
    lines: list[Written] = []
    if json is not None:
        lines.append(write_json(document, json, folder))
    to_summary = github_summary and bool(os.environ.get(STEP_SUMMARY))
    if markdown is not None or to_summary:
        text = render_markdown(document)
        if markdown is not None:
            lines.append(write_text("the Markdown report", text, markdown, folder))
        if to_summary:
            lines.append(append_step_summary(text))
    if html is not None:
        lines.append(write_text("the HTML report", render_html(document), html, folder))
    return lines


def write_plot(document: dict[str, Any], target: Target, folder: Path = Path()) -> Written:
    """The roofline charts as an image (matplotlib picks the format by the suffix).

    No standard output here: an image is no text for a terminal. A report matplotlib or
    the charts cannot draw raises :class:`~pytest_roofline.errors.RooflineError`.
    """
    path = Path(folder, target)
    try:
        made = _make_folder(path)
        plot(document, path)
    except OSError as error:
        return _failed(path, error), False
    return f"roofline: wrote the roofline chart to {path}{made}", True


def first_clash(paths: Sequence[tuple[str, Path]]) -> tuple[str, str, Path] | None:
    """The first two of ``(name, path)`` that are one file, however spelt (``./r.json``,
    ``sub/../r.json``, a symbolic link), as (first name, second name, second path).

    Two outputs on one path would leave only the second, while the summary said both
    were written; an output over an input would destroy what was read.
    """
    seen: dict[str, str] = {}
    for name, path in paths:
        key = os.path.realpath(path)
        if key in seen:
            return seen[key], name, path
        seen[key] = name
    return None


def _failed(path: Path, error: OSError) -> str:
    return f"roofline: could not write {clip_path(path)}: {error.strerror or error}"
