"""A serving engine's benchmark result, judged against the roofline of its hardware.

The engine's own benchmark writes the file (here, sample data in vLLM's
``benchmark_serving.py --save-result`` shape; see README.md). The tests pass it to the
fixture as it is: no figure is copied by hand.
"""

from pathlib import Path

import pytest

from pytest_roofline import ServingConfig, kernels

RESULT = Path(__file__).with_name("vllm_llama-2-70b_8xa100.sample.json")

# prompt_tokens and decode_tokens are left out: they come from the file's mean lengths.
LLAMA_70B_ON_8_A100 = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)


@pytest.mark.roofline(serving=LLAMA_70B_ON_8_A100, min_utilization=0.2)
def test_throughput_against_the_datasheet(roofline):
    result = roofline.report_engine_result(RESULT)
    assert result.requests == 1000
    assert roofline.bound.bottleneck == "compute"


# a100-cutlass is declared in examples/pyproject.toml: the GEMM peak reached in practice.
@pytest.mark.roofline(serving=LLAMA_70B_ON_8_A100, hardware="a100-cutlass", min_utilization=0.25)
def test_throughput_against_the_practical_peak(roofline):
    roofline.report_engine_result(RESULT)


# Time per output token: one decode step of the requests in flight (64, the benchmark's
# max_concurrency), at the average context p + d/2 = 1280 tokens, tensor parallel over 8.
DECODE_STEP = kernels.decode_step("llama-2-70b", batch_size=64, context=1280, gpus=8)


@pytest.mark.roofline(DECODE_STEP, hardware="a100-sxm4-80gb", min_utilization=0.2)
def test_time_per_output_token(roofline):
    roofline.report_engine_result(RESULT)
    assert roofline.bound.bottleneck == "memory"
