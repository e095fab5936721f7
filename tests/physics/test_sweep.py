"""serving_sweep: the serving bound over arrays agrees with bound(ServingConfig) everywhere."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from pytest_roofline import DeclarationError, RooflineError, ServingConfig, Transformer, bound
from pytest_roofline.physics.sweep import (
    ServingSweep,
    serving_sweep,
)

FIELDS = [
    "batch_size",
    "memory_seconds",
    "compute_seconds",
    "network_seconds",
    "seconds",
    "optimal_tokens_per_second",
    "attainable_tokens_per_second",
    "network_to_compute",
    "memory_to_compute",
]

GPUS = [2, 4, 8]
PROMPTS = [0, 128, 1024, 8192]
DECODES = [1, 64, 512]


def check_against_bound(sweep: ServingSweep, index: object, config: ServingConfig) -> None:
    if not sweep.fits[index]:
        # A given batch whose KV cache does not fit: NaN here, an error from bound().
        assert np.isnan(sweep.seconds[index])
        with pytest.raises(DeclarationError, match=r"does not fit|needs"):
            bound(config)
        return
    b = bound(config)
    assert sweep.bottleneck[index] == b.bottleneck
    for field in FIELDS:
        assert float(getattr(sweep, field)[index]) == pytest.approx(
            getattr(b, field), rel=1e-12, abs=0
        ), field


@pytest.mark.parametrize("batch", [None, 2048.0])
def test_grid_agrees_with_bound(batch: float | None) -> None:
    sweep = serving_sweep(
        "llama-2-70b",
        "a100-sxm4-80gb",
        gpus=np.array(GPUS)[:, None, None],
        prompt_tokens=np.array(PROMPTS)[None, :, None],
        decode_tokens=np.array(DECODES)[None, None, :],
        batch_size=batch,
    )
    assert sweep.seconds.shape == (3, 4, 3)
    for (i, n), (j, p), (k, d) in itertools.product(
        enumerate(GPUS), enumerate(PROMPTS), enumerate(DECODES)
    ):
        config = ServingConfig(
            model="llama-2-70b",
            hardware="a100-sxm4-80gb",
            gpus=n,
            prompt_tokens=p,
            decode_tokens=d,
            batch_size=batch,
        )
        check_against_bound(sweep, (i, j, k), config)
    if batch is not None:
        assert np.all(sweep.batch_size[sweep.fits] == batch)
        assert sweep.fits[-1].all()  # on 8 GPUs 2,048 tokens always fit
        assert not sweep.fits[0].all()  # on 2, long prompts leave no room for them


def test_batch_array_agrees_with_bound() -> None:
    batches = np.array([16.0, 256.0, 2048.0, 16384.0])
    sweep = serving_sweep(
        "mixtral-8x7b",
        "h100-sxm",
        gpus=np.array([1, 2, 4])[:, None],
        prompt_tokens=512,
        decode_tokens=256,
        batch_size=batches[None, :],
    )
    assert sweep.seconds.shape == (3, 4)
    assert not sweep.fits[0].any()  # 93.4 GB of Mixtral weights on one 80 GB H100
    for (i, n), (j, batch) in itertools.product(enumerate([2, 4]), enumerate(batches)):
        config = ServingConfig(
            model="mixtral-8x7b",
            hardware="h100-sxm",
            gpus=n,
            prompt_tokens=512,
            decode_tokens=256,
            batch_size=float(batch),
        )
        check_against_bound(sweep, (i + 1, j), config)
    # Small batches are memory-bound, large ones compute-bound; 16,384 tokens' KV cache
    # does not fit on 2 GPUs (B_dense about 2,400).
    assert sweep.bottleneck[1, 0] == "memory"
    assert sweep.bottleneck[1, -2] == "compute"
    assert not sweep.fits[1, -1]


def test_kv_dtype_and_nominal_model_agree_with_bound() -> None:
    model = Transformer(**{**Transformer.named("llama-2-70b").model_dump(), "params": 70e9})
    sweep = serving_sweep(
        model,
        "h100-sxm",
        gpus=np.array([4, 8]),
        prompt_tokens=2048,
        decode_tokens=128,
        dtype="bf16",
        kv_dtype="fp8",
    )
    for i, n in enumerate([4, 8]):
        config = ServingConfig(
            model=model,
            hardware="h100-sxm",
            gpus=n,
            prompt_tokens=2048,
            decode_tokens=128,
            dtype="bf16",
            kv_dtype="fp8",
        )
        check_against_bound(sweep, i, config)


def test_network_to_compute_nanoflow_in_a_sweep() -> None:
    # NanoFlow (arXiv 2408.12757), section 3: 0.273 for "70B" on 8 A100s; T_net/T_compute
    # = 2(N-1)·D·L·S·Compute/(P·NetBW) is the same at every batch size and prompt length.
    model = Transformer(**{**Transformer.named("llama-2-70b").model_dump(), "params": 70e9})
    sweep = serving_sweep(
        model,
        "a100-sxm4-80gb",
        gpus=8,
        prompt_tokens=np.array([128, 1024, 4096]),
        decode_tokens=np.array([[32], [512]]),
    )
    assert np.allclose(sweep.network_to_compute, 0.27263, atol=1e-5)


@pytest.mark.parametrize(
    ("gpus", "prompt", "decode", "shape"),
    [
        (8, 1024, 512, ()),
        (np.array([2, 4, 8]), 1024, 512, (3,)),
        (np.array([[2], [8]]), np.array([64, 128, 256]), 512, (2, 3)),
        (8, np.array([[1.0], [2.0]]), np.arange(1, 6), (2, 5)),
        (np.array([2, 8])[:, None, None], np.ones((1, 3, 1)), np.ones((1, 1, 4)), (2, 3, 4)),
    ],
)
def test_broadcast_shapes(gpus, prompt, decode, shape) -> None:  # type: ignore[no-untyped-def]
    sweep = serving_sweep(
        "llama-2-70b", "a100-sxm4-80gb", gpus=gpus, prompt_tokens=prompt, decode_tokens=decode
    )
    for field in [*FIELDS, "fits", "bottleneck", "gpus", "prompt_tokens", "decode_tokens"]:
        assert np.shape(getattr(sweep, field)) == shape, field


def test_weights_that_do_not_fit_are_nan() -> None:
    # LLaMA-2-70B fp16 needs 137.95 GB: not on one 80 GB A100, fine on two.
    sweep = serving_sweep(
        "llama-2-70b",
        "a100-sxm4-80gb",
        gpus=np.array([1, 2, 8]),
        prompt_tokens=1024,
        decode_tokens=512,
    )
    assert sweep.fits.tolist() == [False, True, True]
    for field in FIELDS:
        values = getattr(sweep, field)
        assert np.isnan(values[0]), field
        assert np.all(np.isfinite(values[1:])), field
    assert sweep.bottleneck[0] == ""
    assert set(sweep.bottleneck[1:]) <= {"compute", "memory", "network"}


def test_as_dict_is_json() -> None:
    sweep = serving_sweep(
        "llama-3-8b", "h100-sxm", gpus=np.array([1, 2]), prompt_tokens=512, decode_tokens=64
    )
    document = json.loads(json.dumps(sweep.as_dict()))
    assert document["gpus"] == [1.0, 2.0]
    assert document["bottleneck"] == sweep.bottleneck.tolist()
    assert document["fits"] == [True, True]


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"gpus": np.array([1, 0, 2])}, "gpus"),
        ({"gpus": np.array([2.0, np.nan])}, "gpus"),
        ({"decode_tokens": np.array([512, 0])}, "decode_tokens"),
        ({"decode_tokens": -1}, "decode_tokens"),
        ({"prompt_tokens": np.array([-5, 10])}, "prompt_tokens"),
        ({"prompt_tokens": np.inf}, "prompt_tokens"),
        ({"batch_size": np.array([0.0, 8.0])}, "batch_size"),
    ],
)
def test_bad_arrays(arguments: dict[str, object], name: str) -> None:
    options: dict[str, object] = {"gpus": 8, "prompt_tokens": 1024, "decode_tokens": 512}
    options.update(arguments)
    with pytest.raises(DeclarationError) as info:
        serving_sweep("llama-2-70b", "a100-sxm4-80gb", **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert name in message


def test_fractional_gpu_count_is_rejected() -> None:
    # A GPU count is a whole number, as ServingConfig.gpus (an int) requires.
    with pytest.raises(DeclarationError, match="gpus"):
        ServingConfig(model="llama-2-70b", gpus=2.5, prompt_tokens=1, decode_tokens=1)
    with pytest.raises(DeclarationError, match="gpus"):
        serving_sweep(
            "llama-2-70b",
            "a100-sxm4-80gb",
            gpus=np.array([2, 2.5, 8]),
            prompt_tokens=1024,
            decode_tokens=512,
        )


def test_bad_names() -> None:
    with pytest.raises(RooflineError, match="unknown model"):
        serving_sweep("llama-9", "a100-sxm4-80gb", prompt_tokens=1, decode_tokens=1)
    with pytest.raises(RooflineError, match="unknown hardware"):
        serving_sweep("llama-2-7b", "a101", prompt_tokens=1, decode_tokens=1)
    with pytest.raises(DeclarationError, match="interconnect_bandwidth"):
        serving_sweep("llama-2-7b", "l4", gpus=np.array([1, 2]), prompt_tokens=1, decode_tokens=1)


def test_hundred_thousand_configurations() -> None:
    gpus = np.arange(1, 11)[:, None, None]
    prompt = np.linspace(0, 32_768, 100)[None, :, None]
    decode = np.linspace(1, 4096, 100)[None, None, :]
    sweep = serving_sweep(
        "llama-2-70b", "h100-sxm", gpus=gpus, prompt_tokens=prompt, decode_tokens=decode
    )
    assert sweep.seconds.size == 100_000
    assert sweep.bottleneck.size == 100_000
    # One H100 cannot hold the weights; two or more can.
    assert not sweep.fits[0].any()
    assert sweep.fits[1:].all()
    assert np.isfinite(sweep.seconds[1:]).all()
