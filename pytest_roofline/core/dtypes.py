"""Data types a kernel computes in, their canonical names and their sizes in bytes.

Peak throughput and bytes moved both depend on the data type, so every kernel names one.
Users may write the names they already use (``"float32"``, ``"half"``, ``numpy.float16``);
inside, one canonical spelling per type keys the hardware tables.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from pytest_roofline.errors import UnknownNameError

# Canonical name -> bytes per element. tf32 is stored in 32-bit registers and memory;
# the 4-bit types pack two elements per byte.
DTYPE_BYTES: dict[str, float] = {
    "fp64": 8,
    "fp32": 4,
    "tf32": 4,
    "bf16": 2,
    "fp16": 2,
    "fp8": 1,
    "int8": 1,
    "fp4": 0.5,
    "int4": 0.5,
}

ALIASES: dict[str, str] = {
    "float64": "fp64",
    "double": "fp64",
    "f64": "fp64",
    "float": "fp32",
    "float32": "fp32",
    "single": "fp32",
    "f32": "fp32",
    "tensorfloat32": "tf32",
    "tensor-float-32": "tf32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "f16": "fp16",
    "float8": "fp8",
    "fp8-e4m3": "fp8",
    "fp8-e5m2": "fp8",
    "e4m3": "fp8",
    "e5m2": "fp8",
    "float8_e4m3fn": "fp8",
    "float8_e5m2": "fp8",
    "i8": "int8",
    "uint8": "int8",
    "i4": "int4",
    "float4": "fp4",
    "nvfp4": "fp4",
    "mxfp4": "fp4",
}


def canonical_dtype(value: Any) -> str:
    """The canonical name of a dtype given as a string, a numpy dtype or a numpy type.

    >>> canonical_dtype("float32"), canonical_dtype("BF16")
    ('fp32', 'bf16')
    """
    __tracebackhide__ = True
    if type(value) is str and value in DTYPE_BYTES:
        return value  # already canonical: every kernel's dtype, looked up per test
    if not isinstance(value, str):
        name: object = getattr(value, "name", None) or getattr(value, "__name__", None)
        if name is None:
            try:
                import numpy

                name = numpy.dtype(value).name
            except TypeError:
                name = repr(value)
        value = str(name)
    text: str = value
    key = text.strip().lower()
    for spelling in (key, key.replace("_", "-"), key.replace("-", "_")):
        if spelling in DTYPE_BYTES:
            return spelling
        if spelling in ALIASES:
            return ALIASES[spelling]
    raise UnknownNameError("dtype", text, list(DTYPE_BYTES) + list(ALIASES))


def dtype_bytes(dtype: str) -> float:
    """Bytes per element of ``dtype`` (0.5 for the 4-bit types)."""
    __tracebackhide__ = True
    return DTYPE_BYTES[canonical_dtype(dtype)]


DType = Annotated[str, BeforeValidator(canonical_dtype)]
"""A pydantic field type holding a canonical dtype name."""
