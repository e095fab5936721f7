"""Baselines and noise-aware verdicts as users run them (pytest subprocesses)."""

from __future__ import annotations

import json

import pytest

# The figure each test reports comes from the environment, so one file serves both the
# run that saves the baseline and the runs compared with it. Against an H100 SXM the
# bound of matmul 1024^3 fp32 is 32.05 µs (datasheet: 67 TFLOP/s fp32).
TESTS = """
import os
import pytest
from pytest_roofline import kernels

SLOW = float(os.environ.get("SLOW", "1"))
GEMM = kernels.matmul(1024, 1024, 1024, "fp32")

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_gemm(roofline):
    roofline.report(seconds=64.1e-6 * SLOW)

@pytest.mark.roofline(GEMM, hardware="h100-sxm", max_drop=0.5)
def test_tolerant(roofline):
    roofline.report(seconds=64.1e-6 * SLOW)

def test_plain():
    pass
"""


def test_save_then_compare(pytester: pytest.Pytester, run, monkeypatch) -> None:
    pytester.makepyfile(TESTS)
    saved = run("--roofline-save", "main")
    saved.assert_outcomes(passed=3)
    saved.stdout.fnmatch_lines(["roofline: saved 2 results as baseline 'main' (*main.json)"])
    document = json.loads((pytester.path / ".roofline" / "main.json").read_text())
    assert document["schema"] == "pytest-roofline-baseline/1"
    assert set(document["results"]) == {
        "test_save_then_compare.py::test_gemm",
        "test_save_then_compare.py::test_tolerant",
    }
    assert "cpu" in document["fingerprint"]

    same = run("--roofline-compare", "main")
    same.assert_outcomes(passed=3)
    same.stdout.fnmatch_lines(["roofline: comparing with baseline 'main' (2 results, saved *)"])

    # 25 % less throughput: utilization 50 % -> 40 %, a 20 % drop. Beyond the default
    # 10 % allowance; within the 50 % the marker of test_tolerant allows.
    monkeypatch.setenv("SLOW", "1.25")
    slower = run(
        "--roofline-compare", "main", "--roofline-json", "out.json", "--roofline-markdown", "m.md"
    )
    slower.assert_outcomes(passed=2, failed=1)
    slower.stdout.fnmatch_lines(
        [
            "roofline: matmul 1024x1024x1024 fp32 on h100-sxm dropped to 40.0% of its bound"
            " in its best stretch from 50.0% in baseline 'main': 20.0% lower, more than the"
            " 10.0% allowed",
            # The summary row says what failed the test, not "ok".
            "*::test_gemm * h100-sxm * compute * 40.0% * - * REGRESSED",
            "*::test_tolerant * h100-sxm * compute * 40.0% * - * ok",
            "FAILED *test_gemm - roofline: matmul 1024x1024x1024 fp32 on h100-sxm dropped*",
        ]
    )
    markdown = (pytester.path / "m.md").read_text()
    assert markdown.startswith("**roofline**: 2 tests on h100-sxm — 1 passed, 1 regressed\n")
    assert "📉 40.0% / no budget" in markdown
    records = {
        r["nodeid"].split("::")[1]: r
        for r in json.loads((pytester.path / "out.json").read_text())["results"]
    }
    assert records["test_gemm"]["baseline_utilization"] == pytest.approx(0.5, rel=1e-3)
    assert records["test_gemm"]["regression"].startswith("roofline: matmul")
    assert records["test_tolerant"]["regression"] is None
    # A larger allowance from the command line lets it pass.
    run("--roofline-compare", "main", "--roofline-max-drop", "0.3").assert_outcomes(passed=3)
    # A drop of exactly the allowance (50 % -> 45 %, 10 %) is within it.
    monkeypatch.setenv("SLOW", repr(1 / 0.9))
    run("--roofline-compare", "main").assert_outcomes(passed=3)


def test_bad_baselines(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    # Asked for on the command line: a usage error, one line.
    result = run("--roofline-compare", "nothere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: roofline: baseline 'nothere' not found at *"])
    (pytester.path / ".roofline").mkdir()
    (pytester.path / ".roofline" / "old.json").write_text('{"schema": "something-else"}')
    result = run("--roofline-compare", "old")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: roofline: baseline 'old' at * has schema*"])
    # From the configuration: a note, and the run goes on without comparison.
    pytester.makeini("[pytest]\nroofline_compare = nothere\n")
    result = run()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["roofline: baseline 'nothere' not found at *; comparing nothing"])
    # -q hides the header; the note then comes with the summary.
    quiet = run("-q")
    quiet.stdout.fnmatch_lines(["roofline: baseline 'nothere' not found at *; comparing nothing"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_baseline_from_another_machine_is_compared_and_said(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    run("--roofline-save", "elsewhere").assert_outcomes(passed=3)
    path = pytester.path / ".roofline" / "elsewhere.json"
    document = json.loads(path.read_text())
    document["fingerprint"] = {"cpu": "another machine"}
    path.write_text(json.dumps(document))
    result = run("--roofline-compare", "elsewhere")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*saved on another machine or setup (fingerprints differ)*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--roofline-max-drop", "2"], "*--roofline-max-drop: max_drop must be in (0, 1)*"),
        (["--roofline-save", "../x"], "*baseline name '../x' must be letters*"),
    ],
)
def test_bad_baseline_options(pytester: pytest.Pytester, run, args, message) -> None:
    pytester.makepyfile(TESTS)
    result = run(*args)
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert any(__import__("fnmatch").fnmatch(line, message) for line in output.splitlines()), output


def test_bad_max_drop_in_the_marker(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.dot(1000), hardware="h100", max_drop=10)
def test_x(roofline):
    roofline.report(seconds=1)
"""
    )
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*max_drop must be in (0, 1), got 10 (did you mean 0.1?)*"])


def test_paired_calibration_measures_the_binding_ceiling(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
import numpy as np
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.matmul(128, 128, 128, "fp64"))
def test_gemm(roofline):
    first = roofline.hardware.peak("fp64")
    a = np.ones((128, 128))
    roofline.measure(np.matmul, a, a, rounds=5)
    # Re-measured right after the test's rounds: a fresh figure, not the calibration's.
    assert roofline.hardware.peak("fp64") != first
    roofline.report(seconds=1.0)
"""
    )
    run("--roofline-paired").assert_outcomes(passed=1)


def test_measuring_again_after_the_test_ended_cannot_end_the_run(
    pytester: pytest.Pytester, run
) -> None:
    """Saving a baseline measures passing tests again after their body ended. A function
    that needed the test's own context (here an open file) then fails: the test's own
    measurement stands, with a note, and the run and the baseline go on."""
    pytester.makepyfile(
        """
import io
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.copy(1000, "fp32"), hardware="h100-sxm")
def test_ctx(roofline):
    with io.BytesIO(b"x" * 1000) as buf:
        roofline.measure(lambda: (buf.seek(0), buf.read()), max_time=0.02)

@pytest.mark.roofline(kernels.copy(1000, "fp32"), hardware="h100-sxm")
def test_neighbour(roofline):
    roofline.report(seconds=1e-6)
"""
    )
    result = run("--roofline-save", "main", "--roofline-json", "out.json")
    result.assert_outcomes(passed=2)
    assert "INTERNALERROR" not in result.stdout.str()
    saved = json.loads((pytester.path / ".roofline" / "main.json").read_text())["results"]
    assert len(saved) == 2
    records = {
        r["nodeid"].split("::")[1]: r
        for r in json.loads((pytester.path / "out.json").read_text())["results"]
    }
    assert any(
        note.startswith("measuring again after the test failed (ValueError: I/O operation")
        for note in records["test_ctx"]["notes"]
    )


def test_an_interrupted_run_does_not_replace_a_baseline(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    run("--roofline-save", "main").assert_outcomes(passed=3)
    before = (pytester.path / ".roofline" / "main.json").read_text()
    pytester.makeconftest(
        """
import pytest

def pytest_runtest_setup(item):
    if item.name == "test_tolerant":
        raise KeyboardInterrupt
"""
    )
    result = run("--roofline-save", "main")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*roofline: baseline 'main' not saved: the run did not finish*"])
    assert (pytester.path / ".roofline" / "main.json").read_text() == before
