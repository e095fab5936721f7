"""Merging the JSON reports of a CI matrix into one gap report: each result keeps its
machine and ceilings, and a test run on two machines shows once per machine."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from pytest_roofline import Hardware, Result, kernels
from pytest_roofline.report import json_report
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.report.merge import merge

HOST = {"platform": "Linux", "processor": "x86_64", "python": "3.12.1", "numpy": "2.1.0"}


def local(peak: float) -> Hardware:
    """Measured ceilings of one machine: ``peak`` fp32 FLOP/s, 20 GB/s."""
    return Hardware(
        name="local",
        peak_flops={"fp32": peak},
        memory_bandwidth=2e10,
        ceiling_uncertainty=0.1,
        measured=True,
    )


@pytest.fixture
def report_of(kernel_result: Callable[..., Result]) -> Callable[..., dict[str, Any]]:
    """``report_of(hostname, peak, *tests)``: a report written on ``hostname``, whose
    ``local`` has ``peak`` fp32 FLOP/s: each test a GEMM at 50 % there, and
    ``t.py::test_h100`` at 80 % of h100-sxm."""

    def build(hostname: str, peak: float, *tests: str) -> dict[str, Any]:
        gemm = kernels.matmul(256, 256, 256, "fp32")
        results = [kernel_result(t, 0.5, hardware=local(peak), kernel=gemm) for t in tests]
        results.append(kernel_result("t.py::test_h100", 0.8))
        document = json_report.build_document(results)
        document["machine"] = {**document["machine"], **HOST, "hostname": hostname}
        return document

    return build


def test_one_report_is_itself(report_of: Callable[..., dict[str, Any]]) -> None:
    document = report_of("ci-a", 1e11, "t.py::test_gemm")
    assert merge([("a.json", document)]) == document


def test_a_test_on_two_machines_shows_once_per_machine(
    report_of: Callable[..., dict[str, Any]],
) -> None:
    a = report_of("ci-a", 1e11, "t.py::test_gemm")
    b = report_of("ci-b", 4e11, "t.py::test_gemm")
    merged = merge([("a.json", a), ("b.json", b)])
    rows = {(r["nodeid"], r["hardware"]): r for r in merged["results"]}
    assert sorted(rows) == [
        ("t.py::test_gemm", "local@ci-a"),
        ("t.py::test_gemm", "local@ci-b"),
        ("t.py::test_h100", "h100-sxm@ci-a"),
        ("t.py::test_h100", "h100-sxm@ci-b"),
    ]
    # Each keeps its machine's ceilings and says which machine it ran on.
    assert rows[("t.py::test_gemm", "local@ci-a")]["hardware_spec"]["peak_flops"] == {"fp32": 1e11}
    assert rows[("t.py::test_gemm", "local@ci-b")]["hardware_spec"]["peak_flops"] == {"fp32": 4e11}
    assert {r["machine"] for r in merged["results"]} == {"ci-a", "ci-b"}
    # The document's machine: what both share, and each one's own section.
    assert merged["machine"]["python"] == "3.12.1"
    assert "hostname" not in merged["machine"]
    assert merged["machine"]["machines"]["ci-b"]["peak_flops"] == {"fp32": 4e11}
    assert merged["schema"] == json_report.SCHEMA


def test_hardware_one_machine_used_keeps_its_name(
    report_of: Callable[..., dict[str, Any]],
) -> None:
    a = report_of("ci-a", 1e11, "t.py::test_gemm")
    b = report_of("ci-b", 1e11, "t.py::other")
    b["results"] = [r for r in b["results"] if r["hardware"] == "local"]  # no h100-sxm here
    hardware = {r["hardware"] for r in merge([("a.json", a), ("b.json", b)])["results"]}
    # local is each machine's own device, always told apart; h100-sxm only ci-a used.
    assert hardware == {"local@ci-a", "local@ci-b", "h100-sxm"}


def test_shards_of_one_machine_merge_as_one_run(
    report_of: Callable[..., dict[str, Any]],
) -> None:
    first = report_of("ci-a", 1e11, "t.py::test_1")
    second = report_of("ci-a", 1e11, "t.py::test_2")
    second["created"] = "2099-01-01T00:00:00+00:00"
    merged = merge([("1.json", first), ("2.json", second)])
    assert [(r["nodeid"], r["hardware"]) for r in merged["results"]] == [
        ("t.py::test_1", "local"),
        ("t.py::test_h100", "h100-sxm"),  # both ran it: the last result stays
        ("t.py::test_2", "local"),
    ]
    assert all("machine" not in r for r in merged["results"])
    assert merged["machine"]["hostname"] == "ci-a"
    assert merged["machine"]["peak_flops"] == {"fp32": 1e11}
    assert merged["created"] == "2099-01-01T00:00:00+00:00"


def test_machines_sharing_a_host_name_go_by_their_reports_names(
    report_of: Callable[..., dict[str, Any]],
) -> None:
    # Containers often share one host name; their Python differs here.
    a = report_of("runner", 1e11, "t.py::test_gemm")
    b = copy.deepcopy(report_of("runner", 4e11, "t.py::test_gemm"))
    b["machine"]["python"] = "3.10.14"
    merged = merge([("out/py312.json", a), ("out/py310.json", b)])
    assert {r["hardware"] for r in merged["results"] if r["nodeid"] == "t.py::test_gemm"} == {
        "local@py312",
        "local@py310",
    }
    assert merged["machine"]["hostname"] == "runner"


def test_the_merged_report_draws_each_machine_with_its_ceilings(
    report_of: Callable[..., dict[str, Any]], svgs: Callable[[str], dict[str, Any]]
) -> None:
    a = report_of("ci-a", 1e11, "t.py::test_gemm")
    b = report_of("ci-b", 4e11, "t.py::test_gemm")
    merged = merge([("a.json", a), ("b.json", b)])
    charts = svgs(render_html(merged))
    assert set(charts) == {"local@ci-a", "local@ci-b", "h100-sxm@ci-a", "h100-sxm@ci-b"}
    markdown = render_markdown(merged)
    assert re.findall(r"^### Kernels on (\S+)", markdown, re.M) == [
        "local@ci-a",
        "h100-sxm@ci-a",
        "local@ci-b",
        "h100-sxm@ci-b",
    ]
    # Each is judged and drawn against its own machine's roof: the same GEMM at 50 %
    # reached 50 GFLOP/s on ci-a (100 GFLOP/s roof) and 200 GFLOP/s on ci-b (400).
    achieved = {
        r["hardware"]: r["workload"]["flops"] / r["measured_seconds"]
        for r in merged["results"]
        if r["nodeid"] == "t.py::test_gemm"
    }
    # matmul 256^3 fp32: 2 x 256^3 FLOP over 3 x 256^2 x 4 B = 42.7 FLOP/B, above the
    # ridge of both (1e11 / 2e10 = 5, 4e11 / 2e10 = 20): compute-bound, 50 % of the peak.
    assert achieved["local@ci-a"] == pytest.approx(0.5e11)
    assert achieved["local@ci-b"] == pytest.approx(2e11)
