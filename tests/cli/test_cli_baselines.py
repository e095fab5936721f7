"""Baselines are open to the command: `roofline baselines` lists them, and `summary` and
`report` read one by path or by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_roofline import Measurement, Result, bound, kernels
from pytest_roofline.cli import main
from pytest_roofline.machine.host import fingerprint
from pytest_roofline.verdict import baseline

GEMM = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm").seconds
OTHER = {
    "cpu": "Ampere Altra",
    "cores": 80,
    "machine": "aarch64",
    "numpy": "2.1.0",
    "blas": "OpenBLAS 0.3.27",
    "blas_threads": {"OMP_NUM_THREADS": "8"},
}


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_result: Callable[..., Result]
) -> Path:
    """A project (pytest.ini) with baselines 'main', saved on this machine (a GEMM at
    50 % and one at 25 % of its bound), and 'arm', saved on another with one test; the
    command runs in its subfolder ``tests``."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")
    results = [
        make_result(Measurement.from_samples([GEMM / u] * 20), nodeid=f"t.py::{name}")
        for name, u in (("fast", 0.5), ("slow", 0.25))
    ]
    baseline.save(baseline.path_for(tmp_path, "main"), "main", results, fingerprint())
    baseline.save(baseline.path_for(tmp_path, "arm"), "arm", results[:1], OTHER)
    return tmp_path


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_baselines_lists_names_dates_tests_and_machines(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["baselines"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert cells(lines[0]) == ["name", "saved", "tests", "machine", "here"]
    rows = {cells(line)[0]: cells(line)[1:] for line in lines[2:]}
    assert list(rows) == ["arm", "main"]
    created = json.loads((project / ".roofline" / "main.json").read_text())["created"]
    assert rows["main"][0] == created
    assert rows["main"][1] == "2"
    assert rows["main"][3] == "this machine"
    assert rows["arm"][1:] == [
        "1",
        "Ampere Altra, 80 cores, aarch64, numpy 2.1.0, OpenBLAS 0.3.27, OMP_NUM_THREADS=8",
        "",
    ]


def test_baselines_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baselines", "--json"]) == 0
    listed = {b["name"]: b for b in json.loads(capsys.readouterr().out)}
    assert listed["arm"]["fingerprint"] == OTHER
    assert listed["arm"]["this_machine"] is False
    assert listed["main"]["this_machine"] is True
    assert listed["main"]["tests"] == 2
    assert Path(listed["main"]["path"]) == project / ".roofline" / "main.json"


def test_a_corrupt_baseline_is_one_line_and_the_others_are_listed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".roofline" / "broken.json").write_text("{not json")
    assert main(["baselines"]) == 2
    captured = capsys.readouterr()
    assert [cells(line)[0] for line in captured.out.splitlines()[2:]] == ["arm", "main"]
    assert captured.err.count("\n") == 1
    assert "baseline 'broken'" in captured.err
    assert "not JSON" in captured.err


def test_no_baselines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["baselines"]) == 0
    assert capsys.readouterr().out.startswith(f"no baselines in {tmp_path / '.roofline'}")


def test_summary_of_a_baseline(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for named in ("main", str(project / ".roofline" / "main.json")):
        assert main(["summary", named]) == 0
        rows = [line.split() for line in capsys.readouterr().out.splitlines()]
        assert rows[0][:2] == ["test", "hardware"]
        assert {row[0]: (row[1], row[-3]) for row in rows[1:]} == {
            "t.py::fast": ("h100-sxm", "50.0%"),
            "t.py::slow": ("h100-sxm", "25.0%"),
        }


def test_report_of_a_baseline_shows_what_it_holds(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "main", "--markdown", "-"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "t.py::slow" in line)
    # The utilization is known; the work, its times and intensity are not saved: shown
    # as missing, never as an infinite intensity.
    assert "25.0%" in row
    assert "∞" not in out
    assert "matmul 1024x1024x1024 fp32" in row
