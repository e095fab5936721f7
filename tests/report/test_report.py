"""Report writers: the terminal summary, the JSON report, and atomic file writes."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_roofline import Hardware, Result, kernels
from pytest_roofline.core import atomic
from pytest_roofline.report import json_report, terminal

GEMM_FP32 = kernels.matmul(256, 256, 256, "fp32")


# -- terminal -------------------------------------------------------------------------


def test_summary_orders_impossible_unmeasured_failed_then_passed_worst_first(
    kernel_result: Callable[..., Result],
) -> None:
    results = [
        kernel_result("t.py::passed_high", 0.9),
        kernel_result("t.py::failed", 0.2),
        kernel_result("t.py::passed_low", 0.5),
        kernel_result("t.py::impossible", 3.0),
        kernel_result("t.py::unmeasured", None),
        kernel_result("t.py::passed_mid", 0.7),
    ]
    assert [r.outcome for r in results] == [
        "passed",
        "failed",
        "passed",
        "impossible",
        "unmeasured",
        "passed",
    ]
    lines = terminal.summary_lines([r.model_dump(mode="json") for r in results])
    assert lines[0].split() == [
        "test",
        "hardware",
        "bound",
        "by",
        "utilization",
        "budget",
        "status",
    ]
    order = [line.split()[0] for line in lines[1:]]
    assert order == [
        "t.py::impossible",
        "t.py::unmeasured",
        "t.py::failed",
        "t.py::passed_low",
        "t.py::passed_mid",
        "t.py::passed_high",
    ]


def test_the_summary_reads_records_as_their_results_read(
    kernel_result: Callable[..., Result],
) -> None:
    """The plugin's summary rows come from the records, not from Results: the status
    (regressed included) and the rendered lines follow the Result's."""
    results = [
        kernel_result("t.py::passed", 0.9),
        kernel_result("t.py::failed", 0.2),
        kernel_result("t.py::impossible", 3.0),
        kernel_result("t.py::unmeasured", None),
        kernel_result("t.py::regressed", 0.8).model_copy(update={"regression": "dropped"}),
    ]
    records = [r.model_dump(mode="json") for r in results]
    assert [json_report.status(record) for record in records] == [r.status for r in results]
    assert json_report.status(records[-1]) == "regressed"
    lines = terminal.summary_lines(records)
    marks = [line.split()[-1] for line in lines[1:]]
    assert marks == ["IMPOSSIBLE", "UNMEASURED", "LOW", "REGRESSED", "ok"]
    assert terminal.one_line(records).startswith("roofline: 5 tests: 1 ok, 1 low")


def test_summary_rows_show_utilization_budget_and_status(
    kernel_result: Callable[..., Result],
) -> None:
    shown = [
        kernel_result("t.py::low", 0.312),
        kernel_result("t.py::fast", 2.0),
        kernel_result("t.py::none", None),
    ]
    lines = terminal.summary_lines([r.model_dump(mode="json") for r in shown])
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["t.py::low"][-3:] == ["31.2%", "40.0%", "LOW"]
    # Impossible rows show the raw utilization (bound / measured = 200 %), not a capped one.
    assert rows["t.py::fast"][-3:] == ["200.0%", "40.0%", "IMPOSSIBLE"]
    assert rows["t.py::none"][-3:] == ["-", "40.0%", "UNMEASURED"]
    assert rows["t.py::low"][1:3] == ["h100-sxm", "compute"]


def test_summary_of_no_results_is_empty() -> None:
    assert terminal.summary_lines([]) == []


LONG_ID = (
    "tests/serving/test_llama_70b_serving_throughput.py::test_total_throughput[vllm-0.6.3-tp8]"
)


def test_node_ids_are_never_cut_however_narrow_the_terminal(
    kernel_result: Callable[..., Result],
) -> None:
    shown = [kernel_result(LONG_ID, 0.5), kernel_result("t.py::short", 0.9)]
    records = [r.model_dump(mode="json") for r in shown]
    lines = terminal.summary_lines(records, width=80)
    # One line per test, its node id whole; the columns fit 80 for the ids that fit.
    assert len(lines) == 3
    assert lines[1].split() == [LONG_ID, "h100-sxm", "compute", "50.0%", "40.0%", "ok"]
    assert lines[2].split()[0] == "t.py::short"
    assert len(lines[0]) <= 80
    assert len(lines[2]) <= 80
    assert lines[0].index("hardware") == lines[2].index("h100-sxm")


def test_without_a_width_every_row_is_one_line(kernel_result: Callable[..., Result]) -> None:
    shown = [kernel_result(LONG_ID, 0.5), kernel_result("t.py::short", 0.9)]
    lines = terminal.summary_lines([r.model_dump(mode="json") for r in shown])
    assert [line.split()[0] for line in lines[1:]] == [LONG_ID, "t.py::short"]
    # The columns line up after the longest id.
    assert lines[1].index("h100-sxm") == lines[2].index("h100-sxm") == len(LONG_ID) + 2
    wide = terminal.summary_lines([r.model_dump(mode="json") for r in shown], width=200)
    assert wide == lines


def test_the_one_line_summary_names_the_worst_test_whole_and_counts_in_words(
    kernel_result: Callable[..., Result],
) -> None:
    one = [kernel_result(LONG_ID, 0.2).model_dump(mode="json")]
    assert terminal.one_line(one) == f"roofline: 1 test: 1 low; worst {LONG_ID} 20.0%, budget 40.0%"
    two = [*one, kernel_result("t.py::fine", 0.9).model_dump(mode="json")]
    assert terminal.one_line(two).startswith("roofline: 2 tests: 1 ok, 1 low; worst ")


# -- JSON report --------------------------------------------------------------------------


def test_build_document_has_the_contract_keys(
    contract_keys: frozenset[str], kernel_result: Callable[..., Result]
) -> None:
    results = [kernel_result("t.py::a", 0.5), kernel_result("t.py::b", None)]
    document = json_report.build_document(results)
    assert document["schema"] == "pytest-roofline/1"
    created = datetime.datetime.fromisoformat(document["created"])
    assert created.tzinfo is not None
    assert isinstance(document["machine"], dict)
    assert "peak_flops" not in document["machine"]  # no 'local' was used
    assert [Result.model_validate(r) for r in document["results"]] == results
    for record in document["results"]:
        assert contract_keys <= set(record)
    json.dumps(document, allow_nan=False)  # plain JSON throughout


def test_build_document_carries_local_ceilings(
    kernel_result: Callable[..., Result], local_hardware: Hardware
) -> None:
    results = [
        kernel_result("t.py::a", 0.5),
        kernel_result("t.py::local", 0.5, hardware=local_hardware, kernel=GEMM_FP32),
    ]
    machine = json_report.build_document(results)["machine"]
    # DESIGN section 5: ceilings of 'local' keyed by dtype and by memory level.
    assert machine["peak_flops"] == {"fp64": 4e10, "fp32": 8e10}
    assert machine["memory_bandwidth"] == {"dram": 1.5e10}
    assert machine["ceiling_uncertainty"] == 0.1


def test_write_then_read_round_trip(tmp_path: Path, kernel_result: Callable[..., Result]) -> None:
    document = json_report.build_document(
        [kernel_result("t.py::a", 0.5), kernel_result("t.py::b", None)]
    )
    path = tmp_path / "report.json"
    json_report.write(path, document)
    assert json_report.read(path) == document
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("content", ['{"results": []}', '{"schema": "other/1"}', "[1, 2]"])
def test_read_rejects_a_non_report(tmp_path: Path, content: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="not a pytest-roofline report"):
        json_report.read(path)


# -- atomic writes ------------------------------------------------------------------------


def test_write_text_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    atomic.write_text(path, "old\n")
    atomic.write_text(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_text_failing_midway_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("previous content\n", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_text(path, "half of the new content")
    assert path.read_text(encoding="utf-8") == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_text_failing_rename_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("previous content\n", encoding="utf-8")

    def broken_replace(source: str, target: str) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        atomic.write_text(path, "new content")
    assert path.read_text(encoding="utf-8") == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


LONG_TEST = """
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.dot(1_000_000), hardware="h100-sxm", min_utilization=0.5)
@pytest.mark.parametrize("engine", ["vllm-0.6.3-tp8-with-a-long-parameter-id"])
def test_total_throughput_of_the_serving_engine_under_load(roofline, engine):
    roofline.report(seconds=23.9e-6)
"""


def test_a_ci_log_holds_the_whole_node_id_and_its_figures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An 80-column run whose output is a pipe, as in CI: the row names its test whole."""
    pytester.makepyfile(test_llama_70b_serving_throughput=LONG_TEST)
    monkeypatch.setenv("COLUMNS", "80")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    nodeid = (
        "test_llama_70b_serving_throughput.py::"
        "test_total_throughput_of_the_serving_engine_under_load"
        "[vllm-0.6.3-tp8-with-a-long-parameter-id]"
    )
    rows = [line.split() for line in result.stdout.lines if line.startswith(nodeid)]
    assert rows == [[nodeid, "h100-sxm", "memory", "10.0%", "50.0%", "LOW"]]
    quiet = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    said = f"roofline: 1 test: 1 low; worst {nodeid} 10.0%, budget 50.0%"
    assert said in quiet.stdout.lines
