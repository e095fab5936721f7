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
    changes,
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


# -- a drop is judged as against a baseline, and noise is not a drop --------------------


def timed(
    utilization: float,
    interval: tuple[float, float],
    *,
    bound: float = 1e-3,
    label: str = "matmul 1024x1024x1024 fp32",
) -> dict[str, Any]:
    """A timed test's record: ``utilization`` is its best stretch (as the plugin's
    verdict figure), ``interval`` the 95 % interval of its median utilization."""
    return {
        "utilization": utilization,
        "raw_utilization": utilization,
        "utilization_ci": list(interval),
        "median_utilization": sum(interval) / 2,
        "bound_seconds": bound,
        "label": label,
        "verdict_figure": "best stretch",
    }


def runs(machine: dict[str, Any] | None = None, **records: dict[str, Any]) -> dict[str, Any]:
    """A report of the given records, t.py::NAME each, from ``machine``."""
    return {
        "schema": json_report.SCHEMA,
        "created": "2025-01-01T00:00:00+00:00",
        "machine": machine or {},
        "results": [{"nodeid": f"t.py::{name}", **r} for name, r in records.items()],
    }


def test_a_drop_within_the_noise_is_not_a_drop() -> None:
    # 50 % -> 43 % is 14 % lower, past the 10 % allowance; but the new median's interval
    # (38-52 %) overlaps the old one's (40-55 %): the run cannot tell it from a
    # neighbour's load, and a saved report cannot be measured again to find out.
    old = runs(gemm=timed(0.50, (0.40, 0.55)))
    new = runs(gemm=timed(0.43, (0.38, 0.52)))
    row = table(old, new)["t.py::gemm"]
    assert row == ["50.0%", "43.0%", "-7.0 pp", "-14.0%", "within noise"]
    (change,) = changes(old, new)
    assert not change.dropped


def test_a_drop_whose_interval_lies_below_the_old_one_is_a_drop() -> None:
    old = runs(gemm=timed(0.50, (0.48, 0.52)))
    new = runs(gemm=timed(0.43, (0.41, 0.45)))  # 0.45 < 0.48: the intervals are apart
    assert table(old, new)["t.py::gemm"][-1] == "DROP"
    (change,) = changes(old, new)
    assert change.dropped
    assert change.drop is not None
    assert change.drop.relative == pytest.approx(1 - 0.43 / 0.50)  # 14 %


def test_the_allowance_is_a_parameter() -> None:
    old = runs(gemm=timed(0.50, (0.48, 0.52)))
    new = runs(gemm=timed(0.43, (0.41, 0.45)))
    # A 14 % drop is within a 15 % allowance, and past a 10 % one.
    assert cells(diff_documents(old, new, max_drop=0.15)[2])[-1] == ""
    assert table(old, new)["t.py::gemm"][-1] == "DROP"
    # A drop equal to the allowance is within it (as --roofline-compare decides).
    exact = runs(gemm=timed(0.45, (0.41, 0.45)))
    assert not changes(old, exact, max_drop=0.10)[0].dropped


def test_on_one_machine_both_runs_are_on_the_old_bound() -> None:
    # As --roofline-compare on the machine a baseline was saved on: the new run's
    # ceilings were measured 25 % lower (bound 1.25 ms instead of 1 ms) and the code got
    # 25 % slower (2.5 ms instead of 2 ms). Each run's utilization is 50 %, but on the
    # old bound the new run reaches 1 ms / 2.5 ms = 40 %: 1 - 0.4 / 0.5 = a 20 % drop.
    host = {"hostname": "ci-1", "processor": "x86_64", "cpu_count": 8}
    old = runs(host, gemm=timed(0.5, (0.5, 0.5), bound=1e-3))
    new = runs(
        {**host, "peak_flops": {"fp32": 1e11}},  # ceilings do not change the machine
        gemm=timed(0.5, (0.5, 0.5), bound=1.25e-3),
    )
    (change,) = changes(old, new)
    assert change.drop is not None
    assert change.drop.now == pytest.approx(0.4)
    assert change.drop.relative == pytest.approx(0.2)
    assert change.note == "DROP"
    # From another machine, utilizations are compared as they are: no change.
    elsewhere = runs({**host, "hostname": "ci-2"}, gemm=timed(0.5, (0.5, 0.5), bound=1.25e-3))
    assert changes(old, elsewhere)[0].note == ""
    # Other work under the same name is not put on the old bound either.
    other = runs(host, gemm=timed(0.5, (0.5, 0.5), bound=1.25e-3, label="matmul 2048"))
    assert changes(old, other)[0].note == ""


def test_a_test_listed_twice_keeps_its_last_result() -> None:
    twice = report(a=0.5)
    twice["results"].append({"nodeid": "t.py::a", "utilization": 0.2})
    assert table(report(a=0.5), twice)["t.py::a"][:2] == ["50.0%", "20.0%"]
