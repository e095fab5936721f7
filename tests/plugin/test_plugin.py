"""The plugin as users run it: real test files in pytest subprocesses (pytester).

Most files report a figure against a catalog device, so the verdicts are exact and no
test here depends on how fast this machine is. The bound they are judged against is
computed by hand from the NVIDIA H100 datasheet (67 TFLOP/s FP32, 3.35 TB/s):
matmul 1024x1024x1024 fp32 does 2 * 1024**3 FLOPs, so it takes at least
2 * 1024**3 / 67e12 = 32.052 µs on an H100 SXM (compute-bound: intensity 170.7 FLOP/B is
above the FP32 ridge point 67e12 / 3.35e12 = 20 FLOP/B).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

H100_MATMUL_1024_FP32 = 2 * 1024**3 / 67e12

HEADER = """
import numpy as np
import pytest
from pytest_roofline import kernels

GEMM = kernels.matmul(1024, 1024, 1024, dtype="fp32")
"""


@pytest.fixture
def results_of(report_results: Callable[[Path], list[dict]]) -> Callable[[Path], dict[str, dict]]:
    """The results of a JSON report, by test name."""

    def by_test(path: Path) -> dict[str, dict]:
        return {r["nodeid"].split("::")[-1]: r for r in report_results(path)}

    return by_test


def test_within_budget_passes_and_reports(pytester: pytest.Pytester, run, results_of) -> None:
    pytester.makepyfile(
        HEADER
        + f"""
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.4)
def test_gemm(roofline):
    roofline.report(seconds={2 * H100_MATMUL_1024_FP32!r})
"""
    )
    result = run("--roofline-json", "out.json")
    result.assert_outcomes(passed=1)
    record = results_of(pytester.path / "out.json")["test_gemm"]
    assert record["utilization"] == pytest.approx(0.5)
    assert record["bound_seconds"] == pytest.approx(H100_MATMUL_1024_FP32)
    assert record["bottleneck"] == "compute"
    assert record["outcome"] == "passed"
    result.stdout.fnmatch_lines(["*roofline*", "*test_gemm*h100-sxm*compute*50.0%*40.0%*ok*"])


def test_below_budget_fails_with_one_line_and_details(pytester: pytest.Pytester, run) -> None:
    # 32.052 µs bound / 1 ms measured = 3.2 % of the bound, below the 40 % budget.
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.4)
def test_gemm(roofline):
    roofline.report(seconds=1e-3)
"""
    )
    result = run()
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "roofline: matmul 1024x1024x1024 fp32 on h100-sxm reached 3.2% of its bound,"
            " budget 40.0%",
            "*- roofline -*",
            "bound *32.1 µs, compute-bound*",
            "intensity *171 FLOP/B, above the ridge point 20 FLOP/B",
            "measured *1 ms (reported)",
            "FAILED *test_gemm - roofline: matmul 1024x1024x1024 fp32 on h100-sxm reached*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_faster_than_the_bound_is_impossible(pytester: pytest.Pytester, run, results_of) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_gemm(roofline):
    roofline.report(seconds=1e-6)
"""
    )
    result = run("--roofline-json", "out.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*faster than the roofline allows*cache*"])
    assert results_of(pytester.path / "out.json")["test_gemm"]["outcome"] == "impossible"


def test_marked_test_without_measurement_fails(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.4)
def test_forgot(roofline):
    pass

@pytest.mark.roofline(hardware="h100-sxm")
def test_nothing_declared(roofline):
    pass

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_own_failure(roofline):
    assert 1 == 2
"""
    )
    result = run()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_forgot - roofline: matmul 1024x1024x1024 fp32 on h100-sxm ended without"
            " a measurement*",
            "*test_nothing_declared - roofline: the test declared no work*",
            "*test_own_failure - assert 1 == 2",
        ]
    )


def test_warn_only_reports_but_never_fails(pytester: pytest.Pytester, run, results_of) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.4)
def test_gemm(roofline):
    roofline.report(seconds=1e-3)
"""
    )
    result = run("--roofline-warn-only", "--roofline-json", "out.json")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*RooflineWarning: roofline: matmul*reached 3.2%*budget 40.0%"])
    assert results_of(pytester.path / "out.json")["test_gemm"]["outcome"] == "failed"


def test_bad_markers_are_errors_of_their_test_alone(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h1000")
def test_unknown_hardware(roofline):
    roofline.report(seconds=1)

@pytest.mark.roofline(GEMM, hardware="h100", min_utilisation=0.4)
def test_misspelt_keyword(roofline):
    roofline.report(seconds=1)

@pytest.mark.roofline(GEMM, hardware="h100", min_utilization=40)
def test_budget_in_percent(roofline):
    roofline.report(seconds=1)

@pytest.mark.roofline("gemm", hardware="h100")
def test_not_a_kernel(roofline):
    roofline.report(seconds=1)

@pytest.mark.roofline(kernels.matmul(8, 8, 8, "fp8"), hardware="a100")
def test_dtype_missing_on_device(roofline):
    roofline.report(seconds=1)

@pytest.mark.roofline(GEMM, hardware="h100")
def test_neighbour(roofline):
    roofline.report(seconds=1)
"""
    )
    result = run()
    result.assert_outcomes(passed=1, errors=5)
    result.stdout.fnmatch_lines_random(
        [
            "ERROR *test_unknown_hardware - *unknown hardware 'h1000' in @pytest.mark.roofline;"
            " did you mean 'h100'*",
            "ERROR *test_misspelt_keyword - *unknown argument 'min_utilisation';"
            " did you mean 'min_utilization'*",
            "ERROR *test_budget_in_percent - *min_utilization must be in (0, 1], got 40*",
            "ERROR *test_not_a_kernel - *kernel must be a Kernel*",
            "ERROR *test_dtype_missing_on_device - *'a100-sxm4-80gb' has no fp8 peak*",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    assert "During handling" not in output


def test_bad_fixture_calls_fail_their_test_only(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100")
def test_two_figures(roofline):
    roofline.report(seconds=1, flops_per_second=1e12)

@pytest.mark.roofline(GEMM, hardware="h100")
def test_no_figure(roofline):
    roofline.report()

def test_declare_not_a_kernel(roofline):
    roofline.declare("matmul")

@pytest.mark.roofline(GEMM, hardware="h100")
def test_neighbour(roofline):
    roofline.report(flops_per_second=1e12)
"""
    )
    result = run()
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "E * report() takes exactly one of seconds=, flops_per_second=, bytes_per_second=,"
            " seconds_per_token=; got seconds, flops_per_second"
        ]
    )
    result.stdout.fnmatch_lines_random(
        [
            "FAILED *test_two_figures - *DeclarationError: report() takes exactly one of*",
            "FAILED *test_no_figure - *DeclarationError: report() takes exactly one of*",
            "FAILED *test_declare_not_a_kernel - *declare() needs a Kernel*",
        ]
    )


def test_bad_kernel_at_import_is_one_clean_collection_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_bad="""
import pytest
from pytest_roofline import Kernel, kernels

@pytest.mark.roofline(kernels.matmul(-1024, 1024, 1024), hardware="h100")
def test_gemm(roofline):
    pass
""",
        test_bad_kernel="""
import pytest
from pytest_roofline import Kernel

@pytest.mark.roofline(Kernel(name="k", flops=-1, bytes=8), hardware="h100")
def test_k(roofline):
    pass
""",
        test_bad_dtype="""
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.dot(1024, dtype="fp33"), hardware="h100")
def test_d(roofline):
    pass
""",
        test_good="""
def test_fine():
    pass
""",
    )
    result = run()
    result.assert_outcomes(errors=3)  # pytest stops after collection errors, as it decides
    output = result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "E   pytest_roofline.errors.DeclarationError: matmul: m must be a positive"
            " integer, got -1024",
            "E   pytest_roofline.errors.DeclarationError: Kernel 'k': flops: Input should be"
            " greater than or equal to 0 (got -1)",
            "E   pytest_roofline.errors.UnknownNameError: unknown dtype 'fp33'; did you mean"
            " 'fp32', 'fp8', 'fp4'?",
        ]
    )
    assert "pydantic" not in output
    for module in ("kernels.py", "dtypes.py", "spec.py"):
        assert module not in output  # no frames from inside the library
    run("--continue-on-collection-errors").assert_outcomes(passed=1, errors=3)


def test_ini_sets_default_hardware_and_budget(pytester: pytest.Pytester, run) -> None:
    pytester.makeini(
        """
[pytest]
roofline_hardware = h100-sxm
roofline_min_utilization = 0.4
"""
    )
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM)
def test_gemm(roofline):
    roofline.report(seconds=1e-3)
"""
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["roofline: default hardware h100-sxm*", "*reached 3.2%*40.0%"])
    # The command line wins over the ini file.
    result = run("--roofline-min-utilization", "0.02", "--roofline-hardware", "H100_SXM5_80GB")
    result.assert_outcomes(passed=1)


def test_pyproject_section_is_read(pytester: pytest.Pytester, run, results_of) -> None:
    pytester.makepyprojecttoml(
        """
[tool.pytest-roofline]
hardware = "a100-sxm4-80gb"
json = "from-pyproject.json"
"""
    )
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM)
def test_gemm(roofline):
    roofline.report(seconds=1e-3)
"""
    )
    result = run()
    result.assert_outcomes(passed=1)
    # A100: 2 * 1024**3 / 19.5e12 = 110.1 µs, so 1 ms is 11.0 % of the bound.
    record = results_of(pytester.path / "from-pyproject.json")["test_gemm"]
    assert record["hardware"] == "a100-sxm4-80gb"
    assert record["utilization"] == pytest.approx(2 * 1024**3 / 19.5e12 / 1e-3)


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--roofline-hardware", "h1000"],
            "",
            "ERROR: roofline: unknown hardware 'h1000' in"
            " --roofline-hardware; did you mean 'h100'*",
        ),
        (
            ["--roofline-min-utilization", "2"],
            "",
            "ERROR: roofline: --roofline-min-utilization:"
            " min_utilization must be in (0, 1], got 2.0 (did you mean 0.02?)",
        ),
        (
            [],
            "roofline_min_utilization = lots",
            "ERROR: roofline: ini roofline_min_utilization:"
            " min_utilization must be a number in (0, 1], got 'lots'",
        ),
        (
            [],
            "roofline_max_time = fast",
            "ERROR: roofline: ini roofline_max_time: cannot read 'fast'*",
        ),
    ],
)
def test_bad_configuration_is_a_usage_error(
    pytester: pytest.Pytester, run, args: list[str], ini: str, message: str
) -> None:
    pytester.makeini("[pytest]\n" + ini)
    pytester.makepyfile("def test_x(): pass")
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_json_report_holds_the_contract_keys(
    pytester: pytest.Pytester, run, contract_keys: frozenset[str]
) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(kernels.dot(1_000_000), hardware="h100-sxm", min_utilization=0.1)
def test_dot(roofline):
    roofline.report(bytes_per_second=1.675e12)
"""
    )
    # A missing folder is created, as for --junit-xml.
    run("--roofline-json", "report/out.json").assert_outcomes(passed=1)
    document = json.loads((pytester.path / "report" / "out.json").read_text())
    assert {"schema", "created", "machine", "results"} <= document.keys()
    (record,) = document["results"]
    assert contract_keys <= record.keys()
    # dot of 1e6 fp32: 8e6 + 4 bytes at 3.35 TB/s (H100 datasheet) is the bound;
    # reported at half that bandwidth, utilization is 1.675 / 3.35 = 0.5.
    assert record["bound_seconds"] == pytest.approx((8e6 + 4) / 3.35e12)
    assert record["utilization"] == pytest.approx(0.5)
    assert record["intensity"] == pytest.approx(2e6 / (8e6 + 4))
    assert record["ridge_point"] == pytest.approx(20.0)
    assert record["bottleneck"] == "memory"
    assert record["kind"] == "kernel"
    assert record["workload"]["dtype"] == "fp32"
    assert record["hardware_spec"]["memory_bandwidth"] == 3.35e12
    assert record["statistics"]["rounds"] == 1
    assert "peak_flops" not in document["machine"]  # local was never measured


def test_unwritable_report_is_one_line_and_hides_no_outcome(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.4)
def test_low(roofline):
    roofline.report(seconds=1e-3)

def test_plain():
    pass
"""
    )
    pytester.makefile(".txt", blocker="a file where a folder should be")
    result = run("--roofline-json", "blocker.txt/out.json", "--junit-xml", "junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["roofline: could not write */blocker.txt/out.json: *"])
    assert "Traceback" not in result.stdout.str()
    assert (pytester.path / "junit.xml").is_file()


def test_junit_xml_carries_the_result(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.3)
def test_gemm(roofline):
    roofline.report(seconds=1e-4)
"""
    )
    run("--junit-xml", "junit.xml").assert_outcomes(passed=1)
    tree = ET.parse(pytester.path / "junit.xml")
    properties = {p.get("name"): p.get("value") for p in tree.iter("property")}
    assert float(properties["utilization"]) == pytest.approx(H100_MATMUL_1024_FP32 / 1e-4)
    assert properties["bottleneck"] == "compute"
    assert properties["hardware"] == "h100-sxm"
    assert json.loads(properties["roofline"])["outcome"] == "passed"


def test_junit_property_and_json_report_hold_the_same_record(
    pytester: pytest.Pytester, run, results_of
) -> None:
    """Two renderings of one record: the user property is serialized from the verdict's
    record during the test, the JSON report from the Result validated at the end."""
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.3)
def test_passes(roofline):
    roofline.report(seconds=1e-4)

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.9)
def test_low(roofline):
    roofline.report(flops_per_second=1e12)

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_measured(roofline):  # far faster than the 32 us bound: impossible
    roofline.measure(lambda: None, rounds=5, warmup=1)

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_unmeasured(roofline):
    pass
"""
    )
    result = run("--junit-xml", "junit.xml", "--roofline-json", "out.json")
    result.assert_outcomes(passed=1, failed=3)
    reported = results_of(pytester.path / "out.json")
    for case in ET.parse(pytester.path / "junit.xml").iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        record = json.loads(properties["roofline"])
        assert record == reported[case.get("name")]
        assert properties["outcome"] == record["outcome"]
    assert {r["outcome"] for r in reported.values()} == {
        "passed",
        "failed",
        "impossible",
        "unmeasured",
    }


def test_xdist_workers_send_every_result_to_one_report(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.parametrize("n", range(8))
def test_gemm(roofline, n):
    roofline.declare(GEMM, hardware="h100-sxm")
    roofline.report(seconds=(n + 1) * 1e-4)

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.5)
def test_low(roofline):
    roofline.report(seconds=1e-3)
"""
    )
    result = run("-n", "2", "--roofline-json", "out.json", "--junit-xml", "junit.xml")
    result.assert_outcomes(passed=8, failed=1)
    records = json.loads((pytester.path / "out.json").read_text())["results"]
    assert len(records) == 9
    assert len({r["nodeid"] for r in records}) == 9
    result.stdout.fnmatch_lines(["*test_low - roofline: matmul*reached 3.2%*budget 50.0%"])
    names = [p.get("name") for p in ET.parse(pytester.path / "junit.xml").iter("property")]
    assert names.count("utilization") == 9


def test_local_is_measured_on_first_use(
    pytester: pytest.Pytester, run, local_header: dict[str, str]
) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(kernels.matmul(256, 256, 256, "fp64"), min_utilization=0.01)
def test_gemm(roofline):
    a = np.ones((256, 256))
    out = np.empty_like(a)
    m = roofline.measure(np.matmul, a, a, out=out)
    assert m.rounds >= 5 and m.ci_low <= m.median <= m.ci_high
    assert 0 < roofline.utilization
"""
    )
    # What is checked here is the calibration on first use, not the verdict: ceilings
    # measured while a neighbour loads this shared machine can make a kernel that runs
    # once the neighbour is gone look "impossible", so verdicts only warn.
    result = run("--roofline-json", "out.json", "--roofline-warn-only")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            local_header["first use"],
            "local: fp64 * fp32 * memory *",
        ]
    )
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["machine"]["peak_flops"]["fp64"] > 1e9
    assert document["machine"]["memory_bandwidth"]["dram"] > 1e9
    record = document["results"][0]
    assert record["hardware"] == "local"
    assert record["ceiling_uncertainty"] >= 0.1
    assert record["statistics"]["rounds"] >= 5


def test_calibrate_option_shows_ceilings_in_header(
    pytester: pytest.Pytester, run, local_header: dict[str, str]
) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = run("--roofline-calibrate")
    result.stdout.fnmatch_lines([local_header["ceilings"]])


def test_hooks_add_hardware_and_observe_results(pytester: pytest.Pytester, run) -> None:
    pytester.makeconftest(
        """
from pytest_roofline import Hardware

def pytest_roofline_hardware(config):
    return [Hardware(name="my-box", peak_flops={"fp32": "1 TFLOP/s"},
                     memory_bandwidth="100 GB/s")]

def pytest_roofline_result(config, result):
    with open("seen.txt", "a") as f:
        f.write(f"{result.nodeid} {result.hardware} {result.utilization:.3f}\\n")

def pytest_roofline_report(config, results, document):
    with open("reported.txt", "w") as f:
        f.write(f"{len(results)} {len(document['results'])} {document['schema']}")
"""
    )
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="My_Box")
def test_gemm(roofline):
    roofline.report(seconds=2 * 2 * 1024**3 / 1e12)
"""
    )
    run().assert_outcomes(passed=1)
    assert (pytester.path / "seen.txt").read_text().split()[1:] == ["my-box", "0.500"]
    # No report option was given: the document is still built for the hook.
    assert (pytester.path / "reported.txt").read_text() == "1 1 pytest-roofline/1"


def test_an_observer_changing_a_result_changes_no_other(
    pytester: pytest.Pytester, run, results_of
) -> None:
    """Records of one device share its hardware figures; each Result handed out gets its
    own copy, so a hook that edits one cannot make the next tests' JUnit and JSON differ."""
    pytester.makeconftest(
        """
def pytest_roofline_result(config, result):
    if result.nodeid.endswith("[0]"):
        result.hardware_spec["peak_flops"]["fp32"] = 1.0
"""
    )
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.parametrize("i", range(3))
@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_m(roofline, i):
    roofline.report(seconds=1e-3)
"""
    )
    run("--junit-xml", "junit.xml", "--roofline-json", "out.json").assert_outcomes(passed=3)
    reported = results_of(pytester.path / "out.json")
    for case in ET.parse(pytester.path / "junit.xml").iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        junit_spec = json.loads(properties["roofline"])["hardware_spec"]
        assert junit_spec["peak_flops"]["fp32"] == 67e12  # H100 SXM datasheet FP32
    peaks = [reported[f"test_m[{i}]"]["hardware_spec"]["peak_flops"]["fp32"] for i in range(3)]
    assert peaks == [1.0, 67e12, 67e12]


def test_a_test_that_fails_before_measuring_keeps_its_row(
    pytester: pytest.Pytester, run, results_of
) -> None:
    """A crashed benchmark is still a roofline test: its record (unmeasured) says why,
    in the JSON and the summary, and the test's own failure is what pytest shows."""
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_crashed(roofline):
    raise RuntimeError("benchmark crashed")

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_fine(roofline):
    roofline.report(seconds=1e-4)
"""
    )
    result = run("--roofline-json=out.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*::test_crashed * h100-sxm * compute * - * - * UNMEASURED",
            "roofline: wrote 2 results to */out.json",
            "FAILED *::test_crashed - RuntimeError: benchmark crashed",
        ]
    )
    crashed = results_of(pytester.path / "out.json")["test_crashed"]
    assert crashed["outcome"] == "unmeasured"
    assert crashed["notes"] == [
        "the test failed before it measured: RuntimeError: benchmark crashed"
    ]


def test_fixture_calls_after_the_verdict_and_misspelt_ones_say_so(
    pytester: pytest.Pytester, run
) -> None:
    """A figure reported from a fixture's teardown comes after the verdict: an error of
    that test, not a figure silently dropped. A misspelt figure names the right one, and
    the fixture's state cannot be assigned."""
    pytester.makepyfile(
        HEADER
        + """
@pytest.fixture
def timed(roofline):
    roofline.declare(GEMM, hardware="h100-sxm")
    yield
    roofline.report(seconds=1e-4)

def test_teardown(timed, roofline):
    pass

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_misspelt(roofline):
    roofline.report(secs=1e-4)

@pytest.mark.roofline(GEMM, hardware="h100-sxm")
def test_assigned(roofline):
    roofline.measurement = "bogus"
"""
    )
    result = run()
    result.assert_outcomes(failed=3, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "E * roofline.report() after the verdict: *::test_teardown was judged when its"
            " body ended, so this call comes from a fixture's teardown (*): measure or report"
            " in the test, or in a fixture's setup",
            "ERROR *::test_teardown - *DeclarationError: roofline.report() after the verdict*",
            "FAILED *::test_misspelt - *report(): unknown figure 'secs'; did you mean 'seconds'?*",
            "FAILED *::test_assigned - *roofline.measurement cannot be set: *",
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()


def test_one_fixture_object_speaks_for_each_running_test(
    pytester: pytest.Pytester, run, results_of
) -> None:
    """The fixture is provided once per session; what it does goes to the running test.

    Declaring in a function-scoped fixture (setup), a session-scoped fixture holding it,
    and its use after the run (one line, no traceback) all behave as for a fixture of
    each test's own.
    """
    pytester.makeconftest(
        """
import pytest
from pytest_roofline import kernels

KEPT = []

@pytest.fixture
def declared(roofline):
    roofline.declare(kernels.matmul(1024, 1024, 1024, "fp32"), hardware="h100-sxm")

@pytest.fixture(scope="session")
def kept(roofline):
    KEPT.append(roofline)
    return roofline

def pytest_sessionfinish(session):
    try:
        KEPT[0].bound
    except Exception as error:
        with open("after.txt", "w") as f:
            f.write(f"{type(error).__name__}: {error}")
"""
    )
    pytester.makepyfile(
        HEADER
        + """
BOUND = 2 * 1024**3 / 67e12

def test_one(declared, roofline, kept):
    assert kept is roofline
    assert "test_one" in repr(roofline) and "matmul" in repr(roofline)
    roofline.report(seconds=2 * BOUND)

@pytest.mark.roofline(min_utilization=0.9)
def test_two(kept):
    kept.declare(kernels.matmul(1024, 1024, 1024, "fp32"), hardware="h100-sxm")
    kept.report(seconds=4 * BOUND)
    assert kept.utilization == pytest.approx(0.25)
    assert "measure" in dir(kept)

def test_three(roofline):
    assert not roofline.declared  # nothing leaks from the tests before
"""
    )
    result = run("--roofline-json=out.json")
    result.assert_outcomes(passed=2, failed=1)
    found = results_of(pytester.path / "out.json")
    assert found["test_one"]["utilization"] == pytest.approx(0.5)
    assert found["test_two"]["min_utilization"] == 0.9
    assert found["test_two"]["outcome"] == "failed"
    assert "test_three" not in found
    assert (pytester.path / "after.txt").read_text() == (
        "DeclarationError: the roofline fixture speaks for the running test, and none is"
        " running: use it from a test or a function-scoped fixture"
    )


def test_markers_are_registered(pytester: pytest.Pytester, run) -> None:
    result = run("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.roofline(kernel=None, *, hardware=None*"])
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.roofline(GEMM, hardware="h100")
def test_gemm(roofline):
    roofline.report(seconds=1)
"""
    )
    run("--strict-markers").assert_outcomes(passed=1)


def test_disabled_plugin_leaves_plain_tests_alone(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile("def test_plain(): pass")
    run("-p", "no:roofline").assert_outcomes(passed=1)


SERVING_HEADER = """
import pytest
from pytest_roofline import ServingConfig, Transformer

# LLaMA-2-70B at its nominal 70e9 parameters on 8 A100 SXM4 80GB, p=1024, d=512: the
# configuration of NanoFlow's (arXiv 2408.12757) offline throughput comparison.
LLAMA_70B = Transformer(**{**Transformer.named("llama-2-70b").model_dump(), "params": 70e9})
CONFIG = ServingConfig(model=LLAMA_70B, hardware="a100-sxm4-80gb", gpus=8,
                       prompt_tokens=1024, decode_tokens=512)
"""
# Optimal throughput = Compute / (2 P_model) = 8 * 312e12 / (2 * 70e9) tokens/s (A100
# datasheet fp16 dense): 2228.6 tokens/s per GPU. NanoFlow's measured baselines for this
# workload (efeslab/Nanoflow, pipeline/eval/baseline_data.py): vLLM 549 tokens/s/GPU,
# TensorRT-LLM 817 tokens/s/GPU.
A100_OPTIMAL_PER_GPU = 312e12 / (2 * 70e9)


def test_serving_engine_throughput_is_budgeted(pytester: pytest.Pytester, run, results_of) -> None:
    pytester.makepyfile(
        SERVING_HEADER
        + """
@pytest.mark.roofline(serving=CONFIG, min_utilization=0.3)
def test_vllm(roofline):
    roofline.report(tokens_per_second=8 * 549)

@pytest.mark.roofline(serving=CONFIG, min_utilization=0.3)
def test_tensorrt_llm(roofline):
    roofline.report(tokens_per_second=8 * 817)

@pytest.mark.roofline(serving=CONFIG, min_utilization=0.3)
def test_output_tokens(roofline):
    # Engines print output tokens/s: the decode share d/(p+d) = 1/3 of all tokens.
    roofline.report(output_tokens_per_second=8 * 817 / 3)
"""
    )
    result = run("--roofline-json", "out.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"roofline: llama-2-70b serving p=1024 d=512 fp16 x8 on a100-sxm4-80gb reached"
            f" {549 / A100_OPTIMAL_PER_GPU:.1%} of its bound ({8 * 549:,} of"
            f" {8 * A100_OPTIMAL_PER_GPU:,.0f} tokens/s), budget 30.0%",
        ]
    )
    records = results_of(pytester.path / "out.json")
    vllm, trt, output = (
        records["test_vllm"],
        records["test_tensorrt_llm"],
        records["test_output_tokens"],
    )
    assert vllm["kind"] == "serving"
    assert vllm["bottleneck"] == "compute"
    assert vllm["optimal_tokens_per_second"] == pytest.approx(8 * A100_OPTIMAL_PER_GPU)
    assert vllm["measured_tokens_per_second"] == pytest.approx(8 * 549)
    assert vllm["utilization"] == pytest.approx(549 / A100_OPTIMAL_PER_GPU)
    assert vllm["mfu"] == pytest.approx(549 / A100_OPTIMAL_PER_GPU)
    assert trt["utilization"] == pytest.approx(817 / A100_OPTIMAL_PER_GPU)
    assert output["measured_tokens_per_second"] == pytest.approx(8 * 817)
    assert vllm["serving"]["network_to_compute"] == pytest.approx(0.2726, abs=5e-4)
    assert vllm["workload"]["model"]["params"] == 70e9


def test_serving_errors_are_their_test_alone(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        SERVING_HEADER
        + """
@pytest.mark.roofline(serving="llama-2-70b")
def test_not_a_config(roofline):
    pass

@pytest.mark.roofline(serving=ServingConfig(model="llama-2-70b", hardware="a1000",
                                            prompt_tokens=1, decode_tokens=1))
def test_unknown_hardware(roofline):
    pass

@pytest.mark.roofline(serving=ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb",
                                            prompt_tokens=1024, decode_tokens=512))
def test_does_not_fit(roofline):
    pass

@pytest.mark.roofline(serving=CONFIG)
def test_kernel_figure(roofline):
    roofline.report(flops_per_second=1e15)

@pytest.mark.roofline(serving=CONFIG)
def test_neighbour(roofline):
    roofline.report(seconds_per_token=0.5)
"""
    )
    result = run()
    result.assert_outcomes(passed=1, failed=1, errors=3)
    result.stdout.fnmatch_lines_random(
        [
            "ERROR *test_not_a_config - *serving must be a ServingConfig, got str",
            "ERROR *test_unknown_hardware - *unknown hardware 'a1000' in"
            " @pytest.mark.roofline serving=; did you mean*",
            "ERROR *test_does_not_fit - *llama-2-70b weights (138.0 GB in fp16) do not fit in"
            " 1 x a100-sxm4-80gb (80 GB)*",
            "FAILED *test_kernel_figure - *flops_per_second= does not apply to serving work*",
        ]
    )


def test_serving_hardware_from_the_session(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
import pytest
from pytest_roofline import ServingConfig

@pytest.mark.roofline(serving=ServingConfig(model="llama-3-8b", prompt_tokens=512,
                                            decode_tokens=256))
def test_engine(roofline):
    assert roofline.bound.hardware == "h100-sxm"
    roofline.report(tokens_per_second=0.5 * roofline.bound.attainable_tokens_per_second)
"""
    )
    run("--roofline-hardware", "h100").assert_outcomes(passed=1)
    result = run()  # no hardware anywhere: one clear line
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*llama-3-8b serving p=512 d=256 fp16: name the hardware*"])
