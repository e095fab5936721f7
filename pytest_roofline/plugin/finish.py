"""The end of a run: the terminal summary, the reports and the baseline written.

Only the controller (or the one process of a run without pytest-xdist) writes: workers
send their records and return.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_roofline.core.units import hardware_line
from pytest_roofline.errors import RooflineError
from pytest_roofline.machine.host import fingerprint
from pytest_roofline.report import json_report, terminal, writers
from pytest_roofline.report.format import terminal_markup
from pytest_roofline.verdict import baseline

if TYPE_CHECKING:
    from pytest_roofline.plugin.run import Run

SUMMARY_ROWS = 50
"""Rows of passing tests the terminal summary shows before counting the rest (-v: all)."""


def terminal_summary(run: Run, terminalreporter: Any) -> None:
    writer = terminalreporter
    verbosity = run.config.get_verbosity()
    if verbosity < 0 and run.baseline_note and run.baseline is None and not run.is_worker:
        # -q hides the header, where a baseline that could not be used is said.
        writer.write_line(run.baseline_note, yellow=True)
    records = run.records
    if run.is_worker or not (records or run.write_error or run.written):
        return
    if verbosity < 0:
        if records:
            writer.write_line(terminal.one_line(records))
    else:
        # Close the progress line first, or the first row would do it with a blank line.
        writer.ensure_newline()
        writer.section("roofline")
        if run.local_spec is not None:
            writer.write_line("local: " + hardware_line(run.local_spec))
        for line, outcome in terminal.summary_rows(
            records,
            _table_width(writer._tw),
            verbose=verbosity > 0,
            limit=SUMMARY_ROWS,
        ):
            writer.write_line(line, **terminal_markup(outcome))
    if run.saved:
        writer.write_line(run.saved)
    for line, ok in run.written:
        writer.write_line(line, **({} if ok else {"red": True, "bold": True}))
    if run.write_error:
        writer.write_line(run.write_error, red=True, bold=True)


def session_finish(run: Run, session: pytest.Session) -> None:
    if run.is_worker:
        return
    report_hook = run.config.hook.pytest_roofline_report
    wanted = (
        run.settings.json_path is not None
        or run.settings.markdown is not None
        or run.settings.html is not None
        or run.settings.github_summary
        or bool(report_hook.get_hookimpls())
    )
    if wanted:
        write_reports(run)
    interrupted = session.exitstatus in (
        pytest.ExitCode.INTERRUPTED,
        pytest.ExitCode.INTERNAL_ERROR,
    )
    if run.settings.save is not None and interrupted:
        # A partial run would replace a whole baseline with part of one.
        run.write_error = (
            f"roofline: baseline {run.settings.save!r} not saved: the run did not finish"
        )
    elif run.settings.save is not None:
        name = run.settings.save
        try:
            path = baseline.path_for(run.config.rootpath, name)
            count = baseline.save(path, name, run.results, fingerprint())
            run.saved = f"roofline: saved {count} results as baseline {name!r} ({path})"
        except (OSError, RooflineError) as error:
            reason = (
                f"{error.filename or ''}{': ' if error.filename else ''}{error.strerror}"
                if isinstance(error, OSError) and error.strerror
                else str(error)
            )
            run.write_error = f"roofline: could not save baseline {name!r}: {reason}"
    failed_writes = run.write_error or any(not ok for _, ok in run.written)
    if failed_writes and session.exitstatus == pytest.ExitCode.OK:
        # A report or baseline the run was asked for is missing: say so in the exit
        # status too, or CI would go on as if it had been written.
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def write_reports(run: Run) -> None:
    """The JSON document, the reports rendered from it, and the report hook.

    A run that asked for none of them (and has no hook implementation) skips building
    the document: dumping every result again was a visible share of a cheap test's
    cost.
    """
    # The ceilings this run used (measured, taken from the cache, or left by a
    # worker), not ones an earlier run cached: those were not used here.
    held = run.local.held or run.local.shared()
    document = json_report.build_document(
        run.results, held.model_dump(mode="json") if held is not None else None
    )
    run.written = writers.write_all(
        document,
        json=run.settings.json_path,
        markdown=run.settings.markdown,
        html=run.settings.html,
        github_summary=run.settings.github_summary,
        folder=Path(run.config.invocation_params.dir),
    )
    run.config.hook.pytest_roofline_report(
        config=run.config, results=run.results, document=document
    )


def _table_width(screen: Any) -> int | None:
    """The width the summary must fit: the terminal's, or None (no limit) when the
    output is not a terminal. A CI log or a file has no width, and pytest's writer then
    reports a default 80 columns that would only cut every long node id."""
    stream = getattr(screen, "_file", None)
    isatty = getattr(stream, "isatty", None)
    width: int = screen.fullwidth
    return width if callable(isatty) and isatty() else None
