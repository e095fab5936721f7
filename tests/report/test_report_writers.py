"""report/writers.py, the one writer of report files: '-' is standard output for every
report, the job summary is appended to only where it is set, a failure is one line."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Result
from pytest_roofline.errors import clip_path
from pytest_roofline.report import json_report, writers
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown


@pytest.fixture(scope="module")
def doc(every_outcome: Callable[[], list[Result]]) -> dict[str, Any]:
    return json_report.build_document(every_outcome())


def test_a_dash_is_standard_output_for_every_report(
    doc: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(writers.STEP_SUMMARY, raising=False)
    lines = writers.write_all(doc, markdown="-", html=Path("-"), folder=tmp_path)
    assert lines == [
        (render_markdown(doc).rstrip("\n"), True),
        (render_html(doc).rstrip("\n"), True),
    ]
    assert list(tmp_path.iterdir()) == []  # no file called "-"


def test_files_are_written_whole(doc: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lines = writers.write_all(
        doc, markdown="out/gap.md", html="out/gap.html", json="out/r.json", folder=tmp_path
    )
    assert lines == [
        (f"roofline: wrote 5 results to {out / 'r.json'}", True),
        (f"roofline: wrote the Markdown report to {out / 'gap.md'}", True),
        (f"roofline: wrote the HTML report to {out / 'gap.html'}", True),
    ]
    assert (out / "gap.md").read_text(encoding="utf-8") == render_markdown(doc)
    assert (out / "gap.html").read_text(encoding="utf-8") == render_html(doc)
    assert sorted(p.name for p in out.iterdir()) == ["gap.html", "gap.md", "r.json"]


def test_the_job_summary_is_appended_to_where_it_is_set(
    doc: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv(writers.STEP_SUMMARY, str(summary))
    lines = writers.write_all(doc, github_summary=True, folder=tmp_path)
    assert lines == [("roofline: appended the Markdown report to $GITHUB_STEP_SUMMARY", True)]
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + render_markdown(doc)


def test_the_job_summary_is_nothing_outside_github_actions(
    doc: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(writers.STEP_SUMMARY, raising=False)
    assert writers.write_all(doc, github_summary=True, folder=tmp_path) == []


def test_a_report_that_cannot_be_written_is_one_line(doc: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "blocker.txt").write_text("a file where a folder should be", encoding="utf-8")
    lines = writers.write_all(doc, html="blocker.txt/gap.html", markdown="ok.md", folder=tmp_path)
    (markdown, written), (html, failed) = lines
    assert (markdown, written) == (
        f"roofline: wrote the Markdown report to {tmp_path / 'ok.md'}",
        True,
    )
    assert not failed
    assert html == (
        f"roofline: could not write {tmp_path / 'blocker.txt' / 'gap.html'}:"
        f" {tmp_path / 'blocker.txt'} is a file, not a folder"
    )
    assert (tmp_path / "ok.md").exists()


def test_a_missing_folder_is_made_and_said(doc: dict[str, Any], tmp_path: Path) -> None:
    """A missing folder is made, as pytest makes it for --junit-xml, and the line says so:
    a mistyped path then shows where the report went."""
    missing = tmp_path / "nonexistent" / "dir"
    lines = writers.write_all(
        doc,
        markdown=missing / "gap.md",
        html=missing / "gap.html",
        json=missing / "r.json",
        folder=tmp_path,
    )
    assert lines == [
        (
            f"roofline: wrote {len(doc['results'])} results to {missing / 'r.json'}"
            f" (made the folder {missing})",
            True,
        ),
        (f"roofline: wrote the Markdown report to {missing / 'gap.md'}", True),
        (f"roofline: wrote the HTML report to {missing / 'gap.html'}", True),
    ]
    assert sorted(p.name for p in missing.iterdir()) == ["gap.html", "gap.md", "r.json"]
    assert writers.missing_folder(tmp_path / "elsewhere" / "x.png") == (
        f"no folder {tmp_path / 'elsewhere'}"
    )
    assert writers.missing_folder(missing / "x.png") is None
    assert writers.missing_folder("-") is None


def test_a_file_where_a_folder_should_be_is_one_line(doc: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "blocker.txt").write_text("x")
    line, ok = writers.write_text("the HTML report", "<p>", tmp_path / "blocker.txt" / "r.html")
    assert not ok
    assert line == (
        f"roofline: could not write {clip_path(tmp_path / 'blocker.txt' / 'r.html')}:"
        f" {tmp_path / 'blocker.txt'} is a file, not a folder"
    )


def test_a_figure_json_cannot_hold_is_a_failure_line(tmp_path: Path) -> None:
    line, ok = writers.write_json({"results": [{"utilization": math.inf}]}, "r.json", tmp_path)
    assert not ok
    assert line.startswith(f"roofline: could not write {tmp_path / 'r.json'}: Out of range")
    assert not (tmp_path / "r.json").exists()


def test_first_clash_sees_one_file_however_spelt(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    paths = [
        ("--markdown", tmp_path / "r.md"),
        ("--html", tmp_path / "r.html"),
        ("--json", tmp_path / "sub" / ".." / "r.md"),
    ]
    assert writers.first_clash(paths) == ("--markdown", "--json", tmp_path / "sub" / ".." / "r.md")
    assert writers.first_clash(paths[:2]) is None
