"""Every rule that turns a figure or an outcome into text, for every report and the command.

DESIGN.md section 3, rule 5: numbers become text only in ``report/`` (and in error
messages), one formatter per idea. A rule written in each renderer drifts: a percentage
capped in one report and not in the next, the Markdown sorting its rows one way and the
terminal another, a chart that had never heard of a regression. So the terminal summary,
the Markdown, HTML and chart renderings, ``roofline diff`` and the ``roofline`` command
take their text from here, and a change made here shows in all of them at once.

The formatters take SI floats (or None for a figure a result does not have); :func:`number`
turns a value read from a JSON report into one. This module imports nothing heavier than
the units, so pytest's header line (shown by every run) can use :func:`hardware_line`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_roofline.core.units import (
    format_seconds,
    number,
)

MISSING = "-"
"""What a report shows for a figure a result does not have (the Markdown passes an em
dash, which reads better in a rendered table)."""


# -- figures ------------------------------------------------------------------------------


def signed(value: float | None, unit: str, missing: str = MISSING) -> str:
    """A change with its sign always shown, one decimal: '+1.5 pp', '-12.0%'.

    A reader of a comparison must tell a rise from a drop at a glance, zero included.
    """
    return missing if value is None else f"{value:+.1f}{unit}"


def seconds(value: float | None, missing: str = MISSING) -> str:
    """A duration in s, ms, µs or ns with three significant digits: '4.34 µs'."""
    return missing if value is None else format_seconds(value)


def figure(value: float | None, missing: str = MISSING) -> str:
    """Three significant digits, but whole numbers with separators from 1000 up ('2,731'),
    where ``:.3g`` would switch to an exponent a reader has to decode.

    >>> figure(0.25), figure(42.66), figure(2731.4)
    ('0.25', '42.7', '2,731')
    """
    if value is None:
        return missing
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def intensity(value: float | None, *, bounded: bool = True, missing: str = MISSING) -> str:
    """Operational intensity as a figure: '0.25', or '∞' for bounded work that moves no
    bytes (its record holds null: JSON has no infinity). Unbounded work shows ``missing``.
    """
    if value is None:
        return "∞" if bounded else missing
    return figure(value)


def tokens_per_second(value: float | None, missing: str = MISSING) -> str:
    """A token rate as serving papers print it: '2,262 tokens/s' (no 'ktokens/s')."""
    return missing if value is None else f"{figure(value)} tokens/s"


def failed_requests(result: Mapping[str, Any]) -> str:
    """'20 of 500 requests failed', from the engine file a serving figure came from, or
    "": a throughput over the requests that completed hides the ones that did not."""
    engine = result.get("engine")
    if not isinstance(engine, Mapping):
        return ""
    failed, done = number(engine.get("failed_requests")), number(engine.get("requests"))
    if not failed or done is None:
        return ""
    return f"{failed:,.0f} of {failed + done:,.0f} requests failed"


def gap(value: float | None, missing: str = MISSING) -> str:
    """How many times faster the hardware could serve than the engine did: '4.12x'."""
    return missing if value is None else f"{value:.3g}x"


def decade(value: float) -> str:
    """A power of ten as an axis tick: plain from 0.001 to 10000, '1e9' beyond.

    >>> decade(0.1), decade(1e9)
    ('0.1', '1e9')
    """
    k = round(math.log10(value))
    return f"{value:g}" if -3 <= k <= 4 else f"1e{k}"


_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def si_tick(value: float) -> str:
    """A rate as a short axis tick with an SI prefix and no unit: '100T'.

    >>> si_tick(1e14), si_tick(0.01)
    ('100T', '0.01')
    """
    for scale, prefix in _SI:
        if value >= scale:
            return f"{value / scale:g}{prefix}"
    return f"{value:g}"


# -- hardware -----------------------------------------------------------------------------


# -- outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeStyle:
    """How every report shows one outcome (a result's ``status``: "regressed" included)."""

    name: str
    rank: int
    """Rows go worst first: by rank, then by utilization. Failed and regressed share a
    rank: both failed the test, and the lower utilization is the one to read first."""
    mark: str
    """The terminal's status column; lower-cased in the one-line ``-q`` summary."""
    emoji: str
    """The Markdown's mark, read in a pull request before any number."""
    label: str
    """The Markdown header's word for a count of them."""
    colour: str
    """Chart points, legends, and the HTML status text."""
    terminal: tuple[str, ...]
    """pytest's terminal markup for the summary row ("red", "bold", ...)."""


OUTCOMES = (
    OutcomeStyle("passed", 3, "ok", "✅", "passed", "#2e7d32", ("green",)),
    OutcomeStyle("failed", 2, "LOW", "❌", "below budget", "#c62828", ("red",)),
    OutcomeStyle("regressed", 2, "REGRESSED", "📉", "regressed", "#ad1457", ("red",)),
    OutcomeStyle("impossible", 0, "IMPOSSIBLE", "⚠️", "impossible", "#ef6c00", ("red", "bold")),
    OutcomeStyle("unmeasured", 1, "UNMEASURED", "❔", "unmeasured", "#757575", ("yellow",)),
)
"""Every outcome, in the order counts and legends list them; rows sort by ``rank``."""

_BY_NAME = {style.name: style for style in OUTCOMES}

OUTCOME_COLORS = {style.name: style.colour for style in OUTCOMES}
"""Fill colour of a chart point per outcome; roofs use blues and browns so none is
mistaken for one."""


def outcome_style(status: object) -> OutcomeStyle:
    """The style of a status; one no report knows (a hand-edited file) reads as
    unmeasured: nothing trustworthy was measured for it."""
    return _BY_NAME.get(str(status), _BY_NAME["unmeasured"])


def terminal_markup(status: str) -> dict[str, bool]:
    """Keyword arguments for pytest's ``write_line`` that colour a summary row; none for
    a line that is not a test's row (the header, a breakdown)."""
    style = _BY_NAME.get(status)
    return {} if style is None else dict.fromkeys(style.terminal, True)


def worst_first(
    status: object, utilization: float | None, nodeid: str = ""
) -> tuple[int, float, str]:
    """The sort key of a row, the same in every report: impossible, unmeasured, then
    failed and regressed, then passed; lowest utilization first within each.

    Impossible and unmeasured results say nothing trustworthy about speed, so they lead:
    a wrong declaration or a missing measurement must be fixed before any gap is read.
    The node id breaks ties, so the order does not depend on the order of the results.
    """
    return outcome_style(status).rank, utilization or 0.0, nodeid


def tally(statuses: Iterable[object]) -> list[tuple[OutcomeStyle, int]]:
    """Each outcome that occurs, with its count, in the order of :data:`OUTCOMES`.

    Outcomes no test had are left out, so a count line stays short.
    """
    found = [outcome_style(status).name for status in statuses]
    return [(style, found.count(style.name)) for style in OUTCOMES if style.name in found]
