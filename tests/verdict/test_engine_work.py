"""What an engine's result file is judged on (verdict/engine_work.py), through the
Recorder as the fixture uses it: the model it ran, the figure that times the declared
work, the batch it ran, and what the record keeps of it.

Each case was judged silently wrong before: a speculative-decoding step on TPOT, a
prefill on TPOT, a LLaMA-2-70B file under a LLaMA-3-8B config, a serving figure per
token converted with a batch the engine never ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Recorder, ServingConfig, kernels
from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.verdict.engine_work import same_model

NODEID = "tests/test_x.py::test_x"

# The vLLM bench serve figures of a speculative-decoding run (EAGLE, vLLM 0.25): the
# acceptance length 3.16, a TPOT of 14.5 ms and an inter-token latency of 45.7 ms. A
# step emits 3.16 tokens per request, so TPOT is about ITL / 3.16 (45.7 / 3.16 = 14.46).
SPECULATIVE = {
    "backend": "vllm",
    "model_id": "meta-llama/Meta-Llama-3-8B-Instruct",
    "num_prompts": 200,
    "max_concurrency": 16,
    "duration": 60.0,
    "completed": 200,
    "total_input_tokens": 200 * 1024,
    "total_output_tokens": 200 * 256,
    "mean_ttft_ms": 95.0,
    "median_ttft_ms": 90.0,
    "p99_ttft_ms": 210.0,
    "mean_tpot_ms": 14.5,
    "median_tpot_ms": 14.1,
    "p99_tpot_ms": 19.0,
    "mean_itl_ms": 45.7,
    "median_itl_ms": 44.9,
    "p99_itl_ms": 61.2,
    "spec_decode_acceptance_rate": 54.0,
    "spec_decode_acceptance_length": 3.16,
    "spec_decode_num_drafts": 16200,
}


def recorder(work: Any, hardware: str = "h100-sxm") -> Recorder:
    return Recorder(NODEID, catalog=default_catalog(), default_hardware=hardware, kernel=work)


def written(tmp_path: Path, data: dict[str, Any], name: str = "result.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_a_speculative_decode_step_is_judged_on_the_inter_token_latency(
    tmp_path: Path,
) -> None:
    step = kernels.decode_step("llama-3-8b", batch_size=16, context=1152)
    r = recorder(step)
    r.report_engine_result(written(tmp_path, SPECULATIVE))
    record = r.record()
    # One step takes the ITL, 45.7 ms; TPOT (14.5 ms) is that step shared among 3.16
    # accepted tokens, and judged on it the bound would look 3.15x closer than it is.
    assert record["measured_seconds"] == 0.0457
    assert record["engine"]["acceptance_length"] == 3.16
    assert any("speculative decoding: 3.16 tokens per step" in n for n in record["notes"])


def test_without_its_latency_a_speculative_step_is_tpot_times_the_acceptance_length(
    tmp_path: Path,
) -> None:
    data = {k: v for k, v in SPECULATIVE.items() if "itl" not in k}
    r = recorder(kernels.decode_step("llama-3-8b", batch_size=16, context=1152))
    r.report_engine_result(written(tmp_path, data))
    assert r.record()["measured_seconds"] == pytest.approx(0.0145 * 3.16)


def test_a_prefill_is_judged_on_the_time_to_the_first_token(
    tmp_path: Path, vllm_sample: Path
) -> None:
    r = recorder(kernels.prefill("llama-2-70b", tokens=1024))
    r.report_engine_result(vllm_sample)
    record = r.record()
    assert record["measured_seconds"] == 1.4802  # mean_ttft_ms 1480.2, not TPOT 40.81 ms
    assert any("time to the first token" in note for note in record["notes"])


def test_a_prefill_against_a_file_without_ttft_is_an_error(tmp_path: Path) -> None:
    offline = {
        "elapsed_time": 120.0,
        "num_requests": 1000,
        "total_num_tokens": 1_536_000,
        "model": "meta-llama/Llama-2-70b-hf",
    }
    r = recorder(kernels.prefill("llama-2-70b", tokens=1024))
    with pytest.raises(DeclarationError) as error:
        r.report_engine_result(written(tmp_path, offline))
    message = str(error.value)
    assert "\n" not in message
    assert "holds no mean time to the first token (TTFT), which a prefill" in message


def test_a_file_of_another_model_fails_with_both_names(vllm_sample: Path) -> None:
    config = ServingConfig(model="llama-3-8b", hardware="a100-sxm4-80gb")
    r = recorder(config)
    with pytest.raises(DeclarationError) as error:
        r.report_engine_result(vllm_sample)
    assert str(error.value) == (
        f"{vllm_sample}: the file's model 'meta-llama/Llama-2-70b-hf' (llama-2-70b) is not"
        " the declared llama-3-8b; pass allow_model_mismatch=True to report_engine_result"
        " if that is intended"
    )
    r.report_engine_result(vllm_sample, allow_model_mismatch=True)
    assert any("is not the declared llama-3-8b, as allowed" in n for n in r.record()["notes"])


def test_a_decode_step_of_another_model_fails_too(vllm_sample: Path) -> None:
    r = recorder(kernels.decode_step("llama-3-8b", batch_size=64, context=1280))
    with pytest.raises(DeclarationError, match="is not the declared llama-3-8b"):
        r.report_engine_result(vllm_sample)


@pytest.mark.parametrize(
    ("file_model", "declared", "same"),
    [
        ("meta-llama/Llama-2-70b-hf", ["llama-2-70b"], True),
        ("meta-llama/Meta-Llama-3-8B-Instruct", ["llama-3-8b"], True),
        ("META-LLAMA/META-LLAMA-3-8B-INSTRUCT", ["llama-3-8b"], True),
        # A model read from the same config.json, named after its folder.
        ("meta-llama/Meta-Llama-3-8B-Instruct", ["meta-llama-3-8b-instruct"], True),
        ("meta-llama/Llama-2-70b-hf", ["llama-3-8b"], False),
        ("mock-model", ["llama-3-8b"], None),
    ],
)
def test_same_model(file_model: str, declared: list[str], same: bool | None) -> None:
    assert same_model(file_model, declared)[0] is same


def test_a_model_the_catalog_does_not_know_is_a_note(tmp_path: Path, vllm_sample: Path) -> None:
    data = {**json.loads(vllm_sample.read_text()), "model_id": "acme/house-model-v2"}
    r = recorder(ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8))
    r.report_engine_result(written(tmp_path, data))
    notes = r.record()["notes"]
    assert any("'acme/house-model-v2' is not one the catalog knows" in n for n in notes)


def test_a_hugging_face_id_is_kept_in_the_record(vllm_sample: Path) -> None:
    config = ServingConfig(model="meta-llama/Llama-2-70b-hf", hardware="a100-sxm4-80gb", gpus=8)
    r = recorder(config)
    r.report_engine_result(vllm_sample)
    model = r.record()["workload"]["model"]
    assert model["name"] == "llama-2-70b"
    assert model["requested"] == "meta-llama/Llama-2-70b-hf"
    assert (
        "model 'meta-llama/Llama-2-70b-hf' is bounded as its base model llama-2-70b"
        in (r.record()["notes"])
    )


def test_serving_is_bounded_at_the_batch_the_engine_ran(tmp_path: Path) -> None:
    # LLaMA-3-8B on one H100 SXM, p = 1024, d = 256, from a file run at concurrency 16:
    # 16 requests in flight are 16 * (1024 + 256) / 256 = 80 tokens per iteration in the
    # serving model, far below the dense batch memory holds (2,117).
    r = recorder(ServingConfig(model="llama-3-8b"))
    r.report_engine_result(written(tmp_path, SPECULATIVE))
    record = r.record()
    assert record["serving"]["batch_size"] == pytest.approx(80.0)
    assert record["optimal_tokens_per_second"] > record["serving"]["attainable_tokens_per_second"]
    assert any("16 requests at once (max_concurrency) are 80 tokens" in n for n in record["notes"])
    assert any("speculative decoding: 3.16 tokens per request" in n for n in record["notes"])


def test_a_time_per_token_converted_with_the_dense_batch_gets_the_serving_reason() -> None:
    # vLLM's mean TPOT at concurrency 128 reported against the dense batch of LLaMA-3-8B
    # on an H100 (B_dense = 2,117 at p = 1024, d = 256): 2,117 tokens every 20 ms is
    # 105,850 tokens/s, beyond Compute / (2 P) = 989.4e12 / (2 * 8.03e9) = 61,600.
    r = recorder(ServingConfig(model="llama-3-8b", prompt_tokens=1024, decode_tokens=256))
    r.report(seconds_per_token=0.020)
    record = r.record()
    assert record["outcome"] == "impossible"
    message = record["message"]
    assert "check the batch: the bound is for 2,117 tokens per iteration" in message
    assert "FLOPs and bytes" not in message
    rate = record["serving"]["batch_size"] / 0.020
    assert rate == pytest.approx(105_850, rel=1e-3)
    assert f"measured {rate:,.0f} tokens/s, faster than the roofline allows (61," in message


def test_a_serving_verdict_speaks_tokens_per_second(vllm_sample: Path) -> None:
    config = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)
    r = recorder(config)
    r.report_engine_result(vllm_sample)
    r.min_utilization = 0.5
    result = r.result()
    assert result.outcome == "failed"
    # 1,536,000 tokens in 349.1 s, as the file's total_token_throughput 4,399.89.
    assert "(4,400 of 18,093 tokens/s), budget 50.0%" in result.message
    details = result.details()
    assert "\nbound        18,093 tokens/s (an iteration of" in details
    assert "\nmeasured     4,400 tokens/s (reported;" in details


def test_the_record_keeps_the_latency_statistics_and_failed_requests(
    tmp_path: Path, vllm_sample: Path
) -> None:
    data = {**json.loads(vllm_sample.read_text()), "completed": 480, "num_prompts": 500}
    r = recorder(ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8))
    r.report_engine_result(written(tmp_path, data))
    engine = r.record()["engine"]
    assert engine["failed_requests"] == 20
    assert engine["requests"] == 480
    # As printed in the file, in seconds: 39.62 ms is 0.03962 s exactly as written.
    assert engine["latency"]["tpot"] == {"mean": 0.04081, "p50": 0.03962, "p99": 0.06135}
    assert engine["latency"]["ttft"]["p99"] == 5.1207
    assert engine["model"] == "meta-llama/Llama-2-70b-hf"


DATA = Path(__file__).parent.parent / "measurement" / "data"


def test_a_speculative_run_without_step_latencies_cannot_time_a_decode_step() -> None:
    # The real trtllm-bench report of an Eagle3 run (acceptance length 2.36) was not
    # streamed: it holds neither TPOT nor ITL, and its throughput is no step time.
    r = recorder(kernels.decode_step("llama-2-70b", batch_size=10, context=768, gpus=8))
    with pytest.raises(DeclarationError) as error:
        r.report_engine_result(DATA / "trtllm" / "gpt_oss_120b_eagle3_8xb200_report.json")
    message = str(error.value)
    assert "\n" not in message
    assert "a speculative-decoding run holds no inter-token latency or TPOT" in message


def test_an_aiperf_export_without_input_lengths_takes_the_configs(tmp_path: Path) -> None:
    data = json.loads((DATA / "aiperf" / "mock_chat_c4_profile_export_aiperf.json").read_text())
    del data["total_isl"], data["total_token_throughput"]
    path = written(tmp_path, data, "profile_export_aiperf.json")
    with pytest.raises(DeclarationError, match=r"give prompt_tokens= in the ServingConfig"):
        recorder(ServingConfig(model="llama-3-8b")).report_engine_result(path)
    # With p = 550 (the run's ISL) declared, the output rate converts: tokens/s =
    # output rate x (p + d) / d, d the file's mean output length.
    r = recorder(ServingConfig(model="llama-3-8b", prompt_tokens=550))
    engine = r.report_engine_result(path)
    record = r.record()
    assert engine.mean_output_tokens is not None
    assert engine.output_tokens_per_second
    d = engine.mean_output_tokens
    assert record["workload"]["decode_tokens"] == pytest.approx(d)
    expected = engine.output_tokens_per_second * (550 + d) / d
    assert record["measured_tokens_per_second"] == pytest.approx(expected, rel=1e-9)
