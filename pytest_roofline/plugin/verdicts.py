"""The verdict on one test, applied to its pytest report.

The library decides (:meth:`~pytest_roofline.verdict.recorder.Recorder.record`, the
baseline's :func:`~pytest_roofline.verdict.baseline.regression`); these functions only
put its answer where pytest shows it: the record in the test's ``user_properties``
(which pytest-xdist carries to the controller), and a failure's line and section in the
report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from pytest_roofline.errors import RooflineError, clip
from pytest_roofline.verdict import baseline
from pytest_roofline.verdict.recheck import SAVING
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.recorder import Recorder

if TYPE_CHECKING:
    from pytest_roofline.plugin.run import Run

PROPERTY = "roofline"
"""The user_properties key holding the whole result record as JSON."""
FLAT_PROPERTIES = (
    "utilization",
    "min_utilization",
    "bound_seconds",
    "measured_seconds",
    "bottleneck",
    "hardware",
    "outcome",
)
"""Record fields also given as properties of their own (junit-xml shows them)."""


class RooflineWarning(UserWarning):
    """A roofline verdict that would have failed the test under ``--roofline-warn-only``."""


def bug(error: Exception) -> str:
    """One line for an exception the plugin did not expect: what it was, and whom to tell."""
    first = (str(error).splitlines() or [""])[0]
    return (
        f"{type(error).__name__}: {clip(first, 200)} (a bug in pytest-roofline: please report it)"
    )


@dataclass(frozen=True)
class Verdict:
    """What one test's call phase comes to: its row, and the failure to show, if any.

    :func:`evaluate` decides it; the makereport hook only applies it (:func:`apply`).
    """

    record: dict[str, Any]
    long_repr: str = ""
    """The failure's one line, empty when the test passes on its roofline."""
    section: str = ""
    """The details shown under the failure, in a ``roofline`` section."""
    warn: bool = False
    """Under ``--roofline-warn-only``: a warning instead of a failure."""


def _crash(call: pytest.CallInfo[None], report: pytest.TestReport) -> str:
    """The test's own failure in one line ("" when it did not fail): its row says why,
    so a crashed benchmark still has its row in the reports."""
    if not report.failed:
        return ""
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, RooflineError):  # its message names the culprit already
        return f"roofline: {str(error).splitlines()[0]}"
    return call.excinfo.exconly().splitlines()[0] if call.excinfo else "it failed"


def evaluate(
    run: Run,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    recorder: Recorder,
) -> Verdict:
    """The verdict on one test's call phase, which declared work or carries the marker."""
    crash = _crash(call, report)
    if not recorder.declared:
        line = (
            "roofline: the test declared no work: pass a kernel to"
            " @pytest.mark.roofline or call roofline.declare(kernel)"
        )
        return Verdict(recorder.row_without_verdict(clip(crash) or line), line)
    try:
        record = recorder.record(run.settings.min_utilization)
    except Exception as error:  # e.g. serving lengths that never arrived
        if isinstance(error, RooflineError):
            line = f"roofline: {error}"
        else:  # a bug of ours: this test has no verdict, the others keep theirs
            line = f"roofline: the verdict could not be taken: {bug(error)}"
        return Verdict(recorder.row_without_verdict(clip(crash) or line), line)
    if crash and recorder.measurement is None:
        record["notes"].append(f"the test failed before it measured: {crash}")
        record["message"] = (
            f"roofline: {record['label']}: the test failed before it measured: {clip(crash)}"
        )
    if run.settings.save is not None or run.baseline is not None:
        record = against_baseline(run, report, recorder, Result.model_validate(record))
    failure = record["message"] if record["outcome"] != "passed" else record.get("regression")
    if not failure:
        return Verdict(record)
    details = "" if run.settings.warn_only else Result.model_validate(record).details()
    return Verdict(record, failure, details, warn=run.settings.warn_only)


def apply(run: Run, item: pytest.Item, report: pytest.TestReport, verdict: Verdict) -> None:
    """Put a verdict where pytest shows it: the row in the test's properties, and a
    failure (or a warning) on a test that passed otherwise; the test's own failure
    stands."""
    attach(run, item, report, verdict.record)
    if not verdict.long_repr or not report.passed:
        return
    if verdict.warn:
        item.warn(RooflineWarning(verdict.long_repr))
    else:
        fail(report, verdict.long_repr, verdict.section)


def attach(run: Run, item: pytest.Item, report: pytest.TestReport, record: dict[str, Any]) -> None:
    """Give the test its row: the record goes to the item's user properties, where
    the controller (or this process) collects it from the teardown report.

    The record goes to JSON as it is: a Result is validated from it only when the run
    ends (or for a pytest_roofline_result implementation), so a cheap test pays for
    one serialization and no model.
    """
    text = run.rows.json(record)
    run.made[text] = record  # this process's own records need no parsing back
    properties: list[tuple[str, object]] = [(PROPERTY, text)]
    properties += [(key, record[key]) for key in FLAT_PROPERTIES]
    item.user_properties.extend(properties)
    report.user_properties.extend(properties)


def against_baseline(
    run: Run, report: pytest.TestReport, recorder: Recorder, result: Result
) -> dict[str, Any]:
    """``result`` confirmed for a baseline to save, and compared with the one loaded."""
    if run.settings.save is not None and report.passed and result.ok:
        # A baseline is a promise of what the code can do: measured again until the
        # machine was seen quiet, and the best stretch of them all is kept.
        result = recorder.confirm(result, lambda _: True, run.settings.min_utilization, SAVING)
    if run.baseline is not None:
        known = run.baseline
        entry = known.entries.get(result.nodeid)
        max_drop = recorder.max_drop or run.settings.max_drop

        def regressed(candidate: Result) -> bool:
            return baseline.regression(candidate, known, max_drop, run.same_machine) is not None

        if report.passed and result.ok:
            result = recorder.confirm(result, regressed, run.settings.min_utilization)
        result = result.model_copy(
            update={
                "baseline_utilization": entry.utilization if entry else None,
                "regression": baseline.regression(result, known, max_drop, run.same_machine),
            }
        )
    return result.model_dump(mode="json")


def fail(report: pytest.TestReport, line: str, details: str = "") -> None:
    report.outcome = "failed"
    report.longrepr = line
    if details:
        report.sections.append(("roofline", details))
