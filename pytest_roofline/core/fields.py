"""pydantic field types for quantities: accept "3.35 TB/s" or 3.35e12, hold an SI float.

Apart from :mod:`.units` so that reading and writing a quantity needs no pydantic (the
plugin's header, on every pytest run, formats one).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from pytest_roofline.core.units import (
    BANDWIDTH,
    BYTES,
    FLOP_COUNT,
    FLOP_RATE,
    POWER,
    SECONDS,
    Kind,
    parse,
)


def _validator(kind: Kind) -> BeforeValidator:
    return BeforeValidator(lambda value: parse(value, kind))


# pydantic field types: accept "3.35 TB/s" or 3.35e12, hold an SI float. A hardware rate
# below one FLOP or byte per second is a mistake (a denormal, a unit slip), not a device.
FlopRate = Annotated[float, _validator(FLOP_RATE), Field(ge=1.0)]
FlopCount = Annotated[float, _validator(FLOP_COUNT), Field(ge=0)]
Bandwidth = Annotated[float, _validator(BANDWIDTH), Field(ge=1.0)]
ByteCount = Annotated[float, _validator(BYTES), Field(ge=0)]
PositiveBytes = Annotated[float, _validator(BYTES), Field(gt=0)]
Seconds = Annotated[float, _validator(SECONDS), Field(gt=0)]
Watts = Annotated[float, _validator(POWER), Field(gt=0)]
