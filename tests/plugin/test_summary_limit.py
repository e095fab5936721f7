"""A large run's terminal summary stays readable: every test that did not pass, the worst
passing ones up to a limit, then one line counting the rest; the reports keep them all."""

from __future__ import annotations

import json

import pytest

from pytest_roofline.plugin.finish import SUMMARY_ROWS

MANY = """
import pytest
from pytest_roofline import kernels

GEMM = kernels.matmul(4096, 4096, 4096, "bf16")   # 139 µs on h100-sxm

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.05)
@pytest.mark.parametrize("i", range(120))
def test_many(roofline, i):
    # 3 tests far below budget, the rest between 13.9 % and 69.5 % of the bound
    roofline.report(seconds=1.0 if i < 3 else 200e-6 * (1 + i % 5))
"""


def table_rows(output: str) -> list[str]:
    section = output[output.index("== roofline ==") :]
    return [
        line
        for line in section.splitlines()
        if "::test_many[" in line and not line.startswith(("FAILED", "PASSED"))
    ]


def test_the_summary_shows_what_matters_and_counts_the_rest(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(MANY)
    result = run("--roofline-json", "out.json", "-p", "no:xdist")
    result.assert_outcomes(passed=117, failed=3)
    output = result.stdout.str()
    rows = table_rows(output)
    assert len(rows) == SUMMARY_ROWS == 50
    assert all(row.endswith("LOW") for row in rows[:3]), rows[:3]
    result.stdout.fnmatch_lines(["*... 70 more passed, up to 69.5% of their bounds*"])
    assert len(json.loads((pytester.path / "out.json").read_text())["results"]) == 120


def test_verbose_shows_every_row(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(MANY)
    result = run("-v", "-p", "no:xdist")
    rows = table_rows(result.stdout.str())
    assert len(rows) == 120
    result.stdout.no_fnmatch_line("*more passed*")
