"""Hardware and models declared without code, plugins' hooks, and the local calibration,
as users run them: real test files in pytest subprocesses."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

# NanoFlow (arXiv 2408.12757) bounds serving with the 260 TFLOP/s a CUTLASS GEMM reaches
# on an A100, not the datasheet's 312: the use case for `extends`.
CUTLASS_A100 = """
[tool.pytest-roofline]
default_hardware = "a100-cutlass"

[tool.pytest-roofline.hardware.a100-cutlass]
extends = "a100-sxm4-80gb"
description = "A100 SXM4 80GB at the GEMM peak CUTLASS reaches"
peak_flops = { fp16 = "260 TFLOP/s", bf16 = "260 TFLOP/s" }
"""

GEMM_TEST = """
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.matmul(4096, 4096, 4096, "fp16"))
def test_gemm(roofline):
    assert roofline.hardware.name == "{name}"
    roofline.report(seconds={seconds!r})
"""


def test_pyproject_hardware_extends_a_catalog_device(
    pytester: pytest.Pytester, run, report_results
) -> None:
    pytester.makepyprojecttoml(CUTLASS_A100)
    # 2 * 4096**3 FLOPs at 260 TFLOP/s = 528.6 µs; reported at twice that: 50 %.
    bound = 2 * 4096**3 / 260e12
    pytester.makepyfile(GEMM_TEST.format(name="a100-cutlass", seconds=2 * bound))
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["utilization"] == pytest.approx(0.5)
    spec = record["hardware_spec"]
    assert spec["peak_flops"]["fp16"] == 260e12
    assert spec["peak_flops"]["fp32"] == 19.5e12  # inherited from the A100 datasheet
    assert spec["memory_bandwidth"] == 2.039e12


def test_hardware_file_from_the_command_line_and_the_ini(pytester: pytest.Pytester, run) -> None:
    pytester.makefile(
        ".toml",
        boxes="""
[my-box]
peak_flops = { fp16 = "100 TFLOP/s" }
memory_bandwidth = "1 TB/s"
memory_capacity = "48 GB"

[my-box-capped]
extends = "my-box"
peak_flops = { fp16 = "50 TFLOP/s" }
""",
    )
    bound = 2 * 4096**3 / 50e12
    pytester.makepyfile(GEMM_TEST.format(name="my-box-capped", seconds=bound))
    run("--roofline-hardware-file", "boxes.toml", "--roofline-hardware", "my-box-capped")
    pytester.makeini(
        "[pytest]\nroofline_hardware_file = boxes.toml\nroofline_hardware = MY_BOX_CAPPED"
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'peak_flops = { fp16 = "1 TFLOP/s" }',
            "*pyproject.toml [[]tool.pytest-roofline.hardware[]] [[]bad[]]: Hardware 'bad':"
            " memory_bandwidth: Field required*",
        ),
        (
            'peak_flops = { fp16 = "-1 TFLOP/s" }\nmemory_bandwidth = "1 TB/s"',
            "*[[]bad[]]: Hardware 'bad': peak_flops.fp16: Input should be greater than or"
            " equal to 1*",
        ),
        (
            'peak_flops = { fp17 = "1 TFLOP/s" }\nmemory_bandwidth = "1 TB/s"',
            "*[[]bad[]]: Hardware 'bad': peak_flops.fp17: unknown dtype 'fp17'; did you mean*",
        ),
        (
            'peak_flops = { fp16 = "1 TFLOP/s" }\nmemory_bandwidth = "1 TB/z"',
            "*[[]bad[]]: Hardware 'bad': memory_bandwidth: unknown unit 'TB/z'*",
        ),
        ('extends = "h1000"', "*[[]bad[]] extends; did you mean 'h100'*"),
        ('extends = "bad"', "*[[]bad[]]: extends forms a loop: bad -> bad*"),
        (
            'extends = "h100"\naliases = ["h200"]',
            "*hardware name 'h200' is already in the catalog*",
        ),
    ],
)
def test_bad_custom_hardware_is_one_usage_error(
    pytester: pytest.Pytester, run, table: str, message: str
) -> None:
    pytester.makepyprojecttoml(f"[tool.pytest-roofline.hardware.bad]\n{table}\n")
    pytester.makepyfile("def test_x(): pass")
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: roofline: *" + message.lstrip("*")])
    assert "Traceback" not in result.stderr.str()


def test_missing_hardware_file_is_a_usage_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = run("--roofline-hardware-file", "nowhere.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: roofline: */nowhere.toml: no such hardware file"])


def test_models_from_pyproject_and_from_a_plugin(pytester: pytest.Pytester, run) -> None:
    pytester.makepyprojecttoml(
        """
[tool.pytest-roofline.models.tiny-llama]
hidden_size = 512
layers = 4
heads = 8
kv_heads = 2
intermediate_size = 1376
vocab_size = 32000
"""
    )
    pytester.makeconftest(
        """
from pytest_roofline import Hardware, Transformer

def pytest_roofline_models(config):
    return [Transformer(name="house-70b", hidden_size=8192, layers=80, heads=64, kv_heads=8,
                        intermediate_size=28672, vocab_size=32000, params=70e9)]
"""
    )
    pytester.makepyfile(
        """
import pytest
from pytest_roofline import ServingConfig

TINY = ServingConfig(model="tiny-llama", hardware="l4", prompt_tokens=128, decode_tokens=128)
HOUSE = ServingConfig(model="house-70b", hardware="h100", gpus=8, prompt_tokens=1024,
                      decode_tokens=512)

@pytest.mark.roofline(serving=TINY)
def test_tiny(roofline):
    roofline.report(tokens_per_second=1000)

@pytest.mark.roofline(serving=HOUSE)
def test_house(roofline):
    # 8 x 989 TFLOP/s / (2 x 70e9) = 56,510 tokens/s (H100 datasheet, dense fp16)
    assert roofline.bound.optimal_tokens_per_second == pytest.approx(8 * 989e12 / 140e9)
    roofline.report(tokens_per_second=20_000)
"""
    )
    run().assert_outcomes(passed=2)


def test_detect_hook_decides_auto(pytester: pytest.Pytester, run) -> None:
    pytester.makeconftest(
        """
def pytest_roofline_detect_hardware(config):
    return "Quadro P1000"
"""
    )
    pytester.makepyfile(GEMM_TEST.format(name="h200", seconds=1.0))
    result = run("--roofline-hardware", "auto")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: roofline: pytest_roofline_detect_hardware returned 'Quadro P1000', which*"]
    )
    for answer in ("H200", "NVIDIA H200"):  # a catalog name, or what the driver reports
        pytester.makeconftest(
            f"def pytest_roofline_detect_hardware(config):\n    return {answer!r}\n"
        )
        result = run("--roofline-hardware", "auto")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            [
                "roofline: default hardware h200 *",
                f"roofline: auto: {answer} (from a plugin): h200",
            ]
        )


def test_local_calibration_is_cached_between_runs(
    pytester: pytest.Pytester, local_header: dict[str, str], numpy_imported: Callable[[], bool]
) -> None:
    pytester.makepyfile(
        """
import numpy as np
import pytest
from pytest_roofline import kernels

@pytest.mark.roofline(kernels.matmul(128, 128, 128, "fp64"))
def test_small_gemm(roofline):
    # A slow figure: it can never look faster than the roofline, which would measure
    # the ceilings again (and change their date).
    roofline.report(seconds=1.0)
"""
    )
    first = pytester.runpytest_subprocess("--roofline-json", "first.json")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines([local_header["first use"]])
    second = pytester.runpytest_subprocess("--roofline-json", "second.json")
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines([local_header["cached"]])
    when = [
        json.loads((pytester.path / f).read_text())["machine"]["calibration"]["measured_at"]
        for f in ("first.json", "second.json")
    ]
    assert when[0] == when[1] != ""
    forced = pytester.runpytest_subprocess("--roofline-calibrate", "--roofline-json", "third.json")
    forced.stdout.fnmatch_lines([local_header["measured"]])
    # A run without roofline tests still shows the cached ceilings in its header, and
    # does not import numpy to find them (the full fingerprint's BLAS would).
    for path in pytester.path.glob("test_*.py"):
        path.unlink()
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    plain = pytester.runpytest_subprocess("-p", "no:randomly", "--roofline-json", "fourth.json")
    plain.assert_outcomes(passed=1)
    plain.stdout.fnmatch_lines([local_header["cached"]])
    assert not numpy_imported()
    # No test used `local`: the report claims no ceilings for it.
    fourth = json.loads((pytester.path / "fourth.json").read_text())
    assert fourth["results"] == []
    assert "peak_flops" not in fourth["machine"]


def test_xdist_workers_share_one_calibration(pytester: pytest.Pytester, report_results) -> None:
    pytester.makepyfile(
        """
import numpy as np
import pytest
from pytest_roofline import kernels

@pytest.mark.parametrize("n", [64, 96, 128, 160])
def test_gemm(roofline, n):
    a = np.ones((n, n))
    roofline.declare(kernels.matmul(n, n, n, "fp64"))
    roofline.measure(np.matmul, a, a, rounds=5)
    # Keep the verdict far from "impossible", which would re-measure the ceilings.
    roofline.report(seconds=1.0)
"""
    )
    result = pytester.runpytest_subprocess("-n", "2", "--roofline-json", "out.json")
    result.assert_outcomes(passed=4)
    specs = {
        json.dumps(r["hardware_spec"], sort_keys=True)
        for r in report_results(pytester.path / "out.json")
    }
    assert len(specs) == 1  # both workers judged against the same ceilings


BROKEN_PROBE = """
import numpy as np
import pytest

from pytest_roofline import kernels
from pytest_roofline.machine import probes

# A BLAS that returns at once (a broken build, a clock that does not move): every run of
# the GEMM probe gives a zero rate.
probes.GemmProbe.run = lambda self, repeats=2: [0.0] * repeats

K = kernels.matmul(64, 64, 64, "fp32")


@pytest.mark.roofline(K, hardware="local", min_utilization=0.1)
def test_marked(roofline):
    roofline.measure(np.matmul, np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))


@pytest.mark.roofline(min_utilization=0.1)
def test_declared(roofline):
    roofline.declare(K, hardware="local")


@pytest.mark.roofline(K, hardware="h100-sxm", min_utilization=0.1)
def test_on_a_catalog_device(roofline):
    roofline.report(seconds=1e-7)
"""


def test_unusable_probes_are_one_line_naming_the_probe(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(BROKEN_PROBE)
    result = run("--roofline-json", "r.json")
    line = (
        "local: the fp64 GEMM probe gave no usable rate (every run zero or not finite);"
        " declare this machine's ceilings in a hardware TOML (hardware_file) or judge"
        " against a catalog device (hardware=...)"
    )
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines([f"roofline: {line}", f"E *CalibrationError: {line}"])
    # Measured once: the second test is told at once, without a traceback into the plugin.
    assert "calibration.py" not in result.stdout.str()
    assert "ceilings.py" not in result.stdout.str()
    # The test on a catalog device keeps its result; the two on local keep their rows.
    records = json.loads((pytester.path / "r.json").read_text())["results"]
    outcomes = {r["nodeid"].rpartition("::")[2]: r["outcome"] for r in records}
    assert outcomes == {
        "test_marked": "unmeasured",
        "test_declared": "unmeasured",
        "test_on_a_catalog_device": "passed",
    }
    assert all(line in r["message"] for r in records if r["outcome"] == "unmeasured")
