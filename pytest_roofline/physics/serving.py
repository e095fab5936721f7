"""The LLM serving model: one dense iteration of a serving engine, bounded.

An engine serving a stream of requests (p prompt tokens, d output tokens each, on
average) runs iterations over a dense batch of B_dense tokens. With the aggregate figures
of N_GPU devices (NanoFlow, Zhu et al., arXiv 2408.12757, section 3, equations 1-5):

    T_memory  = GPU_mem / MemBW                       every byte of memory read once
                                                      (at B_dense; a smaller given
                                                      batch reads the weights and its
                                                      own KV cache only)
    T_compute = 2 · B_dense · P_model / Compute       2 FLOPs per parameter per token
    T_net     = 4 · (N_GPU - 1) · D_model · B_dense · S_type · L / NetBW
                                                      two all-reduces per layer under
                                                      tensor parallelism, each ≈ 2
                                                      all-gathers of (N - 1) hops
    optimal throughput = B_dense / T_compute = Compute / (2 · P_model) tokens/s

NetBW counts one direction of each device's links. When the batch is not given, B_dense
is the largest one memory holds: the memory left after the weights, divided by the KV
cache a request holds on average (p + d/2 tokens), is the number of requests in flight;
each contributes (p + d)/d tokens per iteration over its life (its prompt once, then one
token per step), so B_dense = requests · (p + d)/d. GQA divides the KV cache per token by
R_GQA and so multiplies the batch, which pushes serving toward compute-bound.

Where the model is optimistic: attention FLOPs are left out of T_compute (small next to
2·P per token for contexts well below 6·D_model), the three resources are assumed to
overlap perfectly (the iteration takes the slowest of them, not their sum), and every
byte an iteration needs is assumed read once at full bandwidth. Mixture-of-experts
models count the parameters a token uses (``active_params``) for FLOPs and all stored
parameters for memory.

Every function here works on floats and on numpy arrays alike, so :mod:`.sweep` runs
the same formulas over many configurations at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core import arrays
from pytest_roofline.core.dtypes import (
    dtype_bytes,
)
from pytest_roofline.errors import DeclarationError
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs.hardware import (
    Hardware,
)
from pytest_roofline.specs.serving import ServingConfig
from pytest_roofline.specs.transformer import Transformer


@dataclass(frozen=True)
class Aggregate:
    """The aggregate figures of N_GPU devices (the notes' Compute, MemBW, GPU_mem, NetBW)."""

    compute: Any
    memory_bandwidth: Any
    memory_capacity: Any
    network_bandwidth: Any


def aggregate(device: Hardware, gpus: Any, dtype: str) -> Aggregate:
    """N_GPU devices' aggregate Compute, MemBW, GPU_mem and one-way NetBW."""
    __tracebackhide__ = True
    if device.memory_capacity is None:
        raise DeclarationError(
            f"hardware {device.name!r} declares no memory_capacity, which the serving model"
            " needs (how many requests fit)"
        )
    if device.interconnect_bandwidth is None and arrays.any_true(arrays.asarray(gpus) > 1):
        raise DeclarationError(
            f"hardware {device.name!r} declares no interconnect_bandwidth, which serving on"
            " more than one GPU needs"
        )
    return Aggregate(
        compute=gpus * device.peak(dtype),
        memory_bandwidth=gpus * device.memory_bandwidth,
        memory_capacity=gpus * device.memory_capacity,
        network_bandwidth=gpus * device.interconnect_bandwidth_for(gpus),
    )


def dense_batch(
    model: Transformer, totals: Aggregate, prompt: Any, decode: Any, dtype: str, kv_dtype: str
) -> Any:
    """B_dense that memory holds: requests in flight · (p + d)/d (module docstring)."""
    free = totals.memory_capacity - model.weight_bytes(dtype)
    requests = free / (model.kv_bytes_per_token(kv_dtype) * (prompt + decode / 2))
    return requests * (prompt + decode) / decode


def iteration_bytes(
    model: Transformer, batch: Any, prompt: Any, decode: Any, dtype: str, kv_dtype: str
) -> Any:
    """What one iteration of ``batch`` tokens reads: the weights, plus the KV cache of its
    requests in flight (batch · d/(p + d) of them, each holding p + d/2 tokens on average).

    At B_dense this is all of memory, NanoFlow's "GPU_mem"; a smaller batch given by the
    user reads less, and a larger one does not fit.
    """
    requests = batch * decode / (prompt + decode)
    kv_per_request = model.kv_bytes_per_token(kv_dtype) * (prompt + decode / 2)
    return model.weight_bytes(dtype) + requests * kv_per_request


def terms(
    model: Transformer, totals: Aggregate, batch: Any, gpus: Any, dtype: str, moved: Any
) -> tuple[Any, Any, Any]:
    """(T_memory, T_compute, T_net) of one iteration (NanoFlow equations 1-3), where
    ``moved`` is :func:`iteration_bytes`: GPU_mem at the dense batch."""
    size = dtype_bytes(dtype)
    t_memory = moved / totals.memory_bandwidth + 0 * batch
    t_compute = 2 * batch * model.active_params / totals.compute
    hops = gpus - 1
    # One GPU has no all-reduce (and may have no interconnect): T_net is 0, not 0/0.
    network = arrays.where(arrays.asarray(hops) > 0, totals.network_bandwidth, 1.0)
    t_net = 4 * hops * model.hidden_size * batch * size * model.layers / network
    return t_memory, t_compute, t_net


class ServingBound(Bound):
    """The bound of one dense iteration, and the throughputs it implies."""

    batch_size: float
    """B_dense, tokens per iteration."""
    gpus: int
    optimal_tokens_per_second: float
    """Compute / (2 · P_model): prompt and output tokens together, all GPUs."""
    attainable_tokens_per_second: float
    """B_dense / the iteration bound: the optimal throughput, or less when memory or the
    network binds."""
    optimal_tokens_per_second_per_gpu: float
    optimal_requests_per_second: float
    """Optimal throughput / (p + d)."""
    optimal_decode_tokens_per_second: float
    """The output-token share d/(p + d) of the optimal throughput."""
    kv_bytes_per_token: float
    weight_bytes: float
    bytes_per_iteration: float
    """Weights plus the KV cache of the batch: what one iteration must read."""
    network_to_compute: float
    """T_net / T_compute: above 1, the interconnect binds before the GPUs' compute."""
    memory_to_compute: float
    """T_memory / T_compute: above 1, reading memory takes longer than computing."""
    prompt_tokens: float
    decode_tokens: float


def serving_bound(config: ServingConfig, device: Hardware) -> ServingBound:
    """The serving bound of ``config`` on ``device`` (see the module docstring)."""
    __tracebackhide__ = True
    p, d = config.lengths()
    model = config.model
    kv_dtype = config.kv_dtype or config.dtype
    totals = aggregate(device, config.gpus, config.dtype)
    weights = model.weight_bytes(config.dtype)
    if weights >= totals.memory_capacity:
        raise DeclarationError(
            f"{model.name} weights ({weights / 1e9:.1f} GB in {config.dtype}) do not fit in"
            f" {config.gpus} x {device.name} ({totals.memory_capacity / 1e9:.0f} GB);"
            " use more GPUs or a smaller dtype"
        )
    dense = float(dense_batch(model, totals, p, d, config.dtype, kv_dtype))
    batch = dense if config.batch_size is None else config.batch_size
    moved = float(iteration_bytes(model, batch, p, d, config.dtype, kv_dtype))
    if moved > totals.memory_capacity * (1 + 1e-9):
        raise DeclarationError(
            f"{config.label}: batch_size {batch:g} needs {moved / 1e9:.1f} GB of weights and"
            f" KV cache, more than the {totals.memory_capacity / 1e9:.0f} GB of"
            f" {config.gpus} x {device.name}; the largest batch that fits is {dense:.0f}"
        )
    t_memory, t_compute, t_net = (
        float(t) for t in terms(model, totals, batch, config.gpus, config.dtype, moved)
    )
    resources = {"compute": t_compute, "memory": t_memory, "network": t_net}
    bottleneck = max(resources, key=lambda r: resources[r])
    seconds = resources[bottleneck]
    kv = model.kv_bytes_per_token(kv_dtype)
    flops = 2 * batch * model.active_params
    optimal = totals.compute / (2 * model.active_params)
    if not all(math.isfinite(x) and x > 0 for x in (seconds, batch, moved, t_compute)):
        raise DeclarationError(
            f"{config.label}: its bound comes out as {seconds!r} s for a batch of {batch!r}"
            " tokens, not a finite time > 0; check prompt_tokens, decode_tokens, gpus and"
            " batch_size"
        )
    return ServingBound(
        seconds=seconds,
        compute_seconds=t_compute,
        memory_seconds=t_memory,
        network_seconds=t_net,
        bottleneck=bottleneck,
        intensity=flops / moved,
        ridge_point=totals.compute / totals.memory_bandwidth,
        attainable_flops_per_second=flops / seconds,
        peak_flops_per_second=totals.compute,
        memory_bandwidth=totals.memory_bandwidth,
        hardware=device.name,
        dtype=config.dtype,
        ceiling_uncertainty=device.ceiling_uncertainty,
        batch_size=batch,
        gpus=config.gpus,
        optimal_tokens_per_second=optimal,
        attainable_tokens_per_second=batch / seconds,
        optimal_tokens_per_second_per_gpu=optimal / config.gpus,
        optimal_requests_per_second=optimal / (p + d),
        optimal_decode_tokens_per_second=optimal * d / (p + d),
        kv_bytes_per_token=kv,
        weight_bytes=weights,
        bytes_per_iteration=moved,
        network_to_compute=t_net / t_compute,
        memory_to_compute=t_memory / t_compute,
        prompt_tokens=p,
        decode_tokens=d,
    )


__all__ = ["ServingBound", "ServingConfig", "Transformer", "serving_bound"]
