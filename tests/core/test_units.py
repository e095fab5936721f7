"""Quantities with units: parsing datasheet spellings into SI floats and printing them back."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_COUNT,
    FLOP_RATE,
    SECONDS,
    TOKEN_RATE,
    format_quantity,
    format_seconds,
    parse,
)
from pytest_roofline.errors import (
    RooflineError,
    UnitError,
)

ALL_KINDS = [FLOP_RATE, FLOP_COUNT, BANDWIDTH, BYTES, SECONDS, TOKEN_RATE]


# Expected values are worked by hand from SI prefixes (k=1e3 ... E=1e18), IEC binary
# prefixes (Ki=2**10 ... Pi=2**50) and 8 bits per byte.
@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # NVIDIA H100 SXM datasheet: 989 TFLOP/s dense BF16, 3.35 TB/s HBM3.
        ("989 TFLOP/s", FLOP_RATE, 989e12),
        ("3.35 TB/s", BANDWIDTH, 3.35e12),
        ("2 TB/s", BANDWIDTH, 2e12),
        ("80 GB", BYTES, 80e9),
        ("80 GiB", BYTES, 80 * 2**30),
        # NVIDIA H100 datasheet: NVLink 900 GB/s both directions, so 450 GB/s each way.
        ("450 GB/s", BANDWIDTH, 450e9),
        ("1.2 ms", SECONDS, 1.2e-3),
        # Reference notes, "NUMA effect": 200 Gb/s network = 25 GB/s.
        ("200 Gb/s", BANDWIDTH, 25e9),
        ("1979 TOPS", FLOP_RATE, 1979e12),
        ("2 GFLOP", FLOP_COUNT, 2e9),
        ("12 MB", BYTES, 12e6),
        ("  7 kB  ", BYTES, 7e3),
        ("1.5e3 GB/s", BANDWIDTH, 1.5e12),
        ("500 us", SECONDS, 500e-6),
        ("3 ns", SECONDS, 3e-9),
        ("2 min", SECONDS, 120.0),
        ("1 KiB", BYTES, 1024.0),
        ("300 tokens/s", TOKEN_RATE, 300.0),
    ],
)
def test_parse_reads_datasheet_spellings(text: str, kind, expected: float) -> None:
    assert parse(text, kind) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value", [0.0, 1.0, 3.35e12, 989e12, 1e-9, 42])
@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
def test_plain_numbers_are_taken_as_si(value: float, kind) -> None:
    result = parse(value, kind)
    assert result == value
    assert isinstance(result, float)


def test_bits_and_bytes_differ_by_eight() -> None:
    assert parse("8 Gb/s", BANDWIDTH) == pytest.approx(1e9)
    assert parse("8 GB/s", BANDWIDTH) == pytest.approx(8e9)
    assert parse("16 bits", BYTES) == pytest.approx(2.0)


def test_binary_and_decimal_prefixes_differ() -> None:
    # 80 GiB is 7.4 % more than 80 GB: a catalog that confuses them is off by that much.
    assert parse("80 GiB", BYTES) / parse("80 GB", BYTES) == pytest.approx(2**30 / 1e9)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("3 TB/x", BANDWIDTH),
        ("fast", BANDWIDTH),
        ("", BANDWIDTH),
        (True, BANDWIDTH),
        (None, BANDWIDTH),
        ("inf TB/s", BANDWIDTH),
        ("nan GB", BYTES),
        ("3 TB/s", FLOP_RATE),
        ("1.2 GB", SECONDS),
        ("2 GiFLOP", FLOP_COUNT),
        (float("inf"), BANDWIDTH),
        (float("nan"), BYTES),
        ([3.35e12], BANDWIDTH),
    ],
)
def test_malformed_input_raises_unit_error_naming_the_value(value, kind) -> None:
    with pytest.raises(UnitError) as info:
        parse(value, kind)
    message = str(info.value)
    assert repr(value) in message
    assert "\n" not in message


def test_unit_error_is_a_roofline_error_and_a_value_error() -> None:
    with pytest.raises(RooflineError):
        parse("3 TB/x", BANDWIDTH)
    with pytest.raises(ValueError, match="TB/x"):
        parse("3 TB/x", BANDWIDTH)


def test_unknown_unit_message_names_the_expected_unit() -> None:
    with pytest.raises(UnitError, match=r"B/s"):
        parse("3 TB/x", BANDWIDTH)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (3.35e12, BANDWIDTH, "3.35 TB/s"),
        (989e12, FLOP_RATE, "989 TFLOP/s"),
        (80e9, BYTES, "80 GB"),
        (450e9, BANDWIDTH, "450 GB/s"),
        (2e9, FLOP_COUNT, "2 GFLOP"),
        (1.5e3, TOKEN_RATE, "1.5 ktokens/s"),
        (512.0, BYTES, "512 B"),
        (0.0, BYTES, "0 B"),
        (1.2e-3, SECONDS, "1.2 ms"),
    ],
)
def test_format_quantity(value: float, kind, expected: str) -> None:
    assert format_quantity(value, kind) == expected


def test_format_quantity_digits() -> None:
    assert format_quantity(3.3456e12, BANDWIDTH) == "3.35 TB/s"
    assert format_quantity(3.3456e12, BANDWIDTH, digits=5) == "3.3456 TB/s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, "2.5 s"),
        (1.2e-3, "1.2 ms"),
        (5e-7, "500 ns"),
        (42e-6, "42 µs"),
        (3e-9, "3 ns"),
        (0.0, "0 s"),
    ],
)
def test_format_seconds(value: float, expected: str) -> None:
    assert format_seconds(value) == expected


def test_format_seconds_reads_back() -> None:
    for value in (2.5, 1.2e-3, 42e-6, 3e-9):
        assert parse(format_seconds(value), SECONDS) == pytest.approx(value)


positive_finite = st.floats(
    min_value=0.0, exclude_min=True, allow_nan=False, allow_infinity=False, allow_subnormal=False
)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
@given(value=positive_finite)
def test_format_then_parse_round_trips(kind, value: float) -> None:
    text = format_quantity(value, kind, digits=12)
    back = parse(text, kind)
    assert math.isfinite(back)
    assert back == pytest.approx(value, rel=1e-10)


def test_a_string_holding_only_a_number_is_si() -> None:
    # Command-line options and ini values arrive as strings: "--roofline-max-time 0.5"
    # is half a second, as the number 0.5 is.
    from pytest_roofline.core.units import (
        FLOP_RATE,
        SECONDS,
        parse,
    )

    assert parse("0.5", SECONDS) == 0.5
    assert parse(" 989e12 ", FLOP_RATE) == 989e12
    assert parse("-1", SECONDS) == -1.0  # the caller decides what a negative time means
