"""Reading files with bounds, writing them whole, and the rows of tests with no verdict."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from pytest_roofline.core import atomic, reading
from pytest_roofline.errors import (
    ConfigurationError,
    FileError,
    clip,
    cut,
)
from pytest_roofline.plugin.session import RooflineSession
from pytest_roofline.plugin.settings import (
    Settings,
    check_outputs,
)
from pytest_roofline.report import json_report
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.rows import (
    error_record,
    first_non_finite,
    first_non_finite_figure,
)

SCHEMA = json.loads((Path(json_report.__file__).parent / "schema.json").read_text())


def test_a_missing_file_or_a_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"gone\.json: no such baseline file$"):
        reading.read_text(tmp_path / "gone.json", "baseline")
    with pytest.raises(FileError, match="is a folder, not a report file"):
        reading.read_text(tmp_path, "report")


def test_a_file_too_large_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 1024)
    path = tmp_path / "big.json"
    path.write_text("[" + "1," * 1000 + "1]")
    with pytest.raises(FileError, match=r"big\.json: larger than 0 MiB; is it really a report"):
        reading.read_json(path, "report")


def test_a_binary_file_names_the_byte_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.json"
    path.write_bytes(b'{"a": 1}\xff\xfe')
    with pytest.raises(FileError, match=r"weights\.json: not UTF-8 text \(byte 0xff at offset 8\)"):
        reading.read_json(path, "engine result")


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1.5}')
    assert reading.read_json(path, "report") == {"a": 1.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"a": 1e400}', "a is inf, not a finite number"),
        ('{"a": [1, -' + "7" * 301 + "]}", "a[1] is an integer of 301 digits"),
        ('{"r": [{"u": NaN}]}', "r[0].u is nan, not a finite number"),
        ('{"a": 1,}', "not JSON: Expecting property name enclosed in double quotes at line 1"),
    ],
)
def test_json_that_no_figure_can_come_from_is_one_line(text: str, expected: str) -> None:
    with pytest.raises(FileError) as caught:
        reading.parse_json(text, "r.json")
    assert str(caught.value).startswith("r.json: ")
    assert expected in str(caught.value)


def test_the_largest_integers_a_float_holds_are_read() -> None:
    assert reading.parse_json("[" + "9" * 300 + "]", "r.json") == [int("9" * 300)]


def test_toml_numbers_are_checked_as_json_s_are() -> None:
    assert reading.parse_toml("a = 1.5\nb = [1, 2]", "x.toml") == {"a": 1.5, "b": [1, 2]}
    with pytest.raises(FileError, match=r"x\.toml: box\.c\[1\] is an integer too large"):
        reading.parse_toml("[box]\nc = [1, 1" + "0" * 300 + "]", "x.toml")
    with pytest.raises(FileError, match=r"x\.toml: a is inf, not a finite number"):
        reading.parse_toml("a = inf", "x.toml")
    with pytest.raises(FileError, match=r"x\.toml: not valid TOML"):
        reading.parse_toml("[a", "x.toml")


def test_values_in_messages_are_cut() -> None:
    assert cut("short") == "'short'"
    long = cut("x" * 100_000)
    assert len(long) < 120
    assert long.endswith("… (100002 characters)")
    assert clip("y" * 500).endswith("…")
    assert len(clip("y" * 500)) == 300


def test_a_write_error_names_the_target_not_the_temporary_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError, match="a-file is a file, not a folder") as caught:
        atomic.make_folder(blocker / "sub" / "r.json")
    assert caught.value.filename == str(blocker / "sub" / "r.json")
    target = tmp_path / "missing" / "r.json"
    with pytest.raises(OSError, match="no folder") as missing:
        atomic.write_text(target, "x")
    assert missing.value.filename == str(target)
    assert ".tmp" not in str(missing.value)


def test_a_dead_writer_s_leftover_goes_at_once_a_live_one_s_stays(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "r.json"
    host = atomic._WRITER.rpartition("-")[0]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    left = tmp_path / f".r.json.{host}-{dead}.abc.tmp"
    alive = tmp_path / f".r.json.{host}-{os.getpid()}.def.tmp"
    elsewhere = tmp_path / f".r.json.otherhost-{dead}.ghi.tmp"
    for leftover in (left, alive, elsewhere):
        leftover.write_text("half")
    atomic.write_text(target, "whole")
    assert not left.exists()
    assert alive.exists()
    assert elsewhere.exists()  # another host's writer may still be at work: its age decides


def test_a_killed_writer_s_leftovers_go_with_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    old = tmp_path / ".r.json.abc123.tmp"
    fresh = tmp_path / ".r.json.def456.tmp"  # a writer at work right now
    other = tmp_path / ".other.json.abc123.tmp"
    for leftover in (old, fresh, other):
        leftover.write_text("half")
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    atomic.write_text(target, "whole")
    assert target.read_text() == "whole"
    assert not old.exists()
    assert fresh.exists()
    assert other.exists()


def settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_two_outputs_on_one_path_are_refused_whatever_their_spelling(tmp_path: Path) -> None:
    check_outputs(settings(json_path="r.json", markdown="r.md"), tmp_path, {})
    with pytest.raises(ConfigurationError, match="--roofline-json and --roofline-html both"):
        check_outputs(settings(json_path="r.json", html="./sub/../r.json"), tmp_path, {})
    (tmp_path / "real.json").write_text("")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    with pytest.raises(ConfigurationError, match="both write"):
        check_outputs(settings(json_path="real.json", markdown="link.json"), tmp_path, {})
    # "-" is the job summary, never a file.
    check_outputs(settings(markdown="-", html="-x"), tmp_path, {})


def test_saving_over_the_compared_baseline_is_allowed_but_a_report_over_it_is_not(
    tmp_path: Path,
) -> None:
    main = tmp_path / ".roofline" / "main.json"
    check_outputs(settings(save="main", compare="main"), tmp_path, {"save": main, "compare": main})
    with pytest.raises(ConfigurationError, match=r"would overwrite .*main\.json, the baseline"):
        check_outputs(settings(json_path=".roofline/main.json"), tmp_path, {"compare": main})


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


def test_a_verdict_s_figures_are_all_read_for_finiteness() -> None:
    row = error_record("t.py::x", "roofline: fine")
    assert first_non_finite_figure(row) is None
    assert first_non_finite_figure({**row, "utilization": float("nan")}) == "utilization"
    ci = {**row, "utilization_ci": (0.5, float("inf"))}
    assert first_non_finite_figure(ci) == "utilization_ci[1]"
    stats = {**row, "statistics": {"windows": [1.0, float("inf")]}}
    assert first_non_finite_figure(stats) == "statistics.windows[1]"
