"""The rows of tests with no verdict, and the finiteness checks of every record
(verdict/rows.py)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from pytest_roofline.report import json_report
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.rows import (
    error_record,
    first_non_finite,
    first_non_finite_figure,
)

SCHEMA = json.loads((Path(json_report.__file__).parent / "schema.json").read_text())


def test_the_row_of_a_test_without_a_verdict_is_a_valid_result() -> None:
    row = error_record("t.py::test_x", "roofline: unknown hardware 'h1000'", hardware="h1000")
    result = Result.model_validate(row)
    assert result.outcome == "unmeasured"
    assert result.bound_seconds is None
    assert result.message == "roofline: unknown hardware 'h1000'"
    assert result.label == "test_x"
    document = {"schema": "pytest-roofline/1", "created": "now", "machine": {}, "results": [row]}
    jsonschema.validate(json.loads(json.dumps(document)), SCHEMA)
    assert "no bound" in result.details()


def test_the_first_number_that_is_not_finite_is_named() -> None:
    assert first_non_finite({"a": 1.0, "b": [2.0, {"c": 3.0}]}) is None
    assert first_non_finite({"a": 1.0, "b": [2.0, {"c": float("inf")}]}) == "b[1].c"
    assert first_non_finite({"statistics": {"median": float("nan")}}) == "statistics.median"


def test_a_verdict_s_figures_are_all_read_for_finiteness() -> None:
    row = error_record("t.py::x", "roofline: fine")
    assert first_non_finite_figure(row) is None
    assert first_non_finite_figure({**row, "utilization": float("nan")}) == "utilization"
    ci = {**row, "utilization_ci": (0.5, float("inf"))}
    assert first_non_finite_figure(ci) == "utilization_ci[1]"
    stats = {**row, "statistics": {"windows": [1.0, float("inf")]}}
    assert first_non_finite_figure(stats) == "statistics.windows[1]"
