"""One decode step of a LLaMA-style decoder, from batch 1 to 256, against this machine's roof.

A step multiplies a [B, hidden] activation by every weight matrix: 2·B FLOPs per
parameter for 4 bytes of fp32 weight read once, so its intensity is about B/2 FLOP/byte
while the weights dominate the bytes. Small batches sit below the ridge point (peak
FLOP/s / memory bandwidth) and are memory-bound: the step costs the time to stream the
weights, whatever B is. Past the ridge the step is compute-bound and its time grows with
B. See docs/llm_decode.md for the measured curve on one machine.

The budgets follow what numpy reaches, with room for a noisy shared host: OpenBLAS's
matrix-vector product streams the weights fast at B = 1, its GEMM for a few rows much less
so, and large batches reach most of the GEMM peak.
"""

import numpy as np
import pytest
from model import Config

from pytest_roofline import kernels

CONFIG = Config()
CONTEXT = 128  # tokens already in each sequence's KV cache
MODEL = CONFIG.transformer()

BUDGETS = {1: 0.2, 2: 0.1, 4: 0.1, 8: 0.1, 16: 0.12, 32: 0.2, 64: 0.25, 128: 0.3, 256: 0.3}


@pytest.mark.parametrize(
    "batch_size",
    [pytest.param(b, marks=pytest.mark.roofline(min_utilization=u)) for b, u in BUDGETS.items()],
)
def test_decode_step(roofline, tiny_llama, batch_size):
    cache = tiny_llama.new_cache(batch_size, CONTEXT)
    tokens = np.arange(batch_size) % CONFIG.vocab_size
    bound = roofline.declare(
        kernels.decode_step(MODEL, batch_size=batch_size, context=CONTEXT, dtype="fp32")
    )
    # Properties of the work, whatever the machine: the intensity is ~B/2 while the
    # weights outweigh the KV cache, and one sequence (0.5 FLOP/B) is below any ridge.
    if batch_size <= 16:
        assert bound.intensity == pytest.approx(batch_size / 2, rel=0.1)
    if batch_size == 1:
        assert bound.bottleneck == "memory"
    # Half a second, not the default 0.2 s, so that a 0.15 s step at B = 256 gets rounds.
    roofline.measure(tiny_llama.decode_step, tokens, cache, CONTEXT, max_time=0.5)
