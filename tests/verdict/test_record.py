"""Verdicts (verdict/record.py): evaluate() turns a bound, a measurement and a budget into
a Result; the verdict rests on a figure noise cannot drag down, shown with its interval."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from pytest_roofline import Hardware, Measurement, Result, bound, kernels

# matmul 1024^3 in bf16: 2 * 1024^3 FLOPs over 2 B * 3 * 1024^2 bytes (reference notes,
# "Matrix Multiplication"); intensity 1024 / 3 ≈ 341 FLOP/B.
KERNEL = kernels.matmul(1024, 1024, 1024, "bf16")
FLOPS = 2 * 1024**3
BYTES = 2 * 3 * 1024**2
# H100 SXM datasheet: 989 TFLOP/s dense bf16, 3.35 TB/s HBM3; the ridge point is
# 989e12 / 3.35e12 ≈ 295 FLOP/B, below 341, so the kernel is compute-bound and its bound
# is FLOPs / peak (Williams, Waterman and Patterson, "Roofline", CACM 2009).
H100_BOUND_SECONDS = FLOPS / 989e12


@pytest.fixture
def judge(make_result: Callable[..., Result]) -> Callable[..., Result]:
    """The verdict on a measurement of ``KERNEL`` (or ``kernel=``) on the H100 SXM."""
    return functools.partial(make_result, kernel=KERNEL)


def test_the_bound_is_the_hand_computed_one() -> None:
    b = bound(KERNEL, "h100-sxm")
    assert b.seconds == pytest.approx(H100_BOUND_SECONDS)
    assert b.bottleneck == "compute"


def test_a_zero_median_is_unmeasured_not_a_division_by_zero(judge) -> None:
    """A Measurement built by hand may hold a zero time; it judges nothing."""
    zero = Measurement(
        rounds=1, loops=1, median=0.0, min=0.0, mean=0.0, iqr=0.0, p10=0.0,
        ci_low=0.0, ci_high=0.0, cv=0.0,
    )  # fmt: skip
    result = judge(zero, 0.4)
    assert result.outcome == "unmeasured"
    assert result.utilization is None
    assert result.utilization_ci is None


def test_passed_above_budget(judge) -> None:
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


def test_failed_below_budget_names_label_hardware_and_figures(judge) -> None:
    # Measured = bound / 0.312, so utilization = 31.2 %.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.312), 0.4)
    assert r.outcome == "failed"
    assert not r.ok
    assert r.utilization == pytest.approx(0.312)
    assert "matmul 1024x1024x1024 bf16" in r.message
    assert "h100-sxm" in r.message
    assert "reached 31.2% of its bound, budget 40.0%" in r.message
    assert "\n" not in r.message


def test_exactly_at_budget_passes(judge) -> None:
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.5), 0.5)
    assert r.outcome == "passed"


def test_impossible_when_faster_than_the_bound(judge) -> None:
    # Twice as fast as the datasheet allows: utilization 200 %.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 2), 0.4)
    assert r.outcome == "impossible"
    assert not r.ok
    assert "faster than the roofline allows" in r.message
    assert "matmul 1024x1024x1024 bf16" in r.message
    assert r.raw_utilization == pytest.approx(2.0)


def test_catalog_hardware_has_no_tolerance_for_beating_the_bound(judge) -> None:
    # Datasheet ceilings carry no uncertainty: even 2 % faster is impossible.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 1.02), None)
    assert r.outcome == "impossible"


def test_unmeasured_without_a_measurement(judge) -> None:
    r = judge(None, 0.4)
    assert r.outcome == "unmeasured"
    assert not r.ok
    assert r.measured_seconds is None
    assert r.utilization is None
    assert r.statistics is None
    assert "without a measurement" in r.message


def test_no_budget_passes_at_any_utilization(judge) -> None:
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


def test_within_the_ceiling_uncertainty_counts_as_at_the_roof(judge) -> None:
    r = judge(
        Measurement.from_reported(COPY_BOUND_SECONDS / 1.05), 0.9, kernel=COPY, hardware=UNCERTAIN
    )
    assert r.outcome == "passed"
    assert r.utilization == 1.0
    assert r.raw_utilization == pytest.approx(1.05)
    assert r.bottleneck == "memory"


def test_beyond_the_ceiling_uncertainty_is_impossible(judge) -> None:
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
def test_result_json_round_trip(measurement: Measurement | None, judge) -> None:
    r = judge(measurement, 0.4)
    assert Result.model_validate_json(r.model_dump_json()) == r


def test_result_json_round_trip_of_a_kernel_without_bytes(judge) -> None:
    # A kernel that moves no memory bytes has infinite intensity, stored as null in JSON.
    k = kernels.custom("allreduce", flops=0, bytes=0, network_bytes="1 GB")
    r = judge(Measurement.from_reported(1.0), None, kernel=k)
    assert r.intensity is None
    assert r.bottleneck == "network"
    assert Result.model_validate_json(r.model_dump_json()) == r


def test_details_shows_bound_bottleneck_intensity_and_ridge(judge) -> None:
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


def test_details_show_the_rates_achieved_beside_the_roofs(judge) -> None:
    # At 31.2 % of the bound: 2 * 1024^3 FLOPs in H100_BOUND_SECONDS / 0.312 is
    # 0.312 * 989 TFLOP/s = 309 TFLOP/s, and the 6 MiB moved meanwhile are that rate
    # over the intensity 341.3 FLOP/B: 309e12 / 341.3 = 904 GB/s, 904 / 3350 = 27.0 % of
    # the HBM roof.
    r = judge(Measurement.from_reported(H100_BOUND_SECONDS / 0.312), 0.4)
    by_key = {line.split()[0]: line for line in r.details().splitlines()}
    assert by_key["achieved"] == (
        "achieved     309 TFLOP/s of the 989 TFLOP/s roof (31.2%),"
        " 904 GB/s of the 3.35 TB/s roof (27.0%)"
    )


def test_a_wide_spread_of_rounds_is_explained(judge) -> None:
    quiet = judge(Measurement.from_samples([1e-3] * 12), None)
    assert "CV 0.0% (the rounds' spread)," in quiet.details()
    noisy = judge(Measurement.from_samples([1e-3] * 10 + [2e-2] * 2), None)
    assert "(the rounds' spread: some ran far slower, as a neighbour's load makes" in (
        noisy.details()
    )


def test_details_of_a_memory_bound_kernel_says_below_the_ridge(judge) -> None:
    r = judge(Measurement.from_samples([1e-3] * 6), None, kernel=COPY, hardware=UNCERTAIN)
    text = r.details()
    assert "memory-bound" in text
    # A copy does no FLOPs: intensity 0, below the ridge 1e12 / 100e9 = 10 FLOP/B.
    assert "below the ridge point 10 FLOP/B" in text
    assert "memory 100 GB/s, ±10%)" in text
    assert "6 rounds" in text


# matmul 1024^3 fp32 on an H100 SXM: 2 * 1024**3 / 67e12 = 32.05 µs (NVIDIA datasheet);
# make_result's kernel and hardware unless told otherwise.
BOUND = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm")


@pytest.fixture
def judged(make_result: Callable[..., Result]) -> Callable[..., Result]:
    """The verdict on rounds of the given durations, against a budget of 40 %."""

    def verdict(samples: list[float], budget: float | None = 0.4) -> Result:
        return make_result(Measurement.from_samples(samples), budget)

    return verdict


def test_a_failure_rests_on_the_best_stretch(judged) -> None:
    t = BOUND.seconds
    assert judged([2 * t] * 20).outcome == "passed"
    # Rounds at 3x the bound in every window: 33 % in the best stretch, below 40 %.
    result = judged([3 * t] * 20)
    assert result.outcome == "failed"
    assert result.verdict_figure == "best stretch"
    assert result.utilization == pytest.approx(1 / 3)
    assert result.utilization_ci == pytest.approx((1 / 3, 1 / 3))
    assert (
        "reached 33.3% of its bound in its best stretch, budget 40.0%;"
        " median 33.3% (95% CI 33.3%-33.3%)" in result.message
    )


def test_a_neighbours_burst_cannot_fail_a_test_whose_best_stretch_reaches_the_budget(
    make_result,
) -> None:
    # A measurement and a re-measurement, 12 windows of 4 rounds: a burst of load slows
    # the first six windows to 4x the bound (25 %); the next six run at 2x (50 %). The
    # median (3x, 33 %) is below a 40 % budget; the best stretch, the lowest median of
    # six windows in a row, is what the code can do, and noise only slows.
    t = BOUND.seconds
    measurement = Measurement.from_samples([4 * t] * 24 + [2 * t] * 24, window_sizes=[4] * 12)
    result = make_result(measurement, 0.4)
    assert result.median_utilization == pytest.approx(1 / 3)
    assert result.utilization == pytest.approx(0.5)
    assert result.measured_seconds == pytest.approx(2 * t)
    assert result.verdict_figure == "best stretch"
    assert result.outcome == "passed"
    # The interval comes from the 12 windows (not the 48 rounds as if independent): for
    # 12 it is the 3rd to the 10th fastest window (Conover, table A3), 25 %-50 %.
    low, high = result.utilization_ci
    assert (low, high) == pytest.approx((0.25, 0.5))
    assert low <= result.median_utilization <= high


def test_a_lone_fast_window_is_not_the_verdict(make_result) -> None:
    # Five windows at 2.5x the bound and one at 1x: the best window reads 100 %, the best
    # stretch (the median of the six) 40 %.
    t = BOUND.seconds
    measurement = Measurement.from_samples([2.5 * t] * 20 + [t] * 4, window_sizes=[4] * 6)
    assert measurement.best_window == pytest.approx(t)
    result = make_result(measurement, 0.5)
    assert result.utilization == pytest.approx(0.4)
    assert result.outcome == "failed"


def test_a_value_is_never_shown_outside_its_own_interval(make_result) -> None:
    # A stretch faster than the bound within the ceilings' uncertainty is capped at the
    # roof, and the message says so beside the raw figure; the median's interval is not
    # capped, so the median stays inside it.
    t = BOUND.seconds
    measurement = Measurement.from_samples([0.95 * t] * 24 + [1.5 * t] * 12, window_sizes=[4] * 9)
    result = make_result(
        measurement, 0.4, bound_=BOUND.model_copy(update={"ceiling_uncertainty": 0.1})
    )
    assert result.outcome == "passed"
    assert result.utilization == 1.0
    assert result.raw_utilization == pytest.approx(1 / 0.95)
    assert "reached 100.0% (capped at the roof: 105.3% measured) of its bound" in result.message
    low, high = result.utilization_ci
    assert low <= result.median_utilization <= high
    assert f"median {result.median_utilization:.1%} (95% CI {low:.1%}-{high:.1%})" in result.message


def test_impossible_needs_even_the_slowest_plausible_round_faster(judged) -> None:
    t = BOUND.seconds
    assert judged([0.5 * t] * 20, None).outcome == "impossible"
    # Half the rounds faster than the bound, half slower: not evidence of impossibility.
    mixed = [0.9 * t] * 10 + [1.2 * t] * 10
    assert judged(mixed, None).outcome == "passed"
