"""`roofline report`, `summary` and `plot` take the reports of a CI matrix and merge them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_roofline import Hardware, Result, kernels
from pytest_roofline.cli import main
from pytest_roofline.report import json_report


def write_report(path: Path, hostname: str, results: list[Result]) -> str:
    document = json_report.build_document(results)
    document["machine"]["hostname"] = hostname
    json_report.write(path, document)
    return str(path)


@pytest.fixture
def matrix(tmp_path: Path, kernel_result: Callable[..., Result]) -> list[str]:
    """Two jobs' reports: the same GEMM test on each machine's ``local`` (100 and 400
    GFLOP/s fp32), at 50 % on ci-a and 20 % on ci-b."""
    gemm = kernels.matmul(256, 256, 256, "fp32")
    paths = []
    for host, peak, utilization in (("ci-a", 1e11, 0.5), ("ci-b", 4e11, 0.2)):
        device = Hardware(
            name="local", peak_flops={"fp32": peak}, memory_bandwidth=2e10, measured=True
        )
        result = kernel_result("t.py::test_gemm", utilization, hardware=device, kernel=gemm)
        paths.append(write_report(tmp_path / f"{host}.json", host, [result]))
    return paths


def test_summary_of_several_reports(matrix: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", *matrix]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert sorted((row[0], row[1], row[3]) for row in rows) == [
        ("t.py::test_gemm", "local@ci-a", "50.0%"),
        ("t.py::test_gemm", "local@ci-b", "20.0%"),
    ]


def test_report_of_several_reports(
    matrix: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "all.html"
    assert main(["report", *matrix, "--html", str(out), "--markdown", "-"]) == 0
    printed = capsys.readouterr().out
    assert "### Kernels on local@ci-a" in printed
    assert "### Kernels on local@ci-b" in printed
    charts = re.findall(r'<svg[^>]* data-hardware="([^"]*)"', out.read_text(encoding="utf-8"))
    assert sorted(charts) == ["local@ci-a", "local@ci-b"]


def test_an_output_over_any_report_read_is_refused(
    matrix: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", *matrix, "--markdown", matrix[1]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"would overwrite {matrix[1]}, the report read" in err


def test_the_same_report_twice_is_one_run(
    matrix: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", matrix[0], matrix[0]]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[:2] for row in rows] == [["t.py::test_gemm", "local"]]


def test_a_bad_report_among_several_is_one_line(
    matrix: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["summary", *matrix, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "bad.json" in err
