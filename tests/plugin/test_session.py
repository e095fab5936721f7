"""The run's session (plugin/session.py): records that pytest-xdist workers send back."""

from __future__ import annotations

import json

from pytest_roofline.plugin.session import RooflineSession
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.rows import error_record


def test_a_worker_record_that_cannot_be_read_back_keeps_its_row() -> None:
    good = error_record("t.py::ok", "roofline: fine")
    assert RooflineSession._from_worker("t.py::ok", json.dumps(good)) == good
    for text in ('{"nodeid": "t.py::x", "utilization": NaN}', "[" * 100_000, "not json"):
        row = RooflineSession._from_worker("t.py::x", text)
        assert Result.model_validate(row).outcome == "unmeasured"
        assert row["message"].startswith("roofline: the worker's record could not be read back")
        assert "\n" not in row["message"]


def test_a_worker_record_with_a_figure_that_is_not_finite_keeps_its_row() -> None:
    record = {**error_record("t.py::x", "roofline: fine"), "measured_seconds": float("inf")}
    row = RooflineSession._from_worker("t.py::x", json.dumps(record))
    assert row["outcome"] == "unmeasured"
    assert "measured_seconds" in row["message"]
