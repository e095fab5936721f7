"""`roofline diff` as a CI gate: --max-drop and --fail-on set exit status 1, noise is
not a drop, and baselines compare by path or by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Measurement, Result, bound, kernels
from pytest_roofline.cli import main
from pytest_roofline.report import json_report
from pytest_roofline.verdict import baseline


def record(
    name: str, utilization: float, interval: tuple[float, float], **more: Any
) -> dict[str, Any]:
    """A timed test's record: best stretch ``utilization``, median interval ``interval``."""
    return {
        "nodeid": f"t.py::{name}",
        "utilization": utilization,
        "raw_utilization": utilization,
        "utilization_ci": list(interval),
        "outcome": "passed",
        **more,
    }


def write(path: Path, *records: dict[str, Any]) -> str:
    document = {
        "schema": json_report.SCHEMA,
        "created": "2025-01-01T00:00:00+00:00",
        "machine": {},
        "results": list(records),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


@pytest.fixture
def reports(tmp_path: Path) -> tuple[str, str]:
    """Old and new reports: `slower` dropped 25 % with its interval below the old one
    (80 % -> 60 %, intervals 78-82 % and 58-62 %); `noisy` dropped 14 % within the
    noise (50 % -> 43 %, intervals 40-55 % and 38-52 %); `steady` kept 50 %."""
    old = write(
        tmp_path / "old.json",
        record("slower", 0.8, (0.78, 0.82)),
        record("noisy", 0.5, (0.40, 0.55)),
        record("steady", 0.5, (0.49, 0.51)),
    )
    new = write(
        tmp_path / "new.json",
        record("slower", 0.6, (0.58, 0.62)),
        record("noisy", 0.43, (0.38, 0.52)),
        record("steady", 0.5, (0.49, 0.51)),
    )
    return old, new


def notes(out: str) -> dict[str, str]:
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines()[2:]]
    return {row[0]: row[-1] for row in rows}


def test_without_a_gate_a_drop_is_shown_and_the_status_is_0(
    reports: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", *reports]) == 0
    captured = capsys.readouterr()
    assert notes(captured.out) == {
        "t.py::slower": "DROP",
        "t.py::noisy": "within noise",
        "t.py::steady": "",
    }
    assert captured.err == ""


@pytest.mark.parametrize("max_drop", ["0.1", "10%", "0.2"])
def test_max_drop_trips_the_gate_on_a_drop_beyond_the_noise(
    reports: tuple[str, str], capsys: pytest.CaptureFixture[str], max_drop: str
) -> None:
    assert main(["diff", *reports, "--max-drop", max_drop]) == 1
    captured = capsys.readouterr()
    assert "t.py::slower" in captured.out  # the table is still printed
    allowed = f"{float(max_drop.rstrip('%')) / (100 if '%' in max_drop else 1):.1%}"
    assert captured.err.splitlines() == [
        f"roofline diff: 1 test dropped by more than {allowed} beyond the noise: t.py::slower"
    ]


def test_a_drop_within_the_allowance_passes_the_gate(
    reports: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # 80 % -> 60 % is 25 % lower: within a 30 % allowance.
    assert main(["diff", *reports, "--max-drop", "30%"]) == 0
    assert capsys.readouterr().err == ""


def test_fail_on_outcomes_of_the_new_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", record("a", 0.5, (0.5, 0.5)), record("b", 0.5, (0.5, 0.5)))
    new = write(
        tmp_path / "new.json",
        record("a", 0.5, (0.5, 0.5), outcome="failed"),
        record("b", 3.0, (3.0, 3.0), outcome="impossible"),
    )
    assert main(["diff", old, new]) == 0
    capsys.readouterr()
    assert main(["diff", old, new, "--fail-on", "failed"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "roofline diff: 1 test failed (below its budget): t.py::a"
    ]
    for argv in (
        ["--fail-on", "failed,impossible"],
        ["--fail-on", "failed", "--fail-on", "impossible"],
    ):
        assert main(["diff", old, new, *argv]) == 1
        assert capsys.readouterr().err.splitlines() == [
            "roofline diff: 1 test failed (below its budget): t.py::a",
            "roofline diff: 1 test impossible (faster than its bound): t.py::b",
        ]
    # A gain is no regression.
    assert main(["diff", old, new, "--fail-on", "regressed"]) == 0


def test_fail_on_regressed_takes_the_default_allowance(
    reports: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", *reports, "--fail-on", "regressed"]) == 1
    assert "more than 10.0% beyond the noise: t.py::slower" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "culprit"),
    [
        (["--fail-on", "regresed"], "did you mean 'regressed'?"),
        (["--fail-on", "failed,slow"], "'slow' is not an outcome"),
        (["--max-drop", "10"], "did you mean 0.1?"),
        (["--max-drop", "lots"], "--max-drop"),
    ],
)
def test_bad_gate_options_are_one_line(
    reports: tuple[str, str], capsys: pytest.CaptureFixture[str], argv: list[str], culprit: str
) -> None:
    assert main(["diff", *reports, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert culprit in captured.err


# -- baselines, by path and by name -----------------------------------------------------


@pytest.fixture
def saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_result: Callable[..., Result]
) -> Path:
    """Baseline 'main' of a project in ``tmp_path`` (the current folder): a GEMM's 20
    rounds at twice its bound, utilization 50 %."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    t = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm").seconds
    result = make_result(Measurement.from_samples([2 * t] * 20), nodeid="t.py::gemm")
    path = baseline.path_for(tmp_path, "main")
    baseline.save(path, "main", [result], {"cpu": "test"})
    return path


def test_a_baseline_compares_by_name_and_by_path(
    saved: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new = write(tmp_path / "new.json", record("gemm", 0.3, (0.29, 0.31)))
    for old in ("main", str(saved), ".roofline/main.json"):
        assert main(["diff", old, new, "--max-drop", "10%"]) == 1, old
        captured = capsys.readouterr()
        # 50 % -> 30 %: 40 % lower, the new interval far below the baseline's 50-50 %.
        assert notes(captured.out) == {"t.py::gemm": "DROP"}
        assert "t.py::gemm" in captured.err
    # And by name from a subfolder of the project, whose root pytest.ini marks.
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["diff", "main", new]) == 0
    assert notes(capsys.readouterr().out) == {"t.py::gemm": "DROP"}


def test_two_baselines_compare(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "main", "main"]) == 0
    assert notes(capsys.readouterr().out) == {"t.py::gemm": ""}


def test_a_misspelt_baseline_name_is_one_line(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "mian", "main"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "mian: no such file, nor a baseline of that name" in err
    assert "did you mean 'main'?" in err
