"""Reports as users ask for them: terminal verbosity, Markdown, HTML, the job summary."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

import pytest

# Bounds from the NVIDIA H100 datasheet (67 TFLOP/s fp32, 3.35 TB/s): matmul 1024^3 fp32
# takes at least 32.05 µs; a dot of 1e6 fp32 moves 8e6 + 4 bytes, at least 2.39 µs.
TESTS = """
import json
import xml.etree.ElementTree as ET

import pytest
from pytest_roofline import ServingConfig, kernels

@pytest.mark.roofline(kernels.matmul(1024, 1024, 1024, "fp32"), hardware="h100-sxm",
                      min_utilization=0.4)
def test_gemm(roofline):
    roofline.report(seconds=64.1e-6)

@pytest.mark.roofline(kernels.dot(1_000_000), hardware="h100-sxm", min_utilization=0.5)
def test_dot(roofline):
    roofline.report(seconds=23.9e-6)

@pytest.mark.parametrize("n", range(3))
def test_sweep(roofline, n):
    roofline.declare(kernels.dot(1_000_000 * (n + 1)), hardware="h100")
    roofline.report(bytes_per_second=1e12)

@pytest.mark.roofline(serving=ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb",
                      gpus=8, prompt_tokens=1024, decode_tokens=512), min_utilization=0.2)
def test_engine(roofline):
    roofline.report(tokens_per_second=8 * 549)
"""


def test_quiet_gives_one_line_and_verbose_the_breakdown(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    quiet = run("-q")
    quiet.stdout.fnmatch_lines(
        ["roofline: 6 tests: 5 ok, 1 low; worst *test_dot 10.0%, budget 50.0%"]
    )
    assert "bound by" not in quiet.stdout.str()
    verbose = run("-v")
    verbose.stdout.fnmatch_lines(
        [
            "*test_gemm*h100-sxm*compute*50.0%*40.0%*ok",
            "    compute 32.1 µs, memory 3.76 µs, network 0 s; intensity 171 vs ridge 20 FLOP/B",
        ]
    )


def test_markdown_html_and_the_job_summary(pytester: pytest.Pytester, run, monkeypatch) -> None:
    pytester.makepyfile(TESTS)
    summary = pytester.path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run(
        "--roofline-markdown",
        "reports/gap.md",
        "--roofline-html",
        "reports/gap.html",
        "--roofline-json",
        "reports/out.json",
        "--roofline-github-summary",
    )
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "roofline: wrote the Markdown report to */reports/gap.md",
            "roofline: wrote the HTML report to */reports/gap.html",
            "roofline: appended the Markdown report to $GITHUB_STEP_SUMMARY",
        ]
    )
    markdown = (pytester.path / "reports" / "gap.md").read_text()
    records = json.loads((pytester.path / "reports" / "out.json").read_text())["results"]
    for record in records:
        assert record["nodeid"] in markdown  # every test, from the same records
    assert "| ❌ 10.0% / 50.0% |" in markdown  # dot: 2.39 µs bound / 23.9 µs measured
    assert summary.read_text().startswith("earlier step\n**roofline**")
    html = (pytester.path / "reports" / "gap.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # well-formed
    # The same through the command, from the JSON alone.
    command = [sys.executable, "-m", "pytest_roofline", "report", "reports/out.json"]
    assert pytester.run(*command, "--markdown", "again.md").ret == 0
    assert (pytester.path / "again.md").read_text() == markdown


def test_xdist_reports_hold_every_test(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    run("-n", "2", "--roofline-markdown", "gap.md", "--roofline-html", "gap.html")
    markdown = (pytester.path / "gap.md").read_text()
    html = (pytester.path / "gap.html").read_text()
    for name in ("test_gemm", "test_dot", "test_sweep[0]", "test_sweep[2]", "test_engine"):
        assert name in markdown
        assert name in html


def test_an_unwritable_report_hides_no_outcome(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(TESTS)
    pytester.makefile(".txt", blocker="a file where a folder should be")
    result = run("--roofline-html", "blocker.txt/gap.html", "--roofline-markdown", "-")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "roofline: could not write */blocker.txt/gap.html: *",
            "**roofline**: 6 tests on h100-sxm, a100-sxm4-80gb — 5 passed, 1 below budget",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
