"""Data type names users write, their canonical spelling, and bytes per element."""

from __future__ import annotations

import numpy
import pytest

from pytest_roofline.core.dtypes import (
    DTYPE_BYTES,
    canonical_dtype,
    dtype_bytes,
)
from pytest_roofline.errors import (
    RooflineError,
    UnknownNameError,
)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("float32", "fp32"),
        ("BF16", "bf16"),
        ("bfloat16", "bf16"),
        ("half", "fp16"),
        ("float16", "fp16"),
        ("double", "fp64"),
        ("fp8_e4m3", "fp8"),
        ("float8_e5m2", "fp8"),
        ("  Int8 ", "int8"),
        ("tf32", "tf32"),
        (numpy.float16, "fp16"),
        (numpy.float32, "fp32"),
        (numpy.dtype("float64"), "fp64"),
        (numpy.dtype(numpy.int8), "int8"),
    ],
)
def test_canonical_names_and_aliases(given, canonical: str) -> None:
    assert canonical_dtype(given) == canonical


@pytest.mark.parametrize("name", sorted(DTYPE_BYTES))
def test_canonical_names_are_fixed_points(name: str) -> None:
    assert canonical_dtype(name) == name
    assert canonical_dtype(name.upper()) == name


# Sizes from the IEEE 754 formats (binary64/32/16), bfloat16 and OCP FP8/FP4 specs; TF32 is
# held in 32-bit registers and memory (NVIDIA A100 whitepaper); 4-bit types pack two
# elements per byte.
@pytest.mark.parametrize(
    ("dtype", "size"),
    [
        ("fp64", 8),
        ("fp32", 4),
        ("tf32", 4),
        ("bf16", 2),
        ("fp16", 2),
        ("fp8", 1),
        ("int8", 1),
        ("int4", 0.5),
        ("fp4", 0.5),
    ],
)
def test_byte_sizes(dtype: str, size: float) -> None:
    assert dtype_bytes(dtype) == size


def test_byte_sizes_agree_with_numpy() -> None:
    for name in ("float64", "float32", "float16", "int8"):
        assert dtype_bytes(name) == numpy.dtype(name).itemsize


def test_aliases_give_the_same_size() -> None:
    assert dtype_bytes("half") == dtype_bytes("fp16") == 2
    assert dtype_bytes("float32") == dtype_bytes("FP32") == 4


def test_unknown_dtype_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownNameError) as info:
        canonical_dtype("fp33")
    error = info.value
    assert "'fp33'" in str(error)
    assert "'fp32'" in str(error)
    assert "fp32" in error.suggestions
    assert "\n" not in str(error)


def test_unknown_dtype_is_a_roofline_error() -> None:
    with pytest.raises(RooflineError, match="complex"):
        dtype_bytes("complex128")


def test_unknown_non_string_dtype_is_rejected() -> None:
    with pytest.raises(UnknownNameError):
        canonical_dtype(numpy.complex64)
