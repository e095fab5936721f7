"""Fixtures the report tests share, each defined once here (what tests/cli needs as well,
``kernel_result`` and ``every_outcome``, is in tests/conftest.py).

- ``local_hardware``: made-up measured ``local`` ceilings, without cache levels.
- ``golden_results``: the results behind the golden Markdown file, built as the plugin
  records them (test_report_markdown.py, test_report_schema.py).
- ``sample_document``: the JSON report the HTML, chart and plot tests draw
  (test_report_html.py, test_report_plot.py, test_report_browser.py).
- ``shared_bandwidth_document``: a crowded report: roofs of one value, many tests, long
  node ids (test_report_html.py, test_report_layout.py).
- ``svgs`` and ``parsed``: the charts and the table rows of an HTML page.
- ``browser``: headless Chromium on a page, skipping the test where it is not installed.

Some test modules' assertions name the same inputs as these samples (a node id, a
throughput); they keep their own copy of those figures as the values they expect.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Kernel, Measurement, ServingConfig, bound, kernels
from pytest_roofline.physics.bound import kernel_bound
from pytest_roofline.report import json_report
from pytest_roofline.specs.hardware import MemoryLevel, builtin_catalog
from pytest_roofline.verdict.record import Result, evaluate
from pytest_roofline.verdict.recorder import Recorder

SPEC_EXCLUDE = {"sources", "aliases", "description"}
"""What a result's ``hardware_spec`` leaves out of the device, as the plugin's records do."""


@pytest.fixture(scope="session")
def local_hardware() -> Hardware:
    """Made-up measured ``local`` ceilings: fp64 40 and fp32 80 GFLOP/s, 15 GB/s, ±10%."""
    return Hardware(
        name="local",
        peak_flops={"fp64": 4e10, "fp32": 8e10},
        memory_bandwidth=1.5e10,
        ceiling_uncertainty=0.1,
        measured=True,
    )


# -- the golden Markdown report's results -----------------------------------------------

PIPE_ID = "tests/test_k.py::test_split[a|b]"
GPUS = 8
VLLM_PER_GPU, TRTLLM_PER_GPU = 549.0, 817.0  # NanoFlow's baselines (docs/serving.md)


def recorded_kernel_result(
    nodeid: str,
    kernel: Kernel,
    device: Hardware,
    utilization: float | None,
    budget: float | None,
) -> Result:
    """A kernel result whose reported time reaches ``utilization`` of the bound, its
    workload recorded as the plugin records it (JSON values and the intensity)."""
    found = kernel_bound(kernel, device)
    measurement = (
        None if utilization is None else Measurement.from_reported(found.seconds / utilization)
    )
    return evaluate(
        nodeid=nodeid,
        label=kernel.label,
        workload={**kernel.model_dump(mode="json"), "intensity": kernel.intensity},
        hardware_spec=device.model_dump(mode="json", exclude=SPEC_EXCLUDE),
        bound=found,
        measurement=measurement,
        min_utilization=budget,
    )


def recorded_serving_result(nodeid: str, tokens_per_second_per_gpu: float) -> Result:
    """LLaMA-2-70B on 8 A100s (the notes' workload), with a reported throughput."""
    config = ServingConfig(
        model="llama-2-70b",
        hardware="a100-sxm4-80gb",
        gpus=GPUS,
        prompt_tokens=1024,
        decode_tokens=512,
    )
    recorder = Recorder(nodeid, catalog=builtin_catalog(), kernel=config, min_utilization=0.3)
    recorder.report(tokens_per_second=tokens_per_second_per_gpu * GPUS)
    return recorder.result()


@pytest.fixture(scope="session")
def golden_results(local_hardware: Hardware) -> Callable[[], list[Result]]:
    """``golden_results()``: every outcome but "regressed", kernels on two hardware
    (``local_hardware`` and h100-sxm), two serving engines, a node id with a pipe; the
    results of tests/report/data/report.md. New Results each call."""

    def results() -> list[Result]:
        h100 = Hardware.named("h100-sxm")
        return [
            recorded_kernel_result(
                "tests/test_k.py::test_sgemm",
                kernels.matmul(256, 256, 256),
                local_hardware,
                0.5,
                0.3,
            ),
            recorded_kernel_result(
                "tests/test_k.py::test_copy", kernels.copy(1 << 20), local_hardware, 0.15, 0.2
            ),
            recorded_kernel_result(
                "tests/test_k.py::test_gemm",
                kernels.matmul(4096, 4096, 4096, "bf16"),
                h100,
                0.8,
                0.6,
            ),
            recorded_kernel_result(
                "tests/test_k.py::test_dot", kernels.dot(1 << 24), h100, 1.5, 0.5
            ),
            recorded_kernel_result(
                "tests/test_k.py::test_missing", kernels.triad(1 << 20), h100, None, 0.5
            ),
            recorded_kernel_result(PIPE_ID, kernels.copy(1 << 22), h100, 0.35, None),
            recorded_serving_result("tests/test_s.py::test_vllm", VLLM_PER_GPU),
            recorded_serving_result("tests/test_s.py::test_trtllm", TRTLLM_PER_GPU),
        ]

    return results


# -- the HTML report's sample -------------------------------------------------------------

SCRIPT_NODEID = 'tests/t.py::test_dot[<script>alert("x")</script>&]'
DOT = kernels.dot(10_000_000, "fp32")  # ~1/4 FLOP/B: memory-bound everywhere
SMALL = kernels.matmul(64, 64, 64, "fp32")  # 10.7 FLOP/B: memory-bound on H100 fp32
HALF = kernels.matmul(256, 256, 256, "fp16")

KiB, MiB = 1024.0, 1024.0**2
LOCAL_WITH_CACHES = Hardware(
    name="local",
    peak_flops={"fp64": 3e10, "fp32": 6e10},
    memory_bandwidth=1.7e10,
    memory_levels=(
        MemoryLevel(name="L1", capacity=64 * KiB, bandwidth=9e10),
        MemoryLevel(name="L2", capacity=1 * MiB, bandwidth=6e10),
        MemoryLevel(name="L3", capacity=32 * MiB, bandwidth=4e10),
    ),
    ceiling_uncertainty=0.1,
    measured=True,
    measured_at="2026-01-02T03:04:05+00:00",
)
"""``local`` with cache levels and a calibration date, for the chart's slopes and the
machine section (other figures than ``local_hardware``'s on purpose)."""
SERVING = ServingConfig(
    model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8, prompt_tokens=1024, decode_tokens=512
)


def serving_result(nodeid: str, utilization: float) -> Result:
    """A serving result as the recorder builds it, at ``utilization`` of the bound."""
    b = bound(SERVING)
    measured = b.seconds / utilization
    fields = (
        "batch_size",
        "gpus",
        "attainable_tokens_per_second",
        "optimal_tokens_per_second_per_gpu",
        "kv_bytes_per_token",
        "network_to_compute",
        "memory_to_compute",
    )
    return evaluate(
        nodeid=nodeid,
        label=SERVING.label,
        kind="serving",
        workload=SERVING.model_dump(mode="json"),
        hardware_spec=Hardware.named("a100-sxm4-80gb").model_dump(
            mode="json", exclude=SPEC_EXCLUDE
        ),
        bound=b,
        measurement=Measurement.from_reported(measured),
        min_utilization=0.3,
        extra={
            "optimal_tokens_per_second": b.optimal_tokens_per_second,
            "measured_tokens_per_second": b.batch_size / measured,
            "serving": b.model_dump(include=set(fields)),
        },
    )


@pytest.fixture(scope="session")
def sample_document(kernel_result: Callable[..., Result]) -> Callable[[], dict[str, Any]]:
    """``sample_document()``: every outcome but "regressed" on h100-sxm (a GEMM at 50 %, a
    dot at 10 % under a node id with markup, an impossible small matmul, an unmeasured
    one), cache levels on ``local``, and serving on A100; a fixed ``created``. A new
    document each call."""

    def build() -> dict[str, Any]:
        results = [
            # matmul 1024^3 bf16, 341 FLOP/B: compute-bound on H100 bf16
            kernel_result("tests/test_gemm.py::test_gemm", 0.5),
            kernel_result(SCRIPT_NODEID, 0.1, kernel=DOT),
            kernel_result("tests/test_small.py::test_small", 3.0, kernel=SMALL),
            kernel_result("tests/test_half.py::test_unmeasured", None, kernel=HALF),
            kernel_result(
                "tests/test_local.py::test_sgemm",
                0.6,
                kernel=kernels.matmul(256, 256, 256),
                hardware=LOCAL_WITH_CACHES,
            ),
            kernel_result(
                "tests/test_local.py::test_sgemm32",
                0.3,
                budget=0.2,
                kernel=SMALL,
                hardware=LOCAL_WITH_CACHES,
            ),
            kernel_result(
                "tests/test_local.py::test_copy",
                0.8,
                kernel=kernels.copy(10**6),
                hardware=LOCAL_WITH_CACHES,
            ),
            serving_result("tests/test_serving.py::test_vllm", 0.25),
            serving_result("tests/test_serving.py::test_trtllm", 0.5),
        ]
        document = json_report.build_document(results)
        document["created"] = "2026-01-02T00:00:00+00:00"
        return document

    return build


# -- reading an HTML page -----------------------------------------------------------------


@pytest.fixture(scope="session")
def svgs() -> Callable[[str], dict[str, ET.Element]]:
    """``svgs(page)``: every chart of the page, parsed as XML (a parse error fails the
    test), by hardware."""

    def charts(page: str) -> dict[str, ET.Element]:
        found = [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]
        return {svg.attrib["data-hardware"]: svg for svg in found}

    return charts


class Rows(HTMLParser):
    """The rows of the page's tables: (table class, row attributes, cell texts); a line
    break in a cell reads as a space."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, dict[str, str], list[str]]] = []
        self.headers: list[tuple[str, str, dict[str, str]]] = []
        self.table = ""
        self.cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.table = a.get("class", "")
        elif tag == "tr" and "data-nodeid" in a:
            self.rows.append((self.table, a, []))
        elif tag == "td" and self.rows and self.cell is None:
            self.cell = []
        elif tag == "th":
            self.headers.append((self.table, "", a))
            self.cell = []
        elif tag == "script":
            self.scripts += 1
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1][2].append("".join(self.cell))
            self.cell = None
        elif tag == "th" and self.cell is not None:
            table, _, attrs = self.headers[-1]
            self.headers[-1] = (table, "".join(self.cell), attrs)
            self.cell = None


@pytest.fixture(scope="session")
def parsed() -> Callable[[str], Rows]:
    """``parsed(page)``: the page's table rows and headers, read by :class:`Rows`."""

    def read(page: str) -> Rows:
        parser = Rows()
        parser.feed(page)
        parser.close()
        return parser

    return read


# -- a crowded sample: shared roof values, many tests, long node ids ------------------------

SHARED_LOCAL = Hardware(
    name="local",
    peak_flops={"fp64": 2.5e10, "fp32": 5e10},
    memory_bandwidth=1.98e10,
    memory_levels=(
        MemoryLevel(name="L1", capacity=48 * KiB, bandwidth=2e11),
        MemoryLevel(name="L2", capacity=2 * MiB, bandwidth=1e11),
        MemoryLevel(name="L3", capacity=32 * MiB, bandwidth=1.98e10),
    ),
    ceiling_uncertainty=0.1,
    measured=True,
)
"""``local`` whose L3 is as fast as main memory (19.8 GB/s): two roofs of one value."""
LONG_PATH = "tests/performance/kernels/linear_algebra/test_blas_level3_throughput.py"
H100_DTYPES = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8")


@pytest.fixture(scope="session")
def shared_bandwidth_document() -> Callable[[], dict[str, Any]]:
    """``shared_bandwidth_document()``: 16 kernels on ``SHARED_LOCAL`` and 29 on h100-sxm
    (every dtype, so roofs of equal peaks too: fp8 and int8, bf16 and fp16, fp32 and
    fp64), under node ids of 100 characters and more, many near a roof or its label, a
    few on one spot; one unmeasured and one judged on a busy machine; two serving
    results under long node ids. A new document each call."""

    def build() -> dict[str, Any]:
        h100, kernel = Hardware.named("h100-sxm"), recorded_kernel_result
        results, utilizations = [], (0.3, 0.55, 0.8, 0.97)
        for i, size in enumerate((16, 32, 64, 128, 256, 512, 1024, 2048)):
            for dtype in ("fp32", "fp64"):
                test = f"{LONG_PATH}::TestMatmul::test_matmul_throughput[{size}-{size}-{size}"
                work = kernels.matmul(size, size, size, dtype)
                results.append(
                    kernel(
                        f"{test}-{dtype}-row_major]", work, SHARED_LOCAL, utilizations[i % 4], 0.4
                    )
                )
        for i, dtype in enumerate(H100_DTYPES):
            for j, size in enumerate((256, 4096)):
                gemm, dot = kernels.matmul(size, size, size, dtype), kernels.dot(size << 12, dtype)
                test = f"tests/gpu/test_tensor_cores.py::test_gemm_{dtype}[{size}x{size}]"
                results.append(kernel(test, gemm, h100, utilizations[(i + j) % 4], 0.5))
                # All on one spot of the memory roof.
                test = f"tests/gpu/test_bandwidth.py::test_dot_{dtype}[{size << 12}]"
                results.append(kernel(test, dot, h100, 0.9, 0.5))
        test = "tests/gpu/test_bandwidth.py::test_not_measured"
        results.append(kernel(test, kernels.triad(1 << 20), h100, None, 0.5))
        results[3] = results[3].model_copy(update={"noisy": True})
        serving = "tests/serving/test_llama_70b_serving_throughput.py::test_total_throughput"
        results.append(serving_result(f"{serving}[vllm-0.6.3-tp8]", 0.25))
        results.append(serving_result(f"{serving}[trtllm-0.12-tp8]", 0.5))
        document = json_report.build_document(results)
        document["created"] = "2026-01-02T00:00:00+00:00"
        return document

    return build


# -- a real browser ---------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> Callable[..., bytes]:
    """``browser(page, *args, size=(width, height))``: run headless Chromium on the local
    file ``page`` with ``args`` (``--dump-dom``, ``--screenshot=...``), isolated from any
    profile and the network, and return what it printed. Skips the test when Chromium is
    not installed (CI installs it)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")

    def run(page: Path, *args: str, size: tuple[int, int]) -> bytes:
        command = [
            str(found),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={size[0]},{size[1]}",
            *args,
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
        return done.stdout

    return run
