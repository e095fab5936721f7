"""The Markdown report: a golden file, worst-first order, escaping, and the serving numbers.

The document is built from real Result records (evaluate and the Recorder), with a fixed
``created`` and ``machine``, so the rendering is deterministic and any change to it shows
up as a difference against ``tests/data/report.md``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Kernel, Measurement, ServingConfig, kernels
from pytest_roofline.core.units import (
    SECONDS,
    TOKEN_RATE,
    parse,
)
from pytest_roofline.physics.bound import kernel_bound
from pytest_roofline.report import json_report
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.specs.hardware import builtin_catalog
from pytest_roofline.verdict.record import (
    Result,
    evaluate,
)
from pytest_roofline.verdict.recorder import Recorder

GOLDEN = Path(__file__).parent / "data" / "report.md"
PIPE_ID = "tests/test_k.py::test_split[a|b]"

LOCAL = Hardware(
    name="local",
    peak_flops={"fp64": 4e10, "fp32": 8e10},
    memory_bandwidth=1.5e10,
    ceiling_uncertainty=0.1,
    measured=True,
)

# llama-2-70b from its architecture: untied embeddings 2·V·D, then per layer the
# attention (Q and O: D·D each, K and V: D·kv_heads·head_dim each), the gated MLP 3·D·I
# and two norms, plus the final norm.
D, LAYERS, KV, HEAD_DIM, INTER, VOCAB = 8192, 80, 8, 128, 28672, 32000
P_LLAMA_70B = (
    2 * VOCAB * D + LAYERS * (2 * D * D + 2 * D * KV * HEAD_DIM + 3 * D * INTER + 2 * D) + D
)
A100_FP16 = 312e12
GPUS = 8
VLLM_PER_GPU, TRTLLM_PER_GPU = 549.0, 817.0  # NanoFlow's baselines (docs/serving.md)


def kernel_result(
    nodeid: str,
    kernel: Kernel,
    device: Hardware,
    utilization: float | None,
    budget: float | None,
) -> Result:
    """A kernel result whose reported time reaches ``utilization`` of the bound."""
    bound = kernel_bound(kernel, device)
    measurement = (
        None if utilization is None else Measurement.from_reported(bound.seconds / utilization)
    )
    return evaluate(
        nodeid=nodeid,
        label=kernel.label,
        workload={**kernel.model_dump(mode="json"), "intensity": kernel.intensity},
        hardware_spec=device.model_dump(mode="json", exclude={"sources", "aliases", "description"}),
        bound=bound,
        measurement=measurement,
        min_utilization=budget,
    )


def serving_result(nodeid: str, tokens_per_second_per_gpu: float) -> Result:
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


def results() -> list[Result]:
    """Every outcome, two kernel hardware, two serving engines, a node id with a pipe."""
    h100 = Hardware.named("h100-sxm")
    return [
        kernel_result(
            "tests/test_k.py::test_sgemm", kernels.matmul(256, 256, 256), LOCAL, 0.5, 0.3
        ),
        kernel_result("tests/test_k.py::test_copy", kernels.copy(1 << 20), LOCAL, 0.15, 0.2),
        kernel_result(
            "tests/test_k.py::test_gemm", kernels.matmul(4096, 4096, 4096, "bf16"), h100, 0.8, 0.6
        ),
        kernel_result("tests/test_k.py::test_dot", kernels.dot(1 << 24), h100, 1.5, 0.5),
        kernel_result("tests/test_k.py::test_missing", kernels.triad(1 << 20), h100, None, 0.5),
        kernel_result(PIPE_ID, kernels.copy(1 << 22), h100, 0.35, None),
        serving_result("tests/test_s.py::test_vllm", VLLM_PER_GPU),
        serving_result("tests/test_s.py::test_trtllm", TRTLLM_PER_GPU),
    ]


def document() -> dict[str, Any]:
    """The JSON report of :func:`results`, with a fixed date and machine."""
    return {
        "schema": json_report.SCHEMA,
        "created": "2025-01-01T00:00:00+00:00",
        "machine": {"hostname": "ci", "cpu_count": 2, "python": "3.11.0"},
        "results": [r.model_dump(mode="json") for r in results()],
    }


def regenerate() -> None:
    """Rewrite the golden file; check the new text by eye before committing it.

    From the repository root:
    ``python -c "import sys; sys.path.insert(0, 'tests'); import test_report_markdown as t;
    t.regenerate()"``
    """
    GOLDEN.write_text(render_markdown(document()), encoding="utf-8")


def rows(text: str, heading: str) -> list[list[str]]:
    """The body cells of the table under ``heading``, split on unescaped pipes."""
    lines = text.split(f"### {heading}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [
        [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in lines[2:]
    ]


def nodeid(cell: str) -> str:
    return cell.strip("`")


def percents(cell: str) -> list[float]:
    return [float(p) / 100 for p in re.findall(r"([\d.]+)%", cell)]


def test_matches_the_golden_file() -> None:
    # On a deliberate change, run regenerate() (see its docstring) and review the diff.
    assert render_markdown(document()) == GOLDEN.read_text(encoding="utf-8")


def test_header_names_hardware_in_order_and_counts_outcomes() -> None:
    first = render_markdown(document()).splitlines()[0]
    assert first == (
        "**roofline**: 8 tests on local, h100-sxm, a100-sxm4-80gb"
        " — 4 passed, 2 below budget, 1 impossible, 1 unmeasured"
    )


def test_empty_document_says_so() -> None:
    assert render_markdown({"results": []}) == "**roofline**: no roofline tests\n"


def test_rows_go_worst_first() -> None:
    text = render_markdown(document())
    h100 = [nodeid(row[0]) for row in rows(text, "Kernels on h100-sxm")]
    assert h100 == [
        "tests/test_k.py::test_dot",  # impossible
        "tests/test_k.py::test_missing",  # unmeasured
        PIPE_ID,  # 35 %
        "tests/test_k.py::test_gemm",  # 80 %
    ]
    local = [nodeid(row[0]) for row in rows(text, "Kernels on local")]
    assert local == ["tests/test_k.py::test_copy", "tests/test_k.py::test_sgemm"]
    serving = [nodeid(row[0]) for row in rows(text, "Serving")]
    assert serving == ["tests/test_s.py::test_vllm", "tests/test_s.py::test_trtllm"]


def test_order_does_not_depend_on_the_order_of_results() -> None:
    doc = document()
    found = doc["results"]
    # Reversed within each hardware: the tables keep their order, the rows are re-sorted.
    shuffled = {**doc, "results": found[:2][::-1] + found[2:6][::-1] + found[6:][::-1]}
    assert shuffled["results"] != found
    assert render_markdown(shuffled) == render_markdown(doc)


def test_pipes_in_cells_are_escaped() -> None:
    text = render_markdown(document())
    assert "`tests/test_k.py::test_split[a\\|b]`" in text
    # Every row keeps its column count: 7 cells in kernel tables, 9 in the serving one.
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in table_lines} == {8, 10}
    (pipe_row,) = [line for line in table_lines if "test_split" in line]
    assert len(re.findall(r"(?<!\\)\|", pipe_row)) == 8


def test_status_marks_and_budgets() -> None:
    cells = {
        nodeid(row[0]): row[-1] for row in rows(render_markdown(document()), "Kernels on h100-sxm")
    }
    assert cells["tests/test_k.py::test_gemm"] == "✅ 80.0% / 60.0%"
    assert cells["tests/test_k.py::test_dot"] == "⚠️ 150.0% / 50.0%"  # the uncapped figure
    assert cells["tests/test_k.py::test_missing"] == "❔ — / 50.0%"
    assert cells[PIPE_ID] == "✅ 35.0% / no budget"


def test_serving_numbers_match_a_hand_calculation() -> None:
    assert P_LLAMA_70B == 68_976_648_192
    optimal_per_gpu = A100_FP16 / (2 * P_LLAMA_70B)  # 2,261.6 tokens/s
    table = {nodeid(row[0]): row for row in rows(render_markdown(document()), "Serving")}
    vllm = table["tests/test_s.py::test_vllm"]
    assert vllm[2] == "8 x a100-sxm4-80gb"
    assert vllm[3] == f"{optimal_per_gpu:,.0f} tokens/s" == "2,262 tokens/s"
    assert vllm[4] == "549 tokens/s"
    assert vllm[5] == f"{optimal_per_gpu / VLLM_PER_GPU:.2f}x" == "4.12x"
    # Compute-bound: attainable equals optimal, so utilization is measured / optimal.
    assert vllm[6] == f"❌ {VLLM_PER_GPU / optimal_per_gpu:.1%} / 30.0%" == "❌ 24.3% / 30.0%"
    assert vllm[8] == "compute"
    trtllm = table["tests/test_s.py::test_trtllm"]
    assert trtllm[5] == f"{optimal_per_gpu / TRTLLM_PER_GPU:.2f}x" == "2.77x"
    assert trtllm[6].startswith("✅ 36.1%")


def test_round_trip_through_json_shows_the_json_numbers(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    json_report.write(path, document())
    saved = json.loads(path.read_text(encoding="utf-8"))
    text = render_markdown(saved)
    assert text == render_markdown(document())
    by_id = {r["nodeid"]: r for r in saved["results"]}
    for hardware in ("local", "h100-sxm"):
        for row in rows(text, f"Kernels on {hardware}"):
            result = by_id[nodeid(row[0])]
            assert row[1] == result["label"]
            assert row[2] == result["bottleneck"]
            assert parse(row[4], SECONDS) == pytest.approx(result["bound_seconds"], rel=5e-3)
            if result["measured_seconds"] is not None:
                measured = parse(row[5], SECONDS)
                assert measured == pytest.approx(result["measured_seconds"], rel=5e-3)
            shown = percents(row[6])
            if result["outcome"] != "unmeasured":
                assert shown[0] == pytest.approx(result["raw_utilization"], abs=5e-4)
            intensity, ridge = (float(x.replace(",", "")) for x in row[3].split()[0:3:2])
            assert intensity == pytest.approx(result["intensity"], rel=5e-3)
            assert ridge == pytest.approx(result["ridge_point"], rel=5e-3)
    for row in rows(text, "Serving"):
        result = by_id[nodeid(row[0])]
        gpus = result["serving"]["gpus"]
        assert parse(row[3].replace(",", ""), TOKEN_RATE) == pytest.approx(
            result["optimal_tokens_per_second"] / gpus, rel=5e-3
        )
        assert parse(row[4].replace(",", ""), TOKEN_RATE) == pytest.approx(
            result["measured_tokens_per_second"] / gpus, rel=5e-3
        )
        times = [parse(t, SECONDS) for t in row[7].split(" / ")]
        expected = [result[k] for k in ("memory_seconds", "compute_seconds", "network_seconds")]
        assert times == pytest.approx(expected, rel=5e-3)
        assert percents(row[6])[0] == pytest.approx(result["utilization"], abs=5e-4)
