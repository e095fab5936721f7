"""Verdicts: evaluate() turns a bound, a measurement and a budget into a Result."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_roofline import Hardware, Measurement, Result, bound, kernels
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.verdict.record import evaluate

# matmul 1024^3 in bf16: 2 * 1024^3 FLOPs over 2 B * 3 * 1024^2 bytes (reference notes,
# "Matrix Multiplication"); intensity 1024 / 3 ≈ 341 FLOP/B.
KERNEL = kernels.matmul(1024, 1024, 1024, "bf16")
FLOPS = 2 * 1024**3
BYTES = 2 * 3 * 1024**2
# H100 SXM datasheet: 989 TFLOP/s dense bf16, 3.35 TB/s HBM3; the ridge point is
# 989e12 / 3.35e12 ≈ 295 FLOP/B, below 341, so the kernel is compute-bound and its bound
# is FLOPs / peak (Williams, Waterman and Patterson, "Roofline", CACM 2009).
H100_BOUND_SECONDS = FLOPS / 989e12


def judge(
    measurement: Measurement | None,
    min_utilization: float | None,
    *,
    kernel: Kernel = KERNEL,
    hardware: str | Hardware = "h100-sxm",
    nodeid: str = "tests/test_gemm.py::test_gemm",
) -> Result:
    b: Bound = bound(kernel, hardware)
    device = hardware if isinstance(hardware, Hardware) else Hardware.named(hardware)
    spec: dict[str, Any] = device.model_dump(
        mode="json", exclude={"sources", "aliases", "description"}
    )
    return evaluate(
        nodeid=nodeid,
        label=kernel.label,
        workload=kernel.model_dump(),
        hardware_spec=spec,
        bound=b,
        measurement=measurement,
        min_utilization=min_utilization,
    )


def test_the_bound_is_the_hand_computed_one() -> None:
    b = bound(KERNEL, "h100-sxm")
    assert b.seconds == pytest.approx(H100_BOUND_SECONDS)
    assert b.bottleneck == "compute"


def test_a_zero_median_is_unmeasured_not_a_division_by_zero() -> None:
    """A Measurement built by hand may hold a zero time; it judges nothing."""
    zero = Measurement(
        rounds=1, loops=1, median=0.0, min=0.0, mean=0.0, iqr=0.0, p10=0.0,
        ci_low=0.0, ci_high=0.0, cv=0.0,
    )  # fmt: skip
    result = judge(zero, 0.4)
    assert result.outcome == "unmeasured"
    assert result.utilization is None
    assert result.utilization_ci is None


def test_passed_above_budget() -> None:
    # Utilization = bound / measured (DESIGN section 2): half the bound's speed is 50 %.
    r = judge(Measurement.from_reported(2 * H100_BOUND_SECONDS), 0.4)
    assert r.outcome == "passed"
    assert r.ok
    assert r.utilization == pytest.approx(0.5)
    assert r.raw_utilization == pytest.approx(0.5)
    assert r.measured_seconds == pytest.approx(2 * H100_BOUND_SECONDS)
    assert r.min_utilization == 0.4
    assert r.hardware == "h100-sxm"
    assert r.bottleneck == "compute"


def test_failed_below_budget_names_label_hardware_and_figures() -> None:
    # Measured = bound / 0.312, so utilization = 31.2 %.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.312), 0.4)
    assert r.outcome == "failed"
    assert not r.ok
    assert r.utilization == pytest.approx(0.312)
    assert "matmul 1024x1024x1024 bf16" in r.message
    assert "h100-sxm" in r.message
    assert "reached 31.2% of its bound, budget 40.0%" in r.message
    assert "\n" not in r.message


def test_exactly_at_budget_passes() -> None:
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.5), 0.5)
    assert r.outcome == "passed"


def test_impossible_when_faster_than_the_bound() -> None:
    # Twice as fast as the datasheet allows: utilization 200 %.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 2), 0.4)
    assert r.outcome == "impossible"
    assert not r.ok
    assert "faster than the roofline allows" in r.message
    assert "matmul 1024x1024x1024 bf16" in r.message
    assert r.raw_utilization == pytest.approx(2.0)


def test_catalog_hardware_has_no_tolerance_for_beating_the_bound() -> None:
    # Datasheet ceilings carry no uncertainty: even 2 % faster is impossible.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 1.02), None)
    assert r.outcome == "impossible"


def test_unmeasured_without_a_measurement() -> None:
    r = judge(None, 0.4)
    assert r.outcome == "unmeasured"
    assert not r.ok
    assert r.measured_seconds is None
    assert r.utilization is None
    assert r.statistics is None
    assert "without a measurement" in r.message


def test_no_budget_passes_at_any_utilization() -> None:
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS * 1000), None)
    assert r.outcome == "passed"
    assert r.utilization == pytest.approx(0.001)
    assert r.min_utilization is None


# A measured machine: 1 TFLOP/s fp32, 100 GB/s, ceilings known to ±10 %.
UNCERTAIN = Hardware(
    name="measured-box",
    peak_flops={"fp32": "1 TFLOP/s"},
    memory_bandwidth="100 GB/s",
    ceiling_uncertainty=0.1,
    measured=True,
)
# A copy of 10^6 fp32 values moves 2 * 4 * 10^6 bytes and does no FLOPs: memory-bound,
# bound = 8e6 B / 100e9 B/s = 80 µs.
COPY = kernels.copy(1_000_000, "fp32")
COPY_BOUND_SECONDS = 8e6 / 100e9


def test_within_the_ceiling_uncertainty_counts_as_at_the_roof() -> None:
    r = judge(
        Measurement.from_reported(COPY_BOUND_SECONDS / 1.05), 0.9, kernel=COPY, hardware=UNCERTAIN
    )
    assert r.outcome == "passed"
    assert r.utilization == 1.0
    assert r.raw_utilization == pytest.approx(1.05)
    assert r.bottleneck == "memory"


def test_beyond_the_ceiling_uncertainty_is_impossible() -> None:
    r = judge(
        Measurement.from_reported(COPY_BOUND_SECONDS / 1.15), 0.9, kernel=COPY, hardware=UNCERTAIN
    )
    assert r.outcome == "impossible"
    assert r.raw_utilization == pytest.approx(1.15)
    assert "faster than the roofline allows" in r.message


@pytest.mark.parametrize(
    "measurement",
    [
        None,
        Measurement.from_reported(H100_BOUND_SECONDS / 0.312),
        Measurement.from_samples([3e-6, 4e-6, 5e-6, 4.5e-6, 3.5e-6, 6e-6], loops=40),
    ],
)
def test_result_json_round_trip(measurement: Measurement | None) -> None:
    r = judge(measurement, 0.4)
    assert Result.model_validate_json(r.model_dump_json()) == r


def test_result_json_round_trip_of_a_kernel_without_bytes() -> None:
    # A kernel that moves no memory bytes has infinite intensity, stored as null in JSON.
    k = kernels.custom("allreduce", flops=0, bytes=0, network_bytes="1 GB")
    r = judge(Measurement.from_reported(1.0), None, kernel=k)
    assert r.intensity is None
    assert r.bottleneck == "network"
    assert Result.model_validate_json(r.model_dump_json()) == r


def test_details_shows_bound_bottleneck_intensity_and_ridge() -> None:
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.312), 0.4)
    lines = r.details().splitlines()
    by_key = {line.split()[0]: line for line in lines}
    assert "compute-bound" in by_key["bound"]
    # Intensity 1024 / 3 ≈ 341 FLOP/B above the ridge point 989 / 3.35 ≈ 295 FLOP/B.
    assert "341 FLOP/B" in by_key["intensity"]
    assert "above the ridge point 295 FLOP/B" in by_key["intensity"]
    assert "h100-sxm" in by_key["hardware"]
    assert "(reported)" in by_key["measured"]
    assert "31.2%" in by_key["utilization"]
    assert "40.0%" in by_key["utilization"]


def test_details_of_a_memory_bound_kernel_says_below_the_ridge() -> None:
    r = judge(Measurement.from_samples([1e-3] * 6), None, kernel=COPY, hardware=UNCERTAIN)
    text = r.details()
    assert "memory-bound" in text
    # A copy does no FLOPs: intensity 0, below the ridge 1e12 / 100e9 = 10 FLOP/B.
    assert "below the ridge point 10 FLOP/B" in text
    assert "±10% measured" in text
    assert "6 rounds" in text
