"""Writing the Markdown and HTML renderings of a run, whole or not at all.

Each report is rendered from the JSON document (the source of truth) and written
atomically; a writer that fails leaves one line in the summary and never hides the
tests' outcomes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pytest_roofline.core import atomic
from pytest_roofline.errors import clip_path

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def _write(path: Path, text: str) -> None:
    atomic.make_folder(path)
    atomic.write_text(path, text)


def _append_step_summary(text: str) -> str:
    """Append to the GitHub Actions job summary; the line to show."""
    target = os.environ.get(STEP_SUMMARY)
    if not target:
        raise OSError(f"${STEP_SUMMARY} is not set (not running in GitHub Actions?)")
    with open(target, "a", encoding="utf-8") as stream:
        stream.write(text if text.endswith("\n") else text + "\n")
    return f"roofline: appended the Markdown report to ${STEP_SUMMARY}"


def write_all(
    document: dict[str, Any],
    *,
    markdown: str | None,
    html: str | None,
    github_summary: bool,
    folder: Path,
) -> list[tuple[str, bool]]:
    """Write the reports asked for; (line, succeeded) for each, to show in the summary."""
    lines: list[tuple[str, bool]] = []
    wants_summary = markdown == "-" or (github_summary and os.environ.get(STEP_SUMMARY))
    if markdown is not None or wants_summary:
        try:
            from pytest_roofline.report.markdown import render_markdown

            text = render_markdown(document)
            if markdown is not None and markdown != "-":
                path = Path(folder, markdown)
                _write(path, text)
                lines.append((f"roofline: wrote the Markdown report to {path}", True))
            if wants_summary:
                lines.append((_append_step_summary(text), True))
        except OSError as error:
            where = clip_path(error.filename) if error.filename else "the Markdown report"
            reason = error.strerror or str(error)
            lines.append((f"roofline: could not write {where}: {reason}", False))
    if html is not None:
        path = Path(folder, html)
        try:
            from pytest_roofline.report.html import render_html

            _write(path, render_html(document))
            lines.append((f"roofline: wrote the HTML report to {path}", True))
        except OSError as error:
            reason = error.strerror or str(error)
            lines.append((f"roofline: could not write {clip_path(path)}: {reason}", False))
    return lines
