"""The JSON report against its published schema, pytest_roofline/report/schema.json.

Tools that read the report (dashboards, CI scripts) can rely on the schema only if every
report the plugin writes validates, and a broken one does not.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Result
from pytest_roofline.report import json_report

jsonschema = pytest.importorskip("jsonschema")


def schema() -> dict[str, Any]:
    """The schema as shipped in the package (package data, not a path in the checkout)."""
    text = resources.files("pytest_roofline").joinpath("report", "schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(document)]


@pytest.fixture
def written(
    tmp_path: Path, golden_results: Callable[[], list[Result]], local_hardware: Hardware
) -> dict[str, Any]:
    """The report build_document makes of the golden Markdown report's results, through
    write and read as the plugin does."""
    path = tmp_path / "report.json"
    local = local_hardware.model_dump(mode="json")
    json_report.write(path, json_report.build_document(golden_results(), local=local))
    return json_report.read(path)


def test_the_schema_is_valid_draft_2020_12() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema())


def test_a_written_report_validates(written: dict[str, Any]) -> None:
    assert {r["outcome"] for r in written["results"]} == {
        "passed",
        "failed",
        "impossible",
        "unmeasured",
    }
    assert {r["kind"] for r in written["results"]} == {"kernel", "serving"}
    assert "peak_flops" in written["machine"]  # the local ceilings are in the document
    assert errors(written) == []


def test_the_schema_lists_every_key_of_a_result(written: dict[str, Any]) -> None:
    # Result gaining a field must show up here, so the schema is updated with it.
    result_schema = schema()["$defs"]["result"]
    for result in written["results"]:
        assert set(result) == set(result_schema["properties"]) == set(result_schema["required"])


def test_missing_results_does_not_validate(written: dict[str, Any]) -> None:
    del written["results"]
    assert any("'results' is a required property" in e for e in errors(written))


def test_a_bad_outcome_does_not_validate(written: dict[str, Any]) -> None:
    broken = copy.deepcopy(written)
    broken["results"][0]["outcome"] = "slow"
    assert any("'slow' is not one of" in e for e in errors(broken))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bound_seconds", "1.2 ms"),  # numbers are SI numbers, never strings with units
        ("bottleneck", "cache"),
        ("kind", "batch"),
        ("utilization", -0.5),
        ("unknown_key", 1),
    ],
)
def test_a_broken_result_does_not_validate(written: dict[str, Any], key: str, value: Any) -> None:
    written["results"][0][key] = value
    assert errors(written) != []


def test_a_serving_result_needs_its_serving_table(written: dict[str, Any]) -> None:
    serving = next(r for r in written["results"] if r["kind"] == "serving")
    serving["serving"] = None
    assert errors(written) != []


def test_an_unmeasured_result_has_no_measured_time(written: dict[str, Any]) -> None:
    unmeasured = next(r for r in written["results"] if r["outcome"] == "unmeasured")
    unmeasured["measured_seconds"] = 1.0
    assert errors(written) != []


def test_a_wrong_schema_name_does_not_validate(written: dict[str, Any]) -> None:
    written["schema"] = "pytest-roofline/2"
    assert errors(written) != []
