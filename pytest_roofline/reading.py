"""Every file the plugin or the ``roofline`` command reads, read with bounds.

A report, baseline, engine result, hardware TOML or HF ``config.json`` can be whatever a
broken CI job left behind: empty, binary, truncated, a log of gigabytes, a hundred
thousand nested brackets, a number of four hundred digits. Python's readers answer those
with a UnicodeDecodeError, a RecursionError or an OverflowError from deep inside, or
with a float that is infinite and breaks the JSON written at the end of the run. Here
each is one :class:`FileError` line that names the file and what is wrong with it:

- **size**: at most :data:`MAX_BYTES`;
- **encoding**: UTF-8 (a byte-order mark is allowed), else "not text";
- **depth**: nesting Python's parsers can follow, else "nested too deeply";
- **numbers**: finite, and integers of at most :data:`MAX_DIGITS` digits (a float
  ends near 1.8e308), so every number read can become a float.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from . import tomlfile
from .errors import FileError, cut

MAX_BYTES = 256 * 2**20
"""The largest file read: a vLLM result with per-request lists for 100,000 requests is
tens of megabytes; a file far larger is a mistake (a log, a model's weights)."""
MAX_DIGITS = 300
"""Integers with more digits than this cannot become floats (1e308 is about the largest)."""


def read_text(path: Path, what: str) -> str:
    """The text of ``path``, ``what`` it should be ("engine result", "baseline") naming
    it in errors: missing, not a file, unreadable, too large, or not UTF-8."""
    __tracebackhide__ = True
    try:
        if path.is_dir():
            raise FileError(f"{path}: is a folder, not a {what} file")
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FileError(f"{path}: no such {what} file") from None
    except OSError as error:
        raise FileError(f"{path}: cannot read the {what}: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise FileError(
            f"{path}: larger than {MAX_BYTES // 2**20} MiB; is it really a {what} file?"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(
            f"{path}: not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start});"
            f" is it really a {what} file?"
        ) from None


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _NumberError(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError(f"the number {cut(text, 40)}, beyond what a float holds")
    return value


def _constant(text: str) -> float:
    raise _NumberError(f"{text}, which is not a number JSON allows")


class _NumberError(ValueError):
    """A number the parser met that no figure can be (raised from its hooks)."""


def parse_json(text: str, where: str, *, finite: bool = True) -> Any:
    """The JSON value ``text`` holds; ``where`` names it in errors (a file, "file:line").

    ``finite=False`` lets ``NaN``, ``Infinity`` and floats beyond range through as float
    infinities and NaN: engines write them (SGLang's ``Infinity`` for an unlimited
    concurrency), and their readers check each figure they use.
    """
    __tracebackhide__ = True
    hooks: dict[str, Any] = {"parse_int": _int}
    if finite:
        hooks.update(parse_float=_float, parse_constant=_constant)
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as error:
        raise FileError(
            f"{where}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except _NumberError as error:
        raise FileError(f"{where}: holds {error}") from None
    except RecursionError:
        raise FileError(f"{where}: nested too deeply") from None


def read_json(path: Path, what: str) -> Any:
    """The JSON value in the file at ``path`` (see :func:`read_text` and :func:`parse_json`)."""
    __tracebackhide__ = True
    return parse_json(read_text(path, what), str(path))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """The table ``text`` holds, its numbers checked as JSON's are."""
    __tracebackhide__ = True
    try:
        data: dict[str, Any] = tomlfile.loads(text, parse_float=_float)
    except tomlfile.TOMLDecodeError as error:
        raise FileError(f"{where}: not valid TOML: {error}") from None
    except _NumberError as error:
        raise FileError(f"{where}: holds {error}") from None
    except RecursionError:
        raise FileError(f"{where}: nested too deeply") from None
    _check_integers(data, where, "")
    return data


def _check_integers(value: Any, where: str, key: str) -> None:
    """TOML's integers have no parser hook: walk the table for ones no float can hold."""
    if isinstance(value, dict):
        for name, inner in value.items():
            _check_integers(inner, where, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_integers(inner, where, f"{key}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
        raise FileError(f"{where}: {key} is an integer too large to be a figure")


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The table in the TOML file at ``path``."""
    __tracebackhide__ = True
    return parse_toml(read_text(path, what), str(path))
