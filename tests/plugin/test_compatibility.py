"""pytest-roofline next to pytest's own switches and common plugins, as users run them."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from collections.abc import Callable

import pytest

SUITE = """
import pytest
from pytest_roofline import kernels

GEMM = kernels.matmul(4096, 4096, 4096, "bf16")   # 139 µs on h100-sxm

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
@pytest.mark.parametrize("i", range(4))
def test_fast(roofline, i):
    roofline.report(seconds=200e-6)                  # 69.5 %

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
def test_slow(roofline):
    roofline.report(seconds=1e-3)                    # 13.9 %: below budget

def test_plain():
    pass
"""

MARKED_ONLY = """
import pytest

@pytest.mark.roofline(min_utilization=0.5)
def test_marked():
    pass
"""


def plain_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_without_the_plugin_the_marker_is_only_unknown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED_ONLY)
    result = plain_run(pytester, "-p", "no:roofline", "-p", "no:randomly")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*PytestUnknownMarkWarning*roofline*"])


def test_without_the_plugin_strict_markers_refuses_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED_ONLY)
    result = plain_run(pytester, "-p", "no:roofline", "-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'roofline' not found in `markers` configuration option*"])


def test_with_the_plugin_strict_markers_knows_it(
    pytester: pytest.Pytester, run, report_results
) -> None:
    pytester.makepyfile(SUITE)
    result = run("--strict-markers", "--roofline-json", "out.json")
    result.assert_outcomes(passed=5, failed=1)
    assert len(report_results(pytester.path / "out.json")) == 5


def test_random_order(pytester: pytest.Pytester, report_results) -> None:
    pytest.importorskip("pytest_randomly")
    pytester.makepyfile(SUITE)
    result = plain_run(
        pytester,
        "-p",
        "randomly",
        "-p",
        "randomly",
        "--randomly-seed=7",
        "--roofline-json",
        "out.json",
    )
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*randomly-seed=7*"])
    records = {r["nodeid"]: r for r in report_results(pytester.path / "out.json")}
    assert len(records) == 5
    assert records["test_random_order.py::test_slow"]["outcome"] == "failed"


def test_exitfirst_keeps_what_was_measured(pytester: pytest.Pytester, run, report_results) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import kernels

        GEMM = kernels.matmul(4096, 4096, 4096, "bf16")

        @pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
        def test_a_first(roofline):
            roofline.report(seconds=200e-6)

        @pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
        def test_b_slow(roofline):
            roofline.report(seconds=1e-3)

        @pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
        def test_c_never_run(roofline):
            roofline.report(seconds=200e-6)
        """
    )
    result = run("-x", "--roofline-json", "out.json")
    result.assert_outcomes(passed=1, failed=1)
    outcomes = [r["outcome"] for r in report_results(pytester.path / "out.json")]
    assert outcomes == ["passed", "failed"]


def test_last_failed_reruns_and_reports_only_the_failure(
    pytester: pytest.Pytester, report_results
) -> None:
    pytester.makepyfile(SUITE)
    first = pytester.runpytest_subprocess("-p", "no:randomly")
    first.assert_outcomes(passed=5, failed=1)
    again = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--lf", "--roofline-json", "out.json"
    )
    again.assert_outcomes(failed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["nodeid"].endswith("::test_slow")


def test_dev_mode_and_warnings_as_errors(pytester: pytest.Pytester, report_results) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.run(
        sys.executable,
        "-X",
        "dev",
        "-W",
        "error",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "no:benchmark",
        "--roofline-json",
        "out.json",
        "--roofline-markdown",
        "gap.md",
        "--roofline-html",
        "gap.html",
    )
    result.assert_outcomes(passed=5, failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Warning" not in output, output[-3000:]
    assert "INTERNALERROR" not in output
    assert len(report_results(pytester.path / "out.json")) == 5


def test_numpy_loads_only_when_something_is_measured(
    pytester: pytest.Pytester, run, numpy_imported: Callable[[], bool]
) -> None:
    """numpy (and the BLAS threads it starts) was a large share of a pytest start-up: a
    run whose tests report figures against catalog hardware, with no report asked for,
    never imports it."""
    pytester.makepyfile(test_suite=SUITE)
    run("-p", "no:randomly").assert_outcomes(passed=5, failed=1)
    assert not numpy_imported()
    # The JSON report names the numpy version, read from its metadata, not its import.
    run("-p", "no:randomly", "test_suite.py", "--roofline-json=out.json")
    assert not numpy_imported()
    machine = json.loads((pytester.path / "out.json").read_text())["machine"]
    assert machine["numpy"] == importlib.metadata.version("numpy")


SERVING_SUITE = """
import pytest
from pytest_roofline import ServingConfig, kernels

CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8,
                       prompt_tokens=1024, decode_tokens=512)
SHARDED = kernels.decode_step("llama-2-70b", 64, 2048, gpus=8)

@pytest.mark.roofline(serving=CONFIG)
def test_engine(roofline):
    roofline.report(tokens_per_second=4000.0)

@pytest.mark.roofline(SHARDED, hardware="a100-pcie-80gb")
def test_sharded_step(roofline):
    roofline.report(seconds=0.05)
"""


def test_serving_and_sharded_bounds_do_not_load_numpy(
    pytester: pytest.Pytester, run, numpy_imported: Callable[[], bool]
) -> None:
    """The serving model and the interconnect figures take numpy arrays for sweeps, but
    a plain number never goes through numpy: a serving-engine CI run that reports its
    engine's figures does not pay numpy's import."""
    pytester.makepyfile(test_serving_suite=SERVING_SUITE)
    run("-p", "no:randomly").assert_outcomes(passed=2)
    assert not numpy_imported()
