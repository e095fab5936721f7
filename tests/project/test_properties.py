"""Properties of the model that must hold for any input (hypothesis).

Each property is one a user relies on without thinking: the bound is the slowest
resource, more work never finishes sooner, faster hardware never slows it, utilization
of any honest measurement lies in (0, 1], and every record survives JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_roofline import Hardware, Kernel, Measurement, ServingConfig, Transformer, bound
from pytest_roofline.measurement.engines import EngineResult
from pytest_roofline.physics.bound import kernel_bound
from pytest_roofline.verdict.record import Result

DTYPES = ["fp32", "fp16", "bf16", "fp64"]
sizes = st.floats(min_value=1.0, max_value=1e18, allow_nan=False, allow_infinity=False)
maybe_zero = st.one_of(st.just(0.0), sizes)
rates = st.floats(min_value=1e6, max_value=1e18, allow_nan=False, allow_infinity=False)
factors = st.floats(min_value=1.0, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def kernels(draw: st.DrawFn) -> Kernel:
    flops, moved, network = draw(maybe_zero), draw(maybe_zero), draw(maybe_zero)
    assume(flops or moved or network)
    return Kernel(
        name="k",
        flops=flops,
        bytes=moved,
        network_bytes=network,
        dtype=draw(st.sampled_from(DTYPES)),
    )


@st.composite
def devices(draw: st.DrawFn) -> Hardware:
    return Hardware(
        name="box",
        peak_flops={dtype: draw(rates) for dtype in DTYPES},
        memory_bandwidth=draw(rates),
        memory_capacity=80e9,
        interconnect_bandwidth=draw(rates),
    )


@given(kernels(), devices())
def test_the_bound_is_the_slowest_resource(kernel: Kernel, device: Hardware) -> None:
    b = kernel_bound(kernel, device)
    terms = {"compute": b.compute_seconds, "memory": b.memory_seconds, "network": b.network_seconds}
    assert all(b.seconds >= t for t in terms.values())
    assert b.seconds == max(terms.values())
    assert terms[b.bottleneck] == b.seconds


@given(kernels(), devices(), factors, st.sampled_from(["flops", "bytes", "network_bytes"]))
def test_more_work_never_makes_the_bound_shorter(
    kernel: Kernel, device: Hardware, factor: float, field: str
) -> None:
    more = kernel.model_copy(update={field: getattr(kernel, field) * factor + 1.0})
    assert kernel_bound(more, device).seconds >= kernel_bound(kernel, device).seconds


@given(kernels(), devices(), factors, st.sampled_from(["compute", "memory", "network"]))
def test_faster_hardware_never_makes_the_bound_longer(
    kernel: Kernel, device: Hardware, factor: float, resource: str
) -> None:
    assert device.interconnect_bandwidth is not None
    update: dict[str, object] = {
        "compute": {"peak_flops": {d: v * factor for d, v in device.peak_flops.items()}},
        "memory": {"memory_bandwidth": device.memory_bandwidth * factor},
        "network": {"interconnect_bandwidth": device.interconnect_bandwidth * factor},
    }[resource]
    faster = device.model_copy(update=update)
    assert kernel_bound(kernel, faster).seconds <= kernel_bound(kernel, device).seconds


@given(kernels(), devices(), st.floats(min_value=1.0, max_value=1e6), st.floats(0.0, 0.5))
def test_utilization_of_a_measurement_at_or_above_the_bound_is_in_0_1(
    make_result: Callable[..., Result],
    kernel: Kernel,
    device: Hardware,
    slower: float,
    spread: float,
) -> None:
    b = kernel_bound(kernel, device)
    median = b.seconds * slower
    assume(median > 0 and math.isfinite(median))
    measurement = Measurement(
        rounds=5,
        median=median,
        min=median,
        mean=median,
        iqr=0.0,
        p10=median,
        ci_low=median,
        ci_high=median * (1 + spread),
        cv=0.0,
    )
    result = make_result(measurement, None, kernel=kernel, hardware=device, bound_=b)
    assert result.utilization is not None
    assert 0 < result.utilization <= 1
    assert result.outcome == "passed"


LLAMA = Transformer.named("llama-2-70b")


@st.composite
def serving_configs(draw: st.DrawFn) -> ServingConfig:
    return ServingConfig(
        model=draw(
            st.sampled_from(
                ["llama-2-7b", "llama-2-13b", "llama-2-70b", "mixtral-8x7b", "llama-3-8b"]
            )
        ),
        hardware=draw(st.sampled_from(["a100-sxm4-80gb", "h100-sxm", "mi300x", "h200"])),
        gpus=draw(st.integers(min_value=2, max_value=16)),
        prompt_tokens=draw(st.floats(min_value=0, max_value=32_000)),
        decode_tokens=draw(st.floats(min_value=1, max_value=8_000)),
    )


@given(serving_configs())
@settings(max_examples=60, deadline=None)
def test_the_serving_batch_never_exceeds_what_memory_holds(config: ServingConfig) -> None:
    try:
        b = bound(config)
    except ValueError:  # weights that do not fit: refused, never a batch
        return
    device = Hardware.named(str(config.hardware))
    assert device.memory_capacity is not None
    capacity = config.gpus * device.memory_capacity
    assert b.bytes_per_iteration <= capacity * (1 + 1e-9)
    assert b.batch_size > 0


def round_trip(model: object) -> None:
    cls = type(model)
    text = model.model_dump_json()  # type: ignore[attr-defined]
    assert cls.model_validate_json(text).model_dump_json() == text  # type: ignore[attr-defined]


@given(kernels())
def test_kernels_survive_json(kernel: Kernel) -> None:
    round_trip(kernel)


@given(devices())
def test_hardware_survives_json(device: Hardware) -> None:
    round_trip(device)


@pytest.mark.parametrize(
    "model",
    [
        Hardware.named("h100-sxm"),
        Transformer.named("mixtral-8x7b"),
        LLAMA,
        ServingConfig(
            model="llama-2-70b", hardware="a100", gpus=8, prompt_tokens=1024, decode_tokens=512
        ),
        bound(
            ServingConfig(
                model="llama-2-70b", hardware="a100", gpus=8, prompt_tokens=1024, decode_tokens=512
            )
        ),
        Measurement.from_reported(1e-3),
        EngineResult(
            format="vllm-serving",
            source="r.json",
            requests=10,
            duration_seconds=1.0,
            tokens_per_second=10.0,
            mean_tpot_seconds=0.04,
        ),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_record_survives_json(model: object) -> None:
    round_trip(model)


@given(kernels(), devices(), st.floats(min_value=1e-9, max_value=1e6))
def test_results_survive_json(
    make_result: Callable[..., Result], kernel: Kernel, device: Hardware, seconds: float
) -> None:
    result = make_result(Measurement.from_reported(seconds), 0.5, kernel=kernel, hardware=device)
    back = Result.model_validate_json(result.model_dump_json())
    assert back.model_dump_json() == result.model_dump_json()
