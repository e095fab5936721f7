"""Comparing two JSON reports: utilization changes, added and removed tests, bad files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.errors import RooflineError
from pytest_roofline.report import json_report
from pytest_roofline.report.diff import (
    diff_documents,
    read_report,
)


def report(**utilizations: float | None) -> dict[str, Any]:
    """A report whose tests t.py::NAME reach the given utilizations (None: unmeasured)."""
    return {
        "schema": json_report.SCHEMA,
        "created": "2025-01-01T00:00:00+00:00",
        "machine": {},
        "results": [
            {"nodeid": f"t.py::{name}", "utilization": value}
            for name, value in utilizations.items()
        ],
    }


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def table(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    lines = diff_documents(old, new)
    assert cells(lines[0]) == ["test", "old", "new", "change", "relative", "note"]
    return {cells(line)[0]: cells(line)[1:] for line in lines[2:]}


OLD = report(steady=0.5, slower=0.8, faster=0.3, slight=0.5, gone=0.4, blank=0.6)
NEW = report(steady=0.5, slower=0.6, faster=0.45, slight=0.46, fresh=0.7, blank=None)


def test_changes_in_points_and_relative() -> None:
    rows = table(OLD, NEW)
    assert rows["t.py::slower"] == ["80.0%", "60.0%", "-20.0 pp", "-25.0%", "DROP"]
    assert rows["t.py::faster"] == ["30.0%", "45.0%", "+15.0 pp", "+50.0%", ""]
    assert rows["t.py::steady"] == ["50.0%", "50.0%", "+0.0 pp", "+0.0%", ""]


def test_the_drop_mark_needs_more_than_ten_percent_relative() -> None:
    # 50 % -> 46 % is 8 % relative: within the noise a report should not flag.
    assert table(OLD, NEW)["t.py::slight"] == ["50.0%", "46.0%", "-4.0 pp", "-8.0%", ""]
    # 50 % -> 44 % is 12 % relative.
    rows = table(report(a=0.5), report(a=0.44))
    assert rows["t.py::a"][-1] == "DROP"


def test_added_removed_and_unmeasured() -> None:
    rows = table(OLD, NEW)
    assert rows["t.py::gone"] == ["40.0%", "-", "-", "-", "removed"]
    assert rows["t.py::fresh"] == ["-", "70.0%", "-", "-", "added"]
    assert rows["t.py::blank"] == ["60.0%", "-", "-", "-", "unmeasured"]


def test_largest_drop_first() -> None:
    order = list(table(OLD, NEW))
    assert order == [
        "t.py::slower",  # -20 pp
        "t.py::slight",  # -4 pp
        "t.py::steady",  # 0
        "t.py::faster",  # +15 pp
        "t.py::blank",
        "t.py::gone",
        "t.py::fresh",
    ]


def test_columns_are_aligned_and_pipes_escaped() -> None:
    lines = diff_documents(
        report(**{"a": 0.5}), {"results": [{"nodeid": "t.py::x|y", "utilization": 0.5}]}
    )
    assert len({len(line) for line in lines}) == 1
    assert any("t.py::x\\|y" in line for line in lines)


def test_no_results_no_table() -> None:
    assert diff_documents(report(), report()) == []


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_report_reads_a_written_report(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    json_report.write(path, OLD)
    assert read_report(path) == OLD
    assert read_report(str(path)) == OLD


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such report file"),
        ("{not json", "not JSON: Expecting property name enclosed in double quotes at line 1"),
        (json.dumps({"schema": "other/1", "results": []}), "not a pytest-roofline report"),
        (json.dumps([1, 2]), "not a pytest-roofline report"),
        (json.dumps({"schema": json_report.SCHEMA, "results": {}}), "'results' must be a list"),
        (
            json.dumps({"schema": json_report.SCHEMA, "results": [{}]}),
            "result 1 has no 'nodeid' string",
        ),
    ],
)
def test_read_report_errors_are_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        write(path, content)
    with pytest.raises(RooflineError) as raised:
        read_report(path)
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith(str(path))
    assert message in text


def test_read_report_on_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RooflineError, match="is a folder, not a report file") as raised:
        read_report(tmp_path)
    assert "\n" not in str(raised.value)
