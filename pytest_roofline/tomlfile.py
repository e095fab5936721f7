"""TOML reading on every supported Python (``tomllib`` from 3.11, ``tomli`` before)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib as toml
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as toml

from typing import Any

from .errors import DeclarationError

TOMLDecodeError = toml.TOMLDecodeError
loads = toml.loads


def parse(text: str, where: str) -> dict[str, Any]:
    """The table ``text`` holds; malformed TOML is one line naming ``where``."""
    __tracebackhide__ = True
    try:
        data: dict[str, Any] = toml.loads(text)
    except toml.TOMLDecodeError as error:
        raise DeclarationError(f"{where}: not valid TOML: {error}") from None
    return data


__all__ = ["TOMLDecodeError", "loads", "parse"]
