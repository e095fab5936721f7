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

BUSY = " (busy machine)"
"""What every report puts after the status of a result whose verdict was taken while the
machine was busy (its record's ``noisy``). A neighbour's load can drag a figure down, so
such a verdict says less than one taken on a quiet machine, and a reader of any report
(terminal, Markdown, HTML, the JSON reader's :func:`.json_report.status`) must see that
in the status itself, not only in a note."""


@dataclass(frozen=True)
class Status:
    """The one status every report shows for a result: its outcome's style, qualified
    with :data:`BUSY` when the machine was busy while it was judged.

    It answers with the same names as :class:`OutcomeStyle` (``name``, ``mark``,
    ``label``, ``colour``...), so a renderer need not know whether a status is qualified.

    >>> status("passed (busy machine)").mark
    'ok (busy machine)'
    """

    style: OutcomeStyle
    busy: bool = False

    @property
    def qualifier(self) -> str:
        """:data:`BUSY`, or "" for a verdict taken on a quiet machine."""
        return BUSY if self.busy else ""

    @property
    def name(self) -> str:
        """'passed (busy machine)': the status as the JSON reader and the HTML give it."""
        return self.style.name + self.qualifier

    @property
    def mark(self) -> str:
        """'ok (busy machine)': the terminal's status column."""
        return self.style.mark + self.qualifier

    @property
    def label(self) -> str:
        """'below budget (busy machine)': the Markdown header's word for a count."""
        return self.style.label + self.qualifier

    @property
    def emoji(self) -> str:
        """The Markdown's mark; the qualifier follows the row's figures."""
        return self.style.emoji

    @property
    def colour(self) -> str:
        """The outcome's colour: a busy pass is still a pass on a chart."""
        return self.style.colour

    @property
    def rank(self) -> int:
        """The outcome's rank: busy or not, a failure sorts with the failures."""
        return self.style.rank

    @property
    def terminal(self) -> tuple[str, ...]:
        """A pass on a busy machine is yellow, not green: it is the one a reader would
        otherwise take for a clean pass."""
        if self.busy and self.style.name == "passed":
            return ("yellow",)
        return self.style.terminal


def status_name(outcome: object, busy: bool) -> str:
    """The status text of an outcome (or "regressed"), qualified when the machine was busy.

    >>> status_name("passed", True), status_name("failed", False)
    ('passed (busy machine)', 'failed')
    """
    return status(outcome).style.name + (BUSY if busy else "")


def status(text: object) -> Status:
    """The :class:`Status` a status text names (as :func:`status_name` writes it); one no
    report knows (a hand-edited file) reads as unmeasured: nothing trustworthy was
    measured for it."""
    name = str(text)
    busy = name.endswith(BUSY)
    base = name[: -len(BUSY)] if busy else name
    return Status(_BY_NAME.get(base, _BY_NAME["unmeasured"]), busy)


def outcome_style(text: object) -> OutcomeStyle:
    """The outcome's style of a status text, qualified or not."""
    return status(text).style


def terminal_markup(text: str) -> dict[str, bool]:
    """Keyword arguments for pytest's ``write_line`` that colour a summary row; none for
    a line that is not a test's row (the header, a breakdown)."""
    if not text:
        return {}
    return dict.fromkeys(status(text).terminal, True)


def worst_first(
    text: object, utilization: float | None, nodeid: str = ""
) -> tuple[int, float, str]:
    """The sort key of a row, the same in every report: impossible, unmeasured, then
    failed and regressed, then passed; lowest utilization first within each.

    Impossible and unmeasured results say nothing trustworthy about speed, so they lead:
    a wrong declaration or a missing measurement must be fixed before any gap is read.
    The node id breaks ties, so the order does not depend on the order of the results.
    """
    return outcome_style(text).rank, utilization or 0.0, nodeid


def tally(statuses: Iterable[object]) -> list[tuple[Status, int]]:
    """Each status that occurs, with its count, in the order of :data:`OUTCOMES` (a
    status qualified as busy right after the same one unqualified).

    Statuses no test had are left out, so a count line stays short.
    """
    found = [status(text) for text in statuses]
    order = [Status(style, busy) for style in OUTCOMES for busy in (False, True)]
    return [(shown, found.count(shown)) for shown in order if shown in found]


# -- node ids -----------------------------------------------------------------------------


def cut_nodeid(nodeid: str, width: int) -> str:
    """Fit a node id in ``width`` characters where something must give (a chart's key):
    drop its folders first, then cut the file's name, keeping the test's name with its
    parameters, which tell rows apart; a test's name too long even for that loses its
    middle ('…').

    >>> cut_nodeid("tests/perf/test_gemm.py::test_big[1024]", 28)
    'test_gemm.py::test_big[1024]'
    >>> cut_nodeid("tests/test_gemm.py::test_big[1024]", 24)
    'test_ge…::test_big[1024]'
    >>> cut_nodeid("tests/test_gemm.py::test_matmul_throughput[4096-bf16]", 30)
    'test_gemm…hroughput[4096-bf16]'
    """
    if len(nodeid) <= width:
        return nodeid
    path, sep, test = nodeid.partition("::")
    name = path.rsplit("/", 1)[-1]
    short = name + sep + test
    if len(short) <= width:
        return short
    if width < 2:
        return "…"[:width]
    tail = sep + test
    if sep and len(tail) + 4 <= width:
        return name[: width - 1 - len(tail)] + "…" + tail
    keep = width - 1
    head = keep // 3
    return short[:head] + "…" + short[len(short) - (keep - head) :]
