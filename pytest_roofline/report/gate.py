"""The CI gate of ``roofline diff``: which changes fail the comparison.

A comparison gates a pull request when it exits non-zero, so the gate says exactly what
tripped it. It trips on:

- ``regressed``: a test whose best stretch dropped by more than the allowance
  (``--max-drop``, 10 % unless given) beyond the noise its intervals show, or that the
  new run itself judged regressed against its baseline;
- ``failed`` and ``impossible``: a test of the new report with that outcome (below its
  budget; faster than its bound).

``--max-drop`` alone asks for ``regressed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_roofline.errors import RooflineError, cut, did_you_mean
from pytest_roofline.report import json_report
from pytest_roofline.report.diff import Change

FAIL_ON = ("regressed", "failed", "impossible")
"""What ``--fail-on`` takes."""
SHOWN = 5
"""Node ids named in a gate's line; the rest are counted."""


def fail_on(values: Iterable[str]) -> frozenset[str]:
    """``--fail-on`` values, each a name or a comma list: the set asked for, or a
    one-line error naming a value that is none of :data:`FAIL_ON`."""
    found = set()
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if name not in FAIL_ON:
                hint = did_you_mean(name, FAIL_ON) or f"; give one of {', '.join(FAIL_ON)}"
                raise RooflineError(f"--fail-on: {cut(part.strip())} is not an outcome{hint}")
            found.add(name)
    return frozenset(found)


def tripped(rows: Sequence[Change], new: Mapping[str, Any], asked: frozenset[str]) -> list[str]:
    """One line for each kind of change in ``asked`` that occurred, naming the tests;
    empty when the gate holds."""
    lines = []
    if "regressed" in asked:
        dropped = [c.nodeid for c in rows if c.dropped]
        own = [
            str(r.get("nodeid"))
            for r in new.get("results") or []
            if json_report.outcome(r) == "regressed" and str(r.get("nodeid")) not in dropped
        ]
        if dropped:
            allowed = rows[0].max_drop if rows else 0.0
            lines.append(
                f"{_count(dropped)} dropped by more than {allowed:.1%} beyond the noise:"
                f" {_named(dropped)}"
            )
        if own:
            lines.append(f"{_count(own)} regressed against the new run's baseline: {_named(own)}")
    for outcome, meaning in (
        ("failed", "below its budget"),
        ("impossible", "faster than its bound"),
    ):
        if outcome in asked:
            found = [
                str(r.get("nodeid"))
                for r in new.get("results") or []
                if r.get("outcome") == outcome
            ]
            if found:
                lines.append(f"{_count(found)} {outcome} ({meaning}): {_named(found)}")
    return lines


def _count(nodeids: list[str]) -> str:
    return f"{len(nodeids)} test{'' if len(nodeids) == 1 else 's'}"


def _named(nodeids: list[str]) -> str:
    shown = ", ".join(nodeids[:SHOWN])
    return shown + (f" and {len(nodeids) - SHOWN} more" if len(nodeids) > SHOWN else "")
