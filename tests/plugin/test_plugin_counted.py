"""Work counted for the test (verdict/counting.py, kernels.from_jax), through real pytest
runs: a test that declares nothing and measures a jitted JAX function, a declaration
checked against XLA's count, and --roofline-strict-work, with JUnit XML."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("jax")

COUNTED_TESTS = """
import jax
import jax.numpy as jnp
import pytest
from pytest_roofline import kernels

MATMUL = jax.jit(lambda a, b: a @ b)
A, B = jnp.ones((256, 512)), jnp.ones((512, 128))
QUICK = dict(rounds=5, warmup=1, max_time=0.05)


@pytest.mark.roofline(min_utilization=1e-6)
def test_counted(roofline):
    roofline.measure(MATMUL, A, B, **QUICK)


# 10x too few bytes: 91,750 where XLA counts 917,504.
@pytest.mark.roofline(kernels.custom("gemm", flops=33_554_432, bytes=91_750), hardware="h100-sxm")
def test_wrong_bytes(roofline):
    roofline.measure(MATMUL, A, B, **QUICK)
"""


GOOD_DECLARATION = """

@pytest.mark.roofline(kernels.matmul(256, 128, 512, "fp32"), hardware="h100-sxm")
def test_right_bytes(roofline):
    roofline.measure(MATMUL, A, B, **QUICK)
"""


def test_counted_work_gets_a_verdict_on_local(
    pytester: pytest.Pytester, run, report_results
) -> None:
    pytester.makepyfile(COUNTED_TESTS)
    result = run("--roofline-json", "out.json", "--junit-xml", "junit.xml")
    result.assert_outcomes(passed=2)
    records = {
        r["nodeid"].rpartition("::")[2]: r for r in report_results(pytester.path / "out.json")
    }
    counted = records["test_counted"]
    assert counted["hardware"] == "local"
    assert counted["outcome"] == "passed"
    # 256x512 @ 512x128 fp32: 2·M·N·K FLOPs and 4·(MK + KN + MN) bytes, by hand.
    assert counted["workload"]["flops"] == 33_554_432
    assert counted["workload"]["bytes"] == 917_504
    assert counted["workload"]["counted_by"].startswith("XLA cost analysis (jax ")
    assert counted["label"] == "<lambda> fp32, counted by XLA"  # every report shows it
    wrong = records["test_wrong_bytes"]
    assert any(
        n.startswith("declared bytes 91.8 kB differ from the 918 kB") for n in wrong["notes"]
    )
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    properties = {p.get("name"): p.get("value") for p in cases["test_counted"].iter("property")}
    assert json.loads(properties["roofline"])["workload"]["counted_by"].startswith("XLA")


def test_strict_work_fails_the_wrong_declaration_only(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(COUNTED_TESTS + GOOD_DECLARATION)
    # The counted test (on local, whose calibration costs seconds) is covered above.
    result = run("--roofline-strict-work", "-k", "not test_counted")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*roofline: gemm fp32: declared bytes 91.8 kB differ from the 918 kB counted by XLA*"]
    )


def test_importing_the_plugin_never_imports_jax() -> None:
    code = (
        "import sys, pytest_roofline.plugin, pytest_roofline.specs.kernels;"
        " print('jax' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
