"""Reading serving engines' benchmark result files (pytest_roofline.measurement.engines).

Each shape is written here with the keys its tool writes: vLLM's
benchmarks/benchmark_serving.py --save-result and benchmark_throughput.py --output-json,
and SGLang's python/sglang/bench_serving.py --output-file (JSON lines). The expected
figures are computed by hand from the totals in each file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_roofline.errors import (
    DeclarationError,
    UnknownNameError,
)
from pytest_roofline.measurement.engines import (
    FORMATS,
    KNOWN,
    parse_engine_result,
    read_engine_result,
)

SGLANG_RUN = {
    "backend": "sglang",
    "dataset_name": "random",
    "request_rate": float("inf"),
    "max_concurrency": 32,
    "random_input_len": 1024,
    "random_output_len": 256,
    "duration": 80.0,
    "completed": 500,
    "total_input_tokens": 512_000,
    "total_output_tokens": 128_000,
    "total_output_tokens_retokenized": 127_950,
    "request_throughput": 6.25,
    "input_throughput": 6400.0,
    "output_throughput": 1600.0,
    "mean_e2e_latency_ms": 5100.0,
    "mean_ttft_ms": 310.0,
    "mean_tpot_ms": 18.8,
    "mean_itl_ms": 18.6,
}

OFFLINE = {
    "elapsed_time": 120.0,
    "num_requests": 1000,
    "total_num_tokens": 1_536_000,
    "requests_per_second": 8.333,
    "tokens_per_second": 12_800.0,
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line(info: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(info.value)
    assert "\n" not in message
    return message


def test_vllm_serving_sample(vllm_sample: Path) -> None:
    result = read_engine_result(vllm_sample)
    assert result.format == "vllm-serving"
    assert result.source == str(vllm_sample)
    assert result.requests == 1000
    assert result.duration_seconds == 349.1
    # p = 1,024,000 / 1000 and d = 512,000 / 1000; the throughputs as written.
    assert result.mean_prompt_tokens == 1024
    assert result.mean_output_tokens == 512
    assert result.tokens_per_second == 4399.89
    assert result.output_tokens_per_second == 1466.63
    assert result.requests_per_second == 2.8645
    assert result.mean_ttft_seconds == pytest.approx(1.4802)
    assert result.mean_tpot_seconds == pytest.approx(0.04081)
    assert result.mean_itl_seconds == pytest.approx(0.04064)
    assert result.model == "meta-llama/Llama-2-70b-hf"
    assert result.max_concurrency == 64
    assert "vLLM benchmark_serving" in result.description


def test_old_vllm_serving_without_total_throughput(tmp_path: Path, vllm_sample: Path) -> None:
    # vLLM 0.5 and earlier wrote no total_token_throughput: (input + output) / duration.
    data = json.loads(vllm_sample.read_text())
    for key in ("total_token_throughput", "output_throughput", "request_throughput"):
        del data[key]
    result = read_engine_result(write(tmp_path, "old.json", json.dumps(data)))
    assert result.tokens_per_second == pytest.approx(1_536_000 / 349.1)
    assert result.output_tokens_per_second == pytest.approx(512_000 / 349.1)
    assert result.requests_per_second == pytest.approx(1000 / 349.1)


def sweep_summary(tmp_path: Path, vllm_sample: Path) -> Path:
    """A ``summary.json`` as vLLM's ``bench sweep serve`` writes one combination's runs
    (vllm/benchmarks/sweep/serve.py, ``_update_run_data`` then ``json.dump(comb_data)``):
    each ``bench serve`` result with ``run_number`` and the swept parameters merged in.
    Two concurrencies, two runs each; every run's duration is told apart."""
    base = json.loads(vllm_sample.read_text())
    runs = []
    for concurrency in (32, 64):
        for number in range(2):
            run = dict(base, duration=300.0 + concurrency + number, max_concurrency=concurrency)
            del run["total_token_throughput"]  # so the figure follows the duration
            runs.append({**run, "run_number": number, "max_concurrency": concurrency})
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(runs, indent=4))
    return path


def test_a_sweep_summary_gives_its_last_run_by_default(tmp_path: Path, vllm_sample: Path) -> None:
    path = sweep_summary(tmp_path, vllm_sample)
    result = read_engine_result(path)
    assert result.format == "vllm-serving"
    assert result.source == f"{path}[3] (run_number=1)"
    assert result.duration_seconds == 365.0  # 300 + 64 + 1
    # (1,024,000 + 512,000) tokens / 365 s, derived: the file gives no total throughput.
    assert result.tokens_per_second == pytest.approx(1_536_000 / 365.0)


def test_a_sweep_run_is_picked_by_its_parameters(tmp_path: Path, vllm_sample: Path) -> None:
    path = sweep_summary(tmp_path, vllm_sample)
    first = read_engine_result(path, match={"max_concurrency": 32}, run=0)
    assert first.duration_seconds == 332.0
    assert first.max_concurrency == 32
    assert first.source == f"{path}[0] (run_number=0), max_concurrency=32"
    last = read_engine_result(path, match={"max_concurrency": 32, "run_number": 1})
    assert last.duration_seconds == 333.0


def test_a_sweep_without_the_parameters_asked_says_what_it_holds(
    tmp_path: Path, vllm_sample: Path
) -> None:
    path = sweep_summary(tmp_path, vllm_sample)
    with pytest.raises(DeclarationError) as error:
        read_engine_result(path, match={"max_concurrency": 128})
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        f"{path}: no run has max_concurrency=128; the file holds max_concurrency=32,"
        " max_concurrency=64"
    )
    with pytest.raises(DeclarationError, match="run=4 is out of range; the file holds 4 runs"):
        read_engine_result(path, run=4)
    with pytest.raises(DeclarationError, match="match= must be a non-empty dict"):
        read_engine_result(path, match={})


def test_an_empty_sweep_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text("[]")
    with pytest.raises(DeclarationError, match="the list of runs is empty"):
        read_engine_result(path)


def test_vllm_offline_throughput(tmp_path: Path) -> None:
    result = read_engine_result(write(tmp_path, "offline.json", json.dumps(OFFLINE)))
    assert result.format == "vllm-throughput"
    assert result.requests == 1000
    assert result.tokens_per_second == 12_800.0
    assert result.mean_prompt_tokens is None  # the totals are not split
    assert result.mean_output_tokens is None
    assert result.mean_tpot_seconds is None


def test_vllm_offline_throughput_with_output_tokens(tmp_path: Path) -> None:
    data = {**OFFLINE, "total_output_tokens": 512_000}
    result = read_engine_result(write(tmp_path, "offline.json", json.dumps(data)))
    assert result.mean_prompt_tokens == 1024  # (1,536,000 - 512,000) / 1000
    assert result.mean_output_tokens == 512
    assert result.output_tokens_per_second == pytest.approx(512_000 / 120)


def test_sglang_json_lines_last_run_by_default(tmp_path: Path) -> None:
    runs = [{**SGLANG_RUN, "max_concurrency": c, "duration": 80.0 * 32 / c} for c in (8, 16, 32)]
    path = write(tmp_path, "sglang.jsonl", "\n".join(json.dumps(r) for r in runs) + "\n")
    last = read_engine_result(path)
    assert last.format == "sglang-serving"
    assert last.source == f"{path}:3"
    assert last.max_concurrency == 32
    # No total throughput key: (512,000 + 128,000) / 80 s.
    assert last.tokens_per_second == 8000.0
    assert last.mean_prompt_tokens == 1024
    assert last.mean_output_tokens == 256
    assert last.mean_tpot_seconds == pytest.approx(0.0188)
    first = read_engine_result(path, run=0)
    assert first.max_concurrency == 8
    assert first.tokens_per_second == pytest.approx(640_000 / 320)
    assert read_engine_result(path, run=-2).source == f"{path}:2"


def test_a_single_sglang_run_is_told_from_vllm_by_its_keys(tmp_path: Path) -> None:
    result = read_engine_result(write(tmp_path, "one.jsonl", json.dumps(SGLANG_RUN)))
    assert result.format == "sglang-serving"


def test_format_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps(SGLANG_RUN))
    assert read_engine_result(path, format="vllm-serving").format == "vllm-serving"
    with pytest.raises(DeclarationError) as info:
        read_engine_result(path, format="vllm-throughput")
    assert "no key 'num_requests', 'elapsed_time', 'total_num_tokens'" in one_line(info)


def test_unknown_format_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_engine_result({}, source="x.json", format="vllm-serve")
    assert "'vllm-serving'" in one_line(info)
    assert all(name.split("-")[0] in KNOWN for name in FORMATS)
    assert set(FORMATS) == {
        "vllm-serving",
        "vllm-throughput",
        "sglang-serving",
        "sglang-offline",
        "aiperf",
        "llmperf",
        "trtllm",
        "lmdeploy",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ('{"completed": 1,', "not JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "[1]: an engine result is a JSON object, got int"),  # a list of runs
        ('"text"', "a JSON object, got str"),
        ('{"hello": 1, "world": {"a": 2}}', "; it holds keys hello, world{a}"),
        ('{"completed": 3, "duration": 1}', "no key 'total_input_tokens', 'total_output"),
    ],
)
def test_bad_files_name_themselves_and_the_culprit(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "bad.json", text)
    with pytest.raises(DeclarationError) as info:
        read_engine_result(path)
    message = one_line(info)
    assert message.startswith(str(path))
    assert expected in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("duration", 0, "duration must be a finite number > 0, got 0"),
        ("duration", -5.0, "duration must be a finite number > 0"),
        ("total_input_tokens", "many", "total_input_tokens must be a number, got 'many'"),
        ("total_output_tokens", True, "total_output_tokens must be a number"),
        ("mean_tpot_ms", -1, "mean_tpot_ms must be a finite number >= 0"),
        ("completed", 0, "completed is 0"),
    ],
)
def test_bad_figures_are_named(
    tmp_path: Path, vllm_sample: Path, key: str, value: object, expected: str
) -> None:
    data = {**json.loads(vllm_sample.read_text()), key: value}
    with pytest.raises(DeclarationError) as info:
        read_engine_result(write(tmp_path, "bad.json", json.dumps(data)))
    assert expected in one_line(info)


def test_non_finite_figures_are_named(tmp_path: Path, vllm_sample: Path) -> None:
    text = vllm_sample.read_text().replace('"duration": 349.1', '"duration": NaN')
    with pytest.raises(DeclarationError) as info:
        read_engine_result(write(tmp_path, "nan.json", text))
    assert "duration must be a finite number > 0, got nan" in one_line(info)


def test_missing_file() -> None:
    with pytest.raises(DeclarationError) as info:
        read_engine_result("no/such/result.json")
    # Relative: read from the working directory, which the message names.
    assert one_line(info) == (
        f"no/such/result.json: no such engine result file in the working directory {Path.cwd()}"
    )
    with pytest.raises(DeclarationError) as info:
        read_engine_result("/no/such/result.json")
    assert one_line(info) == "/no/such/result.json: no such engine result file"


def test_a_bad_json_line_is_named_by_its_number(tmp_path: Path) -> None:
    text = json.dumps(SGLANG_RUN) + "\n" + json.dumps(SGLANG_RUN) + "\n{oops\n"
    path = write(tmp_path, "runs.jsonl", text)
    with pytest.raises(DeclarationError) as info:
        read_engine_result(path)
    assert one_line(info).startswith(f"{path}:3: not JSON")


def test_run_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.jsonl", "\n".join([json.dumps(SGLANG_RUN)] * 2))
    with pytest.raises(DeclarationError) as info:
        read_engine_result(path, run=2)
    assert "run=2 is out of range; the file holds 2 runs" in one_line(info)


def test_offline_output_tokens_beyond_the_total(tmp_path: Path) -> None:
    data = {**OFFLINE, "total_output_tokens": 2_000_000}
    with pytest.raises(DeclarationError) as info:
        read_engine_result(write(tmp_path, "offline.json", json.dumps(data)))
    assert "total_output_tokens (2e+06) exceeds total_num_tokens" in one_line(info)


AIPERF_FILE = Path(__file__).parent / "data" / "aiperf" / "mock_chat_c4_profile_export_aiperf.json"
"""A real AIPerf 0.8.0 export (ai-dynamo/aiperf, tests/_artifacts/audit/baseline-chat/bare,
commit 139b8f3; see data/SOURCES.md): 64 requests of 550 input tokens against AIPerf's
mock server, not streamed."""


def test_a_real_aiperf_export_is_read_to_its_printed_precision() -> None:
    result = read_engine_result(AIPERF_FILE)
    assert result.format == "aiperf"  # not a vLLM file, though it has total_output_tokens
    assert result.requests == 64
    assert result.duration_seconds == 0.034502655  # benchmark_duration.avg, in sec
    # total_isl 35,200 / 64 = 550 and total_output_tokens 35,277 / 64 = 551.203125.
    assert result.mean_prompt_tokens == 550.0
    assert result.mean_output_tokens == 551.203125
    # The file's own total_token_throughput.avg and output_token_throughput.avg, as written.
    assert result.tokens_per_second == 2042654.398625265
    assert result.output_tokens_per_second == 1022443.0554692096
    assert result.requests_per_second == 1854.929714829192
    assert result.mean_ttft_seconds is None  # not streamed: the file has no TTFT or ITL
    assert result.mean_tpot_seconds is None
    assert result.model == "mock-model"
    assert "AIPerf profile export" in result.description


def test_aiperf_latencies_are_read_in_seconds(tmp_path: Path) -> None:
    data = json.loads(AIPERF_FILE.read_text())
    # A streamed run adds these, in ms (AIPerf's inter-token latency leaves the first
    # token out: vLLM's TPOT).
    data["time_to_first_token"] = {"unit": "ms", "avg": 120.5, "p50": 118.0}
    data["inter_token_latency"] = {"unit": "ms", "avg": 14.25, "p50": 14.0}
    data["benchmark_duration"] = {"unit": "ms", "avg": 34.502655}
    path = tmp_path / "profile_export_aiperf.json"
    path.write_text(json.dumps(data))
    result = read_engine_result(path)
    assert result.mean_ttft_seconds == pytest.approx(0.1205)
    assert result.mean_tpot_seconds == pytest.approx(0.01425)
    assert result.duration_seconds == pytest.approx(0.034502655)


def test_aiperf_without_input_lengths_keeps_its_output_rate(tmp_path: Path) -> None:
    # An endpoint that reports no input lengths: the output rate stands alone, and the
    # ServingConfig's prompt_tokens converts it (tests/verdict/test_engine_work.py).
    data = json.loads(AIPERF_FILE.read_text())
    del data["total_isl"], data["total_token_throughput"]
    path = tmp_path / "profile_export_aiperf.json"
    path.write_text(json.dumps(data))
    result = read_engine_result(path)
    assert result.tokens_per_second is None
    assert result.mean_prompt_tokens is None
    assert result.output_tokens_per_second == data["output_token_throughput"]["avg"]
    del data["total_osl"], data["total_output_tokens"]
    path.write_text(json.dumps(data))
    with pytest.raises(DeclarationError, match=r"holds no output token total \(total_osl\)"):
        read_engine_result(path)


LLMPERF = Path(__file__).parent / "data" / "llmperf"
"""Real llmperf summaries from the llmperf leaderboard (ray-project/llmperf-leaderboard,
raw_data/summary; see data/SOURCES.md): LLaMA-2-70B at 550 input and 150 output tokens,
5 concurrent requests, 150 requests."""


def test_a_real_llmperf_summary_is_read_with_its_duration_derived() -> None:
    result = read_engine_result(LLMPERF / "fireworks_70b_summary.json")
    assert result.format == "llmperf"
    assert result.requests == 150
    # No duration key: 150 requests / 64.92561266104798 per minute = 138.62 s.
    assert result.duration_seconds == pytest.approx(150 / 64.92561266104798 * 60, rel=1e-12)
    # The file's own output rate agrees with its lengths: 150 x 150.5133 tokens / 138.62 s.
    assert result.output_tokens_per_second == 162.86950633872
    assert 150 * 150.51333333333332 / result.duration_seconds == pytest.approx(
        162.86950633872, rel=1e-9
    )
    # Prompt + output tokens per second: 162.87 x (550 + 150.51) / 150.51 = 758.02.
    assert result.tokens_per_second == pytest.approx(
        162.86950633872 * (550 + 150.51333333333332) / 150.51333333333332, rel=1e-12
    )
    assert result.mean_prompt_tokens == 550.0
    assert result.mean_output_tokens == 150.51333333333332
    assert result.mean_ttft_seconds == 0.5115081730199972
    # llmperf's inter-token latency includes the first token: kept as ITL, never as TPOT.
    assert result.mean_itl_seconds == 0.024464594998188875
    assert result.mean_tpot_seconds is None
    assert result.model == "accounts/fireworks/models/llama-v2-70b-chat"
    assert result.max_concurrency == 5


def test_an_llmperf_summary_without_the_optional_keys_is_read() -> None:
    result = read_engine_result(LLMPERF / "groq_70b_summary.json")  # no model_size or api
    assert result.format == "llmperf"
    assert result.output_tokens_per_second == 441.84737788500206
    assert result.model == "llama2-70b-4096"


def test_an_llmperf_summary_without_its_request_rate_names_the_key() -> None:

    data = json.loads((LLMPERF / "groq_70b_summary.json").read_text())
    del data["results_num_completed_requests_per_min"]
    with pytest.raises(DeclarationError, match="results_num_completed_requests_per_min"):
        parse_engine_result(data, source="groq.json")


def test_failed_requests_are_counted(tmp_path: Path, vllm_sample: Path) -> None:
    """vLLM's sample sent 1000 prompts and completed them all: no failure. A run that
    completed 980 of 1000 says so (num_prompts less completed), and vLLM's own
    ``failed`` count wins where it is written."""
    assert read_engine_result(vllm_sample).failures == ""
    data = json.loads(vllm_sample.read_text())
    data["completed"] = 980
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    result = read_engine_result(path)
    assert result.failed_requests == 20
    assert result.failures == "20 of 1000 requests failed (2.0%)"
    data["failed"] = 5
    path.write_text(json.dumps(data))
    assert read_engine_result(path).failures == "5 of 985 requests failed (0.5%)"
