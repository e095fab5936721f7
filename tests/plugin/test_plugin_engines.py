"""Serving-engine result files passed to the fixture, as users run them: real test files
in pytest subprocesses, with the sample vLLM result the examples ship."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# LLaMA-2-70B on 8 A100 SXM4 80GB, fp16: Compute / (2 P_model) = 8 * 312e12 / (2 *
# 68.98e9) = 18,093 tokens/s, and compute binds at p=1024, d=512 (tests/physics/test_serving.py).
# The sample holds 1000 requests of 1024 + 512 tokens in 349.1 s: 4,399.9 tokens/s.
OPTIMUM = 8 * 312e12 / (2 * 68_976_648_192)
MEASURED = 1000 * (1024 + 512) / 349.1

SERVING_TEST = """
import pytest
from pytest_roofline import ServingConfig

CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8{lengths})

@pytest.mark.roofline(serving=CONFIG, min_utilization={budget})
def test_engine(roofline):
    roofline.report_engine_result({path!r})
"""


@pytest.fixture
def serving_file(pytester: pytest.Pytester, vllm_sample: Path) -> Callable[..., None]:
    """Writes a test judging the sample, as ``result.json``, against ``budget``."""

    def write(budget: float = 0.2, lengths: str = "") -> None:
        shutil.copy(vllm_sample, pytester.path / "result.json")
        pytester.makepyfile(SERVING_TEST.format(budget=budget, lengths=lengths, path="result.json"))

    return write


def test_lengths_come_from_the_file(
    pytester: pytest.Pytester, run, serving_file, report_results
) -> None:
    serving_file()
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["workload"]["prompt_tokens"] == 1024
    assert record["workload"]["decode_tokens"] == 512
    # The file's total_token_throughput, written to two decimals: 4399.89.
    assert record["measured_tokens_per_second"] == pytest.approx(MEASURED, rel=1e-5)
    assert record["optimal_tokens_per_second"] == pytest.approx(OPTIMUM, rel=1e-9)
    assert record["utilization"] == pytest.approx(MEASURED / OPTIMUM, rel=1e-5)
    assert any("from the file" in note for note in record["notes"])
    assert any("result.json" in note for note in record["notes"])


def test_a_budget_the_engine_misses_fails_with_both_figures(
    pytester: pytest.Pytester, run, serving_file
) -> None:
    serving_file(budget=0.5)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*llama-2-70b serving p=1024 d=512*24.3%*50.0%*"])


def test_declared_lengths_that_differ_from_the_file_are_noted(
    pytester: pytest.Pytester, run, serving_file, report_results
) -> None:
    serving_file(lengths=", prompt_tokens=2048, decode_tokens=512")
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["workload"]["prompt_tokens"] == 2048  # the declaration stands
    assert any("prompt_tokens" in note and "differs" in note for note in record["notes"])


def test_lengths_that_never_arrive_fail_the_test_in_one_line(
    pytester: pytest.Pytester, run
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import ServingConfig

        @pytest.mark.roofline(serving=ServingConfig(model="llama-2-70b",
                              hardware="a100-sxm4-80gb", gpus=8))
        def test_forgot(roofline):
            pass

        def test_neighbour():
            pass
        """
    )
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_forgot*prompt_tokens and decode_tokens*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_throughput_file_without_lengths_names_what_to_give(
    pytester: pytest.Pytester, run
) -> None:
    # vLLM's offline benchmark_throughput.py counts tokens only in total.
    (pytester.path / "offline.json").write_text(
        json.dumps(
            {
                "elapsed_time": 100.0,
                "num_requests": 1000,
                "total_num_tokens": 1_536_000,
                "requests_per_second": 10.0,
                "tokens_per_second": 15_360.0,
            }
        )
    )
    pytester.makepyfile(SERVING_TEST.format(budget=0.2, lengths="", path="offline.json"))
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*offline.json*prompt_tokens= and decode_tokens=*"])


def test_the_same_throughput_file_with_lengths_given(
    pytester: pytest.Pytester, run, report_results
) -> None:
    (pytester.path / "offline.json").write_text(
        json.dumps(
            {
                "elapsed_time": 100.0,
                "num_requests": 1000,
                "total_num_tokens": 1_536_000,
                "requests_per_second": 10.0,
                "tokens_per_second": 15_360.0,
            }
        )
    )
    lengths = ", prompt_tokens=1024, decode_tokens=512"
    pytester.makepyfile(SERVING_TEST.format(budget=0.2, lengths=lengths, path="offline.json"))
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["utilization"] == pytest.approx(15_360 / OPTIMUM, rel=1e-9)


def test_time_per_output_token_against_a_decode_step(
    pytester: pytest.Pytester, run, vllm_sample: Path, report_results
) -> None:
    # The sample's mean TPOT is 40.81 ms; one decode step of 64 sequences at 1280 tokens,
    # tensor parallel over 8 A100s, is bound at 10.07 ms (tests/specs/test_kernels.py).
    shutil.copy(vllm_sample, pytester.path / "result.json")
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import bound, kernels

        STEP = kernels.decode_step("llama-2-70b", batch_size=64, context=1280, gpus=8)

        @pytest.mark.roofline(STEP, hardware="a100-sxm4-80gb", min_utilization=0.2)
        def test_tpot(roofline):
            engine = roofline.report_engine_result("result.json")
            assert engine.mean_tpot_seconds == pytest.approx(0.04081)
            expected = bound(STEP, "a100-sxm4-80gb").seconds / 0.04081
            assert roofline.utilization == pytest.approx(expected)
        """
    )
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["measured_seconds"] == pytest.approx(0.04081)
    assert record["bottleneck"] == "memory"


def test_a_bad_file_fails_its_test_alone(pytester: pytest.Pytester, run) -> None:
    (pytester.path / "broken.json").write_text('{"completed": 10, "duration": ')
    (pytester.path / "other.json").write_text('{"hello": 1}')
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import ServingConfig

        CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)

        @pytest.mark.roofline(serving=CONFIG)
        @pytest.mark.parametrize("name", ["broken.json", "other.json", "missing.json"])
        def test_engine(roofline, name):
            roofline.report_engine_result(name)

        def test_neighbour():
            pass
        """
    )
    result = run()
    result.assert_outcomes(passed=1, failed=3)
    for name in ("broken.json", "other.json", "missing.json"):
        result.stdout.fnmatch_lines([f"FAILED*{name}*{name}*"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")


def test_engine_results_under_xdist_reach_the_report_and_junit(
    pytester: pytest.Pytester, run, vllm_sample: Path, report_results
) -> None:
    pytest.importorskip("xdist")
    shutil.copy(vllm_sample, pytester.path / "result.json")
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import ServingConfig, kernels

        CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)
        STEP = kernels.decode_step("llama-2-70b", batch_size=64, context=1280, gpus=8)

        @pytest.mark.roofline(serving=CONFIG, min_utilization=0.2)
        @pytest.mark.parametrize("i", range(3))
        def test_throughput(roofline, i):
            roofline.report_engine_result("result.json")

        @pytest.mark.roofline(STEP, hardware="a100-sxm4-80gb", min_utilization=0.2)
        @pytest.mark.parametrize("i", range(3))
        def test_tpot(roofline, i):
            roofline.report_engine_result("result.json")
        """
    )
    result = run("-n", "2", "--roofline-json", "out.json", "--junit-xml", "junit.xml")
    result.assert_outcomes(passed=6)
    records = report_results(pytester.path / "out.json")
    assert len(records) == 6
    assert {r["kind"] for r in records} == {"serving", "kernel"}
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count('name="utilization"') == 6


def test_the_marker_hardware_overrides_the_config_own(
    pytester: pytest.Pytester, run, vllm_sample: Path, report_results
) -> None:
    # One config judged on another device, as bound(config, hardware) does: 8 H100 SXM
    # (989 TFLOP/s bf16/fp16) give 8 * 989e12 / (2 * 68.98e9) = 57,350 tokens/s.
    shutil.copy(vllm_sample, pytester.path / "result.json")
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import ServingConfig

        CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)

        @pytest.mark.roofline(serving=CONFIG, hardware="h100-sxm")
        def test_engine(roofline):
            roofline.report_engine_result("result.json")
        """
    )
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["hardware"] == "h100-sxm"
    assert record["optimal_tokens_per_second"] == pytest.approx(
        8 * 989e12 / (2 * 68_976_648_192), rel=1e-9
    )


SWEEP_TEST = """
import pytest
from pytest_roofline import ServingConfig

CONFIG = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)

@pytest.mark.roofline(serving=CONFIG, min_utilization=0.2)
def test_at_64(roofline):
    roofline.report_engine_result("summary.json", match={"max_concurrency": 64})
"""


def test_a_sweep_summary_is_judged_on_the_run_matched(
    pytester: pytest.Pytester, run, vllm_sample: Path, report_results
) -> None:
    """vLLM's ``bench sweep serve`` writes a list of runs: the test picks one by its
    parameters, and its row says which run was judged."""
    base = json.loads(vllm_sample.read_text())
    runs = [
        {**base, "max_concurrency": 32, "run_number": 0, "total_token_throughput": 3000.0},
        {**base, "max_concurrency": 64, "run_number": 0},  # the sample's own 4,399.89
    ]
    (pytester.path / "summary.json").write_text(json.dumps(runs))
    pytester.makepyfile(SWEEP_TEST)
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["measured_tokens_per_second"] == pytest.approx(MEASURED, rel=1e-5)
    assert any(
        "summary.json[1] (run_number=0), max_concurrency=64" in note for note in record["notes"]
    )


def test_failed_requests_are_said_in_the_verdict(
    pytester: pytest.Pytester, run, vllm_sample: Path, report_results
) -> None:
    """Throughput over the completed requests hides the failed ones: the row says so."""
    data = json.loads(vllm_sample.read_text())
    data["completed"] = 980  # of the 1000 prompts sent
    (pytester.path / "result.json").write_text(json.dumps(data))
    pytester.makepyfile(SERVING_TEST.format(budget=0.2, lengths="", path="result.json"))
    run("--roofline-json", "out.json").assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert (
        "20 of 1000 requests failed (2.0%); the throughput counts the completed ones"
        in (record["notes"])
    )


def test_failed_requests_and_latencies_reach_every_report(
    pytester: pytest.Pytester, run, vllm_sample, report_results
) -> None:
    # 480 of 500 requests completed: the throughput counts the 480, and every report
    # says 20 failed; the JSON keeps the file's latency percentiles, in seconds.
    data = {**json.loads(vllm_sample.read_text()), "completed": 480, "num_prompts": 500}
    (pytester.path / "result.json").write_text(json.dumps(data))
    pytester.makepyfile(SERVING_TEST.format(budget=0.2, lengths="", path="result.json"))
    run(
        "-n",
        "2",
        "--roofline-json",
        "out.json",
        "--roofline-markdown",
        "out.md",
        "--roofline-html",
        "out.html",
    ).assert_outcomes(passed=1)
    (record,) = report_results(pytester.path / "out.json")
    assert record["engine"]["failed_requests"] == 20
    assert record["engine"]["latency"]["tpot"]["p50"] == 0.03962
    assert any("20 of 500 requests failed (4.0%)" in note for note in record["notes"])
    assert "20 of 500 requests failed" in (pytester.path / "out.md").read_text()
    assert "20 of 500 requests failed" in (pytester.path / "out.html").read_text()


def test_a_file_of_another_model_fails_the_test_in_one_line(
    pytester: pytest.Pytester, run, vllm_sample
) -> None:
    # The sample is LLaMA-2-70B (meta-llama/Llama-2-70b-hf); the test declares LLaMA-3-8B.
    shutil.copy(vllm_sample, pytester.path / "result.json")
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import ServingConfig

        CONFIG = ServingConfig(model="llama-3-8b", hardware="h100-sxm")

        @pytest.mark.roofline(serving=CONFIG, min_utilization=0.1)
        def test_wrong(roofline):
            roofline.report_engine_result("result.json")

        @pytest.mark.roofline(serving=CONFIG)
        def test_intended(roofline):
            roofline.report_engine_result("result.json", allow_model_mismatch=True)
        """
    )
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*DeclarationError: result.json: the file's model 'meta-llama/Llama-2-70b-hf'"
            " (llama-2-70b) is not the declared llama-3-8b; pass allow_model_mismatch=True*"
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
