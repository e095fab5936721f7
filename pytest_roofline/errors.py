"""The exceptions users see, each meant to be read as one line.

Everything the library rejects raises a subclass of :class:`RooflineError`, so the
plugin (and any caller) can tell a bad declaration from a bug and show the message alone
instead of a traceback from deep inside.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class RooflineError(ValueError):
    """Base of every error pytest-roofline raises for bad input.

    A ``ValueError`` subclass so that code written against plain Python conventions
    (``except ValueError``) keeps working.
    """


class UnitError(RooflineError):
    """A quantity whose number or unit cannot be read, e.g. ``"3.35 TB/x"``."""


class UnknownNameError(RooflineError):
    """A name (hardware, dtype, model) that is not known, with the closest known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str], *, where: str = "") -> None:
        known_names = sorted(set(known))
        self.kind = kind
        self.name = name
        self.suggestions = closest_names(name, known_names) if isinstance(name, str) else []
        place = f" in {where}" if where else ""
        if self.suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            more = ", ..." if len(known_names) > KNOWN_SHOWN else ""
            hint = "known: " + ", ".join(known_names[:KNOWN_SHOWN]) + more
        super().__init__(f"unknown {kind} {cut(name)}{place}; {hint}")


class DeclarationError(RooflineError):
    """A declared workload, hardware or marker that is invalid (negative size, bad budget)."""


class FileError(DeclarationError):
    """A file that cannot be read as what it should be: missing, too large, not text, not
    JSON or TOML, nested too deeply, or holding a number no figure can be. A
    DeclarationError, as engine result and HF config.json files are part of what a test
    declares."""


class ConfigurationError(RooflineError):
    """Bad settings from the command line, an ini file or ``[tool.pytest-roofline]``."""


class CalibrationError(RooflineError):
    """The ceilings of ``local`` could not be measured: a probe failed, or gave no usable
    rate."""


SHOWN_CHARACTERS = 80
SHOWN_PROBLEMS = 3
KNOWN_SHOWN = 8
"""An unknown name with no near match lists this many known ones (the command lists all)."""
"""A line names the first few problems of a record, then how many more there are."""


def cut(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """``repr(value)``, cut to about ``limit`` characters: an error line names a bad value,
    it does not echo a 100,000-character one."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text)} characters)"


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to about ``limit`` characters, for a line quoting another message."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def clip_path(path: object, limit: int = 96) -> str:
    """A path for an error line, its end kept when it is long: the file's name is what
    tells a reader which file, and a CI runner's folders can take a hundred characters."""
    text = str(path)
    if not text.isprintable() or text.strip() != text or not text:
        text = repr(text)  # a newline or a blank in a path would hide it or break the line
    return text if len(text) <= limit else f"…{text[-(limit - 1) :]}"


def closest_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names nearest to ``name``, best first, for "did you mean" hints."""
    known_list = list(known)
    lowered = {k.lower(): k for k in known_list}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.5)
    prefixed = [k for k in known_list if k.lower().startswith(name.lower()) and name]
    ordered = [lowered[m] for m in matches] + prefixed
    return list(dict.fromkeys(ordered))[:limit]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """'; did you mean 'a', 'b'?' for the names nearest to ``name``, or '' when none is."""
    near = closest_names(name, known)
    return f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""


def _loc_part(part: object) -> str:
    text = str(part)
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def one_line(owner: str, error: ValidationError, fields: Iterable[str] = ()) -> DeclarationError:
    """Turn a pydantic ``ValidationError`` into a one-line :class:`DeclarationError`.

    pydantic's own message spans several lines and links to its documentation; users of a
    test marker want the field, the problem and the value they gave. ``fields`` are the
    valid field names, offered when a field is misspelt.
    """
    parts = []
    details = error.errors(include_url=False)
    for detail in details[:SHOWN_PROBLEMS]:
        # A key that is not printable (a dtype key "\n" from a TOML file) is shown quoted,
        # so the line stays one line and says what was given.
        loc = [_loc_part(p) for p in detail["loc"] if p != "[key]"]
        field = ".".join(loc) or "value"
        message = str(detail["msg"])
        ctx_error = (detail.get("ctx") or {}).get("error")
        shown = detail.get("input")
        given = "" if isinstance(shown, (dict, list)) else f" (got {cut(shown)})"
        if isinstance(ctx_error, RooflineError):
            message, given = str(ctx_error), ""
        elif detail["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), fields) if loc else ""
            message, given, field = f"unknown field {loc[-1]!r}{hint}", "", ".".join(loc[:-1])
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        parts.append(f"{field}: {message}{given}" if field else f"{message}{given}")
    more = len(details) - SHOWN_PROBLEMS
    if more > 0:
        parts.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return DeclarationError(f"{owner}: " + "; ".join(parts))
