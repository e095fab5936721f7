"""The decoder is correct, and the library counts the work of its steps: cheap, unmarked."""

import numpy as np
import pytest
from model import Config, TinyLlama, apply_rope, attention, rope_tables, softmax

from pytest_roofline import kernels

SMALL = Config(hidden_size=64, layers=2, heads=8, kv_heads=2, intermediate_size=96, vocab_size=50)


def test_grouped_query_attention_equals_repeated_heads():
    rng = np.random.default_rng(0)
    batch, kv_heads, group, positions, head_dim = 3, 2, 4, 7, 16
    q = rng.standard_normal((batch, kv_heads, group, head_dim), dtype=np.float32)
    keys = rng.standard_normal((batch, kv_heads, positions, head_dim), dtype=np.float32)
    values = rng.standard_normal((batch, kv_heads, positions, head_dim), dtype=np.float32)

    # Multi-head attention with each key/value head repeated for its group of query heads.
    heads = kv_heads * group
    q_heads = q.reshape(batch, heads, head_dim)
    k_heads = np.repeat(keys, group, axis=1)
    v_heads = np.repeat(values, group, axis=1)
    expected = np.empty((batch, heads, head_dim), np.float32)
    for b in range(batch):
        for h in range(heads):
            weights = softmax(k_heads[b, h] @ q_heads[b, h] / np.sqrt(head_dim))
            expected[b, h] = weights @ v_heads[b, h]

    got = attention(q, keys, values).reshape(batch, heads, head_dim)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_rope_preserves_norms_and_depends_on_relative_position():
    rng = np.random.default_rng(1)
    head_dim = 32
    cos, sin = rope_tables(64, head_dim, theta=10000.0)
    q, k = rng.standard_normal((2, head_dim))
    for position in (0, 1, 17, 63):
        rotated = apply_rope(q, cos[position], sin[position])
        assert np.linalg.norm(rotated) == pytest.approx(np.linalg.norm(q), rel=1e-5)

    def score(m, n):
        return apply_rope(q, cos[m], sin[m]) @ apply_rope(k, cos[n], sin[n])

    assert score(10, 3) == pytest.approx(score(40, 33), rel=1e-4)
    assert score(0, 0) == pytest.approx(q @ k, rel=1e-5)


def test_step_gives_finite_logits_and_fills_the_cache():
    model = TinyLlama(SMALL)
    cache = model.new_cache(batch_size=3, context=5)
    cache.keys[:, :, :, 5] = 0.0
    tokens = model.decode_step(np.array([4, 8, 15]), cache, position=5)
    assert tokens.shape == (3,)
    assert ((tokens >= 0) & (tokens < SMALL.vocab_size)).all()
    assert cache.logits.shape == (3, SMALL.vocab_size)
    assert np.isfinite(cache.logits).all()
    assert np.abs(cache.keys[:, :, :, 5]).sum(axis=-1).all()  # every new key written


def test_sequences_of_a_batch_do_not_interact():
    model = TinyLlama(SMALL)
    batch = model.new_cache(batch_size=3, context=6)
    model.decode_step(np.array([1, 2, 3]), batch, position=6)
    for sequence, token in enumerate([1, 2, 3]):
        alone = model.new_cache(batch_size=1, context=6)
        alone.keys[:] = batch.keys[:, sequence : sequence + 1]
        alone.values[:] = batch.values[:, sequence : sequence + 1]
        model.decode_step(np.array([token]), alone, position=6)
        np.testing.assert_allclose(alone.logits[0], batch.logits[sequence], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("config", [SMALL, Config()], ids=["small", "tiny-llama"])
def test_transformer_counts_the_parameters_stored(config, tiny_llama):
    model = tiny_llama if config == Config() else TinyLlama(config)
    assert config.transformer().counted_params == model.params
    assert config.transformer().params == model.params


@pytest.mark.parametrize("batch_size", [1, 256])
def test_decode_step_counts_what_a_step_does(tiny_llama, batch_size):
    """The declared FLOPs and bytes are the step's, within 1 %.

    The step multiplies by every weight matrix once per sequence and reads it once; it
    reads the KV cache of ``context`` tokens and writes one more, but only gathers one row
    of the (untied) embedding table per sequence, as ``kernels.decode_step`` counts it.
    """
    model, context = tiny_llama, 128
    c = model.config
    matrices = [a for a in model.arrays() if a.ndim == 2 and a is not model.embedding]
    flops = 2 * batch_size * sum(a.size for a in matrices)
    flops += 4 * batch_size * c.layers * c.heads * c.head_dim * (context + 1)
    cache = model.new_cache(batch_size, context)
    weights_read = model.nbytes - model.embedding.nbytes + batch_size * c.hidden_size * 4
    bytes_moved = weights_read + cache.nbytes * (context + 2) / (context + 1)  # + the new token

    step = kernels.decode_step(c.transformer(), batch_size, context, "fp32")
    assert step.flops == pytest.approx(flops, rel=0.01)
    assert step.bytes == pytest.approx(bytes_moved, rel=0.01)
    assert c.transformer().gathered_params == model.embedding.size
