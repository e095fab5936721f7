"""The engine result formats beyond vLLM's own: trtllm-bench, SGLang offline and serving,
LMDeploy's CSV, and vLLM's 2024 benchmark_serving.py; each told apart by its structure.

Real files (tests/measurement/data/, sources in SOURCES.md) are read to the precision they
print; the formats no committed file was found for are written here with the keys and
columns their writer's code writes, at the commit named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.errors import DeclarationError
from pytest_roofline.measurement.engines import read_engine_result

DATA = Path(__file__).parent / "data"
TRTLLM = DATA / "trtllm" / "gpt_oss_120b_eagle3_8xb200_report.json"
SGLANG_ONLINE = DATA / "sglang" / "llama_3_3_70b_4xh200_online_output.jsonl"
SGLANG_INFINITE = DATA / "sglang" / "llama_3_3_70b_4xh200_offline_output.jsonl"


def written(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=4))
    return path


# -- trtllm-bench ------------------------------------------------------------------------


def test_a_real_trtllm_bench_report() -> None:
    # gpt-oss-120b with an Eagle3 draft, TensorRT-LLM 1.1.0rc2, tp 8, 1000 requests of
    # 512 + 512 tokens; every figure as the file prints it.
    result = read_engine_result(TRTLLM)
    assert result.format == "trtllm"
    assert result.requests == 1000
    assert result.duration_seconds == 135.775587844  # total_latency_ms 135775.587844
    assert result.tokens_per_second == 7541.856502043133
    assert result.output_tokens_per_second == 3770.9282510215667
    assert result.requests_per_second == 7.365094240276497
    assert result.mean_prompt_tokens == 512.0
    assert result.mean_output_tokens == 512.0
    assert result.model == "openai/gpt-oss-120b"
    assert result.gpus == 8  # tp_size 8 x pp_size 1
    assert result.max_concurrency == 10  # max_batch_size: the most the engine runs at once
    assert result.acceptance_length == 2.3582000966035808
    assert result.mean_tpot_seconds is None  # not run with --streaming
    assert result.latency["e2el"]["p99"] == 134.567875879
    # Its own figures agree: 1000 x 1024 tokens / 135.775587844 s = 7,541.86 tokens/s.
    assert 1000 * 1024 / result.duration_seconds == pytest.approx(result.tokens_per_second)


def test_a_streamed_trtllm_report_gives_its_latencies(tmp_path: Path) -> None:
    # The keys reporting.py writes with --streaming; pp 2 makes 8 GPUs of tp 4.
    report = json.loads(TRTLLM.read_text())
    del report["decoding_stats"]
    report["world_info"]["tp_size"], report["world_info"]["pp_size"] = 4, 2
    percentiles = {"p50": 21.5, "p90": 25.0, "p95": 26.0, "p99": 30.25, "minimum": 9.0}
    report["streaming_metrics"] = {
        "avg_ttft_ms": 310.5,
        "avg_tpot_ms": 22.75,
        "token_output_speed_tok_s": float("nan"),  # not read: NaN is no harm there
        "ttft_percentiles": {"p50": 290.0, "p99": 880.0, "average": 310.5},
        "tpot_percentiles": {**percentiles, "average": 22.75},
    }
    result = read_engine_result(written(tmp_path, "report.json", report))
    assert result.mean_ttft_seconds == 0.3105
    assert result.mean_tpot_seconds == 0.02275
    assert result.gpus == 8
    assert result.acceptance_length is None
    assert result.latency["tpot"] == {
        "p50": 0.0215,
        "p90": 0.025,
        "p95": 0.026,
        "p99": 0.03025,
        "mean": 0.02275,
    }


# -- SGLang ------------------------------------------------------------------------------


def test_real_sglang_bench_serving_lines() -> None:
    # LLaMA-3.3-70B on 4 H200s, December 2024: no input_throughput, and request_rate
    # written as the bare token Infinity in the file of unlimited-rate runs.
    first = read_engine_result(SGLANG_ONLINE, run=0)
    assert first.format == "sglang-serving"
    assert first.duration_seconds == 298.3675805060193
    assert first.tokens_per_second == pytest.approx((152_612 + 160_347) / 298.3675805060193)
    assert first.output_tokens_per_second == 537.4142851849319
    assert first.mean_prompt_tokens == pytest.approx(152_612 / 300)
    assert first.latency["ttft"] == {"p50": 0.08574514742940664}
    assert first.latency["e2el"]["mean"] == 7.840616212638561
    last = read_engine_result(SGLANG_INFINITE)
    assert last.format == "sglang-serving"
    assert last.requests == 2000
    assert last.source.endswith(":7")


def test_sglang_bench_serving_of_0_5(tmp_path: Path) -> None:
    # sglang.benchmark.serving in the 0.5.23 release: total_throughput, accept_length
    # (speculative decoding) and the server's own description, server_info.
    line = {
        "tag": None,
        "backend": "sglang",
        "dataset_name": "random",
        "request_rate": float("inf"),
        "max_concurrency": 64,
        "server_info": {"model_path": "meta-llama/Llama-3.1-8B-Instruct", "tp_size": 1},
        "duration": 50.0,
        "completed": 1000,
        "total_input_tokens": 1_024_000,
        "total_input_text_tokens": 1_024_000,
        "total_input_vision_tokens": 0,
        "total_output_tokens": 256_000,
        "total_output_tokens_retokenized": 255_900,
        "request_throughput": 20.0,
        "input_throughput": 20480.0,
        "output_throughput": 5120.0,
        "total_throughput": 25600.5,
        "mean_e2e_latency_ms": 3100.0,
        "mean_ttft_ms": 120.0,
        "median_ttft_ms": 110.0,
        "p90_ttft_ms": 180.0,
        "mean_tpot_ms": 4.2,
        "mean_itl_ms": 11.9,
        "concurrency": 61.7,
        "accept_length": 2.85,
    }
    result = read_engine_result(written(tmp_path, "sglang.jsonl", json.dumps(line) + "\n"))
    assert result.format == "sglang-serving"
    assert result.tokens_per_second == 25600.5  # total_throughput, as written
    assert result.acceptance_length == 2.85
    assert result.model == "meta-llama/Llama-3.1-8B-Instruct"
    assert result.latency["ttft"] == {"mean": 0.12, "p50": 0.11, "p90": 0.18}


def test_sglang_offline_throughput(tmp_path: Path) -> None:
    # sglang.bench_offline_throughput --result-filename (commit ad8e676; 0.5.23 adds
    # last_gen_throughput): JSON lines, one run appended per line, latency in seconds.
    runs = [
        {
            "backend": "engine",
            "successful_requests": 1000,
            "total_latency": 61.25,
            "total_input_tokens": 1_024_000,
            "total_output_tokens": 256_000,
            "request_throughput": 16.3265,
            "input_throughput": 16718.37,
            "output_throughput": 4179.59,
            "total_throughput": 20897.96,
        },
        {
            "backend": "engine",
            "successful_requests": 500,
            "total_latency": 40.0,
            "total_input_tokens": 512_000,
            "total_output_tokens": 128_000,
            "request_throughput": 12.5,
            "input_throughput": 12800.0,
            "output_throughput": 3200.0,
            "total_throughput": 16000.0,
            "last_gen_throughput": 3350.2,
        },
    ]
    path = written(tmp_path, "offline.jsonl", "\n".join(json.dumps(r) for r in runs) + "\n")
    first = read_engine_result(path, run=0)
    assert first.format == "sglang-offline"
    assert first.duration_seconds == 61.25
    assert first.tokens_per_second == 20897.96
    assert first.mean_prompt_tokens == 1024
    assert first.mean_output_tokens == 256
    assert first.model is None
    assert read_engine_result(path).tokens_per_second == 16000.0


# -- LMDeploy ----------------------------------------------------------------------------

# The 2023-12 to 2024-12 header (lmdeploy commit a5b67b9), with a row LMDeploy's
# maintainers published in issue #815: concurrency 64, 3000 prompts. csv.writer ends
# lines with \r\n.
LMDEPLOY_2024 = (
    "batch,num_promts,RPS,RPM,FTL(ave)(s),FTL(min)(s),FTL(max)(s),50%(s),75%(s),95%(s),"
    "99%(s),throughput(out tok/s),throughput(total tok/s)\r\n"
    "64,3000,12.083,725.005,0.199,0.027,2.393,0.008,0.022,0.052,0.339,2811.948,5795.166\r\n"
)


def test_lmdeploy_csv_of_2024(tmp_path: Path) -> None:
    result = read_engine_result(written(tmp_path, "profile_throughput.csv", LMDEPLOY_2024))
    assert result.format == "lmdeploy"
    assert result.source.endswith("profile_throughput.csv:2")
    # No duration column: 3000 requests at 12.083 per second.
    assert result.duration_seconds == pytest.approx(3000 / 12.083)
    assert result.tokens_per_second == 5795.166
    assert result.output_tokens_per_second == 2811.948
    # Per request: 2811.948 / 12.083 = 232.7 output and (5795.166 - 2811.948) / 12.083
    # = 246.9 prompt tokens.
    assert result.mean_output_tokens == pytest.approx(2811.948 / 12.083)
    assert result.mean_prompt_tokens == pytest.approx((5795.166 - 2811.948) / 12.083)
    assert result.mean_ttft_seconds == 0.199  # FTL(ave)(s), in seconds
    assert result.max_concurrency == 64


def test_lmdeploy_csv_of_2025_and_since(tmp_path: Path) -> None:
    # c25381f (2025-01): fewer columns, num_prompts spelt right.
    header = "batch,num_prompts,RPS,RPM,FTL(ave)(s),throughput(out tok/s),throughput(total tok/s)"
    path = written(tmp_path, "l4.csv", header + "\r\n128,2000,10.5,630.0,-,2100.0,4200.0\r\n")
    result = read_engine_result(path)
    assert result.duration_seconds == pytest.approx(2000 / 10.5)
    assert result.mean_ttft_seconds is None  # "-": not streamed
    # 9bf7b63 (2025-06 on): snake_case, one row appended per run; latencies in ms.
    header = (
        "backend,bs,dataset_name,sharegpt_output_len,random_input_len,random_output_len,"
        "random_range_ratio,num_prompts,completed,total_input_tokens,total_output_tokens,"
        "duration,request_throughput,input_throughput,output_throughput,mean_e2e_latency_ms,"
        "mean_ttft_ms,mean_tpot_ms,mean_itl_ms"
    )
    rows = [
        "turbomind,32,random,,1024,256,1.0,1000,1000,1024000,256000,80.0,12.500,12800.000,"
        "3200.000,2400.000,150.500,8.250,8.125",
        "turbomind,64,random,,1024,256,1.0,1000,998,1021952,255488,64.0,15.594,15968.000,"
        "3992.000,3900.000,-,14.000,-",
    ]
    path = written(tmp_path, "l5.csv", "\r\n".join([header, *rows]) + "\r\n")
    first, last = read_engine_result(path, run=0), read_engine_result(path)
    assert first.format == last.format == "lmdeploy"
    assert first.duration_seconds == 80.0
    assert first.tokens_per_second == pytest.approx(1_280_000 / 80.0)
    assert first.mean_prompt_tokens == 1024
    assert first.mean_ttft_seconds == 0.1505
    assert first.mean_tpot_seconds == 0.00825
    assert first.max_concurrency == 32
    assert last.requests == 998
    assert last.mean_ttft_seconds is None
    assert last.source.endswith("l5.csv:3")


def test_a_csv_that_is_not_lmdeploy_names_its_columns(tmp_path: Path) -> None:
    path = written(tmp_path, "other.csv", "model,latency,qps\r\nx,1.5,3\r\n")
    with pytest.raises(DeclarationError) as error:
        read_engine_result(path)
    message = str(error.value)
    assert "\n" not in message
    assert message.endswith("it holds keys model, latency, qps")


# -- vLLM's 2024 benchmark_serving.py ----------------------------------------------------


# vLLM a4211a4 (2024-02) to 45b6ef6: the first --save-result layout, with its
# request_inthroughput and input_throughput; 0c785d3 (2024-08) the last with input_throughput.
LEGACY_V1 = {
    "date": "20240301-101500",
    "backend": "vllm",
    "version": "N/A",
    "model_id": "meta-llama/Llama-2-7b-hf",
    "tokenizer_id": "meta-llama/Llama-2-7b-hf",
    "best_of": 1,
    "use_beam_search": False,
    "num_prompts": 1000,
    "request_rate": "inf",
    "duration": 120.0,
    "completed": 1000,
    "total_input_tokens": 220_000,
    "total_output_tokens": 190_000,
    "request_inthroughput": 8.333,
    "input_throughput": 1833.33,
    "output_throughput": 1583.33,
    "mean_ttft_ms": 2500.0,
    "median_ttft_ms": 2300.0,
    "p99_ttft_ms": 6100.0,
    "mean_tpot_ms": 45.5,
    "median_tpot_ms": 44.0,
    "p99_tpot_ms": 80.0,
}


def test_legacy_vllm_serving_results_are_vllm(tmp_path: Path) -> None:
    result = read_engine_result(written(tmp_path, "vllm-infqps.json", LEGACY_V1))
    assert result.format == "vllm-serving"
    assert result.requests_per_second == 8.333  # request_inthroughput
    assert result.tokens_per_second == pytest.approx(410_000 / 120.0)
    v5 = {k: v for k, v in LEGACY_V1.items() if k not in ("version", "request_inthroughput")}
    v5 |= {"request_throughput": 8.333, "mean_itl_ms": 44.1, "input_lens": [220] * 3}
    assert read_engine_result(written(tmp_path, "v5.json", v5)).format == "vllm-serving"


@pytest.mark.parametrize(
    ("path", "run", "expected"),
    [
        (TRTLLM, -1, "trtllm"),
        (SGLANG_ONLINE, 0, "sglang-serving"),
        (SGLANG_ONLINE, 6, "sglang-serving"),
        (SGLANG_INFINITE, 0, "sglang-serving"),
        (DATA / "aiperf" / "mock_chat_c4_profile_export_aiperf.json", -1, "aiperf"),
        (DATA / "llmperf" / "fireworks_70b_summary.json", -1, "llmperf"),
        (DATA / "llmperf" / "groq_70b_summary.json", -1, "llmperf"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_no_real_file_is_mislabelled(path: Path, run: int, expected: str) -> None:
    assert read_engine_result(path, run=run).format == expected


def test_an_unknown_file_shows_its_nested_structure(tmp_path: Path) -> None:
    # A trtllm-bench report cut short: its sections are what a reader recognises.
    report = json.loads(TRTLLM.read_text())
    kept = {key: report[key] for key in ("engine", "world_info")}
    path = written(tmp_path, "cut.json", kept)
    with pytest.raises(DeclarationError) as error:
        read_engine_result(path)
    message = str(error.value)
    assert "\n" not in message
    assert (
        "not a format read here (vllm-serving/-throughput, sglang-serving/-offline, aiperf,"
        " llmperf, trtllm, lmdeploy)" in message
    )
    assert (
        "it holds keys engine{model, model_path, engine_dir, version, ...}, world_info{" in message
    )
    assert len(message) - len(str(path)) < 230  # a line a CI log shows whole
