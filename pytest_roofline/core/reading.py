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

import errno
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_roofline.core import tomlfile
from pytest_roofline.errors import (
    FileError,
    clip_path,
    cut,
)

MAX_BYTES = 256 * 2**20
"""The largest file read: a vLLM result with per-request lists for 100,000 requests is
tens of megabytes; a file far larger is a mistake (a log, a model's weights)."""
MAX_DIGITS = 300
"""Integers with more digits than this cannot become floats (1e308 is about the largest)."""


def _a(what: str) -> str:
    """``what`` with its article: "an engine result", "a baseline", "an HF config.json"."""
    return f"{'an' if what[0] in 'aeiouAEIOU' or what.startswith('HF') else 'a'} {what}"


def read_text(path: Path, what: str) -> str:
    """The text of ``path``, ``what`` it should be ("engine result", "baseline") naming
    it in errors: missing, not a file, unreadable, too large, or not UTF-8."""
    __tracebackhide__ = True
    shown = clip_path(path)
    try:
        if path.is_dir():
            raise FileError(f"{shown}: is a folder, not {_a(what)} file")
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        # A relative path is read from the working directory, which a test runner may
        # not share with the step that wrote the file: say where it was looked for.
        where = "" if path.is_absolute() else f" in the working directory {clip_path(Path.cwd())}"
        raise FileError(f"{shown}: no such {what} file{where}") from None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise FileError(
                f"{shown}: a path of {len(str(path))} characters, too long for a {what} file"
            ) from None
        raise FileError(f"{shown}: cannot read the {what}: {error.strerror or error}") from None
    except ValueError as error:  # a NUL byte in the path: no file system takes it
        raise FileError(f"{shown}: not a usable path for {_a(what)} file ({error})") from None
    if len(data) > MAX_BYTES:
        raise FileError(
            f"{shown}: larger than {MAX_BYTES // 2**20} MiB; is it really {_a(what)} file?"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(
            f"{shown}: not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start});"
            f" is it really {_a(what)} file?"
        ) from None


class _Huge(float):
    """An integer with more digits than a float holds, read as infinity and named as
    what it was."""

    digits: int


def _int(text: str) -> int | float:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        huge = _Huge(math.inf)
        huge.digits = digits
        return huge
    return int(text)


def parse_json(text: str, where: str, *, finite: bool = True) -> Any:
    """The JSON value ``text`` holds; ``where`` names it in errors (a file, "file:line").

    Every number must fit a float and, unless ``finite=False``, be finite: the error
    names the key that holds the first one that does not (``results[0].utilization``).
    ``finite=False`` lets ``NaN``, ``Infinity`` and floats beyond range through: engines
    write them (SGLang's ``Infinity`` for an unlimited concurrency), and their readers
    check each figure they use.
    """
    __tracebackhide__ = True
    try:
        data = json.loads(text, parse_int=_int)
    except json.JSONDecodeError as error:
        raise FileError(
            f"{where}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise FileError(f"{where}: nested too deeply") from None
    _check_numbers(data, where, finite=finite)
    return data


def _check_numbers(data: Any, where: str, *, finite: bool) -> None:
    """One error naming the key of the first number no figure can be."""
    __tracebackhide__ = True
    try:
        numbers = list(_numbers(data, ""))
    except RecursionError:  # deep enough for the walk, if not for the parser
        raise FileError(f"{where}: nested too deeply") from None
    for name, value in numbers:
        key = name if name.isprintable() and len(name) <= 80 else cut(name)
        if isinstance(value, _Huge):
            raise FileError(f"{where}: {key} is an integer of {value.digits} digits")
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= 10**MAX_DIGITS:  # TOML's integers have no parser hook
                raise FileError(f"{where}: {key} is an integer too large to be a figure")
        elif finite and not math.isfinite(value):
            raise FileError(f"{where}: {key} is {value}, not a finite number")


def _numbers(value: Any, key: str) -> Iterator[tuple[str, int | float]]:
    """(key path, number) for every number in ``value``, in order."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _numbers(inner, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _numbers(inner, f"{key}[{index}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield key or "the value", value


def read_json(path: Path, what: str) -> Any:
    """The JSON value in the file at ``path`` (see :func:`read_text` and :func:`parse_json`)."""
    __tracebackhide__ = True
    return parse_json(read_text(path, what), str(path))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """The table ``text`` holds, its numbers checked as JSON's are."""
    __tracebackhide__ = True
    try:
        data: dict[str, Any] = tomlfile.loads(text)
    except tomlfile.TOMLDecodeError as error:
        raise FileError(f"{where}: not valid TOML: {error}") from None
    except RecursionError:
        raise FileError(f"{where}: nested too deeply") from None
    _check_numbers(data, where, finite=True)
    return data


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The table in the TOML file at ``path``."""
    __tracebackhide__ = True
    return parse_toml(read_text(path, what), str(path))
