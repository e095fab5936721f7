"""Reading files with bounds (core/reading.py): size, encoding, numbers, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline.core import reading
from pytest_roofline.errors import FileError


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
