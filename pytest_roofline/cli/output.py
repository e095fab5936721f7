"""What a command answers, and how it reaches the terminal and the exit status.

Exit status 0: done; 1: a gate tripped (``roofline diff --max-drop``); 2: bad input, or an
output not written. A command's lines go to standard output; a line about something
that went wrong goes to standard error, one line each, so a CI log shows it apart from
the table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from pytest_roofline.report.writers import Written

GATE_TRIPPED = 1
BAD_INPUT = 2


@dataclass(frozen=True)
class Said:
    """A command's answer: its lines (each with whether it succeeded), and the lines
    saying why its gate tripped, if it did."""

    lines: list[Written]
    tripped: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, lines: list[str], tripped: list[str] | None = None) -> Said:
        """An answer of lines that all succeeded."""
        return cls([(line, True) for line in lines], tripped or [])


def show(said: Said) -> int:
    """Print the answer; returns the exit status."""
    failed = [line for line, ok in said.lines if not ok]
    shown = "\n".join(line for line, ok in said.lines if ok)
    broken = False
    try:
        if shown or not (failed or said.tripped):
            print(shown)
        sys.stdout.flush()
    except BrokenPipeError:  # `roofline hardware | head`
        broken = True
    for line in failed:
        print(line, file=sys.stderr)
    for line in said.tripped:
        print(line, file=sys.stderr)
    if broken:
        sys.stderr.close()  # no "Exception ignored" when Python flushes stdout at exit
    if failed:
        return BAD_INPUT
    return GATE_TRIPPED if said.tripped else 0


def refused(message: str) -> int:
    """One line on standard error for input the command cannot use."""
    print(f"roofline: {message}", file=sys.stderr)
    return BAD_INPUT
