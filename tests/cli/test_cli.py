"""The `roofline` command: the hardware catalog and saved reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_roofline import Hardware, Measurement, Result, bound, kernels
from pytest_roofline.cli import main
from pytest_roofline.report import json_report
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.record import evaluate


def test_hardware_lists_every_catalog_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == default_catalog().names()
    assert len(names) >= 7  # the TOML files shipped in specs/data/hardware/


def test_hardware_shows_one_device_by_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware", "H100"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("h100-sxm: NVIDIA H100 SXM5")
    assert "3.35 TB/s" in out
    # Ridge points = peak / memory bandwidth (Williams et al., "Roofline", CACM 2009), from
    # the H100 SXM datasheet: bf16 989 / 3.35 = 295.2, fp32 67 / 3.35 = 20.0 FLOP/B.
    rows = {line.split()[0]: line for line in out.splitlines() if "ridge" in line}
    assert "295.2 FLOP/B" in rows["bf16"]
    assert "20.0 FLOP/B" in rows["fp32"]
    assert "source (peak_flops): NVIDIA H100 Tensor Core GPU datasheet" in out
    assert "source (memory_bandwidth):" in out


def test_hardware_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware", "h1000"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "did you mean" in err
    assert "'h1000'" in err


def test_summary_of_a_saved_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gemm = kernels.matmul(1024, 1024, 1024, "bf16")
    b = bound(gemm, "h100-sxm")
    spec = Hardware.named("h100-sxm").model_dump(
        mode="json", exclude={"sources", "aliases", "description"}
    )
    results = [
        evaluate(
            nodeid=nodeid,
            label=gemm.label,
            workload=gemm.model_dump(),
            hardware_spec=spec,
            bound=b,
            measurement=Measurement.from_reported(b.seconds / utilization),
            min_utilization=0.4,
        )
        for nodeid, utilization in (("t.py::test_fast", 0.8), ("t.py::test_slow", 0.25))
    ]
    path = tmp_path / "report.json"
    json_report.write(path, json_report.build_document(results))
    assert main(["summary", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "test"
    rows = [line.split() for line in lines[1:]]
    assert [row[0] for row in rows] == ["t.py::test_slow", "t.py::test_fast"]
    assert rows[0][-3:] == ["25.0%", "40.0%", "LOW"]
    assert rows[1][-3:] == ["80.0%", "40.0%", "ok"]


def test_summary_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "missing.json"
    assert main(["summary", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "missing.json" in err


def test_summary_of_a_non_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.json"
    path.write_text("this is not JSON\n", encoding="utf-8")
    assert main(["summary", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "notes.json" in err
    assert "not JSON" in err


def test_summary_of_json_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": "world"}\n', encoding="utf-8")
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "not a pytest-roofline report" in err


# -- roofline report and plot: written by report/writers.py ---------------------------------


@pytest.fixture
def saved_report(tmp_path: Path, every_outcome: Callable[[], list[Result]]) -> Path:
    """A JSON report with one result per outcome, saved as ``r.json`` in ``tmp_path``."""
    path = tmp_path / "r.json"
    json_report.write(path, json_report.build_document(every_outcome()))
    return path


def test_report_to_standard_output(
    saved_report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved_report
    assert main(["report", str(path), "--markdown", "-"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == render_markdown(json_report.read(path))
    assert main(["report", str(path), "--html", "-"]) == 0
    assert capsys.readouterr().out == render_html(json_report.read(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no file called "-"


def test_report_to_files_in_a_new_folder(
    saved_report: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = saved_report
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(path), "--markdown", "out/gap.md", "--html", "out/gap.html"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"roofline: wrote the Markdown report to {Path('out', 'gap.md')} (made the folder out)",
        f"roofline: wrote the HTML report to {Path('out', 'gap.html')}",
    ]
    assert (tmp_path / "out" / "gap.md").read_text(encoding="utf-8") == render_markdown(
        json_report.read(path)
    )


def test_report_that_cannot_be_written_is_one_line_and_status_2(
    saved_report: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = saved_report
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocker.txt").write_text("a file", encoding="utf-8")
    status = main(["report", str(path), "--markdown", "ok.md", "--html", "blocker.txt/g.html"])
    assert status == 2
    out, err = capsys.readouterr()
    # The other report is still written, and said so.
    assert out == "roofline: wrote the Markdown report to ok.md\n"
    assert err.splitlines() == [
        f"roofline: could not write {Path('blocker.txt', 'g.html')}: blocker.txt is a file,"
        " not a folder"
    ]
