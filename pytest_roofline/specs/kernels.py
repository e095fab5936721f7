"""Kernels: the work a test does, as FLOPs and bytes moved, and factories for common ones.

The roofline needs only three counts (FLOPs, bytes to and from memory, bytes over the
interconnect) and the dtype that picks the peak. The factories count them the way the
reference notes do, with the notes' slips corrected (an FP32 dot product moves 8N + 4
bytes, so its intensity is about 1/4 FLOP/byte, not 1/2).

>>> from pytest_roofline import kernels
>>> k = kernels.matmul(1024, 1024, 1024, dtype="fp32")
>>> k.flops, k.bytes, round(k.intensity, 1)
(2147483648.0, 12582912.0, 170.7)
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from pytest_roofline.core.dtypes import (
    DType,
    dtype_bytes,
)
from pytest_roofline.core.dtypes import canonical_dtype as canonical
from pytest_roofline.core.fields import ByteCount, FlopCount
from pytest_roofline.core.frozen import Spec
from pytest_roofline.core.units import MAX_COUNT
from pytest_roofline.errors import (
    DeclarationError,
    cut,
)
from pytest_roofline.specs.counted import xla_cost
from pytest_roofline.specs.transformer import Transformer, model_catalog


class Kernel(Spec):
    """A unit of work: FLOPs, bytes moved to and from memory, bytes over the interconnect.

    ``bytes`` counts the traffic to main memory (HBM on a GPU, DRAM on a CPU) that the
    kernel cannot avoid: every input read once and every output written once.
    """

    name: str = Field(default="kernel", min_length=1)
    flops: FlopCount
    bytes: ByteCount
    network_bytes: ByteCount = 0.0
    dtype: DType = "fp32"
    working_set_bytes: ByteCount | None = None
    """Bytes the kernel touches, which decide the memory level it is served from on
    hardware with measured caches (``local``); default: ``bytes``."""
    devices: int = Field(default=1, ge=1)
    """How many devices exchange the ``network_bytes`` (a tensor-parallel group): the
    bandwidth each gets depends on it (:meth:`Hardware.interconnect_bandwidth_for`)."""
    phase: Literal["prefill", "decode"] | None = None
    """The part of serving a request this kernel is, set by :func:`prefill` and
    :func:`decode_step`: it picks the figure of an engine's result file that times it
    (the time to the first token, or one decode step)."""
    model: str | None = None
    """The model a serving kernel runs, checked against the model an engine's file names."""
    transcendentals: FlopCount = 0.0
    """Transcendental operations (exp, log, ...) a compiler counted apart from the FLOPs."""
    counted_by: str | None = None
    """What counted the work, when a compiler did (:func:`from_jax`); None: declared."""

    @model_validator(mode="after")
    def _some_work(self) -> Kernel:
        if self.flops == 0 and self.bytes == 0 and self.network_bytes == 0:
            raise ValueError("a kernel must do some work: flops, bytes or network_bytes > 0")
        return self

    @property
    def intensity(self) -> float:
        """Operational intensity, FLOP per byte of memory traffic (inf if it moves none)."""
        return self.flops / self.bytes if self.bytes else math.inf

    @property
    def working_set(self) -> float:
        """The working set in bytes: ``working_set_bytes``, else ``bytes``."""
        return self.bytes if self.working_set_bytes is None else self.working_set_bytes

    @property
    def label(self) -> str:
        """How reports name the kernel: its name, with the dtype if the name lacks it, and
        what counted its work when a compiler did ('matmul fp32, counted by XLA')."""
        named = self.name if self.dtype in self.name.split() else f"{self.name} {self.dtype}"
        if self.counted_by is None:
            return named
        return f"{named}, counted by {self.counted_by.split()[0]}"


def _size(value: Any, what: str, factory: str) -> int:
    """A positive integer size, or a one-line error naming the factory and argument."""
    __tracebackhide__ = True
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        if isinstance(value, float) and value.is_integer() and 0 < value <= MAX_COUNT:
            return int(value)
        raise DeclarationError(f"{factory}: {what} must be a positive integer, got {cut(value)}")
    if value > MAX_COUNT:
        raise DeclarationError(
            f"{factory}: {what} = {cut(value, 40)} is too large (at most 2**53, where a float"
            " still counts every element)"
        )
    return value


def matmul(m: int, n: int, k: int, dtype: Any = "fp32", *, name: str | None = None) -> Kernel:
    """Matrix product [m, n] x [n, k] -> [m, k], each matrix moved once.

    FLOPs 2·m·n·k; bytes dtype_size·(m·n + n·k + m·k) (reference notes, "Matrix
    Multiplication"). Both counts are symmetric in m, n, k, so the order of the sizes
    does not matter. Intensity = (2 / dtype_size) / (1/m + 1/n + 1/k): n / (3/2 ·
    dtype_size) for squares of side n, tending to 2m / dtype_size when m ≪ n, k.
    """
    __tracebackhide__ = True
    m, n, k = _size(m, "m", "matmul"), _size(n, "n", "matmul"), _size(k, "k", "matmul")
    size = dtype_bytes(dtype)
    return Kernel(
        name=name or f"matmul {m}x{n}x{k}",
        flops=2 * m * n * k,
        bytes=size * (m * n + n * k + m * k),
        dtype=dtype,
    )


def dot(n: int, dtype: Any = "fp32", *, name: str | None = None) -> Kernel:
    """Dot product of two length-n vectors: 2n FLOPs, reads 2n elements, writes one.

    FP32: 2N FLOPs over 8N + 4 bytes, intensity ≈ 1/4 (the reference notes' 1/2 divides by
    4N + 4 and forgets one of the two input vectors).
    """
    __tracebackhide__ = True
    n = _size(n, "n", "dot")
    return Kernel(
        name=name or f"dot {n}", flops=2 * n, bytes=dtype_bytes(dtype) * (2 * n + 1), dtype=dtype
    )


def elementwise(
    n: int,
    dtype: Any = "fp32",
    inputs: int = 2,
    outputs: int = 1,
    flops_per_element: float = 1,
    *,
    name: str | None = None,
) -> Kernel:
    """An element-wise map over n elements: each input read once, each output written once.

    ``a + b`` is the default (2 inputs, 1 output, 1 FLOP); the STREAM triad
    ``a + s * b`` is ``flops_per_element=2``; a copy is ``inputs=1, flops_per_element=0``.
    """
    __tracebackhide__ = True
    n = _size(n, "n", "elementwise")
    inputs = _count(inputs, "inputs")
    outputs = _count(outputs, "outputs")
    if isinstance(flops_per_element, bool) or not flops_per_element >= 0:
        raise DeclarationError(
            f"elementwise: flops_per_element must be >= 0, got {flops_per_element!r}"
        )
    return Kernel(
        name=name or f"elementwise {n}",
        flops=flops_per_element * n,
        bytes=dtype_bytes(dtype) * n * (inputs + outputs),
        dtype=dtype,
    )


def _count(value: Any, what: str) -> int:
    __tracebackhide__ = True
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DeclarationError(f"elementwise: {what} must be an integer >= 0, got {cut(value)}")
    return value


def triad(n: int, dtype: Any = "fp32", *, name: str | None = None) -> Kernel:
    """STREAM triad ``a = b + s * c``: 2 FLOPs, two reads and one write per element."""
    __tracebackhide__ = True
    return elementwise(
        n,
        dtype,
        inputs=2,
        outputs=1,
        flops_per_element=2,
        name=name or f"triad {_size(n, 'n', 'triad')}",
    )


def copy(n: int, dtype: Any = "fp32", *, name: str | None = None) -> Kernel:
    """A copy of n elements: no FLOPs, one read and one write per element."""
    __tracebackhide__ = True
    return elementwise(
        n,
        dtype,
        inputs=1,
        outputs=1,
        flops_per_element=0,
        name=name or f"copy {_size(n, 'n', 'copy')}",
    )


def custom(
    name: str,
    flops: float | str,
    bytes: float | str,
    network_bytes: float | str = 0,
    dtype: Any = "fp32",
) -> Kernel:
    """Any kernel from its counts; quantities may carry units ("2 GFLOP", "12 MB")."""
    __tracebackhide__ = True
    return Kernel(name=name, flops=flops, bytes=bytes, network_bytes=network_bytes, dtype=dtype)


def attention(
    batch: int,
    heads: int,
    queries: int,
    keys: int | None = None,
    head_dim: int = 128,
    dtype: Any = "fp16",
    *,
    kv_heads: int | None = None,
    causal: bool = False,
    name: str | None = None,
) -> Kernel:
    """Scaled dot-product attention as a fused kernel (FlashAttention style).

    FLOPs: 4·B·H·Sq·Skv·d for QK^T and PV (2 FLOPs per multiply-add each), halved when
    ``causal`` and Sq = Skv (the masked half is skipped; Dao et al., "FlashAttention",
    2022, section 3.1 counts the same). Bytes: Q and O (B·H·Sq·d each) and K and V
    (B·kv_heads·Skv·d each) moved once; the Sq x Skv scores stay on chip. ``keys``
    defaults to ``queries`` (self-attention); ``kv_heads`` to ``heads`` (no GQA).
    """
    __tracebackhide__ = True
    batch = _size(batch, "batch", "attention")
    heads = _size(heads, "heads", "attention")
    queries = _size(queries, "queries", "attention")
    keys = queries if keys is None else _size(keys, "keys", "attention")
    head_dim = _size(head_dim, "head_dim", "attention")
    kv_heads = heads if kv_heads is None else _size(kv_heads, "kv_heads", "attention")
    if heads % kv_heads:
        raise DeclarationError(f"attention: kv_heads ({kv_heads}) must divide heads ({heads})")
    flops = 4 * batch * heads * queries * keys * head_dim
    if causal and queries == keys:
        flops //= 2
    size = dtype_bytes(dtype)
    moved = size * batch * head_dim * (2 * heads * queries + 2 * kv_heads * keys)
    label = f"attention B={batch} H={heads} Sq={queries} Skv={keys} d={head_dim}"
    return Kernel(
        name=name or (label + (" causal" if causal else "")),
        flops=flops,
        bytes=moved,
        dtype=dtype,
    )


def _model(model: Any) -> Transformer:
    __tracebackhide__ = True
    if isinstance(model, Transformer):
        return model
    return model_catalog().lookup(model)


def decode_step(
    model: Any,
    batch_size: int,
    context: int,
    dtype: Any = "fp16",
    *,
    kv_dtype: Any = None,
    gpus: int = 1,
    name: str | None = None,
) -> Kernel:
    """One decode step: ``batch_size`` sequences, each ``context`` tokens long, emit a token.

    FLOPs: 2·B·P_active for the weights, plus attention, 4·B·L·heads·head_dim·context
    (QK^T and AV over the context). Bytes: the weights the step reads once (all of them
    for a dense model; for a mixture of experts, the experts B tokens are expected to
    pick), plus the KV cache of B sequences of ``context`` tokens read and one new
    token's K and V written per sequence. An input embedding table not tied to the
    output head is neither read whole nor multiplied by: the step gathers B rows of it
    (``Transformer.gathered_params``), which for a small model is a large share (a
    55 M-parameter model with a 32k vocabulary: 30 %). At small batch the weights dominate and the
    step is memory-bound: its bound is the floor of the time per output token (Pope et
    al., "Efficiently Scaling Transformer Inference", 2022; the scaling book's inference
    chapter).

    ``gpus`` > 1 shards the step over that many devices with tensor parallelism (as
    serving engines run large models): the kernel is one device's share, FLOPs and bytes
    divided by N, plus two all-reduces per layer of the batch's activations, B·D_model
    values each. A ring all-reduce sends 2·(N - 1)/N of its data from every device, so
    network_bytes = 4·(N - 1)/N · B·D_model·S_type·L, the serving model's T_net per
    device. Judged against one device of the catalog, its bound is the step's time.
    """
    __tracebackhide__ = True
    transformer = _model(model)
    batch = _size(batch_size, "batch_size", "decode_step")
    context = _size(context, "context", "decode_step")
    shards = _size(gpus, "gpus", "decode_step")
    kv = transformer.kv_bytes_per_token(kv_dtype or dtype)
    assert transformer.head_dim is not None
    attention = 4 * batch * transformer.layers * transformer.heads * transformer.head_dim
    table = transformer.gathered_params
    rows = min(batch, transformer.vocab_size) * transformer.hidden_size if table else 0
    flops = 2 * batch * (transformer.active_params - table) + attention * context
    weights = transformer.params_read(batch) - table + rows
    moved = weights * dtype_bytes(dtype) + batch * (context + 1) * kv
    all_reduced = batch * transformer.hidden_size * dtype_bytes(dtype) * transformer.layers
    suffix = f" x{shards}" if shards > 1 else ""
    return Kernel(
        name=name or f"decode_step {transformer.name} B={batch} ctx={context}{suffix}",
        flops=flops / shards,
        bytes=moved / shards,
        network_bytes=4 * (shards - 1) / shards * all_reduced,
        dtype=dtype,
        devices=shards,
        phase="decode",
        model=transformer.name,
    )


def prefill(
    model: Any,
    tokens: int,
    dtype: Any = "fp16",
    *,
    kv_dtype: Any = None,
    name: str | None = None,
) -> Kernel:
    """Prefill of one prompt of ``tokens`` tokens.

    FLOPs: 2·tokens·P_active, plus causal attention, 2·L·heads·head_dim·tokens² (half of
    the full QK^T and AV). Bytes: the weights the prompt's tokens use, once, and the
    prompt's KV cache written. As in :func:`decode_step`, an untied input embedding table
    counts only the rows gathered, and a mixture-of-experts model reads only the experts
    its tokens pick (:meth:`Transformer.params_read`): a short prompt touches few.
    """
    __tracebackhide__ = True
    transformer = _model(model)
    tokens = _size(tokens, "tokens", "prefill")
    assert transformer.head_dim is not None
    attention = 2 * transformer.layers * transformer.heads * transformer.head_dim * tokens**2
    assert transformer.params is not None
    table = transformer.gathered_params
    rows = min(tokens, transformer.vocab_size) * transformer.hidden_size if table else 0
    return Kernel(
        name=name or f"prefill {transformer.name} tokens={tokens}",
        flops=2 * tokens * (transformer.active_params - table) + attention,
        bytes=(transformer.params_read(tokens) - table + rows) * dtype_bytes(canonical(dtype))
        + tokens * transformer.kv_bytes_per_token(kv_dtype or dtype),
        dtype=dtype,
        phase="prefill",
        model=transformer.name,
    )


def from_jax(fn: Any, *args: Any, **kwargs: Any) -> Kernel:
    """The work of ``fn(*args, **kwargs)`` as XLA counts it (see :mod:`.counted`).

    ``fn`` is compiled with ``jax.jit`` for these arguments (a jitted function is used as
    it is). FLOPs and bytes come from XLA's cost analysis, the dtype from the largest
    array argument, the name from the function, and the transcendental operations are
    kept beside the FLOPs. XLA's bytes are those its operations access, fused ones once,
    which for one fused kernel is the traffic a roofline counts. A backend that reports
    no cost analysis is a one-line error: declare the kernel by hand then. For
    ``from_jax(lambda a, b: a @ b, jnp.ones((256, 512)), jnp.ones((512, 128)))`` the
    kernel holds 33,554,432 FLOPs and 917,504 bytes, the hand counts.
    """
    __tracebackhide__ = True
    found = xla_cost(fn, args, kwargs)
    if found.flops == 0 and found.bytes == 0:
        raise DeclarationError(
            f"kernels.from_jax(): XLA counts no FLOPs and no bytes for {found.name}; it"
            " does no work a roofline bounds"
        )
    return Kernel(
        name=found.name,
        flops=found.flops,
        bytes=found.bytes,
        dtype=found.dtype,
        transcendentals=found.transcendentals,
        counted_by=found.counted_by,
    )


__all__ = [
    "Kernel",
    "attention",
    "copy",
    "custom",
    "decode_step",
    "dot",
    "elementwise",
    "from_jax",
    "matmul",
    "prefill",
    "triad",
]
