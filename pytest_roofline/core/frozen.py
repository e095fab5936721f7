"""The base of every specification a user declares: frozen, strict, one-line errors.

Kernels, hardware and serving configurations are values: frozen so that a bound computed
from one cannot go stale, ``extra="forbid"`` so that a misspelt field is an error rather
than silently ignored, and constructed with errors that read as one line naming the
class and field (see :func:`pytest_roofline.errors.one_line`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pytest_roofline.errors import (
    DeclarationError,
    cut,
    one_line,
)


class Spec(BaseModel):
    """A frozen pydantic model whose validation errors are one-line ``DeclarationError``s."""

    # allow_inf_nan=False: an infinite or NaN figure would reach the bound, the verdict and
    # the JSON written at the end of the run, where it would cost every test its result.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )

    def __init__(self, /, **data: Any) -> None:
        __tracebackhide__ = True
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise one_line(self._describe(data), error, type(self).model_fields) from None

    @classmethod
    def _describe(cls, data: dict[str, Any]) -> str:
        """How an error message names the object: the class and, when given, its name."""
        name = data.get("name")
        return f"{cls.__name__} {cut(name)}" if isinstance(name, str) else cls.__name__

    @classmethod
    def from_data(cls, data: Any, where: str = "") -> Any:
        """Validate a mapping (from TOML or JSON), naming ``where`` it came from on error."""
        __tracebackhide__ = True
        if not isinstance(data, dict):
            owner = f"{where}: {cls.__name__}" if where else cls.__name__
            raise DeclarationError(f"{owner}: expected a table of fields, got {cut(data)}")
        try:
            return cls(**data)
        except DeclarationError as error:
            raise DeclarationError(f"{where}: {error}" if where else str(error)) from None
