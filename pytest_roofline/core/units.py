"""Quantities with units at the edges, SI floats inside.

Users write ``"989 TFLOP/s"``, ``"3.35 TB/s"``, ``"80 GiB"`` or ``"1.2 ms"``; every formula
works on plain SI floats (FLOP/s, bytes/s, bytes, seconds). This module is the only place
where a conversion factor lives.

Decimal prefixes (k, M, G, T, P, E) are powers of 1000 and binary prefixes (Ki, Mi, Gi,
Ti, Pi) powers of 1024, as datasheets use them: a "3.35 TB/s" HBM3 stack moves 3.35e12
bytes per second. ``B`` is a byte and ``b`` a bit ("200 Gb/s" is 25e9 bytes/s).

>>> parse("989 TFLOP/s", FLOP_RATE)
989000000000000.0
>>> parse("80 GiB", BYTES)
85899345920.0
>>> format_quantity(3.35e12, BANDWIDTH)
'3.35 TB/s'
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_roofline.errors import (
    UnitError,
    cut,
)


@dataclass(frozen=True)
class Kind:
    """A physical kind of quantity: its SI unit and the spellings users write for it."""

    name: str
    unit: str
    # spelling (as typed, compared case-sensitively after the prefix) -> factor to SI
    spellings: dict[str, float]
    binary_prefixes: bool


FLOP_RATE = Kind(
    "FLOP rate",
    "FLOP/s",
    {"FLOP/s": 1, "FLOPS": 1, "flop/s": 1, "FLOPs/s": 1, "OP/s": 1, "OPS": 1, "op/s": 1},
    binary_prefixes=False,
)
FLOP_COUNT = Kind(
    "FLOP count",
    "FLOP",
    {"FLOP": 1, "FLOPs": 1, "flop": 1, "flops": 1, "OP": 1, "OPs": 1, "": 1},
    binary_prefixes=False,
)
BANDWIDTH = Kind(
    "bandwidth",
    "B/s",
    {"B/s": 1, "Bps": 1, "byte/s": 1, "bytes/s": 1, "b/s": 1 / 8, "bit/s": 1 / 8, "bps": 1 / 8},
    binary_prefixes=True,
)
BYTES = Kind(
    "size in bytes",
    "B",
    {"B": 1, "byte": 1, "bytes": 1, "b": 1 / 8, "bit": 1 / 8, "bits": 1 / 8, "": 1},
    binary_prefixes=True,
)
POWER = Kind("power", "W", {"W": 1, "watt": 1, "watts": 1}, binary_prefixes=False)
SECONDS = Kind(
    "time",
    "s",
    {
        "s": 1,
        "sec": 1,
        "second": 1,
        "seconds": 1,
        "ms": 1e-3,
        "us": 1e-6,
        "µs": 1e-6,
        "μs": 1e-6,
        "ns": 1e-9,
        "min": 60.0,
    },
    binary_prefixes=False,
)
TOKEN_RATE = Kind(
    "token rate",
    "tokens/s",
    {"tokens/s": 1, "token/s": 1, "tok/s": 1},
    binary_prefixes=False,
)

MAX_COUNT = 2**53
"""The largest size or count a declaration takes: floats count integers exactly up to
here, and every FLOP and byte count is a float."""

DECIMAL_PREFIXES = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
}
BINARY_PREFIXES = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


_LONGEST_FIRST = {
    binary: sorted(
        (
            (p, f)
            for p, f in {**DECIMAL_PREFIXES, **(BINARY_PREFIXES if binary else {})}.items()
            if p
        ),
        key=lambda item: len(item[0]),
        reverse=True,
    )
    for binary in (False, True)
}
"""(prefix, factor), longest first ("Ki" before "K"), without and with binary prefixes:
sorted once, as every quantity written with units in a test file is parsed through it."""


def _unit_factor(unit: str, kind: Kind) -> float | None:
    """The SI factor of ``unit`` for ``kind`` ("TB/s" -> 1e12), or None if not a unit of it."""
    if unit in kind.spellings:
        return kind.spellings[unit]
    for prefix, factor in _LONGEST_FIRST[kind.binary_prefixes]:
        if unit.startswith(prefix):
            rest = unit[len(prefix) :]
            if rest and rest in kind.spellings:
                return factor * kind.spellings[rest]
    return None


def parse(value: str | float | int, kind: Kind) -> float:
    """Read a quantity of ``kind`` as an SI float; plain numbers (and strings holding
    only a number, as command-line options and ini values arrive) are taken as SI.

    Raises :class:`UnitError` with the value and the units expected when it cannot.
    """
    if isinstance(value, bool):
        raise UnitError(
            f"expected a {kind.name} such as '2 {_example_unit(kind)}', got {cut(value)}"
        )
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise UnitError(f"a {kind.name} of {cut(value, 40)} is too large") from None
    elif isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None:
            raise UnitError(
                f"cannot read {cut(value)} as a {kind.name}: expected a number and a unit,"
                f" e.g. '2 {_example_unit(kind)}'"
            )
        factor = _unit_factor(match.group(2), kind) if match.group(2) else 1.0
        if factor is None:
            raise UnitError(
                f"unknown unit {cut(match.group(2), 30)} in {cut(value)} for a {kind.name};"
                f" expected {kind.unit} with an SI prefix, e.g. '2 {_example_unit(kind)}'"
            )
        number = float(match.group(1)) * factor
    else:
        raise UnitError(f"expected a {kind.name} as a number or a string, got {cut(value)}")
    if not math.isfinite(number):
        raise UnitError(f"a {kind.name} must be finite, got {cut(value)}")
    return number


def real(value: object) -> float | None:
    """``value`` as a float when it is a real number (an int, a float, a numpy scalar; not
    a bool), else None. An integer too large for a float is infinity, so every range
    check refuses it, where ``float()`` would raise an OverflowError from deep inside."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:
        if isinstance(value, int):  # the only kind of number that overflows a float
            return -math.inf if value < 0 else math.inf
        raise


def _example_unit(kind: Kind) -> str:
    examples = {"FLOP/s": "TFLOP/s", "B/s": "TB/s", "B": "GB", "s": "ms", "FLOP": "GFLOP"}
    return examples.get(kind.unit, kind.unit)


def format_quantity(value: float, kind: Kind, digits: int = 3) -> str:
    """Print an SI float with the largest decimal prefix that keeps it >= 1: '3.35 TB/s'."""
    if kind is SECONDS:
        return format_seconds(value, digits)
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {kind.unit}"
    for prefix in ("E", "P", "T", "G", "M", "k"):
        if abs(value) >= DECIMAL_PREFIXES[prefix]:
            return f"{value / DECIMAL_PREFIXES[prefix]:.{digits}g} {prefix}{kind.unit}"
    return f"{value:.{digits}g} {kind.unit}"


def format_seconds(value: float, digits: int = 3) -> str:
    """Print a duration in s, ms, µs or ns: '1.2 ms'."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} s"
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g} {unit}"
    return f"{value / 1e-9:.{digits}g} ns"


PERCENT_CAP = 9.9995
"""From this fraction up a percentage prints as '>999%': one decimal would round it to
1000.0 % or more. A figure that large comes from a wrong declaration, and its digits
would only widen a column."""


def percent(fraction: float | None, missing: str = "-") -> str:
    """A fraction as a percentage with one decimal; '>999%' from :data:`PERCENT_CAP` up.

    >>> percent(0.229), percent(None), percent(12.0)
    ('22.9%', '-', '>999%')
    """
    if fraction is None or math.isnan(fraction):
        return missing
    return ">999%" if fraction >= PERCENT_CAP else f"{fraction:.1%}"


def uncertainty(fraction: float) -> str:
    """The ceilings' relative uncertainty, to the whole percent: '±10%'.

    Whole percents because the figure is itself an estimate; a decimal would claim more.
    """
    return f"±{fraction:.0%}"


def number(value: Any) -> float | None:
    """A finite JSON number as a float; None for anything else (null, a string, a bool).

    Reports are rendered from JSON documents, which a user may have cut down by hand: a
    figure that is not a number shows as missing rather than breaking the rendering.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def hardware_line(
    spec: Mapping[str, Any], *, name: str = "", dtypes: Collection[str] | None = None
) -> str:
    """A device in one line, as headers and reports show it: the peak of each dtype, each
    memory level's bandwidth, main memory, and the ceilings' uncertainty when measured.

    ``spec`` is ``Hardware.model_dump()`` or a result's ``hardware_spec``; ``dtypes``
    keeps only those peaks (a header names bf16 and fp32 of a catalog device); with
    ``name`` the figures go in brackets after it. Figures that are not numbers (a report
    cut down by hand) are left out.

    >>> hardware_line({"peak_flops": {"fp32": 1.85e11}, "memory_bandwidth": 2.4e10,
    ...                "ceiling_uncertainty": 0.1}, name="local")
    'local (fp32 185 GFLOP/s, memory 24 GB/s, ±10%)'
    """
    parts = [
        f"{dtype} {format_quantity(peak, FLOP_RATE)}"
        for dtype, peak in _figures(spec.get("peak_flops"))
        if dtypes is None or dtype in dtypes
    ]
    levels = spec.get("memory_levels") or ()
    parts += [
        f"{level.get('name', 'cache')} {format_quantity(bandwidth, BANDWIDTH)}"
        for level in levels
        if isinstance(level, Mapping) and (bandwidth := number(level.get("bandwidth")))
    ]
    memory = number(spec.get("memory_bandwidth"))
    if memory is not None:
        parts.append(f"memory {format_quantity(memory, BANDWIDTH)}")
    spread = number(spec.get("ceiling_uncertainty"))
    if spread:
        parts.append(uncertainty(spread))
    text = ", ".join(parts)
    if not name:
        return text
    return f"{name} ({text})" if text else name


def _figures(table: Any) -> list[tuple[str, float]]:
    """The (key, number) pairs of a JSON table of figures, skipping what is not a number."""
    if not isinstance(table, Mapping):
        return []
    return [(str(key), value) for key, raw in table.items() if (value := number(raw)) is not None]


__all__ = [
    "BANDWIDTH",
    "BYTES",
    "FLOP_COUNT",
    "FLOP_RATE",
    "MAX_COUNT",
    "PERCENT_CAP",
    "POWER",
    "SECONDS",
    "TOKEN_RATE",
    "Kind",
    "format_quantity",
    "format_seconds",
    "hardware_line",
    "number",
    "parse",
    "percent",
    "real",
    "uncertainty",
]
