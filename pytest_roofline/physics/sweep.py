"""What-if studies: the serving bound over arrays of configurations in one call.

The formulas are those of :mod:`pytest_roofline.physics.serving`, evaluated with numpy
broadcasting over any of batch size, prompt length, output length and GPU count, so a
grid of 100,000 configurations costs milliseconds (``benchmarks/sweep.py`` measures it).

>>> import numpy as np
>>> s = serving_sweep("llama-2-70b", "a100-sxm4-80gb", gpus=np.array([2, 4, 8]),
...                   prompt_tokens=1024, decode_tokens=512)
>>> s.bottleneck.tolist()  # on 2 GPUs, 138 GB of weights leave room for 158 tokens
['memory', 'compute', 'compute']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pytest_roofline.core.dtypes import canonical_dtype
from pytest_roofline.errors import DeclarationError
from pytest_roofline.physics.serving import (
    aggregate,
    dense_batch,
    iteration_bytes,
    terms,
)
from pytest_roofline.specs.hardware import (
    Hardware,
    default_catalog,
)
from pytest_roofline.specs.transformer import (
    Transformer,
    model_catalog,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ServingSweep:
    """Arrays of the broadcast shape of the inputs, one element per configuration.

    Configurations whose weights, or whose given batch's KV cache, do not fit in memory
    have ``fits`` False and NaN times.
    """

    gpus: FloatArray
    prompt_tokens: FloatArray
    decode_tokens: FloatArray
    batch_size: FloatArray
    fits: npt.NDArray[np.bool_]
    memory_seconds: FloatArray
    compute_seconds: FloatArray
    network_seconds: FloatArray
    seconds: FloatArray
    bottleneck: npt.NDArray[np.str_]
    optimal_tokens_per_second: FloatArray
    attainable_tokens_per_second: FloatArray
    network_to_compute: FloatArray
    memory_to_compute: FloatArray

    def as_dict(self) -> dict[str, list[Any]]:
        """Plain lists, for JSON or a data frame."""
        return {name: value.tolist() for name, value in vars(self).items()}


def _positive(name: str, values: Any, minimum: float, allow_equal: bool) -> FloatArray:
    __tracebackhide__ = True
    array = np.asarray(values, dtype=np.float64)
    bad = ~(array >= minimum) if allow_equal else ~(array > minimum)
    if np.any(bad | ~np.isfinite(array)):
        first = array[bad | ~np.isfinite(array)].flat[0]
        relation = ">=" if allow_equal else ">"
        raise DeclarationError(
            f"serving_sweep: {name} must be {relation} {minimum:g}, got {first!r}"
        )
    return array


def serving_sweep(
    model: str | Transformer,
    hardware: str | Hardware,
    *,
    gpus: Any = 1,
    prompt_tokens: Any,
    decode_tokens: Any,
    batch_size: Any = None,
    dtype: str = "fp16",
    kv_dtype: str | None = None,
) -> ServingSweep:
    """The serving bound for every combination the arguments broadcast to.

    Arguments are scalars or numpy arrays; ``batch_size`` None takes the largest batch
    memory holds, per configuration.
    """
    __tracebackhide__ = True
    transformer = model_catalog().lookup(model)
    device = default_catalog().lookup(hardware)
    dtype = canonical_dtype(dtype)
    kv = canonical_dtype(kv_dtype or dtype)
    n = _positive("gpus", gpus, 1, allow_equal=True)
    if np.any(n != np.floor(n)):
        raise DeclarationError(
            f"serving_sweep: gpus must be whole numbers, got {n[n != np.floor(n)].flat[0]!r}"
        )
    p = _positive("prompt_tokens", prompt_tokens, 0, allow_equal=True)
    d = _positive("decode_tokens", decode_tokens, 0, allow_equal=False)
    n, p, d = np.broadcast_arrays(n, p, d)
    totals = aggregate(device, n, dtype)
    fits = transformer.weight_bytes(dtype) < totals.memory_capacity
    if batch_size is None:
        batch = dense_batch(transformer, totals, p, d, dtype, kv)
    else:
        batch = _positive("batch_size", batch_size, 0, allow_equal=False)
    with np.errstate(invalid="ignore"):
        moved = iteration_bytes(transformer, batch, p, d, dtype, kv)
        fits = fits & (moved <= totals.memory_capacity * (1 + 1e-9))
    batch = np.where(fits, batch, np.nan)
    n, p, d, batch, fits, moved = np.broadcast_arrays(n, p, d, batch, fits, moved)
    t_memory, t_compute, t_net = (
        np.asarray(t, dtype=np.float64) for t in terms(transformer, totals, batch, n, dtype, moved)
    )
    t_memory = np.where(fits, t_memory, np.nan)
    stacked = np.stack([t_compute, t_memory, t_net])
    seconds = stacked.max(axis=0)
    names = np.array(["compute", "memory", "network"])
    bottleneck = np.where(fits, names[np.nan_to_num(stacked, nan=-1.0).argmax(axis=0)], "")
    optimal = totals.compute / (2 * transformer.active_params) + 0 * batch
    with np.errstate(invalid="ignore", divide="ignore"):
        return ServingSweep(
            gpus=n.astype(np.float64),
            prompt_tokens=p,
            decode_tokens=d,
            batch_size=batch,
            fits=fits,
            memory_seconds=t_memory,
            compute_seconds=t_compute,
            network_seconds=t_net,
            seconds=seconds,
            bottleneck=bottleneck,
            optimal_tokens_per_second=np.where(fits, optimal, np.nan),
            attainable_tokens_per_second=batch / seconds,
            network_to_compute=t_net / t_compute,
            memory_to_compute=t_memory / t_compute,
        )
