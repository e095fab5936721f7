"""The Markdown report: a golden file, worst-first order, escaping, and the serving numbers.

The document is built from real Result records (evaluate and the Recorder: the
``golden_results`` fixture, tests/report/conftest.py), with a fixed ``created`` and
``machine``, so the rendering is deterministic and any change to it shows up as a
difference against ``tests/report/data/report.md``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.core.units import (
    SECONDS,
    TOKEN_RATE,
    parse,
)
from pytest_roofline.report import json_report
from pytest_roofline.report.html import render_html
from pytest_roofline.report.markdown import render_markdown
from pytest_roofline.verdict.record import Result

GOLDEN = Path(__file__).parent / "data" / "report.md"
REGENERATE = "ROOFLINE_REGENERATE_GOLDEN"
"""Set (to anything) to rewrite the golden file: see :func:`regenerate`."""

# The golden results' inputs the assertions name (``golden_results``,
# tests/report/conftest.py, records them with the same figures).
PIPE_ID = "tests/test_k.py::test_split[a|b]"
VLLM_PER_GPU, TRTLLM_PER_GPU = 549.0, 817.0  # NanoFlow's baselines (docs/serving.md)

# llama-2-70b from its architecture: untied embeddings 2·V·D, then per layer the
# attention (Q and O: D·D each, K and V: D·kv_heads·head_dim each), the gated MLP 3·D·I
# and two norms, plus the final norm.
D, LAYERS, KV, HEAD_DIM, INTER, VOCAB = 8192, 80, 8, 128, 28672, 32000
P_LLAMA_70B = (
    2 * VOCAB * D + LAYERS * (2 * D * D + 2 * D * KV * HEAD_DIM + 3 * D * INTER + 2 * D) + D
)
A100_FP16 = 312e12


@pytest.fixture(scope="module")
def document(golden_results: Callable[[], list[Result]]) -> Callable[[], dict[str, Any]]:
    """``document()``: the JSON report of ``golden_results()``, with a fixed date and
    machine (a new copy each call)."""

    def build() -> dict[str, Any]:
        return {
            "schema": json_report.SCHEMA,
            "created": "2025-01-01T00:00:00+00:00",
            "machine": {"hostname": "ci", "cpu_count": 2, "python": "3.11.0"},
            "results": [r.model_dump(mode="json") for r in golden_results()],
        }

    return build


def regenerate(document: dict[str, Any]) -> None:
    """Rewrite the golden file from ``document``; check the new text by eye before
    committing it.

    :func:`test_matches_the_golden_file` calls this when ``ROOFLINE_REGENERATE_GOLDEN`` is
    set; from the repository root:
    ``ROOFLINE_REGENERATE_GOLDEN=1 python -m pytest tests/report/test_report_markdown.py``
    """
    GOLDEN.write_text(render_markdown(document), encoding="utf-8")


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


def test_matches_the_golden_file(document: Callable[[], dict[str, Any]]) -> None:
    # On a deliberate change, regenerate (see regenerate()'s docstring) and review the diff.
    if os.environ.get(REGENERATE):
        regenerate(document())
    assert render_markdown(document()) == GOLDEN.read_text(encoding="utf-8")


def test_header_names_hardware_in_order_and_counts_outcomes(
    document: Callable[[], dict[str, Any]],
) -> None:
    first = render_markdown(document()).splitlines()[0]
    assert first == (
        "**roofline**: 8 tests on local, h100-sxm, a100-sxm4-80gb"
        " — 4 passed, 2 below budget, 1 impossible, 1 unmeasured"
    )


def test_empty_document_says_so() -> None:
    assert render_markdown({"results": []}) == "**roofline**: no roofline tests\n"


def test_rows_go_worst_first(document: Callable[[], dict[str, Any]]) -> None:
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


def test_order_does_not_depend_on_the_order_of_results(
    document: Callable[[], dict[str, Any]],
) -> None:
    doc = document()
    found = doc["results"]
    # Reversed within each hardware: the tables keep their order, the rows are re-sorted.
    shuffled = {**doc, "results": found[:2][::-1] + found[2:6][::-1] + found[6:][::-1]}
    assert shuffled["results"] != found
    assert render_markdown(shuffled) == render_markdown(doc)


def test_pipes_in_cells_are_escaped(document: Callable[[], dict[str, Any]]) -> None:
    text = render_markdown(document())
    assert "`tests/test_k.py::test_split[a\\|b]`" in text
    # Every row keeps its column count: 7 cells in kernel tables, 9 in the serving one.
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in table_lines} == {8, 10}
    (pipe_row,) = [line for line in table_lines if "test_split" in line]
    assert len(re.findall(r"(?<!\\)\|", pipe_row)) == 8


def test_status_marks_and_budgets(document: Callable[[], dict[str, Any]]) -> None:
    cells = {
        nodeid(row[0]): row[-1] for row in rows(render_markdown(document()), "Kernels on h100-sxm")
    }
    assert cells["tests/test_k.py::test_gemm"] == "✅ 80.0% / 60.0%"
    assert cells["tests/test_k.py::test_dot"] == "⚠️ 150.0% / 50.0%"  # the uncapped figure
    assert cells["tests/test_k.py::test_missing"] == "❔ — / 50.0%"
    assert cells[PIPE_ID] == "✅ 35.0% / no budget"


def test_serving_numbers_match_a_hand_calculation(document: Callable[[], dict[str, Any]]) -> None:
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


def test_round_trip_through_json_shows_the_json_numbers(
    tmp_path: Path, document: Callable[[], dict[str, Any]]
) -> None:
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


def test_html_and_markdown_show_the_same_serving_figures(
    document: Callable[[], dict[str, Any]], parsed: Callable[[str], Any]
) -> None:
    """One token-rate format and one per-GPU figure in both reports, also where a record
    keeps the bound's own per-GPU figure and it is not the total over the GPUs."""
    doc = document()
    vllm = next(r for r in doc["results"] if r["nodeid"].endswith("test_vllm"))
    vllm["serving"]["optimal_tokens_per_second_per_gpu"] = 61_580.0
    markdown = {nodeid(row[0]): row for row in rows(render_markdown(doc), "Serving")}
    page = render_html(doc)
    html_rows = {a["data-nodeid"]: cells for t, a, cells in parsed(page).rows if "serving" in t}
    assert set(html_rows) == set(markdown)
    for test, cells in html_rows.items():
        # optimal / GPU, measured / GPU and the gap, in the Markdown's columns 3 to 5 and
        # the HTML's 3 to 5 (after the test, the work and the GPUs)
        assert cells[3:6] == markdown[test][3:6], test
    assert markdown["tests/test_s.py::test_vllm"][3] == "61,580 tokens/s"
    assert "ktokens" not in page
