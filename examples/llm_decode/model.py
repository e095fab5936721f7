"""A small LLaMA-style decoder in numpy (fp32), to time one decode step against its roofline.

The architecture is LLaMA's: token embedding; ``layers`` blocks of RMSNorm, attention with
grouped-query attention (GQA) and rotary position embedding (RoPE) over a KV cache, a
residual, RMSNorm, a SwiGLU MLP and a residual; a final RMSNorm and an untied LM head.
Weights are random (seeded): the point is the work a step does, not the text it writes.

Each matrix is stored as its ``x @ W`` operand, so a step over B sequences is a few BLAS
products of a [B, hidden] activation with each weight matrix, which streams every weight
once per step whatever B is. As in serving engines, q, k and v share one matrix, and so do
the MLP's gate and up projections: one product each instead of three and two.

>>> config = Config(hidden_size=64, layers=2, heads=4, kv_heads=2, intermediate_size=128,
...                 vocab_size=100)
>>> model = TinyLlama(config)
>>> cache = model.new_cache(batch_size=3, context=16)
>>> model.decode_step(np.array([1, 2, 3]), cache, position=16).shape
(3,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytest_roofline import Transformer

DTYPE = np.float32


@dataclass(frozen=True)
class Config:
    """The architecture: ``pytest_roofline.Transformer``'s fields, and RoPE's and RMSNorm's."""

    hidden_size: int = 512
    layers: int = 8
    heads: int = 8
    kv_heads: int = 2
    intermediate_size: int = 1408
    vocab_size: int = 32000
    rope_theta: float = 10000.0
    max_positions: int = 2048
    norm_eps: float = 1e-5
    name: str = "tiny-llama"

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.heads

    @property
    def group_size(self) -> int:
        """Query heads per key/value head (R_GQA)."""
        return self.heads // self.kv_heads

    def transformer(self) -> Transformer:
        """The same architecture as the library's model, which counts its parameters
        (every array stored) and its decode steps (``kernels.decode_step``)."""
        return Transformer(
            name=self.name,
            hidden_size=self.hidden_size,
            layers=self.layers,
            heads=self.heads,
            kv_heads=self.kv_heads,
            intermediate_size=self.intermediate_size,
            vocab_size=self.vocab_size,
        )


@dataclass
class Layer:
    attention_norm: np.ndarray  # [hidden]
    qkv: np.ndarray  # [hidden, (heads + 2 kv_heads) head_dim]
    out: np.ndarray  # [heads head_dim, hidden]
    mlp_norm: np.ndarray  # [hidden]
    gate_up: np.ndarray  # [hidden, 2 intermediate]
    down: np.ndarray  # [intermediate, hidden]

    def arrays(self) -> list[np.ndarray]:
        return [self.attention_norm, self.qkv, self.out, self.mlp_norm, self.gate_up, self.down]


@dataclass
class Cache:
    """The KV cache of B sequences and the step's two largest activations, allocated once.

    ``keys`` and ``values`` are [layers, B, kv_heads, positions, head_dim]: for one layer,
    each sequence's head is a contiguous [positions, head_dim] block, the operand of the
    attention products.
    """

    keys: np.ndarray
    values: np.ndarray
    logits: np.ndarray  # [B, vocab]
    gate_up: np.ndarray  # [B, 2 intermediate]

    @property
    def batch_size(self) -> int:
        return self.keys.shape[1]

    @property
    def positions(self) -> int:
        return self.keys.shape[3]

    @property
    def nbytes(self) -> int:
        """Bytes of the keys and values."""
        return self.keys.nbytes + self.values.nbytes


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """x / sqrt(mean(x²) + eps) · weight, over the last axis (Zhang and Sennrich, 2019)."""
    scale = 1.0 / np.sqrt(np.mean(np.square(x), axis=-1, keepdims=True) + eps)
    return (x * scale) * weight


def rope_tables(positions: int, head_dim: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of RoPE's angles, [positions, head_dim / 2] (Su et al., RoFormer, 2021)."""
    inverse_frequency = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = np.outer(np.arange(positions, dtype=np.float64), inverse_frequency)
    return np.cos(angles).astype(DTYPE), np.sin(angles).astype(DTYPE)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate the pairs (x[i], x[i + d/2]) of each head by the position's angles.

    The half-split pairing of the LLaMA checkpoints in Hugging Face's layout. Each pair
    turns by a rotation, so the norm of every head vector is unchanged.
    """
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention(q: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Grouped-query attention of one new token per sequence over its cached tokens.

    q: [B, kv_heads, group, head_dim]; keys, values: [B, kv_heads, T, head_dim]. The
    ``group`` query heads that share a key/value head are one [group, head_dim] operand,
    so the cache is read once per kv head, not once per query head. Returns
    [B, kv_heads, group, head_dim].
    """
    scores = (q @ keys.swapaxes(-1, -2)) * DTYPE(1.0 / np.sqrt(q.shape[-1]))
    return softmax(scores) @ values


class TinyLlama:
    """A LLaMA-style decoder with random weights, for timing decode steps."""

    def __init__(self, config: Config | None = None, seed: int = 0) -> None:
        self.config = c = config or Config()
        rng = np.random.default_rng(seed)

        def matrix(rows: int, columns: int) -> np.ndarray:
            # Scaled by 1/sqrt(fan-in) so activations stay of order one through the layers.
            w = rng.standard_normal((rows, columns), dtype=DTYPE)
            w *= DTYPE(1.0 / np.sqrt(rows))
            return w

        qkv_width = (c.heads + 2 * c.kv_heads) * c.head_dim
        self.embedding = rng.standard_normal((c.vocab_size, c.hidden_size), dtype=DTYPE)
        self.layers = [
            Layer(
                attention_norm=np.ones(c.hidden_size, DTYPE),
                qkv=matrix(c.hidden_size, qkv_width),
                out=matrix(c.heads * c.head_dim, c.hidden_size),
                mlp_norm=np.ones(c.hidden_size, DTYPE),
                gate_up=matrix(c.hidden_size, 2 * c.intermediate_size),
                down=matrix(c.intermediate_size, c.hidden_size),
            )
            for _ in range(c.layers)
        ]
        self.final_norm = np.ones(c.hidden_size, DTYPE)
        self.lm_head = matrix(c.hidden_size, c.vocab_size)
        self.cos, self.sin = rope_tables(c.max_positions, c.head_dim, c.rope_theta)

    def arrays(self) -> list[np.ndarray]:
        """Every parameter array."""
        layers = [a for layer in self.layers for a in layer.arrays()]
        return [self.embedding, *layers, self.final_norm, self.lm_head]

    @property
    def params(self) -> int:
        """Parameters stored."""
        return sum(a.size for a in self.arrays())

    @property
    def nbytes(self) -> int:
        """Bytes of all weights."""
        return sum(a.nbytes for a in self.arrays())

    def new_cache(self, batch_size: int, context: int, seed: int = 1) -> Cache:
        """A cache for ``batch_size`` sequences, prefilled with ``context`` random tokens.

        It has room for one more token per sequence, the one a step at ``position =
        context`` writes, so the same step can be timed again and again.
        """
        c = self.config
        rng = np.random.default_rng(seed)
        shape = (c.layers, batch_size, c.kv_heads, context + 1, c.head_dim)

        def uniform() -> np.ndarray:
            # Uniform in [-1, 1): several times faster to draw than normal, and a cache of
            # 256 sequences holds tens of millions of numbers.
            a = rng.random(shape, dtype=DTYPE)
            a *= 2
            a -= 1
            return a

        return Cache(
            keys=uniform(),
            values=uniform(),
            logits=np.empty((batch_size, c.vocab_size), DTYPE),
            gate_up=np.empty((batch_size, 2 * c.intermediate_size), DTYPE),
        )

    def decode_step(self, tokens: np.ndarray, cache: Cache, position: int) -> np.ndarray:
        """One token for each of B sequences: the greedy choice after ``tokens``.

        ``tokens`` [B] are the sequences' latest tokens, at ``position``; their keys and
        values go into the cache there, and each attends to positions 0..position. The
        logits stay in ``cache.logits``.
        """
        c = self.config
        batch = len(tokens)
        if batch != cache.batch_size or not 0 <= position < min(cache.positions, c.max_positions):
            raise ValueError(
                f"{batch} tokens at position {position} do not fit a cache of"
                f" {cache.batch_size} sequences and {cache.positions} positions"
            )
        cos, sin = self.cos[position], self.sin[position]
        q_width, kv_width = c.heads * c.head_dim, c.kv_heads * c.head_dim
        x = self.embedding[tokens]  # [B, hidden]: B rows of the table, not all of it

        for index, layer in enumerate(self.layers):
            h = rms_norm(x, layer.attention_norm, c.norm_eps)
            qkv = h @ layer.qkv
            q = apply_rope(qkv[:, :q_width].reshape(batch, c.heads, c.head_dim), cos, sin)
            k = apply_rope(
                qkv[:, q_width : q_width + kv_width].reshape(batch, c.kv_heads, c.head_dim),
                cos,
                sin,
            )
            v = qkv[:, q_width + kv_width :].reshape(batch, c.kv_heads, c.head_dim)
            cache.keys[index, :, :, position] = k
            cache.values[index, :, :, position] = v
            seen = slice(0, position + 1)
            mixed = attention(
                q.reshape(batch, c.kv_heads, c.group_size, c.head_dim),
                cache.keys[index, :, :, seen],
                cache.values[index, :, :, seen],
            )
            x = x + mixed.reshape(batch, q_width) @ layer.out

            h = rms_norm(x, layer.mlp_norm, c.norm_eps)
            gate_up = np.matmul(h, layer.gate_up, out=cache.gate_up)
            gate, up = gate_up[:, : c.intermediate_size], gate_up[:, c.intermediate_size :]
            x = x + (silu(gate) * up) @ layer.down

        h = rms_norm(x, self.final_norm, c.norm_eps)
        logits = np.matmul(h, self.lm_head, out=cache.logits)
        return logits.argmax(axis=-1)


def silu(x: np.ndarray) -> np.ndarray:
    """x · sigmoid(x), the gate's activation in SwiGLU (Shazeer, 2020)."""
    return x / (1.0 + np.exp(-x))
